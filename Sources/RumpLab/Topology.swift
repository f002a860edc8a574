// The topology model: what `rumpnet-lab up` builds. Every value here has passed
// validation and has its defaults filled in (docs/TOPOLOGY.md). Addresses and prefixes are
// NetBSDModels' (IPv4Address, IPv4Prefix, IPv6Address, IPv6Prefix), re-exported for the lab's users.
@_exported import NetBSDModels

public struct Topology: Sendable, Equatable {
    /// The lab's name: safe as a file name, used for the state directory.
    public var name: String
    public var description: String?
    /// In file order.
    public var buses: [Bus]
    /// In file order.
    public var nodes: [Node]
    public var checks: [Check]
    /// Where the kernels run (docs/TOPOLOGY.md, "Placement"); nil: by the lab's size.
    public var placement: Placement? = nil

    public func bus(named n: String) -> Bus? { buses.first { $0.name == n } }
    public func node(named n: String) -> Node? { nodes.first { $0.name == n } }

    /// The interfaces attached to a bus, with their nodes, in file order.
    public func attachments(of bus: String) -> [(node: Node, interface: Interface)] {
        nodes.flatMap { n in n.interfaces.filter { $0.bus == bus }.map { (n, $0) } }
    }

    /// The networks used on a bus (distinct, in order of first use).
    public func networks(of bus: String) -> [IPv4Prefix] {
        var seen: [IPv4Prefix] = []
        for (_, i) in attachments(of: bus) {
            for a in i.addresses where !seen.contains(a.network) { seen.append(a.network) }
        }
        return seen
    }

    /// The address a check pings: the address itself, or the first address of the node.
    public func targetAddress(of check: Check) -> IPv4Address? {
        target(of: check)?.address.ipv4
    }

    /// The IPv6 networks used on a bus (distinct, in order of first use).
    public func networks6(of bus: String) -> [IPv6Prefix] {
        var seen: [IPv6Prefix] = []
        for (_, i) in attachments(of: bus) {
            for a in i.addresses6 where !seen.contains(a.network) { seen.append(a.network) }
        }
        return seen
    }

    /// What a check pings, either family: the address itself (with its zone, an interface of
    /// the `from` node, for a link-local one), or the node's first address of the check's family.
    public func target(of check: Check) -> (address: IPAddress, zone: String?)? {
        switch check.target {
        case let .address(a): return (.v4(a), nil)
        case let .node(n): return node(named: n)?.interfaces.lazy.flatMap(\.addresses).first.map { (.v4($0.address), nil) }
        case let .address6(a, zone): return (.v6(a), zone)
        case let .node6(n): return node(named: n)?.interfaces.lazy.flatMap(\.addresses6).first.map { (.v6($0.address), nil) }
        }
    }
}

/// One process per node (`process`), or many nodes' kernels in a few `rump_host` processes
/// (`packed`): less memory, faster bring-up and the in-process bus fast path, at the price of
/// isolation (a fault in one kernel takes its host's kernels down).
public enum Placement: String, Sendable, CaseIterable {
    case process, packed
}

public enum BusKind: String, Sendable, CaseIterable {
    case shmif
    /// Linux tap devices joined by a Linux bridge in the lab's own network namespace
    /// (LabNetwork): each rump node's virt interface is a host tap, each linux node a veth.
    case tap

    /// The interface name prefix of the kind: shmif0, shmif1...
    public var interfacePrefix: String {
        switch self {
        case .shmif: return "shmif"
        case .tap: return "virt"
        }
    }

    public var mtuRange: ClosedRange<Int> { 68...1500 }
}

public struct Bus: Sendable, Equatable {
    public var name: String
    public var kind: BusKind
    /// A fixed bus file; nil puts it in the lab's state directory (LabState.busPath).
    public var path: String?
    /// A tap in the host's own network namespace joined to this (shmif) bus by a
    /// `rumpnet-lab tap-bridge` process, so that the host sees every node on the bus.
    public var host: HostAttachment?

    public init(name: String, kind: BusKind, path: String? = nil, host: HostAttachment? = nil) {
        self.name = name
        self.kind = kind
        self.path = path
        self.host = host
    }
}

/// The host's end of a shmif bus: a tap of this name in the host's namespace, with these
/// addresses (none: the host only sees the frames, e.g. for tcpdump).
public struct HostAttachment: Sendable, Equatable {
    public var tap: String
    public var addresses: [IPv4Prefix]
    public var mtu: Int
    /// The host's IPv6 addresses on it.
    public var addresses6: [IPv6Prefix] = []
}

public enum NodeKind: String, Sendable, CaseIterable {
    /// A kernel server process (rump_server) configured through the protocol.
    case rump
    /// A Linux network namespace of the lab's own, configured with `ip`: real Linux
    /// programs (ping, tcpdump, nc, iperf3) are the lab's hosts there.
    case linux

    /// The interface name prefix on a bus of `bus` kind.
    public func interfacePrefix(on bus: BusKind) -> String {
        self == .linux ? "eth" : bus.interfacePrefix
    }
}

public struct Node: Sendable, Equatable {
    public var name: String
    public var kind: NodeKind = .rump
    /// The components the kernel server loads, dependencies first.
    public var components: [Component]
    /// True when the file listed them; false when derived from the interfaces.
    public var componentsGiven: Bool
    /// kern.hostname (default: the node's name).
    public var hostname: String
    /// net.inet.ip.forwarding (default: false).
    public var forwarding: Bool
    /// Every sysctl to set, by full name, in file order; hostname and forwarding included.
    public var sysctls: [SysctlSetting]
    public var interfaces: [Interface]
    public var routes: [Route]
    /// IPv6 static routes, in file order.
    public var routes6: [Route6] = []
    /// net.inet6.ip6.forwarding (default: false; the short name `forwarding` sets it too on a
    /// node with IPv6 addresses).
    public var forwarding6: Bool = false

    public init(name: String, kind: NodeKind = .rump, components: [Component], componentsGiven: Bool, hostname: String,
                forwarding: Bool, sysctls: [SysctlSetting], interfaces: [Interface], routes: [Route]) {
        self.name = name
        self.kind = kind
        self.components = components
        self.componentsGiven = componentsGiven
        self.hostname = hostname
        self.forwarding = forwarding
        self.sysctls = sysctls
        self.interfaces = interfaces
        self.routes = routes
    }
}

public struct Interface: Sendable, Equatable {
    public var name: String
    public var bus: String
    /// Interface addresses with their prefix lengths, host bits set.
    public var addresses: [IPv4Prefix]
    public var mtu: Int
    public var up: Bool
    /// netem's words for the link's impairment, applied at `up` (docs/TOPOLOGY.md, Impairments).
    public var impair: String? = nil
    /// IPv6 addresses with their prefix lengths (global or unique local: the link-local one
    /// NetBSD forms itself when the interface comes up).
    public var addresses6: [IPv6Prefix] = []
}

/// A static IPv6 route (`route add -inet6`): NetBSD keeps the two families' tables apart,
/// and so does a node (`routes` and `routes6`), so that each stays in file order per family.
public struct Route6: Sendable, Equatable {
    /// ::/0 for "default"; host bits clear.
    public var destination: IPv6Prefix
    public var gateway: IPv6Address
    /// The interface of a link-local gateway ("fe80::1%shmif0"); nil for others.
    public var zone: String?
    public var isDefault: Bool { destination.length == 0 }
    /// The gateway as written: "fe80::1%shmif0", "fd00::1".
    public var gatewayText: String { gateway.description + (zone.map { "%" + $0 } ?? "") }
}

public struct Route: Sendable, Equatable {
    /// 0.0.0.0/0 for "default"; host bits clear.
    public var destination: IPv4Prefix
    public var gateway: IPv4Address
    public var isDefault: Bool { destination.length == 0 }
}

public struct Check: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        case node(String)
        case address(IPv4Address)
        /// ping6: the node's first IPv6 address.
        case node6(String)
        /// ping6 an address; a link-local one with its zone (an interface of the pinging node).
        case address6(IPv6Address, zone: String?)

        public var isInet6: Bool {
            switch self {
            case .node, .address: return false
            case .node6, .address6: return true
            }
        }
    }
    public enum Expectation: String, Sendable {
        case success, failure
    }
    public var from: String
    public var target: Target
    public var expect: Expectation
    /// Echo requests to send.
    public var count: Int
    /// Seconds to wait for replies in all.
    public var timeout: Int
}

public struct SysctlSetting: Sendable, Equatable {
    public enum Value: Sendable, Equatable, CustomStringConvertible {
        case int(Int)
        case string(String)
        public var description: String {
            switch self {
            case let .int(i): return String(i)
            case let .string(s): return s
            }
        }
    }
    public var name: String
    public var value: Value
}
