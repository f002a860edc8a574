// netstat -s's ip6 and icmp6 sections: NetBSD's ip6stat/icmp6stat counters (the kernel's
// "ip6.*" and "icmp6.*" names) in usr.bin/netstat/inet6.c's wording.

/// struct ip6stat (netinet6/ip6_var.h IP6_STAT_*), the counters netstat prints.
public struct IP6Statistics: Sendable, Equatable {
    public var total: UInt64 = 0, tooshort: UInt64 = 0, toosmall: UInt64 = 0, fragments: UInt64 = 0
    public var fragdropped: UInt64 = 0, fragtimeout: UInt64 = 0, fragoverflow: UInt64 = 0, forward: UInt64 = 0
    public var cantforward: UInt64 = 0, redirectsent: UInt64 = 0, delivered: UInt64 = 0, localout: UInt64 = 0
    public var odropped: UInt64 = 0, reassembled: UInt64 = 0, fragmented: UInt64 = 0, ofragments: UInt64 = 0
    public var cantfrag: UInt64 = 0, badoptions: UInt64 = 0, noroute: UInt64 = 0, badvers: UInt64 = 0
    public var rawout: UInt64 = 0, badscope: UInt64 = 0, notmember: UInt64 = 0
    public var m1: UInt64 = 0, mext1: UInt64 = 0, mext2m: UInt64 = 0, exthdrtoolong: UInt64 = 0
    public var nogif: UInt64 = 0, toomanyhdr: UInt64 = 0, sourcesNone: UInt64 = 0
    public var forwardCachehit: UInt64 = 0, forwardCachemiss: UInt64 = 0
    public var fastforward: UInt64 = 0, fastforwardflows: UInt64 = 0
    /// Input packets by next header (IP6_STAT_NXTHIST).
    public var nxthist = [UInt64](repeating: 0, count: 256)
    public init() {}

    /// The kernel's names (the IP6_STAT_* suffixes, lowercase) for each counter.
    public static var fields: [String: WritableKeyPath<IP6Statistics, UInt64>] { [
        "total": \.total, "tooshort": \.tooshort, "toosmall": \.toosmall, "fragments": \.fragments,
        "fragdropped": \.fragdropped, "fragtimeout": \.fragtimeout, "fragoverflow": \.fragoverflow,
        "forward": \.forward, "cantforward": \.cantforward, "redirectsent": \.redirectsent, "delivered": \.delivered,
        "localout": \.localout, "odropped": \.odropped, "reassembled": \.reassembled, "fragmented": \.fragmented,
        "ofragments": \.ofragments, "cantfrag": \.cantfrag, "badoptions": \.badoptions, "noroute": \.noroute,
        "badvers": \.badvers, "rawout": \.rawout, "badscope": \.badscope, "notmember": \.notmember, "m1": \.m1,
        "mext1": \.mext1, "mext2m": \.mext2m, "exthdrtoolong": \.exthdrtoolong, "nogif": \.nogif,
        "toomanyhdr": \.toomanyhdr, "sources_none": \.sourcesNone, "forward_cachehit": \.forwardCachehit,
        "forward_cachemiss": \.forwardCachemiss, "fastforward": \.fastforward, "fastforwardflows": \.fastforwardflows,
    ] }
}

/// struct icmp6stat (netinet/icmp6.h ICMP6_STAT_*).
public struct ICMP6Statistics: Sendable, Equatable {
    public var error: UInt64 = 0, canterror: UInt64 = 0, toofreq: UInt64 = 0, badcode: UInt64 = 0
    public var tooshort: UInt64 = 0, checksum: UInt64 = 0, badlen: UInt64 = 0, reflect: UInt64 = 0
    public var ndToomanyopt: UInt64 = 0, ndBadopt: UInt64 = 0, badns: UInt64 = 0, badna: UInt64 = 0
    public var badrs: UInt64 = 0, badra: UInt64 = 0, badredirect: UInt64 = 0, pmtuchg: UInt64 = 0
    public var outhist = [UInt64](repeating: 0, count: 256)
    public var inhist = [UInt64](repeating: 0, count: 256)
    /// ICMP6_ERRSTAT_*: the errors the stack decided to send, by kind (outerrhist).
    public var outerrhist = [UInt64](repeating: 0, count: 13)
    public init() {}

    public static var fields: [String: WritableKeyPath<ICMP6Statistics, UInt64>] { [
        "error": \.error, "canterror": \.canterror, "toofreq": \.toofreq, "badcode": \.badcode,
        "tooshort": \.tooshort, "checksum": \.checksum, "badlen": \.badlen, "reflect": \.reflect,
        "nd_toomanyopt": \.ndToomanyopt, "nd_badopt": \.ndBadopt, "badns": \.badns, "badna": \.badna,
        "badrs": \.badrs, "badra": \.badra, "badredirect": \.badredirect, "pmtuchg": \.pmtuchg,
    ] }
    /// The kernel's names of the outerrhist counters (struct icmp6stat's icp6s_o* fields), in
    /// ICMP6_ERRSTAT_* order.
    public static let errorKinds = ["odst_unreach_noroute", "odst_unreach_admin", "odst_unreach_beyondscope",
                                    "odst_unreach_addr", "odst_unreach_noport", "opacket_too_big", "otime_exceed_transit",
                                    "otime_exceed_reassembly", "oparamprob_header", "oparamprob_nextheader",
                                    "oparamprob_option", "oredirect", "ounknown"]
}

extension StatisticsFormat {
    /// ip6nh[]: the next header names of the input histogram (others print "#N").
    static let ip6NextHeaderNames: [Int: String] = [
        0: "hop by hop", 1: "ICMP", 2: "IGMP", 4: "IP", 6: "TCP", 17: "UDP", 22: "IDP", 29: "TP", 41: "IP6",
        43: "routing", 44: "fragment", 50: "ESP", 51: "AH", 58: "ICMP6", 59: "no next header",
        60: "destination option", 80: "ISOIP", 89: "OSPF", 97: "Ethernet", 103: "PIM", 132: "SCTP",
    ]

    /// icmp6names[]: "#N" except the types NetBSD names.
    static func icmp6Name(_ t: Int) -> String {
        let named: [Int: String] = [
            1: "unreach", 2: "packet too big", 3: "time exceed", 4: "parameter problem", 128: "echo",
            129: "echo reply", 130: "multicast listener query", 131: "multicast listener report",
            132: "multicast listener done", 133: "router solicitation", 134: "router advertisement",
            135: "neighbor solicitation", 136: "neighbor advertisement", 137: "redirect", 138: "router renumbering",
            139: "node information request", 140: "node information reply",
        ]
        // The table has two typos NetBSD prints: entries 90 and 190 read "#80" and "#180".
        if t == 90 { return "#80" }
        if t == 190 { return "#180" }
        return named[t] ?? "#\(t)"
    }

    public static func ip6(_ s: IP6Statistics, suppressZero: Bool = false) -> String {
        var l = StatLines(suppressZero: suppressZero)
        l.p(1, s.total, "{n} total packet{s} received")
        l.p(1, s.toosmall, "{n} with size smaller than minimum")
        l.p(1, s.tooshort, "{n} with data size < data length")
        l.p(1, s.badoptions, "{n} with bad options")
        l.p(1, s.badvers, "{n} with incorrect version number")
        l.p(1, s.fragments, "{n} fragment{s} received")
        l.p(1, s.fragdropped, "{n} fragment{s} dropped (dup or out of space)")
        l.p(1, s.fragtimeout, "{n} fragment{s} dropped after timeout")
        l.p(1, s.fragoverflow, "{n} fragment{s} that exceeded limit")
        l.p(1, s.reassembled, "{n} packet{s} reassembled ok")
        l.p(1, s.delivered, "{n} packet{s} for this host")
        l.p(1, s.forward, "{n} packet{s} forwarded")
        l.p(1, s.fastforward, "{n} packet{s} fast forwarded")
        l.p(1, s.fastforwardflows, "{n} fast forward flows")
        l.p(1, s.cantforward, "{n} packet{s} not forwardable")
        l.p(1, s.redirectsent, "{n} redirect{s} sent")
        l.p(1, s.localout, "{n} packet{s} sent from this host")
        l.p(1, s.rawout, "{n} packet{s} sent with fabricated ip header")
        l.p(1, s.odropped, "{n} output packet{s} dropped due to no bufs, etc.")
        l.p(1, s.noroute, "{n} output packet{s} discarded due to no route")
        l.p(1, s.fragmented, "{n} output datagram{s} fragmented")
        l.p(1, s.ofragments, "{n} fragment{s} created")
        l.p(1, s.cantfrag, "{n} datagram{s} that can't be fragmented")
        l.p(1, s.badscope, "{n} packet{s} that violated scope rules")
        l.p(1, s.notmember, "{n} multicast packet{s} which we don't join")
        histogram(&l, "Input packet histogram:", s.nxthist) { ip6NextHeaderNames[$0] ?? "#\($0)" }
        l.text += "\tMbuf statistics:\n"
        l.p(2, s.m1, "{n} one mbuf{s}")
        l.p(2, s.mext1, "{n} one ext mbuf{s}")
        l.p(2, s.mext2m, "{n} two or more ext mbuf{s}")
        l.p(1, s.exthdrtoolong, "{n} packet{s} whose headers are not continuous")
        l.p(1, s.nogif, "{n} tunneling packet{s} that can't find gif")
        l.p(1, s.toomanyhdr, "{n} packet{s} discarded due to too many headers")
        l.p(1, s.sourcesNone, "{n} failure{s} of source address selection")
        l.p(1, s.forwardCachehit, "{n} forward cache hit")
        l.p(1, s.forwardCachemiss, "{n} forward cache miss")
        return "ip6:\n" + l.text
    }

    public static func icmp6(_ s: ICMP6Statistics, suppressZero: Bool = false) -> String {
        var l = StatLines(suppressZero: suppressZero)
        l.p(1, s.error, "{n} call{s} to icmp6_error")
        l.p(1, s.canterror, "{n} error{s} not generated because old message was icmp6 or so")
        l.p(1, s.toofreq, "{n} error{s} not generated because of rate limitation")
        histogram(&l, "Output packet histogram:", s.outhist, name: icmp6Name)
        l.p(1, s.badcode, "{n} message{s} with bad code fields")
        l.p(1, s.tooshort, "{n} message{s} < minimum length")
        l.p(1, s.checksum, "{n} bad checksum{s}")
        l.p(1, s.badlen, "{n} message{s} with bad length")
        // ICMP6_MAXTYPE is 201: the input histogram stops before it.
        histogram(&l, "Input packet histogram:", s.inhist.prefix(201), name: icmp6Name)
        l.text += "\tHistogram of error messages to be generated:\n"
        let words = ["no route", "administratively prohibited", "beyond scope", "address unreachable",
                     "port unreachable", "packet too big", "time exceed transit", "time exceed reassembly",
                     "erroneous header field", "unrecognized next header", "unrecognized option", "redirect", "unknown"]
        for (k, w) in words.enumerated() { l.p(2, s.outerrhist[k], "{n} \(w)") }
        l.p(1, s.reflect, "{n} message response{s} generated")
        l.p(1, s.ndToomanyopt, "{n} message{s} with too many ND options")
        l.p(1, s.ndBadopt, "{n} message{s} with bad ND options")
        l.p(1, s.badns, "{n} bad neighbor solicitation message{s}")
        l.p(1, s.badna, "{n} bad neighbor advertisement message{s}")
        l.p(1, s.badrs, "{n} bad router solicitation message{s}")
        l.p(1, s.badra, "{n} bad router advertisement message{s}")
        l.p(1, s.badredirect, "{n} bad redirect message{s}")
        l.p(1, s.pmtuchg, "{n} path MTU change{s}")
        return "icmp6:\n" + l.text
    }

    /// `netstat -s` with every section the kernel has counters for, ip6 and icmp6 included.
    public static func report(_ protocols: [NetstatProtocol], ip: IPStatistics?, icmp: ICMPStatistics?, arp: ARPStatistics?,
                              udp: UDPStatistics?, tcp: TCPStatistics?, ip6: IP6Statistics?, icmp6: ICMP6Statistics?,
                              suppressZero: Bool = false) -> String {
        var s = ""
        for p in protocols {
            switch p {
            case .ip6: if let ip6 { s += Self.ip6(ip6, suppressZero: suppressZero) }
            case .icmp6: if let icmp6 { s += Self.icmp6(icmp6, suppressZero: suppressZero) }
            default: s += report([p], ip: ip, icmp: icmp, arp: arp, udp: udp, tcp: tcp, suppressZero: suppressZero)
            }
        }
        return s
    }
}
