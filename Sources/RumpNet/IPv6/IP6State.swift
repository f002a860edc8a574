// The IPv6 half of a stack (-lrumpnet_netinet6): per-interface addresses (in6_ifaddr), joined
// groups (in6_multi), ND information (nd_ifinfo), the neighbour cache, the IPv6 routing table,
// reassembly queues, sysctls and counters. Off until `enableIPv6()`, so an IPv4-only kernel sends
// no IPv6 frame. Scoped addresses (fe80::/10, ff01::/16, ff02::/16) are kept inside the stack in
// KAME's embedded form (the interface index in group 1), so one 128-bit compare or prefix match
// also compares the zone; the public API gives them without it, with a separate scope id.
// ndp's views are NetBSDModels' NeighborInfo, PrefixInfo, DefaultRouterInfo and NDInterfaceInfo
// (what the protocol carries), filled in by ND6.swift / IP6Config.swift with expiry in seconds
// from now off this stack's clock.

/// One IPv6 address of an interface (struct in6_ifaddr), as the API reports it.
public struct IPv6InterfaceAddress: Sendable, Equatable {
    public var address: IPv6Address
    public var prefixLength: Int
    /// IN6_IFF_*.
    public var flags: UInt32
    /// The interface index for a link-local address ("scopeid 0x2"), else 0.
    public var scopeID: UInt32
    /// Seconds as configured; nil is infinity.
    public var validLifetime: UInt32?
    public var preferredLifetime: UInt32?
    /// Clock ns when the address goes away / becomes deprecated; nil: never.
    public var validExpires: UInt64?
    public var preferredExpires: UInt64?
}

struct IP6IfAddr {
    /// Embedded form.
    var address: IPv6Address
    var prefixLength: Int
    var flags: UInt32
    var validLifetime: UInt32?
    var preferredLifetime: UInt32?
    var validExpires: UInt64?
    var preferredExpires: UInt64?
    /// DAD probes still to send, and its timer.
    var dadLeft = 0
    var dadTimer = TimerID.none
    var isUsable: Bool { flags & (IN6_IFF.TENTATIVE | IN6_IFF.DUPLICATED | IN6_IFF.DETACHED) == 0 }
}

/// A joined group (in6_multi) with MLD's per-group report state.
struct IP6Group {
    var refs = 1
    /// We sent the last report (MLD's "I am the last reporter": send Done on leave).
    var lastReporter = false
    var timer = TimerID.none
}

/// What the stack keeps per interface.
final class IP6Interface {
    var addresses: [IP6IfAddr] = []
    /// Joined groups by embedded address.
    var groups: [IPv6Address: IP6Group] = [:]
    /// The Ethernet multicast filter (ether_multi): 33:33:… addresses of joined groups, refcounted.
    var multicastMACs: [MACAddress: Int] = [:]
    /// nd_ifinfo as `ndp -i` reports it (NetBSDModels' NDInterfaceInfo); its reachableTime
    /// follows `reachableMs`, its maxMTU is the interface's, filled in by `ndInfo(name:)`.
    var info: NDInterfaceInfo
    /// ReachableTime in ms as the NUD timers use it (ndp -i shows whole seconds).
    var reachableMs: UInt64 { didSet { info.reachableTime = UInt32(clamping: reachableMs / 1000) } }
    /// Whether the link-local has been formed since the interface came up.
    var attached = false

    init(info: NDInterfaceInfo, reachableMs: UInt64) {
        self.info = info
        self.reachableMs = reachableMs
        self.info.reachableTime = UInt32(clamping: reachableMs / 1000)
    }
}

// MARK: neighbour cache

struct ND6Key: Hashable {
    var ifIndex: Int32
    /// Embedded form.
    var address: IPv6Address
}

struct ND6Entry {
    var state: NeighborState
    var mac: MACAddress = .zero
    var isRouter = false
    var permanent = false
    var asked = 0
    var expires: UInt64 = 0
    var hold: [[UInt8]] = []
    var timer = TimerID.none
    /// Creation order (the list order).
    var serial: UInt64 = 0
}

// MARK: routes

public struct Route6: Sendable, Equatable {
    public enum Gateway: Sendable, Equatable {
        case address(IPv6Address, scopeID: UInt32)
        /// `link#N` (netstat prints the interface's name for lo0).
        case link(Int)
    }
    /// Masked, without embedded scope.
    public var destination: IPv6Address
    public var prefixLength: Int
    /// The zone of a scoped destination (fe80::%lo0/64), else 0.
    public var scopeID: UInt32
    public var gateway: Gateway
    /// The interface packets leave by (lo0 for our own addresses).
    public var ifIndex: Int
    public var flags: RouteFlags
    /// 0: none ("-").
    public var mtu: Int
    /// route get's "local addr" (no embedded scope).
    public var localAddress: IPv6Address
    public var use: UInt64
}

public struct Route6GetResult: Sendable, Equatable {
    public var route: Route6
    public var interfaceName: String
    public var routeInterfaceName: String
}

/// A route as the table keeps it: destination and gateway in embedded form.
struct R6 {
    var destination: IPv6Address
    var prefixLength: Int
    var gateway: Route6.Gateway  // address embedded
    var ifIndex: Int
    var flags: RouteFlags
    var mtu: Int
    var localAddress: IPv6Address  // embedded
    var use: UInt64 = 0
}

/// Longest-prefix match over 128 bits: one hash table per prefix length in use (destination →
/// slot), probed from the longest length down (at most as many probes as distinct lengths,
/// typically five or six). Routes live in slots, so counting a use writes in place.
struct Route6Table {
    private(set) var byLength: [[IPv6Address: Int32]] = Array(repeating: [:], count: 129)
    private var slots: [R6?] = []
    private var freeSlots: [Int32] = []
    /// The lengths in use, longest first.
    private(set) var lengths: [Int] = []
    private(set) var count = 0
    // A direct-mapped cache of recent lookups, as the IPv4 table keeps: a hit skips the probes.
    // Any change to the table empties it.
    static let cacheSize = 64
    private var cacheKeys = [IPv6Address](repeating: .any, count: Route6Table.cacheSize)
    private var cacheSlots = [Int32](repeating: -2, count: Route6Table.cacheSize)  // -2: empty

    private mutating func clearCache() {
        for i in 0..<Route6Table.cacheSize { cacheSlots[i] = -2 }
    }

    /// lookupSlot through the cache.
    @inline(__always)
    mutating func cachedLookupSlot(_ dst: IPv6Address) -> Int {
        let x = dst.low ^ dst.high
        let i = Int(truncatingIfNeeded: (x ^ (x >> 17) ^ (x >> 33)) & UInt64(Route6Table.cacheSize - 1))
        if cacheSlots[i] != -2, cacheKeys[i] == dst { return Int(cacheSlots[i]) }
        let s = lookupSlot(dst)
        cacheKeys[i] = dst
        cacheSlots[i] = Int32(s)
        return s
    }

    @inline(__always)
    func lookupSlot(_ dst: IPv6Address) -> Int {
        for l in lengths {
            if let s = byLength[l][dst.masked(prefixLength: l)] { return Int(s) }
        }
        return -1
    }

    func lookup(_ dst: IPv6Address) -> R6? {
        let s = lookupSlot(dst)
        return s >= 0 ? slots[s] : nil
    }

    subscript(slot slot: Int) -> R6 { slots[slot]! }

    func exact(_ dst: IPv6Address, prefixLength: Int) -> R6? {
        byLength[prefixLength][dst.masked(prefixLength: prefixLength)].flatMap { slots[Int($0)] }
    }

    mutating func insert(_ r: R6) throws(Errno) {
        var r = r
        r.destination = r.destination.masked(prefixLength: r.prefixLength)
        guard byLength[r.prefixLength][r.destination] == nil else { throw .EEXIST }
        let slot: Int32
        if let f = freeSlots.popLast() { slot = f; slots[Int(f)] = r } else { slots.append(r); slot = Int32(slots.count - 1) }
        byLength[r.prefixLength][r.destination] = slot
        if !lengths.contains(r.prefixLength) { lengths.append(r.prefixLength); lengths.sort(by: >) }
        count += 1
        clearCache()
    }

    @discardableResult
    mutating func remove(_ dst: IPv6Address, prefixLength: Int) throws(Errno) -> R6 {
        let d = dst.masked(prefixLength: prefixLength)
        guard let slot = byLength[prefixLength].removeValue(forKey: d), let r = slots[Int(slot)] else { throw .ESRCH }
        slots[Int(slot)] = nil
        freeSlots.append(slot)
        if byLength[prefixLength].isEmpty { lengths.removeAll { $0 == prefixLength } }
        count -= 1
        clearCache()
        return r
    }

    @inline(__always)
    mutating func countUse(slot: Int) { slots[slot]!.use &+= 1 }

    /// netstat -r order: by (embedded) destination, then prefix length.
    var all: [R6] {
        slots.compactMap { $0 }.sorted {
            ($0.destination, $0.prefixLength) < ($1.destination, $1.prefixLength)
        }
    }
}

// MARK: reassembly

struct Reass6Key: Hashable {
    var src: IPv6Address
    var dst: IPv6Address
    var id: UInt32
}

final class Reass6Entry {
    /// The unfragmentable part of the first fragment (offset 0), with its next header rewritten.
    var head: [UInt8] = []
    var data: [UInt8] = []
    var ranges: [(Int, Int)] = []
    var totalLength: Int?
    var fragments = 0
    /// Bytes charged to the global bound.
    var bytes = 0
    /// The first fragment as received (its start), quoted by time exceeded.
    var firstFragment: [UInt8] = []
    var ifIndex = 0
    var nextHeader: UInt8 = 0
    var timer = TimerID.none
}

// MARK: timers

enum IP6TimerEvent: Equatable {
    case neighbor(ND6Key)
    case reassembly(Reass6Key)
    case dad(ifIndex: Int, address: IPv6Address)
    case mldReport(ifIndex: Int, group: IPv6Address)
    case addressLifetime(ifIndex: Int, address: IPv6Address)
    case defaultRouter(ifIndex: Int, address: IPv6Address)
    case prefix(ifIndex: Int, prefix: IPv6Address, length: Int)
}

// MARK: RA-learned state

struct DefaultRouter {
    var ifIndex: Int
    var address: IPv6Address  // embedded
    var flags: UInt8
    var lifetime: UInt16
    var expires: UInt64
    var timer = TimerID.none
}

struct Prefix6 {
    var ifIndex: Int
    var prefix: IPv6Address  // embedded, masked
    var length: Int
    var onLink: Bool
    var autonomous: Bool
    var validLifetime: UInt32?
    var preferredLifetime: UInt32?
    var expires: UInt64?
    var routers: [IPv6Address] = []  // embedded
    var timer = TimerID.none
    var serial: UInt64 = 0
}

/// All of it.
struct IP6State {
    var interfaces: [IP6Interface?] = []
    /// Our unicast addresses (embedded) → interface index.
    var local: [IPv6Address: Int] = [:]
    var routes = Route6Table()
    var neighbors: [ND6Key: ND6Entry] = [:]
    var reass: [Reass6Key: Reass6Entry] = [:]
    var reassFragments = 0
    var routers: [DefaultRouter] = []
    var prefixes: [Prefix6] = []
    var serial: UInt64 = 0
    var sysctl = IP6Sysctl()
    var errWindow: UInt64 = 0
    var errCount = 0
    var fragID: UInt32 = 0
    /// Path MTUs learned from packet too big (destination, embedded) → (mtu, expires).
    var pmtu: [IPv6Address: (Int, UInt64)] = [:]

    static let maxNeighbors = 4096
    static let maxHold = 16
    /// Datagrams held by all entries together (a flood of unresolvable next hops stays small).
    static let maxHeldTotal = 256
    var heldPackets = 0
    static let maxPMTU = 1024
    static let reassTimeout: UInt64 = 60_000_000_000
    static let reassMaxBytes = 4 * 1024 * 1024
    var reassBytes = 0
    /// Raw IPv6 sockets' record staging (reused).
    var scratch: [UInt8] = []

    mutating func nextSerial() -> UInt64 { serial &+= 1; return serial }
}

// MARK: sysctl

/// The net.inet6.* nodes, NetBSD's names and defaults.
struct IP6Sysctl {
    var nodes: [SysctlNode] = [
        .init(name: "net.inet6.ip6.forwarding", value: 0, writable: true, range: 0...1, description: "Enable forwarding of INET6 datagrams"),
        .init(name: "net.inet6.ip6.redirect", value: 1, writable: true, range: 0...1, description: "Enable sending of ICMPv6 redirect messages"),
        .init(name: "net.inet6.ip6.hlim", value: 64, writable: true, range: 1...255, description: "Hop limit for an INET6 datagram"),
        .init(name: "net.inet6.ip6.maxfragpackets", value: 256, writable: true, range: 0...100_000, description: "Maximum number of fragments to buffer for reassembly"),
        .init(name: "net.inet6.ip6.accept_rtadv", value: 0, writable: true, range: 0...1, description: "Accept router advertisements"),
        .init(name: "net.inet6.ip6.keepfaith", value: 0, writable: false, range: 0...0, description: "Activate faith interface"),
        .init(name: "net.inet6.ip6.log_interval", value: 5, writable: true, range: 0...Int(Int32.max), description: "Minimum interval between logging of unroutable packets"),
        .init(name: "net.inet6.ip6.hdrnestlimit", value: 15, writable: true, range: 0...1000, description: "Maximum number of nested IPv6 headers"),
        .init(name: "net.inet6.ip6.dad_count", value: 1, writable: true, range: 0...15, description: "Number of Duplicate Address Detection probes to send"),
        .init(name: "net.inet6.ip6.auto_flowlabel", value: 1, writable: true, range: 0...1, description: "Assign random IPv6 flow labels"),
        .init(name: "net.inet6.ip6.defmcasthlim", value: 1, writable: true, range: 1...255, description: "Default multicast hop limit"),
        .init(name: "net.inet6.ip6.v6only", value: 1, writable: true, range: 0...1, description: "Disallow PF_INET6 sockets from connecting to PF_INET sockets"),
        .init(name: "net.inet6.ip6.maxfrags", value: 256, writable: true, range: 0...100_000, description: "Maximum fragments in reassembly queue"),
        .init(name: "net.inet6.ip6.auto_linklocal", value: 1, writable: true, range: 0...1, description: "Default value of per-interface flag for automatically adding an IPv6 link-local address to interfaces when attached"),
        .init(name: "net.inet6.icmp6.rediraccept", value: 1, writable: true, range: 0...1, description: "Accept and process redirect messages"),
        .init(name: "net.inet6.icmp6.redirtimeout", value: 600, writable: true, range: 0...Int(Int32.max), description: "Redirect generated route lifetime"),
        .init(name: "net.inet6.icmp6.errppslimit", value: 100, writable: true, range: -1...Int(Int32.max), description: "Maximum ICMP errors sent per second"),
        .init(name: "net.inet6.icmp6.nd6_prune", value: 1, writable: true, range: 0...Int(Int32.max), description: "Walk list every n seconds"),
        .init(name: "net.inet6.icmp6.nd6_delay", value: 5, writable: true, range: 1...Int(Int32.max), description: "First probe delay time"),
        .init(name: "net.inet6.icmp6.nd6_umaxtries", value: 3, writable: true, range: 1...100, description: "Number of unicast discovery attempts"),
        .init(name: "net.inet6.icmp6.nd6_mmaxtries", value: 3, writable: true, range: 1...100, description: "Number of multicast discovery attempts"),
        .init(name: "net.inet6.icmp6.nd6_useloopback", value: 1, writable: true, range: 0...1, description: "Use loopback interface for local traffic"),
        .init(name: "net.inet6.icmp6.nodeinfo", value: 0, writable: false, range: 0...0, description: "Respond to node information requests (not implemented)"),
        .init(name: "net.inet6.icmp6.mtudisc_hiwat", value: 1280, writable: true, range: 0...Int(Int32.max), description: "Low mark on MTU Discovery route timers"),
        .init(name: "net.inet6.icmp6.mtudisc_lowat", value: 256, writable: true, range: 0...Int(Int32.max), description: "Low mark on MTU Discovery route timers"),
        .init(name: "net.inet6.icmp6.nd6_debug", value: 0, writable: true, range: 0...1, description: "Enable neighbor discovery debug output"),
        .init(name: "net.inet6.icmp6.nd6_maxnudhint", value: 0, writable: true, range: 0...Int(Int32.max), description: "Max number of continuous upper layer hints before NUD"),
    ]
    var index: [String: Int] = [:]
    var forwarding = false, hlim: UInt8 = 64, maxFragPackets = 256, maxFrags = 256, acceptRtadv = false
    var hdrNestLimit = 15, dadCount = 1, defMcastHlim: UInt8 = 1, autoLinkLocal = true
    var redirect = true
    var errPPSLimit = 100, ndDelay: UInt64 = 5, ndUMaxTries = 3, ndMMaxTries = 3, redirAccept = true
    var v6only = true

    init() {
        for (i, n) in nodes.enumerated() { index[n.name] = i }
        reload()
    }

    mutating func reload() {
        func v(_ n: String) -> Int { nodes[index[n]!].value }
        forwarding = v("net.inet6.ip6.forwarding") != 0
        redirect = v("net.inet6.ip6.redirect") != 0
        hlim = UInt8(v("net.inet6.ip6.hlim"))
        maxFragPackets = v("net.inet6.ip6.maxfragpackets")
        maxFrags = v("net.inet6.ip6.maxfrags")
        acceptRtadv = v("net.inet6.ip6.accept_rtadv") != 0
        hdrNestLimit = v("net.inet6.ip6.hdrnestlimit")
        dadCount = v("net.inet6.ip6.dad_count")
        defMcastHlim = UInt8(v("net.inet6.ip6.defmcasthlim"))
        autoLinkLocal = v("net.inet6.ip6.auto_linklocal") != 0
        errPPSLimit = v("net.inet6.icmp6.errppslimit")
        ndDelay = UInt64(v("net.inet6.icmp6.nd6_delay"))
        ndUMaxTries = v("net.inet6.icmp6.nd6_umaxtries")
        ndMMaxTries = v("net.inet6.icmp6.nd6_mmaxtries")
        redirAccept = v("net.inet6.icmp6.rediraccept") != 0
        v6only = v("net.inet6.ip6.v6only") != 0
    }

    func get(_ name: String) -> Int? { index[name].map { nodes[$0].value } }

    mutating func set(_ name: String, _ value: Int) throws(Errno) -> Int {
        guard let i = index[name] else { throw .ENOENT }
        guard nodes[i].writable else { throw .EPERM }
        guard nodes[i].range.contains(value) else { throw .EINVAL }
        let old = nodes[i].value
        nodes[i].value = value
        reload()
        return old
    }
}
