/// Kernel components with NetBSD's library names (`-lrumpnet_shmif` loads `rumpnet_shmif`).
/// Each names the components it needs, as NetBSD's libraries need each other's symbols.
public enum Component: String, CaseIterable, Hashable, Sendable, Comparable {
    case rumpnet
    case rumpnet_net
    case rumpnet_netinet
    case rumpnet_netinet6
    case rumpnet_shmif
    case rumpnet_virtif

    public var dependencies: [Component] {
        switch self {
        case .rumpnet: return []
        case .rumpnet_net: return [.rumpnet]
        case .rumpnet_netinet, .rumpnet_netinet6, .rumpnet_shmif, .rumpnet_virtif: return [.rumpnet_net]
        }
    }

    /// What the component provides, for docs and `rump_wmd -v`.
    public var summary: String {
        switch self {
        case .rumpnet: return "networking faction: sockets, mbufs, domains"
        case .rumpnet_net: return "interfaces, routing, Ethernet, lo0, route domain"
        case .rumpnet_netinet: return "IPv4, ARP, ICMP, UDP, TCP; lo0 127.0.0.1/8"
        case .rumpnet_netinet6: return "IPv6 (inet6 domain)"
        case .rumpnet_shmif: return "shmif cloner (shared-memory bus interfaces)"
        case .rumpnet_virtif: return "virt cloner (Linux tap interfaces)"
        }
    }

    public static func < (a: Component, b: Component) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// Parses an -l argument the way rump_server's dlopen loop does: a bare name
    /// (`rumpnet_shmif`), a `lib<name>.so` file name, or a path to one.
    public static func parse(library: String) -> Component? {
        var s = Substring(library)
        if let slash = s.lastIndex(of: "/") { s = s[s.index(after: slash)...] }
        if s.hasPrefix("lib") { s = s.dropFirst(3) }
        if let dot = s.firstIndex(of: ".") { s = s[..<dot] }
        return Component(rawValue: String(s))
    }

    /// The component and everything it needs, in load order (dependencies first).
    public var closure: [Component] {
        var out: Set<Component> = [self]
        var work = [self]
        while let c = work.popLast() {
            for d in c.dependencies where !out.contains(d) { out.insert(d); work.append(d) }
        }
        return out.sorted()
    }

    /// Components of `set` whose dependencies are not all in `set`, with what is missing.
    public static func missing(in set: Set<Component>) -> [(component: Component, missing: [Component])] {
        set.sorted().compactMap { c in
            let m = c.closure.filter { !set.contains($0) }
            return m.isEmpty ? nil : (c, m)
        }
    }
}
