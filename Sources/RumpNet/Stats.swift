// Protocol counters, named after NetBSD's ipstat/icmpstat/arpstat fields (netstat -s).

public struct IPStats: Sendable, Equatable {
    public var total: UInt64 = 0, badsum: UInt64 = 0, tooshort: UInt64 = 0, toosmall: UInt64 = 0
    public var badhlen: UInt64 = 0, badlen: UInt64 = 0, badvers: UInt64 = 0, badaddr: UInt64 = 0
    public var fragments: UInt64 = 0, fragdropped: UInt64 = 0, fragtimeout: UInt64 = 0, reassembled: UInt64 = 0
    public var fragoverlap: UInt64 = 0
    public var forward: UInt64 = 0, cantforward: UInt64 = 0, noroute: UInt64 = 0, delivered: UInt64 = 0
    public var localout: UInt64 = 0, odropped: UInt64 = 0, fragmented: UInt64 = 0, ofragments: UInt64 = 0
    public var cantfrag: UInt64 = 0, noproto: UInt64 = 0, toolong: UInt64 = 0, notmember: UInt64 = 0
}

public struct ICMPStats: Sendable, Equatable {
    public var error: UInt64 = 0, oldicmp: UInt64 = 0, oldshort: UInt64 = 0, badcode: UInt64 = 0
    public var tooshort: UInt64 = 0, checksum: UInt64 = 0, badlen: UInt64 = 0, reflect: UInt64 = 0
    public var ratelimited: UInt64 = 0, bmcastecho: UInt64 = 0
    /// Output and input histograms by ICMP type.
    public var outhist = [UInt64](repeating: 0, count: 41)
    public var inhist = [UInt64](repeating: 0, count: 41)
}

public struct ARPStats: Sendable, Equatable {
    public var sent: UInt64 = 0, sentRequests: UInt64 = 0, sentReplies: UInt64 = 0
    public var received: UInt64 = 0, receivedRequests: UInt64 = 0, receivedReplies: UInt64 = 0
    public var badFrames: UInt64 = 0, dupAddress: UInt64 = 0, heldDropped: UInt64 = 0, timeouts: UInt64 = 0
    public var notOurs: UInt64 = 0
}

/// Ethernet-layer drops that no protocol counter covers.
public struct EtherStats: Sendable, Equatable {
    public var runts: UInt64 = 0, notForUs: UInt64 = 0, unknownType: UInt64 = 0, downDrops: UInt64 = 0, noInterface: UInt64 = 0
}

/// NetBSD's udpstat (netinet/udp_var.h), field for field.
public struct UDPStats: Sendable, Equatable {
    /// Datagrams received.
    public var ipackets: UInt64 = 0
    /// Shorter than a UDP header.
    public var hdrops: UInt64 = 0
    /// Bad checksum.
    public var badsum: UInt64 = 0
    /// Received without a checksum.
    public var nosum: UInt64 = 0
    /// Length field below 8 or past the IP payload.
    public var badlen: UInt64 = 0
    /// Unicast to a port nobody is bound to (answered with port unreachable).
    public var noport: UInt64 = 0
    /// Broadcast or multicast to a port nobody is bound to (dropped quietly).
    public var noportbcast: UInt64 = 0
    /// Dropped because the socket's receive buffer was full.
    public var fullsock: UInt64 = 0
    /// Unicast input no connected socket took, so the bound sockets were looked at (udp4_realinput's
    /// count; a NetBSD kernel with INET6 counts such a datagram twice, once per family).
    public var pcbhashmiss: UInt64 = 0
    /// Datagrams sent.
    public var opackets: UInt64 = 0

    /// (name, value) in NetBSD's order, the names `netstat -s -p udp` reads ("udp.ipackets").
    public var named: [(String, UInt64)] {
        [("ipackets", ipackets), ("hdrops", hdrops), ("badsum", badsum), ("nosum", nosum), ("badlen", badlen),
         ("noport", noport), ("noportbcast", noportbcast), ("fullsock", fullsock), ("pcbhashmiss", pcbhashmiss),
         ("opackets", opackets)]
    }
}
