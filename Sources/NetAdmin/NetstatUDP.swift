// netstat -s's udp section (NetBSD usr.bin/netstat/inet.c udp_stats) and the report that
// places tcp and udp before ip, as NetBSD's protocol table does.

/// UDP_STAT_* counters (netinet/udp_var.h), by the names the kernel reports ("udp.ipackets").
public struct UDPStatistics: Sendable, Equatable {
    public var ipackets: UInt64 = 0, hdrops: UInt64 = 0, badsum: UInt64 = 0, nosum: UInt64 = 0
    public var badlen: UInt64 = 0, noport: UInt64 = 0, noportbcast: UInt64 = 0, fullsock: UInt64 = 0
    public var pcbhashmiss: UInt64 = 0, opackets: UInt64 = 0
    public init() {}

    /// What NetBSD prints as "delivered": received minus every kind of drop (saturating, since
    /// counters read one by one can disagree for a moment).
    public var delivered: UInt64 {
        let dropped = hdrops &+ badlen &+ badsum &+ noport &+ noportbcast &+ fullsock
        return ipackets >= dropped ? ipackets - dropped : 0
    }
}

extension StatisticsFormat {
    public static func udp(_ s: UDPStatistics, suppressZero: Bool = false) -> String {
        var l = StatLines(suppressZero: suppressZero)
        l.p(1, s.ipackets, "{n} datagram{s} received")
        l.p(1, s.hdrops, "{n} with incomplete header")
        l.p(1, s.badlen, "{n} with bad data length field")
        l.p(1, s.badsum, "{n} with bad checksum")
        l.p(1, s.noport, "{n} dropped due to no socket")
        l.p(1, s.noportbcast, "{n} broadcast/multicast datagram{s} dropped due to no socket")
        l.p(1, s.fullsock, "{n} dropped due to full socket buffers")
        l.p(1, s.delivered, "{n} delivered")
        if !suppressZero || s.pcbhashmiss != 0 {
            l.text += "\t\(s.pcbhashmiss) PCB hash miss\(Text.plurales(s.pcbhashmiss))\n"
        }
        l.p(1, s.opackets, "{n} datagram{s} output")
        return "udp:\n" + l.text
    }

    /// `netstat -s` with the tcp and udp sections: each protocol of `protocols` in
    /// NetstatCommand's order, those the kernel has no counters for (nil) skipped.
    public static func report(_ protocols: [NetstatProtocol], ip: IPStatistics?, icmp: ICMPStatistics?, arp: ARPStatistics?,
                              udp: UDPStatistics?, tcp: TCPStatistics? = nil, suppressZero: Bool = false) -> String {
        var s = ""
        for p in protocols {
            if p == .udp {
                if let udp { s += Self.udp(udp, suppressZero: suppressZero) }
            } else if p == .tcp {
                if let tcp { s += Self.tcp(tcp, suppressZero: suppressZero) }
            } else {
                s += report([p], ip: ip, icmp: icmp, arp: arp, suppressZero: suppressZero)
            }
        }
        return s
    }
}
