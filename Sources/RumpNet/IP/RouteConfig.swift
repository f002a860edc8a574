// The route(8) side: add, delete, change, get, list, flush. Static routes carry RTF_STATIC.

public struct RouteGetResult: Sendable, Equatable {
    public var route: Route
    /// The interface packets to this destination leave by.
    public var interfaceName: String
    /// The interface of the route entry as `netstat -r` shows it (lo0 for local addresses).
    public var routeInterfaceName: String
}

extension NetStack {
    /// All routes in netstat -r order.
    public var routeList: [Route] { routes.all }

    /// route add. `gateway` nil with `interface` set means `-interface`. Errors: EEXIST (present),
    /// ENETUNREACH (gateway not on a connected network), ENXIO (unknown interface), EINVAL.
    public func addRoute(destination: IPv4Address, prefixLength: Int, gateway: IPv4Address? = nil,
                         interface ifName: String? = nil, reject: Bool = false, blackhole: Bool = false) throws(Errno) {
        guard (0...32).contains(prefixLength) else { throw .EINVAL }
        var flags: RouteFlags = [.up, .static]
        if prefixLength == 32 { flags.insert(.host) }
        if reject { flags.insert(.reject) }
        if blackhole { flags.insert(.blackhole) }
        let r: Route
        if let gw = gateway {
            // The gateway must be reachable directly (a route without G leading to it).
            guard let via = routes.lookup(gw), !via.flags.contains(.gateway) else { throw .ENETUNREACH }
            var ifIndex = via.ifIndex
            var local = via.localAddress
            if via.flags.contains(.local), case .link(let real) = via.gateway { ifIndex = real; local = gw }
            if let n = ifName {
                let ifp = try require(n)
                ifIndex = ifp.index
            }
            if interface(index: ifIndex)?.hasAddress(gw) == true {
                // route add ... <own address>: an interface route (NetBSD treats it as -interface).
                r = Route(destination: destination, prefixLength: prefixLength, gateway: .link(ifIndex), ifIndex: ifIndex,
                          flags: flags, localAddress: gw)
            } else {
                flags.insert(.gateway)
                r = Route(destination: destination, prefixLength: prefixLength, gateway: .address(gw), ifIndex: ifIndex,
                          flags: flags, localAddress: local)
            }
        } else if let n = ifName {
            let ifp = try require(n)
            guard let a = ifp.addresses.first else { throw .EADDRNOTAVAIL }
            r = Route(destination: destination, prefixLength: prefixLength, gateway: .link(ifp.index), ifIndex: ifp.index,
                      flags: flags, localAddress: a.address)
        } else {
            throw .EINVAL
        }
        try routes.insert(r)
    }

    /// route delete: ESRCH when there is no such route.
    public func deleteRoute(destination: IPv4Address, prefixLength: Int) throws(Errno) {
        guard (0...32).contains(prefixLength) else { throw .EINVAL }
        try routes.remove(destination, prefixLength: prefixLength)
    }

    /// route change: replaces the gateway of an existing route (ESRCH when absent).
    public func changeRoute(destination: IPv4Address, prefixLength: Int, gateway: IPv4Address) throws(Errno) {
        guard let old = routes.exact(destination, prefixLength: prefixLength) else { throw .ESRCH }
        try routes.remove(destination, prefixLength: prefixLength)
        do {
            try addRoute(destination: destination, prefixLength: prefixLength, gateway: gateway,
                         reject: old.flags.contains(.reject), blackhole: old.flags.contains(.blackhole))
        } catch {
            try? routes.insert(old)
            throw error
        }
    }

    /// route flush: removes every route with G (NetBSD's flush default), returns them.
    @discardableResult
    public func flushRoutes() -> [Route] {
        let gone = routes.all.filter { $0.flags.contains(.gateway) }
        for r in gone { _ = try? routes.remove(r.destination, prefixLength: r.prefixLength) }
        return gone
    }

    /// route get: the route packets to `destination` take. ESRCH when none.
    public func getRoute(_ destination: IPv4Address) throws(Errno) -> RouteGetResult {
        guard var r = routes.lookup(destination) else { throw .ESRCH }
        r.flags.insert(.done)
        var outIndex = r.ifIndex
        if r.flags.contains(.local), case .link(let real) = r.gateway { outIndex = real }
        return RouteGetResult(route: r, interfaceName: interface(index: outIndex)?.name ?? "?",
                              routeInterfaceName: interface(index: r.ifIndex)?.name ?? "?")
    }

    /// in_selectsrc: the source address for a datagram to `dst`, or EHOSTUNREACH / EADDRNOTAVAIL.
    func selectSource(_ dst: IPv4Address) throws(Errno) -> IPv4Address {
        let slot = routes.cachedLookupSlot(dst)
        guard slot >= 0 else { throw .EHOSTUNREACH }
        let r = routes[slot: slot]
        if r.flags.contains(.local) { return r.localAddress }
        guard !r.localAddress.isAny else { throw .EADDRNOTAVAIL }
        return r.localAddress
    }
}
