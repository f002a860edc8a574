import Foundation
import NetAdmin
import XCTest

/// Replays NetBSD's transcripts (/work/shared/vectors/netbsd-tools) against our real
/// rump_server processes with our real utilities, started as the `# [host]` lines say
/// (same components, the same socket layout and bus files in a scratch directory), and
/// compares stdout, stderr and exit status after masking the differences that are by nature.
final class ReplayTests: XCTestCase {
    static let vectors = "/work/shared/vectors/netbsd-tools"

    /// By nature (README of the vectors): the masks apply to expected and actual text alike.
    static let masks: [(String, String)] = [
        ("b2:a0(:[0-9a-f]{2}){4}", "MAC"),                                   // MAC addresses
        ("time=[0-9.]+ ms", "time=T ms"),                                     // real times
        ("min/avg/max/stddev = [0-9./]+ ms", "min/avg/max/stddev = T ms"),
        ("[0-9.]+ packets/sec sent, +[0-9.]+ packets/sec received", "RATES"), // flood rates
        ("(?m)^[.\u{8}]+$", "."),                                             // flood dots (timing)
        (" tentative", ""),                                                   // no IPv4 DAD here
        ("net.inet.ip.forwarding: [01] -> ", "net.inet.ip.forwarding: ? -> "), // see g-routed line 62 below
        ("33624L", "33624 "),                                                 // uninitialised lock in the recording
    ]
    /// Counters that depend on timing (frames seen on the bus, ARP retries), per command kind.
    static let counterMasks: [(command: String, pattern: String, template: String)] = [
        ("ifconfig -[vz]", "(?m)^\t(input|output): .*$", "\t$1: COUNTERS"),
        ("netstat .*-[a-zA-Z]*[iI]", "(?m)(^[a-z][^N].*?)( +[0-9]+)+$", "$1 COUNTERS"),
        ("netstat .*-[a-zA-Z]*s", "(?m)^(\t+)[0-9]+ ", "$1N "),
        ("netstat .*-[a-zA-Z]*s", "(?m): [0-9]+$", ": N"),
    ]

    /// Commands not replayed, with why. (file, command, reason); command nil = by line.
    static let skipped: [(file: String, command: String, line: Int?, reason: String)] = [
        ("d-ping.txt", "ping -c 3 localhost", nil, "we resolve localhost (the recorded kernel had no resolver)"),
        ("d-ping.txt", "ping -c 2 10.0.0.2", 73, "first ping during NetBSD's IPv4 DAD lost a reply; our addresses are usable at once"),
        ("d-ping.txt", "ping -c 2 -v 10.0.0.2", nil, "the recorded ICMP errors came from the recording host's DNS queries over UDP"),
        ("d-ping.txt", "ping 10.0.0.2", nil, "rumpctrl stubbed SIGINT (exit 130, no statistics); testPingSIGINT checks ours"),
        ("d-ping.txt", "ping -q 10.0.0.2", nil, "rumpctrl stubbed SIGINT; testPingSIGINT checks ours"),
        ("d-ping.txt", "ping -c 2 -w 2 10.0.0.99", nil,
         "our ARP retransmits on a timer and marks 10.0.0.99 down (EHOSTDOWN) while the earlier ping to it still waits; NetBSD 7.99 asks only when sending"),
        ("e-route.txt", "route get 10.0.0.2", 244, "the recording printed an expiry of -6 for a connected route (artefact)"),
        ("g-routed-3kernels.txt", "sysctl net.inet.ip.forwarding", 62,
         "the recorded router reported forwarding = 1 before it was set; a fresh kernel has 0 (b-sysctl-a-full.txt)"),
        ("g-routed-3kernels.txt", "ping -c 2 -T 1 -v 10.0.2.1", nil, "the recorded -v output has the recording host's DNS errors"),
        ("g-routed-3kernels.txt", "ping -c 2 -v 10.0.2.1", nil, "the recorded -v output has the recording host's DNS errors"),
        ("g-routed-3kernels.txt", "arp -an", 315,
         "NetBSD lists its ARP hash in its own order and had dropped the unanswered 10.0.2.99; ours keeps it (marked down) for net.inet.arp.down"),
    ]

    struct Tally { var exact = 0, masked = 0, skipped = 0, failed = 0 }
    nonisolated(unsafe) static var totals: [String: Tally] = [:]

    func mask(_ s: String, command: String) -> String {
        var t = s
        for (p, r) in Self.masks { t = t.replacingOccurrences(of: p, with: r, options: .regularExpression) }
        for m in Self.counterMasks where command.range(of: m.command, options: .regularExpression) != nil {
            t = t.replacingOccurrences(of: m.pattern, with: m.template, options: .regularExpression)
        }
        return t
    }

    /// Replays one transcript; returns the tally.
    @discardableResult
    func replay(_ file: String, componentFilter: (String) -> Bool = { _ in true }) throws -> Tally {
        let text = try String(contentsOfFile: "\(Self.vectors)/\(file)", encoding: .utf8)
        let lab = Lab()
        defer { lab.tearDown() }
        // "# [host] rump_server -s -l… unix:///tmp/lab/kN.sock &    (kernel "kN")"
        var starts: [(line: Int, name: String, components: [String])] = []
        for (i, l) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where l.hasPrefix("# [host] rump_server -s ") {
            let words = l.split(separator: " ").map(String.init)
            guard let url = words.first(where: { $0.hasPrefix("unix:///tmp/lab/") }) else { continue }
            let name = String(url.dropFirst("unix:///tmp/lab/".count).dropLast(".sock".count))
            starts.append((i + 1, name, words.filter { $0.hasPrefix("-l") && componentFilter($0) }))
        }
        var tally = Tally()
        var background: [(TranscriptEntry, String, Tools.Running)] = []
        func compare(_ e: TranscriptEntry, _ cmd: String, _ got: Tools.Result) {
            let fix = { (s: String) in s.replacingOccurrences(of: "/tmp/lab/", with: lab.dir + "/") }
            let want = Tools.Result(stdout: fix(e.stdout), stderr: fix(e.stderr), status: e.status ?? 0)
            if got == want { tally.exact += 1; return }
            let mw = Tools.Result(stdout: mask(want.stdout, command: cmd), stderr: mask(want.stderr, command: cmd), status: want.status)
            let mg = Tools.Result(stdout: mask(got.stdout, command: cmd), stderr: mask(got.stderr, command: cmd), status: got.status)
            if mw == mg { tally.masked += 1; return }
            tally.failed += 1
            XCTFail("\(file):\(e.line) $ \(e.command)\n--- expected\n\(mw)\n--- got\n\(mg)")
        }
        for e in Transcript.parse(text) {
            while let s = starts.first, s.line < e.line {
                starts.removeFirst()
                _ = try lab.start(s.name, s.components)
            }
            if Self.skipped.contains(where: { $0.file == file && $0.command == e.command && ($0.line == nil || $0.line == e.line) }) {
                tally.skipped += 1
                continue
            }
            guard let k = e.kernel, let server = lab.servers[k] else { XCTFail("\(file):\(e.line): no kernel"); continue }
            let cmd = e.command.replacingOccurrences(of: "/tmp/lab/", with: lab.dir + "/")
            let shell = cmd.contains("|")
            let args = shell ? [cmd] : cmd.split(separator: " ").map(String.init)
            // A ping that gets no reply waits 10 intervals after its last request, as NetBSD's:
            // run those side by side (they change no kernel state) and compare at the end.
            // Later commands may change routes: go on only once its last request is out.
            if e.utility == "ping" && e.status == 2 {
                background.append((e, cmd, Tools.Running(args, rumpServer: server.url, shell: shell)))
                let count = Double(option("-c", e.arguments) ?? "1") ?? 1
                let interval = Double(option("-i", e.arguments) ?? "1") ?? 1
                usleep(UInt32(((count - 1) * interval + 0.5) * 1e6))
                continue
            }
            compare(e, cmd, Tools.run(args, rumpServer: server.url, timeout: 20, shell: shell))
        }
        for (e, cmd, r) in background { compare(e, cmd, r.wait(timeout: 30)) }
        Self.totals[file] = tally
        print("replay \(file): \(tally.exact) byte for byte, \(tally.masked) after masking, \(tally.skipped) skipped, \(tally.failed) failed")
        return tally
    }

    func option(_ flag: String, _ args: [String]) -> String? {
        args.firstIndex(of: flag).flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil }
    }

    func testReplayIfconfig() throws { try replay("c-ifconfig.txt") }
    func testReplayPing() throws { try replay("d-ping.txt") }
    func testReplayRoute() throws { try replay("e-route.txt") }
    // rumpnet_local (AF_LOCAL sockets) is not a component of ours; the rest is started as recorded.
    func testReplayArpNetstat() throws { try replay("f-arp-netstat.txt") { $0 != "-lrumpnet_local" } }
    func testReplayRouted3Kernels() throws { try replay("g-routed-3kernels.txt") }
}
