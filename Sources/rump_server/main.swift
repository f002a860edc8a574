import KernelStack

/// rump_server: a rump kernel serving remote syscalls on one URL (rump_server(1)).
ServerEntry.main(program: "rump_server", loadAll: false)
