import FileUtilities

/// rmdir(1) against the kernel in RUMP_SERVER (FileUtilities).
Rmdir.main(Array(CommandLine.arguments.dropFirst()))
