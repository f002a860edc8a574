import Foundation
import TestSupport
import NetAdmin
import XCTest

/// Replays NetBSD's transcripts (/work/shared/vectors/netbsd-tools) against our real
/// rump_server processes with our real utilities, started as the `# [host]` lines say
/// (same components, the same socket layout and bus files in a scratch directory), and
/// compares stdout, stderr and exit status after masking the differences that are by nature.
final class ReplayTests: XCTestCase {
    static let vectors = vectorsDirectory.appendingPathComponent("netbsd-tools").path

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
        ("min/avg/max/std-dev = [0-9./]+ ms", "min/avg/max/std-dev = T ms"),   // ping6's round-trip line
        // EUI-64 link-local addresses come from the (masked) MACs: whole, cut to a column, KAME
        // embedded ("fe80:2::b0a0:…"), with a zone; the padding after them follows their length.
        ("b0a0(:[0-9a-f]{0,4}){0,3}(%[a-z]+[0-9]+)? +", "b0a0:LL$2 "),
        ("b0a0(?!:LL)(:[0-9a-f]{0,4}){0,3}", "b0a0:LL"),
    ]
    /// Counters that depend on timing (frames seen on the bus, ARP retries), per command kind.
    static let counterMasks: [(command: String, pattern: String, template: String)] = [
        ("ifconfig -[vz]", "(?m)^\t(input|output): .*$", "\t$1: COUNTERS"),
        ("netstat .*-[a-zA-Z]*[iI]", "(?m)(^[a-z][^N].*?)( +[0-9]+)+$", "$1 COUNTERS"),
        ("netstat .*-[a-zA-Z]*s", "(?m)^(\t+)[0-9]+ ", "$1N "),
        ("netstat .*-[a-zA-Z]*s", "(?m)^\t\t[A-Za-z0-9 ]+: [0-9]+\n", ""),    // histogram entries
        ("netstat .*-[a-zA-Z]*s", "([a-z])s\\b", "$1"),                     // plurals follow the counts
        // ndp: the time left in a neighbor's state and the state itself (NUD's timers).
        ("^ndp", "(?m)(shmif[0-9]) (?!permanent)[0-9dhms]+ +[A-Z] ", "$1 EXPIRE S "),
        ("^ndp -i", "reachable=[0-9]+s,", "reachable=Ns,"),                  // random ReachableTime
    ]
    /// Listings in the kernel's hash order (NetBSD's neighbor cache): compared as sorted rows.
    static let unordered = ["ndp -an", "ndp -a", "ndp -c"]

    /// Commands not replayed, with why. (file, command, reason); command nil = by line.
    static let skipped: [(file: String, command: String, line: Int?, reason: String)] = [
        ("d-ping.txt", "ping -c 3 localhost", nil, "we resolve localhost (the recorded kernel had no resolver)"),
        ("d-ping.txt", "ping -c 2 10.0.0.2", 73, "first ping during NetBSD's IPv4 DAD lost a reply; our addresses are usable at once"),
        ("d-ping.txt", "ping -c 2 -v 10.0.0.2", nil, "the recorded ICMP errors came from the recording host's DNS queries over UDP"),
        ("d-ping.txt", "ping 10.0.0.2", nil, "rumpctrl stubbed SIGINT (exit 130, no statistics); testPingSIGINT checks ours"),
        ("d-ping.txt", "ping -q 10.0.0.2", nil, "rumpctrl stubbed SIGINT; testPingSIGINT checks ours"),
        ("e-route.txt", "route get 10.0.0.2", 244, "the recording printed an expiry of -6 for a connected route (artefact)"),
        ("g-routed-3kernels.txt", "sysctl net.inet.ip.forwarding", 62,
         "the recorded router reported forwarding = 1 before it was set; a fresh kernel has 0 (b-sysctl-a-full.txt)"),
        ("f-arp-netstat.txt", "netstat -r", 326, "the 10.0.0.53 route NetBSD kept for the refused `arp -s 10.0.0.53 zz:zz` (below)"),
        ("f-arp-netstat.txt", "netstat -rn", 349, "the 10.0.0.53 route NetBSD kept for the refused `arp -s 10.0.0.53 zz:zz` (below)"),
        ("f-arp-netstat.txt", "netstat -s -f inet6", nil, "tcp6/udp6/pim6/rip6 sections (no TCP or UDP over IPv6 yet); ip6 is replayed with -p ip6"),
        ("f-arp-netstat.txt", "netstat -rn -f inet", nil,
         "NetBSD kept a route 10.0.0.53 from the refused `arp -s 10.0.0.53 zz:zz`; we add nothing (docs/UTILITIES.md)"),
        ("f-arp-netstat.txt", "netstat -ia", nil, "multicast memberships (not modelled)"),
        ("f-arp-netstat.txt", "netstat -a", nil, "a TCP listener started by a test program (no TCP yet)"),
        ("f-arp-netstat.txt", "netstat -an", 408, "a TCP listener (no TCP yet)"),
        ("f-arp-netstat.txt", "netstat -an -f inet", nil, "TCP control blocks (no TCP yet)"),
        ("f-arp-netstat.txt", "netstat -s", nil, "tcp/igmp/ip6/icmp6 sections (the stack keeps no such counters; udp's is replayed with -p udp)"),
        ("f-arp-netstat.txt", "netstat -s | head -60", nil, "the tcp section comes first (no TCP counters yet)"),
        ("f-arp-netstat.txt", "netstat -ss", nil, "tcp/ip6 sections (no such counters); the udp section's zeros hide differently with other traffic"),
        ("f-arp-netstat.txt", "netstat -s -p tcp", nil, "no TCP counters yet"),
        ("f-arp-netstat.txt", "netstat -s -f inet", nil, "tcp/igmp sections (no such counters)"),
        ("f-arp-netstat.txt", "netstat -m", nil, "mbuf statistics (the stack has no mbufs)"),
        ("g-routed-3kernels.txt", "ping -c 2 -T 1 -v 10.0.2.1", nil, "the recorded -v output has the recording host's DNS errors"),
        ("g-routed-3kernels.txt", "ping -c 2 -v 10.0.2.1", nil, "the recorded -v output has the recording host's DNS errors"),
        ("h-ipv6.txt", "ndp -an", 412,
         "NetBSD 7.99 still listed the deleted fd00::1 (its llinfo outlived the address); ours goes with the address"),
        ("h-ipv6.txt", "ping6 -c 1 nosuchhost", nil,
         "NetBSD's getaddrinfo asked DNS (EAI_AGAIN); we resolve without it and say the same, checked in Ping6NdpTests"),
        ("g-routed-3kernels.txt", "arp -an", 315,
         "NetBSD lists its ARP hash in its own order and had dropped the unanswered 10.0.2.99; ours keeps it (marked down) for net.inet.arp.down"),
    ]

    /// Commands run for the state they leave (later commands depend on it) but not compared,
    /// with why; counted as skipped.
    static let runNotCompared: [(file: String, command: String, reason: String)] = [
        ("h-ipv6.txt", "ndp -c", "its first line deletes NetBSD 7.99's stale entry of the deleted fd00::1 (see ndp -an, line 412)"),
    ]

    struct Tally: Sendable { var exact = 0, masked = 0, skipped = 0, failures: [String] = [] }

    static func mask(_ s: String, command: String) -> String {
        var t = s
        for (p, r) in masks { t = t.replacingOccurrences(of: p, with: r, options: .regularExpression) }
        for m in counterMasks where command.range(of: m.command, options: .regularExpression) != nil {
            t = t.replacingOccurrences(of: m.pattern, with: m.template, options: .regularExpression)
        }
        if unordered.contains(command) {
            var lines = t.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let header = lines.first?.hasPrefix("Neighbor") == true ? [lines.removeFirst()] : []
            t = (header + lines.filter { !$0.isEmpty }.sorted()).joined(separator: "\n")
        }
        return t
    }

    /// Replays one transcript; failures are collected (this runs off the main thread).
    static func replay(_ file: String, hosted: Bool = false, componentFilter: (String) -> Bool = { _ in true }) -> Tally {
        var tally = Tally()
        guard let text = try? String(contentsOfFile: "\(vectors)/\(file)", encoding: .utf8) else {
            tally.failures.append("\(file): unreadable")
            return tally
        }
        let lab = Lab()
        defer { tally.failures += lab.shutDown() }
        // "# [host] rump_server -s -l… unix:///tmp/lab/kN.sock &    (kernel "kN")"
        var starts: [(line: Int, name: String, components: [String])] = []
        // "# [host] waited 1.05 s until 'shmif0' of kernel "k1" showed no 'tentative' address (DAD done)"
        var dadWaits: [(line: Int, name: String)] = []
        for (i, l) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where l.hasPrefix("# [host] waited ") && l.contains("(DAD done)") {
            if let k = l.split(separator: "\"").dropFirst().first { dadWaits.append((i + 1, String(k))) }
        }
        for (i, l) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where l.hasPrefix("# [host] rump_server -s ") {
            let words = l.split(separator: " ").map(String.init)
            guard let url = words.first(where: { $0.hasPrefix("unix:///tmp/lab/") }) else { continue }
            let name = String(url.dropFirst("unix:///tmp/lab/".count).dropLast(".sock".count))
            starts.append((i + 1, name, words.filter { $0.hasPrefix("-l") && componentFilter($0) }))
        }
        // Hosted: every kernel of the transcript in one rump_host over two loops from the start
        // (a kernel started later is idle until configured, so starting it early changes nothing).
        if hosted {
            do { try lab.startHost(starts.map { ($0.name, $0.components) }) } catch {
                tally.failures.append("\(file): \(error)")
                return tally
            }
            starts = []
        }
        var background: [(TranscriptEntry, String, Background)] = []
        func compare(_ e: TranscriptEntry, _ cmd: String, _ got: ProcessResult) {
            let fix = { (s: String) in s.replacingOccurrences(of: "/tmp/lab/", with: lab.dir + "/") }
            let want = ProcessResult(stdout: fix(e.stdout), stderr: fix(e.stderr), status: e.status ?? 0)
            if got == want { tally.exact += 1; return }
            let mw = ProcessResult(stdout: mask(want.stdout, command: cmd), stderr: mask(want.stderr, command: cmd), status: want.status)
            let mg = ProcessResult(stdout: mask(got.stdout, command: cmd), stderr: mask(got.stderr, command: cmd), status: got.status)
            if mw == mg { tally.masked += 1; return }
            tally.failures.append("\(file):\(e.line) $ \(e.command)\n--- expected\n\(mw)\n--- got\n\(mg)")
        }
        for e in Transcript.parse(text) {
            while let s = starts.first, s.line < e.line {
                starts.removeFirst()
                do { _ = try lab.start(s.name, s.components) } catch {
                    tally.failures.append("\(file): \(error)")
                    return tally
                }
            }
            while let w = dadWaits.first, w.line < e.line {
                dadWaits.removeFirst()
                // As the recording did: wait until the kernel's addresses are past DAD.
                if let server = lab.servers[w.name] { _ = runTool(["ifconfig", "-w", "10"], rumpServer: server.url, timeout: 15) }
            }
            if skipped.contains(where: { $0.file == file && $0.command == e.command && ($0.line == nil || $0.line == e.line) }) {
                tally.skipped += 1
                continue
            }
            guard let k = e.kernel, let server = lab.servers[k] else { tally.failures.append("\(file):\(e.line): no kernel"); continue }
            let cmd = e.command.replacingOccurrences(of: "/tmp/lab/", with: lab.dir + "/")
            let shell = cmd.contains("|")
            let args = shell ? [cmd] : cmd.split(separator: " ").map(String.init)
            // A ping that gets no reply waits 10 intervals after its last request, as NetBSD's:
            // run those side by side (they change no kernel state) and compare at the end.
            // Later commands may change routes: go on only once its last request is out.
            // (ping6 runs in the foreground: its unanswered fd00::99 must be given up, and its
            // neighbor entry gone, before the ndp listings that follow, as in the recording.)
            if e.utility == "ping" && e.status == 2 {
                do { background.append((e, cmd, try startTool(args, rumpServer: server.url, shell: shell))) } catch {
                    tally.failures.append("\(file):\(e.line) $ \(e.command): \(error)")
                }
                let count = Double(option("-c", e.arguments) ?? "1") ?? 1
                let interval = Double(option("-i", e.arguments) ?? "1") ?? 1
                usleep(UInt32(((count - 1) * interval + 0.5) * 1e6))
                continue
            }
            let got = runTool(args, rumpServer: server.url, timeout: 20, shell: shell)
            if runNotCompared.contains(where: { $0.file == file && $0.command == e.command }) {
                tally.skipped += 1
                continue
            }
            compare(e, cmd, got)
        }
        for (e, cmd, r) in background { compare(e, cmd, r.finish(timeout: 30)) }
        print("replay \(file)\(hosted ? " (hosted)" : ""): \(tally.exact) byte for byte, \(tally.masked) after masking, \(tally.skipped) skipped, \(tally.failures.count) failed")
        return tally
    }

    static func option(_ flag: String, _ args: [String]) -> String? {
        args.firstIndex(of: flag).flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil }
    }

    /// Every transcript at once, each in its own thread with its own servers and scratch
    /// directory: ping's waits (10 intervals after an unanswered last request, as NetBSD's)
    /// then overlap instead of adding up.
    /// h-ipv6.txt against kernels with rumpnet_netinet6: inet6 addresses, ping6, ndp, inet6 routes.
    func testReplayIPv6() {
        let t = Self.replay("h-ipv6.txt")
        for m in t.failures { XCTFail(m) }
        XCTAssertGreaterThan(t.exact + t.masked, 4 * t.skipped)
    }

    func testReplayTranscripts() { replayAll(hosted: false) }

    /// The same transcripts against kernels of one rump_host (docs/kernel.md, "Many kernels in
    /// one process"): a utility cannot tell a hosted kernel from a rump_server of its own.
    func testReplayTranscriptsHosted() { replayAll(hosted: true) }

    func replayAll(hosted: Bool) {
        let files = ["c-ifconfig.txt", "d-ping.txt", "e-route.txt", "f-arp-netstat.txt", "g-routed-3kernels.txt"]
        let results = ResultBox(count: files.count)
        let done = DispatchSemaphore(value: 0)
        for (i, f) in files.enumerated() {
            // rumpnet_local (AF_LOCAL sockets) is not a component of ours; the rest is started as recorded.
            Thread { results.set(i, Self.replay(f, hosted: hosted) { $0 != "-lrumpnet_local" }); done.signal() }.start()
        }
        for _ in files { XCTAssertEqual(done.wait(timeout: .now() + 90), .success, "a replay hung") }
        var total = Tally()
        for (i, f) in files.enumerated() {
            guard let t = results.get(i) else { XCTFail("\(f): no result"); continue }
            for m in t.failures { XCTFail(m) }
            total.exact += t.exact; total.masked += t.masked; total.skipped += t.skipped
            total.failures += t.failures
        }
        print("replay total: \(total.exact) byte for byte, \(total.masked) after masking, \(total.skipped) skipped, \(total.failures.count) failed")
        XCTAssertGreaterThan(total.exact + total.masked, 4 * total.skipped)
    }
}

/// Results written by the replay threads, read after they signal.
final class ResultBox: @unchecked Sendable {
    // @unchecked: slots are guarded by the lock.
    private var slots: [ReplayTests.Tally?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ t: ReplayTests.Tally) { lock.lock(); slots[i] = t; lock.unlock() }
    func get(_ i: Int) -> ReplayTests.Tally? { lock.lock(); defer { lock.unlock() }; return slots[i] }
}
