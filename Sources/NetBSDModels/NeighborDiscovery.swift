// IPv6 Neighbor Discovery state as ndp(8) shows it: what RumpNet's NetStack reports (RumpProtocol
// encodes these) and NetAdmin's NdpFormat prints, unchanged in between (as ArpInfo).

/// A neighbor cache entry's state (netinet6/nd6.h ND_LLINFO_*).
public enum NeighborState: Int8, Sendable, CaseIterable {
    case purge = -3, noState = -2, waitDelete = -1, incomplete = 0, reachable = 1, stale = 2, delay = 3, probe = 4
    case unreachable = 5

    /// The letter in ndp -a's S column.
    public var letter: Character {
        switch self {
        case .noState: return "N"
        case .waitDelete: return "W"
        case .incomplete: return "I"
        case .reachable: return "R"
        case .stale: return "S"
        case .delay: return "D"
        case .probe: return "P"
        case .unreachable: return "U"
        case .purge: return "?"
        }
    }
}

/// One neighbor cache entry (ndp -a), or the one `ndp -d` names.
public struct NeighborInfo: Hashable, Sendable {
    /// Without a KAME embedded scope; `interfaceIndex` is its zone for link-local addresses.
    public var address: IPv6Address
    public var interfaceIndex: UInt32
    public var interface: String
    /// nil while resolution is incomplete.
    public var linkAddress: [UInt8]?
    public var state: NeighborState
    /// Seconds until the entry's state times out; nil for permanent entries (our own
    /// addresses), 0 or less once past ("expired").
    public var expire: Int64?
    public var isRouter: Bool
    /// A published (proxy) entry (RTF_ANNOUNCE).
    public var proxy: Bool
    /// RTF_STATIC: `ndp -c` keeps it.
    public var isStatic: Bool
    /// Unanswered solicitations so far (nbi->asked); printed when non-zero.
    public var probes: Int

    public init(address: IPv6Address, interfaceIndex: UInt32, interface: String, linkAddress: [UInt8]?,
                state: NeighborState, expire: Int64? = nil, isRouter: Bool = false, proxy: Bool = false,
                isStatic: Bool = false, probes: Int = 0) {
        self.address = address
        self.interfaceIndex = interfaceIndex
        self.interface = interface
        self.linkAddress = linkAddress
        self.state = state
        self.expire = expire
        self.isRouter = isRouter
        self.proxy = proxy
        self.isStatic = isStatic
        self.probes = probes
    }
}

/// A router a prefix was learned from, as `ndp -p` lists it under the prefix.
public struct PrefixRouter: Hashable, Sendable {
    public enum Reachability: UInt8, Sendable { case reachable, unreachable, noNeighborState }
    public var address: IPv6Address
    public var interfaceIndex: UInt32
    public var reachability: Reachability
    public init(address: IPv6Address, interfaceIndex: UInt32, reachability: Reachability) {
        self.address = address
        self.interfaceIndex = interfaceIndex
        self.reachability = reachability
    }
}

/// One on-link prefix (struct in6_prefix, `ndp -p`).
public struct PrefixInfo: Hashable, Sendable {
    public var prefix: IPv6Address
    public var prefixLength: Int
    public var interfaceIndex: UInt32
    public var interface: String
    /// The router advertisement's L and A bits.
    public var raOnLink: Bool
    public var raAutonomous: Bool
    /// NDPRF_ONLINK, NDPRF_DETACHED, NDPRF_HOME.
    public var onLink: Bool
    public var detached: Bool
    public var home: Bool
    /// Seconds; nil is ND6_INFINITE_LIFETIME ("infinity").
    public var validLifetime: UInt32?
    public var preferredLifetime: UInt32?
    /// Seconds from now; nil never expires, 0 or less has expired.
    public var expire: Int64?
    public var references: Int
    public var routers: [PrefixRouter]

    public init(prefix: IPv6Address, prefixLength: Int, interfaceIndex: UInt32, interface: String,
                raOnLink: Bool = true, raAutonomous: Bool = false, onLink: Bool = true, detached: Bool = false,
                home: Bool = false, validLifetime: UInt32? = nil, preferredLifetime: UInt32? = nil,
                expire: Int64? = nil, references: Int = 0, routers: [PrefixRouter] = []) {
        self.prefix = prefix
        self.prefixLength = prefixLength
        self.interfaceIndex = interfaceIndex
        self.interface = interface
        self.raOnLink = raOnLink
        self.raAutonomous = raAutonomous
        self.onLink = onLink
        self.detached = detached
        self.home = home
        self.validLifetime = validLifetime
        self.preferredLifetime = preferredLifetime
        self.expire = expire
        self.references = references
        self.routers = routers
    }
}

/// One default router learned from router advertisements (`ndp -r`).
public struct DefaultRouterInfo: Hashable, Sendable {
    public var address: IPv6Address
    public var interfaceIndex: UInt32
    public var interface: String
    /// The RA's M and O bits.
    public var managed: Bool
    public var other: Bool
    /// RFC 4191 preference: 0 medium, 1 high, 2 reserved, 3 low (the RA's two bits).
    public var preference: UInt8
    /// Seconds from now; nil never expires.
    public var expire: Int64?

    public init(address: IPv6Address, interfaceIndex: UInt32, interface: String, managed: Bool = false,
                other: Bool = false, preference: UInt8 = 0, expire: Int64? = nil) {
        self.address = address
        self.interfaceIndex = interfaceIndex
        self.interface = interface
        self.managed = managed
        self.other = other
        self.preference = preference
        self.expire = expire
    }
}

/// An interface's Neighbor Discovery parameters (struct nd_ifinfo, `ndp -i IF`).
public struct NDInterfaceInfo: Hashable, Sendable {
    public var linkMTU: UInt32
    public var maxMTU: UInt32
    public var currentHopLimit: UInt8
    /// Milliseconds.
    public var baseReachableTime: UInt32
    /// Seconds (the randomised ReachableTime).
    public var reachableTime: UInt32
    /// Milliseconds.
    public var retransmitTimer: UInt32
    /// ND6_IFF_* bits.
    public var flags: UInt32

    public init(linkMTU: UInt32 = 0, maxMTU: UInt32, currentHopLimit: UInt8 = 64, baseReachableTime: UInt32 = 30_000,
                reachableTime: UInt32, retransmitTimer: UInt32 = 1_000, flags: UInt32) {
        self.linkMTU = linkMTU
        self.maxMTU = maxMTU
        self.currentHopLimit = currentHopLimit
        self.baseReachableTime = baseReachableTime
        self.reachableTime = reachableTime
        self.retransmitTimer = retransmitTimer
        self.flags = flags
    }
}
