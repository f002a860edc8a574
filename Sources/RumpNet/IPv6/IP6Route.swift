// route -inet6: add, delete, get, list; source address selection (in6_selectsrc, RFC 6724's
// basic rules).

extension NetStack {
    func publicRoute(_ r: R6) -> Route6 {
        let gw: Route6.Gateway
        switch r.gateway {
        case .address(let a, _): gw = .address(a.withoutEmbeddedScope, scopeID: UInt32(a.embeddedScope))
        case .link(let i): gw = .link(i)
        }
        return Route6(destination: r.destination.withoutEmbeddedScope, prefixLength: r.prefixLength,
                      scopeID: UInt32(r.destination.embeddedScope), gateway: gw, ifIndex: r.ifIndex, flags: r.flags,
                      mtu: r.mtu, localAddress: r.localAddress.withoutEmbeddedScope, use: r.use)
    }

    /// Every IPv6 route in netstat -r order.
    public var routeList6: [Route6] { ip6.routes.all.map(publicRoute) }

    /// An address with its zone embedded: scoped addresses need a scope id (EINVAL without one).
    func embed(_ a: IPv6Address, scopeID: UInt32) throws(Errno) -> IPv6Address {
        guard a.needsScope else { return a }
        let s = scopeID != 0 ? scopeID : UInt32(a.embeddedScope)
        guard s != 0, interface(index: Int(s)) != nil else { throw .EINVAL }
        return a.withoutEmbeddedScope.embeddingScope(UInt16(s))
    }

    /// route add -inet6. `gateway` nil with `interface` set is `-interface`. EEXIST, ENETUNREACH
    /// (gateway not on a connected prefix), ENXIO (interface), EINVAL.
    public func addRoute6(destination: IPv6Address, prefixLength: Int, scopeID: UInt32 = 0, gateway: IPv6Address? = nil,
                          gatewayScopeID: UInt32 = 0, interface ifName: String? = nil, reject: Bool = false,
                          blackhole: Bool = false) throws(Errno) {
        guard ip6Enabled else { throw .EAFNOSUPPORT }
        guard (0...128).contains(prefixLength) else { throw .EINVAL }
        var flags: RouteFlags = [.up, .static]
        if prefixLength == 128 { flags.insert(.host) }
        if reject { flags.insert(.reject) }
        if blackhole { flags.insert(.blackhole) }
        let dst = try embed(destination, scopeID: scopeID).masked(prefixLength: prefixLength)
        let r: R6
        if let g = gateway {
            let gw = try embed(g, scopeID: gatewayScopeID)
            guard let via = ip6.routes.lookup(gw), !via.flags.contains(.gateway) else { throw .ENETUNREACH }
            var ifIndex = via.ifIndex
            if via.flags.contains(.local), case .link(let real) = via.gateway { ifIndex = real }
            if let n = ifName { ifIndex = try require(n).index }
            let src = (try? selectSource6(gw).address) ?? .any
            if ip6.local[gw] != nil {
                r = R6(destination: dst, prefixLength: prefixLength, gateway: .link(ifIndex), ifIndex: ifIndex,
                       flags: flags, mtu: 0, localAddress: gw)
            } else {
                flags.insert(.gateway)
                r = R6(destination: dst, prefixLength: prefixLength, gateway: .address(gw, scopeID: 0), ifIndex: ifIndex,
                       flags: flags, mtu: 0, localAddress: src)
            }
        } else if let n = ifName {
            let ifp = try require(n)
            r = R6(destination: dst, prefixLength: prefixLength, gateway: .link(ifp.index), ifIndex: ifp.index,
                   flags: flags, mtu: 0, localAddress: ip6IfIfPresent(ifp.index)?.addresses.first?.address ?? .any)
        } else {
            throw .EINVAL
        }
        try ip6.routes.insert(r)
    }

    /// route delete -inet6: ESRCH when absent.
    public func deleteRoute6(destination: IPv6Address, prefixLength: Int, scopeID: UInt32 = 0) throws(Errno) {
        guard ip6Enabled else { throw .EAFNOSUPPORT }
        guard (0...128).contains(prefixLength) else { throw .EINVAL }
        try ip6.routes.remove(try embed(destination, scopeID: scopeID), prefixLength: prefixLength)
    }

    /// route get -inet6: ESRCH when no route.
    public func getRoute6(_ destination: IPv6Address, scopeID: UInt32 = 0) throws(Errno) -> Route6GetResult {
        guard ip6Enabled else { throw .EAFNOSUPPORT }
        let d = try embed(destination, scopeID: scopeID)
        guard var r = ip6.routes.lookup(d) else { throw .ESRCH }
        r.flags.insert(.done)
        var out = r.ifIndex
        if r.flags.contains(.local), case .link(let real) = r.gateway { out = real }
        if r.flags.contains(.gateway), let s = try? selectSource6(d) { r.localAddress = s.address.embeddingScope(UInt16(s.scopeID)) }
        return Route6GetResult(route: publicRoute(r), interfaceName: interface(index: out)?.name ?? "?",
                               routeInterfaceName: interface(index: r.ifIndex)?.name ?? "?")
    }

    // MARK: source selection

    /// ping6's "SRC --> DST" (its connect trick) and every locally built datagram's source: the
    /// address and its scope id, or EHOSTUNREACH (no route) / EADDRNOTAVAIL.
    public func sourceAddress6(for destination: IPv6Address, scopeID: UInt32 = 0) throws(Errno) -> (IPv6Address, UInt32) {
        guard ip6Enabled else { throw .EAFNOSUPPORT }
        let s = try selectSource6(try embed(destination, scopeID: scopeID))
        return (s.address.withoutEmbeddedScope, s.scopeID)
    }

    /// The outgoing interface for `dst` (embedded): a scoped destination's zone, else the route's.
    func outputInterface6(_ dst: IPv6Address) -> NetInterface? {
        if dst.needsScope { return interface(index: Int(dst.embeddedScope)) }
        guard let r = ip6.routes.lookup(dst) else { return nil }
        if r.flags.contains(.local), case .link(let real) = r.gateway { return interface(index: real) }
        return interface(index: r.ifIndex)
    }

    /// in6_selectsrc with RFC 6724 rules 1 (same address), 2 (appropriate scope), 3 (avoid
    /// deprecated), 5 (the outgoing interface) and 8 (longest matching prefix). Only usable
    /// addresses (not tentative, duplicated or detached) and never anycast ones.
    func selectSource6(_ dst: IPv6Address) throws(Errno) -> (address: IPv6Address, scopeID: UInt32) {
        if ip6.local[dst] != nil, let (i, ia) = localAddress6(dst), ia.isUsable {
            return (ia.address, ia.address.needsScope ? UInt32(i) : 0)
        }
        guard let out = outputInterface6(dst) else { ip6Stats.noroute &+= 1; throw .EHOSTUNREACH }
        func scope(_ a: IPv6Address) -> Int {
            if a.isMulticast { return Int(a.multicastScope ?? 14) }
            if a.isLoopback { return 1 }
            if a.isLinkLocal { return 2 }
            if a.isSiteLocal { return 5 }
            return 14
        }
        let ds = scope(dst.withoutEmbeddedScope)
        var best: (IP6IfAddr, Int)?
        func better(_ a: IP6IfAddr, _ ai: Int, than b: IP6IfAddr, _ bi: Int) -> Bool {
            let sa = scope(a.address.withoutEmbeddedScope), sb = scope(b.address.withoutEmbeddedScope)
            if sa != sb { return sa < sb ? sa >= ds : sb < ds }                      // rule 2
            let da = a.flags & IN6_IFF.DEPRECATED != 0, db = b.flags & IN6_IFF.DEPRECATED != 0
            if da != db { return !da }                                               // rule 3
            if (ai == out.index) != (bi == out.index) { return ai == out.index }      // rule 5
            return commonPrefix(a.address, dst) > commonPrefix(b.address, dst)        // rule 8
        }
        // The outgoing interface first, then (for a global destination) every other one.
        let onlyOut = dst.needsScope || out.linkType == .loopback
        var k = 0
        while true {
            let i: Int
            if k == 0 { i = out.index } else {
                if onlyOut || k >= interfaceSlots.count { break }
                if k == out.index || interfaceSlots[k] == nil { k += 1; continue }
                i = k
            }
            k += 1
            guard let x = ip6IfIfPresent(i) else { continue }
            for a in x.addresses where a.isUsable && a.flags & IN6_IFF.ANYCAST == 0 {
                // A scoped source only on the destination's link.
                if a.address.needsScope && i != out.index { continue }
                if let (b, bi) = best { if better(a, i, than: b, bi) { best = (a, i) } } else { best = (a, i) }
            }
        }
        guard let (a, i) = best else { ip6Stats.sources_none &+= 1; throw .EADDRNOTAVAIL }
        return (a.address, a.address.needsScope ? UInt32(i) : 0)
    }

    func commonPrefix(_ a: IPv6Address, _ b: IPv6Address) -> Int {
        let h = a.high ^ b.high
        if h != 0 { return h.leadingZeroBitCount }
        return 64 + (a.low ^ b.low).leadingZeroBitCount
    }
}
