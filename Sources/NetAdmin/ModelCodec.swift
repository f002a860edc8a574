// Wire forms of the models (see WireCodec.swift). Field order is the declaration order.

extension NetBSDErrno: WireCodable {
    public func encode(to w: inout WireWriter) { w.i32(rawValue) }
    public init(from r: inout WireReader) throws(WireDecodeError) { self.init(try r.i32()) }
}

extension InAddr: WireCodable {
    public func encode(to w: inout WireWriter) { w.u32(value) }
    public init(from r: inout WireReader) throws(WireDecodeError) { self.init(try r.u32()) }
}

extension SockAddr: WireCodable {
    public func encode(to w: inout WireWriter) {
        switch self {
        case .inet(let a):
            w.u8(AddressFamily.inet.rawValue)
            w.u32(a.value)
        case .inet6(let b, let scope):
            w.u8(AddressFamily.inet6.rawValue)
            w.raw(b)
            w.u32(scope)
        case .link(let index, let name, let address):
            w.u8(AddressFamily.link.rawValue)
            w.u32(index)
            w.string(name)
            w.raw(address)
        }
    }

    public init(from r: inout WireReader) throws(WireDecodeError) {
        let tag = try r.u8()
        switch tag {
        case AddressFamily.inet.rawValue:
            self = .inet(InAddr(try r.u32()))
        case AddressFamily.inet6.rawValue:
            let b = try r.raw()
            guard b.count == 16 else { throw .badValue(type: "sockaddr_in6") }
            self = .inet6(b, scopeID: try r.u32())
        case AddressFamily.link.rawValue:
            let index = try r.u32()
            let name = try r.string()
            let address = try r.raw()
            // sdl_nlen and sdl_alen are single bytes in NetBSD.
            guard name.utf8.count <= 255, address.count <= 255 else { throw .badValue(type: "sockaddr_dl") }
            self = .link(index: index, name: name, address: address)
        default:
            throw .badTag(type: "SockAddr", tag: tag)
        }
    }
}

extension InterfaceCounters: WireCodable {
    static var keyPaths: [WritableKeyPath<InterfaceCounters, UInt64>] { [
        \.ipackets, \.ierrors, \.opackets, \.oerrors, \.collisions, \.ibytes, \.obytes, \.imcasts,
        \.omcasts, \.iqdrops, \.oqdrops, \.noproto,
    ] }
    public func encode(to w: inout WireWriter) { for k in Self.keyPaths { w.u64(self[keyPath: k]) } }
    public init(from r: inout WireReader) throws(WireDecodeError) {
        self.init()
        for k in Self.keyPaths { self[keyPath: k] = try r.u64() }
    }
}

extension InterfaceAddressInfo: WireCodable {
    public func encode(to w: inout WireWriter) {
        w.value(address)
        w.value(netmask)
        w.optional(broadcast) { $0.value($1) }
        w.u32(flags)
    }

    public init(from r: inout WireReader) throws(WireDecodeError) {
        let address = try SockAddr(from: &r)
        let netmask = try SockAddr(from: &r)
        let broadcast = try r.optional { (r: inout WireReader) throws(WireDecodeError) in try SockAddr(from: &r) }
        self.init(address: address, netmask: netmask, broadcast: broadcast, flags: try r.u32())
    }
}

extension InterfaceInfo: WireCodable {
    public func encode(to w: inout WireWriter) {
        w.string(name)
        w.u32(index)
        w.u32(flags)
        w.u32(mtu)
        w.i32(metric)
        w.optional(linkAddress) { $0.raw($1) }
        w.optional(linkstr) { $0.string($1) }
        w.array(addresses) { $0.value($1) }
        w.value(counters)
    }

    public init(from r: inout WireReader) throws(WireDecodeError) {
        let name = try r.string()
        let index = try r.u32(), flags = try r.u32(), mtu = try r.u32(), metric = try r.i32()
        let lla = try r.optional { (r: inout WireReader) throws(WireDecodeError) in try r.raw() }
        let linkstr = try r.optional { (r: inout WireReader) throws(WireDecodeError) in try r.string() }
        // An address is at least two 5-byte sockaddrs, a presence byte and flags.
        let addrs = try r.array(minSize: 15) { (r: inout WireReader) throws(WireDecodeError) in try InterfaceAddressInfo(from: &r) }
        let counters = try InterfaceCounters(from: &r)
        self.init(name: name, index: index, flags: flags, mtu: mtu, metric: metric, linkAddress: lla,
                  linkstr: linkstr, addresses: addrs, counters: counters)
    }
}

extension RouteInfo: WireCodable {
    public func encode(to w: inout WireWriter) {
        w.value(destination)
        w.optional(netmask) { $0.value($1) }
        w.value(gateway)
        w.u32(flags)
        w.optional(refs) { $0.u64($1) }
        w.optional(use) { $0.u64($1) }
        w.u32(mtu)
        w.bool(mtuLocked)
        w.string(interface)
        w.i64(expire)
    }

    public init(from r: inout WireReader) throws(WireDecodeError) {
        let dst = try SockAddr(from: &r)
        let mask = try r.optional { (r: inout WireReader) throws(WireDecodeError) in try SockAddr(from: &r) }
        let gw = try SockAddr(from: &r)
        let flags = try r.u32()
        let refs = try r.optional { (r: inout WireReader) throws(WireDecodeError) in try r.u64() }
        let use = try r.optional { (r: inout WireReader) throws(WireDecodeError) in try r.u64() }
        let mtu = try r.u32()
        let locked = try r.bool()
        let ifname = try r.string()
        self.init(destination: dst, netmask: mask, gateway: gw, flags: flags, refs: refs, use: use,
                  mtu: mtu, mtuLocked: locked, interface: ifname, expire: try r.i64())
    }
}

extension RouteMetrics: WireCodable {
    public func encode(to w: inout WireWriter) {
        for v in [recvpipe, sendpipe, ssthresh, rtt, rttvar, hopcount, mtu, expire] { w.i64(v) }
        w.u32(locks)
    }

    public init(from r: inout WireReader) throws(WireDecodeError) {
        self.init(recvpipe: try r.i64(), sendpipe: try r.i64(), ssthresh: try r.i64(), rtt: try r.i64(),
                  rttvar: try r.i64(), hopcount: try r.i64(), mtu: try r.i64(), expire: try r.i64(), locks: try r.u32())
    }
}

extension RouteGetReply: WireCodable {
    public func encode(to w: inout WireWriter) {
        w.value(routeTo)
        w.value(destination)
        w.optional(netmask) { $0.value($1) }
        w.optional(gateway) { $0.value($1) }
        w.optional(localAddress) { $0.value($1) }
        w.optional(interface) { $0.string($1) }
        w.u32(flags)
        w.value(metrics)
    }

    public init(from r: inout WireReader) throws(WireDecodeError) {
        func sa(_ r: inout WireReader) throws(WireDecodeError) -> SockAddr { try SockAddr(from: &r) }
        let to = try sa(&r), dst = try sa(&r)
        let mask = try r.optional(sa), gw = try r.optional(sa), ifa = try r.optional(sa)
        let ifname = try r.optional { (r: inout WireReader) throws(WireDecodeError) in try r.string() }
        let flags = try r.u32()
        self.init(routeTo: to, destination: dst, netmask: mask, gateway: gw, localAddress: ifa,
                  interface: ifname, flags: flags, metrics: try RouteMetrics(from: &r))
    }
}

extension ArpInfo: WireCodable {
    public func encode(to w: inout WireWriter) {
        w.u32(address.value)
        w.optional(linkAddress) { $0.raw($1) }
        w.string(interface)
        w.optional(expire) { $0.i64($1) }
        w.bool(published)
    }

    public init(from r: inout WireReader) throws(WireDecodeError) {
        let a = InAddr(try r.u32())
        let lla = try r.optional { (r: inout WireReader) throws(WireDecodeError) in try r.raw() }
        let ifname = try r.string()
        let expire = try r.optional { (r: inout WireReader) throws(WireDecodeError) in try r.i64() }
        self.init(address: a, linkAddress: lla, interface: ifname, expire: expire, published: try r.bool())
    }
}

extension SysctlValue: WireCodable {
    public func encode(to w: inout WireWriter) {
        switch self {
        case .int(let v): w.u8(1); w.i32(v)
        case .quad(let v): w.u8(2); w.i64(v)
        case .string(let s): w.u8(3); w.string(s)
        case .opaque(let b): w.u8(4); w.raw(b)
        case .node: w.u8(5)
        }
    }

    public init(from r: inout WireReader) throws(WireDecodeError) {
        let tag = try r.u8()
        switch tag {
        case 1: self = .int(try r.i32())
        case 2: self = .quad(try r.i64())
        case 3: self = .string(try r.string())
        case 4: self = .opaque(try r.raw())
        case 5: self = .node
        default: throw .badTag(type: "SysctlValue", tag: tag)
        }
    }
}

extension SysctlEntry: WireCodable {
    public func encode(to w: inout WireWriter) {
        w.string(name)
        w.value(value)
        w.bool(writable)
    }

    public init(from r: inout WireReader) throws(WireDecodeError) {
        let name = try r.string()
        let value = try SysctlValue(from: &r)
        self.init(name: name, value: value, writable: try r.bool())
    }
}

/// Counter structs: a count then the counters, so an older reader can tell a newer, longer
/// encoding from garbage (it rejects the count instead of misreading).
private func encodeCounters<T>(_ v: T, _ keys: [WritableKeyPath<T, UInt64>], _ w: inout WireWriter) {
    w.u32(UInt32(keys.count))
    for k in keys { w.u64(v[keyPath: k]) }
}

private func decodeCounters<T>(_ v: inout T, _ keys: [WritableKeyPath<T, UInt64>], _ r: inout WireReader, _ name: String) throws(WireDecodeError) {
    guard try r.u32() == UInt32(keys.count) else { throw .badValue(type: name) }
    for k in keys { v[keyPath: k] = try r.u64() }
}

extension IPStatistics: WireCodable {
    public func encode(to w: inout WireWriter) { encodeCounters(self, Self.keyPaths, &w) }
    public init(from r: inout WireReader) throws(WireDecodeError) {
        self.init()
        try decodeCounters(&self, Self.keyPaths, &r, "IPStatistics")
    }
}

extension ICMPStatistics: WireCodable {
    public func encode(to w: inout WireWriter) {
        encodeCounters(self, Self.keyPaths, &w)
        w.array(outhist) { $0.u64($1) }
        w.array(inhist) { $0.u64($1) }
    }

    public init(from r: inout WireReader) throws(WireDecodeError) {
        self.init()
        try decodeCounters(&self, Self.keyPaths, &r, "ICMPStatistics")
        let u64: (inout WireReader) throws(WireDecodeError) -> UInt64 = { (r: inout WireReader) throws(WireDecodeError) in try r.u64() }
        outhist = try r.array(minSize: 8, u64)
        inhist = try r.array(minSize: 8, u64)
        guard outhist.count == Self.maxType + 1, inhist.count == Self.maxType + 1 else { throw .badValue(type: "ICMPStatistics") }
    }
}

extension ARPStatistics: WireCodable {
    public func encode(to w: inout WireWriter) { encodeCounters(self, Self.keyPaths, &w) }
    public init(from r: inout WireReader) throws(WireDecodeError) {
        self.init()
        try decodeCounters(&self, Self.keyPaths, &r, "ARPStatistics")
    }
}

extension RouteStatistics: WireCodable {
    public func encode(to w: inout WireWriter) { encodeCounters(self, Self.keyPaths, &w) }
    public init(from r: inout WireReader) throws(WireDecodeError) {
        self.init()
        try decodeCounters(&self, Self.keyPaths, &r, "RouteStatistics")
    }
}
