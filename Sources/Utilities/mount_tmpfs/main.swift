import FileUtilities

/// mount_tmpfs(1) against the kernel in RUMP_SERVER (FileUtilities).
MountTmpfs.main(Array(CommandLine.arguments.dropFirst()))
