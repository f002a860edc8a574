// The one place that knows both model sets: RumpProtocol's wire values (what a kernel
// reports) and NetAdmin's models (what the formatters print). Addresses need no converting:
// both sides hold NetBSDModels' IPv4Address, IPv6Address and SocketAddress.
import NetAdmin
import RumpProtocol

public typealias WireInterface = RumpProtocol.InterfaceInfo

public enum Convert {
    // MARK: interfaces

    public static func interface(_ i: WireInterface) -> NetAdmin.InterfaceInfo {
        let addresses = i.addresses.map { a in
            InterfaceAddressInfo(address: a.address, netmask: a.netmask, broadcast: a.broadcast, flags: a.flags)
        }
        return NetAdmin.InterfaceInfo(name: i.name, index: i.index, flags: i.flags, mtu: i.mtu,
                                      linkAddress: i.linkAddress.isEmpty ? nil : i.linkAddress, linkstr: i.linkstr,
                                      addresses: addresses, counters: i.stats)
    }

    // MARK: routes

    public static func route(_ r: RouteEntry) -> RouteInfo {
        // NetBSD 7.99's sysctl route dump reports no refcount or use count: they print "-".
        RouteInfo(destination: r.destination, netmask: r.netmask, gateway: r.gateway, flags: r.flags,
                  mtu: r.mtu, interface: r.interface, expire: r.expire)
    }

    public static func routes(_ l: [RouteEntry]) -> [RouteInfo] {
        l.map(route).sorted(by: RouteInfo.radixOrder)
    }

    /// What `route get ADDRESS` prints of the kernel's match.
    public static func routeGet(_ r: RouteEntry, asked: IPv4Address) -> RouteGetReply {
        var m = RouteMetrics()
        m.mtu = Int64(r.mtu)
        m.expire = r.expire
        return RouteGetReply(routeTo: .inet(asked), destination: r.destination == .unspec ? .inet(.any) : r.destination,
                             netmask: r.netmask,
                             gateway: r.flags & RTF.GATEWAY != 0 ? r.gateway : nil,
                             localAddress: r.localAddress,
                             interface: r.outputInterface ?? r.interface,
                             flags: r.flags | RTF.DONE, metrics: m)
    }

    /// route(8)'s request as a routing-table entry.
    public static func routeEntry(_ q: RouteRequest) -> RouteEntry {
        // With -iface the gateway names the interface by one of its addresses; the kernel finds
        // it. Without a gateway, an empty AF_LINK address: the interface is named by `interface`.
        let gw: SocketAddress = q.gateway.map { .inet($0) } ?? .link(index: 0)
        return RouteEntry(destination: .inet(q.destination), netmask: q.netmask.map { .inet($0) }, gateway: gw,
                          flags: q.flags, interface: q.interface ?? "", mtu: q.mtu)
    }
}
