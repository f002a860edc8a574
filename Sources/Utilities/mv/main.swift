import FileUtilities

/// mv(1) against the kernel in RUMP_SERVER (FileUtilities).
Mv.main(Array(CommandLine.arguments.dropFirst()))
