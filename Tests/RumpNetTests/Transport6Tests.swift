import Testing
@testable import RumpNet

// UDP and TCP over IPv6 between stacks on virtual time: AF_INET6 sockets, sockaddr_in6 scopes,
// IPV6_V6ONLY, ports shared with IPv4, port unreachable, TCP's handshake, data, close, resets
// and packet too big.

/// AF_INET6 sockets and data on them, for the tests below.
enum T6 {
    static let llA = v6("fe80::b0a0:11ff:fe7c:68f8"), llB = v6("fe80::b0a0:7fff:fe87:c1ba")

    static func udp6(_ s: NetStack) throws -> Int32 {
        try s.socket(domain: SocketConstants.AF_INET6, type: SocketConstants.SOCK_DGRAM, protocol: 0)
    }
    static func tcp6(_ s: NetStack) throws -> Int32 {
        try s.socket(domain: SocketConstants.AF_INET6, type: SocketConstants.SOCK_STREAM, protocol: 0)
    }
    static func ep(_ a: String, _ port: UInt16, scope: UInt32 = 0) -> SocketEndpoint { SocketEndpoint(v6(a), port, scopeID: scope) }

    static func sendBytes(_ s: NetStack, _ fd: Int32, _ data: [UInt8], to: SocketEndpoint? = nil) throws -> Int {
        try data.withUnsafeBytes { try s.send(fd, $0, to: to) }
    }
    /// One datagram (nil when none is queued).
    static func recv(_ s: NetStack, _ fd: Int32) -> ([UInt8], SocketEndpoint)? {
        var buf = [UInt8](repeating: 0, count: 65536)
        guard let d = try? buf.withUnsafeMutableBytes({ try s.receive(fd, into: $0) }) else { return nil }
        return (Array(buf[0..<d.copied]), d.from)
    }

    /// A listener on b [::]:port and a connection from a to `to`, accepted: (client on a, server on b).
    static func connected6(_ lab: Lab, _ a: NetStack, _ b: NetStack, to: SocketEndpoint) throws -> (Int32, Int32) {
        let l = try T6.tcp6(b)
        try b.bind(l, to: T6.ep("::", to.port))
        try b.listen(l, backlog: 4)
        let c = try T6.tcp6(a)
        #expect(throws: Errno.EINPROGRESS) { try a.connect(c, to: to) }
        lab.settle()
        let (s, peer) = try b.accept(l)
        #expect(peer == (try a.localEndpoint(c)))
        try b.close(l)
        return (c, s)
    }

    /// Moves `data` from a:`from` to b:`to` on virtual time; returns what b read.
    static func stream(_ lab: Lab, _ a: NetStack, _ b: NetStack, _ data: [UInt8], from: Int32, to: Int32) throws -> [UInt8] {
        var sent = 0, got: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        for _ in 0..<100_000 where got.count < data.count {
            if sent < data.count {
                sent += (try? data.withUnsafeBytes { try a.send(from, UnsafeRawBufferPointer(rebasing: $0[sent...])) }) ?? 0
            }
            lab.settle()
            while let d = try? buf.withUnsafeMutableBytes({ try b.receive(to, into: $0) }), d.copied > 0 {
                got += buf[0..<d.copied]
            }
            lab.clock.advance(seconds: 0.001)
            lab.settle()
        }
        return got
    }

}

extension IPv6StackTests {
    @Test func udp6RequestAndResponseWithSockaddrIn6Accounting() throws {
        let lab = Lab()
        let (a, b, _) = try pair(lab)
        let server = try T6.udp6(b)
        try b.bind(server, to: T6.ep("::", 53))
        let client = try T6.udp6(a)
        #expect(try T6.sendBytes(a, client, [1, 2, 3], to: T6.ep("fd00::2", 53)) == 3)
        lab.settle()
        // Recv-Q: the data and a sockaddr_in6 (28 bytes), as sb_cc charges it.
        #expect(b.socketList.first { $0.fd == server }.map { ($0.family, $0.receiveQueued) }! == (SocketConstants.AF_INET6, 31))
        let (q, from) = try #require(T6.recv(b, server))
        #expect(q == [1, 2, 3] && from.address6 == v6("fd00::1") && from.scopeID == 0)
        let bound = try a.localEndpoint(client)
        #expect(bound.isAny && bound.port == from.port && bound.port >= 49152)
        #expect(try T6.sendBytes(b, server, [9, 8], to: from) == 2)
        lab.settle()
        let (r, rfrom) = try #require(T6.recv(a, client))
        #expect(r == [9, 8] && rfrom == T6.ep("fd00::2", 53))
        #expect(a.udpStats.opackets == 1 && b.udpStats.ipackets == 1 && a.udpStats.ipackets == 1)
        // Connected: only that peer, and getpeername/getsockname give IPv6 endpoints.
        try a.connect(client, to: T6.ep("fd00::2", 53))
        #expect(try a.peerEndpoint(client) == T6.ep("fd00::2", 53))
        #expect(try a.localEndpoint(client).address6 == v6("fd00::1"))
        // A datagram with a zero checksum is dropped (mandatory over IPv6), a bad one too.
        let zero = Frame6.make(dstMAC: MACAddress(macB), srcMAC: MACAddress(macA), src: v6("fd00::1"), dst: v6("fd00::2"),
                               nh: IPv6NextHeader.udp, payload: [0x30, 0x39, 0, 53, 0, 9, 0, 0, 7])
        zero.withUnsafeBytes { b.receive($0, on: 2) }
        var bad = zero; bad[14 + 40 + 6] = 0x12; bad[14 + 40 + 7] = 0x34
        bad.withUnsafeBytes { b.receive($0, on: 2) }
        lab.settle()
        #expect(T6.recv(b, server) == nil && b.udpStats.nosum == 1 && b.udpStats.badsum == 1)
    }

    @Test func udp6ClosedPortIsUnreachableAndRefusesAConnectedSocket() throws {
        let lab = Lab()
        let (a, b, _) = try pair(lab)
        let c = try T6.udp6(a)
        try a.connect(c, to: T6.ep("fd00::2", 9))
        _ = try T6.sendBytes(a, c, [1])
        lab.settle()
        #expect(b.udpStats.noport == 1 && b.icmp6Stats.odst_unreach_noport == 1)
        #expect(a.icmp6Stats.inhist[Int(ICMPv6Type.destinationUnreachable)] == 1)
        // udp6_ctlinput: the connected socket's so_error.
        #expect(throws: Errno.ECONNREFUSED) { _ = try T6.sendBytes(a, c, [2]) }
        // To a group nobody joined on the port: no answer.
        let m = try T6.udp6(a)
        _ = try T6.sendBytes(a, m, [3], to: T6.ep("ff02::1", 9, scope: 2))
        lab.settle()
        #expect(b.icmp6Stats.odst_unreach_noport == 1 && b.udpStats.noportbcast == 1)
    }

    @Test func linkLocalNeedsItsZoneAndKeepsItOnBothSides() throws {
        let lab = Lab()
        let (a, b, _) = try pair(lab)
        let s = try T6.udp6(b)
        try b.bind(s, to: SocketEndpoint(T6.llB, 7, scopeID: 2))
        let c = try T6.udp6(a)
        // No zone: EINVAL (sa6_embedscope); an interface that does not exist too.
        #expect(throws: Errno.EINVAL) { _ = try T6.sendBytes(a, c, [1], to: SocketEndpoint(T6.llB, 7)) }
        #expect(throws: Errno.EINVAL) { _ = try T6.sendBytes(a, c, [1], to: SocketEndpoint(T6.llB, 7, scopeID: 9)) }
        #expect(throws: Errno.EINVAL) { try b.bind(try T6.udp6(b), to: SocketEndpoint(T6.llB, 8)) }
        #expect(throws: Errno.EADDRNOTAVAIL) { try b.bind(try T6.udp6(b), to: SocketEndpoint(T6.llA, 8, scopeID: 2)) }
        try a.connect(c, to: SocketEndpoint(T6.llB, 7, scopeID: 2))
        #expect(try a.localEndpoint(c).address6 == T6.llA && a.localEndpoint(c).scopeID == 2)
        _ = try T6.sendBytes(a, c, [5])
        lab.settle()
        let (d, from) = try #require(T6.recv(b, s))
        #expect(d == [5] && from.address6 == T6.llA && from.scopeID == 2)
        #expect(from.description == "fe80::b0a0:11ff:fe7c:68f8%2.\(from.port)")
    }

    @Test func v6onlySharesPortsWithIPv4AsNetBSDDoes() throws {
        let lab = Lab()
        let (a, b, _) = try pair(lab)
        _ = try b.addAddress(name: "shmif0", IPv4Address("10.0.0.2")!, netmask: IPv4Address.mask(prefixLength: 24))
        _ = try a.addAddress(name: "shmif0", IPv4Address("10.0.0.1")!, netmask: IPv4Address.mask(prefixLength: 24))
        #expect(try b.sysctlGet("net.inet6.ip6.v6only") == 1)
        // V6ONLY (the default): [::]:7000 and 0.0.0.0:7000 coexist; IPv4 goes to the AF_INET one.
        let s6 = try T6.udp6(b)
        #expect(try b.getOption(s6, .v6only) == 1)
        try b.bind(s6, to: T6.ep("::", 7000))
        #expect(throws: Errno.EINVAL) { try b.setOption(s6, .v6only, value: 0) }
        let s4 = try b.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_DGRAM, protocol: 0)
        try b.bind(s4, to: SocketEndpoint(.any, 7000))
        let c4 = try a.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_DGRAM, protocol: 0)
        _ = try T6.sendBytes(a, c4, [4], to: SocketEndpoint(IPv4Address("10.0.0.2")!, 7000))
        lab.settle()
        #expect(T6.recv(b, s6) == nil && T6.recv(b, s4)?.0 == [4])
        // So does an IPv4 broadcast: a V6ONLY wildcard is no IPv4 socket.
        try a.setOption(c4, .broadcast(true))
        _ = try T6.sendBytes(a, c4, [7], to: SocketEndpoint(IPv4Address("10.0.0.255")!, 7000))
        lab.settle()
        #expect(T6.recv(b, s6) == nil && T6.recv(b, s4)?.0 == [7])
        // V6ONLY off: the v6 wildcard takes IPv4 too (peer ::ffff:10.0.0.1), and an AF_INET
        // wildcard bind on its port conflicts.
        let d6 = try T6.udp6(b)
        try b.setOption(d6, .v6only, value: 0)
        try b.bind(d6, to: T6.ep("::", 7001))
        #expect(throws: Errno.EADDRINUSE) {
            try b.bind(try b.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_DGRAM, protocol: 0),
                       to: SocketEndpoint(.any, 7001))
        }
        _ = try T6.sendBytes(a, c4, [5], to: SocketEndpoint(IPv4Address("10.0.0.2")!, 7001))
        lab.settle()
        let (d, from) = try #require(T6.recv(b, d6))
        #expect(d == [5] && from.address6 == v6("::ffff:10.0.0.1"))
        // ... and answers it over IPv4.
        _ = try T6.sendBytes(b, d6, [6], to: from)
        lab.settle()
        #expect(T6.recv(a, c4)?.0 == [6])
        // A v4-mapped address on a V6ONLY socket is EINVAL.
        #expect(throws: Errno.EINVAL) { _ = try T6.sendBytes(b, s6, [1], to: T6.ep("::ffff:10.0.0.1", 9)) }
        // Ephemeral ports come from one range for both families: with two ports, two
        // dual-stack sockets holding them leave none for IPv4.
        try b.sysctlSet("net.inet.ip.anonportmin", 50000)
        try b.sysctlSet("net.inet.ip.anonportmax", 50001)
        var taken: Set<UInt16> = []
        for _ in 0..<2 {
            let e6 = try T6.udp6(b)
            try b.setOption(e6, .v6only, value: 0)
            try b.bind(e6, to: T6.ep("::", 0))
            taken.insert(try b.localEndpoint(e6).port)
        }
        #expect(taken == [50000, 50001])
        let e4 = try b.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_DGRAM, protocol: 0)
        #expect(throws: Errno.EADDRNOTAVAIL) { try b.bind(e4, to: SocketEndpoint(.any, 0)) }
        // An AF_INET socket refuses an IPv6 address.
        #expect(throws: Errno.EAFNOSUPPORT) { _ = try T6.sendBytes(b, e4, [1], to: T6.ep("fd00::1", 9)) }
    }

    @Test func dualStackTCPListenerTakesIPv4AndV6onlyOneRefusesIt() throws {
        let lab = Lab()
        let (a, b, _) = try pair(lab)
        _ = try b.addAddress(name: "shmif0", IPv4Address("10.0.0.2")!, netmask: IPv4Address.mask(prefixLength: 24))
        _ = try a.addAddress(name: "shmif0", IPv4Address("10.0.0.1")!, netmask: IPv4Address.mask(prefixLength: 24))
        let tcp4 = { (s: NetStack) in try s.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_STREAM, protocol: 0) }
        // V6ONLY (the default): an IPv4 SYN to [::]:80 finds no listener and is reset.
        let only = try T6.tcp6(b)
        try b.bind(only, to: T6.ep("::", 80))
        try b.listen(only, backlog: 2)
        let c1 = try tcp4(a)
        #expect(throws: Errno.EINPROGRESS) { try a.connect(c1, to: SocketEndpoint(IPv4Address("10.0.0.2")!, 80)) }
        lab.settle()
        #expect(try a.getOption(c1, .error) == Int(Errno.ECONNREFUSED.rawValue))
        // V6ONLY off: it accepts the IPv4 connection; the peer is ::ffff:10.0.0.1 and the
        // segments are IPv4 ones (the client is an AF_INET socket).
        let dual = try T6.tcp6(b)
        try b.setOption(dual, .v6only, value: 0)
        try b.bind(dual, to: T6.ep("::", 81))
        try b.listen(dual, backlog: 2)
        let c2 = try tcp4(a)
        #expect(throws: Errno.EINPROGRESS) { try a.connect(c2, to: SocketEndpoint(IPv4Address("10.0.0.2")!, 81)) }
        lab.settle()
        let (s, peer) = try b.accept(dual)
        let fam = try b.family(s)
        #expect(peer.address6 == v6("::ffff:10.0.0.1") && fam == SocketConstants.AF_INET6)
        #expect(try b.localEndpoint(s).address6 == v6("::ffff:10.0.0.2"))
        #expect(try T6.stream(lab, b, a, [1, 2, 3], from: s, to: c2) == [1, 2, 3])
        #expect(try T6.stream(lab, a, b, [4, 5], from: c2, to: s) == [4, 5])
    }

    @Test func tcp6HandshakeDataAndCloseBetweenTwoStacks() throws {
        let lab = Lab()
        let (a, b, _) = try pair(lab)
        let (c, s) = try T6.connected6(lab, a, b, to: T6.ep("fd00::2", 80))
        #expect(try a.localEndpoint(c).address6 == v6("fd00::1") && a.peerEndpoint(c) == T6.ep("fd00::2", 80))
        // MSS: link MTU 1500 - 60, less the timestamp option.
        #expect(try a.getOption(c, .maxSegment) == 1500 - 60 - 12 && b.getOption(s, .maxSegment) == 1428)
        let data = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(try T6.stream(lab, a, b, data, from: c, to: s) == data)
        let back: [UInt8] = Array("reply over IPv6".utf8)
        #expect(try T6.stream(lab, b, a, back, from: s, to: c) == back)
        #expect(b.tcpStats.rcvbyte >= 200_000 && a.tcpStats.sndpack > 100)
        let row = try #require(a.socketList.first { $0.fd == c })
        #expect(row.family == SocketConstants.AF_INET6 && row.tcpState == .established && row.foreign == T6.ep("fd00::2", 80))
        try a.close(c)
        lab.settle()
        var buf = [UInt8](repeating: 0, count: 16)
        #expect(try buf.withUnsafeMutableBytes { try b.receive(s, into: $0) }.copied == 0)  // FIN: end of file
        try b.close(s)
        lab.settle()
        #expect(a.socketList.first { $0.foreign == T6.ep("fd00::2", 80) }?.tcpState == .timeWait)
        lab.advance(seconds: 70, step: 1)
        #expect(a.socketList.isEmpty && b.socketList.isEmpty)
    }

    @Test func tcp6ResetsAClosedPortAndWorksOverLinkLocal() throws {
        let lab = Lab()
        let (a, b, _) = try pair(lab)
        let c = try T6.tcp6(a)
        #expect(throws: Errno.EINPROGRESS) { try a.connect(c, to: T6.ep("fd00::2", 81)) }
        lab.settle()
        #expect(try a.getOption(c, .error) == Int(Errno.ECONNREFUSED.rawValue))
        #expect(b.tcpStats.noport == 1 && b.tcpStats.sndctrl == 1)
        // Link-local, zone given by sin6_scope_id.
        let (c2, s2) = try T6.connected6(lab, a, b, to: SocketEndpoint(T6.llB, 22, scopeID: 2))
        #expect(try b.peerEndpoint(s2).address6 == T6.llA && b.peerEndpoint(s2).scopeID == 2)
        #expect(try T6.stream(lab, a, b, [1, 2, 3, 4], from: c2, to: s2) == [1, 2, 3, 4])
    }

}

extension IPv6RouterTests {
    @Test func tcp6PacketTooBigLowersTheSegmentSize() throws {
        let lab = Lab()
        let (a, r, c) = try topology(lab, mtuRC: 1280)
        let (cfd, sfd) = try T6.connected6(lab, c, a, to: T6.ep("fd00:1::1", 5001))
        // Both ends are on 1500-byte links: 1440 less timestamps; the router's link to c is 1280.
        #expect(try c.getOption(cfd, .maxSegment) == 1428 && a.getOption(sfd, .maxSegment) == 1428)
        let data = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        #expect(try T6.stream(lab, a, c, data, from: sfd, to: cfd) == data)
        // The router could not forward a's 1500-byte segments: packet too big, then 1208-byte ones.
        #expect(r.icmp6Stats.opacket_too_big >= 1)
        #expect(try a.getOption(sfd, .maxSegment) == 1280 - 60 - 12)
    }
}
