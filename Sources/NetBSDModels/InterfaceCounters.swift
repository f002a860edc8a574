// An interface's if_data counters by NetBSD's names: what the stack counts, the protocol
// carries (docs/PROTOCOL.md: InterfaceInfo) and netstat -i / ifconfig -v print.

/// Interface counters (struct if_data).
public struct InterfaceCounters: Hashable, Sendable {
    public var ipackets: UInt64 = 0, ierrors: UInt64 = 0, opackets: UInt64 = 0, oerrors: UInt64 = 0
    public var collisions: UInt64 = 0, ibytes: UInt64 = 0, obytes: UInt64 = 0
    public var imcasts: UInt64 = 0, omcasts: UInt64 = 0, iqdrops: UInt64 = 0, oqdrops: UInt64 = 0
    public var noproto: UInt64 = 0

    public init(ipackets: UInt64 = 0, ierrors: UInt64 = 0, opackets: UInt64 = 0, oerrors: UInt64 = 0,
                collisions: UInt64 = 0, ibytes: UInt64 = 0, obytes: UInt64 = 0, imcasts: UInt64 = 0,
                omcasts: UInt64 = 0, iqdrops: UInt64 = 0, oqdrops: UInt64 = 0, noproto: UInt64 = 0) {
        self.ipackets = ipackets; self.ierrors = ierrors; self.opackets = opackets; self.oerrors = oerrors
        self.collisions = collisions; self.ibytes = ibytes; self.obytes = obytes; self.imcasts = imcasts
        self.omcasts = omcasts; self.iqdrops = iqdrops; self.oqdrops = oqdrops; self.noproto = noproto
    }
}
