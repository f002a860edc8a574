import Testing
@testable import RumpNet

/// Data both ways, ACK generation (RFC 5681 4.2, RFC 9293 3.8.6.3), reordering and duplication.
@Suite struct TCPDataTests {
    /// One segment in order: the ACK is delayed by net.inet.tcp.delack_ticks × 10 ms (200 ms).
    @Test func singleSegmentIsAckedAfterTheDelayedAckTime() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: .pattern(1000))
        t.expectNothing("the ACK waits")
        t.advance(1)
        t.expect(.ack, seq: c.ours, ack: c.theirs + 1000, window: 32768 - 1000, atMs: 200)
        t.expectNothing()
        #expect(t.stack.tcpStats.delack == 1)
        #expect(try t.read(c.fd) == .pattern(1000))
    }

    @Test func delayedAckTimeFollowsTheSysctl() throws {
        let t = try TCPScript(sysctl: [("net.inet.tcp.delack_ticks", 5)])
        let c = try t.acceptConnection()
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: .pattern(10))
        t.advance(1)
        t.expect(.ack, ack: c.theirs + 10, atMs: 50)
        // delack_ticks 0: every segment is acked at once.
        let t0 = try TCPScript(sysctl: [("net.inet.tcp.delack_ticks", 0)])
        let c0 = try t0.acceptConnection()
        t0.inject(t0.segment(.ack, seq: c0.theirs, ack: c0.ours), payload: .pattern(10))
        t0.expect(.ack, ack: c0.theirs + 10, atMs: 0)
    }

    /// Every second full-sized segment is acked at once (RFC 5681 4.2).
    @Test func everySecondSegmentIsAckedAtOnce() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: .pattern(1460))
        t.expectNothing()
        t.inject(t.segment(.ack, seq: c.theirs + 1460, ack: c.ours), payload: .pattern(1460, seed: 1460))
        t.expect(.ack, ack: c.theirs + 2920, atMs: 0)
        t.advance(1)
        t.expectNothing("no delayed ACK left over")
    }

    /// Our data: sent at once (Nagle lets the first small segment go), PSH on the last
    /// segment of the write, piggy-backed ACKs.
    @Test func dataFromUsAndPiggybackedAck() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: .pattern(10))
        try t.write(c.fd, .pattern(100))
        let s = try #require(t.expect([.ack, .psh], seq: c.ours, ack: c.theirs + 10, length: 100, atMs: 0))
        #expect(s.payload == .pattern(100))
        t.inject(t.segment(.ack, seq: c.theirs + 10, ack: c.ours + 100))
        t.advance(1)
        t.expectNothing("the delayed ACK went with the data")
        #expect(try t.read(c.fd) == .pattern(10))
    }

    /// Nagle (RFC 896): a small segment waits while data is unacknowledged; TCP_NODELAY sends it.
    @Test func nagleHoldsSmallSegmentsUntilAcked() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        try t.write(c.fd, .pattern(100))
        t.expect([.ack, .psh], seq: c.ours, length: 100)
        try t.write(c.fd, .pattern(50))
        t.expectNothing("Nagle holds 50 bytes behind 100 unacknowledged")
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 100))
        t.expect([.ack, .psh], seq: c.ours + 100, length: 50)
        try t.stack.setOption(c.fd, .noDelay(true))
        try t.write(c.fd, .pattern(10))
        t.expect([.ack, .psh], seq: c.ours + 150, length: 10)
    }

    /// A write of several segments on an idle connection goes out whole, the short tail
    /// included: BSD's tcp_output judges Nagle's "idle" once per call (snd_max == snd_una
    /// when the call began), so one write is not split into a burst and a delayed tail.
    @Test func oneWriteOnAnIdleConnectionIsSentWhole() throws {
        let t = try TCPScript()
        var o = PeerOptions.plain
        o.mss = 1000
        let c = try t.acceptConnection(o)
        try t.write(c.fd, .pattern(2500))
        let segs = t.takeAll()
        #expect(segs.map(\.payload.count) == [1000, 1000, 500])
        #expect(segs.map(\.seq) == [c.ours, c.ours + 1000, c.ours + 2000])
        #expect(segs.last?.flags.contains(.psh) == true)
    }

    /// Reordering: a segment after a hole draws an immediate duplicate ACK; the one that fills
    /// the hole draws an immediate ACK of everything; the bytes read are in order.
    @Test func reorderedSegmentsAreReassembled() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        let data = [UInt8].pattern(3000)
        t.inject(t.segment(.ack, seq: c.theirs + 1000, ack: c.ours), payload: Array(data[1000..<2000]))
        t.expect(.ack, ack: c.theirs, atMs: 0)
        t.inject(t.segment(.ack, seq: c.theirs + 2000, ack: c.ours), payload: Array(data[2000..<3000]))
        t.expect(.ack, ack: c.theirs, atMs: 0)
        #expect(try t.read(c.fd) == [])
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: Array(data[0..<1000]))
        t.expect(.ack, ack: c.theirs + 3000, atMs: 0)
        #expect(try t.read(c.fd) == data)
        #expect(t.stack.tcpStats.rcvoopack == 2)
    }

    /// With SACK the duplicate ACKs carry the blocks received (RFC 2018 4: the most recent first).
    @Test func outOfOrderDataIsReportedInSACKBlocks() throws {
        let t = try TCPScript()
        var o = PeerOptions.plain
        o.sackPermitted = true
        let c = try t.acceptConnection(o)
        t.inject(t.segment(.ack, seq: c.theirs + 1000, ack: c.ours), payload: .pattern(500))
        let a = t.expect(.ack, ack: c.theirs)
        #expect(a?.tcp.sackBlocks == SACKBlocks([SACKBlock(left: c.theirs + 1000, right: c.theirs + 1500)]))
        t.inject(t.segment(.ack, seq: c.theirs + 3000, ack: c.ours), payload: .pattern(500))
        let b = t.expect(.ack, ack: c.theirs)
        #expect(b?.tcp.sackBlocks == SACKBlocks([SACKBlock(left: c.theirs + 3000, right: c.theirs + 3500),
                                                 SACKBlock(left: c.theirs + 1000, right: c.theirs + 1500)]))
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: .pattern(1000))
        let d = t.expect(.ack, ack: c.theirs + 1500)
        #expect(d?.tcp.sackBlocks == SACKBlocks([SACKBlock(left: c.theirs + 3000, right: c.theirs + 3500)]))
    }

    /// Duplication: a segment received twice is acknowledged at once and read once; a partly
    /// old one gives only its new bytes.
    @Test func duplicateAndOverlappingSegments() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        let data = [UInt8].pattern(1500)
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: Array(data[0..<1000]))
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: Array(data[0..<1000]))
        t.expect(.ack, ack: c.theirs + 1000, atMs: 0)   // the duplicate's ACK, at once
        #expect(t.stack.tcpStats.rcvduppack == 1)
        t.inject(t.segment(.ack, seq: c.theirs + 500, ack: c.ours), payload: Array(data[500..<1500]))
        _ = t.takeAll()
        #expect(try t.read(c.fd) == data)
        #expect(t.stack.tcpStats.rcvpartduppack == 1)
    }

    /// Half close both ways: our FIN after the data, their data still read in FIN_WAIT_2, their
    /// FIN: end of file.
    @Test func halfCloseKeepsReceiving() throws {
        let t = try TCPScript()
        var c = try t.acceptConnection()
        try t.write(c.fd, .pattern(10))
        try t.stack.shutdown(c.fd, how: SocketConstants.SHUT_WR)
        t.expect([.ack, .psh], seq: c.ours, length: 10)
        t.expect([.fin, .ack], seq: c.ours + 10)
        c.ours += 11
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours))
        #expect(t.state(c.fd) == .finWait2)
        #expect(throws: Errno.EPIPE) { try t.write(c.fd, [1]) }
        t.inject(t.segment([.ack, .psh], seq: c.theirs, ack: c.ours), payload: .pattern(77))
        #expect(try t.read(c.fd) == .pattern(77))
        t.inject(t.segment([.fin, .ack], seq: c.theirs + 77, ack: c.ours))
        t.expect(.ack, seq: c.ours, ack: c.theirs + 78, atMs: 0)
        #expect(try t.read(c.fd) == nil)
        #expect(t.state(c.fd) == .timeWait)
    }

    /// The peer closes first: EOF after its data, CLOSE_WAIT, then our FIN and LAST_ACK → CLOSED.
    @Test func passiveClose() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        t.inject(t.segment([.fin, .ack, .psh], seq: c.theirs, ack: c.ours), payload: .pattern(5))
        t.expect(.ack, ack: c.theirs + 6, atMs: 0)   // a FIN is acked at once
        #expect(t.state(c.fd) == .closeWait)
        #expect(try t.read(c.fd) == .pattern(5))
        #expect(try t.read(c.fd) == nil)
        try t.write(c.fd, .pattern(3))   // CLOSE_WAIT still sends
        t.expect([.ack, .psh], seq: c.ours, ack: c.theirs + 6, length: 3)
        try t.stack.close(c.fd)
        t.flush()
        t.expect([.fin, .ack], seq: c.ours + 3, ack: c.theirs + 6)
        #expect(t.connectionState == .lastAck)
        t.inject(t.segment(.ack, seq: c.theirs + 6, ack: c.ours + 4))
        #expect(t.connectionState == nil)
    }

    /// net.inet.tcp.ack_on_push: a PSH segment is acknowledged at once instead of delayed.
    @Test func ackOnPushAcksAtOnce() throws {
        let t = try TCPScript(sysctl: [("net.inet.tcp.ack_on_push", 1)])
        let c = try t.acceptConnection()
        t.inject(t.segment([.ack, .psh], seq: c.theirs, ack: c.ours), payload: .pattern(10))
        t.expect(.ack, ack: c.theirs + 10, atMs: 0)
        t.inject(t.segment(.ack, seq: c.theirs + 10, ack: c.ours), payload: .pattern(10))
        t.expectNothing("no PSH: delayed")
    }

    /// Data on a SYN is not taken before the handshake (NetBSD's syn cache keeps none): the
    /// SYN-ACK acknowledges the SYN only; the data sent again after it is taken.
    @Test func dataOnSynIsAcknowledgedOnlyAfterItComesAgain() throws {
        let t = try TCPScript()
        let l = try t.listen()
        t.inject(t.segment(.syn, seq: TCPSeq(500)), payload: .pattern(20))
        let sa = try #require(t.expect([.syn, .ack], ack: TCPSeq(501)))
        t.inject(t.segment([.ack, .psh], seq: TCPSeq(501), ack: sa.seq + 1), payload: .pattern(20))
        let (fd, _) = try t.stack.accept(l)
        #expect(try t.read(fd) == .pattern(20))
    }

    /// The out-of-order queue is bounded: data past the window is cut off and answered with an
    /// ACK; more disjoint pieces than the assembler keeps (32 ranges) are dropped and counted,
    /// and what was kept still reassembles exactly once the hole fills.
    @Test func outOfOrderQueueIsBounded() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        t.inject(t.segment(.ack, seq: c.theirs + 40_000, ack: c.ours), payload: .pattern(100))   // past 32768
        t.expect(.ack, ack: c.theirs)
        #expect(t.stack.tcpStats.rcvpackafterwin == 1)
        let data = [UInt8].pattern(20_000)
        // 40 one-hundred-byte pieces with gaps between them: 100..200, 300..400, ...
        for k in 0..<40 {
            let off = 100 + 200 * k
            t.inject(t.segment(.ack, seq: c.theirs + off, ack: c.ours), payload: Array(data[off..<(off + 100)]))
        }
        _ = t.takeAll()
        #expect(t.stack.tcpStats.rcvmemdrop > 0)
        #expect(t.stack.tcpStats.rcvoopack + t.stack.tcpStats.rcvmemdrop == 40)
        // Fill everything in order: the bytes read are exactly the data.
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: Array(data[0..<1460]))
        var off = 1460
        while off < 8100 {
            let n = min(1460, 8100 - off)
            t.inject(t.segment(.ack, seq: c.theirs + off, ack: c.ours), payload: Array(data[off..<(off + n)]))
            off += n
        }
        var got: [UInt8] = []
        while let d = try t.read(c.fd), !d.isEmpty { got += d }
        #expect(got == Array(data[0..<8100]))
        #expect(t.takeAll().last?.ack == c.theirs + 8100)
    }

    /// Sequence numbers wrap at 2^32 (RFC 9293 3.4): the peer's data crosses the wrap, in
    /// order and out of order, and is reassembled and acknowledged across it; ours too.
    @Test(arguments: [false, true])
    func sequenceNumbersWrap(upperISS: Bool) throws {
        let t = try TCPScript(seed: TCPScript.seed(upperISS: upperISS))
        let c = try t.acceptConnection(isn: 0xFFFF_FE00)
        let data = [UInt8].pattern(3000)
        // 0..1000 then 2000..3000 (past the wrap, out of order), then the hole 1000..2000.
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: Array(data[0..<1000]))
        t.inject(t.segment(.ack, seq: c.theirs + 2000, ack: c.ours), payload: Array(data[2000..<3000]))
        t.expect(.ack, ack: c.theirs + 1000)
        t.inject(t.segment(.ack, seq: c.theirs + 1000, ack: c.ours), payload: Array(data[1000..<2000]))
        t.expect(.ack, ack: c.theirs + 3000)
        #expect((c.theirs + 3000).raw < 0x1000)   // it did wrap
        #expect(try t.read(c.fd) == data)
        // Our side: 100 000 bytes acknowledged as they go, whatever our ISS.
        var sent = 0
        let out = [UInt8].pattern(100_000)
        let tp = try #require(t.tcb(c.fd))
        while sent < out.count || tp.sndUna != tp.sndMax {
            if sent < out.count { sent += try t.write(c.fd, Array(out[sent...])) }
            let segs = t.takeAll()
            guard !segs.isEmpty else { break }
            t.inject(t.segment(.ack, seq: c.theirs + 3000, ack: tp.sndMax))
        }
        #expect(tp.sndUna == c.ours + 100_000)
        #expect(t.stack.tcpStats.sndrexmitpack == 0)
    }

    /// A FIN ahead of a hole waits for the hole (RFC 9293 3.10.7.4 eighth): the reader sees
    /// the data, then end of file, and the ACK covers the FIN only once the data is in.
    @Test func finAfterAHoleWaitsForTheData() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        t.inject(t.segment([.fin, .ack], seq: c.theirs + 100, ack: c.ours), payload: .pattern(50, seed: 100))
        t.expect(.ack, ack: c.theirs)
        #expect(t.state(c.fd) == .established)
        #expect(try t.read(c.fd) == [])
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: .pattern(100))
        t.expect(.ack, ack: c.theirs + 151, atMs: 0)
        #expect(t.state(c.fd) == .closeWait)
        #expect(try t.read(c.fd) == .pattern(150))
        #expect(try t.read(c.fd) == nil)
    }

    /// With timestamps the SACK option has room for 3 blocks (RFC 2018 3): the most recent first.
    @Test func sackBlocksAreLimitedToThreeWithTimestamps() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(.netbsd)
        for k in 1...4 { t.inject(t.segment(.ack, seq: c.theirs + 200 * k, ack: c.ours), payload: .pattern(100)) }
        let last = try #require(t.takeAll().last)
        #expect(last.tcp.timestamp != nil)
        #expect(last.tcp.sackBlocks.map(\.left) == [c.theirs + 800, c.theirs + 600, c.theirs + 400])
    }

    /// SND.WL1/SND.WL2 (RFC 9293 3.10.7.4): an old segment arriving late does not take back the
    /// window a newer one gave.
    @Test func staleSegmentDoesNotUpdateTheWindow() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        t.inject(t.segment([.ack, .psh], seq: c.theirs, ack: c.ours, window: 5000), payload: .pattern(10))
        t.inject(t.segment([.ack, .psh], seq: c.theirs + 10, ack: c.ours, window: 20000), payload: .pattern(10))
        t.inject(t.segment([.ack, .psh], seq: c.theirs, ack: c.ours, window: 0), payload: .pattern(10))   // the first, again, late
        #expect(t.tcb(c.fd)?.sndWnd == 20000)
    }

    /// The right edge of the window we advertised never moves left (RFC 9293 3.8.6.2.2), even
    /// when SO_RCVBUF is made smaller.
    @Test func advertisedRightEdgeNeverMovesLeft() throws {
        let t = try TCPScript(sysctl: [("net.inet.tcp.recvbuf_auto", 0)])
        let c = try t.acceptConnection()
        try t.stack.setOption(c.fd, .receiveBuffer(2000))
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours), payload: .pattern(10))
        t.advance(0.3)
        let a = try #require(t.take())
        #expect(a.ack + Int(a.window) >= c.theirs + 32768)
    }

    /// Data on the SYN-ACK (RFC 9293 3.10.7.3: queued for the user once synchronized) is
    /// readable at once and acknowledged with the SYN.
    @Test func dataOnSynAckIsTaken() throws {
        let t = try TCPScript()
        let fd = try t.stream()
        #expect(throws: Errno.EINPROGRESS) { try t.stack.connect(fd, to: SocketEndpoint(TCPScript.peer, 8080)) }
        let syn = try #require(t.expect(.syn))
        t.swapPorts(ours: syn.tcp.sourcePort)
        t.inject(t.segment([.syn, .ack, .psh], seq: TCPSeq(100), ack: syn.seq + 1), payload: .pattern(10))
        t.expect(.ack, seq: syn.seq + 1, ack: TCPSeq(111))
        #expect(try t.read(fd) == .pattern(10))
    }

    /// Receiver SWS avoidance (RFC 9293 3.8.6.2.2): reading a little out of a full buffer sends
    /// no window update; once the window can grow by two segments or half the buffer, one goes.
    @Test func receiverSWSAvoidance() throws {
        let t = try TCPScript(sysctl: [("net.inet.tcp.recvbuf_auto", 0), ("net.inet.tcp.recvspace", 8192)])
        let c = try t.acceptConnection()
        for k in 0..<8 { t.inject(t.segment(.ack, seq: c.theirs + 1024 * k, ack: c.ours), payload: .pattern(1024)) }
        #expect(t.takeAll().last?.window == 0)
        #expect(try t.read(c.fd, max: 100)?.count == 100)
        t.expectNothing("100 bytes of room is not worth a window update")
        #expect(try t.read(c.fd, max: 2900)?.count == 2900)
        let u = t.expect(.ack, ack: c.theirs + 8192)
        #expect(u?.window == 3000)
    }

    /// shutdown(SHUT_RD): reads return end of file at once; data arriving later is acknowledged
    /// and discarded (NetBSD's tcp_input frees it when SS_CANTRCVMORE), the connection stays.
    @Test func shutdownReadDiscardsLaterData() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        try t.stack.shutdown(c.fd, how: SocketConstants.SHUT_RD)
        #expect(try t.read(c.fd) == nil)
        t.inject(t.segment([.ack, .psh], seq: c.theirs, ack: c.ours), payload: .pattern(100))
        t.advance(0.3)
        let a = t.takeAll().last
        #expect(a?.ack == c.theirs + 100)
        #expect(try t.read(c.fd) == nil)
        #expect(t.state(c.fd) == .established)
        try t.write(c.fd, .pattern(5))   // the other direction still works
        #expect(t.takeAll().contains { $0.payload.count == 5 })
    }
}
