// The values of the socket API: NetBSD's numbers (sys/socket.h, netinet/in.h, netinet6/in6.h) so
// the kernel glue passes a client's level/name/flags through unchanged, and one small endpoint
// value (address of either family and port) that the PCB tables key on; the kernel edge converts
// it to and from NetBSDModels' SocketAddress.

public enum SocketConstants {
    public static let AF_UNSPEC: Int32 = 0, AF_INET: Int32 = 2, AF_INET6: Int32 = 24
    public static let IPPROTO_ICMPV6: Int32 = 58, IPPROTO_IPV6: Int32 = 41
    public static let SOCK_STREAM: Int32 = 1, SOCK_DGRAM: Int32 = 2, SOCK_RAW: Int32 = 3
    public static let IPPROTO_IP: Int32 = 0, IPPROTO_ICMP: Int32 = 1, IPPROTO_TCP: Int32 = 6
    public static let IPPROTO_UDP: Int32 = 17, IPPROTO_RAW: Int32 = 255
    public static let SOL_SOCKET: Int32 = 0xFFFF
    /// shutdown(2)'s `how`.
    public static let SHUT_RD: Int32 = 0, SHUT_WR: Int32 = 1, SHUT_RDWR: Int32 = 2
}

/// A transport endpoint of either family (the address and port of a sockaddr_in or sockaddr_in6),
/// stored as KAME's in6pcb and Linux store it: one IPv6 address, an IPv4 one as its v4-mapped form
/// (::ffff:a.b.c.d), the wildcard of both families as ::. A scoped IPv6 address (fe80::/10,
/// ff01::/16, ff02::/16) carries its zone embedded in the second 16-bit word (KAME's in-kernel
/// form, as the IPv6 layer keeps it), so two zones' fe80::1 are different endpoints. IPv4
/// lookups compare the same two words they always did plus one more; `address` is the IPv4 view.
public struct SocketEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// The address as IPv6 (v4-mapped for IPv4, zone embedded for scoped addresses).
    public var ip: IPv6Address
    public var port: UInt16

    public init(_ address: IPv4Address, _ port: UInt16) {
        ip = SocketEndpoint.mapped(address)
        self.port = port
    }
    /// An IPv6 endpoint; `scopeID` (sin6_scope_id) is embedded for a scoped address.
    public init(_ address: IPv6Address, _ port: UInt16, scopeID: UInt32 = 0) {
        ip = address.needsScope && scopeID != 0 ? address.withoutEmbeddedScope.embeddingScope(UInt16(truncatingIfNeeded: scopeID)) : address
        self.port = port
    }
    /// An endpoint from the in-kernel (zone-embedded) form.
    init(embedded ip: IPv6Address, _ port: UInt16) { self.ip = ip; self.port = port }

    public static let any = SocketEndpoint(embedded: .any, 0)

    @inline(__always)
    static func mapped(_ a: IPv4Address) -> IPv6Address {
        a.isAny ? .any : IPv6Address(high: 0, low: 0xffff_0000_0000 | UInt64(a.value))
    }

    /// The IPv4 address (of an IPv4 or v4-mapped endpoint; the wildcard for ::).
    public var address: IPv4Address {
        @inline(__always) get { IPv4Address(UInt32(truncatingIfNeeded: ip.low)) }
        @inline(__always) set { ip = SocketEndpoint.mapped(newValue) }
    }
    /// The wildcard address (INADDR_ANY or in6addr_any).
    public var isAny: Bool { @inline(__always) get { ip.high == 0 && ip.low == 0 } }
    /// An IPv4 (v4-mapped) endpoint or the wildcard.
    public var isIPv4: Bool { ip.high == 0 && (ip.low == 0 || ip.low >> 32 == 0xffff) }
    /// Same address (ports aside). Written out on the two words so the lookups stay inline.
    @inline(__always)
    func sameAddress(_ o: SocketEndpoint) -> Bool { ip.low == o.ip.low && ip.high == o.ip.high }

    @inline(__always)
    public static func == (a: SocketEndpoint, b: SocketEndpoint) -> Bool {
        a.port == b.port && a.ip.low == b.ip.low && a.ip.high == b.ip.high
    }
    @inline(__always)
    public func hash(into h: inout Hasher) {
        h.combine(ip.high)
        h.combine(ip.low)
        h.combine(port)
    }
    /// The IPv6 address without its zone, and the zone (sin6_addr, sin6_scope_id).
    public var address6: IPv6Address { ip.withoutEmbeddedScope }
    public var scopeID: UInt32 { UInt32(ip.embeddedScope) }

    /// netstat's form: "10.0.0.1.53", "*.*"; IPv6 as netstat -f inet6 prints it ("fe80::1%2.22"
    /// with the zone as a number here; the kernel edge names it).
    public var description: String {
        if isIPv4 { return (isAny ? "*" : address.description) + "." + (port == 0 && isAny ? "*" : String(port)) }
        let z = scopeID
        return address6.description + (z != 0 ? "%\(z)" : "") + "." + (port == 0 ? "*" : String(port))
    }
}

/// The protocol behind a socket (NetBSD's protosw): each has its own user requests
/// (`pr_usrreqs`: bind, connect, send, ...) and lookup. TCP joins with the next issue.
public enum SocketProtocol: Sendable, Equatable {
    /// SOCK_RAW with this IP protocol number (0: every protocol).
    case raw(UInt8)
    /// SOCK_DGRAM, IPPROTO_UDP.
    case udp
    /// SOCK_STREAM, IPPROTO_TCP.
    case tcp

    /// SO_TYPE.
    public var socketType: Int32 {
        switch self {
        case .raw: SocketConstants.SOCK_RAW
        case .udp: SocketConstants.SOCK_DGRAM
        case .tcp: SocketConstants.SOCK_STREAM
        }
    }
    /// The IP protocol number (netstat's Proto column).
    public var ipProtocol: UInt8 {
        switch self {
        case .raw(let p): p
        case .udp: IPProtocol.udp
        case .tcp: IPProtocol.tcp
        }
    }
}

/// SO_LINGER's level and number (its value is a struct linger, not an int).
public enum SocketLinger {
    public static let level = SocketConstants.SOL_SOCKET, name: Int32 = 0x0080
}

/// poll(2) readiness of one socket, as `socketEvents(_:)` reports it and `onSocketEvent` passes it.
public struct SocketEvents: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// POLLIN: a receive would not block (data at or above SO_RCVLOWAT, an error, or SHUT_RD).
    public static let readable = SocketEvents(rawValue: 1)
    /// POLLOUT: a send would not block (datagram sockets: always, unless shut down for writing).
    public static let writable = SocketEvents(rawValue: 4)
    /// POLLERR: so_error is set (the next call returns it).
    public static let error = SocketEvents(rawValue: 8)
    /// POLLHUP: shut down in both directions.
    public static let hangUp = SocketEvents(rawValue: 0x10)
    /// Not a poll bit: a stream's FIN was sent and acknowledged (a lingering close may return).
    public static let sendDone = SocketEvents(rawValue: 0x1000)
}

/// recv/send flags (NetBSD's MSG_* values).
public struct MessageFlags: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// MSG_PEEK: return the next datagram without taking it off the queue.
    public static let peek = MessageFlags(rawValue: 0x2)
    /// MSG_DONTROUTE: accepted, no effect (there is no routing to bypass for local links).
    public static let dontRoute = MessageFlags(rawValue: 0x4)
    /// MSG_TRUNC: on receive, report the datagram's full length even when it was cut.
    public static let truncate = MessageFlags(rawValue: 0x10)
    /// MSG_OOB: urgent data (TCP keeps it inline; a MSG_OOB receive is EINVAL, as with SO_OOBINLINE).
    public static let outOfBand = MessageFlags(rawValue: 0x1)
    /// MSG_WAITALL: the kernel's concern (it waits for the whole length); accepted here.
    public static let waitAll = MessageFlags(rawValue: 0x40)
    /// MSG_NOSIGNAL: no SIGPIPE (there are no signals here); accepted.
    public static let noSignal = MessageFlags(rawValue: 0x400)
    /// MSG_DONTWAIT: the kernel's concern (the stack never blocks); accepted here.
    public static let dontWait = MessageFlags(rawValue: 0x80)
}

/// What one receive returned.
public struct ReceivedDatagram: Sendable, Equatable {
    /// Bytes copied into the caller's buffer.
    public var copied: Int
    /// The datagram's full length (raw sockets: IP header included).
    public var length: Int
    /// The sender.
    public var from: SocketEndpoint
    /// The datagram was longer than the buffer (msg_flags MSG_TRUNC).
    public var truncated: Bool { length > copied }
    /// recv(2)'s return value: the full length with MSG_TRUNC, else what was copied.
    public func returnValue(flags: MessageFlags) -> Int { flags.contains(.truncate) ? length : copied }
    /// A read at end of file after SHUT_RD on an empty queue.
    public static let endOfFile = ReceivedDatagram(copied: 0, length: 0, from: .any)
}

/// A socket option with its value, for `setOption(_:_:)`.
public enum SocketOption: Sendable, Equatable {
    case ttl(UInt8)             // IP_TTL
    case headerIncluded(Bool)   // IP_HDRINCL (raw sockets)
    case receiveBuffer(Int)     // SO_RCVBUF
    case broadcast(Bool)        // SO_BROADCAST
    case nonBlocking(Bool)      // FIONBIO / O_NONBLOCK (kept for the kernel; the stack never blocks)
    case reuseAddress(Bool)     // SO_REUSEADDR
    case reusePort(Bool)        // SO_REUSEPORT
    case sendBuffer(Int)        // SO_SNDBUF
    case receiveLowWater(Int)   // SO_RCVLOWAT
    case typeOfService(UInt8)   // IP_TOS
    case noDelay(Bool)          // TCP_NODELAY
    case maxSegment(Int)        // TCP_MAXSEG
    case keepAlive(Bool)        // SO_KEEPALIVE
    case linger(Int?)           // SO_LINGER: nil off, else l_linger seconds
    case sendLowWater(Int)      // SO_SNDLOWAT
}

/// The options `getOption` and `setOption(_:name:value:)` know, with NetBSD's level and number.
public enum SocketOptionName: Sendable, Hashable, CaseIterable {
    case reuseAddress, broadcast, reusePort, sendBuffer, receiveBuffer, receiveLowWater, error, type
    case ttl, typeOfService, headerIncluded
    case keepAlive, acceptConnections, sendLowWater, noDelay, maxSegment
    case v6only, unicastHops6, multicastHops6

    /// (level, optname) as in NetBSD's headers.
    public var levelAndNumber: (level: Int32, name: Int32) {
        switch self {
        case .reuseAddress: (SocketConstants.SOL_SOCKET, 0x0004)     // SO_REUSEADDR
        case .broadcast: (SocketConstants.SOL_SOCKET, 0x0020)        // SO_BROADCAST
        case .reusePort: (SocketConstants.SOL_SOCKET, 0x0200)        // SO_REUSEPORT
        case .sendBuffer: (SocketConstants.SOL_SOCKET, 0x1001)       // SO_SNDBUF
        case .receiveBuffer: (SocketConstants.SOL_SOCKET, 0x1002)    // SO_RCVBUF
        case .receiveLowWater: (SocketConstants.SOL_SOCKET, 0x1004)  // SO_RCVLOWAT
        case .error: (SocketConstants.SOL_SOCKET, 0x1007)            // SO_ERROR (read-only, reading clears)
        case .type: (SocketConstants.SOL_SOCKET, 0x1008)             // SO_TYPE (read-only)
        case .acceptConnections: (SocketConstants.SOL_SOCKET, 0x0002) // SO_ACCEPTCONN (read-only)
        case .keepAlive: (SocketConstants.SOL_SOCKET, 0x0008)        // SO_KEEPALIVE
        case .sendLowWater: (SocketConstants.SOL_SOCKET, 0x1003)     // SO_SNDLOWAT
        case .noDelay: (SocketConstants.IPPROTO_TCP, 1)              // TCP_NODELAY
        case .maxSegment: (SocketConstants.IPPROTO_TCP, 2)           // TCP_MAXSEG
        case .headerIncluded: (SocketConstants.IPPROTO_IP, 2)        // IP_HDRINCL
        case .typeOfService: (SocketConstants.IPPROTO_IP, 3)         // IP_TOS
        case .ttl: (SocketConstants.IPPROTO_IP, 4)                   // IP_TTL
        case .unicastHops6: (SocketConstants.IPPROTO_IPV6, 4)        // IPV6_UNICAST_HOPS
        case .multicastHops6: (SocketConstants.IPPROTO_IPV6, 10)     // IPV6_MULTICAST_HOPS
        case .v6only: (SocketConstants.IPPROTO_IPV6, 27)             // IPV6_V6ONLY
        }
    }

    /// The option a client's (level, optname) names; nil (ENOPROTOOPT) for others.
    public init?(level: Int32, name: Int32) {
        guard let o = SocketOptionName.allCases.first(where: { $0.levelAndNumber == (level, name) }) else { return nil }
        self = o
    }
}
