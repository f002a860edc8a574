import Testing
import NetAdmin

/// h-ipv6.txt's outputs from NetAdmin's parsers and formatters, byte for byte: the models are
/// the recorded kernels' state (k1 before and after its changes).
@Suite struct Inet6Tests {
    static let entries = Vectors.load("h-ipv6.txt")

    /// The transcript entry of `command` (the n-th occurrence).
    static func entry(_ command: String, _ n: Int = 0) -> TranscriptEntry {
        let l = entries.filter { $0.command == command }
        if n >= l.count { Issue.record("no \(command) #\(n) in h-ipv6.txt") }
        return l[min(n, l.count - 1)]
    }

    static func a6(_ s: String) -> IPv6Address { IPv6Address(s)! }
    static func sa6(_ s: String, _ scope: UInt32 = 0) -> SocketAddress { .inet6(a6(s), scopeID: scope) }
    static func mask6(_ n: Int) -> SocketAddress { .inet6(IPv6Address.mask(prefixLength: n)) }
    static let k1mac = mac("b2:a0:11:7c:68:f8"), k2mac = mac("b2:a0:7f:87:c1:ba")
    static let link2 = SocketAddress.link(index: 2)

    static var lo0: InterfaceInfo {
        InterfaceInfo(name: "lo0", index: 1, flags: IFF.UP | IFF.LOOPBACK | IFF.RUNNING | IFF.MULTICAST, mtu: 33624, addresses: [
            InterfaceAddressInfo(address: sa6("::1"), netmask: mask6(128)),
            InterfaceAddressInfo(address: sa6("fe80::1", 1), netmask: mask6(64)),
            .inet(.loopback, netmask: IPv4Address(0xff00_0000)),
        ])
    }

    static func shmif0(_ globals: [(String, UInt32)]) -> InterfaceInfo {
        InterfaceInfo(name: "shmif0", index: 2, flags: IFF.UP | IFF.BROADCAST | IFF.RUNNING | IFF.SIMPLEX | IFF.MULTICAST,
                      mtu: 1500, linkAddress: k1mac, linkstr: "/tmp/lab/bus",
                      addresses: [InterfaceAddressInfo(address: sa6("fe80::b0a0:11ff:fe7c:68f8", 2), netmask: mask6(64))]
                        + globals.map { InterfaceAddressInfo(address: sa6($0.0), netmask: mask6(64), flags: $0.1) })
    }

    @Test func ifconfigListings() {
        expectSame(IfconfigFormat.statusAll([Self.lo0]), Self.entry("ifconfig -a").output, "ifconfig -a (lo0 only)")
        expectSame(IfconfigFormat.show(Self.shmif0([])), Self.entry("ifconfig shmif0").output, "link-local only")
        expectSame(IfconfigFormat.show(Self.shmif0([("fd00::1", IN6_IFF.TENTATIVE)])), Self.entry("ifconfig shmif0", 1).output, "tentative")
        expectSame(IfconfigFormat.show(Self.shmif0([("fd00::1", 0)])), Self.entry("ifconfig shmif0", 2).output, "after DAD")
        expectSame(IfconfigFormat.statusAll([Self.lo0, Self.shmif0([("fd00::1", 0)])]), Self.entry("ifconfig -a", 1).output, "-a")
        expectSame(IfconfigFormat.show(Self.shmif0([("fd00::1", 0)]), family: .inet6), Self.entry("ifconfig shmif0 inet6").output, "inet6")
        expectSame(IfconfigFormat.show(Self.shmif0([("fd00::a", IN6_IFF.TENTATIVE)])), Self.entry("ifconfig shmif0", 3).output, "alias")
        // Every IN6_IFF word, then the scope id.
        var i = Self.shmif0([])
        i.addresses[0].flags = IN6_IFF.DUPLICATED | IN6_IFF.DEPRECATED | IN6_IFF.DETACHED
        #expect(IfconfigFormat.status(i).contains("\tinet6 fe80::b0a0:11ff:fe7c:68f8%shmif0 prefixlen 64 duplicated detached deprecated scopeid 0x2\n"))
    }

    @Test func ifconfigInet6Parameters() {
        func ops(_ line: String) -> [IfconfigOperation]? {
            guard case .configure(_, .inet6, let o)? = IfconfigCommand.parse(line.split(separator: " ").map(String.init)).command else { return nil }
            return o
        }
        #expect(ops("shmif0 inet6 fd00::1/64") == [.setAddress6(Self.a6("fd00::1"), zone: nil, prefixLength: 64, alias: false)])
        #expect(ops("shmif0 inet6 fd00::2 prefixlen 64") == [.setAddress6(Self.a6("fd00::2"), zone: nil, prefixLength: 64, alias: false)])
        #expect(ops("shmif0 inet6 fd00::1 delete") == [.deleteAddress6(Self.a6("fd00::1"), zone: nil)])
        #expect(ops("shmif0 inet6 fd00::1 -alias") == [.deleteAddress6(Self.a6("fd00::1"), zone: nil)])
        #expect(ops("shmif0 inet6 fd00::a/64 alias") == [.setAddress6(Self.a6("fd00::a"), zone: nil, prefixLength: 64, alias: true)])
        #expect(ops("shmif0 inet6 fe80::5%shmif0") == [.setAddress6(Self.a6("fe80::5"), zone: "shmif0", prefixLength: nil, alias: false)])
        #expect(ops("shmif0 inet6 fd00::1 up") == [.up, .setAddress6(Self.a6("fd00::1"), zone: nil, prefixLength: nil, alias: false)])
        // The recorded usage for a bad literal.
        let bad = Self.entry("ifconfig shmif0 inet6 fd00::zz/64")
        expectSame(IfconfigCommand.parse(bad.arguments).output ?? .success, bad.output, bad.command)
        #expect(IfconfigCommand.parse(["shmif0", "inet6", "fd00::1/129"]).output
                == .errx("ifconfig", "paddr_match: prefixlen_to_mask(24, 129): Invalid argument"))
        #expect(IfconfigCommand.parse(["shmif0", "inet6", "fd00::1%"]).output?.stderr == IfconfigFormat.usage)
    }

    // MARK: routes

    static func r6(_ dst: String, _ scope: UInt32, _ len: Int?, gw: SocketAddress, _ flags: UInt32, mtu: UInt32 = 0, _ ifname: String) -> RouteInfo {
        RouteInfo(destination: sa6(dst, scope), netmask: len.map(mask6), gateway: gw, flags: flags, mtu: mtu, interface: ifname)
    }

    /// k1's Internet6 table as recorded (after `ifconfig shmif0 inet6 fd00::1/64`).
    static func table(global: String = "fd00::1", extra: [RouteInfo] = []) -> [RouteInfo] {
        let U = RTF.UP, H = RTF.HOST, l = RTF.LOCAL, C = RTF.CONNECTED
        let lo = SocketAddress.link(index: 1, name: "lo0")
        let r = [
            r6("ff02::", 2, 32, gw: link2, U | C, "shmif0"),
            r6("::1", 0, nil, gw: sa6("::1"), U | H, mtu: 33624, "lo0"),
            r6("fe80::", 1, 64, gw: sa6("fe80::1", 1), U, "lo0"),
            r6("fe80::1", 1, nil, gw: lo, U | H | l, "lo0"),
            r6("ff01::", 1, 32, gw: sa6("::1"), U | C, mtu: 33624, "lo0"),
            r6("ff02::", 1, 32, gw: sa6("::1"), U | C, mtu: 33624, "lo0"),
            r6("fd00::", 0, 64, gw: link2, U | C, "shmif0"),
            r6(global, 0, nil, gw: link2, U | H | l, "lo0"),
            r6("fe80::", 2, 64, gw: link2, U | C, "shmif0"),
            r6("fe80::b0a0:11ff:fe7c:68f8", 2, nil, gw: link2, U | H | l, "lo0"),
            r6("ff01::", 2, 32, gw: link2, U | C, "shmif0"),
        ]
        return RouteInfo.tableOrder(r + extra)
    }

    @Test func routeTables() {
        expectSame(RouteFormat.show(Self.table(), options: { var o = RouteOptions(); o.numeric = true; return o }(), family: .inet6),
                   Self.entry("route -n show -inet6").output, "route -n show -inet6")
        expectSame(RouteFormat.show(Self.table(), family: .inet6), Self.entry("route show -inet6").output, "route show -inet6")
        let v4 = RouteInfo(destination: .inet(.loopback), netmask: nil, gateway: .link(index: 1, name: "lo0"),
                           flags: RTF.UP | RTF.HOST | RTF.LOCAL, mtu: 33624, interface: "lo0")
        var n = RouteOptions()
        n.numeric = true
        expectSame(RouteFormat.show(RouteInfo.tableOrder(Self.table() + [v4]), options: n), Self.entry("route -n show", 1).output, "route -n show")
        let gw = Self.sa6("fd00::2")
        let added = Self.table(extra: [Self.r6("fd01::", 0, 64, gw: gw, RTF.UP | RTF.GATEWAY | RTF.STATIC, "shmif0"),
                                       Self.r6("::", 0, 0, gw: gw, RTF.UP | RTF.GATEWAY | RTF.STATIC, "shmif0")])
        expectSame(RouteFormat.show(added, options: n, family: .inet6), Self.entry("route -n show -inet6", 1).output, "with fd01::/64 and default")
        expectSame(NetstatFormat.routes(Self.table(global: "fd00::a"), numeric: true, family: .inet6),
                   Self.entry("netstat -rn -f inet6").output, "netstat -rn -f inet6")
    }

    @Test func routeRequests() {
        for (line, verb) in [("route add -inet6 fd01::/64 fd00::2", "add"), ("route add -inet6 default fd00::2", "add"),
                             ("route delete -inet6 fd01::/64", "delete"), ("route delete -inet6 default", "delete")] {
            let e = Self.entry(line)
            guard case .inet6(let o, let c)? = RouteCommand.parse(e.arguments).command else {
                Issue.record("\(line): not an inet6 request")
                continue
            }
            let req: Route6Request
            switch c {
            case .add(let r), .delete(let r): req = r
            default: Issue.record("\(line): \(c)"); continue
            }
            expectSame(RouteFormat.change6(verb, req, options: o), e.output, line)
        }
        guard case .inet6(_, .add(let r))? = RouteCommand.parse(["add", "-inet6", "fd01::/64", "fd00::2"]).command else {
            Issue.record("no add")
            return
        }
        #expect(r.destination == Self.a6("fd01::") && r.prefixLength == 64 && r.gateway == Self.a6("fd00::2"))
        #expect(r.flags == RTF.UP | RTF.GATEWAY | RTF.STATIC)
        guard case .inet6(_, .add(let d))? = RouteCommand.parse(["add", "-inet6", "default", "fd00::2"]).command else { return }
        #expect(d.destination == .any && d.prefixLength == 0)
        guard case .inet6(_, .add(let h))? = RouteCommand.parse(["add", "-inet6", "fd02::7", "fe80::2%shmif0"]).command else { return }
        #expect(h.isHost && h.flags & RTF.HOST != 0 && h.gatewayZone == "shmif0")
        #expect(RouteCommand.parse(["get", "-inet6", "fd01::5"]).command == .inet6(RouteOptions(), .get(Self.a6("fd01::5"), zone: nil)))
        #expect(RouteCommand.parse(["add", "-inet6", "fd01::/129", "fd00::2"]).output == .errx("route", "fd01::/129: bad value"))
        #expect(RouteCommand.parse(["add", "-inet6", "fd01::/64"]).output == .errx("route", "missing gateway specification"))
        #expect(RouteCommand.parse(["add", "-inet6", "zz::/64", "fd00::2"]).output == .errx("route", "zz::: bad value"))
    }

    @Test func routeGet() {
        let reply = RouteGetReply(routeTo: Self.sa6("fd01::5"), destination: Self.sa6("fd01::"), netmask: Self.mask6(64),
                                  gateway: Self.sa6("fd00::2"), localAddress: Self.sa6("fd00::1"), interface: "shmif0",
                                  flags: RTF.UP | RTF.GATEWAY | RTF.DONE | RTF.STATIC)
        expectSame(RouteFormat.get(reply), Self.entry("route -n get -inet6 fd01::5").output, "route get")
    }

    // MARK: netstat

    @Test func netstatInterfaces() {
        var lo = Self.lo0
        lo.counters.ipackets = 64; lo.counters.opackets = 64
        var sh = Self.shmif0([("fd00::a", 0)])
        sh.counters.ipackets = 31; sh.counters.opackets = 39
        expectSame(NetstatFormat.interfaces([lo, sh]), Self.entry("netstat -in").output, "netstat -in")
    }

    @Test func ip6Statistics() {
        var s = IP6Statistics()
        s.total = 35; s.fragments = 6; s.reassembled = 2; s.delivered = 21; s.cantforward = 5; s.localout = 40
        s.noroute = 1; s.fragmented = 2; s.ofragments = 6; s.notmember = 5
        s.nxthist[0] = 4; s.nxthist[44] = 6; s.nxthist[58] = 25
        s.m1 = 11; s.mext1 = 24; s.forwardCachehit = 23; s.forwardCachemiss = 4
        let e = Self.entry("netstat -s -p ip6")
        guard case .statistics(let protocols, let suppress)? = NetstatCommand.parse(e.arguments).command else {
            Issue.record("not a statistics command")
            return
        }
        expectSame(ToolOutput(stdout: StatisticsFormat.report(protocols, ip: nil, icmp: nil, arp: nil, udp: nil, tcp: nil,
                                                              ip6: s, icmp6: nil, suppressZero: suppress)), e.output, e.command)
        // -ss keeps the non-zero lines and the headings.
        let ss = StatisticsFormat.ip6(s, suppressZero: true)
        #expect(ss.hasPrefix("ip6:\n\t35 total packets received\n\t6 fragments received\n\t2 packets reassembled ok\n"))
        #expect(ss.contains("\tMbuf statistics:\n\t\t11 one mbufs\n\t\t24 one ext mbufs\n\t23 forward cache hit\n"))
    }

    @Test func icmp6Statistics() {
        var s = ICMP6Statistics()
        s.error = 1; s.outhist[1] = 1; s.outhist[128] = 7; s.outhist[129] = 9; s.outhist[135] = 2
        s.inhist[129] = 7; s.inhist[128] = 9; s.inhist[136] = 1; s.outerrhist[0] = 1; s.reflect = 1
        let text = StatisticsFormat.icmp6(s)
        let head: String = "icmp6:\n\t1 call to icmp6_error\n\t0 errors not generated because old message was icmp6 or so\n"
            + "\t0 errors not generated because of rate limitation\n\tOutput packet histogram:\n"
            + "\t\tunreach: 1\n\t\techo: 7\n\t\techo reply: 9\n\t\tneighbor solicitation: 2\n"
        let middle: String = "\t0 messages with bad code fields\n\t0 messages < minimum length\n\t0 bad checksums\n"
            + "\t0 messages with bad length\n\tInput packet histogram:\n\t\techo: 9\n\t\techo reply: 7\n"
            + "\t\tneighbor advertisement: 1\n\tHistogram of error messages to be generated:\n\t\t1 no route\n"
            + "\t\t0 administratively prohibited\n"
        let tail: String = "\t\t0 unknown\n\t1 message response generated\n\t0 messages with too many ND options\n"
            + "\t0 messages with bad ND options\n\t0 bad neighbor solicitation messages\n"
            + "\t0 bad neighbor advertisement messages\n\t0 bad router solicitation messages\n"
            + "\t0 bad router advertisement messages\n\t0 bad redirect messages\n\t0 path MTU changes\n"
        #expect(text.hasPrefix(head + middle))
        #expect(text.hasSuffix(tail))
        let ss = StatisticsFormat.icmp6(s, suppressZero: true)
        #expect(!ss.contains("\t0 "))
        #expect(ss.contains("\tHistogram of error messages to be generated:\n\t\t1 no route\n\t1 message response generated\n"))
        #expect(NetstatCommand.parse(["-s", "-p", "icmp6"]).command == .statistics([.icmp6], suppressZero: false))
    }
}
