// Protocol counters netstat -s prints, by NetBSD's ipstat/icmpstat/arpstat/rtstat names.

/// IP_STAT_* counters (netinet/ip_var.h).
public struct IPStatistics: Sendable, Equatable {
    public var total: UInt64 = 0, badsum: UInt64 = 0, tooshort: UInt64 = 0, toosmall: UInt64 = 0
    public var badhlen: UInt64 = 0, badlen: UInt64 = 0, fragments: UInt64 = 0, fragdropped: UInt64 = 0
    public var fragtimeout: UInt64 = 0, forward: UInt64 = 0, fastforward: UInt64 = 0, cantforward: UInt64 = 0
    public var redirectsent: UInt64 = 0, noproto: UInt64 = 0, delivered: UInt64 = 0, localout: UInt64 = 0
    public var odropped: UInt64 = 0, reassembled: UInt64 = 0, fragmented: UInt64 = 0, ofragments: UInt64 = 0
    public var cantfrag: UInt64 = 0, badoptions: UInt64 = 0, noroute: UInt64 = 0, badvers: UInt64 = 0
    public var rawout: UInt64 = 0, badfrags: UInt64 = 0, rcvmemdrop: UInt64 = 0, toolong: UInt64 = 0
    public var nogif: UInt64 = 0, badaddr: UInt64 = 0
    public init() {}

    /// Field order of the wire encoding; append only.
    static var keyPaths: [WritableKeyPath<IPStatistics, UInt64>] { [
        \.total, \.badsum, \.tooshort, \.toosmall, \.badhlen, \.badlen, \.fragments, \.fragdropped,
        \.fragtimeout, \.forward, \.fastforward, \.cantforward, \.redirectsent, \.noproto, \.delivered,
        \.localout, \.odropped, \.reassembled, \.fragmented, \.ofragments, \.cantfrag, \.badoptions,
        \.noroute, \.badvers, \.rawout, \.badfrags, \.rcvmemdrop, \.toolong, \.nogif, \.badaddr,
    ] }
}

/// ICMP_STAT_* counters (netinet/icmp_var.h) with histograms by ICMP type (0...ICMP_MAXTYPE).
public struct ICMPStatistics: Sendable, Equatable {
    public static let maxType = 40
    public var error: UInt64 = 0, oldshort: UInt64 = 0, oldicmp: UInt64 = 0, badcode: UInt64 = 0
    public var tooshort: UInt64 = 0, checksum: UInt64 = 0, badlen: UInt64 = 0, reflect: UInt64 = 0
    public var pmtuchg: UInt64 = 0, bmcastecho: UInt64 = 0, bmcasttstamp: UInt64 = 0
    public var outhist = [UInt64](repeating: 0, count: maxType + 1)
    public var inhist = [UInt64](repeating: 0, count: maxType + 1)
    public init() {}

    static var keyPaths: [WritableKeyPath<ICMPStatistics, UInt64>] { [
        \.error, \.oldshort, \.oldicmp, \.badcode, \.tooshort, \.checksum, \.badlen, \.reflect,
        \.pmtuchg, \.bmcastecho, \.bmcasttstamp,
    ] }
}

/// ARP_STAT_* counters (netinet/if_inarp.h).
public struct ARPStatistics: Sendable, Equatable {
    public var sndtotal: UInt64 = 0, sndreply: UInt64 = 0, sndrequest: UInt64 = 0
    public var rcvtotal: UInt64 = 0, rcvrequest: UInt64 = 0, rcvreply: UInt64 = 0, rcvmcast: UInt64 = 0
    public var rcvbadproto: UInt64 = 0, rcvbadlen: UInt64 = 0, rcvzerotpa: UInt64 = 0, rcvzerospa: UInt64 = 0
    public var rcvnoint: UInt64 = 0, rcvlocalsha: UInt64 = 0, rcvbcastsha: UInt64 = 0, rcvlocalspa: UInt64 = 0
    public var rcvoverperm: UInt64 = 0, rcvoverint: UInt64 = 0, rcvover: UInt64 = 0, rcvlenchg: UInt64 = 0
    public var dfrtotal: UInt64 = 0, dfrsent: UInt64 = 0, dfrdropped: UInt64 = 0, allocfail: UInt64 = 0
    public init() {}

    static var keyPaths: [WritableKeyPath<ARPStatistics, UInt64>] { [
        \.sndtotal, \.sndreply, \.sndrequest, \.rcvtotal, \.rcvrequest, \.rcvreply, \.rcvmcast,
        \.rcvbadproto, \.rcvbadlen, \.rcvzerotpa, \.rcvzerospa, \.rcvnoint, \.rcvlocalsha, \.rcvbcastsha,
        \.rcvlocalspa, \.rcvoverperm, \.rcvoverint, \.rcvover, \.rcvlenchg, \.dfrtotal, \.dfrsent,
        \.dfrdropped, \.allocfail,
    ] }
}

/// struct rtstat (netstat -rs).
public struct RouteStatistics: Sendable, Equatable {
    public var badredirect: UInt64 = 0, dynamic: UInt64 = 0, newgateway: UInt64 = 0
    public var unreach: UInt64 = 0, wildcard: UInt64 = 0
    public init() {}

    static var keyPaths: [WritableKeyPath<RouteStatistics, UInt64>] { [
        \.badredirect, \.dynamic, \.newgateway, \.unreach, \.wildcard,
    ] }
}
