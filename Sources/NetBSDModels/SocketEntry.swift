// One TCP or UDP protocol control block as `netstat -a` lists it: what a kernel reports
// (RumpProtocol encodes it) and netstat prints.

public struct SocketEntry: Hashable, Sendable {
    /// "udp", "tcp" (netstat lists no raw sockets).
    public var proto: String
    public var local: SocketAddress
    public var foreign: SocketAddress
    /// Recv-Q and Send-Q: bytes buffered (NetBSD's sb_cc).
    public var receiveQueue: UInt32
    public var sendQueue: UInt32
    /// The TCP state's name ("LISTEN", "ESTABLISHED", "TIME_WAIT"); empty for UDP.
    public var state: String

    public init(proto: String, local: SocketAddress, foreign: SocketAddress, receiveQueue: UInt32 = 0, sendQueue: UInt32 = 0,
                state: String = "") {
        self.proto = proto; self.local = local; self.foreign = foreign
        self.receiveQueue = receiveQueue; self.sendQueue = sendQueue; self.state = state
    }

    /// A server: listening TCP, or UDP bound with no peer. netstat shows them only with -a.
    public var isServer: Bool { state == "LISTEN" || (proto != "tcp" && foreign.isUnspecifiedAddress && foreign.port == 0) }
}
