// The one socket address of the project (struct sockaddr_in, sockaddr_in6, sockaddr_dl): what
// bind/connect/sendto carry, what a kernel reports for interfaces, routes and sockets, and what
// the utilities print. RumpProtocol encodes it (docs/PROTOCOL.md, SockAddr); the text forms
// here are the ones NetBSD's tools print: getnameinfo(NI_NUMERICHOST) with `%zone` scopes,
// netstat's "addr.port" and route's "link#N".

public enum SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// AF_UNSPEC: no address (connect(2) with it dissolves a datagram association).
    case unspec
    /// sockaddr_in.
    case inet(IPv4Address, port: UInt16 = 0)
    /// sockaddr_in6; `scopeID` is the interface index of a scoped (link-local) address.
    case inet6(IPv6Address, port: UInt16 = 0, flowInfo: UInt32 = 0, scopeID: UInt32 = 0)
    /// sockaddr_dl: interface index, name (may be empty), interface type (IFT_*, 0 when not
    /// known) and link-level address (may be empty).
    case link(index: UInt32, name: String = "", type: UInt8 = 0, address: [UInt8] = [])

    /// An IP address of either family with a port.
    public init(_ address: IPAddress, port: UInt16 = 0, scopeID: UInt32 = 0) {
        switch address {
        case .v4(let a): self = .inet(a, port: port)
        case .v6(let a): self = .inet6(a, port: port, scopeID: scopeID)
        }
    }

    public var family: AddressFamily {
        switch self {
        case .unspec: return .unspec
        case .inet: return .inet
        case .inet6: return .inet6
        case .link: return .link
        }
    }

    /// The port of an Internet address; 0 for the others.
    public var port: UInt16 {
        switch self {
        case .inet(_, let p), .inet6(_, let p, _, _): return p
        case .unspec, .link: return 0
        }
    }

    /// The same address with another port (Internet addresses; others unchanged).
    public func withPort(_ port: UInt16) -> SocketAddress {
        switch self {
        case .inet(let a, _): return .inet(a, port: port)
        case .inet6(let a, _, let f, let s): return .inet6(a, port: port, flowInfo: f, scopeID: s)
        case .unspec, .link: return self
        }
    }

    /// The IPv4 address, if this is a sockaddr_in.
    public var ipv4: IPv4Address? {
        if case .inet(let a, _) = self { return a }
        return nil
    }

    /// The IPv6 address, if this is a sockaddr_in6.
    public var ipv6: IPv6Address? {
        if case .inet6(let a, _, _, _) = self { return a }
        return nil
    }

    /// The IP address of either family; nil for AF_UNSPEC and AF_LINK.
    public var ipAddress: IPAddress? {
        switch self {
        case .inet(let a, _): return .v4(a)
        case .inet6(let a, _, _, _): return .v6(a)
        case .unspec, .link: return nil
        }
    }

    /// The wildcard address (INADDR_ANY, in6addr_any) with no port, and AF_UNSPEC.
    public var isUnspecifiedAddress: Bool {
        switch self {
        case .unspec: return true
        case .inet(let a, _): return a.isAny
        case .inet6(let a, _, _, _): return a.isUnspecified
        case .link: return false
        }
    }

    /// The one bits of a netmask held as an address (what ifconfig's "prefixlen" and netstat's
    /// "/len" count); nil for AF_UNSPEC and AF_LINK.
    public var netmaskLength: Int? {
        switch self {
        case .inet(let m, _): return m.value.nonzeroBitCount
        case .inet6(let m, _, _, _): return m.high.nonzeroBitCount + m.low.nonzeroBitCount
        case .unspec, .link: return nil
        }
    }

    // MARK: text

    /// getnameinfo(NI_NUMERICHOST): "10.0.0.1"; "fe80::1%shmif0" for a scoped IPv6 address
    /// (`zone` names the interface of a scope id; without a name the number is written, as
    /// NetBSD does with NI_NUMERICSCOPE); a sockaddr_dl as its link address, else its name, else
    /// "link#N"; "" for AF_UNSPEC.
    public func numericHost(zone: (UInt32) -> String? = { _ in nil }) -> String {
        switch self {
        case .unspec: return ""
        case .inet(let a, _): return a.description
        case .inet6(let a, _, _, let scope):
            let text = a.description
            guard scope != 0 else { return text }
            return text + "%" + (zone(scope) ?? String(scope))
        case .link(let index, let name, _, let address):
            if !address.isEmpty { return MACAddress.format(address) }
            if !name.isEmpty { return name }
            return "link#\(index)"
        }
    }

    public var description: String { numericHost() }

    /// netstat's "addr.port" (inetprint/inet6print): "*" for the wildcard address or port.
    public func netstatEndpoint(zone: (UInt32) -> String? = { _ in nil }) -> String {
        let host = isUnspecifiedAddress ? "*" : numericHost(zone: zone)
        return host + "." + (port == 0 ? "*" : String(port))
    }

    /// Numeric host text as the tools accept it: an IPv4 address (inet_pton), an IPv6 address
    /// with an optional "%zone" (`zoneIndex` turns the zone's text into an interface index; by
    /// default only a number is accepted), or "link#N". nil for anything else.
    public init?(numericHost text: some StringProtocol, port: UInt16 = 0,
                 zoneIndex: (Substring) -> UInt32? = { UInt32($0) }) {
        let s = Substring(text)
        if let a = IPv4Address(s) {
            self = .inet(a, port: port)
        } else if let (a, zone) = IPv6Address.parse(scoped: s) {
            var scope: UInt32 = 0
            if let zone {
                guard let z = zoneIndex(zone) else { return nil }
                scope = z
            }
            self = .inet6(a, port: port, scopeID: scope)
        } else if s.hasPrefix("link#"), let n = UInt32(s.dropFirst(5)), s.dropFirst(5).allSatisfy(\.isNumber) {
            self = .link(index: n)
        } else {
            return nil
        }
    }
}
