// The kernel behind RUMP_SERVER as NetAdmin's AdminKernel: each call one protocol request.
import NetAdmin
import RumpProtocol

extension Remote: AdminKernel {
    public func interfaceCloners() -> [String]? {
        guard case .success(.names(let l)) = call(.ifListCloners) else { return nil }
        return l
    }

    public func createInterface(_ name: String) -> NetBSDErrno? { perform(.ifCreate(name: name)) }
    public func destroyInterface(_ name: String) -> NetBSDErrno? { perform(.ifDestroy(name: name)) }

    public func setInterfaceFlags(_ name: String, set: UInt32, clear: UInt32) -> NetBSDErrno? {
        perform(.ifSetFlags(name: name, set: set, clear: clear))
    }

    public func setMTU(_ name: String, _ mtu: Int) -> NetBSDErrno? {
        guard let v = UInt32(exactly: mtu) else { return .EINVAL }
        return perform(.ifSetMTU(name: name, mtu: v))
    }

    /// The stack keeps no interface metric.
    public func setMetric(_ name: String, _ metric: Int) -> NetBSDErrno? { .EOPNOTSUPP }

    public func setLinkstr(_ name: String, _ linkstr: String?) -> NetBSDErrno? {
        perform(.ifSetLinkstr(name: name, linkstr: linkstr))
    }

    public func addAddress(_ name: String, _ address: InterfaceAddress, alias: Bool) -> NetBSDErrno? {
        perform(.ifAddAddress(name: name, address: address, alias: alias))
    }

    public func deleteAddress(_ name: String, _ address: SocketAddress) -> NetBSDErrno? {
        perform(.ifDeleteAddress(name: name, address: address))
    }

    public func routes(family: AddressFamily?) -> Result<[RouteInfo], NetBSDErrno> {
        routes(family: family?.rawValue ?? 0)
    }

    public func flushRoutes(family: AddressFamily?) -> Result<[RouteInfo], NetBSDErrno> {
        switch call(.routeFlush(family: family?.rawValue ?? 0)) {
        case .success(.routes(let gone)): return .success(Convert.routes(gone))
        case .success: return .success([])
        case .failure(let e): return .failure(e)
        }
    }

    public func getRoute(_ destination: IPv4Address) -> Result<RouteGetReply, NetBSDErrno> {
        switch call(.routeGet(destination: .inet(destination))) {
        case .success(.routes(let l)) where !l.isEmpty: return .success(Convert.routeGet(l[0], asked: destination))
        case .failure(let e): return .failure(e)
        case .success: return .failure(.ESRCH)
        }
    }

    public func addRoute(_ request: RouteRequest) -> NetBSDErrno? { perform(.routeAdd(Convert.routeEntry(request))) }
    public func changeRoute(_ request: RouteRequest) -> NetBSDErrno? { perform(.routeChange(Convert.routeEntry(request))) }

    public func deleteRoute(_ request: RouteRequest) -> NetBSDErrno? {
        perform(.routeDelete(destination: .inet(request.destination), netmask: request.netmask.map { .inet($0) }))
    }

    public func setArp(_ entry: ArpInfo) -> NetBSDErrno? { perform(.arpSet(entry)) }
    public func deleteArp(_ address: IPv4Address) -> NetBSDErrno? { perform(.arpDelete(address: .inet(address))) }
}
