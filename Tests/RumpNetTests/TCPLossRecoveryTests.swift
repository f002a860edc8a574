import Foundation
import Testing
@testable import RumpNet

/// Loss of data, ACKs and FINs: RFC 6298's timer (backoff, Karn), RFC 5681/6582 fast retransmit
/// and NewReno recovery, RFC 6675 SACK recovery, and the congestion windows NewReno and CUBIC
/// leave after a loss, checked against the RFCs' formulas.
@Suite struct TCPLossRecoveryTests {
    static let smss = 1460

    /// RFC 6298: RTO = SRTT + 4 RTTVAR (300 ms for a 100 ms first sample), doubled at every
    /// timeout (5.5), capped at 64 s (TCPTV_REXMTMAX); after 12 retransmissions
    /// (TCP_MAXRXTSHIFT) the connection is dropped with a RST and ETIMEDOUT.
    @Test func rtoBacksOffAndGivesUp() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(rtt: 0.1)
        #expect(t.tcb(c.fd)?.rto == 300_000_000)
        try t.write(c.fd, .pattern(100))
        t.expect([.ack, .psh], seq: c.ours, length: 100, atMs: 100)
        var at = 100.0
        for k in 0..<12 {
            at += min(300.0 * Double(1 << k), 64_000)
            t.advance(toMs: at + 1)
            t.expect([.ack, .psh], seq: c.ours, ack: c.theirs, length: 100, atMs: at)
            t.expectNothing()
        }
        #expect(t.state(c.fd) == .established)
        at += 64_000
        t.advance(toMs: at + 1)
        t.expect([.rst, .ack], seq: c.ours + 100, ack: c.theirs, atMs: at)
        #expect(try t.soError(c.fd) == .ETIMEDOUT)
        #expect(t.state(c.fd) == .closed)
        #expect(t.stack.tcpStats.timeoutdrop == 1)
    }

    /// Without an RTT sample (the SYN-ACK was retransmitted, so Karn's rule forbids timing it)
    /// data is retransmitted on RFC 6298's initial RTO of 1 s, then 2 s, 4 s.
    @Test func dataWithoutRTTSampleUsesTheInitialRTO() throws {
        let t = try TCPScript()
        let l = try t.listen()
        t.inject(t.segment(.syn, seq: TCPSeq(1000)))
        let sa = try #require(t.expect([.syn, .ack]))
        t.advance(1.5)
        t.expect([.syn, .ack], atMs: 1000)
        t.inject(t.segment(.ack, seq: TCPSeq(1001), ack: sa.seq + 1))   // at 1500 ms
        let (fd, _) = try t.stack.accept(l)
        #expect(t.tcb(fd)?.srtt == nil)
        try t.write(fd, .pattern(10))
        t.expect([.ack, .psh], atMs: 1500)
        t.advance(8)
        t.expect([.ack, .psh], seq: sa.seq + 1, atMs: 2500)
        t.expect([.ack, .psh], seq: sa.seq + 1, atMs: 4500)
        t.expect([.ack, .psh], seq: sa.seq + 1, atMs: 8500)
    }

    /// Karn's rule: the ACK of a retransmitted segment gives no RTT sample; the backoff ends
    /// with the new ACK and the next segment's timer is the unbacked RTO.
    @Test func karnsRuleAndBackoffReset() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(rtt: 0.1)
        let samples = t.stack.tcpStats.rttupdated
        try t.write(c.fd, .pattern(100))
        t.advance(0.35)
        t.take(); t.expect([.ack, .psh], seq: c.ours, atMs: 400)
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 100))
        #expect(t.stack.tcpStats.rttupdated == samples)   // no sample from a retransmission
        #expect(t.tcb(c.fd)?.rxtShift == 0)
        try t.write(c.fd, .pattern(10))
        t.expect([.ack, .psh], seq: c.ours + 100, atMs: 450)
        t.advance(1)
        t.expect([.ack, .psh], seq: c.ours + 100, atMs: 750)   // 450 + 300: not backed off
    }

    /// A lost FIN is retransmitted on the timer; its ACK ends FIN_WAIT_1.
    @Test func lostFINIsRetransmitted() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(rtt: 0.1)
        try t.stack.shutdown(c.fd, how: SocketConstants.SHUT_WR)
        t.expect([.fin, .ack], seq: c.ours, atMs: 100)
        t.advance(0.5)
        t.expect([.fin, .ack], seq: c.ours, ack: c.theirs, atMs: 400)
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 1))
        #expect(t.state(c.fd) == .finWait2)
        t.advance(5)
        t.expectNothing()
    }

    /// A lost ACK from the peer costs nothing when a later one covers it; a lost ACK of ours
    /// makes the peer resend, and the resent data is acknowledged again at once.
    @Test func lostAcksBothWays() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(rtt: 0.1)
        try t.stack.setOption(c.fd, .noDelay(true))
        try t.write(c.fd, .pattern(100))
        try t.write(c.fd, .pattern(100))
        #expect(t.takeAll().count == 2)
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 200))   // the ACK of the first was lost
        t.advance(2)
        t.expectNothing("nothing to retransmit")
        // Our ACK of their data lost: their retransmission draws an immediate ACK.
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 200), payload: .pattern(1460))
        t.inject(t.segment(.ack, seq: c.theirs + 1460, ack: c.ours + 200), payload: .pattern(1460))
        t.expect(.ack, ack: c.theirs + 2920)
        t.inject(t.segment(.ack, seq: c.theirs + 1460, ack: c.ours + 200), payload: .pattern(1460))
        t.expect(.ack, ack: c.theirs + 2920)
        #expect(try t.read(c.fd)?.count == 2920)
    }

    /// Loss of the first of six segments, no SACK: two duplicate ACKs send new data (RFC 3042),
    /// the third retransmits at once with ssthresh = max(FlightSize/2, 2 SMSS) and
    /// cwnd = ssthresh + 3 SMSS (RFC 5681 3.2 (2), (3)); later duplicates inflate by one SMSS
    /// (4); the full ACK sets cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS) (RFC 6582 3.2 (3)).
    @Test(arguments: ["newreno", "cubic"], [false, true])
    func fastRetransmitAndRecoveryWindows(_ algorithm: String, upperISS: Bool) throws {
        let t = try TCPScript(seed: TCPScript.seed(upperISS: upperISS))
        try t.stack.setTCPCongestionControl(algorithm)
        let c = try t.acceptConnection(rtt: 0.1)
        let mss = TCPLossRecoveryTests.smss
        try t.stack.setOption(c.fd, .noDelay(true))
        try t.write(c.fd, .pattern(20 * mss))
        let first = t.takeAll()
        #expect(first.map(\.payload.count) == [mss, mss, mss, mss])   // initial window: 4 segments
        let tp = try #require(t.tcb(c.fd))
        #expect(tp.cc.cwnd == 4 * mss)
        // Segment 0 lost: segments 1, 2, 3 arrive, each drawing a duplicate ACK.
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours))
        t.expect(.ack, seq: c.ours + 4 * mss, length: mss)            // limited transmit
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours))
        t.expect(.ack, seq: c.ours + 5 * mss, length: mss)
        #expect(tp.cc.cwnd == 4 * mss)                                  // RFC 3042: cwnd unchanged
        let flight = tp.flightSize
        #expect(flight == 6 * mss)
        let cwndBefore = tp.cc.cwnd
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours))
        t.expect(.ack, seq: c.ours, length: mss)                      // fast retransmit of segment 0
        var newData = t.takeAll()                                      // what cwnd - flight admits
        #expect(tp.inRecovery)
        let ssthresh: Int
        if algorithm == "cubic" {
            // RFC 9438 4.6: ssthresh = flight_size × β_cubic (0.7); W_max = cwnd at the loss;
            // K = ∛(W_max (1 − β_cubic) / C) in segments (4.2, C = 0.4).
            ssthresh = max(flight * 7 / 10, 2 * mss)
            let cubic = try #require(tp.cc as? Cubic)
            #expect(cubic.wMax == Double(cwndBefore))
        } else {
            ssthresh = max(flight / 2, 2 * mss)
        }
        #expect(tp.cc.ssthresh == ssthresh)
        #expect(tp.cc.cwnd == ssthresh + 3 * mss)
        // Two more duplicates (segments 4 and 5 arrived): inflation, new data as cwnd allows.
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours))
        #expect(tp.cc.cwnd == ssthresh + 4 * mss)
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours))
        #expect(tp.cc.cwnd == ssthresh + 5 * mss)
        newData += t.takeAll()
        #expect(newData.allSatisfy { $0.seq >= c.ours + 6 * mss })
        // cwnd - flight decides how much new data went: one segment per SMSS of room.
        let room = ssthresh + 5 * mss - flight
        #expect(newData.count == max(0, room / mss))
        // The full ACK (everything up to `recover`) ends recovery.
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 6 * mss))
        #expect(!tp.inRecovery)
        let flightAfter = newData.count * mss   // what the full ACK left outstanding (before new sends)
        #expect(tp.cc.cwnd == min(ssthresh, max(flightAfter, mss) + mss))
        #expect(t.stack.tcpStats.sndrexmitpack == 1)
        if algorithm == "newreno" {
            #expect(tp.cc.cwnd >= tp.cc.ssthresh)   // not slow start: congestion avoidance
            // Congestion avoidance (RFC 5681 3.1, byte counting per RFC 3465): one SMSS more
            // once a whole cwnd of bytes has been acknowledged, not before.
            let cwnd0 = tp.cc.cwnd
            var acked = 0
            while acked + mss <= cwnd0 {
                _ = t.takeAll()
                t.inject(t.segment(.ack, seq: c.theirs, ack: tp.sndUna + mss))
                acked += mss
                #expect(tp.cc.cwnd == (acked >= cwnd0 ? cwnd0 + mss : cwnd0), "after \(acked) bytes acked")
            }
        }
    }

    /// RFC 6582 partial ACK: two segments lost; the ACK after the first retransmission covers
    /// only up to the second hole, which is retransmitted at once, cwnd deflated by the amount
    /// acked plus one SMSS back (3.2 (5)).
    @Test(arguments: [false, true])
    func newRenoPartialAckRetransmitsTheNextHole(upperISS: Bool) throws {
        let t = try TCPScript(seed: TCPScript.seed(upperISS: upperISS))
        let c = try t.acceptConnection(rtt: 0.1)
        let mss = TCPLossRecoveryTests.smss
        try t.stack.setOption(c.fd, .noDelay(true))
        try t.write(c.fd, .pattern(20 * mss))
        _ = t.takeAll()
        for _ in 0..<3 { t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours)) }   // 0 and 2 lost
        let segs = t.takeAll()
        #expect(segs.last?.seq == c.ours)   // fast retransmit of segment 0
        let tp = try #require(t.tcb(c.fd))
        let cwnd = tp.cc.cwnd
        // Segment 0 arrives: the receiver now has 0, 1 and acks up to the hole at 2.
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 2 * mss))
        #expect(tp.inRecovery)
        let r = t.takeAll()
        #expect(r.first?.seq == c.ours + 2 * mss)   // the next hole, at once
        #expect(r.first?.payload.count == mss)
        #expect(tp.cc.cwnd == max(cwnd - 2 * mss + mss, mss))
    }

    /// SACK recovery (RFC 6675): the scoreboard says segment 0 is lost once DupThresh × SMSS
    /// above it are SACKed; it is retransmitted first, then cwnd = ssthresh and the pipe decide,
    /// new data follows; holes SACK reports are refilled without waiting for the timer.
    @Test(arguments: [false, true])
    func sackRecoveryRetransmitsHolesByThePipe(upperISS: Bool) throws {
        let t = try TCPScript(seed: TCPScript.seed(upperISS: upperISS))
        var o = PeerOptions.plain
        o.sackPermitted = true
        let c = try t.acceptConnection(o, rtt: 0.1)
        let mss = TCPLossRecoveryTests.smss
        try t.stack.setOption(c.fd, .noDelay(true))
        try t.write(c.fd, .pattern(20 * mss))
        #expect(t.takeAll().count == 4)
        let tp = try #require(t.tcb(c.fd))
        #expect(tp.doSACK)
        func sackAck(_ blocks: [(Int, Int)]) {
            var r = t.segment(.ack, seq: c.theirs, ack: c.ours)
            r.sackBlocks = SACKBlocks(blocks.map { SACKBlock(left: c.ours + $0.0 * mss, right: c.ours + $0.1 * mss) })
            t.inject(r)
        }
        // Segments 1, 2 arrive (0 lost): limited transmit sends 4 and 5.
        sackAck([(1, 2)])
        sackAck([(1, 3)])
        #expect(t.takeAll().map(\.seq) == [c.ours + 4 * mss, c.ours + 5 * mss])
        let flight = tp.flightSize
        // Segment 3 arrives: 3 SMSS SACKed above segment 0: lost, recovery.
        sackAck([(1, 4)])
        #expect(tp.inRecovery)
        #expect(t.stack.tcpStats.sackRecoveryEpisode == 1)
        #expect(tp.cc.ssthresh == max(flight / 2, 2 * mss))
        #expect(tp.cc.cwnd == tp.cc.ssthresh)
        let r = t.takeAll()
        #expect(r.first?.seq == c.ours)   // the hole first
        // pipe = segments 4, 5 (not SACKed, not lost) + the retransmission = 3 SMSS = cwnd: nothing more.
        #expect(r.count == 1)
        // Segments 4 and 5 arrive: pipe falls, new data goes out.
        sackAck([(1, 5)])
        sackAck([(1, 6)])
        let more = t.takeAll()
        #expect(!more.isEmpty)
        #expect(more.allSatisfy { $0.seq >= c.ours + 6 * mss })
        // The retransmission arrives: cumulative ACK of 0...5, recovery ends.
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 6 * mss))
        #expect(!tp.inRecovery)
        #expect(t.stack.tcpStats.sndrexmitpack == 1)
        #expect(tp.rexmtAt != 0)
    }

    /// An RTO in CUBIC (RFC 9438 4.8) reduces ssthresh by β_cubic once; a backed-off repeat of
    /// the same segment's timer holds ssthresh and W_max (RFC 5681 3.1: "the value of
    /// ssthresh is held constant").
    @Test(arguments: ["newreno", "cubic"])
    func repeatedTimeoutsHoldSSThresh(_ algorithm: String) throws {
        let t = try TCPScript()
        try t.stack.setTCPCongestionControl(algorithm)
        let c = try t.acceptConnection(rtt: 0.1)
        let mss = TCPLossRecoveryTests.smss
        try t.stack.setOption(c.fd, .noDelay(true))
        try t.write(c.fd, .pattern(4 * mss))
        _ = t.takeAll()
        let tp = try #require(t.tcb(c.fd))
        let flight = tp.flightSize
        t.advance(0.31)
        #expect(t.takeAll().count == 1)   // one segment: cwnd = the loss window
        #expect(tp.cc.cwnd == mss)
        let expected = algorithm == "cubic" ? max(flight * 7 / 10, 2 * mss) : max(flight / 2, 2 * mss)
        #expect(tp.cc.ssthresh == expected)
        let wMax = (tp.cc as? Cubic)?.wMax
        t.advance(0.61)
        #expect(t.takeAll().count == 1)
        #expect(tp.cc.ssthresh == expected)
        #expect((tp.cc as? Cubic)?.wMax == wMax)
        #expect(tp.cc.cwnd == mss)
    }

    /// After recovery, CUBIC's window follows W_cubic(t) = C (t − K)³ + W_max with
    /// K = ∛((W_max − cwnd_epoch) / C) (RFC 9438 4.2, segments, C = 0.4): with every flight acked
    /// one RTT later, each ACK moves cwnd to the target W_cubic(t + RTT) (4.4), or to the
    /// Reno-friendly W_est when that is larger (4.3).
    @Test func cubicWindowFollowsTheCubicAfterLoss() throws {
        let t = try TCPScript()
        try t.stack.setTCPCongestionControl("cubic")
        let c = try t.acceptConnection(rtt: 0.1)
        let mss = Double(TCPLossRecoveryTests.smss)
        try t.stack.setOption(c.fd, .noDelay(true))
        try t.stack.setOption(c.fd, .sendBuffer(200_000))
        let data = [UInt8].pattern(1 << 20)
        var written = try t.write(c.fd, data)
        let tp = try #require(t.tcb(c.fd))
        let cubic = try #require(tp.cc as? Cubic)
        func ackEverything() {
            _ = t.takeAll()
            t.inject(t.segment(.ack, seq: c.theirs, ack: tp.sndMax))
            if written < data.count, let n = try? t.write(c.fd, Array(data[written...])) { written += n }
        }
        // Slow start to ~20 segments, each flight acked one RTT after it left.
        while tp.cc.cwnd < 20 * TCPLossRecoveryTests.smss { t.advance(0.1); ackEverything() }
        // A loss: three duplicate ACKs of the flight's first byte, then the full ACK.
        t.advance(0.1)
        let cwndAtLoss = Double(tp.cc.cwnd)
        for _ in 0..<3 { t.inject(t.segment(.ack, seq: c.theirs, ack: tp.sndUna)) }
        #expect(tp.inRecovery)
        #expect(cubic.wMax == cwndAtLoss)   // first loss: W_max = cwnd (no fast convergence yet)
        ackEverything()
        #expect(!tp.inRecovery)
        let cwndEpoch = Double(tp.cc.cwnd)
        // Congestion avoidance, 2 s of round trips.
        for _ in 0..<20 { t.advance(0.1); ackEverything() }
        let start = try #require(cubic.epochStart)
        // The full ACK left little in flight: cwnd = 2 SMSS (RFC 6582 option 1), slow start back
        // to ssthresh = 0.7 flight; the cubic stage starts there with cwnd_epoch = that cwnd.
        #expect(cwndEpoch == 2 * mss)
        #expect(cubic.cwndEpoch >= Double(tp.cc.ssthresh))
        #expect(cubic.cwndEpoch < Double(tp.cc.ssthresh) + 2 * mss)
        let k = cbrt((cwndAtLoss - cubic.cwndEpoch) / mss / Cubic.c)
        #expect(abs(cubic.k - k) < 1e-9, "K \(cubic.k), RFC 9438 eq. 2 gives \(k)")
        let rtt = Double(tp.srtt ?? 0) / 1e9
        #expect(abs(rtt - 0.1) < 0.01)
        let since = Double(t.clock.now - start) / 1e9
        let target = Cubic.c * pow(since + rtt - k, 3) * mss + cwndAtLoss
        let expected = max(target, cubic.wEst)
        let w = cubic.cwndExact
        #expect(abs(w - expected) <= mss + 0.02 * expected, "cwnd \(w), W_cubic(t+RTT) \(target), W_est \(cubic.wEst), t \(since)")
        #expect(w > cubic.cwndEpoch)   // it grew back toward W_max
    }

    /// Fast retransmit on the first loss of a connection whatever its ISS: RFC 6582's
    /// "recover" starts at the initial send sequence number, so SND.UNA is always above it.
    /// (Sequence comparisons are modulo 2^32: an ISS in the upper half of the space must work
    /// as well as one in the lower half.)
    @Test func fastRetransmitWhateverTheISS() throws {
        var halves = Set<Bool>()
        var seed: UInt64 = 1
        while halves.count < 2 && seed < 64 {
            let t = try TCPScript(seed: seed)
            seed += 1
            let c = try t.acceptConnection(rtt: 0.1)
            let upper = c.iss.raw >= 0x8000_0000
            guard !halves.contains(upper) else { continue }
            halves.insert(upper)
            let mss = TCPLossRecoveryTests.smss
            try t.stack.setOption(c.fd, .noDelay(true))
            try t.write(c.fd, .pattern(10 * mss))
            _ = t.takeAll()
            for _ in 0..<3 { t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours)) }
            let segs = t.takeAll()
            #expect(segs.contains { $0.seq == c.ours }, "ISS \(c.iss.raw): no fast retransmit")
            #expect(t.tcb(c.fd)?.inRecovery == true, "ISS \(c.iss.raw)")
        }
        #expect(halves.count == 2)
    }

    /// RFC 6298 5.3: an ACK of new data restarts the timer for what is still outstanding.
    @Test func ackOfNewDataRestartsTheTimer() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(rtt: 0.1)
        try t.stack.setOption(c.fd, .noDelay(true))
        try t.write(c.fd, .pattern(100))          // at 100 ms
        t.advance(0.2)
        try t.write(c.fd, .pattern(100))          // at 300 ms
        _ = t.takeAll()
        let tp = try #require(t.tcb(c.fd))
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 100))   // at 300 ms: also a 200 ms RTT sample
        let rto = tp.rto
        #expect(rto == 362_500_000)   // RTTVAR = 3/4·50 + 1/4·100 = 62.5 ms, SRTT = 112.5 ms (RFC 6298 2.3)
        #expect(tp.rexmtAt == t.clock.now + rto)
        t.advance(Double(rto) / 1e9 + 0.001)
        t.expect([.ack, .psh], seq: c.ours + 100, atMs: 300 + Double(rto) / 1e6)
    }

    /// ACKs that only open the window are not duplicate ACKs (RFC 5681 2 (e)): no fast retransmit.
    @Test func windowUpdatesAreNotDuplicateAcks() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection(rtt: 0.1, sourceLocation: #_sourceLocation)
        try t.stack.setOption(c.fd, .noDelay(true))
        try t.write(c.fd, .pattern(4 * 1460))
        _ = t.takeAll()
        for w in [30000, 31000, 32000, 33000] as [UInt16] { t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours, window: w)) }
        #expect(t.tcb(c.fd)?.inRecovery == false)
        #expect(t.stack.tcpStats.sndrexmitpack == 0)
    }

    /// Two holes (segments 0 and 3 of 10) with SACK: both are retransmitted within the one
    /// recovery, hole 0 first (RFC 6675 NextSeg rule 1), no timeout, no segment sent twice
    /// that the receiver SACKed.
    @Test(arguments: [false, true])
    func sackRecoveryFillsTwoHoles(upperISS: Bool) throws {
        let t = try TCPScript(seed: TCPScript.seed(upperISS: upperISS))
        var o = PeerOptions.plain
        o.sackPermitted = true
        let c = try t.acceptConnection(o, rtt: 0.1)
        let mss = TCPLossRecoveryTests.smss
        try t.stack.setOption(c.fd, .noDelay(true))
        let tp = try #require(t.tcb(c.fd))
        tp.cc.cwnd = 10 * mss   // a window of 10 segments in flight
        try t.write(c.fd, .pattern(20 * mss))
        #expect(t.takeAll().count == 10)
        func sackAck(_ blocks: [(Int, Int)]) {
            var r = t.segment(.ack, seq: c.theirs, ack: c.ours)
            r.sackBlocks = SACKBlocks(blocks.map { SACKBlock(left: c.ours + $0.0 * mss, right: c.ours + $0.1 * mss) })
            t.inject(r)
        }
        var out: [SentSegment] = []
        sackAck([(1, 2)]); sackAck([(1, 3)])
        out += t.takeAll()
        sackAck([(4, 5), (1, 3)]); out += t.takeAll()
        sackAck([(4, 6), (1, 3)]); out += t.takeAll()
        sackAck([(4, 7), (1, 3)]); out += t.takeAll()
        #expect(tp.inRecovery)
        sackAck([(4, 8), (1, 3)]); out += t.takeAll()
        sackAck([(4, 9), (1, 3)]); out += t.takeAll()
        sackAck([(4, 10), (1, 3)]); out += t.takeAll()
        let retransmitted = out.filter { $0.seq - c.ours < 10 * mss }.map { ($0.seq - c.ours) / mss }
        #expect(retransmitted.first == 0)
        #expect(Set(retransmitted) == [0, 3], "retransmitted segments \(retransmitted)")
        #expect(retransmitted.count == 2)
        // Segments 10 and 11 went out by limited transmit before recovery: "recover" covers them.
        #expect(tp.recover == c.ours + 12 * mss)
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 10 * mss))
        #expect(tp.inRecovery)   // a partial ACK
        t.inject(t.segment(.ack, seq: c.theirs, ack: tp.recover))
        #expect(!tp.inRecovery)
        #expect(t.stack.tcpStats.rexmttimeo == 0)
    }

    /// Slow start with appropriate byte counting (RFC 3465 2.2, L = 2 SMSS as NetBSD's
    /// tcp_abc_aggressive): cwnd grows by min(bytes acked, 2 SMSS) per ACK; after a timeout
    /// by at most 1 SMSS (2.3).
    @Test(arguments: ["newreno", "cubic"])
    func slowStartByteCounting(_ algorithm: String) throws {
        let t = try TCPScript()
        try t.stack.setTCPCongestionControl(algorithm)
        let c = try t.acceptConnection(rtt: 0.1)
        let mss = TCPLossRecoveryTests.smss
        try t.stack.setOption(c.fd, .noDelay(true))
        try t.stack.setOption(c.fd, .sendBuffer(200_000))
        try t.write(c.fd, .pattern(100_000))
        let tp = try #require(t.tcb(c.fd))
        var cwnd = tp.cc.cwnd
        #expect(cwnd == 4 * mss)
        for segments in [1, 2, 3] {
            _ = t.takeAll()
            t.inject(t.segment(.ack, seq: c.theirs, ack: tp.sndUna + segments * mss))
            cwnd += min(segments * mss, 2 * mss)
            #expect(tp.cc.cwnd == cwnd, "after an ACK of \(segments) segments")
        }
        // A timeout: cwnd = 1 SMSS, then at most 1 SMSS per ACK.
        t.advance(Double(tp.rto) / 1e9 + 0.001)
        #expect(tp.cc.cwnd == mss)
        _ = t.takeAll()
        t.inject(t.segment(.ack, seq: c.theirs, ack: tp.sndUna + 2 * mss))
        #expect(tp.cc.cwnd == 2 * mss)
    }

    /// The retransmission lost during SACK recovery: the RTO ends recovery, forgets the
    /// scoreboard (RFC 2018 8, RFC 6675 5.1), goes back to SND.UNA with one segment (the loss
    /// window), and the ACKs that follow carry the transfer on.
    @Test func timeoutDuringSACKRecovery() throws {
        let t = try TCPScript()
        var o = PeerOptions.plain
        o.sackPermitted = true
        let c = try t.acceptConnection(o, rtt: 0.1)
        let mss = TCPLossRecoveryTests.smss
        try t.stack.setOption(c.fd, .noDelay(true))
        try t.write(c.fd, .pattern(12 * mss))
        _ = t.takeAll()
        let tp = try #require(t.tcb(c.fd))
        for right in 2...4 {
            var r = t.segment(.ack, seq: c.theirs, ack: c.ours)
            r.sackBlocks = SACKBlocks([SACKBlock(left: c.ours + mss, right: c.ours + right * mss)])
            t.inject(r)
        }
        #expect(tp.inRecovery)
        _ = t.takeAll()
        // The retransmission of segment 0 is lost too: the timer fires.
        t.advance(Double(tcpCurrentRTO(tp)) / 1e9 + 0.001)
        let r = t.takeAll()
        #expect(r.count == 1)
        #expect(r.first?.seq == c.ours)
        #expect(!tp.inRecovery)
        #expect(tp.scoreboard.isEmpty)
        #expect(tp.cc.cwnd == mss)
        t.inject(t.segment(.ack, seq: c.theirs, ack: c.ours + 4 * mss))
        #expect(!t.takeAll().isEmpty)
        #expect(t.state(c.fd) == .established)
    }

    private func tcpCurrentRTO(_ tp: TCPControlBlock) -> UInt64 { min(64_000_000_000, tp.rto << UInt64(tp.rxtShift)) }
}
