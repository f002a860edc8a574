import ArgumentParser
import KernelStack
import RumpKernel
import ToolSupport

/// rump_allserver: rump_server with every component loaded (rump_server(1)).
struct RumpAllServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rump_allserver")
    @Flag(name: .customShort("s")) var foreground = false
    @Flag(name: .customShort("v")) var verbose = false
    @Option(name: .customShort("c", allowingJoined: true)) var ncpu: String?
    @Option(name: .customShort("d", allowingJoined: true)) var drivespec: [String] = []
    @Option(name: .customShort("l", allowingJoined: true)) var libraries: [String] = []
    @Option(name: .customShort("m", allowingJoined: true)) var modules: [String] = []
    @Option(name: .customShort("r", allowingJoined: true)) var memlimit: String?
    @Argument var url: [String] = []
}

let program = "rump_allserver"
let args = Array(CommandLine.arguments.dropFirst())
let usage = "usage: \(program) [-s] [-c ncpu] [-d drivespec] [-l libs] [-m modules] bindurl"
if let f = NetBSDGetopt.check(args, optstring: "c:d:l:m:r:sv") {
    printErr(f.message(program: program))
    printErr(usage)
    exitTool(1)
}
guard let cmd = try? RumpAllServerCommand.parse(args), cmd.url.count == 1 else {
    printErr(usage)
    exitTool(1)
}
var o = ServerOptions(program: program, url: cmd.url[0])
o.foreground = cmd.foreground
o.verbose = cmd.verbose
o.libraries = cmd.libraries
o.ncpu = cmd.ncpu
o.memlimit = cmd.memlimit
o.drivespecs = cmd.drivespec
o.modules = cmd.modules
o.loadAll = true
RumpServerMain.run(o, stackFactory: KernelNetStack.factory)
