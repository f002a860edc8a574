import FileUtilities

/// ls(1) against the kernel in RUMP_SERVER (FileUtilities).
Ls.main(Array(CommandLine.arguments.dropFirst()))
