import FileUtilities

/// mkdir(1) against the kernel in RUMP_SERVER (FileUtilities).
Mkdir.main(Array(CommandLine.arguments.dropFirst()))
