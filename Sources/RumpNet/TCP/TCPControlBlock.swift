// struct tcpcb: one connection's state (RFC 9293 3.3.1 names: snd_una, snd_nxt, rcv_nxt, ...), its
// negotiated options, RTT estimator (RFC 6298), congestion control, SACK scoreboard, out-of-order
// bookkeeping and timers. Owned by its Socket, on the stack's thread; the buffers are allocated
// when the connection is set up (an embryonic connection in a listen queue holds none, so a SYN
// flood costs a bounded number of small objects).

final class TCPControlBlock {
    @exclusivity(unchecked) var state: TCPState = .closed

    // Send sequence space.
    @exclusivity(unchecked) var iss = TCPSeq(0)
    @exclusivity(unchecked) var sndUna = TCPSeq(0)
    @exclusivity(unchecked) var sndNxt = TCPSeq(0)
    @exclusivity(unchecked) var sndMax = TCPSeq(0)
    /// The peer's window, scaled (bytes beyond snd_una it accepts).
    @exclusivity(unchecked) var sndWnd = 0
    @exclusivity(unchecked) var maxSndWnd = 0
    @exclusivity(unchecked) var sndWL1 = TCPSeq(0)
    @exclusivity(unchecked) var sndWL2 = TCPSeq(0)
    /// Our FIN's sequence number once sent (it is the last byte of the sequence space).
    @exclusivity(unchecked) var finSent = false

    // Receive sequence space.
    @exclusivity(unchecked) var irs = TCPSeq(0)
    @exclusivity(unchecked) var rcvNxt = TCPSeq(0)
    /// rcv_adv: the right edge of the window last advertised (never moved left).
    @exclusivity(unchecked) var rcvAdv = TCPSeq(0)
    /// The peer's FIN, seen out of order: taken when rcv_nxt reaches it.
    @exclusivity(unchecked) var pendingFIN: TCPSeq? = nil

    // Options.
    /// t_maxseg: the most payload one segment carries (peer's MSS, our MTU, option space).
    @exclusivity(unchecked) var maxSeg = 536
    /// The MSS we offered (from the route's MTU).
    @exclusivity(unchecked) var offeredMSS = 536
    @exclusivity(unchecked) var requestedRcvScale: UInt8 = 0
    @exclusivity(unchecked) var rcvScale: UInt8 = 0
    @exclusivity(unchecked) var sndScale: UInt8 = 0
    @exclusivity(unchecked) var doTimestamps = false
    @exclusivity(unchecked) var doSACK = false
    /// Both SYNs carried the window scale option.
    @exclusivity(unchecked) var windowScaleAgreed = false
    /// RFC 7323: TS.Recent and when it was set; our TSval = ms clock + tsOffset.
    @exclusivity(unchecked) var tsRecent: UInt32 = 0
    @exclusivity(unchecked) var tsRecentAge: UInt64 = 0
    @exclusivity(unchecked) var tsOffset: UInt32 = 0
    /// Last.ACK.sent (RFC 7323 4.3): the ACK field of the last segment we sent.
    @exclusivity(unchecked) var lastAckSent = TCPSeq(0)

    // RTT estimation (RFC 6298), in ns.
    @exclusivity(unchecked) var srtt: UInt64? = nil
    @exclusivity(unchecked) var rttvar: UInt64 = 0
    @exclusivity(unchecked) var rto: UInt64 = 1_000_000_000
    /// The segment being timed (Karn: never a retransmitted one) and when it was sent.
    @exclusivity(unchecked) var rttSeq: TCPSeq? = nil
    @exclusivity(unchecked) var rttStart: UInt64 = 0
    /// A soft ICMP error while connecting (NetBSD's t_softerror): kept out of so_error, which
    /// would fail the connect, and reported only if the attempt gives up.
    @exclusivity(unchecked) var softError: Errno? = nil
    /// t_rxtshift: consecutive retransmission timeouts (the backoff exponent).
    @exclusivity(unchecked) var rxtShift = 0

    // Timers: deadlines in clock ns, 0 = off. One heap entry per connection at the earliest.
    @exclusivity(unchecked) var rexmtAt: UInt64 = 0
    @exclusivity(unchecked) var persistAt: UInt64 = 0
    @exclusivity(unchecked) var keepAt: UInt64 = 0
    @exclusivity(unchecked) var closeWaitAt: UInt64 = 0   // 2MSL in TIME_WAIT, idle limit in FIN_WAIT_2
    @exclusivity(unchecked) var delackAt: UInt64 = 0
    /// The loss probe (RFC 8985 7: a tail loss probe outside recovery; in SACK recovery the
    /// check whether snd_una's retransmission was lost as well).
    @exclusivity(unchecked) var lossProbeAt: UInt64 = 0
    /// A tail loss probe went out and no ACK has moved snd_una since.
    @exclusivity(unchecked) var probeSent = false
    @exclusivity(unchecked) var timer = TimerID.none
    @exclusivity(unchecked) var timerDeadline: UInt64 = 0
    /// Keepalive probes sent without an answer; persist probes' backoff.
    @exclusivity(unchecked) var keepProbes = 0
    @exclusivity(unchecked) var persistShift = 0
    /// When a segment last arrived (keepalive idle time, t_rcvtime).
    @exclusivity(unchecked) var lastReceived: UInt64 = 0
    /// When data was last sent (idle restart, RFC 5681 4.1).
    @exclusivity(unchecked) var lastSent: UInt64 = 0

    // Output decisions.
    @exclusivity(unchecked) var ackNow = false
    /// Full-sized segments received since the last ACK sent (ACK every second one, RFC 5681 4.2).
    @exclusivity(unchecked) var unackedSegments = 0
    /// A window probe is due: send one byte past the window.
    @exclusivity(unchecked) var forceOne = false

    // Loss recovery.
    @exclusivity(unchecked) var cc: any CongestionControl
    @exclusivity(unchecked) var dupAcks = 0
    @exclusivity(unchecked) var inRecovery = false
    /// RFC 6582 "recover": snd_max when recovery began.
    @exclusivity(unchecked) var recover = TCPSeq(0)
    /// RFC 6675 HighRxt: retransmitted up to here in this recovery.
    @exclusivity(unchecked) var highRxt = TCPSeq(0)
    @exclusivity(unchecked) var scoreboard = SACKScoreboard()
    /// When snd_una's segment was last sent again (lost-retransmission detection).
    @exclusivity(unchecked) var unaRetransmittedAt: UInt64 = 0
    @exclusivity(unchecked) var assembler = ReceiveAssembler()

    // Buffers (nil until the connection is set up).
    @exclusivity(unchecked) var sendBuffer: StreamRing? = nil
    @exclusivity(unchecked) var receiveBuffer: StreamRing? = nil
    /// Bytes received since the receive buffer's size was last judged (auto-sizing), and when.
    @exclusivity(unchecked) var autoRcvBytes = 0
    @exclusivity(unchecked) var autoRcvStart: UInt64 = 0

    /// The listener an embryonic or not yet accepted connection belongs to.
    weak var listener: Socket?

    /// The socket this is the connection of (which owns it).
    unowned let socket: Socket

    init(socket: Socket, cc: any CongestionControl) {
        self.socket = socket
        self.cc = cc
    }

    func deallocateBuffers() {
        sendBuffer?.deallocate(); sendBuffer = nil
        receiveBuffer?.deallocate(); receiveBuffer = nil
    }

    /// Bytes sent and not yet acknowledged (SYN and FIN included).
    @inline(__always) var flightSize: Int { sndMax - sndUna }

    /// The earliest of the connection's deadlines (0: none).
    var earliestDeadline: UInt64 {
        @inline(__always) func earlier(_ a: UInt64, _ b: UInt64) -> UInt64 { a == 0 ? b : (b == 0 ? a : Swift.min(a, b)) }
        return earlier(earlier(earlier(rexmtAt, persistAt), earlier(keepAt, closeWaitAt)), earlier(delackAt, lossProbeAt))
    }
}

/// A connection's four-tuple: the key of the connection table.
struct TCPFourTuple: Hashable {
    var local: SocketEndpoint
    var foreign: SocketEndpoint
}
