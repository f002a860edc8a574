import FileUtilities

/// dd(1) against the kernel in RUMP_SERVER (FileUtilities).
Dd.main(Array(CommandLine.arguments.dropFirst()))
