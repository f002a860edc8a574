// struct socket with its inpcb folded in: the state every protocol shares (NetBSD's so_* fields:
// options, so_error, shutdown state, the buffers' limits) and the addresses the protocol's
// lookup uses. The protocol's own behaviour lives in its files (RawSockets, UDP/).

final class Socket {
    let fd: Int32
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
    /// What `onSocketEvent` last reported, so only changes are reported.
    @exclusivity(unchecked) var reportedEvents: SocketEvents = .writable

    init(fd: Int32, proto: SocketProtocol, receiveLimit: Int, sendLimit: Int) {
        self.fd = fd
        self.proto = proto
        receive = DatagramBuffer(limit: receiveLimit)
        self.sendLimit = sendLimit
        if case .raw(let p) = proto { headerIncluded = p == 255 }  // IPPROTO_RAW implies IP_HDRINCL
    }

    /// The readiness sopoll would report.
    var events: SocketEvents {
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
