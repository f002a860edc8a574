import FileUtilities

/// cat(1) against the kernel in RUMP_SERVER (FileUtilities).
Cat.main(Array(CommandLine.arguments.dropFirst()))
