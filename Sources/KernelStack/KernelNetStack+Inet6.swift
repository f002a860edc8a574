// The IPv6 side of the kernel's NetworkStack (rumpnet_netinet6) over RumpNet's IPv6 admin API:
// inet6 interface addresses, the Internet6 routing table, Neighbor Discovery (ndp), raw
// ICMPv6 sockets (ping6) and the ip6/icmp6 counters. Protocol values carry addresses without
// a KAME embedded scope and the interface index as scope id, as RumpNet's API does.
import NetBSDModels
import RumpKernel
import RumpNet
import RumpProtocol

extension KernelNetStack {
    static func ipv6(_ a: SocketAddress) throws(KernelError) -> IPv6Address {
        guard case .inet6(let v, _, _, _) = a else { throw KernelError(.EAFNOSUPPORT) }
        return v
    }

    /// A sockaddr_in6's scope id (the interface index of a scoped address); 0 otherwise.
    static func scope(_ a: SocketAddress) -> UInt32 {
        if case .inet6(_, _, _, let s) = a { return s }
        return 0
    }

    static func sockaddr6(_ a: IPv6Address, scope: UInt32 = 0, port: UInt16 = 0) -> SocketAddress {
        .inet6(a, port: port, scopeID: a.needsScope ? scope : 0)
    }

    static func prefixLength6(_ m: SocketAddress?) throws(KernelError) -> Int {
        guard let m else { return 128 }
        guard let p = try ipv6(m).prefixLength else { throw KernelError(.EINVAL) }
        return p
    }

    // MARK: addresses

    /// The inet6 entries of `ifconfig` for one interface, in NetBSD's order.
    func inet6Addresses(_ name: String) -> [RumpProtocol.InterfaceAddress] {
        guard components.contains(.rumpnet_netinet6), let l = try? stack.addresses6(name: name) else { return [] }
        return l.map { a in
            RumpProtocol.InterfaceAddress(address: Self.sockaddr6(a.address, scope: a.scopeID),
                                          netmask: Self.sockaddr6(IPv6Address.mask(prefixLength: a.prefixLength)),
                                          flags: a.flags)
        }
    }

    func addAddress6(_ name: String, _ address: RumpProtocol.InterfaceAddress) throws(KernelError) {
        let a = try Self.ipv6(address.address)
        let len = try Self.prefixLength6(address.netmask)
        try run(configuration: true) { try stack.addAddress6(name: name, a, prefixLength: len, flags: address.flags) }
    }

    func deleteAddress6(_ name: String, _ address: SocketAddress) throws(KernelError) {
        let a = try Self.ipv6(address)
        try run(configuration: true) { try stack.deleteAddress6(name: name, a) }
    }

    // MARK: routes

    func entry6(_ r: Route6) -> RouteEntry {
        let gateway: SocketAddress
        switch r.gateway {
        case .address(let g, let scope): gateway = Self.sockaddr6(g, scope: scope)
        case .link(let idx):
            let ifp = stack.interface(index: idx)
            gateway = .link(index: UInt32(idx), name: ifp?.linkType == .loopback ? ifp!.name : "")
        }
        let host = r.flags.contains(.host) || r.prefixLength == 128 && r.flags.contains(.local)
        return RouteEntry(destination: Self.sockaddr6(r.destination, scope: r.scopeID),
                          netmask: host ? nil : Self.sockaddr6(IPv6Address.mask(prefixLength: r.prefixLength)),
                          gateway: gateway, flags: r.flags.rawValue | (host ? RouteFlags.host.rawValue : 0),
                          interface: stack.interface(index: r.ifIndex)?.name ?? "?",
                          use: r.use, mtu: UInt32(r.mtu), localAddress: Self.sockaddr6(r.localAddress, scope: r.scopeID))
    }

    func routes6() -> [RouteEntry] {
        components.contains(.rumpnet_netinet6) ? stack.routeList6.map(entry6) : []
    }

    func addRoute6(_ route: RouteEntry) throws(KernelError) {
        let dst = try Self.ipv6(route.destination)
        let plen = try Self.prefixLength6(route.netmask)
        let reject = route.flags & RouteFlags.reject.rawValue != 0
        let blackhole = route.flags & RouteFlags.blackhole.rawValue != 0
        if route.gateway.family == .inet6 {
            let gw = try Self.ipv6(route.gateway)
            try run {
                try stack.addRoute6(destination: dst, prefixLength: plen, scopeID: Self.scope(route.destination), gateway: gw,
                                    gatewayScopeID: Self.scope(route.gateway), interface: route.interface.isEmpty ? nil : route.interface,
                                    reject: reject, blackhole: blackhole)
            }
        } else {
            var linkIndex = 0
            if case .link(let i, _, _, _) = route.gateway { linkIndex = Int(i) }
            let ifName = route.interface.isEmpty ? stack.interface(index: linkIndex)?.name : route.interface
            try run {
                try stack.addRoute6(destination: dst, prefixLength: plen, scopeID: Self.scope(route.destination),
                                    interface: ifName, reject: reject, blackhole: blackhole)
            }
        }
    }

    func deleteRoute6(destination: SocketAddress, netmask: SocketAddress?) throws(KernelError) -> RouteEntry {
        let dst = try Self.ipv6(destination)
        let plen = try Self.prefixLength6(netmask)
        let existing = stack.routeList6.first {
            $0.destination == dst.masked(prefixLength: plen) && $0.prefixLength == plen
                && (!dst.needsScope || $0.scopeID == Self.scope(destination))
        }
        try run { try stack.deleteRoute6(destination: dst, prefixLength: plen, scopeID: Self.scope(destination)) }
        guard let existing else { throw KernelError(.ESRCH) }
        return entry6(existing)
    }

    func getRoute6(destination: SocketAddress) throws(KernelError) -> RouteEntry {
        let dst = try Self.ipv6(destination)
        let result = try run { try stack.getRoute6(dst, scopeID: Self.scope(destination)) }
        var e = entry6(result.route)
        e.outputInterface = result.interfaceName
        // "local addr": the source RFC 6724 selection picks, which ping6 prints (NetBSD asks a
        // connected UDP socket for the same answer).
        if let (src, scope) = try? stack.sourceAddress6(for: dst, scopeID: Self.scope(destination)) {
            e.localAddress = Self.sockaddr6(src, scope: scope)
        }
        return e
    }

    // MARK: counters

    func statistics6() -> [StatCounter] {
        guard components.contains(.rumpnet_netinet6) else { return [] }
        return stack.ip6Stats.named.map { StatCounter(name: "ip6." + $0.0, value: $0.1) }
            + stack.icmp6Stats.named.map { StatCounter(name: "icmp6." + $0.0, value: $0.1) }
    }
}

// MARK: raw ICMPv6 sockets (ping6)

extension KernelNetStack {
    // NetBSD's numbers (netinet6/in6.h).
    static let IPPROTO_IPV6: Int32 = 41
    static let IPV6_UNICAST_HOPS: Int32 = 4, IPV6_MULTICAST_HOPS: Int32 = 10, IPV6_RECVHOPLIMIT: Int32 = 37

    func bind6(_ s: SocketID, _ address: SocketAddress) throws(KernelError) {
        let a = try Self.ipv6(address)
        try run { try stack.bind6(Int32(s), a, scopeID: Self.scope(address)) }
    }

    func connect6(_ s: SocketID, _ address: SocketAddress) throws(KernelError) {
        let a = try Self.ipv6(address)
        try run { try stack.connect6(Int32(s), a, scopeID: Self.scope(address)) }
    }

    func send6(_ s: SocketID, _ data: UnsafeRawBufferPointer, to address: SocketAddress) throws(KernelError) -> Int {
        let a = try Self.ipv6(address)
        return try run { try stack.sendto6(Int32(s), data, to: a, scopeID: Self.scope(address)) }
    }

    /// recvfrom6 into the kernel's buffer; the hop limit only for a socket that asked for it.
    func receive6(_ s: SocketID, into buffer: inout [UInt8], maxLength: Int, wantsHopLimit: Bool) throws(KernelError) -> ReceivedFrom {
        // Grown only to the datagram waiting, as in `receive` (none: the call parks).
        let limit = max(0, min(maxLength, stack.nextDatagramLength(Int32(s)) ?? 0))
        if buffer.count < limit { buffer.append(contentsOf: repeatElement(0, count: limit - buffer.count)) }
        let d: ReceivedDatagram6
        do {
            d = try run {
                try buffer.withUnsafeMutableBytes { try stack.recvfrom6(Int32(s), into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<limit])) }
            }
        } catch {
            buffer.removeAll(keepingCapacity: true)
            throw error
        }
        buffer.removeLast(buffer.count - min(d.length, limit))
        return ReceivedFrom(from: Self.sockaddr6(d.from, scope: d.scopeID), flags: d.length > limit ? NetBSD.MSG_TRUNC : 0,
                            hopLimit: wantsHopLimit ? Int32(d.hopLimit) : nil)
    }

    /// IPPROTO_IPV6 options: the hop limits, IPV6_RECVHOPLIMIT (recorded by the caller).
    func setOption6(_ s: SocketID, name: Int32, value: [UInt8]) throws(KernelError) {
        let v = try Self.int(value)
        switch name {
        case Self.IPV6_UNICAST_HOPS: try run { try stack.setHopLimit6(Int32(s), unicast: v) }
        case Self.IPV6_MULTICAST_HOPS: try run { try stack.setHopLimit6(Int32(s), multicast: v) }
        default: throw KernelError(.ENOPROTOOPT)
        }
    }
}

// MARK: NetworkStack's Neighbor Discovery calls

// RumpNet reports ndp's views as NetBSDModels' models (expiry already in seconds from now), which
// the protocol carries unchanged.
extension KernelNetStack {
    public func neighbors() throws(KernelError) -> [NeighborInfo] { stack.neighbors }
    public func deleteNeighbor(_ address: SocketAddress) throws(KernelError) {
        let a = try Self.ipv6(address)
        try run { try stack.deleteNeighbor(a, scopeID: a.needsScope ? Self.scope(address) : 0) }
    }
    public func prefixes() throws(KernelError) -> [PrefixInfo] { stack.prefixes }
    public func defaultRouters() throws(KernelError) -> [DefaultRouterInfo] { stack.defaultRouters }
    public func ndInterface(_ name: String, set: UInt32, clear: UInt32) throws(KernelError) -> NDInterfaceInfo {
        if set | clear != 0 {
            let now = try run { try stack.ndInfo(name: name) }
            try run { try stack.setNDFlags(name: name, (now.flags | set) & ~clear) }
        }
        return try run { try stack.ndInfo(name: name) }
    }
    public func defaultInterface6() -> String? {
        stack.defaultInterface6.flatMap { stack.interface(index: $0)?.name }
    }
    /// ndp -I IF: the stack keeps no default interface yet (NetBSD's nd6_defifindex).
    public func setDefaultInterface6(_ name: String?) throws(KernelError) { throw KernelError(.EOPNOTSUPP) }
}
