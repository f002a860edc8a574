// Descriptors and sockets. Only raw IPv4 sockets exist yet (UDP and TCP come later). The stack
// never blocks: a receive on an empty socket returns EWOULDBLOCK, and whether the caller then
// sleeps (blocking socket) or gets EAGAIN (non-blocking) is the event loop's decision, made on
// `isNonBlocking` and woken by `onSocketEvent` / `socketEvents(_:)`.

public enum SocketConstants {
    public static let AF_INET: Int32 = 2
    public static let SOCK_STREAM: Int32 = 1, SOCK_DGRAM: Int32 = 2, SOCK_RAW: Int32 = 3
    public static let IPPROTO_IP: Int32 = 0, IPPROTO_ICMP: Int32 = 1, IPPROTO_RAW: Int32 = 255
}

public struct SocketEvents: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let readable = SocketEvents(rawValue: 1)   // POLLIN
    public static let writable = SocketEvents(rawValue: 4)   // POLLOUT
    public static let error = SocketEvents(rawValue: 8)      // POLLERR
}

public enum SocketOption: Sendable, Equatable {
    case ttl(UInt8)             // IP_TTL
    case headerIncluded(Bool)   // IP_HDRINCL
    case receiveBuffer(Int)     // SO_RCVBUF
    case broadcast(Bool)        // SO_BROADCAST
    case nonBlocking(Bool)      // FIONBIO / O_NONBLOCK
}

final class RawSocket {
    let proto: UInt8
    var local: IPv4Address = .any
    var foreign: IPv4Address = .any
    var ttl: UInt8? = nil
    var headerIncluded: Bool
    var broadcast = false
    var nonBlocking = false
    var receiveBuffer = 65536  // bytes; ping -s 8000 replies fit several times
    @exclusivity(unchecked) var queuedBytes = 0  // confined to the stack's thread
    @exclusivity(unchecked) var queue = PacketRing(capacity: 64, slotBytes: 2048)
    var drops: UInt64 = 0
    init(proto: UInt8) {
        self.proto = proto
        headerIncluded = proto == 255  // IPPROTO_RAW implies IP_HDRINCL
    }
}

struct SocketTable {
    var slots: [RawSocket?] = []
    var rawCount = 0

    mutating func allocate(_ s: RawSocket) -> Int32 {
        if let i = slots.firstIndex(where: { $0 == nil }) { slots[i] = s; return Int32(i) }
        slots.append(s)
        return Int32(slots.count - 1)
    }
    func get(_ fd: Int32) -> RawSocket? {
        fd >= 0 && Int(fd) < slots.count ? slots[Int(fd)] : nil
    }
    func deallocateAll() { for case let s? in slots { s.queue.deallocate() } }
}
