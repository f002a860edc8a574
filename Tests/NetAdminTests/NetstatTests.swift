import Testing
import NetAdmin

func v6(_ words: [UInt16]) -> IPv6Address {
    IPv6Address(bytes: words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] })!
}

func v6mask(_ len: Int) -> SocketAddress {
    .inet6(IPv6Address.mask(prefixLength: len), scopeID: 0)
}

@Suite struct NetstatTests {
    static let f = Vectors.load("f-arp-netstat.txt")
    static let g = Vectors.load("g-routed-3kernels.txt")

    static func entry(_ list: [TranscriptEntry], _ command: String, kernel: String? = nil) -> TranscriptEntry {
        list.first { $0.command == command && (kernel == nil || $0.kernel == kernel) }!
    }

    /// Kernel k1 of f-arp-netstat.txt (netinet6 linked: link-local addresses come first).
    static func k1Interfaces(lo: UInt64, shmif: UInt64, loBytes: UInt64 = 0, shmifBytes: UInt64 = 0) -> [InterfaceInfo] {
        let loC = InterfaceCounters(ipackets: lo, opackets: lo, ibytes: loBytes, obytes: loBytes)
        let shC = InterfaceCounters(ipackets: shmif, opackets: shmif, ibytes: shmifBytes, obytes: shmifBytes)
        let lo0 = InterfaceInfo(name: "lo0", index: 1, flags: IFF.UP | IFF.LOOPBACK | IFF.RUNNING | IFF.MULTICAST, mtu: 33624, addresses: [
            InterfaceAddressInfo(address: .inet6(v6([0, 0, 0, 0, 0, 0, 0, 1]), scopeID: 0), netmask: v6mask(128)),
            InterfaceAddressInfo(address: .inet6(v6([0xfe80, 0, 0, 0, 0, 0, 0, 1]), scopeID: 1), netmask: v6mask(64)),
            .inet(.loopback, netmask: IPv4Address(0xff00_0000)),
        ], counters: loC)
        let shmif0 = InterfaceInfo(name: "shmif0", index: 2, flags: IFF.UP | IFF.BROADCAST | IFF.RUNNING | IFF.SIMPLEX | IFF.MULTICAST,
                                   mtu: 1500, linkAddress: mac("b2:a0:e1:d0:5c:37"), linkstr: "/tmp/lab/bus", addresses: [
            InterfaceAddressInfo(address: .inet6(v6([0xfe80, 0, 0, 0, 0xb0a0, 0xe1ff, 0xfed0, 0x5c37]), scopeID: 2), netmask: v6mask(64)),
            .inet(IPv4Address(10, 0, 0, 1), netmask: IPv4Address(0xffff_ff00), broadcast: IPv4Address(10, 0, 0, 255)),
        ], counters: shC)
        return [lo0, shmif0]
    }

    /// Parses the command, checks it asks for interfaces, formats the models.
    static func interfaces(_ e: TranscriptEntry, _ ifs: [InterfaceInfo]) -> ToolOutput {
        guard case .interfaces(let cols, let name, _, _)? = NetstatCommand.parse(e.arguments).command else {
            Issue.record("\(e.command) is not an interface listing")
            return ToolOutput()
        }
        return NetstatFormat.interfaces(ifs, columns: cols, interface: name)
    }

    @Test func interfaceListings() {
        let cases: [(String, [InterfaceInfo])] = [
            ("netstat -i", Self.k1Interfaces(lo: 33, shmif: 14)),
            ("netstat -in", Self.k1Interfaces(lo: 45, shmif: 14)),
            ("netstat -i -I shmif0", Self.k1Interfaces(lo: 45, shmif: 14)),
            ("netstat -ib", Self.k1Interfaces(lo: 0, shmif: 0, loBytes: 3090, shmifBytes: 932)),
            ("netstat -id", Self.k1Interfaces(lo: 61, shmif: 14)),
            ("netstat -I shmif0 -in", Self.k1Interfaces(lo: 61, shmif: 14)),
        ]
        for (cmd, ifs) in cases {
            let e = Self.entry(Self.f, cmd)
            expectSame(Self.interfaces(e, ifs), e.output, cmd)
        }
        // k3: netinet only.
        let lo = InterfaceInfo(name: "lo0", index: 1, flags: IFF.UP | IFF.LOOPBACK | IFF.RUNNING | IFF.MULTICAST, mtu: 33624,
                               addresses: [.inet(.loopback, netmask: IPv4Address(0xff00_0000))])
        let e3 = Self.entry(Self.f, "netstat -in", kernel: "k3")
        expectSame(Self.interfaces(e3, [lo]), e3.output, "k3 netstat -in")
        // kR of g: two shmif interfaces, both shown as "shmif".
        let up = IFF.UP | IFF.BROADCAST | IFF.RUNNING | IFF.SIMPLEX | IFF.MULTICAST
        let kR = [
            InterfaceInfo(name: "lo0", index: 1, flags: IFF.UP | IFF.LOOPBACK | IFF.RUNNING | IFF.MULTICAST, mtu: 33624,
                          addresses: [.inet(.loopback, netmask: IPv4Address(0xff00_0000))]),
            InterfaceInfo(name: "shmif0", index: 2, flags: up, mtu: 1500, linkAddress: mac("b2:a0:d3:82:2a:4d"),
                          addresses: [.inet(IPv4Address(10, 0, 1, 254), netmask: IPv4Address(0xffff_ff00), broadcast: IPv4Address(10, 0, 1, 255))],
                          counters: InterfaceCounters(ipackets: 34, opackets: 28)),
            InterfaceInfo(name: "shmif1", index: 3, flags: up, mtu: 1500, linkAddress: mac("b2:a0:59:e6:41:0e"),
                          addresses: [.inet(IPv4Address(10, 0, 2, 254), netmask: IPv4Address(0xffff_ff00), broadcast: IPv4Address(10, 0, 2, 255))],
                          counters: InterfaceCounters(ipackets: 21, opackets: 23)),
        ]
        let eg = Self.entry(Self.g, "netstat -in")
        expectSame(Self.interfaces(eg, kR), eg.output, "kR netstat -in")
    }

    static func route(_ dst: IPv4Address, _ mask: IPv4Address?, _ gw: SocketAddress, _ flags: UInt32, _ ifname: String, mtu: UInt32 = 0) -> RouteInfo {
        RouteInfo(destination: .inet(dst), netmask: mask.map { .inet($0) }, gateway: gw, flags: flags, mtu: mtu, interface: ifname)
    }

    static func link(_ i: UInt32) -> SocketAddress { .link(index: i, name: "", address: []) }
    static let lo0Route = route(.loopback, nil, .link(index: 1, name: "lo0", address: []), RTF.UP | RTF.HOST | RTF.LOCAL, "lo0", mtu: 33624)

    @Test func routeListings() {
        // f, k1 with the bogus ARP entry 10.0.0.53 NetBSD added despite "invalid link-level address".
        let k1 = [
            Self.route(IPv4Address(10, 0, 0, 0), IPv4Address(0xffff_ff00), Self.link(2), RTF.UP | RTF.CONNECTED, "shmif0"),
            Self.route(IPv4Address(10, 0, 0, 1), nil, Self.link(2), RTF.UP | RTF.HOST | RTF.LOCAL, "lo0"),
            Self.route(IPv4Address(10, 0, 0, 53), nil, Self.link(2), RTF.UP | RTF.HOST | RTF.STATIC, "shmif0"),
            Self.lo0Route,
        ]
        let e = Self.entry(Self.f, "netstat -rn -f inet")
        guard case .routes(let n, let fam)? = NetstatCommand.parse(e.arguments).command else { Issue.record("not routes"); return }
        expectSame(NetstatFormat.routes(k1, numeric: n, family: fam), e.output, e.command)
        let e3 = Self.entry(Self.f, "netstat -rn", kernel: "k3")
        expectSame(NetstatFormat.routes([Self.lo0Route], numeric: true), e3.output, "k3 netstat -rn")
        let kR = [
            Self.route(IPv4Address(10, 0, 1, 0), IPv4Address(0xffff_ff00), Self.link(2), RTF.UP | RTF.CONNECTED, "shmif0"),
            Self.route(IPv4Address(10, 0, 1, 254), nil, Self.link(2), RTF.UP | RTF.HOST | RTF.LOCAL, "lo0"),
            Self.route(IPv4Address(10, 0, 2, 0), IPv4Address(0xffff_ff00), Self.link(3), RTF.UP | RTF.CONNECTED, "shmif1"),
            Self.route(IPv4Address(10, 0, 2, 254), nil, Self.link(3), RTF.UP | RTF.HOST | RTF.LOCAL, "lo0"),
            Self.lo0Route,
        ]
        expectSame(NetstatFormat.routes(kR, numeric: true), Self.entry(Self.g, "netstat -rn").output, "kR netstat -rn")
        expectSame(RouteFormat.show(kR.sorted(by: RouteInfo.radixOrder)), Self.entry(Self.g, "route -n show", kernel: "kR").output, "kR route -n show")
    }

    static var k1IP: IPStatistics {
        var s = IPStatistics()
        s.total = 871; s.delivered = 871; s.localout = 611; s.rawout = 3
        return s
    }

    static var k1ICMP: ICMPStatistics {
        var s = ICMPStatistics()
        s.error = 56; s.checksum = 1
        s.outhist[3] = 56; s.inhist[0] = 3; s.inhist[3] = 56
        return s
    }

    static var k1ARP: ARPStatistics {
        var s = ARPStatistics()
        s.sndtotal = 8; s.sndrequest = 8; s.rcvtotal = 7; s.rcvreply = 2; s.rcvrequest = 5; s.rcvmcast = 5
        s.rcvzerospa = 3; s.dfrsent = 2
        return s
    }

    /// The section of a `netstat -s` listing that starts with "name:".
    static func section(_ text: String, _ name: String) -> String {
        var out = "", inside = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix("\t") && !line.isEmpty { inside = line == name + ":" }
            if inside && !line.isEmpty { out += line + "\n" }
        }
        return out
    }

    @Test func protocolStatistics() {
        #expect(NetstatCommand.parse(["-s", "-p", "ip"]).command == .statistics([.ip], suppressZero: false))
        expectSame(ToolOutput(stdout: StatisticsFormat.ip(Self.k1IP)), Self.entry(Self.f, "netstat -s -p ip").output, "ip")
        expectSame(ToolOutput(stdout: StatisticsFormat.icmp(Self.k1ICMP)), Self.entry(Self.f, "netstat -s -p icmp").output, "icmp")
        expectSame(ToolOutput(stdout: StatisticsFormat.arp(Self.k1ARP)), Self.entry(Self.f, "netstat -s -p arp").output, "arp")
        // The same sections inside `netstat -s` and `netstat -ss`.
        let all = Self.entry(Self.f, "netstat -s").stdout
        let brief = Self.entry(Self.f, "netstat -ss").stdout
        #expect(Self.section(all, "ip") == StatisticsFormat.ip(Self.k1IP))
        #expect(Self.section(all, "icmp") == StatisticsFormat.icmp(Self.k1ICMP))
        #expect(Self.section(all, "arp") == StatisticsFormat.arp(Self.k1ARP))
        #expect(Self.section(brief, "ip") == StatisticsFormat.ip(Self.k1IP, suppressZero: true))
        #expect(Self.section(brief, "icmp") == StatisticsFormat.icmp(Self.k1ICMP, suppressZero: true))
        #expect(Self.section(brief, "arp") == StatisticsFormat.arp(Self.k1ARP, suppressZero: true))
        // The assembled report keeps NetBSD's order (ip, icmp, ..., arp).
        guard case .statistics(let protos, let z)? = NetstatCommand.parse(["-s"]).command else { Issue.record("-s"); return }
        #expect(StatisticsFormat.report(protos, ip: Self.k1IP, icmp: Self.k1ICMP, arp: Self.k1ARP, suppressZero: z)
                == Self.section(all, "ip") + Self.section(all, "icmp") + Self.section(all, "arp"))
        // kR forwarding.
        var r = IPStatistics()
        r.total = 43; r.delivered = 3; r.forward = 32; r.cantforward = 4; r.localout = 7
        expectSame(ToolOutput(stdout: StatisticsFormat.ip(r)), Self.entry(Self.g, "netstat -s -p ip").output, "kR ip")
        var rt = RouteStatistics()
        rt.unreach = 8
        #expect(NetstatCommand.parse(["-rs"]).command == .routeStatistics)
        expectSame(ToolOutput(stdout: StatisticsFormat.routing(rt)), Self.entry(Self.f, "netstat -rs").output, "netstat -rs")
        #expect(NetstatCommand.parse(["-s", "-f", "inet"]).command == .statistics([.tcp, .udp, .ip, .icmp, .igmp, .carp], suppressZero: false))
        #expect(NetstatCommand.parse(["-ss"]).command == .statistics(NetstatProtocol.allCases, suppressZero: true))
    }

    /// Commands whose whole answer comes from the parser.
    @Test func argumentErrors() {
        for cmd in ["netstat -q", "netstat -g", "netstat -B", "netstat -p nosuchproto", "netstat -f nosuchfamily -rn", "netstat -x"] {
            let e = Self.entry(Self.f, cmd)
            guard let out = NetstatCommand.parse(e.arguments).output else { Issue.record("\(cmd) parsed as a command"); continue }
            expectSame(out, e.output, cmd)
        }
    }
}

/// The Internet6 part of f-arp-netstat.txt's routing tables (kernel k1, netinet6 linked),
/// to keep the table formatter ready for the IPv6 step.
@Suite struct NetstatInet6Tests {
    static func r6(_ dst: [UInt16], _ len: Int?, scope: UInt32 = 0, _ gw: SocketAddress, _ flags: UInt32, _ ifname: String, mtu: UInt32 = 0) -> RouteInfo {
        RouteInfo(destination: .inet6(v6(dst), scopeID: scope), netmask: len.map { v6mask($0) }, gateway: gw, flags: flags,
                  mtu: mtu, interface: ifname)
    }

    static var k1Routes: [RouteInfo] {
        let link2 = SocketAddress.link(index: 2, name: "", address: [])
        let lo0 = SocketAddress.link(index: 1, name: "lo0", address: [])
        let loop6 = SocketAddress.inet6(v6([0, 0, 0, 0, 0, 0, 0, 1]), scopeID: 0)
        return [
            NetstatTests.route(IPv4Address(10, 0, 0, 0), IPv4Address(0xffff_ff00), NetstatTests.link(2), RTF.UP | RTF.CONNECTED, "shmif0"),
            NetstatTests.route(IPv4Address(10, 0, 0, 1), nil, NetstatTests.link(2), RTF.UP | RTF.HOST | RTF.LOCAL, "lo0"),
            NetstatTests.route(IPv4Address(10, 0, 0, 53), nil, NetstatTests.link(2), RTF.UP | RTF.HOST | RTF.STATIC, "shmif0"),
            NetstatTests.lo0Route,
            r6([0, 0, 0, 0, 0, 0, 0, 1], nil, loop6, RTF.UP | RTF.HOST, "lo0", mtu: 33624),
            r6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 64, scope: 1, .inet6(v6([0xfe80, 0, 0, 0, 0, 0, 0, 1]), scopeID: 1), RTF.UP, "lo0"),
            r6([0xfe80, 0, 0, 0, 0, 0, 0, 1], nil, scope: 1, lo0, RTF.UP | RTF.HOST | RTF.LOCAL, "lo0"),
            r6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 64, scope: 2, link2, RTF.UP | RTF.CONNECTED, "shmif0"),
            r6([0xfe80, 0, 0, 0, 0xb0a0, 0xe1ff, 0xfed0, 0x5c37], nil, scope: 2, link2, RTF.UP | RTF.HOST | RTF.LOCAL, "lo0"),
            // KAME embeds the interface index of interface-local multicast in the address.
            r6([0xff01, 1, 0, 0, 0, 0, 0, 0], 32, loop6, RTF.UP | RTF.CONNECTED, "lo0", mtu: 33624),
            r6([0xff01, 2, 0, 0, 0, 0, 0, 0], 32, link2, RTF.UP | RTF.CONNECTED, "shmif0"),
            r6([0xff02, 0, 0, 0, 0, 0, 0, 0], 32, scope: 1, loop6, RTF.UP | RTF.CONNECTED, "lo0", mtu: 33624),
            r6([0xff02, 0, 0, 0, 0, 0, 0, 0], 32, scope: 2, link2, RTF.UP | RTF.CONNECTED, "shmif0"),
        ]
    }

    @Test(arguments: ["netstat -r", "netstat -rn", "netstat -rnL", "netstat -rn -f inet6"])
    func routeTables(command: String) {
        for e in NetstatTests.f where e.command == command && e.kernel == "k1" {
            guard case .routes(let n, let fam)? = NetstatCommand.parse(e.arguments).command else { Issue.record("not routes"); return }
            // Listings before `arp -s 10.0.0.53 zz:zz` lack the bogus route it left behind.
            let bogus = e.stdout.contains("10.0.0.53")
            let routes = Self.k1Routes.filter { bogus || $0.destination != .inet(IPv4Address(10, 0, 0, 53)) }
            expectSame(NetstatFormat.routes(routes, numeric: n, family: fam), e.output, "line \(e.line): \(command)")
        }
    }

    @Test func ifconfigWithLinkLocal() {
        let e = NetstatTests.f.first { $0.command == "ifconfig shmif0" && $0.kernel == "k1" }!
        var ifp = NetstatTests.k1Interfaces(lo: 0, shmif: 0)[1]
        expectSame(IfconfigFormat.show(ifp), e.output, e.command)
        // k2: the peer.
        let e2 = NetstatTests.f.first { $0.command == "ifconfig shmif0" && $0.kernel == "k2" }!
        ifp.linkAddress = mac("b2:a0:9f:68:17:e1")
        ifp.addresses = [
            InterfaceAddressInfo(address: .inet6(v6([0xfe80, 0, 0, 0, 0xb0a0, 0x9fff, 0xfe68, 0x17e1]), scopeID: 2), netmask: v6mask(64)),
            .inet(IPv4Address(10, 0, 0, 2), netmask: IPv4Address(0xffff_ff00), broadcast: IPv4Address(10, 0, 0, 255)),
        ]
        expectSame(IfconfigFormat.show(ifp), e2.output, e2.command)
    }
}

@Suite struct NetstatSocketTests {
    @Test func socketLists() throws {
        let f = NetstatTests.f
        let listener = SocketEntry(proto: "tcp", local: .inet(.any, port: 5001), foreign: .inet(.any), state: "LISTEN")
        for cmd in ["netstat -a", "netstat -an", "netstat -an -f inet", "netstat -na -f inet6", "netstat -na -f unix"] {
            let e = f.first { $0.command == cmd }!
            guard case .sockets(let all, _, let fam)? = NetstatCommand.parse(e.arguments).command else { Issue.record("not a socket list: \(cmd)"); continue }
            // Only IPv4 sockets exist; other families list nothing.
            let socks = fam == nil || fam == .inet ? [listener] : []
            expectSame(NetstatFormat.sockets(socks, all: all), e.output, cmd)
        }
        // After the transfer: k1 has nothing left, k2 a TIME_WAIT connection.
        let empty = f.first { $0.command == "netstat -an" && $0.stdout.isEmpty }!
        expectSame(NetstatFormat.sockets([], all: true), empty.output, "netstat -an (after)")
        let tw = f.first { $0.command == "netstat -an -f inet" && $0.kernel == "k2" }!
        let conn = SocketEntry(proto: "tcp", local: .inet(IPv4Address(10, 0, 0, 2), port: 62990),
                               foreign: .inet(IPv4Address(10, 0, 0, 1), port: 5001), state: "TIME_WAIT")
        expectSame(NetstatFormat.sockets([conn], all: true), tw.output, "k2 netstat -an -f inet")
        #expect(NetstatFormat.sockets([listener], all: false) == .success)
        let k3 = f.first { $0.command == "netstat -an" && $0.kernel == "k3" }!
        expectSame(NetstatFormat.sysctlFailed("net.inet6.udp6.pcblist", .ENOENT), k3.output, "k3 netstat -an")
    }
}

/// Random argument lists: every parser answers (a command or an output), none traps.
@Suite struct ParserRobustnessTests {
    static let words = ["-", "--", "", "-a", "-n", "-c", "-s", "-i", "-I", "-f", "-p", "-T", "-w", "-v", "-q", "-d", "-l", "-u",
                        "-rn", "-c0", "-s65508", "inet", "inet6", "alias", "-alias", "delete", "netmask", "prefixlen", "mtu",
                        "linkstr", "-linkstr", "create", "destroy", "up", "down", "add", "change", "get", "show", "flush",
                        "-net", "-host", "-netmask", "default", "10.0.0.1", "10.0.0.1/", "10.0.0.1/99", "/", "10.0.0.300",
                        "0x", "0xffffffffffffffffff", "99999999999999999999999", "-1", "nan", "inf", "shmif0", "b2:a0:0:0:0:1",
                        "zz:zz", "temp", "pub", "proxy", "::1", "fd00::1/200", "é", "\u{0}", "-\u{0}"]

    @Test func randomArguments() {
        var state: UInt64 = 12345
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33)
        }
        for _ in 0..<20000 {
            let n = next() % 7
            let args = (0..<n).map { _ in Self.words[next() % Self.words.count] }
            _ = IfconfigCommand.parse(args)
            _ = RouteCommand.parse(args)
            _ = ArpCommand.parse(args)
            _ = NetstatCommand.parse(args)
            _ = PingOptions.parse(args)
        }
    }
}

@Suite struct SysctlLineTests {
    @Test func forwardingLines() {
        let g = NetstatTests.g
        let name = "net.inet.ip.forwarding"
        expectSame(ToolOutput(stdout: SysctlFormat.line(SysctlEntry(name: name, value: .int(1)))),
                   g.first { $0.command == "sysctl net.inet.ip.forwarding" }!.output, "sysctl")
        for (old, new) in [(Int32(1), Int32(1)), (1, 0), (0, 1)] {
            let e = g.first { $0.command == "sysctl -w \(name)=\(new)" && $0.stdout.contains("\(old) -> \(new)") }!
            expectSame(ToolOutput(stdout: SysctlFormat.changed(name, from: .int(old), to: .int(new))), e.output, e.command)
        }
        #expect(SysctlFormat.line(SysctlEntry(name: "kern.hostname", value: .string("x")), equalsOnly: true) == "kern.hostname=x\n")
        #expect(SysctlFormat.line(SysctlEntry(name: "kern.hostname", value: .string("x")), valueOnly: true) == "x\n")
    }
}

/// netstat's "Active Internet6 connections" (inet6.c's ip6protopr/inet6print).
@Suite struct NetstatInet6SocketTests {
    static let listener = SocketEntry(proto: "tcp6", local: .inet6(.any, port: 5001), foreign: .inet6(.any),
                                      state: "LISTEN")
    static let conn = SocketEntry(proto: "tcp6", local: .inet6(v6([0xfd00, 0, 0, 0, 0, 0, 0, 1]), port: 5001),
                                  foreign: .inet6(v6([0xfd00, 0, 0, 0, 0, 0, 0, 2]), port: 65000),
                                  receiveQueue: 12, sendQueue: 3, state: "ESTABLISHED")
    /// Link-local on interface 2: "%shmif0" is part of the host, cut with it to 16 characters.
    static let linkLocal = SocketEntry(proto: "tcp6", local: .inet6(v6([0xfe80, 0, 0, 0, 0xb0a0, 0x9fff, 0xfe68, 0x17e1]), port: 22, scopeID: 2),
                                       foreign: .inet6(v6([0xfe80, 0, 0, 0, 0, 0, 0, 1]), port: 1234, scopeID: 2), state: "ESTABLISHED")
    static let long = SocketEntry(proto: "tcp6", local: .inet6(v6([0x2001, 0xdb8, 0x1234, 0x5678, 0x9abc, 0xdef0, 0x1234, 0x5678]), port: 443),
                                  foreign: .inet6(v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x99]), port: 40000), state: "TIME_WAIT")
    static let udpServer = SocketEntry(proto: "udp6", local: .inet6(.any, port: 53), foreign: .inet6(.any))
    static let udpConn = SocketEntry(proto: "udp6", local: .inet6(v6([0xfd00, 0, 0, 0, 0, 0, 0, 1]), port: 4000),
                                     foreign: .inet6(v6([0xfd00, 0, 0, 0, 0, 0, 0, 2]), port: 4001))
    static let v4 = SocketEntry(proto: "tcp", local: .inet(.any, port: 5001), foreign: .inet(.any), state: "LISTEN")

    static let header = "Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)\n"
    static let rows = [
        "tcp6       0      0  *.5001                 *.*                    LISTEN\n",
        "tcp6      12      3  fd00::1.5001           fd00::2.65000          ESTABLISHED\n",
        "tcp6       0      0  fe80::b0a0:9fff:.22    fe80::1%shmif0.1234    ESTABLISHED\n",
        "tcp6       0      0  2001:db8:1234:56.443   2001:db8::99.40000     TIME_WAIT\n",
        "udp6       0      0  *.53                   *.*                   \n",
        "udp6       0      0  fd00::1.4000           fd00::2.4001          \n",
    ]

    @Test func formatsAsInet6Print() {
        let zone: (UInt32) -> String? = { $0 == 2 ? "shmif0" : nil }
        // udp6 rows come after the tcp6 ones whatever the kernel's order; IPv4 rows are not here.
        let socks = [Self.udpServer, Self.listener, Self.v4, Self.conn, Self.udpConn, Self.linkLocal, Self.long]
        #expect(NetstatFormat.sockets6(socks, all: true, zone: zone).stdout
                == "Active Internet6 connections (including servers)\n" + Self.header + Self.rows.joined())
        // Without -a: only sockets with a foreign address.
        #expect(NetstatFormat.sockets6(socks, all: false, zone: zone).stdout
                == "Active Internet6 connections\n" + Self.header + Self.rows[1] + Self.rows[2] + Self.rows[3] + Self.rows[5])
        #expect(NetstatFormat.sockets6([Self.listener, Self.udpServer, Self.v4], all: false, zone: zone) == .success)
        // A zone without an interface name is its number (NI_NUMERICSCOPE's form).
        #expect(NetstatFormat.sockets6([Self.linkLocal], all: true).stdout.hasSuffix(
            "tcp6       0      0  fe80::b0a0:9fff:.22    fe80::1%2.1234         ESTABLISHED\n"))
    }

    @Test func familiesSelectSections() {
        let k = FakeKernel()
        k.hasInet6 = true
        k.ifnet.append(InterfaceInfo(name: "shmif0", index: 2, flags: IFF.UP, mtu: 1500))
        k.socketTable = [Self.linkLocal, Self.v4, Self.udpServer]
        let v4 = "Active Internet connections (including servers)\n"
            + "Proto Recv-Q Send-Q  Local Address          Foreign Address        State\n"
            + "tcp        0      0  *.5001                 *.*                    LISTEN\n"
        let v6 = "Active Internet6 connections (including servers)\n" + Self.header + Self.rows[2] + Self.rows[4]
        #expect(k.netstat(["-an"]).stdout == v4 + v6)
        #expect(k.netstat(["-an", "-f", "inet"]).stdout == v4)
        #expect(k.netstat(["-a", "-f", "inet6"]).stdout == v6)
        #expect(k.netstat(["-n", "-f", "inet6"]).stdout == "Active Internet6 connections\n" + Self.header + Self.rows[2])
        // No netinet6: netstat stops at the inet6 pcblist's sysctl.
        k.hasInet6 = false
        let out = k.netstat(["-an", "-f", "inet6"])
        #expect(out.stdout.isEmpty && out.stderr == "netstat: sysctlnametomib: net.inet6.udp6.pcblist: No such file or directory\n"
                && out.status == 1)
    }
}
