import FileUtilities

/// chmod(1) against the kernel in RUMP_SERVER (FileUtilities).
Chmod.main(Array(CommandLine.arguments.dropFirst()))
