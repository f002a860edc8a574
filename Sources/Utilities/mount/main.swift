import FileUtilities

/// mount(1) against the kernel in RUMP_SERVER (FileUtilities).
MountCommand.main(Array(CommandLine.arguments.dropFirst()))
