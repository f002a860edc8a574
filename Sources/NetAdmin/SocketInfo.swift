// What `netstat -a` shows of one TCP or UDP protocol control block.

public struct SocketInfo: Sendable, Equatable {
    /// "tcp", "udp" (netstat lists no raw sockets).
    public var proto: String
    public var receiveQueue: UInt32
    public var sendQueue: UInt32
    public var localAddress: IPv4Address
    public var localPort: UInt16
    public var foreignAddress: IPv4Address
    public var foreignPort: UInt16
    /// TCP state name ("LISTEN", "ESTABLISHED", "TIME_WAIT"); empty for UDP.
    public var state: String

    public init(proto: String, receiveQueue: UInt32 = 0, sendQueue: UInt32 = 0, localAddress: IPv4Address, localPort: UInt16,
                foreignAddress: IPv4Address = .any, foreignPort: UInt16 = 0, state: String = "") {
        self.proto = proto
        self.receiveQueue = receiveQueue
        self.sendQueue = sendQueue
        self.localAddress = localAddress
        self.localPort = localPort
        self.foreignAddress = foreignAddress
        self.foreignPort = foreignPort
        self.state = state
    }

    /// A server: listening TCP, or UDP bound with no peer. Shown only with -a.
    public var isServer: Bool { state == "LISTEN" || (proto != "tcp" && foreignAddress == .any && foreignPort == 0) }
}
