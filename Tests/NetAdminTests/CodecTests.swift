import Testing
import NetAdmin

@Suite struct CodecTests {
    static let shmif0 = InterfaceInfo(
        name: "shmif0", index: 2, flags: IFF.UP | IFF.BROADCAST | IFF.RUNNING | IFF.SIMPLEX | IFF.MULTICAST, mtu: 1500, metric: -1,
        linkAddress: [0xb2, 0xa0, 0xae, 0x53, 0x15, 0xfd], linkstr: "/tmp/lab/bus", addresses: [
            .inet(InAddr(10, 0, 0, 1), netmask: InAddr(0xffff_ff00), broadcast: InAddr(10, 0, 0, 255)),
            .inet(InAddr(10, 0, 0, 9), netmask: InAddr(0xff00_0000), broadcast: nil, flags: IN_IFF.DETACHED),
            InterfaceAddressInfo(address: .inet6([0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [1], scopeID: 2),
                                 netmask: .inet6([UInt8](repeating: 0xff, count: 8) + [UInt8](repeating: 0, count: 8), scopeID: 0)),
        ], counters: InterfaceCounters(ipackets: 1, ierrors: 2, opackets: 3, oerrors: 4, collisions: 5, ibytes: .max, obytes: 7,
                                       imcasts: 8, omcasts: 9, iqdrops: 10, oqdrops: 11, noproto: 12))

    static let route = RouteInfo(destination: .inet(InAddr(10, 1, 0, 0)), netmask: .inet(InAddr(0xffff_ff00)),
                                 gateway: .inet(InAddr(10, 0, 0, 2)), flags: RTF.UP | RTF.GATEWAY | RTF.STATIC, refs: 3, use: nil,
                                 mtu: 1400, mtuLocked: true, interface: "shmif0", expire: -6)

    static let reply = RouteGetReply(routeTo: .inet(InAddr(10, 1, 0, 5)), destination: .inet(InAddr(10, 1, 0, 0)),
                                     netmask: .inet(InAddr(0xffff_ff00)), gateway: .link(index: 2, name: "shmif0", address: [1, 2, 3, 4, 5, 6]),
                                     localAddress: .inet(InAddr(10, 0, 0, 1)), interface: "shmif0", flags: RTF.UP | RTF.DONE,
                                     metrics: RouteMetrics(recvpipe: 1, sendpipe: 2, ssthresh: 3, rtt: 4, rttvar: 5, hopcount: 6, mtu: 7, expire: -8, locks: 0x81))

    static var icmp: ICMPStatistics {
        var s = ICMPStatistics()
        s.error = 56
        s.outhist[3] = 56
        s.inhist[40] = 1
        return s
    }

    /// Every model's bytes, for round-trip and malformed-input checks.
    static var samples: [(String, [UInt8], ([UInt8]) throws -> Bool)] {
        func entry<T: WireCodable & Equatable>(_ name: String, _ v: T) -> (String, [UInt8], ([UInt8]) throws -> Bool) {
            (name, v.encoded(), { try T(decoding: $0) == v })
        }
        var ip = IPStatistics()
        ip.total = 871
        ip.badaddr = 1
        var arp = ARPStatistics()
        arp.allocfail = 9
        var rt = RouteStatistics()
        rt.unreach = 8
        return [
            entry("InterfaceInfo", shmif0),
            entry("[InterfaceInfo]", [shmif0, InterfaceInfo(name: "lo0", index: 1, flags: IFF.LOOPBACK, mtu: 33624)]),
            entry("RouteInfo", route),
            entry("RouteInfo host", RouteInfo(destination: .inet(.loopback), netmask: nil, gateway: .link(index: 1, name: "lo0", address: []),
                                              flags: RTF.UP | RTF.HOST | RTF.LOCAL, mtu: 33624, interface: "lo0")),
            entry("RouteGetReply", reply),
            entry("ArpInfo", ArpInfo(address: InAddr(10, 0, 0, 2), linkAddress: [1, 2, 3, 4, 5, 6], interface: "shmif0", expire: 1200, published: true)),
            entry("ArpInfo incomplete", ArpInfo(address: InAddr(10, 0, 0, 3), linkAddress: nil, interface: "shmif0")),
            entry("SysctlEntry", SysctlEntry(name: "net.inet.ip.forwarding", value: .int(1))),
            entry("[SysctlEntry]", [SysctlEntry(name: "kern.hostname", value: .string("rump-1.host")),
                                    SysctlEntry(name: "q", value: .quad(-1), writable: false),
                                    SysctlEntry(name: "s", value: .opaque([1, 2])), SysctlEntry(name: "net", value: .node)]),
            entry("IPStatistics", ip),
            entry("ICMPStatistics", icmp),
            entry("ARPStatistics", arp),
            entry("RouteStatistics", rt),
            entry("NetBSDErrno", NetBSDErrno.EHOSTUNREACH),
        ]
    }

    @Test func roundTrips() throws {
        for (name, bytes, check) in Self.samples {
            #expect(try check(bytes), "\(name)")
        }
    }

    /// Every truncation of every encoding throws; nothing traps.
    @Test func truncatedInputThrows() {
        for (name, bytes, check) in Self.samples {
            for n in 0..<bytes.count {
                #expect(throws: WireDecodeError.self, "\(name) cut at \(n)") { _ = try check(Array(bytes[0..<n])) }
            }
            #expect(throws: WireDecodeError.trailingBytes(1), "\(name) + 1") { _ = try check(bytes + [0]) }
        }
    }

    /// Flipping any byte either decodes to something or throws: never a trap, never a hang.
    @Test func corruptedInputNeverTraps() {
        for (_, bytes, check) in Self.samples {
            for i in 0..<bytes.count {
                for v: UInt8 in [0x00, 0x01, 0x02, 0x7f, 0x80, 0xff] {
                    var b = bytes
                    b[i] = v
                    _ = try? check(b)
                }
            }
        }
        // Random bytes, seeded so a failure repeats.
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        for _ in 0..<2000 {
            var b: [UInt8] = []
            state = state &* 6364136223846793005 &+ 1442695040888963407
            for _ in 0..<Int(state >> 58) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                b.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            for (_, _, check) in Self.samples { _ = try? check(b) }
        }
    }

    @Test func rejectsForgedCountsAndTags() {
        // An address list claiming 2^32-1 elements in a few bytes.
        var w = WireWriter()
        w.string("x"); w.u32(1); w.u32(0); w.u32(0); w.i32(0); w.u8(0); w.u8(0); w.u32(.max)
        #expect(throws: WireDecodeError.self) { _ = try InterfaceInfo(decoding: w.bytes) }
        #expect(throws: WireDecodeError.badTag(type: "SockAddr", tag: 9)) { _ = try SockAddr(decoding: [9, 0, 0, 0, 0]) }
        #expect(throws: WireDecodeError.badTag(type: "Optional", tag: 2)) {
            _ = try ArpInfo(decoding: [10, 0, 0, 2, 2])
        }
        #expect(throws: WireDecodeError.badString) { _ = try SysctlValue(decoding: [3, 0, 0, 0, 2, 0xc3, 0x28]) }
        #expect(throws: WireDecodeError.badValue(type: "sockaddr_in6")) { _ = try SockAddr(decoding: [24, 0, 0, 0, 1, 0, 0, 0, 0, 0]) }
        var ip = WireWriter()
        ip.u32(3)
        #expect(throws: WireDecodeError.badValue(type: "IPStatistics")) { _ = try IPStatistics(decoding: ip.bytes) }
    }

    @Test func errnoTexts() {
        let expected: [(NetBSDErrno, String)] = [
            (.EEXIST, "File exists"), (.EBUSY, "Device busy"), (.EINVAL, "Invalid argument"), (.ENXIO, "Device not configured"),
            (.EAFNOSUPPORT, "Address family not supported by protocol family"), (.ESRCH, "No such process"),
            (.ENETUNREACH, "Network is unreachable"), (.EHOSTUNREACH, "No route to host"),
            (.EADDRNOTAVAIL, "Can't assign requested address"), (.EOPNOTSUPP, "Operation not supported"),
            (.ENOENT, "No such file or directory"), (.EHOSTDOWN, "Host is down"), (.EPERM, "Operation not permitted"),
            (NetBSDErrno(9999), "Unknown error: 9999"),
        ]
        for (e, text) in expected { #expect(e.strerror == text) }
        #expect(NetBSDErrno.EHOSTUNREACH.rawValue == 65 && NetBSDErrno.EAFNOSUPPORT.rawValue == 47 && NetBSDErrno.EHOSTUNREACH.name == "EHOSTUNREACH")
    }

    @Test func addressText() {
        #expect(InAddr("10.0.0.300") == nil && InAddr("10.0.0") == nil && InAddr("1.2.3.4.5") == nil && InAddr("") == nil && InAddr("a.b.c.d") == nil)
        #expect(InAddr(inetAton: "0xffffff00") == InAddr(0xffff_ff00) && InAddr(inetAton: "255.255.0.0") == InAddr(0xffff_0000))
        #expect(InAddr(inetAton: "10.1") == InAddr(10, 0, 0, 1) && InAddr(inetAton: "256.1.1.1") == nil && InAddr(inetAton: "") == nil)
        #expect(InAddr(0xffff_ff00).prefixLength == 24 && InAddr(0xff00_ff00).prefixLength == nil && InAddr(0).prefixLength == 0)
        #expect(LinkAddress.parseEthernet("b2:a0:0:0:0:50") == [0xb2, 0xa0, 0, 0, 0, 0x50] && LinkAddress.parseEthernet("zz:zz") == nil)
        #expect(Inet6Text.format(v6([0, 0, 0, 0, 0, 0, 0, 1])) == "::1")
        #expect(Inet6Text.format(v6([0xff02, 0, 0, 0, 0, 1, 0xff00, 1])) == "ff02::1:ff00:1")
        #expect(Inet6Text.format(v6([0xfd00, 1, 0, 1, 0, 0, 0, 1])) == "fd00:1:0:1::1")
        #expect(RouteNames.netname(InAddr(10, 0, 0, 128), mask: InAddr(0xffff_ff80)) == "10.0.0.128/25")
        #expect(RouteNames.netname(InAddr(0), mask: InAddr(0)) == "default")
    }
}

@Suite struct NumberFormatTests {
    /// printf's rounding: by the exact binary value, exact ties to even.
    @Test func fixedDecimalsLikePrintf() {
        func rtt(_ v: Double) -> String {
            let l = PingFormat.reply(PingReply(bytes: 0, from: .any, sequence: 0, ttl: 0, rtt: v))
            return String(l.split(separator: "=").last!.dropLast(" ms\n".count))
        }
        #expect(rtt(0.0425) == "0.043")     // 0.04250000000000000305…
        #expect(rtt(0.0435) == "0.043")     // 0.04349999…
        #expect(rtt(0.0005) == "0.001")     // 0.000500000000000000010…
        #expect(rtt(2.0625) == "2.062")     // exact tie: to even
        #expect(rtt(2.0635) == "2.063")     // 2.06349999…
        #expect(rtt(10) == "10.000" && rtt(5200) == "5200.000" && rtt(0) == "0.000")
        var st = PingStatistics()
        for _ in 0..<16 { st.sent() }
        for i in 0..<15 { st.record(PingReply(bytes: 64, from: .any, sequence: i, ttl: 1, rtt: nil)) }
        // 1/16 lost: 6.25 is an exact tie, printf prints 6.2.
        #expect(PingFormat.statistics(host: "h", st, timing: false).contains("15 packets received, 6.2% packet loss\n"))
    }
}
