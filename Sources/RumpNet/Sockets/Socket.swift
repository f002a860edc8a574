// struct socket with its inpcb folded in: the state every protocol shares (NetBSD's so_* fields:
// options, so_error, shutdown state, the buffers' limits) and the addresses the protocol's
// lookup uses. The protocol's own behaviour lives in its files (RawSockets, UDP/).

final class Socket {
    /// The descriptor, or -1 for a TCP connection no descriptor names (embryonic, waiting in a
    /// listen queue, or closed by its owner and finishing its close: SS_NOFDREF).
    @exclusivity(unchecked) var fd: Int32
    let proto: SocketProtocol
    // Confined to the stack's thread, like NetStack's state.
    @exclusivity(unchecked) var local = SocketEndpoint.any
    @exclusivity(unchecked) var foreign = SocketEndpoint.any
    @exclusivity(unchecked) var receive: DatagramBuffer
    /// sb_hiwat of the send buffer: datagram sockets send at once, so it only bounds a datagram.
    var sendLimit: Int
    /// SO_RCVLOWAT (sb_lowat): readable from this many buffered bytes (record headers count).
    var receiveLowWater = 1
    /// so_error: set by ICMP errors on connected sockets, returned (and cleared) by the next call.
    @exclusivity(unchecked) var error: Errno?
    var cantSendMore = false     // SS_CANTSENDMORE
    var cantReceiveMore = false  // SS_CANTRCVMORE
    /// SS_ISCONNECTED: `foreign` is fixed; the connect hash (not the bind hash) finds it.
    var isConnected = false
    var reuseAddress = false, reusePort = false, broadcast = false, nonBlocking = false
    var ttl: UInt8? = nil        // nil: net.inet.ip.ttl
    var tos: UInt8 = 0
    var headerIncluded = false
    /// Datagrams refused because the receive buffer was full or shut.
    var drops: UInt64 = 0
    /// TCP: the connection (nil for a socket that never connected or listened).
    @exclusivity(unchecked) var tcb: TCPControlBlock? = nil
    /// TCP listeners: connections set up and not yet accepted (so_q), in arrival order, and
    /// how many more are still in SYN_RCVD (so_q0); both bounded by the backlog.
    @exclusivity(unchecked) var acceptQueue: [Socket] = []
    @exclusivity(unchecked) var embryonic = 0
    var backlog = -1  // -1: not listening
    var isListening: Bool { backlog >= 0 }
    var noDelay = false, keepAlive = false
    /// SO_LINGER: nil off, else seconds (0: close resets the connection).
    var linger: Int? = nil
    /// TCP_MAXSEG set by the user (0: from the route).
    var userMaxSeg = 0
    /// SO_RCVBUF of a stream socket (its datagram buffer stays unused and small).
    var streamReceiveLimit = 0
    /// SO_SNDLOWAT for stream sockets.
    var sendLowWater = 2048
    /// AF_INET, or AF_INET6 for the raw ICMPv6 sockets (IPv6/Raw6.swift) and their addresses
    /// (embedded zones), filter (ICMP6_FILTER: a bit per passed type, nil passes all) and hop limit.
    /// UDP and TCP sockets of either family keep their addresses in `local`/`foreign`.
    var family = SocketConstants.AF_INET {
        didSet { accepts = Socket.accepts(family: family, v6only: v6only) }
    }
    /// IPV6_V6ONLY (net.inet6.ip6.v6only when created): an AF_INET6 socket takes no IPv4.
    var v6only = true {
        didSet { accepts = Socket.accepts(family: family, v6only: v6only) }
    }
    /// Which families' datagrams the PCB lookups may give this socket (`PCBTable.v4`/`.v6` bits).
    private(set) var accepts = PCBTable.v4
    static func accepts(family: Int32, v6only: Bool) -> UInt8 {
        family == SocketConstants.AF_INET ? PCBTable.v4 : (v6only ? PCBTable.v6 : PCBTable.v4 | PCBTable.v6)
    }
    /// An AF_INET6 UDP or TCP socket.
    var isInet6: Bool { family == SocketConstants.AF_INET6 }
    @exclusivity(unchecked) var local6 = IPv6Address.any
    @exclusivity(unchecked) var foreign6 = IPv6Address.any
    var icmp6Filter: [UInt64]? = nil
    var hopLimit6: Int? = nil
    var multicastHops6: Int? = nil
    /// What `onSocketEvent` last reported, so only changes are reported.
    @exclusivity(unchecked) var reportedEvents: SocketEvents = .writable

    init(fd: Int32, proto: SocketProtocol, receiveLimit: Int, sendLimit: Int, inet6: Bool = false) {
        self.fd = fd
        self.proto = proto
        receive = DatagramBuffer(limit: receiveLimit, inet6: inet6)
        self.sendLimit = sendLimit
        if case .raw(let p) = proto { headerIncluded = p == 255 }  // IPPROTO_RAW implies IP_HDRINCL
    }

    /// The readiness sopoll would report.
    var events: SocketEvents {
        if case .tcp = proto { return streamEvents }
        var e: SocketEvents = []
        if receive.used >= receiveLowWater || cantReceiveMore || error != nil {
            e.insert(.readable)
        }
        if !cantSendMore || error != nil { e.insert(.writable) }
        if error != nil { e.insert(.error) }
        if cantSendMore && cantReceiveMore { e.insert(.hangUp) }
        return e
    }
}

/// The descriptor table: socket numbers are slots, the lowest free one reused (as fd numbers are).
struct SocketTable {
    var slots: [Socket?] = []
    /// Raw sockets, in creation order (rip_input walks them all, as NetBSD's rawcb list).
    var raw: [Socket] = []

    mutating func nextFree() -> Int32 {
        if let i = slots.firstIndex(where: { $0 == nil }) { return Int32(i) }
        slots.append(nil)
        return Int32(slots.count - 1)
    }
    @inline(__always)
    func get(_ fd: Int32) -> Socket? {
        fd >= 0 && Int(fd) < slots.count ? slots[Int(fd)] : nil
    }
    func deallocateAll() { for case let s? in slots { s.receive.deallocate() } }
}
