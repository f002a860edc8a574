import Testing
@testable import RumpNet

/// The algorithms together, the way tcp_input/tcp_output will use them: a sender (NewReno or
/// CUBIC, SACK scoreboard, RFC 6675 recovery) and a receiver (ReceiveAssembler building SACK
/// blocks) joined by a FIFO "network" that loses chosen first transmissions. No segments or
/// clocks: just the sequence numbers, to check the recovery decisions end to end.
@Suite struct TCPLossRecoveryModelTests {
    struct Outcome {
        var retransmitted: [Int] = []      // offsets of retransmitted segments, in order
        var recoveries = 0
        var flightAtLoss: [Int] = []
        var ssthreshAfterLoss: [Int] = []
        var cwndAtEntry: [Int] = []
        var cwndAtExit: [Int] = []
        var flightAtExit: [Int] = []
        var delivered = 0                  // receiver's rcv_nxt offset at the end
        var sackedRetransmissions = 0      // retransmissions of bytes the scoreboard held SACKed
        var partialAcks: [[Int]] = []      // [acked, cwnd before, cwnd after]
    }

    func run(algorithm: CongestionAlgorithm, lose: Set<Int>, segments: Int = 60, sack: Bool = true) -> Outcome {
        let smss = 1000
        let base = TCPSeq(UInt32.max - 12_345)  // wraps during the transfer
        let end = segments * smss
        let cc = algorithm.make(smss: smss, initialWindow: 10 * smss)
        var sb = SACKScoreboard()
        var assembler = ReceiveAssembler()
        var out = Outcome()

        var una = 0, sndNxt = 0
        var inRecovery = false, recoveryPoint = 0, highRxt = 0, dupacks = 0
        var network: [(offset: Int, length: Int, retransmission: Bool)] = []
        var rcvNxt = 0

        func seq(_ o: Int) -> TCPSeq { base + o }
        func send(_ o: Int, _ l: Int, _ rxt: Bool) { network.append((o, l, rxt)) }
        func sendNewData() {
            while sndNxt - una < cc.cwnd, sndNxt < end {
                let l = min(smss, end - sndNxt)
                send(sndNxt, l, false)
                sndNxt += l
            }
        }
        func retransmitFirstUnacked() {
            out.retransmitted.append(una)
            send(una, min(smss, sndNxt - una), true)
        }
        func transmit() {
            if inRecovery && !sack {
                // NewReno without SACK: the window alone says what new data may go.
                sendNewData()
            } else if inRecovery {
                while sb.pipe(una: seq(una), sndMax: seq(sndNxt), highRxt: seq(highRxt), smss: smss, dupThresh: 3) < cc.cwnd,
                      let s = sb.nextSegment(
                        una: seq(una), sndNxt: seq(sndNxt), sndMax: seq(sndNxt), highRxt: seq(highRxt),
                        newDataAvailable: end - sndNxt, smss: smss, dupThresh: 3) {
                    let o = s.seq - base
                    if s.retransmission {
                        for b in o..<(o + s.length) where sb.isSacked(seq(b)) { out.sackedRetransmissions += 1 }
                        out.retransmitted.append(o)
                        highRxt = max(highRxt, o + s.length)
                    } else {
                        sndNxt += s.length
                    }
                    send(o, s.length, s.retransmission)
                }
            } else {
                sendNewData()
            }
        }

        transmit()
        var steps = 0
        while !network.isEmpty && steps < 10_000 {
            steps += 1
            let s = network.removeFirst()
            if !s.retransmission && lose.contains(s.offset) { continue }
            // Receiver.
            if s.offset <= rcvNxt {
                let n = s.offset + s.length - rcvNxt
                if n > 0 { rcvNxt += n + assembler.advance(by: n) }
            } else {
                _ = assembler.insert(offset: s.offset - rcvNxt, length: s.length)
            }
            let blocks = sack ? assembler.sackBlocks(rcvNxt: seq(rcvNxt), max: 3) : SACKBlocks()
            // Sender.
            let ack = rcvNxt
            if ack > una {
                let flightBefore = sndNxt - una
                let acked = ack - una
                una = ack
                _ = sb.update(una: seq(una), sndMax: seq(sndNxt), blocks: blocks)
                dupacks = 0
                if inRecovery {
                    if una >= recoveryPoint {
                        inRecovery = false
                        out.flightAtExit.append(sndNxt - una)
                        cc.onExitRecovery(flightSize: sndNxt - una, now: 0)
                        out.cwndAtExit.append(cc.cwnd)
                    } else if !sack {
                        // RFC 6582 3.2 step 5: retransmit the first unacknowledged segment.
                        retransmitFirstUnacked()
                        let before = cc.cwnd
                        cc.onPartialAck(acked: acked)
                        out.partialAcks.append([acked, before, cc.cwnd])
                    }
                } else {
                    cc.onAck(acked: acked, flightSize: flightBefore, now: 0, srtt: nil)
                }
            } else if sndNxt > una {
                _ = sb.update(una: seq(una), sndMax: seq(sndNxt), blocks: blocks)
                dupacks += 1
                if !sack {
                    if !inRecovery && dupacks == 3 {
                        inRecovery = true
                        out.recoveries += 1
                        recoveryPoint = sndNxt
                        out.flightAtLoss.append(sndNxt - una)
                        cc.onEnterRecovery(flightSize: sndNxt - una, now: 0)
                        out.ssthreshAfterLoss.append(cc.ssthresh)
                        out.cwndAtEntry.append(cc.cwnd)
                        retransmitFirstUnacked()
                    } else if inRecovery {
                        cc.onDuplicateAckInRecovery()
                    }
                } else if !inRecovery && (dupacks >= 3 || sb.isLost(seq(una), smss: smss, dupThresh: 3)) {
                    inRecovery = true
                    out.recoveries += 1
                    recoveryPoint = sndNxt
                    highRxt = una
                    out.flightAtLoss.append(sndNxt - una)
                    cc.onEnterRecovery(flightSize: sndNxt - una, now: 0, sackRecovery: true)
                    out.ssthreshAfterLoss.append(cc.ssthresh)
                    out.cwndAtEntry.append(cc.cwnd)
                }
            }
            transmit()
        }
        out.delivered = rcvNxt
        return out
    }

    @Test(arguments: CongestionAlgorithm.allCases)
    func twoLossesInOneWindowAreRepairedInOneRecovery(algorithm: CongestionAlgorithm) {
        let o = run(algorithm: algorithm, lose: [3000, 7000])
        #expect(o.delivered == 60_000)
        #expect(o.retransmitted == [3000, 7000])  // each hole once, in order, nothing else
        #expect(o.sackedRetransmissions == 0)
        #expect(o.recoveries == 1)
        guard o.recoveries == 1, o.cwndAtExit.count == 1 else { return }
        let flight = o.flightAtLoss[0]
        let expected = algorithm == .newreno ? max(flight / 2, 2000) : max(flight * 7 / 10, 2000)
        #expect(o.ssthreshAfterLoss[0] == expected)
        #expect(o.cwndAtEntry[0] == expected)
        #expect(o.cwndAtExit[0] == min(expected, max(o.flightAtExit[0], 1000) + 1000))
    }

    @Test(arguments: CongestionAlgorithm.allCases)
    func separateLossesMakeSeparateRecoveries(algorithm: CongestionAlgorithm) {
        let o = run(algorithm: algorithm, lose: [5000, 45_000], segments: 80)
        #expect(o.delivered == 80_000)
        #expect(o.retransmitted == [5000, 45_000])
        #expect(o.recoveries == 2 && o.sackedRetransmissions == 0)
    }

    @Test func aBurstOfLossesIsRetransmittedLowestFirst() {
        let lost: Set<Int> = [10_000, 11_000, 12_000, 14_000]
        let o = run(algorithm: .newreno, lose: lost)
        #expect(o.delivered == 60_000)
        #expect(o.retransmitted == lost.sorted())
        #expect(o.recoveries == 1 && o.sackedRetransmissions == 0)
    }

    @Test(arguments: CongestionAlgorithm.allCases)
    func newRenoRecoveryWithoutSACKUsesPartialAcks(algorithm: CongestionAlgorithm) {
        let o = run(algorithm: algorithm, lose: [3000, 7000], sack: false)
        #expect(o.delivered == 60_000)
        // The first hole on the third dupack, the second on the partial ack that reveals it.
        #expect(o.retransmitted == [3000, 7000])
        #expect(o.recoveries == 1)
        guard o.recoveries == 1, o.cwndAtExit.count == 1, o.partialAcks.count == 1 else { return }
        let flight = o.flightAtLoss[0]
        let ssthresh = algorithm == .newreno ? max(flight / 2, 2000) : max(flight * 7 / 10, 2000)
        #expect(o.ssthreshAfterLoss[0] == ssthresh)
        #expect(o.cwndAtEntry[0] == ssthresh + 3000)  // RFC 5681 3.2 step 3
        let p = o.partialAcks[0]
        #expect(p[0] == 4000)                         // [3000, 7000) acked by the first repair
        #expect(p[2] == p[1] - 4000 + 1000)           // deflated, one SMSS added back
        #expect(o.cwndAtExit[0] == min(ssthresh, max(o.flightAtExit[0], 1000) + 1000))
    }
}
