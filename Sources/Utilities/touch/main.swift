import FileUtilities

/// touch(1) against the kernel in RUMP_SERVER (FileUtilities).
Touch.main(Array(CommandLine.arguments.dropFirst()))
