// ifconfig's output and diagnostics, byte for byte as NetBSD 7.99's.

public enum IfconfigFormat {
    public static let usage = """
        usage: ifconfig [-h] [-m] [-v] [-z] [-L] interface
        \t[ af [ address [ dest_addr ] ] [ netmask mask ] [ prefixlen n ]
        \t\t[ alias | -alias ] ]
        \t[ up ] [ down ] [ metric n ] [ mtu n ]
        \t[ advbase n ] [ advskew n ] [ carpdev iface ] [ pass passphrase ] [ state state ] [ vhid n ]
        \t[ anycast | -anycast ] [ deprecated | -deprecated ]
        \t[ pltime n ] [ vltime n ] [ eui64 ]
        \t[ agrport i ] [ -agrport i ]
        \t[ nwid network_id ] [ nwkey network_key | -nwkey ]
        \t[ list scan ]
        \t[ powersave | -powersave ] [ powersavesleep duration ]
        \t[ hidessid | -hidessid ] [ apbridge | -apbridge ]
        \t[ media type ] [ mediaopt opts ] [ -mediaopt opts ] [ instance minst ]
        \t[ [ af ] tunnel src_addr dest_addr ] [ deletetunnel ]
        \t[ vlan n vlanif i ] [ -vlanif i ]
        \t[ maxupd n ] [ syncdev iface ] [syncpeer peer_addr]
        \t[ arp | -arp ]
        \t[ preference n ]
        \t[ link0 | -link0 ] [ link1 | -link1 ] [ link2 | -link2 ]
               ifconfig -a [-b] [-d] [-h] [-m] [-u] [-v] [-z] [ af ]
               ifconfig -l [-b] [-d] [-s] [-u]
               ifconfig -C
               ifconfig -w n
               ifconfig interface create
               ifconfig interface destroy

        """

    // MARK: listings

    /// The status block of one interface; `family` limits the address lines.
    public static func status(_ ifp: InterfaceInfo, options: IfconfigOptions = IfconfigOptions(),
                              family: AddressFamily? = nil) -> String {
        var s = "\(ifp.name): flags=\(Bits.snprintb(ifp.flags, IFF.names))"
        if ifp.metric != 0 { s += " metric \(ifp.metric)" }
        if ifp.mtu != 0 { s += " mtu \(ifp.mtu)" }
        s += "\n"
        if let lla = ifp.linkAddress, !lla.isEmpty { s += "\taddress: \(MACAddress.format(lla))\n" }
        if let ls = ifp.linkstr { s += "\tlinkstr: \(ls)\n" }
        if options.verbose || options.zeroCounters { s += counters(ifp.counters) }
        var seen: [AddressFamily: Int] = [:]
        for a in ifp.addresses {
            let fam = a.address.family
            let nth = seen[fam, default: 0]
            seen[fam] = nth + 1
            if let family, family != fam { continue }
            s += addressLine(a, alias: nth > 0, ifp: ifp)
        }
        return s
    }

    /// `ifconfig -a`: every interface that passes -u/-d.
    public static func statusAll(_ ifs: [InterfaceInfo], options: IfconfigOptions = IfconfigOptions(),
                                 family: AddressFamily? = nil) -> ToolOutput {
        ToolOutput(stdout: select(ifs, up: options.upOnly, down: options.downOnly)
            .map { status($0, options: options, family: family) }.joined())
    }

    /// `ifconfig IF`.
    public static func show(_ ifp: InterfaceInfo, options: IfconfigOptions = IfconfigOptions(),
                            family: AddressFamily? = nil) -> ToolOutput {
        ToolOutput(stdout: status(ifp, options: options, family: family))
    }

    /// `ifconfig -l`.
    public static func names(_ ifs: [InterfaceInfo], upOnly: Bool = false, downOnly: Bool = false) -> ToolOutput {
        ToolOutput(stdout: select(ifs, up: upOnly, down: downOnly).map(\.name).joined(separator: " ") + "\n")
    }

    /// `ifconfig -C`.
    public static func cloners(_ names: [String]) -> ToolOutput {
        ToolOutput(stdout: names.joined(separator: " ") + "\n")
    }

    /// `ifconfig -s IF`: 0 when the link is usable (up and running), 1 otherwise.
    public static func linkStatus(_ ifp: InterfaceInfo) -> ToolOutput {
        ToolOutput(status: ifp.flags & (IFF.UP | IFF.RUNNING) == (IFF.UP | IFF.RUNNING) ? 0 : 1)
    }

    static func select(_ ifs: [InterfaceInfo], up: Bool, down: Bool) -> [InterfaceInfo] {
        ifs.filter { (!up || $0.isUp) && (!down || !$0.isUp) }
    }

    public static func counters(_ c: InterfaceCounters) -> String {
        var s = "\tinput: \(c.ipackets) packet\(Text.plural(c.ipackets)), \(c.ibytes) byte\(Text.plural(c.ibytes))"
        if c.imcasts != 0 { s += ", \(c.imcasts) multicast\(Text.plural(c.imcasts))" }
        if c.ierrors != 0 { s += ", \(c.ierrors) error\(Text.plural(c.ierrors))" }
        if c.iqdrops != 0 { s += ", \(c.iqdrops) queue drop\(Text.plural(c.iqdrops))" }
        if c.noproto != 0 { s += ", \(c.noproto) unknown protocol" }
        s += "\n\toutput: \(c.opackets) packet\(Text.plural(c.opackets)), \(c.obytes) byte\(Text.plural(c.obytes))"
        if c.omcasts != 0 { s += ", \(c.omcasts) multicast\(Text.plural(c.omcasts))" }
        if c.oerrors != 0 { s += ", \(c.oerrors) error\(Text.plural(c.oerrors))" }
        if c.collisions != 0 { s += ", \(c.collisions) collision\(Text.plural(c.collisions))" }
        if c.oqdrops != 0 { s += ", \(c.oqdrops) queue drop\(Text.plural(c.oqdrops))" }
        return s + "\n"
    }

    static func addressLine(_ a: InterfaceAddressInfo, alias: Bool, ifp: InterfaceInfo) -> String {
        switch a.address {
        case .inet(let addr, _):
            var s = "\tinet " + (alias ? "alias " : "") + addr.description
            if ifp.flags & IFF.POINTOPOINT != 0, let d = a.broadcast?.ipv4 { s += " -> \(d)" }
            s += " netmask 0x" + Text.hex(a.netmask.ipv4?.value ?? 0)
            if ifp.flags & IFF.BROADCAST != 0, let b = a.broadcast?.ipv4 { s += " broadcast \(b)" }
            return s + addressFlags(a.flags) + "\n"
        case .inet6(let addr, _, _, let scope):
            var s = "\tinet6 " + addr.description
            if scope != 0 { s += "%" + ifp.name }
            if a.netmask.family == .inet6, let len = a.netmask.netmaskLength { s += " prefixlen \(len)" }
            if scope != 0 { s += " scopeid 0x" + Text.hex(scope) }
            return s + addressFlags(a.flags) + "\n"
        case .link, .unspec:
            return ""
        }
    }

    static func addressFlags(_ f: UInt32) -> String {
        var s = ""
        if f & IN_IFF.TENTATIVE != 0 { s += " tentative" }
        if f & IN_IFF.DUPLICATED != 0 { s += " duplicated" }
        if f & IN_IFF.DETACHED != 0 { s += " detached" }
        return s
    }

    // MARK: diagnostics

    /// `ifconfig IF` for an interface the kernel does not have (SIOCGIFFLAGS failed).
    public static func statusFailed(_ name: String, _ error: NetBSDErrno) -> ToolOutput {
        .errx("ifconfig", "SIOCGIFFLAGS \(name): \(error.strerror)")
    }

    /// Bare `ifconfig`.
    public static let noArguments = ToolOutput.errx("ifconfig", "status: getifinfo: Device not configured")

    /// Where ifconfig failed to open its socket: the prefix NetBSD prints differs by path.
    public enum SocketContext: Sendable {
        /// Listing (`-a`, `IF`): "status: getsock: …".
        case status
        /// Setting an address: "main: getsock: …".
        case address
        /// Other changes (create, flags): "getsock: …".
        case other
    }

    /// The kernel lacks the address family's protocol (a kernel without netinet/netinet6).
    public static func socketFailed(_ context: SocketContext, _ error: NetBSDErrno = .EAFNOSUPPORT) -> ToolOutput {
        switch context {
        case .status: return .errx("ifconfig", "status: getsock: \(error.strerror)")
        case .address: return .errx("ifconfig", "main: getsock: \(error.strerror)")
        case .other: return .errx("ifconfig", "getsock: \(error.strerror)")
        }
    }

    /// A failed operation, reported like NetBSD: create/destroy twice (clone_command, then
    /// exec_matches), linkstr and mtu by their ioctl; mtu only warns (exit status stays 0).
    public static func operationFailed(_ op: IfconfigOperation, _ error: NetBSDErrno) -> ToolOutput {
        let e = error.strerror
        switch op {
        case .create, .destroy:
            return ToolOutput(stderr: "ifconfig: clone_command: \(e)\nifconfig: exec_matches: \(e)\n", status: 1)
        case .linkstr, .deleteLinkstr:
            return .errx("ifconfig", "SIOCSLINKSTR: \(e)")
        case .mtu:
            return .warnx("ifconfig", "SIOCSIFMTU: \(e)")
        case .metric:
            return .warnx("ifconfig", "SIOCSIFMETRIC: \(e)")
        case .setAddress, .setAddress6:
            return .errx("ifconfig", "SIOCAIFADDR: \(e)")
        case .deleteAddress, .deleteAddress6:
            return .errx("ifconfig", "SIOCDIFADDR: \(e)")
        case .up, .down, .setFlags, .clearFlags:
            return .errx("ifconfig", "exec_matches: \(e)")
        }
    }

    /// Any operation on an interface that does not exist (the lookup in exec_matches fails).
    public static func noSuchInterface(_ error: NetBSDErrno = .ENXIO) -> ToolOutput {
        .errx("ifconfig", "exec_matches: \(error.strerror)")
    }
}
