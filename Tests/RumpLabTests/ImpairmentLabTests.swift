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
}
