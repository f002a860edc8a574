// route(8)'s output: show (shared with netstat -r), get, add/change/delete echoes, flush.

public enum RouteFormat {
    public static let usage = "Usage: route [-dfLnqSsTtv] cmd [[-<qualifers>] args]\n"

    /// Which utility lists the table: their flag letters differ (see RTF.routeShowLetters).
    public enum Lister: Sendable { case route, netstat }

    // MARK: table

    /// "Routing tables" and a section per address family that has routes, in the given order
    /// (see RouteInfo.radixOrder). `family` limits the sections.
    public static func table(_ routes: [RouteInfo], numeric: Bool, family: AddressFamily? = nil,
                             lister: Lister = .route) -> String {
        var s = "Routing tables\n"
        for (fam, title) in [(AddressFamily.inet, "Internet"), (.inet6, "Internet6")] {
            if let family, family != fam { continue }
            let rs = routes.filter { $0.family == fam }
            if rs.isEmpty { continue }
            let dw = fam == .inet6 && numeric ? 39 : 18
            let gw = fam == .inet6 && numeric ? 30 : 18
            s += "\n\(title):\n"
            s += Text.left("Destination", dw) + " " + Text.left("Gateway", gw) + " "
                + Text.left("Flags", 6) + " " + Text.right("Refs", 6) + " " + Text.right("Use", 8) + " "
                + Text.right("Mtu", 6) + " Interface\n"
            for r in rs { s += row(r, dw, gw, lister) }
        }
        return s
    }

    static func row(_ r: RouteInfo, _ dw: Int, _ gw: Int, _ lister: Lister) -> String {
        let letters = Bits.letters(r.flags, lister == .route ? RTF.routeShowLetters : RTF.netstatLetters)
        return Text.left(RouteNames.destination(r), dw, truncate: true) + " "
            + Text.left(RouteNames.routename(r.gateway), gw, truncate: true) + " "
            + Text.left(letters, 6, truncate: true) + " "
            + Text.right(r.refs.map { String($0) } ?? "-", 6) + " "
            + Text.right(r.use.map { String($0) } ?? "-", 8) + " "
            + Text.right(r.mtu == 0 ? "-" : String(r.mtu), 6) + (r.mtuLocked ? "L" : " ") + " "
            + r.interface + "\n"
    }

    /// `route show`.
    public static func show(_ routes: [RouteInfo], options: RouteOptions = RouteOptions(),
                            family: AddressFamily? = nil) -> ToolOutput {
        ToolOutput(stdout: table(routes, numeric: options.numeric, family: family, lister: .route))
    }

    // MARK: get

    /// `route get`: the reply's fields and its metrics.
    public static func get(_ r: RouteGetReply) -> ToolOutput {
        var s = "   route to: \(RouteNames.routename(r.routeTo))\n"
        s += "destination: \(RouteNames.routename(r.destination))\n"
        if let m = r.netmask { s += "       mask: \(RouteNames.routename(m))\n" }
        if let g = r.gateway, r.flags & RTF.GATEWAY != 0 { s += "    gateway: \(RouteNames.routename(g))\n" }
        if let a = r.localAddress { s += " local addr: \(RouteNames.routename(a))\n" }
        if let i = r.interface { s += "  interface: \(i)\n" }
        s += "      flags: \(Bits.angle(r.flags, RTF.names))\n"
        s += " recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire\n"
        let m = r.metrics
        // RTV_* lock bit of each column, in column order.
        let cols: [(Int64, UInt32)] = [(m.recvpipe, 0x8), (m.sendpipe, 0x10), (m.ssthresh, 0x20), (m.rtt, 0x40),
                                       (m.rttvar, 0x80), (m.hopcount, 0x2), (m.mtu, 0x1), (m.expire, 0x4)]
        for (k, c) in cols.enumerated() {
            s += Text.right(c.0, 8) + (m.locks & c.1 != 0 ? "L" : " ") + (k < cols.count - 1 ? " " : "\n")
        }
        return ToolOutput(stdout: s)
    }

    /// `route -v get`: the request message, the reply as `get` prints it, then the reply's
    /// locks and socket addresses. `ifp` is the interface's sockaddr_dl the reply carries;
    /// `pid` and `sequence` are the request's rtm_pid and rtm_seq.
    public static func getVerbose(_ r: RouteGetReply, ifp: SocketAddress?, pid: Int32 = 0, sequence: Int32 = 1) -> ToolOutput {
        let to = RouteNames.routename(r.routeTo)
        var s = "soup->so_dst: inet \(to); soup->so_ifp: link ; \n"
        s += "RTM_GET: Report Metrics: len 160, pid \(pid), seq \(sequence), errno 0, flags: "
            + Bits.angle(RTF.UP | RTF.GATEWAY | RTF.HOST | RTF.STATIC, RTF.names) + "\n"
        s += "locks: none inits: none\nsockaddrs: <DST,IFP>\n \(to) link#0\n"
        s += get(r).stdout
        s += "\nlocks: " + metricBits(r.metrics.locks) + " inits: none\n"
        var names: [String] = ["DST"]
        var addrs: [String] = [RouteNames.routename(r.destination)]
        if let g = r.gateway { names.append("GATEWAY"); addrs.append(RouteNames.routename(g)) }
        if let m = r.netmask { names.append("NETMASK"); addrs.append(m.ipv4?.description ?? RouteNames.routename(m)) }
        if let i = ifp { names.append("IFP"); addrs.append(RouteNames.routename(i)) }
        if let a = r.localAddress { names.append("IFA"); addrs.append(RouteNames.routename(a)) }
        s += "sockaddrs: <" + names.joined(separator: ",") + ">\n " + addrs.joined(separator: " ") + "\n"
        return ToolOutput(stdout: s)
    }

    /// RTV_* bits by route(8)'s metricnames, "none" when clear.
    static func metricBits(_ v: UInt32) -> String {
        let names: [(UInt32, String)] = [(0x100, "pksent"), (0x80, "rttvar"), (0x40, "rtt"), (0x20, "ssthresh"),
                                         (0x10, "sendpipe"), (0x8, "recvpipe"), (0x4, "expire"), (0x2, "hopcount"), (0x1, "mtu")]
        return v == 0 ? "none" : Bits.angle(v, names)
    }

    // MARK: changes

    /// What route(8) says for an errno from the routing socket.
    public static func reason(_ e: NetBSDErrno) -> String {
        switch e {
        case .ESRCH: return "not in table"
        case .EBUSY: return "entry in use"
        case .ENOBUFS: return "routing table overflow"
        default: return e.strerror
        }
    }

    /// The echo of add/change/delete ("add net 10.1.0.0: gateway 10.0.0.2"), with the error
    /// appended and repeated on stderr when the kernel refused.
    public static func change(_ verb: String, _ req: RouteRequest, options: RouteOptions = RouteOptions(),
                              error: NetBSDErrno? = nil) -> ToolOutput {
        var out = ToolOutput()
        var line = "\(verb) \(req.isHost ? "host" : "net") \(req.destinationText)"
        if let g = req.gatewayText { line += ": gateway \(g)" }
        if let e = error {
            line += ": \(reason(e))"
            out.stderr = "route: writing to routing socket: \(reason(e))\n"
            out.status = 1
        }
        if !options.quiet { out.stdout = line + "\n" }
        return out
    }

    /// route get / any request the kernel refused without an echo.
    public static func socketError(_ e: NetBSDErrno) -> ToolOutput {
        .errx("route", "writing to routing socket: \(reason(e))")
    }

    /// One line per route `route flush` deleted. NetBSD 7.99 printed the network with a zero
    /// mask here, so "10.4/16" shows as "10/0": reproduced as recorded.
    public static func flushed(_ r: RouteInfo) -> String {
        let dst: String
        if r.flags & RTF.HOST != 0 || r.netmask == nil {
            dst = RouteNames.routename(r.destination)
        } else if let d = r.destination.ipv4 {
            dst = RouteNames.trimmed(d.value & d.networkClassMask.value, mask: 0) + "/0"
        } else {
            dst = RouteNames.destination(r)
        }
        return Text.left(dst, 20, truncate: true) + " " + Text.left(RouteNames.routename(r.gateway), 20, truncate: true) + " done\n"
    }

    /// `route flush`: the routes deleted (route(8) removes the gateway routes only).
    public static func flush(_ deleted: [RouteInfo], options: RouteOptions = RouteOptions()) -> ToolOutput {
        options.quiet ? .success : ToolOutput(stdout: deleted.map(flushed).joined())
    }
}
