import FileUtilities

/// df(1) against the kernel in RUMP_SERVER (FileUtilities).
Df.main(Array(CommandLine.arguments.dropFirst()))
