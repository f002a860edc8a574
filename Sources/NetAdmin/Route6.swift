// route(8)'s IPv6 requests (`-inet6`): add/change/delete/get of inet6 destinations, and the
// order and names of the Internet6 table.

/// `route -inet6 add|change|delete`: the routing message's inet6 contents.
public struct Route6Request: Sendable, Equatable {
    public var destination: IPv6Address
    /// nil for host routes.
    public var prefixLength: Int?
    /// The zone of a scoped destination ("fe80::%shmif0/64"), as text.
    public var destinationZone: String?
    public var gateway: IPv6Address?
    public var gatewayZone: String?
    /// RTF_* bits: UP and STATIC always, GATEWAY unless -iface, HOST, REJECT, BLACKHOLE.
    public var flags: UInt32
    public var mtu: UInt32
    public var interface: String?
    /// What route(8) echoes: IPv6 destinations keep their "/len" ("fd01::/64", "default").
    public var destinationText: String
    public var gatewayText: String?

    public var isHost: Bool { prefixLength == nil }

    public init(destination: IPv6Address, prefixLength: Int?, destinationZone: String? = nil, gateway: IPv6Address?,
                gatewayZone: String? = nil, flags: UInt32, mtu: UInt32 = 0, interface: String? = nil,
                destinationText: String, gatewayText: String?) {
        self.destination = destination
        self.prefixLength = prefixLength
        self.destinationZone = destinationZone
        self.gateway = gateway
        self.gatewayZone = gatewayZone
        self.flags = flags
        self.mtu = mtu
        self.interface = interface
        self.destinationText = destinationText
        self.gatewayText = gatewayText
    }
}

public enum Route6Command: Sendable, Equatable {
    case add(Route6Request)
    case change(Route6Request)
    case delete(Route6Request)
    /// `route get -inet6 ADDR`.
    case get(IPv6Address, zone: String?)
}

extension RouteCommand {
    /// add/change/delete/get with `-inet6` among the words.
    static func parse6(_ cmd: String, _ o: RouteOptions, _ words: [String], _ resolver: HostResolver) -> ParseOutcome<RouteCommand> {
        let usage = ParseOutcome<RouteCommand>.exit(ToolOutput(stderr: RouteFormat.usage, status: 1))
        let (parsed, failure) = Qualifiers.parse(words)
        guard let q = parsed else { return failure! }
        let forceHost = q.forceHost, forceNet = q.forceNet, iface = q.iface, positional = q.positional
        var flags = q.flags & ~RTF.LLINFO
        var prefix: Int?
        if let v = q.netmask {
            guard let m = IPv6Address(v), let n = m.prefixLength else { return badValue(v) }
            prefix = n
        }
        if let v = q.prefixLength {
            guard let n = Int(v), (0...128).contains(n) else { return badValue(v) }
            prefix = n
        }
        let mtu = q.mtu, ifp = q.ifp
        guard let dstWord = positional.first else { return usage }
        guard positional.count <= (cmd == "get" ? 1 : 2) else { return botched(positional[cmd == "get" ? 1 : 2]) }
        var dst: IPv6Address
        var zone: String?
        if dstWord == "default" {
            dst = .any
            prefix = 0
        } else {
            var text = Substring(dstWord)
            if let slash = dstWord.firstIndex(of: "/") {
                text = dstWord[..<slash]
                guard let n = Int(dstWord[dstWord.index(after: slash)...]), (0...128).contains(n) else { return badValue(dstWord) }
                if !forceHost { prefix = n }
            }
            guard let r = resolver.resolve6(String(text)) else { return badValue(String(text)) }
            dst = r.address
            zone = r.zone
        }
        if cmd == "get" { return .run(.inet6(o, .get(dst, zone: zone))) }
        if forceHost { prefix = nil }
        if forceNet && prefix == nil { prefix = 64 }
        if let p = prefix { dst = dst.masked(prefixLength: p) } else { flags |= RTF.HOST }
        var gateway: IPv6Address?
        var gatewayZone: String?
        var gwText: String?
        if positional.count == 2 {
            gwText = positional[1]
            guard let g = resolver.resolve6(positional[1]) else { return badValue(positional[1]) }
            gateway = g.address
            gatewayZone = g.zone
        } else if cmd != "delete" {
            return .exit(.errx("route", "missing gateway specification"))
        }
        if !iface && gateway != nil { flags |= RTF.GATEWAY }
        let req = Route6Request(destination: dst, prefixLength: prefix, destinationZone: zone, gateway: gateway,
                                gatewayZone: gatewayZone, flags: flags, mtu: mtu, interface: ifp,
                                destinationText: dstWord, gatewayText: gwText)
        switch cmd {
        case "add": return .run(.inet6(o, .add(req)))
        case "change": return .run(.inet6(o, .change(req)))
        default: return .run(.inet6(o, .delete(req)))
        }
    }
}

extension RouteFormat {
    /// The echo of an inet6 add/change/delete ("add net fd01::/64: gateway fd00::2").
    public static func change6(_ verb: String, _ req: Route6Request, options: RouteOptions = RouteOptions(),
                               error: NetBSDErrno? = nil) -> ToolOutput {
        echo(verb, isHost: req.isHost, req.destinationText, gateway: req.gatewayText, options: options, error: error)
    }
}

extension RouteInfo {
    /// The order NetBSD's radix tree walk lists IPv6 routes in: by the KAME form of the
    /// destination (the scope embedded in the second word, so fe80::%lo0/64 sorts before
    /// fe80::%shmif0/64), shorter prefixes first for equal destinations.
    public static func radixOrder6(_ a: RouteInfo, _ b: RouteInfo) -> Bool {
        func key(_ r: RouteInfo) -> (IPv6Address, Int) {
            guard case .inet6(let d, _, _, let scope) = r.destination else { return (.any, 0) }
            let len = r.flags & RTF.HOST != 0 || r.netmask == nil ? 129 : r.netmask?.netmaskLength ?? 128
            return (d.needsScope ? d.embeddingScope(UInt16(truncatingIfNeeded: scope)) : d, len)
        }
        let ka = key(a), kb = key(b)
        return ka.0 != kb.0 ? ka.0 < kb.0 : ka.1 < kb.1
    }

    /// IPv4 routes in radixOrder, then IPv6 routes in radixOrder6, then the rest.
    public static func tableOrder(_ routes: [RouteInfo]) -> [RouteInfo] {
        routes.filter { $0.family == .inet }.sorted(by: radixOrder)
            + routes.filter { $0.family == .inet6 }.sorted(by: radixOrder6)
            + routes.filter { $0.family != .inet && $0.family != .inet6 }
    }
}
