#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import CKernelShim
import RumpClient
import RumpProtocol
import ToolSupport

/// Measures an idle rump_server's RSS and its time from start to listening, beside
/// baselines taken in the same run: `true`'s spawn-to-exit time, `sleep`'s RSS (a C
/// process), and this binary idling (a Swift process with argument-parser loaded).
struct KernelBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kernel-bench")
    @Option(help: "Runs per timing figure (the median is reported).") var runs = 20
    @Option(help: "Directory holding rump_server (default: this binary's directory).") var bin: String?
    @Flag(help: "Internal: idle until killed (the Swift RSS baseline).") var idle = false
}

func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func spawn(_ args: [String]) -> pid_t {
    var pid: pid_t = 0
    var fa = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&fa)
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0)
    let cargs = args.map { strdup($0) } + [nil]
    defer { cargs.forEach { free($0) }; posix_spawn_file_actions_destroy(&fa) }
    let rc = posix_spawn(&pid, args[0], &fa, nil, cargs, environ)
    return rc == 0 ? pid : -1
}

func waitExit(_ pid: pid_t) -> Int32 {
    var st: Int32 = 0
    while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
    return (st >> 8) & 0xff
}

func rssKiB(_ pid: pid_t) -> Int {
    guard let f = fopen("/proc/\(pid)/status", "r") else { return -1 }
    defer { fclose(f) }
    var line = [CChar](repeating: 0, count: 512)
    while fgets(&line, 512, f) != nil {
        let s = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if s.hasPrefix("VmRSS:") { return Int(s.split(separator: " ").dropFirst().first ?? "") ?? -1 }
    }
    return -1
}

func median(_ v: [Double]) -> Double { let s = v.sorted(); return s.isEmpty ? 0 : s[s.count / 2] }
func ms(_ ns: UInt64) -> Double { Double(ns) / 1e6 }
func fmt(_ v: Double) -> String {
    let x = (v * 100).rounded() / 100
    return String(x)
}

@MainActor func selfDirectory() -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, 4095)
    let path = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    return String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
}

let cmd: KernelBench
do { cmd = try KernelBench.parse(Array(CommandLine.arguments.dropFirst())) } catch { KernelBench.exit(withError: error) }
if cmd.idle { while true { pause() } }

let bin = cmd.bin ?? selfDirectory()
let server = bin + "/rump_server"
let comps = ["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet"]
let dir = "/tmp/kernel-bench-\(getpid())"
mkdir(dir, 0o700)

// 1. Foreground: spawn -> first successful connect.
var fg: [Double] = []
for i in 0..<cmd.runs {
    let path = "\(dir)/fg\(i).sock"
    let t0 = now()
    let pid = spawn([server, "-s"] + comps + ["unix://" + path])
    var fd: Int32 = -1
    while fd < 0 && now() - t0 < 5_000_000_000 {
        fd = ck_connect_unix(path)
        if fd < 0 { usleep(50) }
    }
    fg.append(ms(now() - t0))
    if fd >= 0 { close(fd) }
    kill(pid, SIGTERM)
    _ = waitExit(pid)
}

// 2. Daemonised: spawn -> parent exits 0 (it exits only once the child listens).
var dm: [Double] = []
for i in 0..<cmd.runs {
    let path = "\(dir)/d\(i).sock"
    let t0 = now()
    let pid = spawn([server] + comps + ["unix://" + path])
    let st = waitExit(pid)
    dm.append(ms(now() - t0))
    if st == 0, let c = try? RumpClient(url: .unix(path: path), clientName: "bench") {
        kill(c.server.serverPID, SIGTERM)
    }
}

// 3. Baselines: `true` spawn-to-exit, and a Swift binary (this one, --help) spawn-to-exit.
var tr: [Double] = [], sw: [Double] = []
for _ in 0..<cmd.runs {
    var t0 = now()
    _ = waitExit(spawn(["/bin/true"]))
    tr.append(ms(now() - t0))
    t0 = now()
    _ = waitExit(spawn([bin + "/rump_wmd", "-lrumpnet"]))
    sw.append(ms(now() - t0))
}

// 4. RSS: idle server (after boot, and after 1000 requests), `sleep`, an idle Swift process.
let path = "\(dir)/rss.sock"
let spid = spawn([server, "-s"] + comps + ["unix://" + path])
while ck_connect_unix(path) < 0 { usleep(100) }
usleep(200_000)
let rssIdle = rssKiB(spid)
if let c = try? RumpClient(url: .unix(path: path), clientName: "bench") {
    for _ in 0..<1000 { _ = try? c.call(.sysctlList(prefix: "")) }
}
usleep(100_000)
let rssAfter = rssKiB(spid)
kill(spid, SIGTERM)
_ = waitExit(spid)
// The default (daemonised) mode: the forked child has touched fewer library pages.
let dpath = "\(dir)/rssd.sock"
var rssDaemon = -1
if waitExit(spawn([server] + comps + ["unix://" + dpath])) == 0, let c = try? RumpClient(url: .unix(path: dpath), clientName: "bench") {
    usleep(200_000)
    rssDaemon = rssKiB(c.server.serverPID)
    kill(c.server.serverPID, SIGTERM)
}
let sleepPID = spawn(["/bin/sleep", "10"])
let swiftPID = spawn([CommandLine.arguments[0], "--idle"])
usleep(200_000)
let rssSleep = rssKiB(sleepPID), rssSwift = rssKiB(swiftPID)
kill(sleepPID, SIGKILL); _ = waitExit(sleepPID)
kill(swiftPID, SIGKILL); _ = waitExit(swiftPID)
rmdir(dir)

printOut("rump_server (\(comps.joined(separator: " "))), \(cmd.runs) runs, medians; binaries from \(bin)")
printOut("start to listening, -s (spawn -> first connect):      \(fmt(median(fg))) ms")
printOut("start to listening, daemonised (spawn -> parent exit): \(fmt(median(dm))) ms")
printOut("baseline: /bin/true spawn -> exit:                     \(fmt(median(tr))) ms")
printOut("baseline: Swift tool (rump_wmd) spawn -> exit:         \(fmt(median(sw))) ms")
printOut("idle server RSS, -s (foreground):                      \(rssIdle) KiB")
printOut("idle server RSS, daemonised (default):                 \(rssDaemon) KiB")
printOut("server RSS after 1000 sysctl -a requests:              \(rssAfter) KiB")
printOut("baseline: idle /bin/sleep RSS:                         \(rssSleep) KiB")
printOut("baseline: idle Swift process (kernel-bench --idle) RSS: \(rssSwift) KiB")
exitTool(0)
