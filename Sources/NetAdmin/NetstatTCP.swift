// netstat -s's tcp section (NetBSD usr.bin/netstat/inet.c tcp_stats, line for line), then the
// SACK lines FreeBSD's netstat prints (NetBSD keeps no SACK counters; our stack does).

/// TCP_STAT_* counters (netinet/tcp_var.h), by the names the kernel reports ("tcp.sndtotal");
/// the sack* ones are FreeBSD's tcps_sack_*.
public struct TCPStatistics: Sendable, Equatable {
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
    public var scAdded: UInt64 = 0, scCompleted: UInt64 = 0, scTimedOut: UInt64 = 0, scOverflowed: UInt64 = 0
    public var scReset: UInt64 = 0, scUnreach: UInt64 = 0, scBucketOverflow: UInt64 = 0, scAborted: UInt64 = 0
    public var scDupeSYN: UInt64 = 0, scDropped: UInt64 = 0, scCollisions: UInt64 = 0
    public var scRetransmitted: UInt64 = 0, scDelayedFree: UInt64 = 0
    public var selfquench: UInt64 = 0, badsig: UInt64 = 0, goodsig: UInt64 = 0
    public var ecnShs: UInt64 = 0, ecnCE: UInt64 = 0, ecnECT: UInt64 = 0
    public var sackRecoveryEpisode: UInt64 = 0, sackRexmits: UInt64 = 0, sackRexmitBytes: UInt64 = 0
    public var sackRcvBlocks: UInt64 = 0, sackSendBlocks: UInt64 = 0
    public init() {}
}

extension StatLines {
    /// NetBSD's p2: two counters, the line shown unless both are 0 under -ss; "{s2}" is the
    /// second counter's plural.
    mutating func p2(_ indent: Int, _ a: UInt64, _ b: UInt64, _ format: String) {
        if suppressZero && a == 0 && b == 0 { return }
        text += String(repeating: "\t", count: indent)
            + format.replacing("{n}", with: String(a)).replacing("{s}", with: Text.plural(a))
                .replacing("{n2}", with: String(b)).replacing("{s2}", with: Text.plural(b)) + "\n"
    }
}

extension StatisticsFormat {
    public static func tcp(_ s: TCPStatistics, suppressZero: Bool = false) -> String {
        var l = StatLines(suppressZero: suppressZero)
        l.p(1, s.sndtotal, "{n} packet{s} sent")
        l.p2(2, s.sndpack, s.sndbyte, "{n} data packet{s} ({n2} byte{s2})")
        l.p2(2, s.sndrexmitpack, s.sndrexmitbyte, "{n} data packet{s} ({n2} byte{s2}) retransmitted")
        l.p2(2, s.sndacks, s.delack, "{n} ack-only packet{s} ({n2} delayed)")
        l.p(2, s.sndurg, "{n} URG only packet{s}")
        l.p(2, s.sndprobe, "{n} window probe packet{s}")
        l.p(2, s.sndwinup, "{n} window update packet{s}")
        l.p(2, s.sndctrl, "{n} control packet{s}")
        l.p(2, s.selfquench, "{n} send attempt{s} resulted in self-quench")
        l.p(1, s.rcvtotal, "{n} packet{s} received")
        l.p2(2, s.rcvackpack, s.rcvackbyte, "{n} ack{s} (for {n2} byte{s2})")
        l.p(2, s.rcvdupack, "{n} duplicate ack{s}")
        l.p(2, s.rcvacktoomuch, "{n} ack{s} for unsent data")
        l.p2(2, s.rcvpack, s.rcvbyte, "{n} packet{s} ({n2} byte{s2}) received in-sequence")
        l.p2(2, s.rcvduppack, s.rcvdupbyte, "{n} completely duplicate packet{s} ({n2} byte{s2})")
        l.p(2, s.pawsdrop, "{n} old duplicate packet{s}")
        l.p2(2, s.rcvpartduppack, s.rcvpartdupbyte, "{n} packet{s} with some dup. data ({n2} byte{s2} duped)")
        l.p2(2, s.rcvoopack, s.rcvoobyte, "{n} out-of-order packet{s} ({n2} byte{s2})")
        l.p2(2, s.rcvpackafterwin, s.rcvbyteafterwin, "{n} packet{s} ({n2} byte{s2}) of data after window")
        l.p(2, s.rcvwinprobe, "{n} window probe{s}")
        l.p(2, s.rcvwinupd, "{n} window update packet{s}")
        l.p(2, s.rcvafterclose, "{n} packet{s} received after close")
        l.p(2, s.rcvbadsum, "{n} discarded for bad checksum{s}")
        l.p(2, s.rcvbadoff, "{n} discarded for bad header offset field{s}")
        l.p(2, s.rcvshort, "{n} discarded because packet too short")
        l.p(1, s.connattempt, "{n} connection request{s}")
        l.p(1, s.accepts, "{n} connection accept{s}")
        l.p(1, s.connects, "{n} connection{s} established (including accepts)")
        l.p2(1, s.closed, s.drops, "{n} connection{s} closed (including {n2} drop{s2})")
        l.p(1, s.conndrops, "{n} embryonic connection{s} dropped")
        l.p(1, s.delayedFree, "{n} delayed free{s} of tcpcb")
        l.p2(1, s.rttupdated, s.segstimed, "{n} segment{s} updated rtt (of {n2} attempt{s2})")
        l.p(1, s.rexmttimeo, "{n} retransmit timeout{s}")
        l.p(2, s.timeoutdrop, "{n} connection{s} dropped by rexmit timeout")
        l.p2(1, s.persisttimeo, s.persistdrops, "{n} persist timeout{s} (resulting in {n2} dropped connection{s2})")
        l.p(1, s.keeptimeo, "{n} keepalive timeout{s}")
        l.p(2, s.keepprobe, "{n} keepalive probe{s} sent")
        l.p(2, s.keepdrops, "{n} connection{s} dropped by keepalive")
        l.p(1, s.predack, "{n} correct ACK header prediction{s}")
        l.p(1, s.preddat, "{n} correct data packet header prediction{s}")
        if !suppressZero || s.pcbhashmiss != 0 { l.text += "\t\(s.pcbhashmiss) PCB hash miss\(Text.plurales(s.pcbhashmiss))\n" }
        l.p(1, s.noport, "{n} dropped due to no socket")
        l.p(1, s.connsdrained, "{n} connection{s} drained due to memory shortage")
        l.p(1, s.pmtublackhole, "{n} PMTUD blackhole{s} detected")
        l.p(1, s.badsyn, "{n} bad connection attempt{s}")
        l.p(1, s.scAdded, "{n} SYN cache entries added")
        l.p(2, s.scCollisions, "{n} hash collision{s}")
        l.p(2, s.scCompleted, "{n} completed")
        l.p(2, s.scAborted, "{n} aborted (no space to build PCB)")
        l.p(2, s.scTimedOut, "{n} timed out")
        l.p(2, s.scOverflowed, "{n} dropped due to overflow")
        l.p(2, s.scBucketOverflow, "{n} dropped due to bucket overflow")
        l.p(2, s.scReset, "{n} dropped due to RST")
        l.p(2, s.scUnreach, "{n} dropped due to ICMP unreachable")
        l.p(2, s.scDelayedFree, "{n} delayed free{s} of SYN cache entries")
        l.p(1, s.scRetransmitted, "{n} SYN,ACK{s} retransmitted")
        l.p(1, s.scDupeSYN, "{n} duplicate SYN{s} received for entries already in the cache")
        l.p(1, s.scDropped, "{n} SYN{s} dropped (no route or no space)")
        l.p(1, s.badsig, "{n} packet{s} with bad signature")
        l.p(1, s.goodsig, "{n} packet{s} with good signature")
        l.p(1, s.ecnShs, "{n} successful ECN handshake{s}")
        l.p(1, s.ecnCE, "{n} packet{s} with ECN CE bit")
        l.p(1, s.ecnECT, "{n} packet{s} ECN ECT(0) bit")
        // FreeBSD's SACK lines.
        l.p(1, s.sackRecoveryEpisode, "{n} SACK recovery episode{s}")
        l.p(1, s.sackRexmits, "{n} segment rexmit{s} in SACK recovery episodes")
        l.p(1, s.sackRexmitBytes, "{n} byte rexmit{s} in SACK recovery episodes")
        l.p(1, s.sackRcvBlocks, "{n} SACK option{s} (SACK blocks) received")
        l.p(1, s.sackSendBlocks, "{n} SACK option{s} (SACK blocks) sent")
        return "tcp:\n" + l.text
    }
}
