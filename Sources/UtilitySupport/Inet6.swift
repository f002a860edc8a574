// The IPv6 side of the conversions: NetAdmin's inet6 requests as protocol values, and the
// ND replies (NetBSDModels' NeighborInfo & co., which pass through unchanged).
#if canImport(Glibc)
import Glibc
#endif
import NetAdmin
import RumpProtocol

extension Convert {
    /// A sockaddr_in6; the scope id only for addresses that have a scope.
    public static func wire6(_ a: IPv6Address, scope: UInt32 = 0, port: UInt16 = 0) -> SocketAddress {
        .inet6(a, port: port, scopeID: a.needsScope ? scope : 0)
    }

    /// The IPv6 address of a sockaddr_in6, with its scope id.
    public static func inet6(_ a: SocketAddress) -> (IPv6Address, UInt32)? {
        guard case .inet6(let v, _, _, let scope) = a else { return nil }
        return (v, scope)
    }

    /// route(8)'s inet6 request as a routing-table entry; `scope` resolves zone names.
    public static func routeEntry6(_ q: Route6Request, scope: (String?, IPv6Address) -> UInt32) -> RouteEntry {
        let gw: SocketAddress = q.gateway.map { wire6($0, scope: scope(q.gatewayZone, $0)) } ?? .link(index: 0)
        return RouteEntry(destination: wire6(q.destination, scope: scope(q.destinationZone, q.destination)),
                          netmask: q.prefixLength.map { wire6(IPv6Address.mask(prefixLength: $0)) },
                          gateway: gw, flags: q.flags, interface: q.interface ?? "", mtu: q.mtu)
    }

    /// What `route get -inet6` prints of the kernel's match.
    public static func routeGet(_ r: RouteEntry, askedSockAddr asked: SocketAddress) -> RouteGetReply {
        var reply = routeGet(r, asked: .any)
        reply.routeTo = asked
        return reply
    }
}

extension Remote {
    /// if_nametoindex: 0 when the kernel has no such interface.
    public func interfaceIndex(_ name: String) -> UInt32 {
        (try? interface(name).get())?.index ?? 0
    }

    // route -inet6 (NetAdmin's AdminKernel).
    public func addRoute6(_ request: Route6Request) -> NetBSDErrno? {
        perform(.routeAdd(Convert.routeEntry6(request, scope: scope)))
    }

    public func changeRoute6(_ request: Route6Request) -> NetBSDErrno? {
        perform(.routeChange(Convert.routeEntry6(request, scope: scope)))
    }

    public func deleteRoute6(_ request: Route6Request) -> NetBSDErrno? {
        let dst = Convert.wire6(request.destination, scope: scope(request.destinationZone, request.destination))
        return perform(.routeDelete(destination: dst, netmask: request.prefixLength.map { Convert.wire6(IPv6Address.mask(prefixLength: $0)) }))
    }

    public func getRoute6(_ destination: IPv6Address, scope: UInt32) -> Result<RouteGetReply, NetBSDErrno> {
        switch call(.routeGet(destination: Convert.wire6(destination, scope: scope))) {
        case .success(.routes(let l)) where !l.isEmpty:
            return .success(Convert.routeGet(l[0], askedSockAddr: Convert.wire6(destination, scope: scope)))
        case .success: return .failure(.ESRCH)
        case .failure(let e): return .failure(e)
        }
    }

    /// `ifconfig -w n`: polls the interfaces every 100 ms until no inet6 address is tentative.
    public func waitForDAD(seconds: Int) {
        for _ in 0..<(max(0, seconds) * 10) {
            guard case .success(let l) = interfaces(),
                  l.contains(where: { $0.addresses.contains { $0.address.family == .inet6 && $0.flags & IN6_IFF.TENTATIVE != 0 } })
            else { return }
            usleep(100_000)
        }
    }
}

/// ndp's kernel: the ND requests (docs/PROTOCOL.md, opcodes 0x43-0x48).
extension Remote: NdpKernel {
    public func neighbors() -> Result<[NeighborInfo], NetBSDErrno> {
        call(.ndList).flatMap { r in
            guard case .neighbors(let l) = r else { return .failure(.EINVAL) }
            return .success(l)
        }
    }

    public func deleteNeighbor(_ address: IPv6Address, interfaceIndex: UInt32) -> NetBSDErrno? {
        perform(.ndDelete(address: Convert.wire6(address, scope: address.needsScope ? interfaceIndex : 0)))
    }

    public func prefixes() -> Result<[PrefixInfo], NetBSDErrno> {
        call(.ndPrefixes).flatMap { r in
            guard case .prefixes(let l) = r else { return .failure(.EINVAL) }
            return .success(l)
        }
    }

    public func defaultRouters() -> Result<[DefaultRouterInfo], NetBSDErrno> {
        call(.ndRouters).flatMap { r in
            guard case .defaultRouters(let l) = r else { return .failure(.EINVAL) }
            return .success(l)
        }
    }

    public func ndInterface(_ name: String, set: UInt32, clear: UInt32) -> Result<NDInterfaceInfo, NetBSDErrno> {
        call(.ndInterface(name: name, set: set, clear: clear)).flatMap { r in
            guard case .ndInterface(let i) = r else { return .failure(.EINVAL) }
            return .success(i)
        }
    }

    public func defaultInterface() -> Result<String?, NetBSDErrno> {
        call(.ndDefaultInterface(set: false, name: nil)).flatMap { r in
            guard case .names(let l) = r else { return .failure(.EINVAL) }
            return .success(l.first)
        }
    }

    public func setDefaultInterface(_ name: String?) -> NetBSDErrno? {
        perform(.ndDefaultInterface(set: true, name: name))
    }
}
