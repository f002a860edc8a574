import ArgumentParser
import RumpKernel
import ToolSupport

/// rump_wmd ("where's my dependency"): prints the -l set that loads the given components
/// with everything they need, dependencies first.
struct RumpWmd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rump_wmd")
    @Flag(name: .customShort("h")) var help = false
    @Flag(name: .customShort("v")) var verbose = false
    /// Library directory (NetBSD's -L); our components are built in, so it is accepted and ignored.
    @Option(name: .customShort("L", allowingJoined: true)) var libdir: [String] = []
    @Option(name: .customShort("l", allowingJoined: true)) var libraries: [String] = []
}

let program = "rump_wmd"
let args = Array(CommandLine.arguments.dropFirst())
let usage = "usage: \(program) [-hv] [-L libdir] -llib1 [-llib2 [...]]"
if let f = NetBSDGetopt.check(args, optstring: "hvL:l:") {
    printErr(f.message(program: program))
    printErr(usage)
    exitTool(1)
}
guard let cmd = try? RumpWmd.parse(args), !cmd.help, !cmd.libraries.isEmpty else {
    printErr(usage)
    exitTool(1)
}
var set: Set<Component> = []
for lib in cmd.libraries {
    guard let c = Component.parse(library: lib) else {
        errx(1, program, "component \(lib) not found (known: \(Component.allCases.map(\.rawValue).joined(separator: " ")))")
    }
    set.formUnion(c.closure)
}
let result = set.sorted()
// Level-0 messages are always printed (the tutorial's rump_wmd run); -v adds level 1.
printErr("DEBUG0: Searching component combinations. This may take a while ...")
printErr("DEBUG0: Found a set")
if cmd.verbose {
    for c in result { printErr("DEBUG1: \(c.rawValue): \(c.summary)") }
}
printOut(result.map { "-l" + $0.rawValue }.joined(separator: " "))
exitTool(0)
