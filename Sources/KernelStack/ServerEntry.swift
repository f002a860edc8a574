import ArgumentParser
import RumpKernel
import ToolSupport

/// The command line of rump_server and rump_allserver (rump_server(1)): NetBSD's getopt
/// rules and usage, then a kernel with the RumpNet stack. `loadAll` is rump_allserver.
public enum ServerEntry {
    struct Command: ParsableCommand {
        @Flag(name: .customShort("s")) var foreground = false
        @Flag(name: .customShort("v")) var verbose = false
        @Option(name: .customShort("c", allowingJoined: true)) var ncpu: String?
        @Option(name: .customShort("d", allowingJoined: true)) var drivespec: [String] = []
        @Option(name: .customShort("l", allowingJoined: true)) var libraries: [String] = []
        @Option(name: .customShort("m", allowingJoined: true)) var modules: [String] = []
        @Option(name: .customShort("r", allowingJoined: true)) var memlimit: String?
        @Option(name: .customShort("S", allowingJoined: true)) var seed: String?
        @Argument var url: [String] = []
    }

    /// rump_server's options from its arguments (NetBSD's getopt rules), or the lines to print
    /// (the getopt complaint and the usage). rump_host reads each kernel's line with it.
    static func options(_ args: [String], program: String, loadAll: Bool) -> Result<ServerOptions, ServerStartError> {
        let usage = "usage: \(program) [-s] [-c ncpu] [-d drivespec] [-l libs] [-m modules] bindurl"
        if let f = NetBSDGetopt.check(args, optstring: "c:d:l:m:r:S:sv") {
            return .failure(ServerStartError(message: f.message(program: program) + "\n" + usage, status: 1))
        }
        guard let cmd = try? Command.parse(args), cmd.url.count == 1 else { return .failure(ServerStartError(message: usage, status: 1)) }
        var o = ServerOptions(program: program, url: cmd.url[0])
        o.foreground = cmd.foreground
        o.verbose = cmd.verbose
        o.libraries = cmd.libraries
        o.ncpu = cmd.ncpu
        o.memlimit = cmd.memlimit
        o.seed = cmd.seed
        o.drivespecs = cmd.drivespec
        o.modules = cmd.modules
        o.loadAll = loadAll
        return .success(o)
    }

    public static func main(program: String, loadAll: Bool) -> Never {
        let args = Array(CommandLine.arguments.dropFirst())
        let o: ServerOptions
        switch options(args, program: program, loadAll: loadAll) {
        case .failure(let e): printErr(e.message); exitTool(1)
        case .success(let v): o = v
        }
        // The fault-injection test hook (docs/stack.md): a bad value stops the server here.
        if let problem = KernelNetStack.checkFaultVariable() {
            printErr("\(program): \(problem)")
            exitTool(1)
        }
        RumpServerMain.run(o, stackFactory: KernelNetStack.factory)
    }
}
