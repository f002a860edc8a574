import Testing
@testable import RumpNet

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private let mss = 1000
private let ms: UInt64 = 1_000_000
private let second: UInt64 = 1_000_000_000

@Suite struct TCPSeqTests {
    @Test func arithmeticWrapsAroundTwoToThe32() {
        let top = TCPSeq(UInt32.max - 1)
        #expect(top + 5 == TCPSeq(3))
        #expect(TCPSeq(3) - 5 == top)
        #expect(TCPSeq(3) - top == 5)
        #expect(top - TCPSeq(3) == -5)
        #expect(top + (-2) == TCPSeq(UInt32.max - 3))
        var s = top
        s += 10
        #expect(s.raw == 8)
        s -= 9
        #expect(s.raw == UInt32.max)
        #expect(TCPSeq(7).description == "7")
    }

    @Test func comparisonsFollowSequenceSpaceNotIntegers() {
        let before = TCPSeq(UInt32.max - 100)
        let after = TCPSeq(50)  // 151 bytes later, across the wrap
        #expect(before < after)
        #expect(!(after < before))
        #expect(after > before && after >= before && before <= after)
        #expect(TCPSeq.max(before, after) == after && TCPSeq.max(after, before) == after)
        #expect(TCPSeq.min(before, after) == before && TCPSeq.min(after, before) == before)
        #expect(!(after < after) && after <= after)
        // The limits of the window: 2^31 - 1 ahead is later, 2^31 ahead reads as earlier.
        let base = TCPSeq(1000)
        #expect(base < base + Int(Int32.max))
        #expect(base + Int(Int32.max) - base == Int(Int32.max))
        #expect((base + (1 << 31)) - base == Int(Int32.min))
        #expect(base + (1 << 31) < base)
    }

    @Test func sackBlocksHoldFourInlineAndIgnoreTheRest() {
        var blocks = SACKBlocks()
        #expect(blocks.isEmpty && blocks.count == 0)
        for i in 0..<6 {
            blocks.append(SACKBlock(left: TCPSeq(UInt32(i * 10)), right: TCPSeq(UInt32(i * 10 + 5))))
        }
        #expect(blocks.count == SACKBlocks.capacity)
        #expect(blocks.map(\.left.raw) == [0, 10, 20, 30])
        #expect(blocks[3].right == TCPSeq(35))
        #expect(blocks.last?.length == 5)
        var other = SACKBlocks(blocks.prefix(2))
        #expect(other != blocks)
        other.append(blocks[2])
        other.append(blocks[3])
        #expect(other == blocks)
        // Slots past count do not take part in equality.
        var a = SACKBlocks([SACKBlock(left: TCPSeq(1), right: TCPSeq(2)), SACKBlock(left: TCPSeq(3), right: TCPSeq(4))])
        a.removeAll()
        a.append(SACKBlock(left: TCPSeq(9), right: TCPSeq(10)))
        #expect(a == SACKBlocks([SACKBlock(left: TCPSeq(9), right: TCPSeq(10))]))
    }
}

@Suite struct CongestionAlgorithmTests {
    @Test func namesAndNumbersAreNetBSDs() {
        #expect(CongestionAlgorithm.allCases.map(\.name) == ["newreno", "cubic"])
        #expect(CongestionAlgorithm(name: "cubic") == .cubic)
        #expect(CongestionAlgorithm(name: "newreno")?.rawValue == 0)
        #expect(CongestionAlgorithm(name: "reno") == nil)
        #expect(CongestionAlgorithm(rawValue: 1) == .cubic)
        #expect(CongestionAlgorithm.availableNames == "newreno cubic")
        let made = CongestionAlgorithm.cubic.make(smss: 1460, initialWindow: 4380)
        #expect(made is Cubic && made.name == "cubic")
        #expect(made.cwnd == 4380 && made.smss == 1460 && made.ssthresh == Int(Int32.max))
        #expect(CongestionAlgorithm.newreno.make(smss: 536, initialWindow: 2144) is NewReno)
    }
}

@Suite struct NewRenoTests {
    @Test func slowStartCountsBytesUpToTwoSegmentsPerAck() {
        let cc = NewReno(smss: mss, initialWindow: 3 * mss)
        #expect(cc.cwnd == 3000 && cc.ssthresh == Int(Int32.max) && cc.inSlowStart)
        cc.onAck(acked: 1000, flightSize: 3000, now: 0, srtt: nil)
        #expect(cc.cwnd == 4000)
        cc.onAck(acked: 500, flightSize: 3000, now: 0, srtt: nil)  // a small segment: its bytes only
        #expect(cc.cwnd == 4500)
        cc.onAck(acked: 10_000, flightSize: 12_000, now: 0, srtt: nil)  // stretch ack: L = 2*SMSS
        #expect(cc.cwnd == 6500)
        cc.onAck(acked: 0, flightSize: 0, now: 0, srtt: nil)
        #expect(cc.cwnd == 6500)
    }

    @Test func congestionAvoidanceAddsOneSegmentPerWindowOfAckedBytes() {
        let cc = NewReno(smss: mss, initialWindow: 10_000)
        cc.ssthresh = 10_000  // cwnd == ssthresh: congestion avoidance (RFC 5681 3.1)
        #expect(!cc.inSlowStart)
        var grownAfter: [Int] = []
        var acked = 0
        for _ in 0..<90 {
            let before = cc.cwnd
            cc.onAck(acked: 500, flightSize: cc.cwnd, now: 0, srtt: nil)
            acked += 500
            if cc.cwnd != before {
                #expect(cc.cwnd == before + mss)
                grownAfter.append(acked)
            }
        }
        // 10000 bytes for the first segment, then 11000, then 12000, ... (carry kept).
        #expect(grownAfter == [10_000, 21_000, 33_000])
        #expect(cc.cwnd == 13_000)
        // A stretch ack of a whole window grows it by one segment only.
        let big = NewReno(smss: mss, initialWindow: 20_000)
        big.ssthresh = 5_000
        big.onAck(acked: 30_000, flightSize: 30_000, now: 0, srtt: nil)
        #expect(big.cwnd == 21_000)
    }

    @Test func fastRecoveryWindowsFollowRFC5681And6582() {
        let cc = NewReno(smss: mss, initialWindow: 20_000)
        cc.ssthresh = 15_000
        cc.onEnterRecovery(flightSize: 20_000, now: 0)  // 3 dupacks, no SACK
        #expect(cc.ssthresh == 10_000)  // max(FlightSize / 2, 2*SMSS)
        #expect(cc.cwnd == 13_000)      // ssthresh + 3*SMSS
        cc.onDuplicateAckInRecovery()
        cc.onDuplicateAckInRecovery()
        #expect(cc.cwnd == 15_000)
        cc.onPartialAck(acked: 3_000)   // deflate by 3000, add back one SMSS
        #expect(cc.cwnd == 13_000)
        cc.onPartialAck(acked: 500)     // less than one SMSS: nothing added back
        #expect(cc.cwnd == 12_500)
        cc.onPartialAck(acked: 40_000)  // never below one segment
        #expect(cc.cwnd == mss)
        cc.onExitRecovery(flightSize: 8_000, now: 0)  // min(ssthresh, FlightSize + SMSS)
        #expect(cc.cwnd == 9_000 && cc.ssthresh == 10_000)
        cc.onExitRecovery(flightSize: 15_000, now: 0)
        #expect(cc.cwnd == 10_000)
        cc.onExitRecovery(flightSize: 0, now: 0)      // max(FlightSize, SMSS) + SMSS
        #expect(cc.cwnd == 2_000)

        let sack = NewReno(smss: mss, initialWindow: 20_000)
        sack.onEnterRecovery(flightSize: 18_000, now: 0, sackRecovery: true)
        #expect(sack.ssthresh == 9_000 && sack.cwnd == 9_000)  // RFC 6675 (4.2)

        let tiny = NewReno(smss: mss, initialWindow: 4_000)
        tiny.onEnterRecovery(flightSize: 3_000, now: 0, sackRecovery: true)
        #expect(tiny.ssthresh == 2_000 && tiny.cwnd == 2_000)  // the 2*SMSS floor
    }

    @Test func retransmitTimeoutSetsTheLossWindowAndSlowStartsCarefully() {
        let cc = NewReno(smss: mss, initialWindow: 30_000)
        cc.onRetransmitTimeout(flightSize: 24_000, now: 0)
        #expect(cc.ssthresh == 12_000 && cc.cwnd == mss)
        // A backed-off second timeout of the same data keeps ssthresh (RFC 5681 3.1).
        cc.onRetransmitTimeout(flightSize: 1_000, now: 0, firstTimeout: false)
        #expect(cc.ssthresh == 12_000 && cc.cwnd == mss)
        // Slow start after a timeout: L = 1*SMSS (RFC 3465 2.3).
        cc.onAck(acked: 3_000, flightSize: 1_000, now: 0, srtt: nil)
        #expect(cc.cwnd == 2_000)
        for _ in 0..<10 { cc.onAck(acked: 3_000, flightSize: cc.cwnd, now: 0, srtt: nil) }
        #expect(cc.cwnd == 12_000 && !cc.inSlowStart)
        // A later slow start (after idle, say) uses L = 2*SMSS again.
        cc.onIdleRestart(restartWindow: 4_000, now: 0)
        #expect(cc.cwnd == 4_000)
        cc.onAck(acked: 3_000, flightSize: 4_000, now: 0, srtt: nil)
        #expect(cc.cwnd == 6_000)
        // Small flights: ssthresh floor of 2*SMSS.
        cc.onRetransmitTimeout(flightSize: 1_500, now: 0)
        #expect(cc.ssthresh == 2_000)
    }

    @Test func idleRestartOnlyShrinks() {
        let cc = NewReno(smss: mss, initialWindow: 20_000)
        cc.onIdleRestart(restartWindow: 4_000, now: 0)
        #expect(cc.cwnd == 4_000)
        cc.onIdleRestart(restartWindow: 10_000, now: 0)
        #expect(cc.cwnd == 4_000)
    }
}

/// RFC 9438's formulas written out in segments, independently of Cubic's byte arithmetic.
private enum RFC9438 {
    static let c = 0.4
    static let beta = 0.7
    static let alpha = 3 * (1 - beta) / (1 + beta)
    /// Figure 2 with cwnd_epoch = beta * W_max (a loss, fast recovery ending at ssthresh).
    static func k(wMax: Double) -> Double { cbrt(wMax * (1 - beta) / c) }
    static func k(wMax: Double, cwndEpoch: Double) -> Double { cbrt((wMax - cwndEpoch) / c) }
    /// Figure 1.
    static func wCubic(_ t: Double, k: Double, wMax: Double) -> Double { c * pow(t - k, 3) + wMax }
}

@Suite struct CubicTests {
    /// A CUBIC sender at 100 segments that has just lost a segment, recovered with SACK and left
    /// recovery with 70 segments in flight.
    private func afterOneLoss() -> Cubic {
        let cc = Cubic(smss: mss, initialWindow: 10 * mss)
        cc.ssthresh = 5_000
        cc.cwnd = 100_000
        cc.onEnterRecovery(flightSize: 100_000, now: 1 * second, sackRecovery: true)
        cc.onExitRecovery(flightSize: 70_000, now: 2 * second)
        return cc
    }

    @Test func lossSetsWindowsPerSection4_6() {
        let cc = afterOneLoss()
        #expect(cc.ssthresh == 70_000)           // flight_size * beta_cubic
        #expect(cc.cwnd == 70_000)               // min(ssthresh, flight + SMSS)
        #expect(cc.wMax == 100_000 && cc.cwndPrior == 100_000)

        let reno = Cubic(smss: mss, initialWindow: 50_000)
        reno.onEnterRecovery(flightSize: 40_000, now: 0)  // no SACK: RFC 5681 step 3 inflation
        #expect(reno.ssthresh == 28_000 && reno.cwnd == 31_000)
        reno.onDuplicateAckInRecovery()
        #expect(reno.cwnd == 32_000)
        reno.onPartialAck(acked: 2_000)
        #expect(reno.cwnd == 31_000)

        let small = Cubic(smss: mss, initialWindow: 4_000)
        small.onEnterRecovery(flightSize: 2_500, now: 0, sackRecovery: true)
        #expect(small.ssthresh == 2_000 && small.cwnd == 2_000)  // max(ssthresh, 2)
    }

    @Test func growthFollowsTheCubicFunctionAfterALoss() {
        let cc = afterOneLoss()
        let t0 = 3 * second
        cc.onAck(acked: mss, flightSize: 70_000, now: t0, srtt: 100 * ms)  // starts the epoch
        let k = RFC9438.k(wMax: 100)
        #expect(abs(cc.k - k) < 1e-9)
        #expect(abs(k - 4.217163) < 1e-6)  // cbrt(75)
        #expect(cc.epochStart == t0 && cc.cwndEpoch == 70_000)
        for t in [0.0, 0.5, 1, 2, 3, k, 5, 8] {
            let expected = RFC9438.wCubic(t, k: k, wMax: 100) * Double(mss)
            #expect(abs(cc.wCubic(seconds: t) - expected) < 1e-6, "W_cubic(\(t))")
        }
        #expect(abs(cc.wCubic(seconds: 0) - 70_000) < 1e-6)  // starts at cwnd_epoch
        #expect(abs(cc.wCubic(seconds: k) - 100_000) < 1e-6)  // plateau at W_max

        // One ack's increase at several t: (target - cwnd) / cwnd per acked segment, target =
        // W_cubic(t + RTT) bounded by [cwnd, 1.5 cwnd]; W_est (Reno-friendly) stays below here.
        var wEst = 70_000.0 + RFC9438.alpha * 1_000 * 1_000 / 70_000
        for t in [0.5, 1.0, 2.0, 3.0, 4.0, 4.5, 6.0] {
            let before = Double(cc.cwnd)
            let exactBefore = cc.cwndExact
            let rtt = 0.1
            let wc = RFC9438.wCubic(t + rtt, k: k, wMax: 100) * 1_000
            let target = min(max(wc, exactBefore), 1.5 * exactBefore)
            wEst += RFC9438.alpha * 1_000 * 1_000 / exactBefore
            cc.onAck(acked: mss, flightSize: cc.cwnd, now: t0 + UInt64(t * 1e9), srtt: 100 * ms)
            #expect(RFC9438.wCubic(t, k: k, wMax: 100) * 1_000 >= wEst, "not Reno-friendly at \(t)")
            let expected = exactBefore + (target - exactBefore) / exactBefore * 1_000
            #expect(abs(cc.cwndExact - expected) < 1e-6, "cwnd at t=\(t)")
            #expect(Double(cc.cwnd) >= before)
            #expect(abs(cc.wEst - wEst) < 1e-6)
        }
    }

    @Test func targetUsesTPlusRTTAndIsCappedAtOneAndAHalfCwnd() {
        let withRTT = afterOneLoss()
        let without = afterOneLoss()
        let t0 = 3 * second
        withRTT.onAck(acked: mss, flightSize: 70_000, now: t0, srtt: 2 * second)
        without.onAck(acked: mss, flightSize: 70_000, now: t0, srtt: nil)
        let k = RFC9438.k(wMax: 100)
        let a = withRTT.cwndExact
        withRTT.onAck(acked: mss, flightSize: 70_000, now: t0 + second, srtt: 2 * second)
        let b = without.cwndExact
        without.onAck(acked: mss, flightSize: 70_000, now: t0 + second, srtt: nil)
        let targetRTT = RFC9438.wCubic(3, k: k, wMax: 100) * 1_000
        let targetNone = RFC9438.wCubic(1, k: k, wMax: 100) * 1_000
        #expect(abs(withRTT.cwndExact - (a + (targetRTT - a) / a * 1_000)) < 1e-6)
        #expect(abs(without.cwndExact - (b + (targetNone - b) / b * 1_000)) < 1e-6)
        #expect(withRTT.cwndExact > without.cwndExact)

        // Far past K the cubic target exceeds 1.5 cwnd: the increase is capped at half an ack.
        let capped = afterOneLoss()
        capped.onAck(acked: mss, flightSize: 70_000, now: t0, srtt: nil)
        let before = capped.cwndExact
        capped.onAck(acked: 2 * mss, flightSize: 70_000, now: t0 + 60 * second, srtt: nil)
        #expect(RFC9438.wCubic(60, k: k, wMax: 100) * 1_000 > 1.5 * before)
        #expect(abs(capped.cwndExact - (before + 0.5 * 2_000)) < 1e-6)
    }

    @Test func renoFriendlyRegionUsesWEst() {
        // Many acks at the epoch's first instant: W_cubic(0) = cwnd_epoch stays put while W_est
        // grows with every ack, so CUBIC is in the Reno-friendly region and cwnd = W_est.
        let cc = afterOneLoss()
        let t0 = 3 * second
        var wEst = 70_000.0
        var cwnd = 70_000.0
        var sawAlphaOne = false
        for _ in 0..<6_000 {
            let alpha = wEst >= 100_000 ? 1.0 : RFC9438.alpha  // 1 once W_est reaches cwnd_prior
            if alpha == 1 { sawAlphaOne = true }
            wEst += alpha * 1_000 * 1_000 / cwnd
            cwnd = wEst
            cc.onAck(acked: mss, flightSize: 70_000, now: t0, srtt: 100 * ms)
        }
        #expect(sawAlphaOne)
        #expect(abs(cc.wEst - wEst) < 1e-3)
        #expect(abs(cc.cwndExact - wEst) < 1e-3)
        #expect(cc.cwnd == Int(wEst))
        // About: 30 segments at alpha 0.53 and the rest at 1 per window of acks.
        #expect(cc.cwnd > 100_000 && cc.cwnd < 130_000)
    }

    @Test func fastConvergenceLowersWMaxWhenLossComesEarly() {
        let cc = afterOneLoss()
        cc.onAck(acked: mss, flightSize: 70_000, now: 3 * second, srtt: nil)
        cc.cwnd = 90_000  // lost again before reaching the old W_max (100 segments)
        cc.onEnterRecovery(flightSize: 90_000, now: 4 * second, sackRecovery: true)
        #expect(abs(cc.wMax - 90_000 * (1 + 0.7) / 2) < 1e-9)  // 76.5 segments
        #expect(cc.cwndPrior == 90_000 && cc.ssthresh == 63_000 && cc.cwnd == 63_000)
        #expect(cc.epochStart == nil)
        cc.onExitRecovery(flightSize: 63_000, now: 5 * second)
        cc.onAck(acked: mss, flightSize: 63_000, now: 6 * second, srtt: nil)
        #expect(cc.epochStart == 6 * second)
        #expect(abs(cc.k - RFC9438.k(wMax: 76.5, cwndEpoch: 63)) < 1e-9)

        let off = afterOneLoss()
        off.fastConvergence = false
        off.cwnd = 90_000
        off.onEnterRecovery(flightSize: 90_000, now: 4 * second, sackRecovery: true)
        #expect(off.wMax == 90_000)

        let higher = afterOneLoss()
        higher.cwnd = 120_000  // past the old W_max: W_max = cwnd
        higher.onEnterRecovery(flightSize: 120_000, now: 4 * second, sackRecovery: true)
        #expect(higher.wMax == 120_000 && higher.ssthresh == 84_000)
    }

    @Test func timeoutFollowsSection4_8() {
        let cc = afterOneLoss()
        cc.onAck(acked: mss, flightSize: 70_000, now: 3 * second, srtt: nil)
        cc.cwnd = 80_000
        cc.onRetransmitTimeout(flightSize: 80_000, now: 4 * second)
        #expect(cc.cwnd == mss)                  // Reno's loss window
        #expect(cc.ssthresh == 56_000)           // flight * beta_cubic
        cc.onRetransmitTimeout(flightSize: 1_000, now: 5 * second, firstTimeout: false)
        #expect(cc.ssthresh == 56_000 && cc.cwnd == mss)
        // Slow start back up, one SMSS per ack after the timeout.
        cc.onAck(acked: 4_000, flightSize: 1_000, now: 6 * second, srtt: nil)
        #expect(cc.cwnd == 2_000)
        var now = 6 * second
        while cc.cwnd < cc.ssthresh {
            now += ms
            cc.onAck(acked: mss, flightSize: cc.cwnd, now: now, srtt: nil)
        }
        #expect(cc.cwnd == 56_000)
        // First congestion avoidance stage after the timeout: K = 0, W_max = cwnd_epoch,
        // W_est = cwnd_epoch.
        now += ms
        let epochCwnd = cc.cwndExact
        cc.onAck(acked: mss, flightSize: cc.cwnd, now: now, srtt: nil)
        #expect(cc.epochStart == now)
        #expect(cc.k == 0 && cc.wMax == epochCwnd && cc.cwndEpoch == epochCwnd)
        for t in [0.0, 1, 2.5] {
            let expected = RFC9438.wCubic(t, k: 0, wMax: epochCwnd / 1_000) * 1_000
            #expect(abs(cc.wCubic(seconds: t) - expected) < 1e-6)
        }
    }

    @Test func firstStageWithoutLossStartsAtThePlateau() {
        let cc = Cubic(smss: mss, initialWindow: 10_000)
        cc.ssthresh = 20_000  // e.g. a cached ssthresh: CA entered without a congestion event
        cc.onAck(acked: 2_000, flightSize: 10_000, now: 0, srtt: nil)
        #expect(cc.cwnd == 12_000)  // slow start, L = 2*SMSS
        cc.cwnd = 20_000
        cc.onAck(acked: mss, flightSize: 20_000, now: second, srtt: nil)
        #expect(cc.k == 0 && cc.wMax == 20_000 && cc.epochStart == second)
        #expect(cc.cwndPrior == 20_000)  // 4.1.2: set on exiting the first slow start
        // W_est starts at cwnd_prior, so it grows like Reno (alpha 1) from the start; at t = 0
        // W_cubic = cwnd_epoch < W_est, so cwnd = W_est.
        cc.onAck(acked: mss, flightSize: 20_000, now: second, srtt: nil)
        let afterFirst = 20_000 + 1_000.0 * 1_000 / 20_000
        #expect(abs(cc.wEst - (afterFirst + 1_000.0 * 1_000 / afterFirst)) < 1e-6)
        #expect(abs(cc.cwndExact - cc.wEst) < 1e-9)
    }

    @Test func growthCountsAckedSegmentsNotAcks() {
        // One ACK for two segments grows the window as two ACKs for one each would (to first
        // order): delayed ACKs must not halve CUBIC's growth.
        let one = afterOneLoss()
        let two = afterOneLoss()
        let t0 = 3 * second
        one.onAck(acked: mss, flightSize: 70_000, now: t0, srtt: nil)
        two.onAck(acked: mss, flightSize: 70_000, now: t0, srtt: nil)
        let start = one.cwndExact
        one.onAck(acked: 2 * mss, flightSize: 70_000, now: t0 + second, srtt: nil)
        two.onAck(acked: mss, flightSize: 70_000, now: t0 + second, srtt: nil)
        two.onAck(acked: mss, flightSize: 70_000, now: t0 + second, srtt: nil)
        let grewOne = one.cwndExact - start
        let grewTwo = two.cwndExact - start
        #expect(grewOne > 0 && abs(grewOne - grewTwo) / grewTwo < 0.01)
    }

    @Test func idleRestartShrinksAndStartsANewStage() {
        let cc = afterOneLoss()
        cc.onAck(acked: mss, flightSize: 70_000, now: 3 * second, srtt: nil)
        cc.onIdleRestart(restartWindow: 10_000, now: 20 * second)
        #expect(cc.cwnd == 10_000 && cc.epochStart == nil)
        cc.onIdleRestart(restartWindow: 40_000, now: 20 * second)
        #expect(cc.cwnd == 10_000)
        // Slow start to ssthresh, then a new stage aiming at the same W_max.
        cc.cwnd = 70_000
        cc.onAck(acked: mss, flightSize: 70_000, now: 21 * second, srtt: nil)
        #expect(cc.epochStart == 21 * second && cc.wMax == 100_000)
        #expect(abs(cc.k - RFC9438.k(wMax: 100, cwndEpoch: 70)) < 1e-9)
    }

    @Test func anAckNeverShrinksTheWindowInTheRenoFriendlyRegion() {
        let cc = afterOneLoss()
        cc.onAck(acked: mss, flightSize: 70_000, now: 3 * second, srtt: nil)  // epoch at cwnd 70000
        cc.cwnd = 75_000  // above both W_cubic(0) = 70000 and W_est
        cc.onAck(acked: mss, flightSize: 70_000, now: 3 * second, srtt: nil)
        #expect(cc.wEst < 75_000 && cc.wCubic(seconds: 0) < cc.wEst)
        #expect(cc.cwnd == 75_000)
    }

    @Test func windowsStopAtTheMaximum() {
        let reno = NewReno(smss: mss, initialWindow: CongestionWindow.maximum - 500)
        reno.onAck(acked: 2_000, flightSize: 0, now: 0, srtt: nil)
        #expect(reno.cwnd == CongestionWindow.maximum)
        reno.onDuplicateAckInRecovery()
        #expect(reno.cwnd == CongestionWindow.maximum)
        let cubic = Cubic(smss: mss, initialWindow: CongestionWindow.maximum - 500)
        cubic.onAck(acked: 2_000, flightSize: 0, now: 0, srtt: nil)
        #expect(cubic.cwnd == CongestionWindow.maximum)
        cubic.ssthresh = 1_000_000
        cubic.onAck(acked: 2_000, flightSize: 0, now: 100 * second, srtt: nil)
        cubic.onAck(acked: 2_000_000, flightSize: 0, now: 200 * second, srtt: nil)
        #expect(cubic.cwnd == CongestionWindow.maximum)
    }
}
