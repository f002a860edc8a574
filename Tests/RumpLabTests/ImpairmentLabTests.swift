import Foundation
import TestSupport
import Testing
@testable import RumpLab

/// Link impairments in real labs: rump_servers, our ping through `rumpnet-lab exec`, and the
/// impairment changed at run time by kernel request.
@Suite(.serialized) struct ImpairmentLabTests {
    let lab = executable("rumpnet-lab")

    func topology(_ name: String, impairA: String?, impairB: String?) -> String {
        func iface(_ addr: String, _ imp: String?) -> String {
            #"{"name": "shmif0", "bus": "lan0", "addresses": ["\#(addr)"]\#(imp.map { #", "impair": "\#($0)""# } ?? "")}"#
        }
        return """
        {"name": "\(name)", "buses": {"lan0": {}},
         "nodes": {"a": {"interfaces": [\(iface("10.0.0.1/24", impairA))]},
                   "b": {"interfaces": [\(iface("10.0.0.2/24", impairB))]}}}
        """
    }

    /// round-trip min/avg/max/stddev = 40.1/40.3/41.0/0.2 ms: the average.
    func averageRTT(_ out: String) -> Double? {
        guard let line = out.split(separator: "\n").first(where: { $0.contains("round-trip") }),
              let eq = line.firstIndex(of: "=") else { return nil }
        let fields = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces).split(separator: "/")
        return fields.count >= 2 ? Double(fields[1]) : nil
    }

    /// The median of the per-reply times after the first (which also waits for ARP, delayed too).
    func medianRTT(_ out: String) -> Double? {
        let times = out.split(separator: "\n").filter { $0.contains("icmp_seq=") && !$0.contains("icmp_seq=0 ") }
            .compactMap { l in l.range(of: "time=").flatMap { Double(l[$0.upperBound...].split(separator: " ")[0]) } }.sorted()
        return times.isEmpty ? nil : times[times.count / 2]
    }

    func received(_ out: String) -> Int? {
        guard let line = out.split(separator: "\n").first(where: { $0.contains("packets received") }) else { return nil }
        let parts = line.split(separator: ",")
        return parts.count >= 2 ? Int(parts[1].trimmingCharacters(in: .whitespaces).split(separator: " ")[0]) : nil
    }

    @Test func topologyImpairIsValidatedWithItsPath() {
        let bad = TopologyLoader.load(text: topology("impbad", impairA: "delay 20qs", impairB: "loss 120%"))
        #expect(bad.topology == nil)
        let messages = bad.diagnostics.map { "\($0.path?.description ?? ""): \($0.message)" }
        #expect(messages.contains { $0.hasPrefix("nodes.a.interfaces[0].impair: \"20qs\": not a time") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("nodes.b.interfaces[0].impair: \"120%\": a percentage over 100") }, "\(messages)")
        let good = TopologyLoader.load(text: topology("impgood", impairA: "delay 20ms loss 1%", impairB: nil))
        #expect(good.topology?.nodes.first { $0.name == "a" }?.interfaces.first?.impair == "delay 20ms loss random 1%")
    }

    @Test func delayLossAndLinkStateInARunningLab() throws {
        let box = LabRunnerTests.Sandbox()
        let file = box.dir.file("impdelay.json")
        try topology("impdelay", impairA: "delay 20ms", impairB: "delay 20ms").write(toFile: file, atomically: true, encoding: .utf8)
        let up = try run(lab, ["up", file], environment: box.env, timeout: 60)
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        defer {
            _ = try? run(lab, ["down", "impdelay"], environment: box.env)
            #expect(box.leftovers.isEmpty)
        }
        func ping(_ args: [String]) throws -> ProcessResult {
            try run(lab, ["exec", "a", "--", "ping"] + args + ["10.0.0.2"], environment: box.env, timeout: 60)
        }
        // 20 ms each way, from the topology file.
        let p = try ping(["-c", "6", "-i", "0.2"])
        #expect(p.status == 0, "\(p.stdout)\(p.stderr)")
        #expect(averageRTT(p.stdout) != nil)
        let rtt = try #require(medianRTT(p.stdout), "\(p.stdout)")
        #expect(rtt >= 40 && rtt < 60, "\(p.stdout)")
        let status = try run(lab, ["status", "impdelay"], environment: box.env)
        #expect(status.stdout.contains("impair a shmif0: delay 20ms: egress dropped 0 delayed "), "\(status.stdout)")
        let json = try run(lab, ["status", "--json", "impdelay"], environment: box.env)
        #expect(json.stdout.contains(#""impair":"delay 20ms","counters":{"egress.frames":"#), "\(json.stdout)")

        // At run time, nothing restarted: b's delay to 50 ms gives 70 ms.
        let pidsBefore = box.leftovers.sorted()
        let imp = try run(lab, ["impair", "b", "shmif0", "delay", "50ms"], environment: box.env)
        #expect(imp.status == 0, "\(imp.stderr)")
        let p2 = try ping(["-c", "6", "-i", "0.2"])
        let rtt2 = try #require(medianRTT(p2.stdout), "\(p2.stdout)")
        #expect(rtt2 >= 70 && rtt2 < 90 && rtt2 > rtt + 20, "\(p2.stdout)")
        #expect(box.leftovers.sorted() == pidsBefore)

        // A bad word is refused with the word named.
        let bad = try run(lab, ["impair", "b", "shmif0", "delay", "5parsecs"], environment: box.env)
        #expect(bad.status != 0 && bad.stderr.contains("\"5parsecs\": not a time"), "\(bad.stderr)")

        // Link down: pings fail; up: they come back.
        #expect(try run(lab, ["link", "a", "shmif0", "down"], environment: box.env).status == 0)
        let dead = try ping(["-c", "3", "-i", "0.2"])
        #expect(dead.status != 0 && received(dead.stdout) == 0, "\(dead.stdout)")
        #expect(try run(lab, ["link", "a", "shmif0", "up"], environment: box.env).status == 0)
        let alive = try ping(["-c", "3", "-i", "0.2"])
        #expect(alive.status == 0 && received(alive.stdout) == 3, "\(alive.stdout)")

        // 10 % loss one way over 500 pings: between 6 % and 14 % lost.
        #expect(try run(lab, ["impair", "b", "shmif0", "clear"], environment: box.env).status == 0)
        #expect(try run(lab, ["impair", "a", "shmif0", "loss", "random", "10%", "seed", "5"], environment: box.env).status == 0)
        let lossy = try ping(["-c", "500", "-i", "0.01"])
        let got = try #require(received(lossy.stdout), "\(lossy.stdout)\(lossy.stderr)")
        #expect(got >= 430 && got <= 470, "\(lossy.stdout.split(separator: "\n").suffix(3))")
    }

    /// `buses.B.impair`: a string impairs every rump node's link to the bus (an interface's own
    /// `impair` wins), an object one node's link; mistakes are named by their JSON path.
    @Test func busImpairIsGivenToTheNodesLinks() throws {
        let text = """
        {"name": "impbus", "buses": {"lan0": {"impair": "delay 10ms loss 2%"}, "lan1": {"impair": {"b": "rate 10mbit"}}},
         "nodes": {"a": {"interfaces": [{"bus": "lan0", "addresses": ["10.0.0.1/24"]}, {"bus": "lan1", "addresses": ["10.0.1.1/24"]}]},
                   "b": {"interfaces": [{"bus": "lan0", "addresses": ["10.0.0.2/24"], "impair": "delay 1ms"},
                                        {"bus": "lan1", "addresses": ["10.0.1.2/24"]}]}}}
        """
        let load = TopologyLoader.load(text: text)
        let t = try #require(load.topology, "\(load.diagnostics)")
        #expect(t.node(named: "a")?.interfaces.map(\.impair) == ["delay 10ms loss random 2%", nil])
        #expect(t.node(named: "b")?.interfaces.map(\.impair) == ["delay 1ms", "rate 10mbit"])
        // The canonical copy up keeps has the impairments on the interfaces, and reads back the same.
        let again = TopologyLoader.load(text: TopologyWriter.json(t))
        #expect(again.topology?.nodes.map(\.interfaces) == t.nodes.map(\.interfaces), "\(again.diagnostics)")

        let bad = """
        {"name": "impbusbad",
         "buses": {"lan0": {"impair": {"a": "delay 10ms", "c": "delay 1ms", "bb": "loss 1%", "lx": "delay 1ms"}},
                   "lan1": {"impair": {"a": "delay -3ms", "b": "loss 101%", "lx": 5}},
                   "lan2": {"impair": 7}, "lan3": {"impair": "rate 10mbits"}},
         "nodes": {"a": {"interfaces": [{"bus": "lan0", "addresses": ["10.0.0.1/24"], "impair": "delay 1ms"}, {"bus": "lan1"}]},
                   "bb": {"interfaces": [{"bus": "lan1"}]},
                   "b": {"interfaces": [{"bus": "lan1"}, {"bus": "lan2"}, {"bus": "lan3"}]},
                   "lx": {"kind": "linux", "interfaces": [{"bus": "lan0", "addresses": ["10.0.0.9/24"]}]}}}
        """
        /// Every line of `expected` begins one of the load's messages (path: message).
        func expectMessages(_ text: String, _ expected: [String]) {
            let load = TopologyLoader.load(text: text)
            #expect(load.topology == nil)
            let messages = load.diagnostics.map { "\($0.path?.description ?? ""): \($0.message)" }
            for e in expected { #expect(messages.contains { $0.hasPrefix(e) }, "\(e) in \(messages)") }
        }
        expectMessages(bad, [
            "buses.lan1.impair.a: \"-3ms\": a time cannot be negative",
            "buses.lan1.impair.b: \"101%\": a percentage over 100",
            "buses.lan1.impair.lx: expected a string (netem's words), got integer",
            "buses.lan2.impair: expected a string (netem's words for every node's link to this bus) or an object",
            "buses.lan3.impair: \"10mbits\": not a rate",
        ])
        // lan0 is fine itself: its entries are judged against the nodes.
        let bus0 = bad.replacingOccurrences(of: #""lan1": {"impair": {"a": "delay -3ms", "b": "loss 101%", "lx": 5}}"#, with: #""lan1": {}"#)
            .replacingOccurrences(of: #""lan2": {"impair": 7}, "lan3": {"impair": "rate 10mbits"}"#, with: #""lan2": {}, "lan3": {}"#)
        expectMessages(bus0, [
            "buses.lan0.impair.a: node a's link to bus lan0 is also impaired at nodes.a.interfaces[0].impair; give it in one place",
            "buses.lan0.impair.c: unknown node \"c\"",
            "buses.lan0.impair.bb: node bb has no interface on bus lan0",
            "buses.lan0.impair.lx: node lx is a linux node",
        ])
    }

    /// Polls a node's `netstat -an -f inet` until something listens on `port`.
    func waitForListener(_ box: LabRunnerTests.Sandbox, _ node: String, _ port: Int) throws -> Bool {
        for _ in 0..<200 {
            let out = try run(lab, ["exec", node, "--", "netstat", "-an", "-f", "inet"], environment: box.env).stdout
            if out.contains("*.\(port) ") && out.contains("LISTEN") { return true }
            usleep(50_000)
        }
        return false
    }

    func sha256(_ path: String) throws -> String {
        String(try run("/usr/bin/sha256sum", [path]).stdout.prefix(64))
    }

    /// ttcp -r in `to` (its output to `out`, or discarded with -s), ttcp -t in `from` (from `input`,
    /// or -s's pattern): the receiver's byte count and seconds from its "N bytes in ... KB/sec" line.
    func ttcp(_ box: LabRunnerTests.Sandbox, from: String, to: String, address: String, port: Int,
              input: String?, out: String?, sourceArgs: [String] = []) throws -> (bytes: Int, seconds: Double, stderr: String) {
        let rx = try Background(lab, ["exec", to, "--", "/bin/sh", "-c",
                                      out.map { "exec ttcp -r -p \(port) > \($0)" } ?? "exec ttcp -r -s -p \(port)"],
                                environment: box.env)
        defer { rx.kill9() }
        #expect(try waitForListener(box, to, port), "no ttcp listener in \(to)")
        let cmd = "exec ttcp -t -p \(port) " + sourceArgs.joined(separator: " ") + " \(address)" + (input.map { " < \($0)" } ?? "")
        let tx = try run(lab, ["exec", from, "--", "/bin/sh", "-c", cmd], environment: box.env, timeout: 120)
        #expect(tx.status == 0, "\(tx)")
        let r = rx.finish(timeout: 60)
        #expect(r.status == 0, "\(r)")
        // ttcp-r: 2000000 bytes in 3.21 real seconds = 608.45 KB/sec +++
        guard let line = r.stderr.split(separator: "\n").first(where: { $0.contains(" bytes in ") && $0.contains("KB/sec") }) else {
            Issue.record("no ttcp-r summary: \(r.stderr)")
            return (0, 0, r.stderr)
        }
        let words = line.split(separator: " ")
        let bytes = Int(words[1]) ?? 0
        let kbps = words.firstIndex(of: "=").flatMap { Double(words[$0 + 1]) } ?? 0
        return (bytes, kbps > 0 ? Double(bytes) / (kbps * 1024) : 0, r.stderr)
    }

    /// With TCP: a file through delay 10 ms and 2 % loss each way (the bus's impair) arrives
    /// whole, with NewReno and with CUBIC, whose transfer times differ.
    @Test func tcpThroughDelayAndLossWithNewRenoAndCubic() throws {
        let box = LabRunnerTests.Sandbox()
        let file = box.dir.file("imptcp.json")
        try """
        {"name": "imptcp", "buses": {"lan0": {"impair": "delay 10ms loss random 2% seed 7"}},
         "nodes": {"a": {"interfaces": [{"bus": "lan0", "addresses": ["10.0.0.1/24"]}]},
                   "b": {"interfaces": [{"bus": "lan0", "addresses": ["10.0.0.2/24"]}]}}}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let up = try run(lab, ["up", file], environment: box.env, timeout: 60)
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        defer {
            _ = try? run(lab, ["down", "imptcp"], environment: box.env)
            #expect(box.leftovers.isEmpty)
        }
        let input = box.dir.file("in.bin")
        var bytes = [UInt8](repeating: 0, count: 1_500_000)
        var x: UInt32 = 12345
        for i in bytes.indices { x = x &* 1_103_515_245 &+ 12345; bytes[i] = UInt8(truncatingIfNeeded: x >> 16) }
        #expect(FileManager.default.createFile(atPath: input, contents: Data(bytes)))
        let want = try sha256(input)
        var times: [String: Double] = [:]
        for (k, cc) in ["newreno", "cubic"].enumerated() {
            for node in ["a", "b"] {
                let set = try run(lab, ["exec", node, "--", "sysctl", "-w", "net.inet.tcp.congctl.selected=\(cc)"], environment: box.env)
                #expect(set.status == 0 && set.stdout.contains("-> \(cc)"), "\(set)")
            }
            let out = box.dir.file("out-\(cc).bin")
            let t = try ttcp(box, from: "a", to: "b", address: "10.0.0.2", port: 5001 + k, input: input, out: out)
            #expect(t.bytes == bytes.count, "\(cc): \(t.stderr)")
            #expect(try sha256(out) == want, "\(cc): the file arrived changed")
            times[cc] = t.seconds
            print("tcp through delay 10ms loss 2% each way, \(cc): \(bytes.count) bytes in \(t.seconds) s")
        }
        let nr = try #require(times["newreno"]), cu = try #require(times["cubic"])
        #expect(nr > 0 && cu > 0 && nr != cu, "newreno \(nr) s, cubic \(cu) s")
        // Both links lost and delayed frames (the counters of status --json).
        let json = try run(lab, ["status", "--json", "imptcp"], environment: box.env)
        let obj = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        let imps = try #require(obj["impairments"] as? [[String: Any]])
        #expect(imps.count == 2)
        for i in imps {
            let c = try #require(i["counters"] as? [String: Int])
            #expect((c["egress.dropped"] ?? 0) > 0 && (c["egress.delayed"] ?? 0) > 0, "\(i)")
        }
    }

    /// `rate 10mbit` on the sender's link: ttcp gets about 1.2 MB/s (10 Mbit/s of frames, 1448 of
    /// each 1514 bytes payload), and the rate limit's counters show its queue and its tail drops.
    @Test func rateCapsTtcp() throws {
        let box = LabRunnerTests.Sandbox()
        let file = box.dir.file("imprate.json")
        try topology("imprate", impairA: "rate 10mbit limit 10", impairB: nil).write(toFile: file, atomically: true, encoding: .utf8)
        let up = try run(lab, ["up", file], environment: box.env, timeout: 60)
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        defer {
            _ = try? run(lab, ["down", "imprate"], environment: box.env)
            #expect(box.leftovers.isEmpty)
        }
        let t = try ttcp(box, from: "a", to: "b", address: "10.0.0.2", port: 5001, input: nil, out: nil,
                         sourceArgs: ["-s", "-l", "65536", "-n", "64"])
        #expect(t.bytes == 64 * 65536, "\(t.stderr)")
        let rate = Double(t.bytes) / t.seconds
        print("ttcp through rate 10mbit: \(t.bytes) bytes in \(t.seconds) s = \(rate / 1e6) MB/s")
        #expect(rate > 0.9e6 && rate < 1.3e6, "\(rate / 1e6) MB/s")
        let show = try run(lab, ["impair", "a", "shmif0", "show"], environment: box.env)
        #expect(show.status == 0, "\(show)")
        print(show.stdout)
        let lines = show.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.split(separator: " ") == ["Node", "Iface", "Dir", "Frames", "Deliv", "Drop", "Delay", "Dup", "Corrupt",
                                                       "Reorder", "RateLim", "RateDrop", "DownDrop", "Queue"], "\(show.stdout)")
        let egress = try #require(lines.first { $0.hasPrefix("a ") && $0.contains(" egress ") }, "\(show.stdout)")
        let f = egress.split(separator: " ").compactMap { UInt64($0) }
        #expect(f.count == 11, "\(egress)")
        if f.count == 11 {
            #expect(f[0] > 2800 && f[7] > 0 && f[8] > 0, "frames \(f[0]), rate-limited \(f[7]), rate-dropped \(f[8]): \(egress)")
        }
        #expect(lines.last == "a shmif0: rate 10mbit limit 10", "\(show.stdout)")
        // status --impair: the same table for every impaired interface of the lab.
        let st = try run(lab, ["status", "--impair", "imprate"], environment: box.env)
        let sl = st.stdout.split(separator: "\n").map(String.init)
        #expect(st.status == 0 && sl.count == 4 && sl.first == lines.first, "\(st.stdout)")
        #expect(sl.contains { (l: String) in l.hasPrefix("a ") && l.contains(" egress ") } && sl.last == "a shmif0: rate 10mbit limit 10", "\(st.stdout)")
    }
}
