// TCP's counters, named after NetBSD's tcpstat fields (TCP_STAT_* in tcp_var.h, without the
// tcps_ prefix), which netstat -s -p tcp prints; the SACK ones are FreeBSD's (NetBSD prints none).

public struct TCPStats: Sendable, Equatable {
    public var connattempt: UInt64 = 0, accepts: UInt64 = 0, connects: UInt64 = 0, drops: UInt64 = 0
    public var conndrops: UInt64 = 0, closed: UInt64 = 0, segstimed: UInt64 = 0, rttupdated: UInt64 = 0
    public var delack: UInt64 = 0, timeoutdrop: UInt64 = 0, rexmttimeo: UInt64 = 0, persisttimeo: UInt64 = 0
    public var keeptimeo: UInt64 = 0, keepprobe: UInt64 = 0, keepdrops: UInt64 = 0, persistdrops: UInt64 = 0
    public var connsdrained: UInt64 = 0, pmtublackhole: UInt64 = 0
    public var sndtotal: UInt64 = 0, sndpack: UInt64 = 0, sndbyte: UInt64 = 0, sndrexmitpack: UInt64 = 0
    public var sndrexmitbyte: UInt64 = 0, sndacks: UInt64 = 0, sndprobe: UInt64 = 0, sndurg: UInt64 = 0
    public var sndwinup: UInt64 = 0, sndctrl: UInt64 = 0
    public var rcvtotal: UInt64 = 0, rcvpack: UInt64 = 0, rcvbyte: UInt64 = 0, rcvbadsum: UInt64 = 0
    public var rcvbadoff: UInt64 = 0, rcvmemdrop: UInt64 = 0, rcvshort: UInt64 = 0, rcvduppack: UInt64 = 0
    public var rcvdupbyte: UInt64 = 0, rcvpartduppack: UInt64 = 0, rcvpartdupbyte: UInt64 = 0
    public var rcvoopack: UInt64 = 0, rcvoobyte: UInt64 = 0, rcvpackafterwin: UInt64 = 0
    public var rcvbyteafterwin: UInt64 = 0, rcvafterclose: UInt64 = 0, rcvwinprobe: UInt64 = 0
    public var rcvdupack: UInt64 = 0, rcvacktoomuch: UInt64 = 0, rcvackpack: UInt64 = 0, rcvackbyte: UInt64 = 0
    public var rcvwinupd: UInt64 = 0, pawsdrop: UInt64 = 0, predack: UInt64 = 0, preddat: UInt64 = 0
    public var pcbhashmiss: UInt64 = 0, noport: UInt64 = 0, badsyn: UInt64 = 0, delayedFree: UInt64 = 0
    /// The listen queue (our "SYN cache": a bounded queue per listener, no cookies).
    public var scAdded: UInt64 = 0, scCompleted: UInt64 = 0, scTimedOut: UInt64 = 0, scOverflowed: UInt64 = 0
    public var scReset: UInt64 = 0, scUnreach: UInt64 = 0, scBucketOverflow: UInt64 = 0, scAborted: UInt64 = 0
    public var scDupeSYN: UInt64 = 0, scDropped: UInt64 = 0, scCollisions: UInt64 = 0
    public var scRetransmitted: UInt64 = 0, scDelayedFree: UInt64 = 0
    public var selfquench: UInt64 = 0, badsig: UInt64 = 0, goodsig: UInt64 = 0
    public var ecnShs: UInt64 = 0, ecnCE: UInt64 = 0, ecnECT: UInt64 = 0
    /// FreeBSD's: SACK recovery episodes, segments and bytes retransmitted in them, SACK options
    /// received and sent.
    public var sackRecoveryEpisode: UInt64 = 0, sackRexmitSegs: UInt64 = 0, sackRexmitBytes: UInt64 = 0
    public var sackRcvBlocks: UInt64 = 0, sackSendBlocks: UInt64 = 0
    /// RFC 5961 challenge ACKs sent (ours).
    public var challengeAcks: UInt64 = 0

    public init() {}
}
