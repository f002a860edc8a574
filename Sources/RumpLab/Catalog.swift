// What a topology may name: kernel components and sysctl nodes. Kept here, in one place,
// so that validation, the docs and the JSON schema agree (a test compares the schema).

public enum Component: String, Sendable, CaseIterable, Comparable {
    case rumpnet
    case rumpnet_net
    case rumpnet_netinet
    /// IPv6 (the inet6 domain): link-local addresses, ND, ICMPv6; needs rumpnet_netinet.
    case rumpnet_netinet6
    case rumpnet_shmif
    /// virtif: virtN on a host tap (`ifconfig virt0 linkstr TAPNAME`).
    case rumpnet_virtif

    /// What a component needs loaded before it.
    public var dependencies: [Component] {
        switch self {
        case .rumpnet: return []
        case .rumpnet_net: return [.rumpnet]
        case .rumpnet_netinet, .rumpnet_shmif, .rumpnet_virtif: return [.rumpnet_net]
        // As NetBSD's rump_server is run (-lrumpnet_netinet -lrumpnet_netinet6), and because
        // this kernel registers its net.* sysctl tree, net.inet6 included, with rumpnet_netinet.
        case .rumpnet_netinet6: return [.rumpnet_netinet]
        }
    }

    /// The set with every dependency added, in load order (allCases order).
    public static func closure<S: Sequence>(_ set: S) -> [Component] where S.Element == Component {
        var have = Set<Component>()
        var todo = Array(set)
        while let c = todo.popLast() {
            if have.insert(c).inserted { todo += c.dependencies }
        }
        return allCases.filter { have.contains($0) }
    }

    /// What a node's interfaces need: the network core, inet if any address is set, and
    /// the driver of each bus kind.
    static func required(for interfaces: [Interface], busKind: (String) -> BusKind?) -> [Component] {
        var need: [Component] = [.rumpnet, .rumpnet_net]
        if interfaces.contains(where: { !$0.addresses.isEmpty }) { need.append(.rumpnet_netinet) }
        if interfaces.contains(where: { !$0.addresses6.isEmpty }) { need.append(.rumpnet_netinet6) }
        if interfaces.contains(where: { busKind($0.bus) == .shmif }) { need.append(.rumpnet_shmif) }
        if interfaces.contains(where: { busKind($0.bus) == .tap }) { need.append(.rumpnet_virtif) }
        return closure(need)
    }

    public static func < (a: Component, b: Component) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A sysctl node a topology may set: RumpNet's writable net.inet nodes (Sysctl.swift) and
/// the kernel's hostname.
public struct SysctlDefinition: Sendable {
    public enum Kind: Sendable {
        case int(ClosedRange<Int>)
        /// A string of at most this many bytes.
        case string(maxBytes: Int)
    }
    public var name: String
    public var kind: Kind

    public static let known: [SysctlDefinition] = [
        .init(name: "kern.hostname", kind: .string(maxBytes: 255)),
        .init(name: "net.inet.ip.forwarding", kind: .int(0...1)),
        .init(name: "net.inet.ip.redirect", kind: .int(0...1)),
        .init(name: "net.inet.ip.ttl", kind: .int(1...255)),
        .init(name: "net.inet.ip.directed-broadcast", kind: .int(0...1)),
        .init(name: "net.inet.ip.mtudisc", kind: .int(0...1)),
        .init(name: "net.inet.ip.maxfragpackets", kind: .int(0...100_000)),
        .init(name: "net.inet.ip.random_id", kind: .int(0...1)),
        .init(name: "net.inet.icmp.maskrepl", kind: .int(0...1)),
        .init(name: "net.inet.icmp.returndatabytes", kind: .int(8...512)),
        .init(name: "net.inet.icmp.errppslimit", kind: .int(-1...1_000_000)),
        .init(name: "net.inet.icmp.rediraccept", kind: .int(0...1)),
        .init(name: "net.inet.icmp.redirtimeout", kind: .int(0...Int(Int32.max))),
        .init(name: "net.inet.icmp.bmcastecho", kind: .int(0...1)),
        .init(name: "net.inet.arp.keep", kind: .int(1...Int(Int32.max))),
        .init(name: "net.inet.arp.down", kind: .int(1...Int(Int32.max))),
        .init(name: "net.inet.arp.maxtries", kind: .int(1...100)),
        .init(name: "net.inet.arp.maxhold", kind: .int(0...1024)),
        .init(name: "net.inet.arp.log_movements", kind: .int(0...1)),
        .init(name: "net.inet.arp.log_permanent_modify", kind: .int(0...1)),
        // RumpNet's writable net.inet6 nodes (IP6State.swift): only with rumpnet_netinet6.
        .init(name: "net.inet6.ip6.forwarding", kind: .int(0...1)),
        .init(name: "net.inet6.ip6.redirect", kind: .int(0...1)),
        .init(name: "net.inet6.ip6.hlim", kind: .int(1...255)),
        .init(name: "net.inet6.ip6.maxfragpackets", kind: .int(0...100_000)),
        .init(name: "net.inet6.ip6.accept_rtadv", kind: .int(0...1)),
        .init(name: "net.inet6.ip6.dad_count", kind: .int(0...15)),
        .init(name: "net.inet6.ip6.maxfrags", kind: .int(0...100_000)),
        .init(name: "net.inet6.ip6.auto_linklocal", kind: .int(0...1)),
        .init(name: "net.inet6.icmp6.rediraccept", kind: .int(0...1)),
        .init(name: "net.inet6.icmp6.errppslimit", kind: .int(-1...Int(Int32.max))),
        .init(name: "net.inet6.icmp6.nd6_umaxtries", kind: .int(1...100)),
        .init(name: "net.inet6.icmp6.nd6_mmaxtries", kind: .int(1...100)),
    ]

    /// Short names accepted in `sysctls` for the two settings every lab uses.
    public static let aliases: [String: String] = [
        "hostname": "kern.hostname",
        "forwarding": "net.inet.ip.forwarding",
    ]

    public static func named(_ n: String) -> SysctlDefinition? { known.first { $0.name == n } }
}

/// Names that become file names (labs, nodes, buses): a letter or digit, then up to 62
/// letters, digits, '_', '.', '-'; never "..". That keeps them one path component that
/// no shell or tool misreads.
public func isSafeName(_ s: String) -> Bool {
    let b = Array(s.utf8)
    guard (1...63).contains(b.count), !s.contains("..") else { return false }
    func alnum(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) }
    guard alnum(b[0]) else { return false }
    return b.allSatisfy { alnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
}
