import Testing
@testable import RumpNet

/// Window scaling and timestamps with PAWS (RFC 7323), segment by segment.
@Suite struct TCPOptionsTests {
    /// Both sides scale: the peer's window fields count in units of 2^its shift, ours are
    /// our window >> 3; the SYNs' windows are never scaled.
    @Test func windowScalingBothWays() throws {
        let t = try TCPScript()
        var o = PeerOptions.plain
        o.windowScale = 2
        let c = try t.acceptConnection(o, window: 100)   // handshake ACK: 100 << 2 = 400 bytes
        #expect(t.tcb(c.fd)?.sndWnd == 400)
        try t.write(c.fd, .pattern(1000))
        let first = t.takeAll()
        #expect(first.map(\.payload.count) == [400])
        #expect(first.first?.window == UInt16(32768 >> 3))
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 400, window: 1000))   // 4000 bytes
        #expect(t.takeAll().map(\.payload.count) == [600])
        // Their data: our window shrinks in units of 8 bytes.
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 1000, window: 1000), payload: .pattern(800))
        t.advance(0.3)
        t.expect(.ack, ack: c.theirs + 800, window: UInt16((32768 - 800) >> 3))
    }

    /// Without the peer's option neither side scales (RFC 7323 2.2), even with a large buffer:
    /// the window field saturates at 65535.
    @Test func noScalingWithoutThePeersOption() throws {
        let t = try TCPScript(sysctl: [("net.inet.tcp.recvspace", 200_000), ("net.inet.tcp.recvbuf_auto", 0)])
        let c = try t.acceptConnection(window: 3000)
        #expect(t.tcb(c.fd)?.sndWnd == 3000)
        #expect(t.tcb(c.fd)?.rcvScale == 0)
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: .pattern(10))
        t.advance(0.3)
        t.expect(.ack, ack: c.theirs + 10, window: 65535)
    }

    /// A large buffer with scaling: SYN-ACK window min(buffer, 65535), later buffer >> 3.
    @Test func largeWindowIsAdvertisedScaled() throws {
        let t = try TCPScript(sysctl: [("net.inet.tcp.recvspace", 200_000), ("net.inet.tcp.recvbuf_auto", 0)])
        _ = try t.listen()
        var syn = t.segment(.syn, seq: TCPSeq(1000))
        var o = PeerOptions.plain
        o.windowScale = 0
        t.synOptions(&syn, o)
        t.inject(syn)
        let sa = try #require(t.expect([.syn, .ack], window: 65535))
        #expect(sa.tcp.windowScale == 3)
        t.inject(t.segment(.ack, seq: TCPSeq(1001), ack: sa.seq + 1), payload: .pattern(8))
        t.advance(0.3)
        t.expect(.ack, ack: TCPSeq(1009), window: UInt16((200_000 - 8) >> 3))
    }

    /// PAWS (RFC 7323 5.3): a segment whose TSval is older than TS.Recent is dropped and
    /// answered with an ACK; its data is not taken. RSTs are exempt.
    @Test func pawsDropsOldTimestamps() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(.netbsd)
        t.peerTSval += 10
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: .pattern(100))
        let recent = t.peerTSval
        t.peerTSval -= 5   // an old duplicate from the past
        t.inject(t.segment(.ack, seq: c.theirs + 100, ack: c.ours), payload: .pattern(100, seed: 100))
        let a = t.take()
        #expect(a?.ack == c.theirs + 100)            // the old segment's data was not taken
        #expect(a?.tcp.timestamp?.echo == recent)
        #expect(t.stack.tcpStats.pawsdrop == 1)
        #expect(try t.read(c.fd) == .pattern(100))
        // The same bytes with a current timestamp are taken.
        t.peerTSval = recent + 1
        t.inject(t.segment(.ack, seq: c.theirs + 100, ack: c.ours), payload: .pattern(100, seed: 100))
        #expect(try t.read(c.fd) == .pattern(100, seed: 100))
        // A RST with an old timestamp still counts.
        t.peerTSval = recent - 50
        var r = t.segment(.rst, seq: c.theirs + 200, window: 0)
        r.timestamp = (t.peerTSval, 0)
        t.inject(r)
        #expect(t.state(c.fd) == .closed)
    }

    /// Every segment we send carries TSval (our ms clock + offset) and TSecr = TS.Recent.
    @Test func timestampsAreEchoed() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(.netbsd)
        t.peerTSval = 5555
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: .pattern(10))
        t.advance(0.05)
        try t.write(c.fd, .pattern(10))
        let s = try #require(t.take())
        #expect(s.tcp.timestamp?.echo == 5555)
        t.inject(t.segment(.ack, seq: c.theirs + 10, ack: c.ours + 10))
        t.advance(1)
        try t.write(c.fd, .pattern(10))
        let s2 = try #require(t.take())
        // Our clock is in milliseconds: 1000 ms later, TSval is 1000 more.
        #expect(s2.tcp.timestamp!.value &- s.tcp.timestamp!.value == 1000)
    }

    /// RFC 7323 4.3: with ACKs delayed, TS.Recent comes from the segment at Last.ACK.sent, so
    /// the echo is the earliest unacknowledged segment's TSval (RTT measured with the delay).
    @Test func echoIsTheEarliestUnackedSegmentsTSval() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(.netbsd)
        t.peerTSval = 2000
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: .pattern(1000))
        t.peerTSval = 2001
        t.inject(t.segment(.ack, seq: c.theirs + 1000, ack: c.ours), payload: .pattern(1000))
        let a = t.expect(.ack, ack: c.theirs + 2000)
        #expect(a?.tcp.timestamp?.echo == 2000)
    }

    /// Timestamps reduce our segment size by 12 bytes (1460 → 1448).
    @Test func timestampsShrinkTheSegment() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(.netbsd)
        try t.write(c.fd, .pattern(3000))
        #expect(t.takeAll().map(\.payload.count) == [1448, 1448, 104])
    }

    /// RFC 7323 5.5: after more than 24 days idle TS.Recent is no longer valid, so a segment
    /// with an older TSval (the peer's clock wrapped or restarted) is taken, not PAWS-dropped.
    @Test func tsRecentExpiresAfter24DaysIdle() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(.netbsd)
        t.peerTSval = 1_000_000
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: .pattern(10))
        _ = t.takeAll()
        t.advance(25 * 86_400)
        t.peerTSval = 5
        t.inject(t.segment(.ack, seq: c.theirs + 10, ack: c.ours), payload: .pattern(10, seed: 10))
        #expect(try t.read(c.fd) == .pattern(20))
        #expect(t.stack.tcpStats.pawsdrop == 0)
    }
}
