import Testing
@testable import RumpNet

/// Zero windows and persist probes (RFC 9293 3.8.6.1), keepalive (RFC 9293 3.8.4, SO_KEEPALIVE,
/// net.inet.tcp.keep*), the connection-establishment limit.
@Suite struct TCPTimerTests {
    /// The peer closes its window: no data goes, the persist timer probes with one byte past the
    /// window at clamp(RTO × 2^k, 5 s, 60 s) (TCPTV_PERSMIN/PERSMAX), the probe's ACK with a
    /// window of 0 keeps probing, an open window resumes sending.
    @Test func zeroWindowIsProbedWithBackoff() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(rtt: 0.1)
        try t.write(c.fd, .pattern(500))
        t.expect([.ack, .psh], seq: c.ours, length: 500, atMs: 100)
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 500, window: 0))   // took it, window full
        // The persist base is SRTT + 4 RTTVAR after this second sample (0 ms): 337.5 ms.
        let tp = try #require(t.tcb(c.fd))
        let rto = Double(tp.srtt! + 4 * tp.rttvar) / 1e6
        #expect(rto == 337.5)
        try t.write(c.fd, .pattern(300, seed: 500))
        t.expectNothing("a zero window holds the data back")
        var at = 100.0
        var probes: [Double] = []
        for k in 0..<9 {
            at += min(max(rto * Double(1 << k), 5000), 60_000)
            t.advance(toMs: at + 1)
            let p = t.expect(.ack, seq: c.ours + 500, ack: c.theirs, length: 1, atMs: at)
            #expect(p?.payload == [UInt8].pattern(1, seed: 500))
            t.expectNothing()
            probes.append(at)
            t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 500, window: 0))   // still closed
        }
        #expect(probes.prefix(5) == [5100, 10100, 15100, 20100, 25500])   // 5 s floor, then 337.5 ms × 16
        #expect(t.stack.tcpStats.persisttimeo == 9)
        // The window opens: the rest goes at once, no probe any more.
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 500, window: 65535))
        let d = t.expect([.ack, .psh], seq: c.ours + 500, length: 300)
        #expect(d?.payload == [UInt8].pattern(300, seed: 500))
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 800))
        t.advance(120)
        t.expectNothing()
        #expect(t.state(c.fd) == .established)
    }

    /// A probe the peer accepts (its ACK covers the byte) counts as data sent.
    @Test func acceptedProbeByteIsNotResent() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(rtt: 0.1)
        try t.write(c.fd, .pattern(10))
        _ = t.takeAll()
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 10, window: 0))
        try t.write(c.fd, .pattern(10, seed: 10))
        t.advance(5.1)
        t.expect(.ack, seq: c.ours + 10, length: 1)
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 11, window: 4))
        // 4 bytes are less than half the largest window seen: sender SWS avoidance holds them
        // (RFC 9293 3.8.6.2.1) until the override (persist) timer sends what the window admits.
        t.expectNothing()
        t.advance(5.01)
        let rest = t.takeAll().filter { !$0.payload.isEmpty }
        #expect(rest.first?.seq == c.ours + 11)
        #expect(rest.first?.payload == Array([UInt8].pattern(10, seed: 10)[1..<5]))
        #expect(rest.first.map { abs($0.ms - 10_200) < 0.001 } == true)   // 5 s after the ACK
    }

    /// Our receive buffer full: we advertise 0, answer a probe with the same ACK and window 0,
    /// take no data past the window, and send a window update once the reader makes room.
    @Test func ourZeroWindowAndWindowUpdate() throws {
        let t = try TCPScript(sysctl: [("net.inet.tcp.recvbuf_auto", 0), ("net.inet.tcp.recvspace", 4096)])
        let c = try t.acceptConnection()
        for i in 0..<4 {
            t.inject(t.segment(.ack, seq: c.theirs + i * 1024, ack: c.ours), payload: .pattern(1024, seed: i * 1024))
        }
        let acks = t.takeAll()
        #expect(acks.last?.ack == c.theirs + 4096)
        #expect(acks.last?.window == 0)
        // A probe: one byte past the window. ACKed (window 0), not taken.
        t.inject(t.segment(.ack, seq: c.theirs + 4096, ack: c.ours), payload: [0xEE])
        t.expect(.ack, ack: c.theirs + 4096, window: 0, atMs: 0)
        #expect(t.stack.tcpStats.rcvwinprobe == 1)
        // The application reads: a window update (the window opened by the whole buffer).
        #expect(try t.read(c.fd)?.count == 4096)
        t.expect(.ack, ack: c.theirs + 4096, window: 4096, atMs: 0)
        #expect(t.stack.tcpStats.sndwinup >= 1)
    }

    /// Keepalive (SO_KEEPALIVE): after keepidle of silence a probe <SEQ=SND.UNA-1><ACK=RCV.NXT>,
    /// then every keepintvl; an answer resets the count; keepcnt probes unanswered drop the
    /// connection with ETIMEDOUT and a RST.
    @Test func keepaliveProbesAndDrop() throws {
        // Slow ticks of 500 ms: idle 10 s, interval 2 s, 3 probes.
        let t = try TCPScript(sysctl: [("net.inet.tcp.keepidle", 20), ("net.inet.tcp.keepintvl", 4), ("net.inet.tcp.keepcnt", 3)])
        let c = try t.acceptConnection()
        try t.stack.setOption(c.fd, .keepAlive(true))
        t.advance(9.9)
        t.expectNothing("idle shorter than keepidle")
        t.advance(0.2)
        t.expect(.ack, seq: c.ours - 1, ack: c.theirs, length: 0, atMs: 10_000)
        // Answered: the next probe only after another keepidle.
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours))
        t.advance(9.9)
        t.expectNothing()
        t.advance(0.2)
        t.expect(.ack, seq: c.ours - 1, ack: c.theirs, atMs: 20_100)   // keepidle after the answer (10.1 s)
        t.advance(1.8)
        t.expectNothing()
        t.advance(0.2)
        t.expect(.ack, seq: c.ours - 1, atMs: 22_100)
        t.advance(2)
        t.expect(.ack, seq: c.ours - 1, atMs: 24_100)
        t.advance(2)
        t.expect([.rst, .ack], seq: c.ours, ack: c.theirs, atMs: 26_100)
        #expect(try t.soError(c.fd) == .ETIMEDOUT)
        #expect(t.state(c.fd) == .closed)
        #expect(t.stack.tcpStats.keepprobe == 4)
        #expect(t.stack.tcpStats.keepdrops == 1)
    }

    /// Without SO_KEEPALIVE an idle connection sends nothing, ever.
    @Test func noKeepaliveWithoutTheOption() throws {
        let t = try TCPScript(sysctl: [("net.inet.tcp.keepidle", 20)])
        let c = try t.acceptConnection()
        t.advance(3600)
        t.expectNothing()
        #expect(t.state(c.fd) == .established)
    }

    /// A keepalive probe we receive (SEG.SEQ = RCV.NXT - 1, no data) is answered at once with
    /// an ACK of RCV.NXT.
    @Test func incomingKeepaliveIsAnswered() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        t.inject(t.segment(.ack, seq: c.theirs - 1, ack: c.ours))
        t.expect(.ack, seq: c.ours, ack: c.theirs, atMs: 0)
        // The BSD variant with one garbage byte too.
        t.inject(t.segment(.ack, seq: c.theirs - 1, ack: c.ours), payload: [0])
        t.expect(.ack, seq: c.ours, ack: c.theirs, atMs: 0)
        #expect(try t.read(c.fd) == [])
    }

    /// A passive connection stuck in SYN_RCVD is dropped after net.inet.tcp.keepinit.
    @Test func embryonicConnectionTimesOutAtKeepinit() throws {
        let t = try TCPScript(sysctl: [("net.inet.tcp.keepinit", 20)])   // 10 s
        let l = try t.listen()
        t.inject(t.segment(.syn, seq: TCPSeq(1000)))
        _ = t.takeAll()
        t.advance(9.9)
        #expect(t.connectionState == .synReceived)
        t.advance(0.2)
        #expect(t.connectionState == nil)
        #expect(t.stack.tcpStats.scTimedOut == 1)
        #expect(throws: Errno.EWOULDBLOCK) { try t.stack.accept(l) }
    }

    /// net.inet.tcp.rexmit_initial sets the first RTO (here 3 s): the SYN goes again at 3 s, 9 s.
    @Test func initialRTOFollowsTheSysctl() throws {
        let t = try TCPScript(sysctl: [("net.inet.tcp.rexmit_initial", 3000)])
        let fd = try t.stream()
        #expect(throws: Errno.EINPROGRESS) { try t.stack.connect(fd, to: SocketEndpoint(TCPScript.peer, 8080)) }
        t.expect(.syn, atMs: 0)
        t.advance(10)
        t.expect(.syn, atMs: 3000)
        t.expect(.syn, atMs: 9000)
    }

    /// A connection whose owner closed it and whose FIN was acknowledged waits in FIN_WAIT_2
    /// at most tcp_maxidle (keepcnt × keepintvl), then goes; one still owned waits on.
    @Test func orphanedFinWait2TimesOut() throws {
        let t = try TCPScript(sysctl: [("net.inet.tcp.keepintvl", 4), ("net.inet.tcp.keepcnt", 3)])   // 6 s
        let c = try t.acceptConnection()
        try t.stack.close(c.fd)
        t.expect([.fin, .ack], seq: c.ours)
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 1))
        #expect(t.connectionState == .finWait2)
        t.advance(5.9)
        #expect(t.connectionState == .finWait2)
        t.advance(0.2)
        #expect(t.connectionState == nil)
        t.peerPort += 1
        let owned = try t.acceptConnection()
        try t.stack.shutdown(owned.fd, how: SocketConstants.SHUT_WR)
        t.expect([.fin, .ack], seq: owned.ours)
        t.inject(t.segment(.ack, seq: owned.theirs, ack: owned.ours + 1))
        t.advance(60)
        #expect(t.state(owned.fd) == .finWait2)
    }

    /// RFC 5681 4.1: after an idle period longer than the RTO, cwnd restarts from the
    /// restart window (the initial window).
    @Test func idleRestartResetsCwnd() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(rtt: 0.1)
        let mss = 1460
        try t.stack.setOption(c.fd, .noDelay(true))
        let tp = try #require(t.tcb(c.fd))
        try t.write(c.fd, .pattern(8 * mss))
        for _ in 0..<4 {
            t.advance(0.1)
            _ = t.takeAll()
            t.inject(t.segment(.ack, seq: c.theirs, ack: tp.sndMax))
        }
        #expect(tp.cc.cwnd > 4 * mss)
        t.advance(2)   // idle > RTO
        try t.write(c.fd, .pattern(10 * mss))
        #expect(tp.cc.cwnd == 4 * mss)
        #expect(t.takeAll().count == 4)
    }
}
