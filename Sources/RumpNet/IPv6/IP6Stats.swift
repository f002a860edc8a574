// NetBSD's ip6stat and icmp6stat (netinet6/ip6_var.h, netinet/icmp6.h), field for field where
// the stack can count them; `named` gives them in `netstat -s -p ip6|icmp6` order with the field
// names (ip6s_X → "X").

public struct IP6Stats: Sendable, Equatable {
    public var total: UInt64 = 0, tooshort: UInt64 = 0, toosmall: UInt64 = 0, badoptions: UInt64 = 0, badvers: UInt64 = 0
    public var fragments: UInt64 = 0, fragdropped: UInt64 = 0, fragtimeout: UInt64 = 0, fragoverflow: UInt64 = 0
    public var reassembled: UInt64 = 0, delivered: UInt64 = 0, forward: UInt64 = 0, fastforward: UInt64 = 0
    public var fastforwardflows: UInt64 = 0, cantforward: UInt64 = 0, redirectsent: UInt64 = 0, localout: UInt64 = 0
    public var rawout: UInt64 = 0, odropped: UInt64 = 0, noroute: UInt64 = 0, fragmented: UInt64 = 0
    public var ofragments: UInt64 = 0, cantfrag: UInt64 = 0, badscope: UInt64 = 0, notmember: UInt64 = 0
    /// Input histogram by next header (each header dispatched counts once).
    public var nxthist = [UInt64](repeating: 0, count: 256)
    public var m1: UInt64 = 0, mext1: UInt64 = 0, mext2m: UInt64 = 0
    public var exthdrtoolong: UInt64 = 0, nogif: UInt64 = 0, toomanyhdr: UInt64 = 0, sources_none: UInt64 = 0
    public var forward_cachehit: UInt64 = 0, forward_cachemiss: UInt64 = 0

    public var named: [(String, UInt64)] {
        [("total", total), ("tooshort", tooshort), ("toosmall", toosmall), ("badoptions", badoptions),
         ("badvers", badvers), ("fragments", fragments), ("fragdropped", fragdropped), ("fragtimeout", fragtimeout),
         ("fragoverflow", fragoverflow), ("reassembled", reassembled), ("delivered", delivered), ("forward", forward),
         ("fastforward", fastforward), ("fastforwardflows", fastforwardflows), ("cantforward", cantforward),
         ("redirectsent", redirectsent), ("localout", localout), ("rawout", rawout), ("odropped", odropped),
         ("noroute", noroute), ("fragmented", fragmented), ("ofragments", ofragments), ("cantfrag", cantfrag),
         ("badscope", badscope), ("notmember", notmember), ("m1", m1), ("mext1", mext1), ("mext2m", mext2m),
         ("exthdrtoolong", exthdrtoolong), ("nogif", nogif), ("toomanyhdr", toomanyhdr),
         ("sources_none", sources_none), ("forward_cachehit", forward_cachehit),
         ("forward_cachemiss", forward_cachemiss)]
        + nxthist.enumerated().filter { $0.element != 0 }.map { ("nxthist.\($0.offset)", $0.element) }
    }
}

public struct ICMP6Stats: Sendable, Equatable {
    /// Calls to icmp6_error, errors not sent because the invoking packet was itself an error (or
    /// unfit), errors not sent because of the rate limit.
    public var error: UInt64 = 0, canterror: UInt64 = 0, toofreq: UInt64 = 0
    public var outhist = [UInt64](repeating: 0, count: 256)
    public var badcode: UInt64 = 0, tooshort: UInt64 = 0, checksum: UInt64 = 0, badlen: UInt64 = 0
    public var reflect: UInt64 = 0
    public var inhist = [UInt64](repeating: 0, count: 256)
    public var nd_toomanyopt: UInt64 = 0
    // icmp6errstat: errors sent, by kind.
    public var odst_unreach_noroute: UInt64 = 0, odst_unreach_admin: UInt64 = 0, odst_unreach_beyondscope: UInt64 = 0
    public var odst_unreach_addr: UInt64 = 0, odst_unreach_noport: UInt64 = 0, opacket_too_big: UInt64 = 0
    public var otime_exceed_transit: UInt64 = 0, otime_exceed_reassembly: UInt64 = 0
    public var oparamprob_header: UInt64 = 0, oparamprob_nextheader: UInt64 = 0, oparamprob_option: UInt64 = 0
    public var oredirect: UInt64 = 0, ounknown: UInt64 = 0
    public var pmtuchg: UInt64 = 0, nd_badopt: UInt64 = 0
    public var badns: UInt64 = 0, badna: UInt64 = 0, badrs: UInt64 = 0, badra: UInt64 = 0, badredirect: UInt64 = 0

    public var named: [(String, UInt64)] {
        [("error", error), ("canterror", canterror), ("toofreq", toofreq), ("badcode", badcode),
         ("tooshort", tooshort), ("checksum", checksum), ("badlen", badlen), ("reflect", reflect),
         ("nd_toomanyopt", nd_toomanyopt), ("odst_unreach_noroute", odst_unreach_noroute),
         ("odst_unreach_admin", odst_unreach_admin), ("odst_unreach_beyondscope", odst_unreach_beyondscope),
         ("odst_unreach_addr", odst_unreach_addr), ("odst_unreach_noport", odst_unreach_noport),
         ("opacket_too_big", opacket_too_big), ("otime_exceed_transit", otime_exceed_transit),
         ("otime_exceed_reassembly", otime_exceed_reassembly), ("oparamprob_header", oparamprob_header),
         ("oparamprob_nextheader", oparamprob_nextheader), ("oparamprob_option", oparamprob_option),
         ("oredirect", oredirect), ("ounknown", ounknown), ("pmtuchg", pmtuchg), ("nd_badopt", nd_badopt),
         ("badns", badns), ("badna", badna), ("badrs", badrs), ("badra", badra), ("badredirect", badredirect)]
        + outhist.enumerated().filter { $0.element != 0 }.map { ("outhist.\($0.offset)", $0.element) }
        + inhist.enumerated().filter { $0.element != 0 }.map { ("inhist.\($0.offset)", $0.element) }
    }

    /// Counts one error sent, by type and code (icmp6_errcount).
    mutating func countError(type: UInt8, code: UInt8) {
        switch (type, code) {
        case (ICMPv6Type.destinationUnreachable, ICMPv6Code.noRoute): odst_unreach_noroute &+= 1
        case (ICMPv6Type.destinationUnreachable, ICMPv6Code.adminProhibited): odst_unreach_admin &+= 1
        case (ICMPv6Type.destinationUnreachable, ICMPv6Code.beyondScope): odst_unreach_beyondscope &+= 1
        case (ICMPv6Type.destinationUnreachable, ICMPv6Code.addressUnreachable): odst_unreach_addr &+= 1
        case (ICMPv6Type.destinationUnreachable, ICMPv6Code.portUnreachable): odst_unreach_noport &+= 1
        case (ICMPv6Type.packetTooBig, _): opacket_too_big &+= 1
        case (ICMPv6Type.timeExceeded, ICMPv6Code.hopLimitExceeded): otime_exceed_transit &+= 1
        case (ICMPv6Type.timeExceeded, ICMPv6Code.reassemblyTimeExceeded): otime_exceed_reassembly &+= 1
        case (ICMPv6Type.parameterProblem, ICMPv6Code.erroneousHeader): oparamprob_header &+= 1
        case (ICMPv6Type.parameterProblem, ICMPv6Code.unrecognizedNextHeader): oparamprob_nextheader &+= 1
        case (ICMPv6Type.parameterProblem, ICMPv6Code.unrecognizedOption): oparamprob_option &+= 1
        case (ICMPv6Type.redirect, _): oredirect &+= 1
        default: ounknown &+= 1
        }
    }
}
