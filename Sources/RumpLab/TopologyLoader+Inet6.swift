// IPv6 in topology files (docs/TOPOLOGY.md): interface addresses in the same `addresses`
// list as IPv4 ones, routes with IPv6 destinations and gateways (link-local ones with their
// interface), ping6 checks, net.inet6.ip6.forwarding. Every mistake is reported at its JSON
// path, one message each, as for IPv4.

extension Validator {
    /// IPv6 text (an address, a prefix, "fe80::1%shmif0"): IPv4 text never holds a colon.
    static func isInet6Text(_ s: String) -> Bool { s.contains(":") }

    /// A route whose destination or gateway is IPv6 (a mixed one is judged as IPv6 and refused there).
    static func isInet6Route(_ v: JSONValue) -> Bool {
        guard let o = v.objectValue else { return false }
        return o.contains { ($0.key == "destination" || $0.key == "gateway") && $0.value.stringValue.map(isInet6Text) == true }
    }

    /// The IPv6 entries of an `addresses` array, each one judged on its own (the IPv4 ones
    /// are `addresses`'s).
    mutating func addresses6(_ f: [JSONMember], _ path: JSONPath) -> [IPv6Prefix] {
        guard let list = value(f, "addresses")?.arrayValue else { return [] }
        var out: [IPv6Prefix] = []
        var at: [Int] = []
        for (i, av) in list.enumerated() {
            guard let s = av.stringValue, Self.isInet6Text(s) else { continue }
            if let a = interfaceAddress6(s, path.key("addresses").index(i), at: av.position) { out.append(a); at.append(i) }
        }
        addressIndexes6[path.description] = at
        return out
    }

    mutating func interfaceAddress6(_ s: String, _ path: JSONPath, at pos: SourcePosition) -> IPv6Prefix? {
        if s.contains("%") {
            error(path, "address \"\(s)\" has a zone; an interface's address is written without one (fd00::1/64)", at: pos)
            return nil
        }
        switch IPv6Prefix.parse(s) {
        case .failure(.missingLength):
            error(path, "address \"\(s)\" has no prefix length (write it as \(s)/64, for example)", at: pos)
            return nil
        case .failure(.badAddress):
            error(path, "malformed IPv6 address \"\(s)\" (expected an address such as fd00::1/64)", at: pos)
            return nil
        case let .failure(.badLength(l)):
            error(path, "bad prefix length \"\(l)\" in \"\(s)\" (expected 1...128)", at: pos)
            return nil
        case let .success(p):
            let a = p.address
            if p.length == 0 {
                error(path, "bad prefix length \"0\" in \"\(s)\" (expected 1...128)", at: pos)
                return nil
            }
            if a.isUnspecified || a.isLoopback || a.isMulticast || a.isV4Mapped {
                error(path, "\(a) is not usable as an interface address (::, ::1, multicast and IPv4-mapped are not)", at: pos)
                return nil
            }
            if a.isLinkLocal {
                error(path, "\(a) is a link-local address: NetBSD forms each interface's link-local address itself "
                      + "(fe80::/64 from its MAC address), so leave it out", at: pos)
                return nil
            }
            // RFC 4291 2.6.1: all-zero host bits are the subnet-router anycast address (/127 and
            // /128 excepted, RFC 6164).
            if p.length < 127 && !p.hasHostBits {
                error(path, "\(a) is the subnet-router anycast address of \(p.network); use a host address", at: pos)
                return nil
            }
            return p
        }
    }

    /// A route with an IPv6 destination or gateway: "default" (::/0), "fd01::/64", a host
    /// "fd01::5" (/128); the gateway on a prefix of one of the node's up interfaces, or a
    /// link-local one with its interface ("fe80::1%shmif0").
    mutating func route6(_ v: JSONValue, _ path: JSONPath, interfaces: [Interface]?) -> Route6? {
        guard let f = members(v, path, allowed: Fields.route) else { return nil }
        var dest: IPv6Prefix?
        var destText: String?
        if case let .some(.some(d)) = string(f, "destination", path, required: true) {
            let pos = value(f, "destination")?.position
            destText = d
            if d == "default" {
                dest = IPv6Prefix(address: .any, length: 0)
            } else if !Self.isInet6Text(d) {
                // Judged with the gateway below (mixed families).
            } else {
                switch IPv6Prefix.parse(d, defaultLength: 128) {
                case let .success(p):
                    if p.hasHostBits {
                        error(path.key("destination"), "route destination \"\(d)\" has host bits set (the network is \(p.network))", at: pos)
                    } else if p.address.isMulticast || p.address.isLinkLocal && p.length >= 10 {
                        error(path.key("destination"), "route destination \"\(d)\" is \(p.address.isMulticast ? "multicast" : "link-local"); "
                              + "route global or unique local prefixes", at: pos)
                    } else { dest = p }
                case .failure(.badLength(let l)):
                    error(path.key("destination"), "bad prefix length \"\(l)\" in route destination \"\(d)\" (expected 0...128)", at: pos)
                case .failure:
                    error(path.key("destination"), "malformed route destination \"\(d)\" (expected \"default\", an IPv6 prefix such as fd01::/64 or an address)", at: pos)
                }
            }
        }
        var gateway: (IPv6Address, String?)?
        if case let .some(.some(g)) = string(f, "gateway", path, required: true) {
            let pos = value(f, "gateway")?.position
            if let d = destText, d != "default", !Self.isInet6Text(d) {
                error(path.key("gateway"), "gateway \(g) is IPv6 but destination \(d) is IPv4 (a route's gateway is of its destination's family)", at: pos)
            } else if !Self.isInet6Text(g) {
                error(path.key("gateway"), "gateway \(g) is IPv4 but destination \(destText ?? "") is IPv6 (a route's gateway is of its destination's family)", at: pos)
            } else if let (a, zone) = IPv6Address.parse(scoped: g), !a.isUnspecified, !a.isMulticast, !a.isLoopback {
                gateway = gateway6(a, zone.map(String.init), text: g, path.key("gateway"), at: pos, interfaces: interfaces)
            } else if g.hasSuffix("%") || IPv6Address(g.split(separator: "%", maxSplits: 1).first ?? "") != nil {
                error(path.key("gateway"), "gateway \"\(g)\" is not a unicast address with an optional interface (fe80::1%shmif0)", at: pos)
            } else {
                error(path.key("gateway"), "malformed gateway address \"\(g)\" (expected an IPv6 address such as fd00::1 or fe80::1%shmif0)", at: pos)
            }
        }
        guard let dest, let gateway else { return nil }
        return Route6(destination: dest, gateway: gateway.0, zone: gateway.1)
    }

    /// The gateway's rules: a link-local one names an up interface of the node; any other is
    /// on a prefix of one of its up interfaces and is not its own address.
    mutating func gateway6(_ a: IPv6Address, _ zone: String?, text g: String, _ path: JSONPath, at pos: SourcePosition?,
                           interfaces: [Interface]?) -> (IPv6Address, String?)? {
        if a.isLinkLocal {
            guard let zone else {
                let example = interfaces?.first(where: \.up)?.name ?? "shmif0"
                error(path, "link-local gateway \(a) needs its interface (write it as \(a)%\(example))", at: pos)
                return nil
            }
            guard let interfaces else { return (a, zone) }
            guard let i = interfaces.first(where: { $0.name == zone }) else {
                error(path, "gateway \(g): this node has no interface \(zone)"
                      + (interfaces.isEmpty ? "" : " (it has \(interfaces.map(\.name).joined(separator: ", ")))"), at: pos)
                return nil
            }
            guard i.up else {
                error(path, "gateway \(g): interface \(zone) is configured down", at: pos)
                return nil
            }
            return (a, zone)
        }
        if zone != nil {
            error(path, "gateway \(g): only a link-local gateway takes an interface (%zone)", at: pos)
            return nil
        }
        guard let interfaces else { return (a, nil) }
        let prefixes = interfaces.filter(\.up).flatMap(\.addresses6)
        if prefixes.contains(where: { $0.address == a }) {
            error(path, "gateway \(a) is this node's own address", at: pos)
            return nil
        }
        guard prefixes.contains(where: { $0.contains(a) }) else {
            let list = prefixes.map { $0.network.description }
            error(path, "gateway \(a) is not on any prefix of this node's interfaces"
                  + (list.isEmpty ? " (it has no IPv6 addresses; a link-local gateway is written fe80::1%shmif0)" : " (\(list.joined(separator: ", ")))"),
                  at: pos)
            return nil
        }
        return (a, nil)
    }

    /// The same IPv6 address twice in the lab (host taps included).
    mutating func crossNodeChecks6(_ nodes: [Node], buses: [Bus]) {
        var owner: [IPv6Address: String] = [:]
        for b in buses {
            guard let h = b.host else { continue }
            let here = JSONPath.root.key("buses").key(b.name).key("host")
            let at = addressIndexes6[here.description] ?? []
            for (j, a) in h.addresses6.enumerated() {
                let k = at.indices.contains(j) ? at[j] : j
                if let o = owner[a.address] { error(here.key("addresses").index(k), "address \(a.address) is already used by \(o)") }
                else { owner[a.address] = here.description }
            }
        }
        for n in nodes {
            for (i, intf) in n.interfaces.enumerated() {
                let here = JSONPath.root.key("nodes").key(n.name).key("interfaces").index(i)
                // The list's own indexes: IPv6 entries sit among the IPv4 ones.
                let at = addressIndexes6[here.description] ?? []
                for (j, a) in intf.addresses6.enumerated() {
                    let k = at.indices.contains(j) ? at[j] : j
                    if let o = owner[a.address] {
                        error(here.key("addresses").index(k), "address \(a.address) is already used by \(o)")
                    } else {
                        owner[a.address] = here.description
                    }
                }
            }
        }
    }

    /// A ping6 target: an IPv6 address (a link-local one with an interface of the `from`
    /// node), or a node with an IPv6 address.
    mutating func checkTarget6(_ s: String, _ path: JSONPath, at pos: SourcePosition?, from: Node?, nodes: [Node],
                               nodeNames: Set<String>) -> Check.Target? {
        if let (a, zone) = IPv6Address.parse(scoped: s) {
            if a.isUnspecified {
                error(path, "\(a) is not an address to ping6", at: pos)
                return nil
            }
            if a.needsScope {
                guard let zone else {
                    let example = from?.interfaces.first?.name ?? "shmif0"
                    error(path, "link-local address \(a) needs the interface to ping6 it on (write it as \(a)%\(example))", at: pos)
                    return nil
                }
                if let from, !from.interfaces.contains(where: { $0.name == zone }) {
                    error(path, "\(s): node \(from.name) has no interface \(zone)"
                          + (from.interfaces.isEmpty ? "" : " (it has \(from.interfaces.map(\.name).joined(separator: ", ")))"), at: pos)
                    return nil
                }
                return .address6(a, zone: String(zone))
            }
            if zone != nil {
                error(path, "\(s): only a link-local address takes an interface (%zone)", at: pos)
                return nil
            }
            return .address6(a, zone: nil)
        }
        if nodeNames.contains(s) {
            if let n = nodes.first(where: { $0.name == s }), n.interfaces.allSatisfy({ $0.addresses6.isEmpty }) {
                error(path, "node \"\(s)\" has no IPv6 address to ping6 (a link-local one is pinged as fe80::...%IFACE)", at: pos)
                return nil
            }
            return .node6(s)
        }
        if Self.isInet6Text(s) {
            error(path, "malformed IPv6 address \"\(s)\" (expected a node name, an address such as fd00::2, or fe80::2%shmif0)", at: pos)
        } else {
            var msg = "unknown node \"\(s)\""
            if let sug = suggestion(for: s, among: Array(nodeNames).sorted()) { msg += " (did you mean \"\(sug)\"?)" }
            error(path, msg, at: pos)
        }
        return nil
    }

    /// net.inet6.ip6.forwarding: as set, or, on a node with IPv6 addresses whose `sysctls`
    /// used the short name `forwarding` (a router), the same as net.inet.ip.forwarding.
    mutating func inet6Forwarding(_ sysctls: inout [SysctlSetting], shortName: Bool, hasInet6: Bool) -> Bool {
        if let s = sysctls.first(where: { $0.name == "net.inet6.ip6.forwarding" }), case let .int(v) = s.value { return v != 0 }
        guard shortName, hasInet6, let s = sysctls.first(where: { $0.name == "net.inet.ip.forwarding" }), case let .int(v) = s.value else {
            return false
        }
        let at = sysctls.firstIndex { $0.name == "net.inet.ip.forwarding" }! + 1
        sysctls.insert(SysctlSetting(name: "net.inet6.ip6.forwarding", value: .int(v)), at: at)
        return v != 0
    }
}
