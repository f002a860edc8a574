import Testing
@testable import RumpNet

/// Opening connections, segment by segment (RFC 9293 3.5, 3.10.7; RFC 6298 for the SYN's timer).
@Suite struct TCPHandshakeTests {
    @Test func passiveOpenAnswersWithOurOptions() throws {
        let t = try TCPScript()
        _ = try t.listen()
        t.peerOptions = .netbsd
        var syn = t.segment(.syn, seq: TCPSeq(1000))
        t.synOptions(&syn, .netbsd)
        t.inject(syn)
        let sa = try #require(t.expect([.syn, .ack], ack: TCPSeq(1001), window: 32768, atMs: 0))
        #expect(sa.tcp.maxSegmentSize == 1460)           // MTU 1500 - 40
        #expect(sa.tcp.windowScale == 3)                 // 262144 (recvbuf_max) needs a shift of 3
        #expect(sa.tcp.sackPermitted)
        #expect(sa.tcp.timestamp?.echo == t.peerTSval)   // TSecr = the SYN's TSval
        #expect(t.connectionState == .synReceived)
        t.expectNothing()
    }

    @Test func passiveOpenWithoutOptionsOffersNone() throws {
        let t = try TCPScript()
        _ = try t.listen()
        t.inject(t.segment(.syn, seq: TCPSeq(1000)))
        let sa = try #require(t.expect([.syn, .ack], ack: TCPSeq(1001)))
        #expect(sa.tcp.maxSegmentSize == 1460)           // MSS is always offered
        #expect(sa.tcp.windowScale == nil)               // RFC 7323 2.2: only in answer to one
        #expect(!sa.tcp.sackPermitted)
        #expect(sa.tcp.timestamp == nil)
    }

    @Test func activeOpenOffersOptionsAndCompletes() throws {
        let t = try TCPScript()
        let fd = try t.stream()
        #expect(throws: Errno.EINPROGRESS) { try t.stack.connect(fd, to: SocketEndpoint(TCPScript.peer, 8080)) }
        #expect(throws: Errno.EALREADY) { try t.stack.connect(fd, to: SocketEndpoint(TCPScript.peer, 8080)) }
        let syn = try #require(t.expect(.syn, ack: TCPSeq(0), atMs: 0))
        #expect(syn.tcp.destinationPort == 8080)
        #expect(syn.tcp.maxSegmentSize == 1460)
        #expect(syn.tcp.windowScale == 3)
        #expect(syn.tcp.sackPermitted)
        #expect(syn.tcp.timestamp?.echo == 0)
        #expect(!t.stack.socketEvents(fd).contains(.writable))
        t.swapPorts(ours: syn.tcp.sourcePort)
        t.peerOptions = .netbsd
        var sa = t.segment([.syn, .ack], seq: TCPSeq(7000), ack: syn.seq + 1)
        t.synOptions(&sa, .netbsd)
        t.inject(sa)
        let ack = try #require(t.expect(.ack, seq: syn.seq + 1, ack: TCPSeq(7001)))
        #expect(ack.tcp.timestamp?.echo == t.peerTSval)
        #expect(t.state(fd) == .established)
        #expect(t.stack.socketEvents(fd).contains(.writable))
        #expect(try t.soError(fd) == nil)
        #expect(throws: Errno.EISCONN) { try t.stack.connect(fd, to: SocketEndpoint(TCPScript.peer, 8080)) }
        // Timestamps agreed: a segment carries 1460 - 12 bytes at most.
        #expect(try t.stack.getOption(fd, .maxSegment) == 1448)
    }

    /// RFC 6298 2.1/5.5: the SYN goes again after 1 s, then 2 s, 4 s, ... (doubling); the
    /// connection gives up at net.inet.tcp.keepinit (150 slow ticks = 75 s) with ETIMEDOUT.
    @Test func lostSYNIsRetransmittedWithBackoffThenTimesOut() throws {
        let t = try TCPScript()
        let fd = try t.stream()
        #expect(throws: Errno.EINPROGRESS) { try t.stack.connect(fd, to: SocketEndpoint(TCPScript.peer, 8080)) }
        let first = try #require(t.expect(.syn, atMs: 0))
        t.advance(80)
        var at = 0.0
        for k in 0..<6 {
            at += 1000 * Double(1 << k)
            let s = t.expect(.syn, seq: first.seq, atMs: at)
            #expect(s?.tcp.maxSegmentSize == 1460)
        }
        // 1+2+4+8+16+32 = 63 s; the next would be at 127 s, but keepinit ends it at 75 s.
        t.expectNothing("no RST for a connection never synchronized")
        #expect(try t.soError(fd) == .ETIMEDOUT)
        #expect(t.state(fd) == .closed)
    }

    @Test func refusedConnectSetsECONNREFUSED() throws {
        let t = try TCPScript()
        let fd = try t.stream()
        #expect(throws: Errno.EINPROGRESS) { try t.stack.connect(fd, to: SocketEndpoint(TCPScript.peer, 8080)) }
        let syn = try #require(t.expect(.syn))
        t.swapPorts(ours: syn.tcp.sourcePort)
        t.inject(t.segment([.rst, .ack], seq: TCPSeq(0), ack: syn.seq + 1, window: 0))
        t.expectNothing()
        #expect(t.stack.socketEvents(fd).contains(.error))
        #expect(try t.soError(fd) == .ECONNREFUSED)
        #expect(try t.soError(fd) == nil)  // read once, then clear
        #expect(t.state(fd) == .closed)
        t.advance(10)
        t.expectNothing("no retransmission after the refusal")
    }

    /// RFC 9293 3.10.7.3: a SYN-ACK acknowledging something we never sent draws <SEQ=SEG.ACK><CTL=RST>
    /// and the connection stays in SYN_SENT.
    @Test func synAckWithBadAckIsResetAndIgnored() throws {
        let t = try TCPScript()
        let fd = try t.stream()
        #expect(throws: Errno.EINPROGRESS) { try t.stack.connect(fd, to: SocketEndpoint(TCPScript.peer, 8080)) }
        let syn = try #require(t.expect(.syn))
        t.swapPorts(ours: syn.tcp.sourcePort)
        t.inject(t.segment([.syn, .ack], seq: TCPSeq(7000), ack: syn.seq + 5))
        t.expect(.rst, seq: syn.seq + 5, ack: TCPSeq(0))
        #expect(t.state(fd) == .synSent)
        // A RST with that bad ACK is ignored (not even answered).
        t.inject(t.segment([.rst, .ack], seq: TCPSeq(0), ack: syn.seq + 5, window: 0))
        t.expectNothing()
        #expect(t.state(fd) == .synSent)
        // A RST without ACK in SYN_SENT is ignored too.
        t.inject(t.segment(.rst, seq: TCPSeq(7000), window: 0))
        #expect(t.state(fd) == .synSent)
        // The right SYN-ACK still completes it.
        t.inject(t.segment([.syn, .ack], seq: TCPSeq(7000), ack: syn.seq + 1))
        t.expect(.ack, seq: syn.seq + 1, ack: TCPSeq(7001))
        #expect(t.state(fd) == .established)
    }

    /// Our SYN-ACK lost: it goes again after 1 s (RFC 6298), then 2 s later; the peer's SYN
    /// again is answered with the same SYN-ACK; the ACK completes the connection.
    @Test func lostSynAckIsRetransmitted() throws {
        let t = try TCPScript()
        let l = try t.listen()
        t.inject(t.segment(.syn, seq: TCPSeq(1000)))
        let sa = try #require(t.expect([.syn, .ack], ack: TCPSeq(1001), atMs: 0))
        t.advance(1.5)
        t.expect([.syn, .ack], seq: sa.seq, ack: TCPSeq(1001), atMs: 1000)
        t.advance(2)
        t.expect([.syn, .ack], seq: sa.seq, ack: TCPSeq(1001), atMs: 3000)
        t.inject(t.segment(.syn, seq: TCPSeq(1000)))   // the peer's own retransmission
        t.expect([.syn, .ack], seq: sa.seq, ack: TCPSeq(1001))
        #expect(throws: Errno.EWOULDBLOCK) { try t.stack.accept(l) }
        t.inject(t.segment(.ack, seq: TCPSeq(1001), ack: sa.seq + 1))
        let (fd, _) = try t.stack.accept(l)
        #expect(t.state(fd) == .established)
        t.advance(10)
        t.expectNothing("the timer stopped once the SYN was acknowledged")
    }

    /// The handshake's ACK lost: the peer's first data segment carries the ACK and completes
    /// the connection, its data readable after accept.
    @Test func lostHandshakeAckIsRecoveredByData() throws {
        let t = try TCPScript()
        let l = try t.listen()
        t.inject(t.segment(.syn, seq: TCPSeq(1000)))
        let sa = try #require(t.expect([.syn, .ack]))
        t.inject(t.segment([.ack, .psh], seq: TCPSeq(1001), ack: sa.seq + 1), payload: .pattern(100))
        let (fd, _) = try t.stack.accept(l)
        #expect(try t.read(fd) == .pattern(100))
    }

    /// An ACK for an embryonic connection that acknowledges the wrong thing is reset
    /// (RFC 9293 3.10.7.4, SYN-RECEIVED: <SEQ=SEG.ACK><CTL=RST>), and the connection waits on.
    @Test func badAckInSynReceivedIsReset() throws {
        let t = try TCPScript()
        let l = try t.listen()
        t.inject(t.segment(.syn, seq: TCPSeq(1000)))
        let sa = try #require(t.expect([.syn, .ack]))
        t.inject(t.segment(.ack, seq: TCPSeq(1001), ack: sa.seq + 100))
        t.expect(.rst, seq: sa.seq + 100)
        #expect(t.connectionState == .synReceived)
        t.inject(t.segment(.ack, seq: TCPSeq(1001), ack: sa.seq + 1))
        _ = try t.stack.accept(l)
    }

    /// Simultaneous open (RFC 9293 figure 8): SYNs cross, each side answers SYN-ACK, both
    /// reach ESTABLISHED.
    @Test func simultaneousOpen() throws {
        let t = try TCPScript()
        let fd = try t.stream()
        try t.stack.bind(fd, to: SocketEndpoint(.any, 7777))
        #expect(throws: Errno.EINPROGRESS) { try t.stack.connect(fd, to: SocketEndpoint(TCPScript.peer, 8080)) }
        let syn = try #require(t.expect(.syn))
        #expect(syn.tcp.sourcePort == 7777)
        t.swapPorts(ours: 7777)
        t.inject(t.segment(.syn, seq: TCPSeq(3000)))
        // SYN_SENT + SYN: SYN_RCVD, our SYN again with the ACK of theirs.
        let sa = try #require(t.expect([.syn, .ack], seq: syn.seq, ack: TCPSeq(3001)))
        #expect(sa.tcp.maxSegmentSize == 1460)
        #expect(t.state(fd) == .synReceived)
        #expect(!t.stack.socketEvents(fd).contains(.writable))
        // Their SYN-ACK (SYN again, ACK of ours) completes it.
        t.inject(t.segment([.syn, .ack], seq: TCPSeq(3000), ack: syn.seq + 1))
        #expect(t.state(fd) == .established)
        #expect(t.stack.socketEvents(fd).contains(.writable))
        _ = t.takeAll()  // an ACK here is allowed, not required
        // Data flows both ways at the right numbers.
        t.inject(t.segment([.ack, .psh], seq: TCPSeq(3001), ack: syn.seq + 1), payload: .pattern(10))
        #expect(try t.read(fd) == .pattern(10))
        try t.write(fd, .pattern(20))
        let all = t.takeAll().filter { !$0.payload.isEmpty }
        #expect(all.count == 1)
        #expect(all.first?.seq == syn.seq + 1)
        #expect(all.first?.ack == TCPSeq(3011))
    }

    /// Simultaneous close (RFC 9293 figure 13): FINs cross, both go CLOSING then TIME_WAIT.
    @Test func simultaneousClose() throws {
        let t = try TCPScript()
        var c = try t.acceptConnection()
        try t.stack.shutdown(c.fd, how: SocketConstants.SHUT_WR)
        t.expect([.fin, .ack], seq: c.ours, ack: c.theirs)
        #expect(t.state(c.fd) == .finWait1)
        t.inject(t.segment([.fin, .ack], seq: c.theirs, ack: c.ours))   // their FIN, not acking ours
        t.expect(.ack, seq: c.ours + 1, ack: c.theirs + 1)
        #expect(t.state(c.fd) == .closing)
        c.ours += 1; c.theirs += 1
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours))
        #expect(t.state(c.fd) == .timeWait)
        #expect(try t.read(c.fd) == nil)
    }

    /// The MSS option bounds our segments; without one the peer gets 536 (RFC 9293 3.7.1).
    @Test func peerMSSBoundsOurSegments() throws {
        let t = try TCPScript()
        var o = PeerOptions.plain
        o.mss = 1000
        let c = try t.acceptConnection(o)
        try t.write(c.fd, .pattern(2500))
        let segs = t.takeAll().filter { !$0.payload.isEmpty }
        #expect(segs.map(\.payload.count) == [1000, 1000, 500])
        let t2 = try TCPScript()
        let c2 = try t2.acceptConnection(.none)
        try t2.write(c2.fd, .pattern(1200))
        #expect(t2.takeAll().filter { !$0.payload.isEmpty }.map(\.payload.count) == [536, 536, 128])
    }

    /// Our handshake ACK lost: the peer's SYN-ACK again (a SYN in ESTABLISHED) draws the ACK
    /// again (RFC 5961 4.2's challenge ACK is exactly it); the connection is unchanged.
    @Test func retransmittedSynAckIsAckedAgain() throws {
        let t = try TCPScript()
        let c = try t.connect()
        t.inject(t.segment([.syn, .ack], seq: c.irs, ack: c.ours))
        t.expect(.ack, seq: c.ours, ack: c.theirs)
        #expect(t.state(c.fd) == .established)
    }

    /// Options set on the listener are inherited by accepted connections (SO_KEEPALIVE,
    /// TCP_NODELAY), as NetBSD's sonewconn copies them.
    @Test func acceptedConnectionsInheritListenerOptions() throws {
        let t = try TCPScript(sysctl: [("net.inet.tcp.keepidle", 20)])
        let l = try t.listen()
        try t.stack.setOption(l, .keepAlive(true))
        try t.stack.setOption(l, .noDelay(true))
        let c = try t.acceptConnection(listener: l)
        #expect(try t.stack.getOption(c.fd, .keepAlive) == 1)
        #expect(try t.stack.getOption(c.fd, .noDelay) == 1)
        t.advance(10.01)
        t.expect(.ack, seq: c.ours - 1, ack: c.theirs, atMs: 10_000)
    }
}
