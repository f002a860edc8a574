import Foundation
import Testing
@testable import RumpNet
import TestSupport

/// UDP helpers over a stack's socket API.
enum UDP {
    static func socket(_ s: NetStack) throws -> Int32 {
        try s.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_DGRAM, protocol: 0)
    }
    static func ep(_ a: String, _ p: UInt16) -> SocketEndpoint { SocketEndpoint(IPv4Address(a)!, p) }
    @discardableResult
    static func send(_ s: NetStack, _ fd: Int32, _ bytes: [UInt8], to: SocketEndpoint? = nil) throws -> Int {
        try bytes.withUnsafeBytes { try s.send(fd, $0, to: to) }
    }
    static func send(_ s: NetStack, _ fd: Int32, _ text: String, to: SocketEndpoint? = nil) throws {
        try send(s, fd, Array(text.utf8), to: to)
    }
    /// One receive into a buffer of `size`; the bytes copied and what the call returned.
    static func receive(_ s: NetStack, _ fd: Int32, size: Int = 2048, flags: MessageFlags = []) throws -> ([UInt8], ReceivedDatagram) {
        var buf = [UInt8](repeating: 0, count: size)
        let d = try buf.withUnsafeMutableBytes { try s.receive(fd, into: $0, flags: flags) }
        return (Array(buf[0..<d.copied]), d)
    }
    static func text(_ s: NetStack, _ fd: Int32) throws -> (String, SocketEndpoint) {
        let (b, d) = try receive(s, fd)
        return (String(decoding: b, as: UTF8.self), d.from)
    }
    /// Everything queued, as text.
    static func drain(_ s: NetStack, _ fd: Int32) -> [String] {
        var out: [String] = []
        while let (t, _) = try? text(s, fd) { out.append(t) }
        return out
    }
}

@Suite struct UDPTests {
    func twoStacks() throws -> (Lab, NetStack, NetStack) {
        let lab = Lab()
        let a = lab.stack(seed: 1), b = lab.stack(seed: 2)
        let link = lab.link()
        let ia = try lab.attach(a, link, "mem0", "10.0.0.1", 24)
        let ib = try lab.attach(b, link, "mem0", "10.0.0.2", 24)
        // Resolved up front, so bursts are not cut by ARP's hold limit.
        try a.arpSet(IPv4Address("10.0.0.2")!, mac: ib.linkAddress)
        try b.arpSet(IPv4Address("10.0.0.1")!, mac: ia.linkAddress)
        lab.settle()
        return (lab, a, b)
    }

    @Test func requestResponseBetweenTwoStacks() throws {
        let (lab, a, b) = try twoStacks()
        let server = try UDP.socket(b)
        try b.bind(server, to: UDP.ep("0.0.0.0", 5353))
        let client = try UDP.socket(a)
        try UDP.send(a, client, "query", to: UDP.ep("10.0.0.2", 5353))
        // sendto bound an ephemeral port (random_start: a random start in anonportmin...max);
        // an unconnected socket keeps the wildcard address.
        let cport = try a.localEndpoint(client).port
        #expect(try a.localEndpoint(client).address == .any && (49152...65535).contains(cport))
        #expect(throws: Errno.ENOTCONN) { try a.peerEndpoint(client) }
        lab.settle()
        let (q, from) = try UDP.text(b, server)
        #expect(q == "query" && from == UDP.ep("10.0.0.1", cport))
        try UDP.send(b, server, "answer", to: from)
        lab.settle()
        let (r, rfrom) = try UDP.text(a, client)
        #expect(r == "answer" && rfrom == UDP.ep("10.0.0.2", 5353))
        #expect(throws: Errno.EWOULDBLOCK) { try UDP.receive(a, client) }
        // A connected socket: the route's source address and the next port.
        let c2 = try UDP.socket(a)
        try a.connect(c2, to: UDP.ep("10.0.0.2", 5353))
        let c2port = try a.localEndpoint(c2).port
        #expect(try a.localEndpoint(c2).address == IPv4Address("10.0.0.1")! && c2port != cport && c2port >= 49152)
        #expect(try a.peerEndpoint(c2) == UDP.ep("10.0.0.2", 5353))
        try UDP.send(a, c2, "again")
        #expect(throws: Errno.EISCONN) { try UDP.send(a, c2, "x", to: UDP.ep("10.0.0.2", 5353)) }
        #expect(throws: Errno.EDESTADDRREQ) { try UDP.send(a, client, "x") }
        lab.settle()
        #expect(try UDP.text(b, server) == ("again", UDP.ep("10.0.0.1", c2port)))
        // Only datagrams from the peer reach a connected socket: b's answer from another port does not.
        let other = try UDP.socket(b)
        try UDP.send(b, other, "stranger", to: UDP.ep("10.0.0.1", c2port))
        try UDP.send(b, server, "peer", to: UDP.ep("10.0.0.1", c2port))
        lab.settle()
        #expect(UDP.drain(a, c2) == ["peer"])
        #expect(a.udpStats.noport == 1)  // the stranger's datagram found no socket
        #expect(a.udpStats.opackets == 2 && b.udpStats.ipackets == 2 && b.udpStats.opackets == 3)
        // Every datagram b took went to an unconnected socket: a connect-hash miss each; at a,
        // "answer" (unconnected client) and the stranger missed, "peer" hit the connected c2.
        #expect(b.udpStats.pcbhashmiss == 2 && a.udpStats.pcbhashmiss == 2)
        // Disconnect: the socket takes any sender again and forgets the address connect chose.
        try a.disconnect(c2)
        #expect(try a.localEndpoint(c2) == UDP.ep("0.0.0.0", c2port))
        #expect(throws: Errno.ENOTCONN) { try a.disconnect(c2) }
        // Loopback works too, checksums and all.
        let lo = try UDP.socket(a)
        try a.bind(lo, to: UDP.ep("127.0.0.1", 7))
        try UDP.send(a, client, "self", to: UDP.ep("127.0.0.1", 7))
        #expect(try UDP.text(a, lo) == ("self", UDP.ep("127.0.0.1", cport)))
    }

    @Test func portUnreachableRefusesTheConnectedSocketOnly() throws {
        let (lab, a, b) = try twoStacks()
        let connected = try UDP.socket(a), unconnected = try UDP.socket(a), bystander = try UDP.socket(a)
        try a.bind(bystander, to: UDP.ep("0.0.0.0", 4000))
        try a.connect(connected, to: UDP.ep("10.0.0.2", 9))
        var events: [(Int32, SocketEvents)] = []
        a.onSocketEvent = { events.append(($0, $1)) }
        try UDP.send(a, connected, "hello?")
        try UDP.send(a, unconnected, "hello?", to: UDP.ep("10.0.0.2", 9))
        lab.settle()
        #expect(b.udpStats.noport == 2 && b.icmpStats.outhist[Int(ICMPType.unreachable)] == 2)
        // Only the connected socket hears of it, once.
        #expect(events.map(\.0) == [connected])
        #expect(events.first?.1 == [.readable, .writable, .error])
        #expect(a.socketEvents(unconnected) == .writable && a.socketEvents(bystander) == .writable)
        #expect(try a.getOption(unconnected, .error) == 0)
        // The next call returns ECONNREFUSED and clears it.
        #expect(throws: Errno.ECONNREFUSED) { try UDP.receive(a, connected) }
        #expect(throws: Errno.EWOULDBLOCK) { try UDP.receive(a, connected) }
        #expect(a.socketEvents(connected) == .writable)
        #expect(events.last! == (connected, .writable))
        // SO_ERROR reads it too (and clears it); send returns it first.
        try UDP.send(a, connected, "again")
        lab.settle()
        #expect(try a.getOption(connected, .error) == Int(Errno.ECONNREFUSED.rawValue))
        #expect(try a.getOption(connected, .error) == 0)
        try UDP.send(a, connected, "third")
        lab.settle()
        #expect(throws: Errno.ECONNREFUSED) { try UDP.send(a, connected, "fourth") }
        // b's answers respect net.inet.icmp.errppslimit.
        try b.sysctlSet("net.inet.icmp.errppslimit", 1)
        lab.clock.advance(seconds: 2)
        for _ in 0..<3 { try UDP.send(a, unconnected, "x", to: UDP.ep("10.0.0.2", 9)) }
        lab.settle()
        #expect(b.icmpStats.ratelimited == 2)
    }

    @Test func bindConflictsAsNetBSD() throws {
        let (_, a, _) = try twoStacks()
        let s1 = try UDP.socket(a), s2 = try UDP.socket(a)
        try a.bind(s1, to: UDP.ep("0.0.0.0", 5000))
        #expect(throws: Errno.EADDRINUSE) { try a.bind(s2, to: UDP.ep("0.0.0.0", 5000)) }
        #expect(throws: Errno.EADDRINUSE) { try a.bind(s2, to: UDP.ep("10.0.0.1", 5000)) }
        #expect(throws: Errno.EINVAL) { try a.bind(s1, to: UDP.ep("0.0.0.0", 5001)) }
        #expect(throws: Errno.EADDRNOTAVAIL) { try a.bind(s2, to: UDP.ep("10.9.9.9", 5000)) }
        // SO_REUSEADDR lets a specific address share the port with the wildcard, not duplicate it.
        try a.setOption(s2, .reuseAddress(true))
        try a.bind(s2, to: UDP.ep("10.0.0.1", 5000))
        let s3 = try UDP.socket(a)
        try a.setOption(s3, .reuseAddress(true))
        #expect(throws: Errno.EADDRINUSE) { try a.bind(s3, to: UDP.ep("10.0.0.1", 5000)) }
        // SO_REUSEPORT on both allows a complete duplicate.
        let p1 = try UDP.socket(a), p2 = try UDP.socket(a), p3 = try UDP.socket(a)
        try a.setOption(p1, .reusePort(true)); try a.setOption(p2, .reusePort(true))
        try a.bind(p1, to: UDP.ep("0.0.0.0", 6000))
        try a.bind(p2, to: UDP.ep("0.0.0.0", 6000))
        try a.setOption(p3, .reuseAddress(true))
        #expect(throws: Errno.EADDRINUSE) { try a.bind(p3, to: UDP.ep("0.0.0.0", 6000)) }
        // Closing frees the port at once.
        try a.close(s1)
        try a.close(s2)
        let s4 = try UDP.socket(a)
        try a.bind(s4, to: UDP.ep("0.0.0.0", 5000))
        #expect(try a.getOption(s4, .type) == Int(SocketConstants.SOCK_DGRAM))
        #expect(try a.getOption(p1, .reusePort) == 1)
    }

    @Test func ephemeralPortsRunOut() throws {
        let (_, a, _) = try twoStacks()
        #expect(try a.sysctlGet("net.inet.ip.anonportmin") == 49152 && a.sysctlGet("net.inet.ip.anonportmax") == 65535)
        #expect(throws: Errno.EINVAL) { try a.sysctlSet("net.inet.ip.anonportmin", 65535) }
        try a.sysctlSet("net.inet.ip.anonportmin", 65530)
        var fds: [Int32] = []
        for _ in 0..<6 {
            let fd = try UDP.socket(a)
            try a.bind(fd, address: .any)
            fds.append(fd)
        }
        let ports = try fds.map { try a.localEndpoint($0).port }
        #expect(Set(ports) == Set(65530...65535))
        let extra = try UDP.socket(a)
        #expect(throws: Errno.EADDRNOTAVAIL) { try a.bind(extra, address: .any) }
        #expect(throws: Errno.EADDRNOTAVAIL) { try UDP.send(a, extra, "x", to: UDP.ep("10.0.0.2", 9)) }
        #expect(throws: Errno.EADDRNOTAVAIL) { try a.connect(extra, to: UDP.ep("10.0.0.2", 9)) }
        try a.close(fds[2])
        try a.connect(extra, to: UDP.ep("10.0.0.2", 9))
        #expect(try a.localEndpoint(extra) == UDP.ep("10.0.0.1", ports[2]))
        // The stack's seed fixes the choice: the same seed, the same ports.
        func firstPorts(seed: UInt64) throws -> [UInt16] {
            let s = NetStack(clock: VirtualClock(), seed: seed)
            return try (0..<5).map { _ in
                let fd = try UDP.socket(s)
                try s.bind(fd, address: .any)
                return try s.localEndpoint(fd).port
            }
        }
        #expect(try firstPorts(seed: 42) == firstPorts(seed: 42))
        #expect(try firstPorts(seed: 42) != firstPorts(seed: 43))
        #expect(try Set(firstPorts(seed: 42)).count == 5)
        // An explicit port outside the range is still fine.
        let fixed = try UDP.socket(a)
        try a.bind(fixed, to: UDP.ep("0.0.0.0", 1234))
    }

    @Test func fullReceiveBufferDropsAndCounts() throws {
        let (lab, a, b) = try twoStacks()
        let server = try UDP.socket(b)
        try b.bind(server, to: UDP.ep("0.0.0.0", 9000))
        #expect(try b.getOption(server, .receiveBuffer) == 41600 && b.getOption(server, .sendBuffer) == 9216)
        try b.setOption(server, .receiveBuffer(1000))
        let client = try UDP.socket(a)
        for i in 0..<20 {
            try UDP.send(a, client, [UInt8](repeating: UInt8(i), count: 100), to: UDP.ep("10.0.0.2", 9000))
        }
        lab.settle()
        // Each datagram costs 100 bytes and its 16-byte address: 8 fit in 1000.
        #expect(b.udpStats.fullsock == 12)
        var got: [UInt8] = []
        while let (bytes, _) = try? UDP.receive(b, server) { got.append(bytes[0]) }
        #expect(got == Array(0..<8))
        #expect(throws: Errno.EINVAL) { try b.setOption(server, .receiveBuffer(0)) }
        #expect(throws: Errno.ENOBUFS) { try b.setOption(server, .receiveBuffer(1 << 20)) }
        // The send buffer bounds a datagram: net.inet.udp.sendspace (9216) by default.
        #expect(throws: Errno.EMSGSIZE) { try UDP.send(a, client, [UInt8](repeating: 0, count: 9217), to: UDP.ep("10.0.0.2", 9000)) }
        try a.setOption(client, .sendBuffer(65535))
        #expect(throws: Errno.EMSGSIZE) { try UDP.send(a, client, [UInt8](repeating: 0, count: 65508), to: UDP.ep("10.0.0.2", 9000)) }
        // 65507 is the largest: it goes out in fragments and is reassembled.
        try b.setOption(server, .receiveBuffer(70000))
        try UDP.send(a, client, [UInt8](repeating: 7, count: 65507), to: UDP.ep("10.0.0.2", 9000))
        lab.settle()
        let (big, d) = try UDP.receive(b, server, size: 70000)
        #expect(big.count == 65507 && d.length == 65507 && b.ipStats.reassembled == 1)
        // sysctl net.inet.udp.recvspace sets the default of new sockets.
        try b.sysctlSet("net.inet.udp.recvspace", 2000)
        #expect(try b.getOption(UDP.socket(b), .receiveBuffer) == 2000)
    }

    @Test func truncationPeekAndMSG_TRUNC() throws {
        let (lab, a, b) = try twoStacks()
        let server = try UDP.socket(b)
        try b.bind(server, to: UDP.ep("0.0.0.0", 9000))
        let client = try UDP.socket(a)
        let payload = (0..<100).map { UInt8($0) }
        try UDP.send(a, client, payload, to: UDP.ep("10.0.0.2", 9000))
        try UDP.send(a, client, [1, 2, 3], to: UDP.ep("10.0.0.2", 9000))
        lab.settle()
        let (peeked, p) = try UDP.receive(b, server, size: 10, flags: .peek)
        #expect(peeked == Array(payload[0..<10]) && p.copied == 10 && p.length == 100 && p.truncated)
        #expect(p.returnValue(flags: .peek) == 10)
        let (cut, d) = try UDP.receive(b, server, size: 10, flags: .truncate)
        #expect(cut == Array(payload[0..<10]) && d.returnValue(flags: .truncate) == 100 && d.truncated)
        // The rest of the cut datagram is gone: the next receive is the next datagram.
        let (next, n) = try UDP.receive(b, server, size: 10)
        #expect(next == [1, 2, 3] && !n.truncated && n.returnValue(flags: []) == 3)
        // A zero-length datagram is a datagram.
        try UDP.send(a, client, [], to: UDP.ep("10.0.0.2", 9000))
        lab.settle()
        let (empty, e) = try UDP.receive(b, server)
        let clientPort = try a.localEndpoint(client).port
        #expect(empty.isEmpty && e.length == 0 && e.from == UDP.ep("10.0.0.1", clientPort))
    }

    @Test func broadcastReachesEveryBoundSocket() throws {
        let (lab, a, b) = try twoStacks()
        var fds: [Int32] = []
        for _ in 0..<3 {
            let fd = try UDP.socket(b)
            try b.setOption(fd, .reusePort(true))
            try b.bind(fd, to: UDP.ep("0.0.0.0", 7000))
            fds.append(fd)
        }
        let specific = try UDP.socket(b)
        try b.setOption(specific, .reuseAddress(true))
        try b.bind(specific, to: UDP.ep("10.0.0.2", 7000))
        let client = try UDP.socket(a)
        #expect(throws: Errno.EACCES) { try UDP.send(a, client, "all", to: UDP.ep("10.0.0.255", 7000)) }
        #expect(throws: Errno.EACCES) { try UDP.send(a, client, "all", to: UDP.ep("255.255.255.255", 7000)) }
        try a.setOption(client, .broadcast(true))
        try UDP.send(a, client, "all", to: UDP.ep("10.0.0.255", 7000))
        try UDP.send(a, client, "limited", to: UDP.ep("255.255.255.255", 7000))
        lab.settle()
        for fd in fds { #expect(UDP.drain(b, fd) == ["all", "limited"]) }
        #expect(UDP.drain(b, specific).isEmpty)  // bound to a unicast address: broadcasts are not for it
        // Unicast goes to one socket only: the most specific.
        try UDP.send(a, client, "one", to: UDP.ep("10.0.0.2", 7000))
        lab.settle()
        #expect(UDP.drain(b, specific) == ["one"])
        for fd in fds { #expect(UDP.drain(b, fd).isEmpty) }
        // Broadcast to a port nobody has: counted, no ICMP answer.
        let before = b.icmpStats.outhist[Int(ICMPType.unreachable)]
        try UDP.send(a, client, "nobody", to: UDP.ep("10.0.0.255", 7001))
        lab.settle()
        #expect(b.udpStats.noportbcast == 1 && b.udpStats.noport == 0)
        #expect(b.icmpStats.outhist[Int(ICMPType.unreachable)] == before)
        // The sender hears its own broadcast (IFF_SIMPLEX loops a copy) when bound there too.
        #expect(a.udpStats.noportbcast == 3)
    }

    @Test func readinessCallbacksFireForTheRightSocketOnly() throws {
        let (lab, a, b) = try twoStacks()
        let s1 = try UDP.socket(b), s2 = try UDP.socket(b)
        try b.bind(s1, to: UDP.ep("0.0.0.0", 1111))
        try b.bind(s2, to: UDP.ep("0.0.0.0", 2222))
        var events: [(Int32, SocketEvents)] = []
        b.onSocketEvent = { events.append(($0, $1)) }
        let client = try UDP.socket(a)
        try UDP.send(a, client, "one", to: UDP.ep("10.0.0.2", 1111))
        try UDP.send(a, client, "two", to: UDP.ep("10.0.0.2", 1111))
        lab.settle()
        // Empty to readable once; the second datagram changes nothing.
        #expect(events.count == 1 && events[0] == (s1, [.readable, .writable]))
        #expect(b.socketEvents(s2) == .writable)
        _ = try UDP.receive(b, s1)
        #expect(events.count == 1)
        _ = try UDP.receive(b, s1)
        #expect(events.count == 2 && events[1] == (s1, .writable))
        // SO_RCVLOWAT: readable only from that many buffered bytes (datagram plus its 16-byte address).
        try b.setOption(s2, .receiveLowWater(40))
        try UDP.send(a, client, "short", to: UDP.ep("10.0.0.2", 2222))
        lab.settle()
        #expect(events.count == 2 && b.socketEvents(s2) == .writable)
        try UDP.send(a, client, "short", to: UDP.ep("10.0.0.2", 2222))
        lab.settle()
        #expect(events.count == 3 && events[2] == (s2, [.readable, .writable]))
        // shutdown: SHUT_RD drops the queue and reads end of file; SHUT_WR refuses sends; both: hang-up.
        try b.shutdown(s2, how: SocketConstants.SHUT_RD)
        #expect(try UDP.receive(b, s2).1 == .endOfFile)
        try b.shutdown(s2, how: SocketConstants.SHUT_WR)
        #expect(throws: Errno.EPIPE) { try UDP.send(b, s2, "x", to: UDP.ep("10.0.0.1", 9)) }
        #expect(b.socketEvents(s2) == [.readable, .hangUp])
        #expect(events.last! == (s2, [.readable, .hangUp]))
        #expect(throws: Errno.EINVAL) { try b.shutdown(s2, how: 7) }
        #expect(events.allSatisfy { $0.0 == s1 || $0.0 == s2 })
    }

    /// Hand-made frames to b: each defect counted under its udpstat name and dropped.
    @Test func badDatagramsAreCountedAndDropped() throws {
        let (lab, a, b) = try twoStacks()
        let server = try UDP.socket(b)
        try b.bind(server, to: UDP.ep("0.0.0.0", 53))
        let raw = try rawICMPSocket(a)
        try a.setOption(raw, .headerIncluded(true))
        let src = IPv4Address("10.0.0.1")!, dst = IPv4Address("10.0.0.2")!
        /// An IP datagram carrying `udp` (header built by UDPEmitter, then `mutate`d).
        func datagram(port: UInt16 = 53, data: [UInt8] = [1, 2, 3, 4], to: IPv4Address = dst,
                      mutate: (inout [UInt8]) -> Void = { _ in }) -> [UInt8] {
            var u = [UInt8](repeating: 0, count: 8) + data
            u.withUnsafeMutableBytes { UDPEmitter.emit($0, srcPort: 999, dstPort: port, length: $0.count, src: src, dst: to) }
            mutate(&u)
            var ip = [UInt8](repeating: 0, count: 20)
            ip.withUnsafeMutableBytes { IPv4Emitter.emit($0, totalLength: 20 + u.count, id: 1, ttl: 64, proto: 17, src: src, dst: to) }
            return ip + u
        }
        func inject(_ d: [UInt8]) throws { try d.withUnsafeBytes { _ = try a.send(raw, $0) }; lab.settle() }
        try inject(datagram())
        #expect(UDP.drain(b, server).count == 1)
        try inject(datagram { $0[6] ^= 0x55 })                        // bad checksum
        #expect(b.udpStats.badsum == 1)
        try inject(datagram { $0[4] = 0; $0[5] = 40 })                // length past the payload
        try inject(datagram { $0[4] = 0; $0[5] = 7 })                 // length below the header
        #expect(b.udpStats.badlen == 2)
        try inject(Array(datagram()[0..<26]))                         // 6 bytes of UDP
        #expect(b.udpStats.hdrops == 1)
        try inject(datagram { $0[6] = 0; $0[7] = 0 })                 // no checksum: accepted
        #expect(b.udpStats.nosum == 1 && UDP.drain(b, server).count == 1)
        // A shorter length field than the payload: the rest is padding and ignored.
        try inject(datagram(data: [9, 9, 9, 9, 9, 9]) { $0[4] = 0; $0[5] = 10; $0[6] = 0; $0[7] = 0 })
        #expect(try UDP.receive(b, server).0 == [9, 9])
        try inject(datagram(port: 54))                                // closed port
        #expect(b.udpStats.noport == 1)
        #expect(b.udpStats.ipackets == 8)
        #expect(UDP.drain(b, server).isEmpty)
        // A unicast address in a link broadcast frame: delivered to the bound port, but a closed
        // port is counted as a broadcast and not answered.
        let icmpBefore = b.icmpStats.outhist[Int(ICMPType.unreachable)]
        let bIndex = b.interface(named: "mem0")!.index
        for port: UInt16 in [53, 54] {
            var frame = [UInt8](repeating: 0, count: 14) + datagram(port: port)
            frame.withUnsafeMutableBytes { EthernetEmitter.emit($0, dst: .broadcast, src: MACAddress("b2:a0:11:22:33:44")!, type: EtherType.ipv4) }
            frame.withUnsafeBytes { b.receive($0, on: bIndex) }
        }
        #expect(UDP.drain(b, server).count == 1)
        #expect(b.udpStats.noportbcast == 1 && b.udpStats.noport == 1)
        #expect(b.icmpStats.outhist[Int(ICMPType.unreachable)] == icmpBefore)
        // b still answers.
        let c = try UDP.socket(a)
        try UDP.send(a, c, "still there?", to: UDP.ep("10.0.0.2", 53))
        lab.settle()
        #expect(UDP.drain(b, server) == ["still there?"])
    }

    /// Our net.* nodes exist in the NetBSD recording with the same defaults (but dad_count, which we
    /// do not implement) and in the same order (the order sysctl -a prints).
    @Test func sysctlNodesAsNetBSDRecordedThem() throws {
        let text = try String(contentsOfFile: vectorsDirectory.path + "/netbsd-tools/b-sysctl-a-full.txt", encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        let s = NetStack(clock: VirtualClock(), seed: 1)
        var last = -1
        // The stack's own knobs for NetBSD constants (arp_maxtries, the hold limit): not exported there.
        // TCP's RTO bounds are FreeBSD's knobs (NetBSD has none).
        let ours: Set = ["net.inet.arp.maxtries", "net.inet.arp.maxhold", "net.inet.tcp.rexmit_min", "net.inet.tcp.rexmit_initial"]
        for node in s.sysctlList(prefix: "net") where !ours.contains(node.name) {
            let i = try #require(lines.firstIndex { $0.hasPrefix(node.name + " = ") }, "\(node.name)")
            #expect(i > last, "\(node.name) out of NetBSD's order")
            last = i
            if node.name == "net.inet.tcp.congctl.selected" {
                // A string in NetBSD; the stack holds the algorithm's index (the kernel shows its name).
                #expect(lines[i] == "\(node.name) = \(CongestionAlgorithm(rawValue: node.value)!.name)")
            } else if node.name != "net.inet.ip.dad_count" {
                #expect(lines[i] == "\(node.name) = \(node.value)")
            }
        }
        #expect(s.sysctlList(prefix: "net.inet.udp").map(\.name) == ["net.inet.udp.checksum", "net.inet.udp.sendspace",
                                                                  "net.inet.udp.recvspace", "net.inet.udp.do_loopback_cksum"])
    }

    /// What goes on the wire: IP_TTL and IP_TOS in the header, a valid checksum, none with
    /// net.inet.udp.checksum=0, the ports and length as sent.
    @Test func outputOnTheWire() throws {
        let s = NetStack(clock: VirtualClock(), seed: 3)
        let cap = CaptureDriver()
        try s.attachInterface(name: "shmif0", driver: cap, mac: MACAddress("b2:a0:00:00:00:01")!)
        try s.addAddress(name: "shmif0", IPv4Address("10.0.0.1")!, netmask: 0xFFFF_FF00)
        try s.arpSet(IPv4Address("10.0.0.2")!, mac: MACAddress("b2:a0:00:00:00:02")!)
        let fd = try UDP.socket(s)
        try s.bind(fd, to: UDP.ep("0.0.0.0", 4242))
        try s.setOption(fd, .ttl(7))
        try s.setOption(fd, .typeOfService(0x10))
        cap.frames.removeAll()
        try UDP.send(s, fd, "on the wire", to: UDP.ep("10.0.0.2", 53))
        try s.sysctlSet("net.inet.udp.checksum", 0)
        try UDP.send(s, fd, "no sum", to: UDP.ep("10.0.0.2", 53))
        #expect(cap.frames.count == 2)
        for (i, f) in cap.frames.enumerated() {
            try f.withUnsafeBytes { p in
                let ip = try IPv4View(try #require(EthernetView(p)).payload)
                #expect(ip.ttl == 7 && ip.tos == 0x10 && ip.proto == IPProtocol.udp)
                let u = try #require(UDPView(ip.payload))
                #expect(u.header == UDPHeader(sourcePort: 4242, destinationPort: 53, length: 8 + (i == 0 ? 11 : 6),
                                              checksum: u.checksum))
                #expect(i == 0 ? u.checksum != 0 && u.isChecksumValid(src: ip.source, dst: ip.destination) : u.checksum == 0)
            }
        }
        #expect(s.udpStats.opackets == 2)
    }

    @Test func optionsAndDefaults() throws {
        let (_, a, _) = try twoStacks()
        let fd = try UDP.socket(a)
        #expect(try a.getOption(fd, .ttl) == 64)
        try a.setOption(fd, .ttl, value: 5)
        #expect(try a.getOption(fd, .ttl) == 5)
        #expect(throws: Errno.EINVAL) { try a.setOption(fd, .ttl, value: 256) }
        #expect(throws: Errno.ENOPROTOOPT) { try a.setOption(fd, .error, value: 0) }
        #expect(throws: Errno.ENOPROTOOPT) { try a.setOption(fd, .headerIncluded, value: 1) }
        #expect(SocketOptionName(level: 0xFFFF, name: 0x1007) == .error)
        #expect(SocketOptionName(level: 0, name: 4) == .ttl)
        #expect(SocketOptionName(level: 0, name: 99) == nil)
        #expect(throws: Errno.EPROTONOSUPPORT) { try a.socket(domain: 2, type: 2, protocol: 6) }
        #expect(throws: Errno.EADDRNOTAVAIL) { try a.connect(fd, to: UDP.ep("10.0.0.2", 0)) }
        #expect(throws: Errno.EHOSTUNREACH) { try a.connect(fd, to: UDP.ep("192.168.9.9", 53)) }
        let raw = try rawICMPSocket(a)
        #expect(try a.getOption(raw, .type) == Int(SocketConstants.SOCK_RAW))
        #expect(a.socketList.map(\.proto) == [.udp, .raw(1)])
    }
}
