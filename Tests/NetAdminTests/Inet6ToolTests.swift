import Testing
import NetAdmin

/// The kernel double's IPv6: addresses with their prefix and host routes, inet6 routes through
/// an on-link gateway, longest-prefix lookups (what RouteTool and IfconfigTool's inet6 paths
/// call through AdminKernel).
extension FakeKernel {
    func addAddress6(_ name: String, _ address: InterfaceAddress) -> NetBSDErrno? {
        guard hasInet6 else { return .EAFNOSUPPORT }
        guard case .inet6(let a, _, _, let scope) = address.address, let len = address.netmask.netmaskLength,
              let i = index(name) else { return .ENXIO }
        ifnet[i].addresses.removeAll { $0.address.ipv6 == a }
        ifnet[i].addresses.append(InterfaceAddress(address: .inet6(a, scopeID: scope), netmask: .inet6(IPv6Address.mask(prefixLength: len))))
        let link = SocketAddress.link(index: ifnet[i].index)
        routes.append(RouteInfo(destination: .inet6(a.masked(prefixLength: len), scopeID: scope), netmask: .inet6(IPv6Address.mask(prefixLength: len)),
                                gateway: link, flags: RTF.UP | RTF.CONNECTED, interface: name))
        routes.append(RouteInfo(destination: .inet6(a, scopeID: scope), netmask: nil, gateway: link,
                                flags: RTF.UP | RTF.HOST | RTF.LOCAL, interface: "lo0"))
        return nil
    }

    func deleteAddress6(_ name: String, _ address: SocketAddress) -> NetBSDErrno? {
        guard let i = index(name), let a = address.ipv6,
              let k = ifnet[i].addresses.firstIndex(where: { $0.address.ipv6 == a }) else { return .EADDRNOTAVAIL }
        ifnet[i].addresses.remove(at: k)
        routes.removeAll { $0.destination.ipv6 == a && $0.flags & RTF.LOCAL != 0 }
        return nil
    }

    func lookup6(_ a: IPv6Address) -> RouteInfo? {
        routes.filter { r in
            guard let d = r.destination.ipv6 else { return false }
            return a.hasPrefix(d, length: r.netmask?.netmaskLength ?? 128)
        }.max { ($0.netmask?.netmaskLength ?? 128) < ($1.netmask?.netmaskLength ?? 128) }
    }

    func addRoute6(_ q: Route6Request) -> NetBSDErrno? {
        guard let gw = q.gateway, let via = lookup6(gw), via.flags & RTF.GATEWAY == 0 else { return .ENETUNREACH }
        let dst = SocketAddress.inet6(q.destination)
        if routes.contains(where: { $0.destination == dst && $0.netmask?.netmaskLength == q.prefixLength }) { return .EEXIST }
        routes.append(RouteInfo(destination: dst, netmask: q.prefixLength.map { .inet6(IPv6Address.mask(prefixLength: $0)) },
                                gateway: .inet6(gw), flags: q.flags, interface: via.interface))
        return nil
    }

    func deleteRoute6(_ q: Route6Request) -> NetBSDErrno? {
        guard let i = routes.firstIndex(where: { $0.destination == .inet6(q.destination) && $0.netmask?.netmaskLength == q.prefixLength })
        else { return .ESRCH }
        routes.remove(at: i)
        return nil
    }

    func getRoute6(_ destination: IPv6Address, scope: UInt32) -> Result<RouteGetReply, NetBSDErrno> {
        guard let r = lookup6(destination) else { return .failure(.ESRCH) }
        let local = ifnet.first { $0.name == r.interface }?.addresses.first { $0.address.ipv6.map { !$0.needsScope } ?? false }?.address
        return .success(RouteGetReply(routeTo: .inet6(destination, scopeID: scope), destination: r.destination, netmask: r.netmask,
                                      gateway: r.gateway, localAddress: local, interface: r.interface, flags: r.flags | RTF.DONE))
    }
}

@Suite struct Inet6ToolTests {
    /// h-ipv6.txt's inet6 configuration of k1 through IfconfigTool and RouteTool and the
    /// double: the outputs of its route -inet6 and ifconfig inet6 commands, byte for byte.
    @Test func routeAndIfconfigThroughTheTools() {
        let k = FakeKernel()
        k.hasInet6 = true
        k.macs = ["shmif0": Inet6Tests.k1mac]
        for c in ["shmif0 create", "shmif0 linkstr /tmp/lab/bus", "shmif0 up", "shmif0 inet6 fd00::1/64"] {
            #expect(k.ifconfig(c.split(separator: " ").map(String.init)) == .success, "ifconfig \(c)")
        }
        #expect(k.ifconfig(["shmif0", "inet6"]).stdout.hasSuffix("\tinet6 fd00::1 prefixlen 64\n"))
        var checked = 0
        for e in Inet6Tests.entries where e.kernel == "k1" && e.utility == "route" && e.arguments.contains("-inet6")
            && !e.arguments.contains("show") {
            expectSame(k.route(e.arguments), e.output, "line \(e.line): \(e.command)")
            checked += 1
        }
        #expect(checked == 5)
        // Refusals as the routing socket answers them.
        expectSame(k.route(["add", "-inet6", "fd02::/64", "fd09::1"]),
                   ToolOutput(stdout: "add net fd02::/64: gateway fd09::1: Network is unreachable\n",
                              stderr: "route: writing to routing socket: Network is unreachable\n", status: 1), "unreachable gateway")
        expectSame(k.route(["delete", "-inet6", "fd02::/64"]),
                   ToolOutput(stdout: "delete net fd02::/64: not in table\n", stderr: "route: writing to routing socket: not in table\n", status: 1),
                   "not in table")
        let bad = Inet6Tests.entry("ifconfig shmif0 inet6 fd00::zz/64")
        expectSame(k.ifconfig(bad.arguments), bad.output, bad.command)
        #expect(k.ifconfig(["shmif0", "inet6", "fd00::1", "delete"]) == .success)
        #expect(!k.ifconfig(["shmif0"]).stdout.contains("fd00::1"))
        // A kernel without netinet6: ifconfig's getsock fails, route -inet6 is refused.
        let v4 = FakeKernel()
        #expect(v4.ifconfig(["shmif0", "inet6", "fd00::1/64"]) == IfconfigFormat.socketFailed(.address))
        #expect(v4.route(["add", "-inet6", "fd01::/64", "fd00::2"]).status == 1)
    }
}
