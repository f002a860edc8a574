import FileUtilities

/// rm(1) against the kernel in RUMP_SERVER (FileUtilities).
Rm.main(Array(CommandLine.arguments.dropFirst()))
