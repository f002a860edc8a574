import Testing
import NetAdmin

/// traceroute's parser, probes, answer classification and lines (NetBSD's LBL traceroute).
@Suite struct TracerouteTests {
    @Test func defaultsAndOptions() throws {
        let o = try #require(TracerouteOptions.parse(["10.0.2.1"], defaultMaxTTL: 64).command)
        #expect(o.host == "10.0.2.1" && o.maxTTL == 64 && o.firstTTL == 1 && o.probes == 3 && o.waitSeconds == 5)
        #expect(o.port == 33434 && !o.useICMP && o.length == 40 && o.packetLength == nil)
        let p = try #require(TracerouteOptions.parse(["-In", "-m", "5", "-q1", "-w", "2", "-f", "2", "-s", "10.0.1.1",
                                                     "-p", "0x8000", "-t", "16", "-z", "10", "host", "100"]).command)
        #expect(p.useICMP && p.numeric && p.maxTTL == 5 && p.probes == 1 && p.waitSeconds == 2 && p.firstTTL == 2)
        #expect(p.source == "10.0.1.1" && p.port == 0x8000 && p.tos == 16 && p.pauseMilliseconds == 10)
        #expect(p.host == "host" && p.length == 100)
        #expect(try #require(TracerouteOptions.parse(["-P", "h"]).command).mtuDiscovery)
    }

    @Test func errorsInNetBSDsWording() {
        func err(_ args: [String]) -> String { TracerouteOptions.parse(args).output?.stderr ?? "" }
        #expect(err(["-m", "0", "h"]) == "traceroute: max ttl must be > 0\n")
        #expect(err(["-m", "256", "h"]) == "traceroute: max ttl must be <= 255\n")
        #expect(err(["-w", "1", "h"]) == "traceroute: wait time must be > 1\n")
        #expect(err(["-q", "x", "h"]) == "traceroute: \"x\" bad value for nprobes\n")
        #expect(err(["-z", "-1", "h"]) == "traceroute: pause msecs must be >= 0\n")
        #expect(err(["h", "39"]) == "traceroute: packet length must be > 39\n")
        #expect(err(["h", "40000"]) == "traceroute: packet length must be <= 32768\n")
        #expect(err(["-f", "9", "-m", "8", "h"]) == "traceroute: first ttl (9) may not be greater than max ttl (8)\n")
        #expect(err(["-f", "31", "h"]) == "traceroute: first ttl (31) may not be greater than max ttl (30)\n")
        // Bad options and operand counts: the usage alone, exit 1 (NetBSD sets opterr = 0).
        for args in [["-Q", "h"], [], ["a", "b", "c"], ["-m"]] {
            let o = TracerouteOptions.parse(args).output
            #expect(o?.status == 1 && o?.stderr == TracerouteOptions.usage && o?.stdout == "", "\(args)")
        }
    }

    static let me = IPv4Address(10, 0, 1, 1), dst = IPv4Address(10, 0, 2, 1), router = IPv4Address(10, 0, 1, 254)

    @Test func udpProbe() {
        let probe = TracerouteProbe(useICMP: false, ident: 0x8123, port: 33434, seq: 2)
        let p = probe.packet(source: Self.me, destination: Self.dst, ttl: 3, length: 40, seconds: 0x01020304, microseconds: 5)
        #expect(p.count == 40)
        #expect(Array(p[0..<4]) == [0x45, 0, 0, 40] && p[8] == 3 && p[9] == 17)
        #expect(Array(p[4..<6]) == [0x81, 0x25])  // ip_id = ident + seq
        #expect(Array(p[12..<20]) == Self.me.bytes + Self.dst.bytes)
        #expect(Array(p[20..<26]) == [0x81, 0x23, 0x82, 0x9c, 0, 20])  // ports ident, 33434 + 2; length 20
        #expect(Array(p[28..<40]) == [2, 3, 0, 0, 1, 2, 3, 4, 0, 0, 0, 5])  // outdata: seq, ttl, pad, tv32
        // The UDP checksum verifies over the pseudo header.
        var sum: UInt32 = Self.me.value >> 16 + Self.me.value & 0xffff + Self.dst.value >> 16 + Self.dst.value & 0xffff + 17 + 20
        for i in stride(from: 20, to: 40, by: 2) { sum += UInt32(p[i]) << 8 | UInt32(p[i + 1]) }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        #expect(sum == 0xffff)
        // Without a known source the checksum is left 0 (RFC 768: none).
        let q = probe.packet(source: .any, destination: Self.dst, ttl: 1, length: 60, seconds: 0, microseconds: 0)
        #expect(q.count == 60 && q[26] == 0 && q[27] == 0 && Array(q[24..<26]) == [0, 40])
    }

    @Test func icmpProbe() {
        let probe = TracerouteProbe(useICMP: true, ident: 0x8001, port: 33434, seq: 7)
        let p = probe.packet(source: Self.me, destination: Self.dst, ttl: 1, length: 40, dontFragment: true, seconds: 9, microseconds: 9)
        #expect(p[9] == 1 && p[6] == 0x40 && p[20] == 8 && Array(p[24..<28]) == [0x80, 0x01, 0, 7])
        var sum: UInt32 = 0
        for i in stride(from: 20, to: 40, by: 2) { sum += UInt32(p[i]) << 8 | UInt32(p[i + 1]) }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        #expect(sum == 0xffff)
    }

    /// An ICMP error as the raw socket delivers it, quoting `quoted`'s first 28 bytes.
    static func icmpError(type: UInt8, code: UInt8, from: IPv4Address, quoting quoted: [UInt8], mtu: UInt16 = 0) -> [UInt8] {
        var ip: [UInt8] = [0x45, 0, 0, 56, 0, 0, 0, 0, 64, 1, 0, 0] + from.bytes + me.bytes
        ip += [type, code, 0, 0, 0, 0, UInt8(mtu >> 8), UInt8(mtu & 0xff)]
        return ip + quoted.prefix(28)
    }

    @Test func classification() {
        let probe = TracerouteProbe(useICMP: false, ident: 0x8123, port: 33434, seq: 4)
        let sent = probe.packet(source: Self.me, destination: Self.dst, ttl: 1, length: 40, seconds: 0, microseconds: 0)
        #expect(TracerouteAnswer.classify(Self.icmpError(type: 11, code: 0, from: Self.router, quoting: sent), probe: probe) == .timeExceeded)
        #expect(TracerouteAnswer.classify(Self.icmpError(type: 3, code: 3, from: Self.dst, quoting: sent), probe: probe)
                == .unreachable(code: 3, nextMTU: 0))
        #expect(TracerouteAnswer.classify(Self.icmpError(type: 3, code: 4, from: Self.dst, quoting: sent, mtu: 576), probe: probe)
                == .unreachable(code: 4, nextMTU: 576))
        // Another probe's (older seq), another program's (ident), reassembly time exceeded, too short.
        var older = probe; older.seq = 3
        #expect(TracerouteAnswer.classify(Self.icmpError(type: 11, code: 0, from: Self.router, quoting: sent), probe: older) == .unrelated)
        var other = probe; other.ident = 0x8124
        #expect(TracerouteAnswer.classify(Self.icmpError(type: 11, code: 0, from: Self.router, quoting: sent), probe: other) == .unrelated)
        #expect(TracerouteAnswer.classify(Self.icmpError(type: 11, code: 1, from: Self.router, quoting: sent), probe: probe) == .unrelated)
        #expect(TracerouteAnswer.classify(Array(Self.icmpError(type: 11, code: 0, from: Self.router, quoting: sent).prefix(40)),
                                          probe: probe) == .unrelated)
        #expect(TracerouteAnswer.classify([0x45, 0, 0], probe: probe) == .unrelated)
        // -I: echo replies with our id and seq, errors quoting our echo.
        let echo = TracerouteProbe(useICMP: true, ident: 0x8001, port: 33434, seq: 5)
        let req = echo.packet(source: Self.me, destination: Self.dst, ttl: 2, length: 40, seconds: 0, microseconds: 0)
        var reply: [UInt8] = [0x45, 0, 0, 40, 0, 0, 0, 0, 63, 1, 0, 0] + Self.dst.bytes + Self.me.bytes
        reply += [0, 0, 0, 0, 0x80, 0x01, 0, 5] + [UInt8](repeating: 0, count: 12)
        #expect(TracerouteAnswer.classify(reply, probe: echo) == .echoReply)
        reply[27] = 4
        #expect(TracerouteAnswer.classify(reply, probe: echo) == .unrelated)
        #expect(TracerouteAnswer.classify(Self.icmpError(type: 11, code: 0, from: Self.router, quoting: req), probe: echo) == .timeExceeded)
        #expect(TracerouteAnswer.classify(Self.icmpError(type: 11, code: 0, from: Self.router, quoting: sent), probe: echo) == .unrelated)
    }

    @Test func lines() {
        #expect(TracerouteFormat.header(host: "c", address: Self.dst, source: nil, maxTTL: 64, packetLength: 40)
                == "traceroute to c (10.0.2.1), 64 hops max, 40 byte packets\n")
        #expect(TracerouteFormat.header(host: "c", address: Self.dst, source: "10.0.1.1", maxTTL: 30, packetLength: 60)
                == "traceroute to c (10.0.2.1) from 10.0.1.1, 30 hops max, 60 byte packets\n")
        // A router hop, numeric: " 1  10.0.1.254  0.123 ms  0.101 ms  0.099 ms".
        var h = TracerouteHop(ttl: 1, numeric: true)
        var s = ""
        for ms in [0.123, 0.101, 0.0994] {
            s += h.probeSent()
            s += h.answered(.timeExceeded, from: Self.router, milliseconds: ms, replyTTL: 64)
        }
        #expect(s == " 1  10.0.1.254  0.123 ms  0.101 ms  0.099 ms")
        #expect(!h.isLast(probes: 3))
        // Names: "name (addr)"; a timeout, then the destination; port unreachable ends the trace.
        var d = TracerouteHop(ttl: 12, numeric: false, names: [Self.dst: "c"])
        s = d.probeSent() + d.timedOut() + d.probeSent()
        s += d.answered(.unreachable(code: 3, nextMTU: 0), from: Self.dst, milliseconds: 1.5, replyTTL: 63)
        #expect(s == "12  * c (10.0.2.1)  1.500 ms")
        #expect(d.isLast(probes: 3))
        // A responder change mid-line, -l's reply TTL, " !" for a reply that came with TTL 1.
        var m = TracerouteHop(ttl: 3, numeric: true, showTTL: true)
        s = m.answered(.timeExceeded, from: Self.router, milliseconds: 1, replyTTL: 254)
        s += m.answered(.echoReply, from: Self.dst, milliseconds: 2, replyTTL: 1)
        #expect(s == " 10.0.1.254  1.000 ms (ttl = 254)\n    10.0.2.1  2.000 ms (ttl = 1) !")
        // Unreachables: marks; the trace stops once half the probes (rounded up) were refused.
        var u = TracerouteHop(ttl: 2, numeric: true)
        var marks = ""
        for (code, mtu) in [(UInt8(0), UInt16(0)), (1, 0), (4, 1400), (5, 0), (13, 0), (14, 0), (15, 0), (9, 0)] {
            marks += u.answered(.unreachable(code: code, nextMTU: mtu), from: Self.router, milliseconds: 0, replyTTL: 64)
        }
        #expect(marks == " 10.0.1.254  0.000 ms !N  0.000 ms !H  0.000 ms !F-1400  0.000 ms !S  0.000 ms !X  0.000 ms !V  0.000 ms !C  0.000 ms !<9>")
        var one = TracerouteHop(ttl: 2, numeric: true)
        _ = one.answered(.unreachable(code: 1, nextMTU: 0), from: Self.router, milliseconds: 0, replyTTL: 64)
        #expect(!one.isLast(probes: 3) && one.isLast(probes: 1))
        _ = one.answered(.unreachable(code: 1, nextMTU: 0), from: Self.router, milliseconds: 0, replyTTL: 64)
        #expect(one.isLast(probes: 3))
        var proto = TracerouteHop(ttl: 2, numeric: true)
        #expect(proto.answered(.unreachable(code: 2, nextMTU: 0), from: Self.dst, milliseconds: 0, replyTTL: 64).hasSuffix(" !P"))
        #expect(proto.isLast(probes: 3))
    }
}

/// nc's parser (OpenBSD netcat's options and messages).
@Suite struct NcOptionsTests {
    @Test func udpModes() throws {
        let l = try #require(NcOptions.parse(["-u", "-l", "5000"]).command)
        #expect(l.udp && l.listen && l.ports == [5000] && l.host == nil && l.timeoutMilliseconds == nil)
        let b = try #require(NcOptions.parse(["-ulv", "-w", "2", "-I", "262144", "10.0.0.1", "5000"]).command)
        #expect(b.listen && b.verbose && b.host == "10.0.0.1" && b.timeoutMilliseconds == 2000 && b.receiveBuffer == 262144)
        let c = try #require(NcOptions.parse(["-un", "-p", "4000", "-s", "10.0.0.2", "-M", "9", "-W", "3", "-N", "-d",
                                              "10.0.0.1", "5000"]).command)
        #expect(c.sourcePort == 4000 && c.sourceAddress == "10.0.0.2" && c.ttl == 9 && c.receiveLimit == 3)
        #expect(c.numeric && c.shutdownOnEOF && c.noStdin && c.ports == [5000])
        let z = try #require(NcOptions.parse(["-uz", "10.0.0.1", "5003-5001"]).command)
        #expect(z.scan && z.ports == [5001, 5002, 5003])
        #expect(NcOptions.parse(["-uk", "-l", "7"]).command?.keepListening == true)
    }

    @Test func errors() {
        func err(_ args: [String]) -> String { NcOptions.parse(args).output?.stderr ?? "" }
        let tcp = NcOptions.parse(["10.0.0.1", "5000"]).command
        #expect(tcp?.udp == false && tcp?.host == "10.0.0.1" && tcp?.ports == [5000])
        #expect(NcOptions.parse(["-l", "5000"]).command?.listen == true)
        #expect(NcOptions.parse(["-l"]).output?.status == 1)
        #expect(err(["-u", "-w", "abc", "h", "1"]) == "nc: timeout invalid: abc\n")
        #expect(err(["-u", "-w", "-1", "h", "1"]) == "nc: timeout too small: -1\n")
        #expect(err(["-u", "h", "70000"]) == "nc: port number too large: 70000\n")
        #expect(err(["-u", "h", "0"]) == "nc: port number too small: 0\n")
        #expect(err(["-u", "h", "echo"]) == "nc: service \"echo\" unknown\n")
        #expect(err(["-u", "-M", "300", "h", "1"]) == "nc: ttl is too large\n")
        #expect(err(["-u", "-l", "-s", "10.0.0.1", "5"]) == "nc: cannot use -s and -l\n")
        #expect(err(["-u", "-l", "-p", "4", "5"]) == "nc: cannot use -p and -l\n")
        #expect(err(["-u", "-l", "-z", "5"]) == "nc: cannot use -z and -l\n")
        #expect(err(["-u", "-k", "h", "5"]) == "nc: must use -l with -k\n")
        #expect(err(["-u", "-6", "h", "5"]) == "nc: -6: IPv6 is not supported yet\n")
        #expect(err(["-u", "-c", "h", "5"]) == "nc: -c: TLS is not supported\n")
        #expect(err(["-u", "-p", "x", "h", "5"]) == "nc: service \"x\" unknown\n")
        // Usage: a lone port without -l, no operands, too many, an unknown option.
        for args in [["-u", "5000"], ["-u"], ["-u", "a", "b", "c"]] {
            #expect(NcOptions.parse(args).output == ToolOutput(stderr: NcOptions.usage, status: 1), "\(args)")
        }
        #expect(err(["-Y"]) == "nc: unknown option -- Y\n" + NcOptions.usage)
        #expect(NcOptions.parse(["-h"]).output?.stderr.hasPrefix(NcOptions.usage + "\tCommand Summary:") == true)
    }

    @Test func messages() {
        #expect(NcMessages.report("Bound", address: .any, port: 5000) == "Bound on 0.0.0.0 5000\n")
        #expect(NcMessages.report("Connection received", address: IPv4Address(10, 0, 0, 2), port: 65000)
                == "Connection received on 10.0.0.2 65000\n")
        #expect(NcMessages.succeeded(host: "10.0.0.1", port: 53, udp: true) == "Connection to 10.0.0.1 53 port [udp/*] succeeded!\n")
        #expect(NcMessages.connectFailed(host: "h", port: 9, udp: true, .ECONNREFUSED)
                == "nc: connect to h port 9 (udp) failed: Connection refused\n")
    }
}

/// netstat's UDP parts against f-arp-netstat.txt (k1, after the recording host's DNS queries).
@Suite struct NetstatUDPTests {
    static var k1UDP: UDPStatistics {
        var u = UDPStatistics()
        u.ipackets = 56; u.noport = 56; u.pcbhashmiss = 112; u.opackets = 56
        return u
    }

    @Test func udpStatistics() {
        let f = NetstatTests.f
        #expect(NetstatCommand.parse(["-s", "-p", "udp"]).command == .statistics([.udp], suppressZero: false))
        expectSame(ToolOutput(stdout: StatisticsFormat.udp(Self.k1UDP)), NetstatTests.entry(f, "netstat -s -p udp").output, "udp")
        let all = NetstatTests.entry(f, "netstat -s").stdout
        #expect(NetstatTests.section(all, "udp") == StatisticsFormat.udp(Self.k1UDP))
        let brief = NetstatTests.entry(f, "netstat -ss").stdout
        #expect(NetstatTests.section(brief, "udp") == StatisticsFormat.udp(Self.k1UDP, suppressZero: true))
        // The udp section comes before ip; without udp counters it is left out.
        let both = StatisticsFormat.report([.tcp, .udp, .ip], ip: NetstatTests.k1IP, icmp: nil, arp: nil, udp: Self.k1UDP)
        #expect(both == StatisticsFormat.udp(Self.k1UDP) + StatisticsFormat.ip(NetstatTests.k1IP))
        #expect(StatisticsFormat.report([.udp, .ip], ip: NetstatTests.k1IP, icmp: nil, arp: nil, udp: nil)
                == StatisticsFormat.ip(NetstatTests.k1IP))
        // "delivered" is what no drop took; one miss has no "es".
        var u = UDPStatistics()
        u.ipackets = 10; u.fullsock = 3; u.badsum = 1; u.pcbhashmiss = 1
        let text = StatisticsFormat.udp(u, suppressZero: true)
        #expect(text == "udp:\n\t10 datagrams received\n\t1 with bad checksum\n\t3 dropped due to full socket buffers\n\t6 delivered\n\t1 PCB hash miss\n")
        var odd = UDPStatistics()
        odd.noport = 5
        #expect(odd.delivered == 0)
    }

    @Test func udpSocketRows() {
        let server = SocketInfo(proto: "udp", localAddress: .any, localPort: 5000)
        let conn = SocketInfo(proto: "udp", receiveQueue: 1056, localAddress: IPv4Address(10, 0, 0, 1), localPort: 5000,
                              foreignAddress: IPv4Address(10, 0, 0, 2), foreignPort: 65001)
        let tcp = SocketInfo(proto: "tcp", localAddress: .any, localPort: 5001, state: "LISTEN")
        let header = "Active Internet connections (including servers)\n"
            + "Proto Recv-Q Send-Q  Local Address          Foreign Address        State\n"
        // TCP first (NetBSD walks tcp's pcblist, then udp's); UDP rows end after the padded foreign column.
        #expect(NetstatFormat.sockets([server, conn, tcp], all: true).stdout == header
                + "tcp        0      0  *.5001                 *.*                    LISTEN\n"
                + "udp        0      0  *.5000                 *.*                   \n"
                + "udp     1056      0  10.0.0.1.5000          10.0.0.2.65001        \n")
        // Without -a only sockets with a peer.
        #expect(NetstatFormat.sockets([server, conn, tcp], all: false).stdout == "Active Internet connections\n"
                + "Proto Recv-Q Send-Q  Local Address          Foreign Address        State\n"
                + "udp     1056      0  10.0.0.1.5000          10.0.0.2.65001        \n")
    }
}

/// Random argument lists through traceroute's and nc's parsers: an answer every time.
@Suite struct UDPToolParserRobustnessTests {
    @Test func randomArguments() {
        var rng = SystemRandomNumberGenerator()
        let words = ParserRobustnessTests.words + ["-I", "-m", "-q", "-z", "-k", "-W", "-M", "-ul", "-uz", "5000", "1-70000"]
        for _ in 0..<3000 {
            let args = (0..<Int.random(in: 0...6, using: &rng)).map { _ in words.randomElement(using: &rng)! }
            switch TracerouteOptions.parse(args) {
            case .run(let o): #expect(o.firstTTL <= o.maxTTL && (1...255).contains(o.maxTTL), "\(args)")
            case .exit(let out): #expect(out.status != 0 && !out.stderr.isEmpty, "\(args)")
            }
            switch NcOptions.parse(args) {
            case .run(let o): #expect(!o.ports.isEmpty && o.ports.allSatisfy { (1...65535).contains($0) }, "\(args)")
            case .exit(let out): #expect(out.status != 0 && !out.stderr.isEmpty, "\(args)")
            }
        }
    }
}
