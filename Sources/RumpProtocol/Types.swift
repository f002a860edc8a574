/// Values carried by requests and replies. Numbers follow NetBSD (AF_INET = 2, AF_INET6 = 24,
/// SOCK_STREAM = 1, ...), so programs written against NetBSD's headers map one to one.
public enum NetBSD {
    public static let AF_UNSPEC: UInt8 = 0
    public static let AF_LOCAL: UInt8 = 1
    public static let AF_INET: UInt8 = 2
    public static let AF_LINK: UInt8 = 18
    public static let AF_INET6: UInt8 = 24
    public static let AF_ROUTE: UInt8 = 34

    public static let SOCK_STREAM: Int32 = 1
    public static let SOCK_DGRAM: Int32 = 2
    public static let SOCK_RAW: Int32 = 3

    public static let SOL_SOCKET: Int32 = 0xffff
    public static let SO_ERROR: Int32 = 0x1007
    public static let SO_RCVTIMEO: Int32 = 0x100c

    public static let POLLIN: Int16 = 0x0001
    public static let POLLPRI: Int16 = 0x0002
    public static let POLLOUT: Int16 = 0x0004
    public static let POLLERR: Int16 = 0x0008
    public static let POLLHUP: Int16 = 0x0010
    public static let POLLNVAL: Int16 = 0x0020

    public static let MSG_OOB: Int32 = 0x1
    public static let MSG_PEEK: Int32 = 0x2
    public static let MSG_DONTROUTE: Int32 = 0x4
    public static let MSG_EOR: Int32 = 0x8
    public static let MSG_TRUNC: Int32 = 0x10
    public static let MSG_CTRUNC: Int32 = 0x20
    public static let MSG_WAITALL: Int32 = 0x40
    public static let MSG_DONTWAIT: Int32 = 0x80

    // fcntl(2) (sys/fcntl.h)
    public static let F_GETFD: Int32 = 1
    public static let F_SETFD: Int32 = 2
    public static let F_GETFL: Int32 = 3
    public static let F_SETFL: Int32 = 4
    public static let FD_CLOEXEC: Int32 = 1
    public static let O_RDWR: Int32 = 0x2
    public static let O_NONBLOCK: Int32 = 0x4
    public static let O_APPEND: Int32 = 0x8
    public static let O_ASYNC: Int32 = 0x40
    /// What F_SETFL may change (NetBSD's FCNTLFLAGS, the socket-relevant part).
    public static let fcntlSettableFlags: Int32 = O_APPEND | O_NONBLOCK | O_ASYNC
}

// The wire form of NetBSDModels' SocketAddress (docs/PROTOCOL.md: SockAddr): u8 family,
// u16 port, data address, u32 scope id. AF_INET: 4 bytes; AF_INET6: 16 bytes, or 20 with a
// non-zero flow label (the address, then u32 flowinfo); AF_LINK: the interface index as the
// scope id, the name as the bytes, then (only when there is a type or link address) a 0 byte,
// the type and the link-level address; AF_UNSPEC: none. Other families, wrong lengths and
// names that are not UTF-8 are refused.
extension SocketAddress {
    func encode(_ w: inout WireWriter) {
        switch self {
        case .unspec:
            w.u8(NetBSD.AF_UNSPEC); w.u16(0); w.u32(0); w.u32(0)
        case .inet(let a, let port):
            w.u8(NetBSD.AF_INET); w.u16(port); w.u32(4)
            w.u8(UInt8(a.value >> 24)); w.u8(UInt8(a.value >> 16 & 0xff)); w.u8(UInt8(a.value >> 8 & 0xff)); w.u8(UInt8(a.value & 0xff))
            w.u32(0)
        case .inet6(let a, let port, let flowInfo, let scopeID):
            w.u8(NetBSD.AF_INET6); w.u16(port); w.u32(flowInfo == 0 ? 16 : 20)
            w.raw(a.bytes)
            if flowInfo != 0 { w.u32(flowInfo) }
            w.u32(scopeID)
        case .link(let index, let name, let type, let address):
            w.u8(NetBSD.AF_LINK); w.u16(0)
            let n = Array(name.utf8)
            if type == 0 && address.isEmpty {
                w.data(n)
            } else {
                w.data(n + [0, type] + address)
            }
            w.u32(index)
        }
    }

    static func decode(_ r: inout WireReader) throws(ProtocolError) -> SocketAddress {
        let f = try r.u8(), p = try r.u16(), a = try r.dataSlice(), s = try r.u32()
        guard a.count <= 64 else { throw .invalidValue("address of \(a.count) bytes") }
        switch f {
        case NetBSD.AF_UNSPEC:
            guard a.isEmpty else { throw .invalidValue("address of \(a.count) bytes for family \(f)") }
            return .unspec
        case NetBSD.AF_INET:
            guard let v4 = IPv4Address(bytes: a) else { throw .invalidValue("address of \(a.count) bytes for family \(f)") }
            return .inet(v4, port: p)
        case NetBSD.AF_INET6:
            let b = a.startIndex
            guard a.count == 16 || a.count == 20, let v6 = IPv6Address(bytes: a[b..<b + 16]) else {
                throw .invalidValue("address of \(a.count) bytes for family \(f)")
            }
            let flow = a.count == 20 ? UInt32(a[b + 16]) | UInt32(a[b + 17]) << 8 | UInt32(a[b + 18]) << 16 | UInt32(a[b + 19]) << 24 : 0
            return .inet6(v6, port: p, flowInfo: flow, scopeID: s)
        case NetBSD.AF_LINK:
            let nameEnd = a.firstIndex(of: 0) ?? a.endIndex
            guard let name = String(validating: a[..<nameEnd], as: UTF8.self) else { throw .invalidValue("interface name not UTF-8") }
            guard nameEnd < a.endIndex else { return .link(index: s, name: name) }
            guard nameEnd + 1 < a.endIndex else { throw .invalidValue("AF_LINK address without its type") }
            return .link(index: s, name: name, type: a[nameEnd + 1], address: Array(a[(nameEnd + 2)...]))
        default:
            throw .invalidValue("address family \(f)")
        }
    }
}

// The wire form of NetBSDModels' InterfaceAddress (docs/PROTOCOL.md: InterfaceAddress).
extension InterfaceAddress {
    func encode(_ w: inout WireWriter) {
        address.encode(&w); netmask.encode(&w)
        if let broadcast { w.bool(true); broadcast.encode(&w) } else { w.bool(false) }
        w.u32(flags)
    }
    static func decode(_ r: inout WireReader) throws(ProtocolError) -> InterfaceAddress {
        let a = try SocketAddress.decode(&r), m = try SocketAddress.decode(&r)
        let b: SocketAddress? = try r.bool() ? try SocketAddress.decode(&r) : nil
        return InterfaceAddress(address: a, netmask: m, broadcast: b, flags: try r.u32())
    }
}

// The wire form of the shared counters: the eight if_data fields netstat -i needs (docs/PROTOCOL.md);
// the others decode as 0.
extension InterfaceCounters {
    func encode(_ w: inout WireWriter) {
        for v in [ipackets, ibytes, ierrors, iqdrops, opackets, obytes, oerrors, collisions] { w.u64(v) }
    }
    static func decode(_ r: inout WireReader) throws(ProtocolError) -> InterfaceCounters {
        var s = InterfaceCounters()
        s.ipackets = try r.u64(); s.ibytes = try r.u64(); s.ierrors = try r.u64(); s.iqdrops = try r.u64()
        s.opackets = try r.u64(); s.obytes = try r.u64(); s.oerrors = try r.u64(); s.collisions = try r.u64()
        return s
    }
}

/// What `ifconfig -a` / `netstat -i` need about one interface.
public struct InterfaceInfo: Hashable, Sendable {
    public var name: String
    public var index: UInt32
    public var flags: UInt32
    public var mtu: UInt32
    public var linkAddress: [UInt8]
    public var linkstr: String?
    public var addresses: [InterfaceAddress]
    public var stats: InterfaceCounters
    public init(name: String, index: UInt32, flags: UInt32, mtu: UInt32, linkAddress: [UInt8] = [],
                linkstr: String? = nil, addresses: [InterfaceAddress] = [], stats: InterfaceCounters = InterfaceCounters()) {
        self.name = name; self.index = index; self.flags = flags; self.mtu = mtu
        self.linkAddress = linkAddress; self.linkstr = linkstr; self.addresses = addresses; self.stats = stats
    }
    func encode(_ w: inout WireWriter) {
        w.string(name); w.u32(index); w.u32(flags); w.u32(mtu); w.data(linkAddress); w.optionalString(linkstr)
        w.array(addresses) { w, a in a.encode(&w) }
        stats.encode(&w)
    }
    static func decode(_ r: inout WireReader) throws(ProtocolError) -> InterfaceInfo {
        InterfaceInfo(name: try r.string(), index: try r.u32(), flags: try r.u32(), mtu: try r.u32(),
                      linkAddress: try r.data(), linkstr: try r.optionalString(),
                      addresses: try r.array(minimumElementSize: 20) { (r: inout WireReader) throws(ProtocolError) in try InterfaceAddress.decode(&r) },
                      stats: try InterfaceCounters.decode(&r))
    }
}

/// A routing table entry (route show / netstat -rn / route get).
public struct RouteEntry: Hashable, Sendable {
    public var destination: SocketAddress
    /// nil for a host route.
    public var netmask: SocketAddress?
    /// An IP gateway, or an AF_LINK address naming the interface for direct routes.
    public var gateway: SocketAddress
    /// NetBSD RTF_* bits (RTF_UP 0x1, RTF_GATEWAY 0x2, RTF_HOST 0x4, RTF_STATIC 0x800, ...).
    public var flags: UInt32
    public var interface: String
    public var refs: UInt32, use: UInt64, mtu: UInt32
    /// Seconds until expiry, 0 = none.
    public var expire: Int64
    /// The address of ours packets on this route leave from (route get's "local addr").
    public var localAddress: SocketAddress?
    /// The interface packets to the destination leave by (route get's "interface"), where it
    /// differs from `interface` (the entry's own, lo0 for local addresses).
    public var outputInterface: String?
    public init(destination: SocketAddress, netmask: SocketAddress?, gateway: SocketAddress, flags: UInt32, interface: String,
                refs: UInt32 = 0, use: UInt64 = 0, mtu: UInt32 = 0, expire: Int64 = 0,
                localAddress: SocketAddress? = nil, outputInterface: String? = nil) {
        self.destination = destination; self.netmask = netmask; self.gateway = gateway; self.flags = flags
        self.interface = interface; self.refs = refs; self.use = use; self.mtu = mtu; self.expire = expire
        self.localAddress = localAddress; self.outputInterface = outputInterface
    }
    func encode(_ w: inout WireWriter) {
        destination.encode(&w)
        if let netmask { w.bool(true); netmask.encode(&w) } else { w.bool(false) }
        gateway.encode(&w); w.u32(flags); w.string(interface); w.u32(refs); w.u64(use); w.u32(mtu); w.i64(expire)
        if let localAddress { w.bool(true); localAddress.encode(&w) } else { w.bool(false) }
        w.optionalString(outputInterface)
    }
    static func decode(_ r: inout WireReader) throws(ProtocolError) -> RouteEntry {
        let d = try SocketAddress.decode(&r)
        let m: SocketAddress? = try r.bool() ? try SocketAddress.decode(&r) : nil
        var e = RouteEntry(destination: d, netmask: m, gateway: try SocketAddress.decode(&r), flags: try r.u32(),
                           interface: try r.string(), refs: try r.u32(), use: try r.u64(), mtu: try r.u32(), expire: try r.i64())
        e.localAddress = try r.bool() ? try SocketAddress.decode(&r) : nil
        e.outputInterface = try r.optionalString()
        return e
    }
}

// The wire form of NetBSDModels' ARP entry (docs/PROTOCOL.md: ArpEntry): the address as an
// AF_INET SockAddr, an empty link address for incomplete entries, permanent as "no expiry".
extension ArpInfo {
    func encode(_ w: inout WireWriter) {
        SocketAddress.inet(address).encode(&w)
        w.data(linkAddress ?? []); w.string(interface); w.bool(isPermanent); w.bool(published); w.i64(expire ?? 0)
    }
    static func decode(_ r: inout WireReader) throws(ProtocolError) -> ArpInfo {
        let sa = try SocketAddress.decode(&r)
        guard case .inet(let a, _) = sa else { throw .invalidValue("ARP entry for family \(sa.family.rawValue)") }
        let link = try r.data(), interface = try r.string(), permanent = try r.bool(), published = try r.bool(), expire = try r.i64()
        return ArpInfo(address: a,
                       linkAddress: link.isEmpty ? nil : link, interface: interface,
                       expire: permanent ? nil : expire, published: published)
    }
}

// The wire forms of NetBSDModels' sysctl values (docs/PROTOCOL.md: SysctlEntry, SysctlValue).
extension SysctlValue {
    func encode(_ w: inout WireWriter) {
        switch self {
        case .int(let v): w.u8(1); w.i32(v)
        case .quad(let v): w.u8(2); w.i64(v)
        case .bool(let v): w.u8(3); w.bool(v)
        case .string(let v): w.u8(4); w.string(v)
        case .structure(let v): w.u8(5); w.string(v)
        }
    }
    static func decode(_ r: inout WireReader) throws(ProtocolError) -> SysctlValue {
        switch try r.u8() {
        case 1: return .int(try r.i32())
        case 2: return .quad(try r.i64())
        case 3: return .bool(try r.bool())
        case 4: return .string(try r.string())
        case 5: return .structure(try r.string())
        case let t: throw .invalidValue("sysctl value type \(t)")
        }
    }
}

extension SysctlEntry {
    func encode(_ w: inout WireWriter) { w.string(name); value.encode(&w); w.bool(writable); w.optionalString(description) }
    static func decode(_ r: inout WireReader) throws(ProtocolError) -> SysctlEntry {
        SysctlEntry(name: try r.string(), value: try SysctlValue.decode(&r), writable: try r.bool(), description: try r.optionalString())
    }
}

public struct PollItem: Hashable, Sendable {
    public var fd: Int32
    public var events: Int16
    public var revents: Int16
    public init(fd: Int32, events: Int16, revents: Int16 = 0) { self.fd = fd; self.events = events; self.revents = revents }
}

extension InterfaceAddress { static let minimumSize = 20 }

/// One protocol counter, named as NetBSD's netstat knows it: "ip.total", "icmp.inhist.8",
/// "arp.rcvrequest", "rt.unreach". Names keep the protocol open to new counters without a
/// version change; a client ignores names it does not know.
public struct StatCounter: Hashable, Sendable {
    public var name: String
    public var value: UInt64
    public init(name: String, value: UInt64) { self.name = name; self.value = value }
}

// The wire form of NetBSDModels' SocketEntry (docs/PROTOCOL.md: SocketEntry).
extension SocketEntry {
    /// Two strings (4 bytes each), two addresses (11 each), two u32.
    static let minimumSize = 4 + 11 + 11 + 4 + 4 + 4
    func encode(_ w: inout WireWriter) {
        w.string(proto); local.encode(&w); foreign.encode(&w); w.u32(receiveQueue); w.u32(sendQueue); w.string(state)
    }
    static func decode(_ r: inout WireReader) throws(ProtocolError) -> SocketEntry {
        SocketEntry(proto: try r.string(), local: try SocketAddress.decode(&r), foreign: try SocketAddress.decode(&r),
                    receiveQueue: try r.u32(), sendQueue: try r.u32(), state: try r.string())
    }
}
