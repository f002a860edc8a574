/// Kernel components with NetBSD's library names (`-lrumpnet_shmif` loads `rumpnet_shmif`).
/// Each names the components it needs, as NetBSD's libraries need each other's symbols.
public enum Component: String, CaseIterable, Hashable, Sendable, Comparable {
    case rumpnet
    case rumpnet_net
    case rumpnet_netinet
    case rumpnet_netinet6
    case rumpnet_shmif
    case rumpnet_virtif
    // File systems and devices (Sources/RumpVFS). rumpdev, rumpdev_disk and rumpfs_ffs are
    // listed so rump_wmd resolves them as NetBSD does; rump_server refuses them (not implemented).
    case rumpdev
    case rumpdev_disk
    case rumpvfs
    case rumpfs_ffs
    case rumpfs_tmpfs

    /// Hashes the case, not its raw-value string: the kernel asks its component set on every
    /// request.
    public func hash(into hasher: inout Hasher) {
        let n: UInt8
        switch self {
        case .rumpnet: n = 0
        case .rumpnet_net: n = 1
        case .rumpnet_netinet: n = 2
        case .rumpnet_netinet6: n = 3
        case .rumpnet_shmif: n = 4
        case .rumpnet_virtif: n = 5
        case .rumpdev: n = 6
        case .rumpdev_disk: n = 7
        case .rumpvfs: n = 8
        case .rumpfs_ffs: n = 9
        case .rumpfs_tmpfs: n = 10
        }
        hasher.combine(n)
    }

    public var dependencies: [Component] {
        switch self {
        case .rumpdev, .rumpvfs: return []
        case .rumpdev_disk: return [.rumpdev]
        case .rumpfs_ffs: return [.rumpdev_disk, .rumpvfs]
        case .rumpfs_tmpfs: return [.rumpvfs]
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
        case .rumpdev: return "device faction: autoconf, device nodes"
        case .rumpdev_disk: return "disk driver framework"
        case .rumpvfs: return "file systems faction: VFS, rumpfs root with /dev and /tmp"
        case .rumpfs_ffs: return "Berkeley Fast File System"
        case .rumpfs_tmpfs: return "tmpfs: memory file system with a size bound"
        }
    }

    /// Whether this kernel can load the component (the others are only catalogued).
    public var isImplemented: Bool {
        switch self {
        case .rumpdev, .rumpdev_disk, .rumpfs_ffs: return false
        default: return true
        }
    }

    /// What rump_allserver loads: every component it can.
    public static var implemented: [Component] { allCases.filter(\.isImplemented) }

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
