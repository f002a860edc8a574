// The connection states (RFC 9293 3.3.2) in NetBSD's order (tcp_fsm.h), with the names netstat
// prints (tcpstates[]).

public enum TCPState: Int, Sendable, CaseIterable, CustomStringConvertible {
    case closed = 0, listen, synSent, synReceived, established, closeWait, finWait1, closing, lastAck, finWait2, timeWait

    public var description: String {
        switch self {
        case .closed: "CLOSED"
        case .listen: "LISTEN"
        case .synSent: "SYN_SENT"
        case .synReceived: "SYN_RCVD"
        case .established: "ESTABLISHED"
        case .closeWait: "CLOSE_WAIT"
        case .finWait1: "FIN_WAIT_1"
        case .closing: "CLOSING"
        case .lastAck: "LAST_ACK"
        case .finWait2: "FIN_WAIT_2"
        case .timeWait: "TIME_WAIT"
        }
    }

    /// TCPS_HAVERCVDSYN: a SYN has been received (every state past SYN_SENT).
    var haveReceivedSYN: Bool { rawValue >= TCPState.synReceived.rawValue }
    /// TCPS_HAVEESTABLISHED.
    var haveEstablished: Bool { rawValue >= TCPState.established.rawValue }
    /// TCPS_HAVERCVDFIN: the peer's FIN is in.
    var haveReceivedFIN: Bool {
        switch self {
        case .closeWait, .closing, .lastAck, .timeWait: true
        default: false
        }
    }
    /// Our FIN has been queued: the application may not send.
    var sentFIN: Bool {
        switch self {
        case .finWait1, .closing, .lastAck, .finWait2, .timeWait: true
        default: false
        }
    }
}
