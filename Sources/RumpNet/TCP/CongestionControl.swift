/// Congestion control behind one interface (NetBSD's tcp_congctl; net.inet.tcp.congctl.selected).
/// Byte-counted windows (RFC 5681 names). `smss` = sender MSS. All times are clock ns.
///
/// The connection (tcp_input/tcp_output) decides *when* an event happens (new ack, 3 dupacks,
/// partial ack, RTO, idle restart); an algorithm decides only what cwnd and ssthresh become.
/// Loss recovery itself (NewReno's or RFC 6675's) is the connection's and is the same for every
/// algorithm, as RFC 9438 1 says of CUBIC.
protocol CongestionControl: AnyObject {
    static var name: String { get }
    var cwnd: Int { get set }
    var ssthresh: Int { get set }
    var smss: Int { get set }
    /// `initialWindow` per RFC 5681 3.1 computed by the caller; ssthresh starts "infinite"
    /// (`CongestionWindow.infiniteSSThresh`).
    init(smss: Int, initialWindow: Int)
    /// New data cumulatively acknowledged, not in recovery. `flightSize` before this ack, `srtt`
    /// ns (nil: none yet).
    func onAck(acked: Int, flightSize: Int, now: UInt64, srtt: UInt64?)
    /// Loss detected by 3 dupacks or SACK (RFC 5681 3.2 step 2 / RFC 6675 / RFC 9438 4.6): sets
    /// ssthresh and cwnd. `sackRecovery` false: RFC 5681 3.2 step 3, cwnd = ssthresh + 3*SMSS
    /// (the three segments the dupacks say have left the network); true: RFC 6675 5 (4.2),
    /// cwnd = ssthresh, pipe governs what is sent.
    func onEnterRecovery(flightSize: Int, now: UInt64, sackRecovery: Bool)
    /// A further duplicate ACK during recovery without SACK: RFC 5681 step 4 inflation (cwnd += smss).
    func onDuplicateAckInRecovery()
    /// RFC 6582 3.2 step 5 partial ack (NewReno recovery only): deflate by `acked`, add back smss
    /// if acked >= smss.
    func onPartialAck(acked: Int)
    /// Full ACK ending recovery (RFC 6582 3.2 step 3, option 1:
    /// cwnd = min(ssthresh, max(flightSize, smss) + smss)); `flightSize` after the ack.
    func onExitRecovery(flightSize: Int, now: UInt64)
    /// Retransmission timeout (RFC 5681 (4)): ssthresh = max(flight/2, 2*smss), cwnd = 1 smss
    /// (loss window); CUBIC per RFC 9438 4.8. `firstTimeout` false for a backed-off repeat of
    /// the same segment's timer: RFC 5681 3.1 keeps ssthresh as it was.
    func onRetransmitTimeout(flightSize: Int, now: UInt64, firstTimeout: Bool)
    /// Restart after idle (RFC 5681 4.1): cwnd = min(cwnd, restart window).
    func onIdleRestart(restartWindow: Int, now: UInt64)
}

extension CongestionControl {
    /// Loss detected by three duplicate ACKs without SACK (RFC 5681 3.2 steps 2 and 3).
    func onEnterRecovery(flightSize: Int, now: UInt64) {
        onEnterRecovery(flightSize: flightSize, now: now, sackRecovery: false)
    }

    /// The first timeout of a segment (ssthresh recomputed).
    func onRetransmitTimeout(flightSize: Int, now: UInt64) {
        onRetransmitTimeout(flightSize: flightSize, now: now, firstTimeout: true)
    }

    var name: String { Self.name }

    /// In slow start (RFC 5681 3.1: cwnd < ssthresh; at equality congestion avoidance).
    var inSlowStart: Bool { cwnd < ssthresh }
}

/// The window rules every algorithm shares (RFC 5681, 3465, 6582), in bytes.
enum CongestionWindow {
    /// RFC 5681 3.1: "arbitrarily high"; NetBSD's TCP_MAXWIN << TCP_MAX_WINSHIFT fits too, but
    /// Int32.max is what the interface promises.
    static let infiniteSSThresh = Int(Int32.max)

    /// The largest cwnd an algorithm grows to: Int32.max bytes, past any window the peer can
    /// offer (65535 << 14), and small enough for 32-bit sequence arithmetic.
    static let maximum = Int(Int32.max)

    /// The number of duplicate ACKs that trigger fast retransmit (RFC 5681 3.2 DupThresh).
    static let duplicateAckThreshold = 3

    /// RFC 3465 2.2/2.3 slow start: cwnd += min(acked, L), L = 2*SMSS (NetBSD's
    /// tcp_abc_aggressive=1), L = 1*SMSS during slow start after a retransmission timeout.
    static func slowStartIncrease(acked: Int, smss: Int, afterTimeout: Bool) -> Int {
        min(acked, afterTimeout ? smss : 2 * smss)
    }

    /// RFC 5681 (4) / 3.2 step 2: max(FlightSize / 2, 2*SMSS).
    static func halvedSSThresh(flightSize: Int, smss: Int) -> Int {
        max(flightSize / 2, 2 * smss)
    }

    /// RFC 6582 3.2 step 5: deflate by the newly acked bytes, add one SMSS back when at least one
    /// SMSS was acked. Never below one segment (a partial ack larger than the inflated window
    /// would otherwise leave nothing to send the next retransmission with).
    static func afterPartialAck(cwnd: Int, acked: Int, smss: Int) -> Int {
        var w = cwnd - max(0, acked)
        if acked >= smss { w += smss }
        return max(w, smss)
    }

    /// RFC 6582 3.2 step 3 option 1 (the one that avoids a burst): min(ssthresh, max(FlightSize,
    /// SMSS) + SMSS).
    static func afterFullAck(ssthresh: Int, flightSize: Int, smss: Int) -> Int {
        min(ssthresh, max(flightSize, smss) + smss)
    }
}

/// The congestion controls by name, for the sysctl and for tests: index =
/// net.inet.tcp.congctl.selected's integer form.
enum CongestionAlgorithm: Int, CaseIterable {
    case newreno = 0
    case cubic = 1

    var name: String {
        switch self {
        case .newreno: NewReno.name
        case .cubic: Cubic.name
        }
    }

    init?(name: String) {
        guard let found = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = found
    }

    func make(smss: Int, initialWindow: Int) -> any CongestionControl {
        switch self {
        case .newreno: NewReno(smss: smss, initialWindow: initialWindow)
        case .cubic: Cubic(smss: smss, initialWindow: initialWindow)
        }
    }

    /// net.inet.tcp.congctl.available: the names, space separated (NetBSD's format).
    static var availableNames: String { allCases.map(\.name).joined(separator: " ") }
}
