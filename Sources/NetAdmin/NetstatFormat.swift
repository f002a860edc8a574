// netstat(1)'s tables: -r (shared with route show), -i/-ib/-id.

public enum NetstatFormat {
    /// `netstat -r`.
    public static func routes(_ routes: [RouteInfo], numeric: Bool, family: AddressFamily? = nil) -> ToolOutput {
        ToolOutput(stdout: RouteFormat.table(routes, numeric: numeric, family: family, lister: .netstat))
    }

    /// `netstat -i`: a <Link> row and a row per address for each interface, each with the
    /// interface's counters. `interface` (-I) limits the rows to one interface.
    public static func interfaces(_ ifs: [InterfaceInfo], columns: NetstatInterfaceColumns = .packets,
                                  interface: String? = nil) -> ToolOutput {
        var s = Text.left("Name", 5) + " " + Text.left("Mtu", 5) + " " + Text.left("Network", 13) + " "
            + Text.left("Address", 17) + " "
        switch columns {
        case .packets:
            s += Text.right("Ipkts", 8) + " " + Text.right("Ierrs", 5) + " " + Text.right("Opkts", 8) + " "
                + Text.right("Oerrs", 5) + " " + Text.right("Colls", 5)
        case .bytes:
            s += Text.right("Ibytes", 10) + " " + Text.right("Obytes", 10)
        case .drops:
            s += Text.right("Ipkts", 8) + " " + Text.right("Ierrs", 5) + " " + Text.right("Idrops", 6) + " "
                + Text.right("Opkts", 8) + " " + Text.right("Oerrs", 5) + " " + Text.right("Colls", 5) + " "
                + Text.right("Odrops", 6)
        }
        s += "\n"
        for ifp in ifs where interface == nil || ifp.name == interface {
            let name = Text.left(ifp.name + (ifp.isUp ? "" : "*"), 5, truncate: true) + " "
                + Text.left(String(ifp.mtu), 5) + " "
            let c = counters(ifp.counters, columns)
            s += name + Text.left("<Link>", 13) + " "
                + Text.left(ifp.linkAddress.map(MACAddress.format) ?? "", 17, truncate: true) + " " + c
            for a in ifp.addresses {
                guard let (net, addr) = networkAndAddress(a) else { continue }
                s += name + Text.left(net, 13, truncate: true) + " " + Text.left(addr, 17, truncate: true) + " " + c
            }
        }
        return ToolOutput(stdout: s)
    }

    static func counters(_ c: InterfaceCounters, _ columns: NetstatInterfaceColumns) -> String {
        switch columns {
        case .packets:
            return Text.right(c.ipackets, 8) + " " + Text.right(c.ierrors, 5) + " " + Text.right(c.opackets, 8) + " "
                + Text.right(c.oerrors, 5) + " " + Text.right(c.collisions, 5) + "\n"
        case .bytes:
            return Text.right(c.ibytes, 10) + " " + Text.right(c.obytes, 10) + "\n"
        case .drops:
            return Text.right(c.ipackets, 8) + " " + Text.right(c.ierrors, 5) + " " + Text.right(c.iqdrops, 6) + " "
                + Text.right(c.opackets, 8) + " " + Text.right(c.oerrors, 5) + " " + Text.right(c.collisions, 5) + " "
                + Text.right(c.oqdrops, 6) + "\n"
        }
    }

    /// The Network and Address columns of an address row.
    static func networkAndAddress(_ a: InterfaceAddressInfo) -> (String, String)? {
        switch (a.address, a.netmask) {
        case (.inet(let addr, _), .inet(let mask, _)):
            return (RouteNames.netname(addr, mask: mask), addr.description)
        case (.inet6(let addr, _, _, _), .inet6(let mask, _, _, _)):
            let net = IPv6Address(high: addr.high & mask.high, low: addr.low & mask.low)
            let len = a.netmask.netmaskLength ?? 0
            return (net.description + "/\(len)", addr.description)
        default:
            return nil
        }
    }
}

extension NetstatFormat {
    /// The Internet socket list (`netstat`, `-a`; the IPv4 entries of `socks`, "addr.port" with
    /// "*" for the wildcard address or port): nothing at all when no socket qualifies. NetBSD
    /// walks the tcp pcblist, then udp's, under one header; only TCP rows have a State.
    public static func sockets(_ socks: [SocketEntry], all: Bool) -> ToolOutput {
        section("Active Internet connections", stateTitle: "State", tcp: "tcp", all: all,
                socks.filter { $0.local.family == .inet && (all || !$0.isServer) },
                endpoint: { Text.left($0.netstatEndpoint(), 22, truncate: true) })
    }

    /// One socket section: the header, the `tcp` rows then the others (protopr/ip6protopr's
    /// pcblist order), each "proto recv-q send-q  local foreign[ state]"; nothing without rows.
    static func section(_ title: String, stateTitle: String, tcp: String, all: Bool, _ listed: [SocketEntry],
                        endpoint: (SocketAddress) -> String) -> ToolOutput {
        let shown = listed.filter { $0.proto == tcp } + listed.filter { $0.proto != tcp }
        guard !shown.isEmpty else { return .success }
        var s = title + (all ? " (including servers)" : "") + "\n"
        s += "Proto Recv-Q Send-Q  " + Text.left("Local Address", 22) + " " + Text.left("Foreign Address", 22) + " \(stateTitle)\n"
        for k in shown {
            s += Text.left(k.proto, 5, truncate: true) + " " + Text.right(k.receiveQueue, 6) + " " + Text.right(k.sendQueue, 6) + "  "
                + endpoint(k.local) + " " + endpoint(k.foreign) + (k.proto == tcp ? " " + k.state : "") + "\n"
        }
        return ToolOutput(stdout: s)
    }

    /// The Internet6 socket list (inet6.c's ip6protopr over the tcp6, then the udp6 pcblist):
    /// one "Active Internet6 connections" header, nothing at all when no socket qualifies.
    /// Without -a, sockets with no foreign address are left out (ip6protopr's test). Addresses
    /// are inet6print's: the host (getnameinfo's text, "%zone" included, `zone` naming a scope
    /// id) cut to 16 characters, ".port" or ".*", the whole cut to 22; a State only on tcp6 rows.
    public static func sockets6(_ socks: [SocketEntry], all: Bool, zone: (UInt32) -> String? = { _ in nil }) -> ToolOutput {
        section("Active Internet6 connections", stateTitle: "(state)", tcp: "tcp6", all: all,
                socks.filter { $0.local.family == .inet6 && (all || !$0.foreign.isUnspecifiedAddress) },
                endpoint: { inet6Endpoint($0, zone: zone) })
    }

    /// inet6print's column: "host.port" with the host cut to 16 characters, padded/cut to 22.
    static func inet6Endpoint(_ a: SocketAddress, zone: (UInt32) -> String?) -> String {
        let host = a.isUnspecifiedAddress ? "*" : a.numericHost(zone: zone)
        return Text.left(String(host.prefix(16)) + "." + (a.port == 0 ? "*" : String(a.port)), 22, truncate: true)
    }

    /// A sysctl netstat needs is missing from the kernel (a kernel without netinet6 for -a).
    public static func sysctlFailed(_ name: String, _ e: NetBSDErrno) -> ToolOutput {
        .errx("netstat", "sysctlnametomib: \(name): \(e.strerror)")
    }
}
