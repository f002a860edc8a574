#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import RumpClient
import RumpProtocol
import ToolSupport

/// sysctl(8) against a rump kernel: NetBSD's options, output and diagnostics.
struct Sysctl: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sysctl")
    @Flag(name: .customShort("A")) var listAllA = false
    @Flag(name: .customShort("a")) var listAll = false
    @Flag(name: .customShort("b")) var binary = false
    @Flag(name: .customShort("d")) var describe = false
    @Flag(name: .customShort("e")) var equals = false
    @Flag(name: .customShort("F")) var flagsF = false
    @Option(name: .customShort("f", allowingJoined: true)) var file: String?
    @Flag(name: .customShort("h")) var human = false
    @Flag(name: .customShort("i")) var ignore = false
    @Flag(name: .customShort("M")) var mib = false
    @Flag(name: .customShort("n")) var valueOnly = false
    @Flag(name: .customShort("q")) var quiet = false
    @Flag(name: .customShort("r")) var raw = false
    @Flag(name: .customShort("w")) var write = false
    @Flag(name: .customShort("x")) var hex = false
    @Argument var names: [String] = []
}

let program = "sysctl"
let usageText = """
usage:\tsysctl [-dneq] [-x[x]|-r] variable ...
\tsysctl [-ne] [-q] -w variable=value ...
\tsysctl [-dne] -a
\tsysctl [-dne] -A
\tsysctl [-ne] -M
\tsysctl [-dne] [-q] -f file
"""
@MainActor func usage() -> Never {
    for l in usageText.split(separator: "\n") { printErr(String(l)) }
    exitTool(1)
}

let args = Array(CommandLine.arguments.dropFirst())
if let f = NetBSDGetopt.check(args, optstring: "AabdeFf:hiMnqrwx") {
    printErr(f.message(program: program))
    usage()
}
guard let cmd = try? Sysctl.parse(args) else { usage() }

var names = cmd.names
if let f = cmd.file {
    // -f: one name (or name=value with -w) per line; '#' starts a comment.
    guard let text = readTextFile(f) else { errx(1, program, "\(f): \(NetBSDErrno.ENOENT.strerror)") }
    for line in text.split(separator: "\n") {
        let t = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?.trimmed ?? ""
        if !t.isEmpty { names.append(t) }
    }
}
if !cmd.write, names.contains(where: { $0.contains("=") }) {
    errx(1, program, "Must specify -w to set variables")
}
let all = cmd.listAll || cmd.listAllA
if names.isEmpty && !all { usage() }

let client = RumpClient.initOrExit(clientName: program)
let levelNames = ["top", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]
var status: Int32 = 0

@MainActor func fail(_ name: String, _ e: CallError) {
    status = 1
    if cmd.quiet { return }
    if case .kernel(let k) = e, k.errno == .ENOENT {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        let level = Int(k.detail)
        if level < parts.count {
            let lname = level < levelNames.count ? levelNames[level] : "level \(level + 1)"
            printErr("\(program): \(lname) level name '\(parts[level])' in '\(name)' is invalid")
            return
        }
    }
    printErr("\(program): \(name): \(e.errno.strerror)")
}

@MainActor func show(_ e: SysctlEntry) {
    if cmd.describe {
        printOut("\(e.name): \(e.description ?? "(no description)")")
        return
    }
    let v = e.value.text
    if cmd.valueOnly { printOut(v); return }
    if case .structure = e.value { printOut("\(e.name): \(v)"); return }
    printOut(cmd.equals ? "\(e.name)=\(v)" : "\(e.name) = \(v)")
}

@MainActor func run(_ request: Request, name: String) -> Reply? {
    do { return try client.call(request) } catch {
        fail(name, error)
        return nil
    }
}

if all {
    if case .sysctl(let entries)? = run(.sysctlList(prefix: ""), name: "") { entries.forEach(show) }
}
for n in names {
    if cmd.write, let eq = n.firstIndex(of: "=") {
        let name = String(n[..<eq]), value = String(n[n.index(after: eq)...])
        if case let .sysctlChanged(old, new)? = run(.sysctlSet(name: name, value: value), name: name) {
            if cmd.valueOnly { printOut("\(old.value.text) -> \(new.value.text)") }
            else { printOut("\(name): \(old.value.text) -> \(new.value.text)") }
        }
    } else {
        if case .sysctl(let entries)? = run(.sysctlGet(name: n), name: n) { entries.forEach(show) }
    }
}
exitTool(status)

func readTextFile(_ path: String) -> String? {
    guard let f = fopen(path, "r") else { return nil }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        bytes += buf[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
