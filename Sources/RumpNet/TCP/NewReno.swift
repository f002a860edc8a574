/// NewReno (RFC 5681 + RFC 6582): slow start and congestion avoidance by byte counting
/// (RFC 3465: L = 2*SMSS in slow start, 1*SMSS in the slow start after a timeout; one SMSS per
/// cwnd of acked bytes in congestion avoidance), fast recovery windows, RTO's loss window.
final class NewReno: CongestionControl {
    static let name = "newreno"

    var cwnd: Int
    var ssthresh: Int
    var smss: Int
    /// RFC 3465 2.1's bytes_acked: acked bytes not yet turned into a cwnd increase in
    /// congestion avoidance.
    private(set) var bytesAcked = 0
    /// Slow start after a retransmission timeout (RFC 3465 2.3: L = 1*SMSS there).
    private(set) var slowStartAfterTimeout = false

    init(smss: Int, initialWindow: Int) {
        self.smss = smss
        cwnd = initialWindow
        ssthresh = CongestionWindow.infiniteSSThresh
    }

    func onAck(acked: Int, flightSize: Int, now: UInt64, srtt: UInt64?) {
        guard acked > 0 else { return }
        if cwnd < ssthresh {
            cwnd = min(cwnd + CongestionWindow.slowStartIncrease(
                acked: acked, smss: smss, afterTimeout: slowStartAfterTimeout), CongestionWindow.maximum)
            if cwnd >= ssthresh { slowStartAfterTimeout = false }
            return
        }
        // RFC 3465 2.1 / RFC 5681 3.1 (equation 3's byte-counting form): one SMSS per cwnd acked.
        bytesAcked += acked
        if bytesAcked >= cwnd {
            bytesAcked -= cwnd
            cwnd = min(cwnd + smss, CongestionWindow.maximum)
        }
    }

    func onEnterRecovery(flightSize: Int, now: UInt64, sackRecovery: Bool) {
        ssthresh = CongestionWindow.halvedSSThresh(flightSize: flightSize, smss: smss)
        cwnd = sackRecovery
            ? ssthresh : ssthresh + CongestionWindow.duplicateAckThreshold * smss
        bytesAcked = 0
        slowStartAfterTimeout = false
    }

    func onDuplicateAckInRecovery() {
        cwnd = min(cwnd + smss, CongestionWindow.maximum)
    }

    func onPartialAck(acked: Int) {
        cwnd = CongestionWindow.afterPartialAck(cwnd: cwnd, acked: acked, smss: smss)
    }

    func onExitRecovery(flightSize: Int, now: UInt64) {
        cwnd = CongestionWindow.afterFullAck(ssthresh: ssthresh, flightSize: flightSize, smss: smss)
        bytesAcked = 0
    }

    func onRetransmitTimeout(flightSize: Int, now: UInt64, firstTimeout: Bool) {
        if firstTimeout {
            ssthresh = CongestionWindow.halvedSSThresh(flightSize: flightSize, smss: smss)
        }
        cwnd = smss
        bytesAcked = 0
        slowStartAfterTimeout = true
    }

    func onIdleRestart(restartWindow: Int, now: UInt64) {
        cwnd = min(cwnd, restartWindow)
    }
}
