// ndp(8) (NetBSD usr.sbin/ndp, KAME): its command line, its output, and its dispatch over a
// small kernel interface (`NdpKernel`), so the executable and the tests' kernel double run
// the same code.

/// What `ndp` was asked to do.
public enum NdpCommand: Sendable, Equatable {
    /// `ndp [-n] host`: the header and that neighbor's row.
    case show(host: String, numeric: Bool)
    /// `-a`.
    case all(numeric: Bool)
    /// `-c`: delete every entry that is not static.
    case clear(numeric: Bool)
    /// `-d host`.
    case delete(host: String, numeric: Bool)
    /// `-p`.
    case prefixes
    /// `-r`.
    case routers
    /// `-i IF [flag | -flag ...]`.
    case interface(String, flags: [String])
    /// `-I [IF | delete]`.
    case defaultInterface(set: String?)

    public static let usage = """
        usage: ndp [-nt] hostname
               ndp [-nt] -a | -c | -p | -r | -H | -P | -R
               ndp [-nt] -A wait
               ndp [-nt] -d hostname
               ndp [-nt] -f filename
               ndp [-nt] -i interface [flags...]
               ndp [-nt] -I [interface|delete]
               ndp [-nt] -s nodename etheraddr [temp] [proxy]

        """

    static func usageExit(_ message: String? = nil) -> ParseOutcome<NdpCommand> {
        .exit(ToolOutput(stderr: (message.map { "ndp: \($0)\n" } ?? "") + usage, status: 1))
    }

    public static func parse(_ args: [String]) -> ParseOutcome<NdpCommand> {
        var g = Getopt(args, "aA:cd:f:Ii:nprstHPR")
        var mode: Character?
        var modeArgument: String?
        var numeric = false
        while let item = g.next() {
            switch item {
            case .error(let m): return usageExit(m)
            case .option(let c, let v):
                switch c {
                case "n": numeric = true
                case "t": break  // timestamps: accepted, rows print without them
                default:
                    guard mode == nil else { return usageExit() }
                    mode = c
                    modeArgument = v
                }
            }
        }
        let rest = g.operands
        switch mode {
        case nil:
            guard rest.count == 1 else { return usageExit() }
            return .run(.show(host: rest[0], numeric: numeric))
        case "a":
            return rest.isEmpty ? .run(.all(numeric: numeric)) : usageExit()
        case "c":
            return rest.isEmpty ? .run(.clear(numeric: numeric)) : usageExit()
        case "d":
            return rest.isEmpty ? .run(.delete(host: modeArgument ?? "", numeric: numeric)) : usageExit()
        case "p":
            return rest.isEmpty ? .run(.prefixes) : usageExit()
        case "r":
            return rest.isEmpty ? .run(.routers) : usageExit()
        case "i":
            return .run(.interface(modeArgument ?? "", flags: rest))
        case "I":
            guard rest.count <= 1 else { return usageExit() }
            return .run(.defaultInterface(set: rest.first))
        case let m?:
            // -A (a repeating listing), -f (a file of -s lines), -s (static entries), -H, -P, -R
            // (flushing the router and prefix lists): the kernel has no requests for them.
            return .exit(.errx("ndp", "-\(m): not supported against this kernel"))
        }
    }
}

/// ndp's output.
public enum NdpFormat {
    /// W_ADDR, W_LL, W_IF of ndp.c.
    static let addressWidth = 36, linkWidth = 17, interfaceWidth = 6

    public static let header = Text.left("Neighbor", addressWidth) + " " + Text.left("Linklayer Address", linkWidth) + " "
        + Text.right("Netif", interfaceWidth) + " " + Text.left("Expire", 9) + " S Flags\n"

    /// An address as getnameinfo(NI_NUMERICHOST) prints a sockaddr_in6: link-local and
    /// link-local multicast addresses with "%interface".
    public static func host(_ a: IPv6Address, interface: String) -> String {
        a.needsScope && !interface.isEmpty ? "\(a)%\(interface)" : a.description
    }

    /// The KAME form `ndp -c` prints: the zone embedded in the second word, no "%".
    public static func embedded(_ a: IPv6Address, index: UInt32) -> String {
        a.needsScope ? a.embeddingScope(UInt16(truncatingIfNeeded: index)).description : a.description
    }

    /// sec2str(): "1d2h3m4s" without the leading zero parts, "4s".
    public static func duration(_ total: Int64) -> String {
        let days = total / 86400, hours = total / 3600 % 24, mins = total / 60 % 60, secs = total % 60
        var s = ""
        if days != 0 { s += "\(days)d" }
        if !s.isEmpty || hours != 0 { s += "\(hours)h" }
        if !s.isEmpty || mins != 0 { s += "\(mins)m" }
        return s + "\(secs)s"
    }

    /// One `ndp -a` row; the columns widen as ndp.c widens them for long addresses.
    public static func row(_ n: NeighborInfo) -> String {
        let h = host(n.address, interface: n.interface)
        let ll = n.linkAddress.map(MACAddress.format) ?? "(incomplete)"
        let aw = max(h.count, addressWidth)
        let lw = max(ll.count, addressWidth + linkWidth - aw)
        let iw = max(n.interface.count, addressWidth + linkWidth + interfaceWidth - aw - lw)
        var s = Text.left(h, aw) + " " + Text.left(ll, lw) + " " + Text.right(n.interface, iw)
        let expire: String
        switch n.expire {
        case nil: expire = "permanent"
        case let e? where e > 0: expire = duration(e)
        default: expire = "expired"
        }
        s += " " + Text.left(expire, 9, truncate: true) + " \(n.state.letter)"
        s += " " + (n.isRouter ? "R" : "") + (n.proxy ? "p" : "")
        if n.probes != 0 { s += " \(n.probes)" }
        return s + "\n"
    }

    /// `ndp -a`.
    public static func all(_ l: [NeighborInfo]) -> ToolOutput {
        ToolOutput(stdout: header + l.filter { !$0.address.isMulticast }.map(row).joined())
    }

    /// `ndp host`: the header, then the entry or "-- no entry".
    public static func show(_ n: NeighborInfo?, hostText: String, address: IPv6Address, interface: String) -> ToolOutput {
        guard let n else {
            return ToolOutput(stdout: header, stderr: "ndp: \(hostText) (\(host(address, interface: interface))) -- no entry\n", status: 1)
        }
        return ToolOutput(stdout: header + row(n))
    }

    /// "HOST (ADDRESS) deleted".
    public static func deleted(hostText: String, _ address: String) -> String { "\(hostText) (\(address)) deleted\n" }

    /// `ndp -d` of an address the cache does not hold (ndp's delete(): stdout, status 0).
    public static func cannotLocate(_ hostText: String) -> ToolOutput {
        ToolOutput(stdout: "delete: cannot locate \(hostText)\n")
    }

    /// `ndp -p`.
    public static func prefixes(_ l: [PrefixInfo]) -> ToolOutput {
        var s = ""
        for p in l {
            s += host(p.prefix, interface: p.interface) + "/\(p.prefixLength) if=\(p.interface)\n"
            s += "flags=" + (p.raOnLink ? "L" : "") + (p.raAutonomous ? "A" : "") + (p.onLink ? "O" : "")
                + (p.detached ? "D" : "") + (p.home ? "H" : "")
            s += " vltime=" + (p.validLifetime.map { String($0) } ?? "infinity")
            s += ", pltime=" + (p.preferredLifetime.map { String($0) } ?? "infinity")
            switch p.expire {
            case nil: s += ", expire=Never"
            case let e? where e >= 0: s += ", expire=" + duration(e)
            default: s += ", expire=Expired"
            }
            s += ", ref=\(p.references)\n"
            if p.routers.isEmpty {
                s += "  No advertising router\n"
            } else {
                s += "  advertised by\n"
                for r in p.routers {
                    s += "    " + host(r.address, interface: p.interface)
                    switch r.reachability {
                    case .reachable: s += " (reachable)\n"
                    case .unreachable: s += " (unreachable)\n"
                    case .noNeighborState: s += " (no neighbor state)\n"
                    }
                }
            }
        }
        return ToolOutput(stdout: s)
    }

    /// `ndp -r`.
    public static func routers(_ l: [DefaultRouterInfo]) -> ToolOutput {
        let prefs = ["medium", "high", "rsv", "low"]
        return ToolOutput(stdout: l.map { r in
            host(r.address, interface: r.interface) + " if=\(r.interface), flags=" + (r.managed ? "M" : "") + (r.other ? "O" : "")
                + ", pref=" + prefs[Int(r.preference & 3)]
                + ", expire=" + (r.expire.map { duration($0) } ?? "Never") + "\n"
        }.joined())
    }

    /// `ndp -i IF`.
    public static func interfaceInfo(_ i: NDInterfaceInfo) -> ToolOutput {
        var s = "linkmtu=\(i.linkMTU), maxmtu=\(i.maxMTU), curhlim=\(i.currentHopLimit)"
        s += ", basereachable=\(i.baseReachableTime / 1000)s\(i.baseReachableTime % 1000)ms"
        s += ", reachable=\(i.reachableTime)s"
        s += ", retrans=\(i.retransmitTimer / 1000)s\(i.retransmitTimer % 1000)ms"
        if i.flags != 0 {
            s += "\nFlags: " + ND6_IFF.names.filter { i.flags & $0.0 != 0 }.map { $0.1 + " " }.joined()
        }
        return ToolOutput(stdout: s + "\n")
    }

    /// `ndp -I`.
    public static func defaultInterface(_ name: String?) -> ToolOutput {
        ToolOutput(stdout: name.map { "ND default interface = \($0)\n" } ?? "No default interface.\n")
    }

    public static func ioctlFailed(_ request: String, _ e: NetBSDErrno) -> ToolOutput {
        .errx("ndp", "ioctl(\(request)): \(e.strerror)")
    }
}

/// What ndp needs of a kernel.
public protocol NdpKernel {
    func neighbors() -> Result<[NeighborInfo], NetBSDErrno>
    func deleteNeighbor(_ address: IPv6Address, interfaceIndex: UInt32) -> NetBSDErrno?
    func prefixes() -> Result<[PrefixInfo], NetBSDErrno>
    func defaultRouters() -> Result<[DefaultRouterInfo], NetBSDErrno>
    /// SIOCGIFINFO_IN6 after setting and clearing ND6_IFF_* bits (both 0: only read).
    func ndInterface(_ name: String, set: UInt32, clear: UInt32) -> Result<NDInterfaceInfo, NetBSDErrno>
    func defaultInterface() -> Result<String?, NetBSDErrno>
    func setDefaultInterface(_ name: String?) -> NetBSDErrno?
    /// if_nametoindex: 0 for none.
    func interfaceIndex(_ name: String) -> UInt32
}

public enum Ndp {
    /// getaddrinfo(AF_INET6) of ndp's host argument: numeric, with an optional %zone.
    static func resolve(_ text: String, _ kernel: some NdpKernel) -> (IPv6Address, UInt32, String)? {
        guard let (a, zone) = IPv6Address.parse(scoped: text) else { return nil }
        guard let z = zone else { return (a, 0, "") }
        if let n = UInt32(z) { return (a, n, "") }
        let i = kernel.interfaceIndex(String(z))
        return i == 0 ? nil : (a, i, String(z))
    }

    static func unresolved(_ host: String) -> ToolOutput {
        .warnx("ndp", "\(host): \(HostResolver.noName)")
    }

    /// One run of ndp: parse, ask the kernel, format.
    public static func run(_ args: [String], kernel: some NdpKernel) -> ToolOutput {
        let cmd: NdpCommand
        switch NdpCommand.parse(args) {
        case .exit(let o): return o
        case .run(let c): cmd = c
        }
        switch cmd {
        case .all:
            switch kernel.neighbors() {
            case .success(let l): return NdpFormat.all(l)
            case .failure(let e): return .errx("ndp", "sysctl(PF_ROUTE, NET_RT_FLAGS): \(e.strerror)")
            }
        case .show(let host, _):
            guard let (a, index, zone) = resolve(host, kernel) else { return ToolOutput(stdout: NdpFormat.header) + unresolved(host) }
            let l = (try? kernel.neighbors().get()) ?? []
            let hit = l.first { $0.address == a && (index == 0 || !a.needsScope || $0.interfaceIndex == index) }
            return NdpFormat.show(hit, hostText: host, address: a, interface: zone)
        case .clear:
            var out = ToolOutput()
            for n in (try? kernel.neighbors().get()) ?? [] where !n.isStatic && !n.address.isMulticast {
                let text = NdpFormat.embedded(n.address, index: n.interfaceIndex)
                if kernel.deleteNeighbor(n.address, interfaceIndex: n.interfaceIndex) == nil {
                    out.stdout += NdpFormat.deleted(hostText: text, text)
                }
            }
            return out
        case .delete(let host, _):
            guard let (a, index, zone) = resolve(host, kernel) else { return unresolved(host) }
            let l = (try? kernel.neighbors().get()) ?? []
            guard let n = l.first(where: { $0.address == a && (index == 0 || !a.needsScope || $0.interfaceIndex == index) }) else {
                return NdpFormat.cannotLocate(host)
            }
            if let e = kernel.deleteNeighbor(n.address, interfaceIndex: n.interfaceIndex) {
                return .errx("ndp", "writing to routing socket: \(e.strerror)")
            }
            return ToolOutput(stdout: NdpFormat.deleted(hostText: host, NdpFormat.host(a, interface: zone.isEmpty ? n.interface : zone)))
        case .prefixes:
            switch kernel.prefixes() {
            case .success(let l): return NdpFormat.prefixes(l)
            case .failure(let e): return NdpFormat.ioctlFailed("SIOCGPRLST_IN6", e)
            }
        case .routers:
            switch kernel.defaultRouters() {
            case .success(let l): return NdpFormat.routers(l)
            case .failure(let e): return NdpFormat.ioctlFailed("SIOCGDRLST_IN6", e)
            }
        case .interface(let name, let words):
            var set: UInt32 = 0, clear: UInt32 = 0
            for w in words {
                let off = w.hasPrefix("-")
                let word = off ? String(w.dropFirst()) : w
                // Unknown words change nothing, as ndp's SETFLAG macros match none of them.
                guard let bit = ND6_IFF.names.first(where: { $0.1 == word })?.0 else { continue }
                if off { clear |= bit; set &= ~bit } else { set |= bit; clear &= ~bit }
            }
            switch kernel.ndInterface(name, set: set, clear: clear) {
            case .success(let i): return NdpFormat.interfaceInfo(i)
            case .failure(let e): return NdpFormat.ioctlFailed(set | clear != 0 ? "SIOCSIFINFO_FLAGS" : "SIOCGIFINFO_IN6", e)
            }
        case .defaultInterface(let name):
            if let name {
                guard name == "delete" || kernel.interfaceIndex(name) != 0 else { return .errx("ndp", "invalid interface \(name)") }
                if let e = kernel.setDefaultInterface(name == "delete" ? nil : name) {
                    return NdpFormat.ioctlFailed("SIOCSDEFIFACE_IN6", e)
                }
            }
            switch kernel.defaultInterface() {
            case .success(let n): return NdpFormat.defaultInterface(n)
            case .failure(let e): return NdpFormat.ioctlFailed("SIOCGDEFIFACE_IN6", e)
            }
        }
    }
}
