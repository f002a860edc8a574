import KernelStack

/// rump_host: many rump kernels in one process, each on its own URL (docs/kernel.md).
KernelHost.main()
