// netstat -s sections in NetBSD's wording; "{s}" marks a plural "s" for the counter.

struct StatLines {
    var text = ""
    let suppressZero: Bool

    /// One counter line; `indent` tabs, `format` with "{n}" for the value and "{s}" for the plural.
    mutating func p(_ indent: Int, _ n: UInt64, _ format: String) {
        if suppressZero && n == 0 { return }
        text += String(repeating: "\t", count: indent)
            + format.replacing("{n}", with: String(n)).replacing("{s}", with: Text.plural(n)) + "\n"
    }
}

public enum StatisticsFormat {
    /// ICMP type names of NetBSD's netstat (icmpnames[]).
    static let icmpNames: [String] = [
        "echoreply", "#1", "#2", "unreach", "sourcequench", "routerredirect", "althostaddr", "#7",
        "echo", "routeradvert", "routersolicit", "timxceed", "parampro", "stamp", "stampreply",
        "inforeq", "inforeply", "maskreq", "maskreply", "#19", "#20", "#21", "#22", "#23", "#24",
        "#25", "#26", "#27", "#28", "#29", "traceroute", "dataconverr", "mobile_redirect",
        "ipv6_whereareyou", "ipv6_iamhere", "mobile_register", "mobile_registerreply",
        "domain_name", "domain_name_reply", "skip", "photuris",
    ]

    public static func ip(_ s: IPStatistics, suppressZero: Bool = false) -> String {
        var l = StatLines(suppressZero: suppressZero)
        l.p(1, s.total, "{n} total packet{s} received")
        l.p(1, s.badsum, "{n} bad header checksum{s}")
        l.p(1, s.toosmall, "{n} with size smaller than minimum")
        l.p(1, s.tooshort, "{n} with data size < data length")
        l.p(1, s.toolong, "{n} with length > max ip packet size")
        l.p(1, s.badhlen, "{n} with header length < data size")
        l.p(1, s.badlen, "{n} with data length < header length")
        l.p(1, s.badoptions, "{n} with bad options")
        l.p(1, s.badvers, "{n} with incorrect version number")
        l.p(1, s.fragments, "{n} fragment{s} received")
        l.p(1, s.fragdropped, "{n} fragment{s} dropped (dup or out of space)")
        l.p(1, s.rcvmemdrop, "{n} fragment{s} dropped (out of ipqent)")
        l.p(1, s.badfrags, "{n} malformed fragment{s} dropped")
        l.p(1, s.fragtimeout, "{n} fragment{s} dropped after timeout")
        l.p(1, s.reassembled, "{n} packet{s} reassembled ok")
        l.p(1, s.delivered, "{n} packet{s} for this host")
        l.p(1, s.noproto, "{n} packet{s} for unknown/unsupported protocol")
        if !suppressZero || s.forward != 0 || s.fastforward != 0 {
            l.text += "\t\(s.forward) packet\(Text.plural(s.forward)) forwarded (\(s.fastforward) packet\(Text.plural(s.fastforward)) fast forwarded)\n"
        }
        l.p(1, s.cantforward, "{n} packet{s} not forwardable")
        l.p(1, s.redirectsent, "{n} redirect{s} sent")
        l.p(1, s.nogif, "{n} packet{s} no matching gif found")
        l.p(1, s.localout, "{n} packet{s} sent from this host")
        l.p(1, s.rawout, "{n} packet{s} sent with fabricated ip header")
        l.p(1, s.odropped, "{n} output packet{s} dropped due to no bufs, etc.")
        l.p(1, s.noroute, "{n} output packet{s} discarded due to no route")
        l.p(1, s.fragmented, "{n} output datagram{s} fragmented")
        l.p(1, s.ofragments, "{n} fragment{s} created")
        l.p(1, s.cantfrag, "{n} datagram{s} that can't be fragmented")
        l.p(1, s.badaddr, "{n} datagram{s} with bad address in header")
        return "ip:\n" + l.text
    }

    public static func icmp(_ s: ICMPStatistics, suppressZero: Bool = false) -> String {
        var l = StatLines(suppressZero: suppressZero)
        l.p(1, s.error, "{n} call{s} to icmp_error")
        l.p(1, s.oldicmp, "{n} error{s} not generated because old message was icmp")
        histogram(&l, "Output histogram:", s.outhist)
        l.p(1, s.badcode, "{n} message{s} with bad code fields")
        l.p(1, s.tooshort, "{n} message{s} < minimum length")
        l.p(1, s.checksum, "{n} bad checksum{s}")
        l.p(1, s.badlen, "{n} message{s} with bad length")
        l.p(1, s.bmcastecho, "{n} multicast echo requests ignored")
        l.p(1, s.bmcasttstamp, "{n} multicast timestamp requests ignored")
        histogram(&l, "Input histogram:", s.inhist)
        l.p(1, s.reflect, "{n} message response{s} generated")
        l.p(1, s.pmtuchg, "{n} path MTU change{s}")
        return "icmp:\n" + l.text
    }

    /// The title appears only above a non-zero bucket, as in NetBSD.
    static func histogram(_ l: inout StatLines, _ title: String, _ h: some Collection<UInt64>,
                          name: (Int) -> String = { $0 < icmpNames.count ? icmpNames[$0] : "#\($0)" }) {
        var first = true
        for (type, n) in h.enumerated() where n != 0 {
            if first { l.text += "\t\(title)\n"; first = false }
            l.text += "\t\t\(name(type)): \(n)\n"
        }
    }

    public static func arp(_ s: ARPStatistics, suppressZero: Bool = false) -> String {
        var l = StatLines(suppressZero: suppressZero)
        l.p(1, s.sndtotal, "{n} packet{s} sent")
        l.p(2, s.sndreply, "{n} reply packet{s}")
        l.p(2, s.sndrequest, "{n} request packet{s}")
        l.p(1, s.rcvtotal, "{n} packet{s} received")
        l.p(2, s.rcvreply, "{n} reply packet{s}")
        l.p(2, s.rcvrequest, "{n} valid request packet{s}")
        l.p(2, s.rcvmcast, "{n} broadcast/multicast packet{s}")
        l.p(2, s.rcvbadproto, "{n} packet{s} with unknown protocol type")
        l.p(2, s.rcvbadlen, "{n} packet{s} with bad (short) length")
        l.p(2, s.rcvzerotpa, "{n} packet{s} with null target IP address")
        l.p(2, s.rcvzerospa, "{n} packet{s} with null source IP address")
        l.p(2, s.rcvnoint, "{n} could not be mapped to an interface")
        l.p(2, s.rcvlocalsha, "{n} packet{s} sourced from a local hardware address")
        l.p(2, s.rcvbcastsha, "{n} packet{s} with a broadcast source hardware address")
        l.p(2, s.rcvlocalspa, "{n} duplicate{s} for a local IP address")
        l.p(2, s.rcvoverperm, "{n} attempt{s} to overwrite a static entry")
        l.p(2, s.rcvoverint, "{n} packet{s} received on wrong interface")
        l.p(2, s.rcvover, "{n} entry{s} overwritten")
        l.p(2, s.rcvlenchg, "{n} change{s} in hardware address length")
        l.p(1, s.dfrtotal, "{n} packet{s} deferred pending ARP resolution")
        l.p(2, s.dfrsent, "{n} sent")
        l.p(2, s.dfrdropped, "{n} dropped")
        l.p(1, s.allocfail, "{n} failure{s} to allocate llinfo")
        return "arp:\n" + l.text
    }

    /// `netstat -rs`.
    public static func routing(_ s: RouteStatistics) -> String {
        var l = StatLines(suppressZero: false)
        l.p(1, s.badredirect, "{n} bad routing redirect{s}")
        l.p(1, s.dynamic, "{n} dynamically created route{s}")
        l.p(1, s.newgateway, "{n} new gateway{s} due to redirects")
        l.p(1, s.unreach, "{n} destination{s} found unreachable")
        l.p(1, s.wildcard, "{n} use{s} of a wildcard route")
        return "routing:\n" + l.text
    }
}

extension StatisticsFormat {
    /// `netstat -s`: the sections of `protocols` (NetstatCommand's order) the kernel has
    /// counters for; the others are skipped, as NetBSD skips protocols without sysctl nodes.
    public static func report(_ protocols: [NetstatProtocol], ip: IPStatistics? = nil, icmp: ICMPStatistics? = nil,
                              arp: ARPStatistics? = nil, suppressZero: Bool = false) -> String {
        var s = ""
        for p in protocols {
            switch p {
            case .ip: if let ip { s += Self.ip(ip, suppressZero: suppressZero) }
            case .icmp: if let icmp { s += Self.icmp(icmp, suppressZero: suppressZero) }
            case .arp: if let arp { s += Self.arp(arp, suppressZero: suppressZero) }
            default: break
            }
        }
        return s
    }
}
