import FileUtilities

/// umount(1) against the kernel in RUMP_SERVER (FileUtilities).
Umount.main(Array(CommandLine.arguments.dropFirst()))
