#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CUBIC (RFC 9438). Windows are bytes here; the RFC's are segments, so every formula is applied
/// to `window / smss` and scaled back: W_cubic(t) = C*(t-K)^3 + W_max with W_max in segments,
/// K = cbrt((W_max - cwnd_epoch) / C), t in seconds from the start of the congestion avoidance
/// stage (the epoch), target = W_cubic(t + RTT) clamped to [cwnd, 1.5*cwnd], cwnd +=
/// (target - cwnd)/cwnd per acked segment; the Reno-friendly estimate W_est (4.3) wins when
/// W_cubic(t) < W_est. Slow start is RFC 5681's with RFC 3465 counting (HyStart++ not done).
///
/// The RFC's "(target - cwnd)/cwnd for each received new ACK" assumes an ACK per segment; it is
/// applied here per acked SMSS (as W_est's segments_acked is, and as RFC 3465 counts bytes), so
/// delayed or stretch ACKs do not slow the growth down.
///
/// The window is kept as a Double so the per-ack fractions of a byte are not lost; `cwnd` is its
/// integer part.
final class Cubic: CongestionControl {
    static let name = "cubic"

    /// RFC 9438 5: C = 0.4 (segments / s^3).
    static let c = 0.4
    /// RFC 9438 4.6: beta_cubic = 0.7.
    static let beta = 0.7
    static let betaTenths = 7
    /// RFC 9438 4.3: alpha_cubic = 3 * (1 - beta) / (1 + beta), Reno's average window for AIMD(alpha, beta).
    static let alpha = 3 * (1 - beta) / (1 + beta)
    private static let maximumWindow = Double(CongestionWindow.maximum)

    private var window: Double
    var ssthresh: Int
    var smss: Int
    /// RFC 9438 4.7: on by default (it is the RFC's SHOULD; Linux and FreeBSD have it on).
    var fastConvergence = true

    /// W_max in bytes: the window just before the last reduction (lowered by fast convergence),
    /// or the window at the start of the stage when no congestion event preceded it.
    private(set) var wMax: Double = 0
    /// cwnd_prior in bytes: the window just before the last reduction.
    private(set) var cwndPrior: Double = 0
    /// K in seconds.
    private(set) var k: Double = 0
    /// t_epoch: when the current congestion avoidance stage started (nil: not in one).
    private(set) var epochStart: UInt64?
    /// cwnd_epoch in bytes.
    private(set) var cwndEpoch: Double = 0
    /// W_est in bytes (RFC 9438 4.3).
    private(set) var wEst: Double = 0
    /// A congestion event (4.6) happened since the start or the last timeout: the next stage
    /// climbs back to W_max; otherwise (4.8, 4.10) it starts with K = 0, W_max = cwnd_epoch.
    private(set) var congestionEventPending = false
    /// Slow start after a retransmission timeout (RFC 3465 2.3: L = 1*SMSS there).
    private(set) var slowStartAfterTimeout = false

    var cwnd: Int {
        get { Int(window) }
        set { window = Double(newValue) }
    }

    /// The window with its fraction of a byte (tests check the RFC's formulas against it).
    var cwndExact: Double { window }

    init(smss: Int, initialWindow: Int) {
        self.smss = smss
        window = Double(initialWindow)
        ssthresh = CongestionWindow.infiniteSSThresh
    }

    /// W_cubic(t) in bytes, `t` seconds after the epoch started (RFC 9438 Figure 1).
    func wCubic(seconds t: Double) -> Double {
        let d = t - k
        return (Self.c * d * d * d) * Double(smss) + wMax
    }

    func onAck(acked: Int, flightSize: Int, now: UInt64, srtt: UInt64?) {
        guard acked > 0 else { return }
        if cwnd < ssthresh {
            window = min(window + Double(CongestionWindow.slowStartIncrease(
                acked: acked, smss: smss, afterTimeout: slowStartAfterTimeout)), Self.maximumWindow)
            if cwnd >= ssthresh { slowStartAfterTimeout = false }
            return
        }
        if epochStart == nil { startEpoch(now: now) }
        let start = epochStart ?? now
        let t = Double(now >= start ? now - start : 0) / 1e9
        let rtt = Double(srtt ?? 0) / 1e9
        let segment = Double(smss)
        window = max(window, segment)  // a caller-set cwnd of 0 must not divide by zero

        // 4.3: W_est grows like Reno with AIMD(alpha_cubic, beta_cubic) until it reaches
        // cwnd_prior, then like Reno itself (alpha 1).
        let alphaNow = wEst >= cwndPrior ? 1.0 : Self.alpha
        wEst += alphaNow * Double(acked) * segment / window

        if wCubic(seconds: t) < wEst {
            // Reno-friendly region: cwnd = W_est. (A cwnd already above W_est, grown towards
            // W_cubic(t + RTT), is kept: an ack never shrinks the window.)
            window = max(window, wEst)
        } else {
            // Concave and convex regions (4.4, 4.5).
            let target = min(max(wCubic(seconds: t + rtt), window), 1.5 * window)
            window += (target - window) / window * Double(acked)
        }
        window = min(window, Self.maximumWindow)
    }

    /// Starts a congestion avoidance stage (RFC 9438 4.2, 4.3, 4.8).
    private func startEpoch(now: UInt64) {
        epochStart = now
        cwndEpoch = window
        wEst = window
        if !congestionEventPending {
            // No loss to climb back to: the first stage, or the first after a timeout (4.8).
            wMax = window
            // 4.1.2: cwnd_prior is also set "upon exiting the first slow start".
            if cwndPrior == 0 { cwndPrior = window }
        }
        congestionEventPending = false
        // Signed cube root: W_cubic(0) = cwnd_epoch holds also when cwnd_epoch > W_max.
        k = cbrt((wMax - cwndEpoch) / Double(smss) / Self.c)
    }

    /// RFC 9438 4.6 and 4.7: W_max (fast convergence), cwnd_prior, ssthresh = flight * beta.
    private func reduce(flightSize: Int) -> Int {
        if fastConvergence && window < wMax {
            wMax = window * (1 + Self.beta) / 2
        } else {
            wMax = window
        }
        cwndPrior = window
        congestionEventPending = true
        epochStart = nil
        // flight_size * 0.7 in integers: Double(flight) * 0.7 lands a byte short of most results.
        let reduced = flightSize * Self.betaTenths / 10
        return max(reduced, 2 * smss)
    }

    func onEnterRecovery(flightSize: Int, now: UInt64, sackRecovery: Bool) {
        ssthresh = reduce(flightSize: flightSize)
        // cwnd = max(ssthresh, 2) (4.6); without SACK RFC 5681's step 3 inflation as for Reno
        // (CUBIC does not change fast recovery).
        window = Double(sackRecovery
            ? ssthresh : ssthresh + CongestionWindow.duplicateAckThreshold * smss)
        slowStartAfterTimeout = false
    }

    func onDuplicateAckInRecovery() {
        window = min(window + Double(smss), Self.maximumWindow)
    }

    func onPartialAck(acked: Int) {
        cwnd = CongestionWindow.afterPartialAck(cwnd: cwnd, acked: acked, smss: smss)
    }

    func onExitRecovery(flightSize: Int, now: UInt64) {
        cwnd = CongestionWindow.afterFullAck(ssthresh: ssthresh, flightSize: flightSize, smss: smss)
    }

    func onRetransmitTimeout(flightSize: Int, now: UInt64, firstTimeout: Bool) {
        // 4.8: Reno's reduction of cwnd, ssthresh with beta_cubic as in 4.6; the next stage
        // starts with K = 0 and W_max = cwnd_epoch, W_est = cwnd_epoch.
        if firstTimeout {
            ssthresh = reduce(flightSize: flightSize)
        }
        congestionEventPending = false
        epochStart = nil
        window = Double(smss)
        slowStartAfterTimeout = true
    }

    func onIdleRestart(restartWindow: Int, now: UInt64) {
        window = min(window, Double(restartWindow))
        // t must not include the idle period (4.2): the next ack starts a new stage, aiming at
        // the same W_max.
        if epochStart != nil {
            epochStart = nil
            congestionEventPending = true
        }
    }
}
