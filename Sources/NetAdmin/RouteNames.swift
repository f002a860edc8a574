// How route(8) and netstat(1) name addresses: routename() for hosts, netname() for networks.

public enum RouteNames {
    /// routename(): an address, "default" for 0.0.0.0; interfaces as MAC, name or "link#N".
    public static func routename(_ sa: SocketAddress) -> String {
        switch sa {
        case .inet(let a, _): return a == .any ? "default" : a.description
        case .inet6(let a, _, _, _):
            // netstat prints link-local hosts and gateways without their scope.
            return a.isUnspecified ? "default" : a.description
        case .link, .unspec:
            // getnameinfo(NI_NUMERICHOST) of a sockaddr_dl: the address, else the name, else link#N.
            return sa.numericHost()
        }
    }

    /// netname(): the network number without the trailing bytes that are zero and outside the
    /// mask, then "/prefixlen" ("10.0.0/24", "10.4/16", "127/8"); "default" for 0/0.
    public static func netname(_ dst: IPv4Address, mask: IPv4Address) -> String {
        let i = dst.value & mask.value
        if i == 0 && mask.value == 0 { return "default" }
        let len = mask.prefixLength ?? mask.value.nonzeroBitCount
        return trimmed(i, mask: mask.value) + "/\(len)"
    }

    /// The network number without trailing bytes that are zero in both number and mask.
    static func trimmed(_ i: UInt32, mask: UInt32) -> String {
        let a = i >> 24, b = i >> 16 & 0xff, c = i >> 8 & 0xff, d = i & 0xff
        let v = i | mask
        if v & 0xff_ffff == 0 { return "\(a)" }
        if v & 0xffff == 0 { return "\(a).\(b)" }
        if v & 0xff == 0 { return "\(a).\(b).\(c)" }
        return "\(a).\(b).\(c).\(d)"
    }

    /// The destination column of a route: host routes by routename, networks by netname.
    public static func destination(_ r: RouteInfo) -> String {
        switch (r.destination, r.netmask) {
        case (.inet(let d, _), .some(.inet(let m, _))) where r.flags & RTF.HOST == 0:
            return netname(d, mask: m)
        case (.inet6(let b, _, _, let scope), .some(let m)) where m.family == .inet6 && r.flags & RTF.HOST == 0:
            let len = m.netmaskLength ?? 0
            if len == 0 && b.isUnspecified { return "default" }
            // Scoped networks (fe80::/64, ff02::/32) name their interface: "fe80::%lo0/64".
            var text = b.description
            if scope != 0 { text += "%" + r.interface }
            return text + "/\(len)"
        default:
            return routename(r.destination)
        }
    }
}
