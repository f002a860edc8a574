import Testing
@testable import RumpNet

/// Every RST case of RFC 9293 3.10.7 (generation and acceptance) and RFC 5961's challenge ACKs.
@Suite struct TCPRSTTests {
    // MARK: CLOSED (3.10.7.1): no connection, no listener

    @Test func synToClosedPortIsResetWithAck() throws {
        let t = try TCPScript()
        t.inject(t.segment(.syn, seq: TCPSeq(1000)))
        t.expect([.rst, .ack], seq: TCPSeq(0), ack: TCPSeq(1001), window: 0)
        #expect(t.stack.tcpStats.noport == 1)
    }

    @Test func ackToClosedPortIsResetAtItsAck() throws {
        let t = try TCPScript()
        t.inject(t.segment(.ack, seq: TCPSeq(1000), ack: TCPSeq(4242)), payload: .pattern(10))
        t.expect(.rst, seq: TCPSeq(4242), ack: TCPSeq(0))
    }

    @Test func dataWithoutAckToClosedPortIsResetCoveringIt() throws {
        let t = try TCPScript()
        t.inject(t.segment([.fin, .psh], seq: TCPSeq(1000)), payload: .pattern(10))
        t.expect([.rst, .ack], seq: TCPSeq(0), ack: TCPSeq(1011))   // 10 bytes + FIN
    }

    @Test func rstToClosedPortIsIgnored() throws {
        let t = try TCPScript()
        t.inject(t.segment(.rst, seq: TCPSeq(1000)))
        t.inject(t.segment([.rst, .ack], seq: TCPSeq(1000), ack: TCPSeq(5)))
        t.expectNothing()
    }

    // MARK: LISTEN (3.10.7.2)

    @Test func listenerResetsAnAckAndIgnoresRST() throws {
        let t = try TCPScript()
        let l = try t.listen()
        t.inject(t.segment(.ack, seq: TCPSeq(1000), ack: TCPSeq(777)))
        t.expect(.rst, seq: TCPSeq(777))
        t.inject(t.segment(.rst, seq: TCPSeq(1000)))
        t.expectNothing()
        // A SYN+FIN is dropped (badsyn), a segment with neither SYN, ACK nor RST too.
        t.inject(t.segment([.syn, .fin], seq: TCPSeq(1000)))
        t.inject(t.segment(.psh, seq: TCPSeq(1000)), payload: .pattern(5))
        t.expectNothing()
        // The listener still serves.
        _ = try t.acceptConnection(listener: l)
    }

    // MARK: SYN_RCVD

    /// A RST at rcv_nxt aborts an embryonic connection: the listener forgets it and serves on.
    @Test func rstInSynReceivedDropsTheEmbryo() throws {
        let t = try TCPScript()
        let l = try t.listen()
        t.inject(t.segment(.syn, seq: TCPSeq(1000)))
        _ = try #require(t.expect([.syn, .ack]))
        t.inject(t.segment(.rst, seq: TCPSeq(1001)))
        t.expectNothing()
        #expect(t.connectionState == nil)
        #expect(throws: Errno.EWOULDBLOCK) { try t.stack.accept(l) }
        t.advance(5)
        t.expectNothing("no SYN-ACK retransmission for a dropped embryo")
        t.peerPort += 1
        _ = try t.acceptConnection(listener: l)
    }

    @Test func rstInSynReceivedInWindowButNotExactDrawsChallengeAck() throws {
        let t = try TCPScript()
        _ = try t.listen()
        t.inject(t.segment(.syn, seq: TCPSeq(1000)))
        let sa = try #require(t.expect([.syn, .ack]))
        t.inject(t.segment(.rst, seq: TCPSeq(1500)))
        // RFC 5961 3.2 (SYN-RECEIVED included): the SYN-ACK's ACK of what we expect.
        let ch = t.take()
        #expect(ch?.ack == TCPSeq(1001))
        #expect(ch?.flags.contains(.rst) == false)
        #expect(t.connectionState == .synReceived)
        _ = sa
    }

    // MARK: synchronized states: RFC 5961

    @Test func rstAtRcvNxtResetsTheConnection() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        t.inject(t.segment(.rst, seq: c.theirs, window: 0))
        t.expectNothing("a RST is never answered")
        #expect(t.state(c.fd) == .closed)
        #expect(t.stack.socketEvents(c.fd).contains(.error))
        #expect(throws: Errno.ECONNRESET) { try t.read(c.fd) }
        #expect(try t.read(c.fd) == nil)   // then end of file
        #expect(throws: Errno.EPIPE) { try t.write(c.fd, [1]) }
    }

    @Test func rstWithAckAtRcvNxtResetsTooAndDataBeforeItIsReadable() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        t.inject(t.segment([.ack, .psh], seq: c.theirs, ack: c.ours), payload: .pattern(30))
        _ = t.takeAll()
        t.inject(t.segment([.rst, .ack], seq: c.theirs + 30, ack: c.ours, window: 0))
        #expect(try t.soError(c.fd) == .ECONNRESET)
        #expect(try t.read(c.fd) == .pattern(30))   // what arrived before the RST
        #expect(try t.read(c.fd) == nil)
    }

    @Test func rstInWindowButNotAtRcvNxtDrawsChallengeAck() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        t.inject(t.segment(.rst, seq: c.theirs + 1000))
        t.expect(.ack, seq: c.ours, ack: c.theirs)
        #expect(t.state(c.fd) == .established)
        #expect(t.stack.tcpStats.challengeAcks == 1)
    }

    @Test func rstOutsideTheWindowIsDroppedSilently() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        t.inject(t.segment(.rst, seq: c.theirs - 1))        // old
        t.inject(t.segment(.rst, seq: c.theirs + 40000))    // past the 32768-byte window
        t.expectNothing()
        #expect(t.state(c.fd) == .established)
    }

    /// RFC 5961 4.2: a SYN in a synchronized state, in the window or not, draws a challenge ACK
    /// and changes nothing.
    @Test func synInEstablishedDrawsChallengeAck() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        for seq in [c.theirs, c.theirs + 500, c.theirs - 5000, c.theirs + 100_000] {
            t.inject(t.segment(.syn, seq: seq))
            t.expect(.ack, seq: c.ours, ack: c.theirs)
        }
        #expect(t.state(c.fd) == .established)
        // The connection still carries data.
        t.inject(t.segment([.ack, .psh], seq: c.theirs, ack: c.ours), payload: .pattern(3))
        #expect(try t.read(c.fd) == .pattern(3))
    }

    /// RFC 5961 5.2: an ACK older than SND.UNA - MAX.SND.WND draws a challenge ACK; an ACK of
    /// data never sent (SEG.ACK > SND.NXT) is answered with an ACK and dropped (3.10.7.4).
    @Test func unacceptableAcksAreAnsweredAndDropped() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(window: 1000)
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours - 70000, window: 1000), payload: .pattern(10))
        t.expect(.ack, seq: c.ours, ack: c.theirs)
        #expect(try t.read(c.fd) == [])   // the data came with a bad ACK: not taken
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 10, window: 1000), payload: .pattern(10))
        t.expect(.ack, seq: c.ours, ack: c.theirs)
        #expect(try t.read(c.fd) == [])
        #expect(t.stack.tcpStats.rcvacktoomuch == 1)
        #expect(t.state(c.fd) == .established)
    }

    /// net.inet.tcp.rstppslimit bounds challenge ACKs per second (RFC 5961 7).
    @Test func challengeAcksAreRateLimited() throws {
        let t = try TCPScript(sysctl: [("net.inet.tcp.rstppslimit", 5)])
        let c = try t.acceptConnection()
        for _ in 0..<20 { t.inject(t.segment(.rst, seq: c.theirs + 100)) }
        #expect(t.takeAll().count == 5)
        t.advance(1.1)
        t.inject(t.segment(.rst, seq: c.theirs + 100))
        #expect(t.takeAll().count == 1)
        #expect(t.state(c.fd) == .established)
    }

    // MARK: resets we send

    @Test func lingerZeroCloseSendsReset() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        try t.stack.setOption(c.fd, .linger(0))
        try t.write(c.fd, .pattern(100))
        _ = t.takeAll()
        try t.stack.close(c.fd)
        t.flush()
        t.expect([.rst, .ack], seq: c.ours + 100, ack: c.theirs)
        #expect(t.connectionState == nil)
    }

    /// Data for a connection its owner closed cannot be delivered: RST (tcp_input's
    /// rcvafterclose), and the connection is gone.
    @Test func dataAfterCloseIsReset() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        try t.stack.close(c.fd)
        t.flush()
        t.expect([.fin, .ack], seq: c.ours, ack: c.theirs)
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 1))
        #expect(t.connectionState == .finWait2)
        t.inject(t.segment([.ack, .psh], seq: c.theirs, ack: c.ours + 1), payload: .pattern(10))
        let r = t.take()
        #expect(r?.flags.contains(.rst) == true)
        #expect(r?.seq == c.ours + 1)
        #expect(t.connectionState == nil)
        #expect(t.stack.tcpStats.rcvafterclose == 1)
    }

    /// Closing a listener resets the connections waiting in its queue.
    @Test func closingListenerResetsQueuedConnections() throws {
        let t = try TCPScript()
        let l = try t.listen()
        t.inject(t.segment(.syn, seq: TCPSeq(1000)))
        let sa = try #require(t.expect([.syn, .ack]))
        t.inject(t.segment(.ack, seq: TCPSeq(1001), ack: sa.seq + 1))
        try t.stack.close(l)
        t.flush()
        t.expect([.rst, .ack], seq: sa.seq + 1, ack: TCPSeq(1001))
        #expect(t.connectionState == nil)
    }

    /// RST acceptance in the closing states: at rcv_nxt it ends FIN_WAIT_1, CLOSE_WAIT, LAST_ACK.
    @Test(arguments: ["finWait1", "closeWait", "lastAck"])
    func rstAtRcvNxtEndsClosingStates(_ which: String) throws {
        let t = try TCPScript()
        var c = try t.acceptConnection()
        switch which {
        case "finWait1":
            try t.stack.shutdown(c.fd, how: SocketConstants.SHUT_WR)
        case "closeWait":
            t.inject(t.segment([.fin, .ack], seq: c.theirs, ack: c.ours)); c.theirs += 1
        default:
            t.inject(t.segment([.fin, .ack], seq: c.theirs, ack: c.ours)); c.theirs += 1
            try t.stack.shutdown(c.fd, how: SocketConstants.SHUT_WR)
        }
        _ = t.takeAll()
        t.inject(t.segment(.rst, seq: c.theirs, window: 0))
        t.expectNothing()
        #expect(t.state(c.fd) == .closed)
    }

    /// TIME_WAIT and RST (RFC 9293 3.10.7.4: CLOSING, LAST-ACK, TIME-WAIT enter CLOSED, as
    /// NetBSD does; RFC 1337's alternative is not taken): at rcv_nxt it ends TIME_WAIT at once,
    /// out of the window it is ignored.
    @Test func rstInTimeWait() throws {
        let t = try TCPScript()
        var c = try t.acceptConnection()
        try TCPTimeWaitTests.intoTimeWait(t, &c)
        t.inject(t.segment(.rst, seq: c.theirs + 50_000, window: 0))
        #expect(t.connectionState == .timeWait)
        t.inject(t.segment(.rst, seq: c.theirs, window: 0))
        #expect(t.connectionState == nil)
        t.expectNothing()
    }

    /// RSTs for strays are rate-limited too (net.inet.tcp.rstppslimit, 100 per second): an ACK
    /// flood at a closed port draws 100 RSTs a second, no more.
    @Test func strayRSTsAreRateLimited() throws {
        let t = try TCPScript()
        for i in 0..<500 {
            t.peerPort = UInt16(20000 + i)
            t.inject(t.segment(.ack, seq: TCPSeq(1), ack: TCPSeq(UInt32(i))))
        }
        #expect(t.takeAll().count == 100)
        t.advance(1.01)
        t.inject(t.segment(.ack, seq: TCPSeq(1), ack: TCPSeq(9)))
        #expect(t.takeAll().count == 1)
    }
}
