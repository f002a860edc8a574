import ArgumentParser
import RumpClient
import RumpProtocol
import ToolSupport

/// halt(8) against a rump kernel: asks the kernel to halt; the server then exits.
struct Halt: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "halt")
    @Flag(name: .customShort("d")) var dump = false
    @Flag(name: .customShort("l")) var noLog = false
    @Flag(name: .customShort("n")) var noSync = false
    @Flag(name: .customShort("p")) var powerOff = false
    @Flag(name: .customShort("q")) var quick = false
    @Flag(name: .customShort("v")) var verbose = false
    @Flag(name: .customShort("x")) var debug = false
    @Flag(name: .customShort("z")) var silent = false
}

let program = "halt"
let args = Array(CommandLine.arguments.dropFirst())
let usage = "usage: \(program) [-dlnpqvxz]"
if let f = NetBSDGetopt.check(args, optstring: "dlnpqvxz") {
    printErr(f.message(program: program))
    printErr(usage)
    exitTool(1)
}
guard let cmd = try? Halt.parse(args) else {
    printErr(usage)
    exitTool(1)
}
let client = RumpClient.initOrExit(clientName: program)
// reboot(2) flags as NetBSD's halt passes them: RB_HALT, plus RB_DUMP / RB_NOSYNC / RB_POWERDOWN.
var flags: Int32 = 0x8
if cmd.dump { flags |= 0x100 }
if cmd.noSync { flags |= 0x4 }
if cmd.powerOff { flags |= 0x800 }
do {
    _ = try client.call(.halt(flags: flags))
} catch {
    // The kernel may be gone before its reply arrives: that is a successful halt.
    if case .kernel(let e) = error { errx(1, program, "reboot: \(e.errno.strerror)") }
}
exitTool(0)
