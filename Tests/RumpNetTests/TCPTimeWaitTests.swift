import Testing
@testable import RumpNet

/// TIME_WAIT: 2MSL (net.inet.tcp.msl, NetBSD's mslt truncation), a retransmitted FIN, and the
/// reuse rules (RFC 1122 4.2.2.13, RFC 6191, bind/connect on a four-tuple in TIME_WAIT).
@Suite struct TCPTimeWaitTests {
    /// Closes actively: our FIN, their ACK and FIN, our ACK → TIME_WAIT.
    static func intoTimeWait(_ t: TCPScript, _ c: inout ScriptConnection) throws {
        try t.stack.shutdown(c.fd, how: SocketConstants.SHUT_WR)
        t.expect([.fin, .ack], seq: c.ours, ack: c.theirs)
        c.ours += 1
        t.inject(t.segment([.fin, .ack], seq: c.theirs, ack: c.ours))
        c.theirs += 1
        t.expect(.ack, seq: c.ours, ack: c.theirs)
        #expect(t.connectionState == .timeWait)
    }

    /// On-link peer: net.inet.tcp.mslt.local (10 s) → 20 s; without truncation 2 × msl (60 s).
    @Test(arguments: [(1, 20.0), (0, 60.0)])
    func timeWaitLastsTwoMSL(_ truncate: Int, _ seconds: Double) throws {
        let t = try TCPScript(sysctl: [("net.inet.tcp.mslt.enable", truncate)])
        var c = try t.acceptConnection()
        try TCPTimeWaitTests.intoTimeWait(t, &c)
        try t.stack.close(c.fd)
        t.advance(seconds - 0.01)
        #expect(t.connectionState == .timeWait)
        t.advance(0.02)
        #expect(t.connectionState == nil)
        t.expectNothing()
    }

    /// The peer's FIN again (our last ACK was lost): ACKed again, 2MSL restarts.
    @Test func retransmittedFINInTimeWaitIsAckedAndRestarts2MSL() throws {
        let t = try TCPScript()
        var c = try t.acceptConnection()
        try TCPTimeWaitTests.intoTimeWait(t, &c)
        t.advance(15)
        t.inject(t.segment([.fin, .ack], seq: c.theirs - 1, ack: c.ours))
        t.expect(.ack, seq: c.ours, ack: c.theirs, atMs: 15_000)
        t.advance(19.9)
        #expect(t.connectionState == .timeWait)
        t.advance(0.2)
        #expect(t.connectionState == nil)
    }

    /// A SYN beyond the old incarnation's sequence space reopens the four-tuple (RFC 1122
    /// 4.2.2.13): the listener answers it with a SYN-ACK.
    @Test func synWithHigherSequenceReusesTimeWait() throws {
        let t = try TCPScript()
        let l = try t.listen()
        var c = try t.acceptConnection(listener: l)
        try TCPTimeWaitTests.intoTimeWait(t, &c)
        t.inject(t.segment(.syn, seq: c.theirs + 100_000))
        t.expect([.syn, .ack], ack: c.theirs + 100_001)
        #expect(t.connectionState == .synReceived)
    }

    /// A SYN at or below RCV.NXT is the old incarnation's: answered with an ACK, no new connection.
    @Test func synWithOldSequenceIsAnsweredWithAck() throws {
        let t = try TCPScript()
        let l = try t.listen()
        var c = try t.acceptConnection(listener: l)
        try TCPTimeWaitTests.intoTimeWait(t, &c)
        t.inject(t.segment(.syn, seq: c.theirs - 10))
        t.expect(.ack, seq: c.ours, ack: c.theirs)
        #expect(t.connectionState == .timeWait)
    }

    /// RFC 6191: with timestamps the TSval decides: newer than TS.Recent reopens even with a
    /// lower sequence number; older is refused even with a higher one.
    @Test func timestampsDecideTimeWaitReuse() throws {
        let t = try TCPScript()
        let l = try t.listen()
        var c = try t.acceptConnection(.netbsd, listener: l)
        try TCPTimeWaitTests.intoTimeWait(t, &c)
        t.peerTSval -= 100
        var old = t.segment(.syn, seq: c.theirs + 100_000)
        t.synOptions(&old, .netbsd)
        t.inject(old)
        let a = t.take()
        #expect(a?.flags == .ack)
        #expect(t.connectionState == .timeWait)
        t.peerTSval += 1000
        var new = t.segment(.syn, seq: c.theirs - 5000)
        t.synOptions(&new, .netbsd)
        t.inject(new)
        t.expect([.syn, .ack], ack: c.theirs - 4999)
        #expect(t.connectionState == .synReceived)
    }

    /// bind and connect rules around a TIME_WAIT connection on 10.0.0.1:8080 ↔ peer.
    @Test func bindAndConnectBesideTimeWait() throws {
        let t = try TCPScript()
        let l = try t.listen()
        var c = try t.acceptConnection(listener: l)
        try TCPTimeWaitTests.intoTimeWait(t, &c)
        try t.stack.close(l)
        try t.stack.close(c.fd)
        let b = try t.stream()
        #expect(throws: Errno.EADDRINUSE) { try t.stack.bind(b, to: SocketEndpoint(.any, 8080)) }
        try t.stack.setOption(b, .reuseAddress(true))
        try t.stack.bind(b, to: SocketEndpoint(.any, 8080))   // SO_REUSEADDR: beside TIME_WAIT
        // The same four-tuple cannot be connected while TIME_WAIT holds it.
        #expect(throws: Errno.EADDRINUSE) { try t.stack.connect(b, to: SocketEndpoint(TCPScript.peer, t.peerPort)) }
        // Another peer port is fine.
        #expect(throws: Errno.EINPROGRESS) { try t.stack.connect(b, to: SocketEndpoint(TCPScript.peer, t.peerPort + 1)) }
    }
}
