import Testing
import NetAdmin

/// A quoted IPv4 datagram as ICMP errors carry it: header, then 8 bytes of ICMP echo or UDP.
func quotedDatagram(src: IPv4Address, dst: IPv4Address, proto: UInt8, ttl: UInt8, length: UInt16, id: UInt16, checksum: UInt16,
                    payload: [UInt8]) -> [UInt8] {
    var b: [UInt8] = [0x45, 0, UInt8(length >> 8), UInt8(length & 0xff), UInt8(id >> 8), UInt8(id & 0xff), 0, 0,
                      ttl, proto, UInt8(checksum >> 8), UInt8(checksum & 0xff)]
    b += src.bytes + dst.bytes
    return b + payload
}

func echoHeader(id: UInt16, seq: UInt16) -> [UInt8] {
    [8, 0, 0, 0, UInt8(id >> 8), UInt8(id & 0xff), UInt8(seq >> 8), UInt8(seq & 0xff)]
}

@Suite struct PingTests {
    /// Recorded times came from a 100 Hz clock with six decimals; ours have three.
    static func threeDecimals(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line.hasPrefix("round-trip min/avg/max/stddev = ") {
                let nums = line.dropFirst("round-trip min/avg/max/stddev = ".count).dropLast(" ms".count)
                    .split(separator: "/").map { reformat(String($0)) }
                return "round-trip min/avg/max/stddev = " + nums.joined(separator: "/") + " ms"
            }
            return line.split(separator: " ", omittingEmptySubsequences: false).map { w in
                w.hasPrefix("time=") ? "time=" + reformat(String(w.dropFirst(5))) : String(w)
            }.joined(separator: " ")
        }.joined(separator: "\n")
    }

    static func reformat(_ s: String) -> String {
        guard let d = Double(s) else { return s }
        let parts = s.split(separator: ".")
        return parts.count == 2 && parts[1].count == 6 ? fixed3(d) : s
    }

    static func fixed3(_ d: Double) -> String {
        // Through the formatter itself: a reply line carries the same rounding.
        let line = PingFormat.reply(PingReply(bytes: 0, from: .any, sequence: 0, ttl: 0, rtt: d))
        return String(line.split(separator: "=").last!.dropLast(" ms\n".count))
    }

    /// What the kernel did during one recorded ping, read from its transcript: the replies and
    /// ICMP errors it printed. The session (header, lines, statistics, status) is then rebuilt
    /// through the library and compared with the recording.
    static func replay(_ e: TranscriptEntry, netinet: Bool) -> ToolOutput? {
        let o: PingOptions
        switch PingOptions.parse(e.arguments) {
        case .exit(let out): return out
        case .run(let opts): o = opts
        }
        guard let addr = HostResolver().resolve(o.host) else { return PingFormat.cannotResolve(o.host) }
        guard netinet else { return PingFormat.cannotCreateSocket(.EAFNOSUPPORT) }
        var out = ToolOutput(stdout: PingFormat.header(host: o.host, address: addr, dataLength: o.dataLength))
        var st = PingStatistics()
        let interrupted = e.annotation?.contains("SIGINT") == true
        let lines = e.stdout.split(separator: "\n").map(String.init)
        var replies = 0
        for line in lines {
            let w = line.split(separator: " ").map(String.init)
            guard w.count >= 5, w[1] == "bytes", w[2] == "from" else { continue }
            let from = IPv4Address(String(w[3].dropLast()))!
            if w[4].hasPrefix("icmp_seq=") {
                let rtt = w.count > 6 ? Double(w[6].dropFirst(5)) : nil
                let r = PingReply(bytes: Int(w[0])!, from: from, sequence: Int(w[4].dropFirst(9))!,
                                  ttl: Int(w[5].dropFirst(4))!, rtt: rtt)
                st.record(r, at: 0)
                out.stdout += PingFormat.reply(r)
                replies += 1
            } else if let seq = w.last?.split(separator: "=").last.flatMap({ UInt16($0) }) {
                let q = quotedDatagram(src: .any, dst: addr, proto: 1, ttl: 1, length: 84, id: 0, checksum: 0,
                                       payload: echoHeader(id: 1, seq: seq))
                out.stdout += PingFormat.icmpError(PingICMPError(bytes: Int(w[0])!, from: from, type: 11, code: 0, quoted: q), verbose: false)
            }
        }
        // -q and -f print no reply lines: take the replies from the statistics line; the one
        // -q run's times (min 0, avg 2, max 10 of 5) imply one 10 ms reply.
        if o.quiet || o.flood, let s = lines.first(where: { $0.contains("packets received") }) {
            let n = Int(s.split(separator: " ")[3])!
            for i in 0..<n {
                st.record(PingReply(bytes: 64, from: addr, sequence: i, ttl: 255, rtt: i == 0 && o.quiet ? 10 : 0), at: 0)
                // One dot and one backspace: flood output depends on timing, and on a terminal
                // repeated ".\b" looks the same as the single one recorded.
                if o.flood && i == 0 { out.stdout += PingFormat.floodSent + PingFormat.floodReceived }
            }
        }
        let sent = interrupted ? replies : o.count ?? 0
        for _ in 0..<sent { st.sent(at: 0) }
        if e.stderr.contains("sendto: ") { out.stderr += PingFormat.sendFailed(.EHOSTUNREACH) }
        out.stdout += PingFormat.statistics(host: o.host, st, timing: o.timing, flood: o.flood)
        out.status = PingFormat.exitStatus(st)
        return out
    }

    /// Every ping of d-ping.txt and g-routed-3kernels.txt, except the -v runs (dedicated test
    /// below) and the by-nature differences checked separately.
    @Test(arguments: ["d-ping.txt", "g-routed-3kernels.txt", "f-arp-netstat.txt"])
    func replayTranscript(file: String) {
        var checked = 0
        for e in Vectors.load(file) where e.utility == "ping" {
            if e.arguments.contains("-v") { continue }
            guard let ours = Self.replay(e, netinet: e.kernel != "k3") else { continue }
            var want = e.output
            want.stdout = Self.threeDecimals(want.stdout)
            if e.command.hasSuffix("localhost") {
                // NetBSD's rump kernel had no resolver; we resolve localhost.
                #expect(ours.stdout.hasPrefix("PING localhost (127.0.0.1): 56 data bytes\n"))
                continue
            }
            if e.annotation?.contains("SIGINT") == true {
                // rumpctrl stubbed sigaction: NetBSD prints the statistics on SIGINT, as we do.
                #expect(ours.stdout.hasPrefix(want.stdout) && ours.stdout.contains(" PING Statistics----\n"), "\(e.command)")
                #expect(ours.status == (e.arguments.contains("-q") ? 2 : 0))
                checked += 1
                continue
            }
            expectSame(ours, want, "\(file) line \(e.line): \(e.command)")
            checked += 1
        }
        #expect(checked == ["d-ping.txt": 31, "g-routed-3kernels.txt": 10, "f-arp-netstat.txt": 2][file])
    }

    /// A port unreachable from the recording host's own resolver traffic (lo0, to port 53).
    static func resolverNoise(_ sport: UInt16) -> String {
        let q = quotedDatagram(src: .loopback, dst: .loopback, proto: 17, ttl: 64, length: 0x0043, id: 0, checksum: 0,
                               payload: [UInt8(sport >> 8), UInt8(sport & 0xff), 0, 53, 0, 0, 0, 0])
        return PingFormat.icmpError(PingICMPError(bytes: 56, from: .loopback, type: 3, code: 3, quoted: q), verbose: true)
    }

    /// The -v runs: the port unreachables are the recording kernel's resolver traffic (ping -v
    /// shows every ICMP error), the time exceeded answers our TTL-1 requests.
    @Test func verboseDumps() {
        let g = Vectors.load("g-routed-3kernels.txt"), d = Vectors.load("d-ping.txt")
        // ping -c 2 -T 1 -v 10.0.2.1
        var s = PingFormat.header(host: "10.0.2.1", address: IPv4Address(10, 0, 2, 1), dataLength: 56)
        s += Self.resolverNoise(50575) + Self.resolverNoise(53748)
        for (seq, ipid, sum) in [(UInt16(0), UInt16(0x0011), UInt16(0xa297)), (1, 0x0012, 0xa296)] {
            let q = quotedDatagram(src: IPv4Address(10, 0, 1, 1), dst: IPv4Address(10, 0, 2, 1), proto: 1, ttl: 1, length: 84, id: ipid,
                                   checksum: sum, payload: echoHeader(id: 53238, seq: seq))
            s += PingFormat.icmpError(PingICMPError(bytes: 36, from: IPv4Address(10, 0, 1, 254), type: 11, code: 0, quoted: q), verbose: true)
        }
        var lost = PingStatistics()
        lost.sent(); lost.sent()
        s += PingFormat.statistics(host: "10.0.2.1", lost, timing: true)
        let ttl = g.first { $0.command == "ping -c 2 -T 1 -v 10.0.2.1" }!
        expectSame(ToolOutput(stdout: s, status: PingFormat.exitStatus(lost)), ttl.output, ttl.command)
        // ping -c 2 -v 10.0.2.1 with forwarding off: nothing but the noise.
        let off = g.first { $0.command == "ping -c 2 -v 10.0.2.1" }!
        let quiet = PingFormat.header(host: "10.0.2.1", address: IPv4Address(10, 0, 2, 1), dataLength: 56)
            + Self.resolverNoise(57736) + Self.resolverNoise(63322) + PingFormat.statistics(host: "10.0.2.1", lost, timing: true)
        expectSame(ToolOutput(stdout: quiet, status: 2), off.output, off.command)
        // ping -c 2 -v 10.0.0.2 of d: noise, then two replies.
        let peer = IPv4Address(10, 0, 0, 2)
        var st = PingStatistics()
        var out = PingFormat.header(host: "10.0.0.2", address: peer, dataLength: 56) + Self.resolverNoise(61111) + Self.resolverNoise(60837)
        for seq in 0..<2 {
            st.sent()
            let r = PingReply(bytes: 64, from: peer, sequence: seq, ttl: 255, rtt: 0)
            st.record(r)
            out += PingFormat.reply(r)
        }
        out += PingFormat.statistics(host: "10.0.0.2", st, timing: true)
        let v = d.first { $0.command == "ping -c 2 -v 10.0.0.2" }!
        var want = v.output
        want.stdout = Self.threeDecimals(want.stdout)
        expectSame(ToolOutput(stdout: out, status: 0), want, v.command)
    }

    @Test func statisticsEdgeCases() {
        var st = PingStatistics()
        st.sent()
        st.record(PingReply(bytes: 64, from: .loopback, sequence: 0, ttl: 64, rtt: 0.043))
        st.record(PingReply(bytes: 64, from: .loopback, sequence: 0, ttl: 64, rtt: 0.05, duplicate: true))
        #expect(PingFormat.reply(PingReply(bytes: 64, from: .loopback, sequence: 0, ttl: 64, rtt: 0.043, duplicate: true))
                == "64 bytes from 127.0.0.1: icmp_seq=0 ttl=64 time=0.043 ms (DUP!)\n")
        #expect(PingFormat.statistics(host: "h", st, timing: true)
                == "\n----h PING Statistics----\n1 packets transmitted, 1 packets received, +1 duplicates, 0.0% packet loss\nround-trip min/avg/max/stddev = 0.043/0.046/0.050/0.005 ms\n")
        let none = PingStatistics()
        #expect(PingFormat.statistics(host: "h", none, timing: true) == "\n----h PING Statistics----\n0 packets transmitted, 0 packets received, \n")
        #expect(PingFormat.exitStatus(none) == 2)
    }

    @Test func parsesOptions() {
        let o = PingOptions.parse(["-c3", "-i", "0.2", "-s", "100", "-T", "5", "-qn", "host"]).command
        #expect(o?.count == 3 && o?.interval == 0.2 && o?.dataLength == 100 && o?.ttl == 5 && o?.quiet == true && o?.numeric == true)
        #expect(PingOptions.parse(["-s", "65467", "h"]).command?.dataLength == 65467)
        #expect(PingOptions.parse(["-s", "65468", "h"]).output == .errx("ping", "packet size is too large"))
        #expect(PingOptions.parse(["-c"]).output == ToolOutput(stderr: "ping: option requires an argument -- c\n" + PingOptions.usage, status: 1))
        #expect(PingOptions.parse(["a", "b"]).output?.stderr == PingOptions.usage)
    }
}

/// The DUP! table after the 16-bit sequence wraps (docs/UTILITIES.md, ping): on the model, as
/// ping's main loop drives it (a send clears the bit, a reply sets it), no clock involved.
@Suite struct PingDuplicateTests {
    /// 70 000 echoes, each answered once: sequence numbers wrap past 65 535 and the table's
    /// 16 384 bits are reused many times, yet every reply counts as received.
    @Test func seventyThousandRepliesAfterTheWrapAreNotDuplicates() {
        var seen = PingDuplicates()
        var st = PingStatistics()
        for n in 0..<70_000 {
            let seq = Int(UInt16(truncatingIfNeeded: n))
            seen.sent(sequence: seq)
            st.sent()
            let dup = seen.received(sequence: seq)
            st.record(PingReply(bytes: 64, from: .loopback, sequence: seq, ttl: 64, rtt: nil, duplicate: dup))
        }
        #expect(st.transmitted == 70_000)
        #expect(st.received == 70_000)
        #expect(st.repeats == 0)
    }

    /// A reply that comes twice before its sequence number is sent again is a DUP!; so is
    /// one for a sequence number sharing its bit (n and n + 16 384) that was not sent anew.
    @Test func repeatsBeforeReuseAreDuplicates() {
        var seen = PingDuplicates()
        seen.sent(sequence: 5)
        #expect(seen.received(sequence: 5) == false)
        #expect(seen.received(sequence: 5) == true)
        #expect(seen.received(sequence: 5 + PingDuplicates.size) == true)
        seen.sent(sequence: 5 + PingDuplicates.size)
        #expect(seen.received(sequence: 5 + PingDuplicates.size) == false)
        // Late replies after the wrap: 65 535 answered, then 0 sent and answered.
        seen.sent(sequence: 65_535)
        #expect(seen.received(sequence: 65_535) == false)
        seen.sent(sequence: 0)
        #expect(seen.received(sequence: 0) == false)
        #expect(seen.received(sequence: 65_535) == true)
    }

    /// What ping printed before: a table keyed by the 16-bit sequence number and never
    /// cleared counted every reply after the wrap as a duplicate. The model must not.
    @Test func theOldTableWouldHaveCountedDuplicates() {
        var old = [UInt64](repeating: 0, count: 65536 / 64)
        var oldRepeats = 0
        var seen = PingDuplicates()
        var repeats = 0
        for n in 0..<70_000 {
            let seq = Int(UInt16(truncatingIfNeeded: n))
            let word = seq / 64, bit = UInt64(1) << UInt64(seq % 64)
            if old[word] & bit != 0 { oldRepeats += 1 }
            old[word] |= bit
            seen.sent(sequence: seq)
            if seen.received(sequence: seq) { repeats += 1 }
        }
        #expect(oldRepeats == 70_000 - 65_536)
        #expect(repeats == 0)
    }
}
