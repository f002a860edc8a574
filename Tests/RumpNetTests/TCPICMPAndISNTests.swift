import Testing
@testable import RumpNet

/// ICMP errors applied to connections (RFC 1122 4.2.3.9, RFC 1191, RFC 5927), the MSS from the
/// route's MTU, ISNs per RFC 6528, listener readiness.
@Suite struct TCPICMPAndISNTests {
    /// Port (or protocol) unreachable for our SYN: the connection is refused at once.
    @Test func portUnreachableRefusesAConnect() throws {
        let t = try TCPScript()
        let fd = try t.stream()
        #expect(throws: Errno.EINPROGRESS) { try t.stack.connect(fd, to: SocketEndpoint(TCPScript.peer, 8080)) }
        let syn = try #require(t.expect(.syn))
        t.injectICMP(type: 3, code: 3, quoting: syn)
        #expect(try t.soError(fd) == .ECONNREFUSED)
        #expect(t.state(fd) == .closed)
        t.advance(5)
        t.expectNothing("no retransmission, no RST")
    }

    /// Host unreachable is a soft error (RFC 1122 4.2.3.9: MUST NOT abort): the SYN goes
    /// again, SO_ERROR stays clear, and a later SYN-ACK completes the connection cleanly; as
    /// NetBSD's tcp_notify keeps it in t_softerror until the connection gives up.
    @Test func hostUnreachableWhileConnectingIsSoft() throws {
        let t = try TCPScript()
        let fd = try t.stream()
        #expect(throws: Errno.EINPROGRESS) { try t.stack.connect(fd, to: SocketEndpoint(TCPScript.peer, 8080)) }
        let syn = try #require(t.expect(.syn))
        t.injectICMP(type: 3, code: 1, quoting: syn)
        #expect(t.state(fd) == .synSent)
        #expect(!t.stack.socketEvents(fd).contains(.error))
        t.advance(1.01)
        t.expect(.syn, seq: syn.seq, atMs: 1000)
        t.swapPorts(ours: syn.tcp.sourcePort)
        t.inject(t.segment([.syn, .ack], seq: TCPSeq(900), ack: syn.seq + 1))
        t.expect(.ack, ack: TCPSeq(901))
        #expect(t.state(fd) == .established)
        #expect(try t.soError(fd) == nil)
    }

    /// Repeated host unreachables after four retransmissions end the attempt with that error.
    @Test func hostUnreachableAfterRetriesEndsTheConnect() throws {
        let t = try TCPScript()
        let fd = try t.stream()
        #expect(throws: Errno.EINPROGRESS) { try t.stack.connect(fd, to: SocketEndpoint(TCPScript.peer, 8080)) }
        let syn = try #require(t.expect(.syn))
        t.advance(15.5)   // retransmissions at 1, 3, 7, 15 s: t_rxtshift 4
        _ = t.takeAll()
        t.injectICMP(type: 3, code: 1, quoting: syn)
        #expect(try t.soError(fd) == .EHOSTUNREACH)
        #expect(t.state(fd) == .closed)
    }

    /// Soft errors for an established connection change nothing (NetBSD's tcp_notify).
    @Test func unreachableForAnEstablishedConnectionIsIgnored() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        try t.write(c.fd, .pattern(100))
        let d = try #require(t.take())
        for code: UInt8 in [0, 1, 3] { t.injectICMP(type: 3, code: code, quoting: d) }
        #expect(t.state(c.fd) == .established)
        #expect(try t.soError(c.fd) == nil)
    }

    /// Fragmentation needed (RFC 1191): the segment size drops to the next hop's MTU − 40
    /// and the data in flight goes again at once in the smaller segments.
    @Test func fragmentationNeededLowersTheSegmentSize() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(rtt: 0.1)
        try t.write(c.fd, .pattern(2920))
        let segs = t.takeAll()
        #expect(segs.map(\.payload.count) == [1460, 1460])
        t.injectICMP(type: 3, code: 4, nextHopMTU: 1000, quoting: segs[0], from: IPv4Address("10.0.0.254")!)
        #expect(t.tcb(c.fd)?.maxSeg == 960)
        let again = t.takeAll()
        #expect(again.first?.seq == c.ours)
        #expect(again.allSatisfy { $0.payload.count <= 960 })
        #expect(again.map(\.payload.count).reduce(0, +) >= 960)
    }

    /// RFC 5927: an ICMP error quoting a sequence number not in flight is ignored.
    @Test func icmpForSequenceNotInFlightIsIgnored() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(rtt: 0.1)
        try t.write(c.fd, .pattern(1460))
        var d = try #require(t.take())
        d.tcp.sequence = c.ours + 100_000
        t.injectICMP(type: 3, code: 4, nextHopMTU: 600, quoting: d)
        #expect(t.tcb(c.fd)?.maxSeg == 1460)
        t.expectNothing()
    }

    /// The MSS offered comes from the interface's MTU (1000 → 960).
    @Test func mssFollowsTheInterfaceMTU() throws {
        let t = try TCPScript()
        try t.stack.setMTU(name: "shmif0", 1000)
        _ = try t.listen()
        t.inject(t.segment(.syn, seq: TCPSeq(1)))
        let sa = t.expect([.syn, .ack])
        #expect(sa?.tcp.maxSegmentSize == 960)
    }

    /// RFC 6528: ISN = M + F(four-tuple, key): per four-tuple apart, advancing with the 4 µs
    /// clock M for the same one, and another kernel seed gives others.
    @Test func initialSequenceNumbersFollowRFC6528() throws {
        func iss(seed: UInt64, port: UInt16, after seconds: Double) throws -> TCPSeq {
            let t = try TCPScript(seed: seed)
            t.advance(seconds)
            _ = try t.listen()
            t.peerPort = port
            t.inject(t.segment(.syn, seq: TCPSeq(1)))
            return try #require(t.expect([.syn, .ack])).seq
        }
        let a = try iss(seed: 7, port: 40000, after: 0)
        let b = try iss(seed: 7, port: 40001, after: 0)
        let a1 = try iss(seed: 7, port: 40000, after: 1)
        let other = try iss(seed: 8, port: 40000, after: 0)
        #expect(a != b)
        #expect(a1 - a == 250_000)   // 1 s of a 4 µs clock
        #expect(other != a)
    }

    /// A listener is readable exactly when a completed connection waits (accept(2) would not block).
    @Test func listenerReadinessFollowsTheAcceptQueue() throws {
        let t = try TCPScript()
        let l = try t.listen()
        #expect(!t.stack.socketEvents(l).contains(.readable))
        t.inject(t.segment(.syn, seq: TCPSeq(1)))
        let sa = try #require(t.expect([.syn, .ack]))
        #expect(!t.stack.socketEvents(l).contains(.readable))   // embryonic: not yet
        t.inject(t.segment(.ack, seq: TCPSeq(2), ack: sa.seq + 1))
        #expect(t.stack.socketEvents(l).contains(.readable))
        _ = try t.stack.accept(l)
        #expect(!t.stack.socketEvents(l).contains(.readable))
        #expect(throws: Errno.EWOULDBLOCK) { try t.stack.accept(l) }
    }

    /// Data for a connection reset in the accept queue: accept still works, the reset
    /// connection is gone from the queue (NetBSD never returns ECONNABORTED for it).
    @Test func connectionResetBeforeAcceptLeavesTheQueue() throws {
        let t = try TCPScript()
        let l = try t.listen()
        t.inject(t.segment(.syn, seq: TCPSeq(1)))
        let sa = try #require(t.expect([.syn, .ack]))
        t.inject(t.segment(.ack, seq: TCPSeq(2), ack: sa.seq + 1))
        t.inject(t.segment(.rst, seq: TCPSeq(2)))
        #expect(throws: Errno.EWOULDBLOCK) { try t.stack.accept(l) }
        #expect(!t.stack.socketEvents(l).contains(.readable))
    }
}
