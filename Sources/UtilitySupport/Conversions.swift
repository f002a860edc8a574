// The one place that knows both model sets: RumpProtocol's wire values (what a kernel
// reports) and NetAdmin's models (what the formatters print). Every utility converts here.
import NetAdmin
import RumpProtocol

public typealias WireSockAddr = RumpProtocol.SockAddr
public typealias WireInterface = RumpProtocol.InterfaceInfo

public enum Convert {
    // MARK: addresses

    public static func inAddr(_ a: WireSockAddr) -> InAddr? {
        guard a.family == RumpProtocol.NetBSD.AF_INET, a.address.count == 4 else { return nil }
        return InAddr(a.address[0], a.address[1], a.address[2], a.address[3])
    }

    public static func wire(_ a: InAddr, port: UInt16 = 0) -> WireSockAddr {
        WireSockAddr(family: RumpProtocol.NetBSD.AF_INET, port: port, address: a.bytes)
    }

    /// A wire address as NetAdmin's; AF_LINK carries the interface index in the scope id and
    /// the name NetBSD prints (lo0's own route) as its bytes. nil for unknown families.
    public static func sockAddr(_ a: WireSockAddr) -> NetAdmin.SockAddr? {
        switch a.family {
        case RumpProtocol.NetBSD.AF_INET:
            return inAddr(a).map { .inet($0) }
        case RumpProtocol.NetBSD.AF_INET6:
            return a.address.count == 16 ? .inet6(a.address, scopeID: a.scopeID) : nil
        case RumpProtocol.NetBSD.AF_LINK:
            return .link(index: a.scopeID, name: String(decoding: a.address, as: UTF8.self), address: [])
        default:
            return nil
        }
    }

    // MARK: interfaces

    public static func interface(_ i: WireInterface) -> NetAdmin.InterfaceInfo {
        let addresses: [InterfaceAddressInfo] = i.addresses.compactMap { a in
            guard let addr = sockAddr(a.address), let mask = sockAddr(a.netmask) else { return nil }
            return InterfaceAddressInfo(address: addr, netmask: mask, broadcast: a.broadcast.flatMap(sockAddr), flags: a.flags)
        }
        return NetAdmin.InterfaceInfo(name: i.name, index: i.index, flags: i.flags, mtu: i.mtu,
                                      linkAddress: i.linkAddress.isEmpty ? nil : i.linkAddress, linkstr: i.linkstr,
                                      addresses: addresses, counters: i.stats)
    }

    // MARK: routes

    public static func route(_ r: RouteEntry) -> RouteInfo? {
        guard let dst = sockAddr(r.destination), let gw = sockAddr(r.gateway) else { return nil }
        // NetBSD 7.99's sysctl route dump reports no refcount or use count: they print "-".
        return RouteInfo(destination: dst, netmask: r.netmask.flatMap(sockAddr), gateway: gw, flags: r.flags,
                         mtu: r.mtu, interface: r.interface, expire: r.expire)
    }

    public static func routes(_ l: [RouteEntry]) -> [RouteInfo] {
        RouteInfo.tableOrder(l.compactMap(route))
    }

    /// What `route get ADDRESS` prints of the kernel's match.
    public static func routeGet(_ r: RouteEntry, asked: InAddr) -> RouteGetReply {
        var m = RouteMetrics()
        m.mtu = Int64(r.mtu)
        m.expire = r.expire
        return RouteGetReply(routeTo: .inet(asked), destination: sockAddr(r.destination) ?? .inet(.any),
                             netmask: r.netmask.flatMap(sockAddr),
                             gateway: r.flags & RTF.GATEWAY != 0 ? sockAddr(r.gateway) : nil,
                             localAddress: r.localAddress.flatMap(sockAddr),
                             interface: r.outputInterface ?? r.interface,
                             flags: r.flags | RTF.DONE, metrics: m)
    }

    /// route(8)'s request as a routing-table entry.
    public static func routeEntry(_ q: RouteRequest) -> RouteEntry {
        let gw: WireSockAddr
        if let g = q.gateway, q.flags & RTF.GATEWAY != 0 {
            gw = wire(g)
        } else if let g = q.gateway {
            // -iface: the gateway names the interface by one of its addresses; the kernel finds it.
            gw = wire(g)
        } else {
            gw = WireSockAddr(family: RumpProtocol.NetBSD.AF_LINK, address: [])
        }
        return RouteEntry(destination: wire(q.destination), netmask: q.netmask.map { wire($0) }, gateway: gw,
                          flags: q.flags, interface: q.interface ?? "", mtu: q.mtu)
    }
}
