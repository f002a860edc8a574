// netstat -s counters: the kernel names each counter as NetBSD does; these tables put them
// into NetAdmin's statistics structs (unknown names are ignored, missing ones stay 0).
// The tables are computed: key paths are not Sendable, so they cannot be shared globals.
import NetAdmin
import RumpProtocol

extension Convert {
    static var ipFields: [String: WritableKeyPath<IPStatistics, UInt64>] { [
        "total": \.total, "badsum": \.badsum, "tooshort": \.tooshort, "toosmall": \.toosmall, "badhlen": \.badhlen,
        "badlen": \.badlen, "fragments": \.fragments, "fragdropped": \.fragdropped, "fragtimeout": \.fragtimeout,
        "forward": \.forward, "fastforward": \.fastforward, "cantforward": \.cantforward, "redirectsent": \.redirectsent,
        "noproto": \.noproto, "delivered": \.delivered, "localout": \.localout, "odropped": \.odropped,
        "reassembled": \.reassembled, "fragmented": \.fragmented, "ofragments": \.ofragments, "cantfrag": \.cantfrag,
        "badoptions": \.badoptions, "noroute": \.noroute, "badvers": \.badvers, "rawout": \.rawout,
        "badfrags": \.badfrags, "rcvmemdrop": \.rcvmemdrop, "toolong": \.toolong, "nogif": \.nogif, "badaddr": \.badaddr,
    ] }
    static var icmpFields: [String: WritableKeyPath<ICMPStatistics, UInt64>] { [
        "error": \.error, "oldshort": \.oldshort, "oldicmp": \.oldicmp, "badcode": \.badcode, "tooshort": \.tooshort,
        "checksum": \.checksum, "badlen": \.badlen, "reflect": \.reflect, "pmtuchg": \.pmtuchg,
        "bmcastecho": \.bmcastecho, "bmcasttstamp": \.bmcasttstamp,
    ] }
    static var arpFields: [String: WritableKeyPath<ARPStatistics, UInt64>] { [
        "sndtotal": \.sndtotal, "sndreply": \.sndreply, "sndrequest": \.sndrequest, "rcvtotal": \.rcvtotal,
        "rcvrequest": \.rcvrequest, "rcvreply": \.rcvreply, "rcvmcast": \.rcvmcast, "rcvbadproto": \.rcvbadproto,
        "rcvbadlen": \.rcvbadlen, "rcvzerotpa": \.rcvzerotpa, "rcvzerospa": \.rcvzerospa, "rcvnoint": \.rcvnoint,
        "rcvlocalsha": \.rcvlocalsha, "rcvbcastsha": \.rcvbcastsha, "rcvlocalspa": \.rcvlocalspa,
        "rcvoverperm": \.rcvoverperm, "rcvoverint": \.rcvoverint, "rcvover": \.rcvover, "rcvlenchg": \.rcvlenchg,
        "dfrtotal": \.dfrtotal, "dfrsent": \.dfrsent, "dfrdropped": \.dfrdropped, "allocfail": \.allocfail,
    ] }
    static var routeFields: [String: WritableKeyPath<RouteStatistics, UInt64>] { [
        "badredirect": \.badredirect, "dynamic": \.dynamic, "newgateway": \.newgateway, "unreach": \.unreach,
        "wildcard": \.wildcard,
    ] }

    static var udpFields: [String: WritableKeyPath<UDPStatistics, UInt64>] { [
        "ipackets": \.ipackets, "hdrops": \.hdrops, "badsum": \.badsum, "nosum": \.nosum, "badlen": \.badlen,
        "noport": \.noport, "noportbcast": \.noportbcast, "fullsock": \.fullsock, "pcbhashmiss": \.pcbhashmiss,
        "opackets": \.opackets,
    ] }

    /// The kernel's "tcp.*" names (NetBSD's tcpstat fields; FreeBSD's sack_* ones).
    static var tcpFields: [String: WritableKeyPath<TCPStatistics, UInt64>] { [
        "connattempt": \.connattempt, "accepts": \.accepts, "connects": \.connects, "drops": \.drops,
        "conndrops": \.conndrops, "closed": \.closed, "segstimed": \.segstimed, "rttupdated": \.rttupdated,
        "delack": \.delack, "timeoutdrop": \.timeoutdrop, "rexmttimeo": \.rexmttimeo, "persisttimeo": \.persisttimeo,
        "keeptimeo": \.keeptimeo, "keepprobe": \.keepprobe, "keepdrops": \.keepdrops, "persistdrops": \.persistdrops,
        "connsdrained": \.connsdrained, "pmtublackhole": \.pmtublackhole, "sndtotal": \.sndtotal, "sndpack": \.sndpack,
        "sndbyte": \.sndbyte, "sndrexmitpack": \.sndrexmitpack, "sndrexmitbyte": \.sndrexmitbyte, "sndacks": \.sndacks,
        "sndprobe": \.sndprobe, "sndurg": \.sndurg, "sndwinup": \.sndwinup, "sndctrl": \.sndctrl,
        "rcvtotal": \.rcvtotal, "rcvpack": \.rcvpack, "rcvbyte": \.rcvbyte, "rcvbadsum": \.rcvbadsum,
        "rcvbadoff": \.rcvbadoff, "rcvmemdrop": \.rcvmemdrop, "rcvshort": \.rcvshort, "rcvduppack": \.rcvduppack,
        "rcvdupbyte": \.rcvdupbyte, "rcvpartduppack": \.rcvpartduppack, "rcvpartdupbyte": \.rcvpartdupbyte,
        "rcvoopack": \.rcvoopack, "rcvoobyte": \.rcvoobyte, "rcvpackafterwin": \.rcvpackafterwin,
        "rcvbyteafterwin": \.rcvbyteafterwin, "rcvafterclose": \.rcvafterclose, "rcvwinprobe": \.rcvwinprobe,
        "rcvdupack": \.rcvdupack, "rcvacktoomuch": \.rcvacktoomuch, "rcvackpack": \.rcvackpack,
        "rcvackbyte": \.rcvackbyte, "rcvwinupd": \.rcvwinupd, "pawsdrop": \.pawsdrop, "predack": \.predack,
        "preddat": \.preddat, "pcbhashmiss": \.pcbhashmiss, "noport": \.noport, "badsyn": \.badsyn,
        "delayed_free": \.delayedFree, "sc_added": \.scAdded, "sc_completed": \.scCompleted,
        "sc_timed_out": \.scTimedOut, "sc_overflowed": \.scOverflowed, "sc_reset": \.scReset,
        "sc_unreach": \.scUnreach, "sc_bucketoverflow": \.scBucketOverflow, "sc_aborted": \.scAborted,
        "sc_dupesyn": \.scDupeSYN, "sc_dropped": \.scDropped, "sc_collisions": \.scCollisions,
        "sc_retransmitted": \.scRetransmitted, "sc_delayed_free": \.scDelayedFree, "selfquench": \.selfquench,
        "badsig": \.badsig, "goodsig": \.goodsig, "ecn_shs": \.ecnShs, "ecn_ce": \.ecnCE, "ecn_ect": \.ecnECT,
        "sack_recovery_episode": \.sackRecoveryEpisode, "sack_rexmits": \.sackRexmits,
        "sack_rexmit_bytes": \.sackRexmitBytes, "sack_rcv_blocks": \.sackRcvBlocks, "sack_send_blocks": \.sackSendBlocks,
    ] }

    public static func statistics(_ counters: [StatCounter]) -> KernelStatistics {
        var s = KernelStatistics()
        for c in counters {
            let parts = c.name.split(separator: ".", maxSplits: 2).map(String.init)
            guard parts.count >= 2 else { continue }
            switch parts[0] {
            case "ip": if let k = ipFields[parts[1]] { s.ip[keyPath: k] = c.value }
            case "arp": if let k = arpFields[parts[1]] { s.arp[keyPath: k] = c.value }
            case "rt": if let k = routeFields[parts[1]] { s.routing[keyPath: k] = c.value }
            case "tcp":
                if let k = tcpFields[parts[1]] {
                    var t = s.tcp ?? TCPStatistics()
                    t[keyPath: k] = c.value
                    s.tcp = t
                }
            case "udp":
                if let k = udpFields[parts[1]] {
                    var u = s.udp ?? UDPStatistics()
                    u[keyPath: k] = c.value
                    s.udp = u
                }
            case "ip6":
                var v = s.ip6 ?? IP6Statistics()
                if parts.count == 3, parts[1] == "nxthist", let t = Int(parts[2]), (0..<256).contains(t) {
                    v.nxthist[t] = c.value
                } else if let k = IP6Statistics.fields[parts.dropFirst().joined(separator: ".")] {
                    v[keyPath: k] = c.value
                }
                s.ip6 = v
            case "icmp6":
                var v = s.icmp6 ?? ICMP6Statistics()
                if parts.count == 3, let t = Int(parts[2]), (0..<256).contains(t), parts[1] == "outhist" || parts[1] == "inhist" {
                    if parts[1] == "outhist" { v.outhist[t] = c.value } else { v.inhist[t] = c.value }
                } else if parts.count == 2, let k = ICMP6Statistics.errorKinds.firstIndex(of: parts[1]) {
                    v.outerrhist[k] = c.value
                } else if let k = ICMP6Statistics.fields[parts.dropFirst().joined(separator: ".")] {
                    v[keyPath: k] = c.value
                }
                s.icmp6 = v
            case "icmp":
                if parts.count == 3, let t = Int(parts[2]), (0...ICMPStatistics.maxType).contains(t) {
                    if parts[1] == "outhist" { s.icmp.outhist[t] = c.value }
                    if parts[1] == "inhist" { s.icmp.inhist[t] = c.value }
                } else if let k = icmpFields[parts[1]] {
                    s.icmp[keyPath: k] = c.value
                }
            default: break
            }
        }
        return s
    }
}

extension Remote {
    /// The kernel's counters; nil when it has none (no netinet, or an older server).
    public func statistics() -> KernelStatistics? {
        guard case .success(.counters(let l)) = call(.statistics), !l.isEmpty else { return nil }
        return Convert.statistics(l)
    }
}
