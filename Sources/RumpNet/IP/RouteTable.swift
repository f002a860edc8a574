// The IPv4 routing table: a binary trie on destination bits (one node per prefix bit), so a
// lookup is at most 32 steps, touches no hash table and allocates nothing. Nodes live in an
// array and are recycled when routes go.

/// NetBSD's RTF_* values (sys/net/route.h).
public struct RouteFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let up = RouteFlags(rawValue: 0x1)          // U
    public static let gateway = RouteFlags(rawValue: 0x2)     // G
    public static let host = RouteFlags(rawValue: 0x4)        // H
    public static let reject = RouteFlags(rawValue: 0x8)      // R
    public static let dynamic = RouteFlags(rawValue: 0x10)    // D
    public static let modified = RouteFlags(rawValue: 0x20)   // M
    public static let done = RouteFlags(rawValue: 0x40)
    public static let cloning = RouteFlags(rawValue: 0x100)   // C: connected (clones ARP entries)
    public static let llinfo = RouteFlags(rawValue: 0x400)    // L
    public static let `static` = RouteFlags(rawValue: 0x800)  // S
    public static let blackhole = RouteFlags(rawValue: 0x1000) // B
    public static let local = RouteFlags(rawValue: 0x40000)   // l
    public static let broadcast = RouteFlags(rawValue: 0x80000) // b

    /// netstat -r letters in NetBSD's order.
    public var letters: String {
        let all: [(RouteFlags, Character)] = [(.up, "U"), (.gateway, "G"), (.host, "H"), (.reject, "R"),
            (.dynamic, "D"), (.modified, "M"), (.cloning, "C"), (.llinfo, "L"), (.blackhole, "B"),
            (.static, "S"), (.local, "l"), (.broadcast, "b")]  // "UGBS", as NetBSD's netstat prints
        return String(all.filter { contains($0.0) }.map(\.1))
    }
    /// route get's names.
    public var names: [String] {
        let all: [(RouteFlags, String)] = [(.up, "UP"), (.gateway, "GATEWAY"), (.host, "HOST"), (.reject, "REJECT"),
            (.dynamic, "DYNAMIC"), (.modified, "MODIFIED"), (.done, "DONE"), (.cloning, "CLONING"),
            (.llinfo, "LLINFO"), (.static, "STATIC"), (.blackhole, "BLACKHOLE"), (.local, "LOCAL"),
            (.broadcast, "BROADCAST")]
        return all.filter { contains($0.0) }.map(\.1)
    }
}

public enum RouteGateway: Sendable, Equatable {
    /// Next hop address.
    case address(IPv4Address)
    /// Directly on this interface's link (`link#N`).
    case link(Int)
}

public struct Route: Sendable, Equatable {
    public var destination: IPv4Address
    public var prefixLength: Int
    public var gateway: RouteGateway
    /// The interface packets leave by (lo0 for local addresses).
    public var ifIndex: Int
    public var flags: RouteFlags
    /// The address of ours this route belongs to, used as the source (route get's "local addr").
    public var localAddress: IPv4Address
    /// rmx_mtu, 0 when unset.
    public var mtu: Int = 0
    public var use: UInt64 = 0
    public var netmask: UInt32 { IPv4Address.mask(prefixLength: prefixLength) }
}

struct RouteTable {
    struct Node {
        var child: (Int32, Int32) = (-1, -1)
        var route: Int32 = -1
    }
    private(set) var nodes: [Node] = [Node()]
    private var freeNodes: [Int32] = []
    private(set) var routes: [Route?] = []
    private var freeRoutes: [Int32] = []
    private(set) var count = 0
    // A direct-mapped cache of recent lookups (like BSD's per-flow rtcache): a hit skips the trie
    // walk, whose dependent loads dominate the packet path. Any change to the table empties it.
    static let cacheSize = 64
    private var cacheKeys = [UInt32](repeating: 0, count: RouteTable.cacheSize)
    private var cacheSlots = [Int32](repeating: -2, count: RouteTable.cacheSize)  // -2: empty

    private mutating func clearCache() {
        for i in 0..<RouteTable.cacheSize { cacheSlots[i] = -2 }
    }

    /// lookupSlot through the cache.
    @inline(__always)
    mutating func cachedLookupSlot(_ dst: IPv4Address) -> Int {
        let v = dst.value
        let i = Int((v ^ (v >> 8) ^ (v >> 16)) & UInt32(RouteTable.cacheSize - 1))
        if cacheKeys[i] == v, cacheSlots[i] != -2 { return Int(cacheSlots[i]) }
        let s = lookupSlot(dst)
        cacheKeys[i] = v
        cacheSlots[i] = Int32(s)
        return s
    }

    @inline(__always) private func bit(_ v: UInt32, _ depth: Int) -> Int { Int(v >> UInt32(31 - depth) & 1) }

    /// Longest-prefix match: the route slot, or -1.
    @inline(__always)
    func lookupSlot(_ dst: IPv4Address) -> Int {
        var n = 0
        var best: Int32 = -1
        var depth = 0
        while true {
            let node = nodes[n]
            if node.route >= 0 { best = node.route }
            if depth == 32 { break }
            let c = bit(dst.value, depth) == 0 ? node.child.0 : node.child.1
            if c < 0 { break }
            n = Int(c)
            depth += 1
        }
        return Int(best)
    }

    func lookup(_ dst: IPv4Address) -> Route? {
        let s = lookupSlot(dst)
        return s >= 0 ? routes[s] : nil
    }

    subscript(slot slot: Int) -> Route { routes[slot]! }
    mutating func countUse(slot: Int) { routes[slot]!.use &+= 1 }

    private func findNode(_ dst: UInt32, _ len: Int) -> Int? {
        var n = 0
        for d in 0..<len {
            let c = bit(dst, d) == 0 ? nodes[n].child.0 : nodes[n].child.1
            if c < 0 { return nil }
            n = Int(c)
        }
        return n
    }

    func exact(_ dst: IPv4Address, prefixLength: Int) -> Route? {
        let d = dst.value & IPv4Address.mask(prefixLength: prefixLength)
        guard let n = findNode(d, prefixLength), nodes[n].route >= 0 else { return nil }
        return routes[Int(nodes[n].route)]
    }

    private mutating func newNode() -> Int32 {
        if let f = freeNodes.popLast() { nodes[Int(f)] = Node(); return f }
        nodes.append(Node())
        return Int32(nodes.count - 1)
    }

    /// EEXIST when the same destination and prefix length is present.
    mutating func insert(_ r: Route) throws(Errno) {
        var r = r
        r.destination = IPv4Address(r.destination.value & r.netmask)
        var n = 0
        for d in 0..<r.prefixLength {
            let b = bit(r.destination.value, d)
            var c = b == 0 ? nodes[n].child.0 : nodes[n].child.1
            if c < 0 {
                c = newNode()
                if b == 0 { nodes[n].child.0 = c } else { nodes[n].child.1 = c }
            }
            n = Int(c)
        }
        guard nodes[n].route < 0 else { throw .EEXIST }
        let slot: Int32
        if let f = freeRoutes.popLast() { slot = f; routes[Int(f)] = r } else { routes.append(r); slot = Int32(routes.count - 1) }
        nodes[n].route = slot
        count += 1
        clearCache()
    }

    /// ESRCH when absent.
    @discardableResult
    mutating func remove(_ dst: IPv4Address, prefixLength: Int) throws(Errno) -> Route {
        let d = dst.value & IPv4Address.mask(prefixLength: prefixLength)
        var path: [Int] = [0]
        var n = 0
        for depth in 0..<prefixLength {
            let c = bit(d, depth) == 0 ? nodes[n].child.0 : nodes[n].child.1
            if c < 0 { throw .ESRCH }
            n = Int(c)
            path.append(n)
        }
        guard nodes[n].route >= 0 else { throw .ESRCH }
        let slot = Int(nodes[n].route)
        let r = routes[slot]!
        routes[slot] = nil
        freeRoutes.append(Int32(slot))
        nodes[n].route = -1
        count -= 1
        clearCache()
        // Prune childless, routeless nodes back towards the root.
        var depth = prefixLength
        while depth > 0 {
            let cur = path[depth]
            let node = nodes[cur]
            guard node.route < 0, node.child.0 < 0, node.child.1 < 0 else { break }
            let parent = path[depth - 1]
            if nodes[parent].child.0 == Int32(cur) { nodes[parent].child.0 = -1 } else { nodes[parent].child.1 = -1 }
            freeNodes.append(Int32(cur))
            depth -= 1
        }
        return r
    }

    mutating func update(_ dst: IPv4Address, prefixLength: Int, _ body: (inout Route) -> Void) {
        let d = dst.value & IPv4Address.mask(prefixLength: prefixLength)
        guard let n = findNode(d, prefixLength), nodes[n].route >= 0 else { return }
        body(&routes[Int(nodes[n].route)]!)
    }

    /// All routes, sorted as netstat -r lists them.
    var all: [Route] {
        routes.compactMap { $0 }.sorted {
            ($0.destination.value, $0.prefixLength) < ($1.destination.value, $1.prefixLength)
        }
    }
}
