// TCP's counters under the names netstat -s -p tcp reads ("tcp.sndtotal"): NetBSD's tcpstat
// field names (TCP_STAT_*, lower case without the tcps_ prefix), FreeBSD's for SACK.
import RumpNet

extension TCPStats {
    /// (name, value) in NetBSD's tcp_var.h order, then the SACK and challenge-ACK counters.
    public var named: [(String, UInt64)] {
        [("connattempt", connattempt), ("accepts", accepts), ("connects", connects), ("drops", drops),
         ("conndrops", conndrops), ("closed", closed), ("segstimed", segstimed), ("rttupdated", rttupdated),
         ("delack", delack), ("timeoutdrop", timeoutdrop), ("rexmttimeo", rexmttimeo), ("persisttimeo", persisttimeo),
         ("keeptimeo", keeptimeo), ("keepprobe", keepprobe), ("keepdrops", keepdrops), ("persistdrops", persistdrops),
         ("connsdrained", connsdrained), ("pmtublackhole", pmtublackhole),
         ("sndtotal", sndtotal), ("sndpack", sndpack), ("sndbyte", sndbyte), ("sndrexmitpack", sndrexmitpack),
         ("sndrexmitbyte", sndrexmitbyte), ("sndacks", sndacks), ("sndprobe", sndprobe), ("sndurg", sndurg),
         ("sndwinup", sndwinup), ("sndctrl", sndctrl),
         ("rcvtotal", rcvtotal), ("rcvpack", rcvpack), ("rcvbyte", rcvbyte), ("rcvbadsum", rcvbadsum),
         ("rcvbadoff", rcvbadoff), ("rcvmemdrop", rcvmemdrop), ("rcvshort", rcvshort), ("rcvduppack", rcvduppack),
         ("rcvdupbyte", rcvdupbyte), ("rcvpartduppack", rcvpartduppack), ("rcvpartdupbyte", rcvpartdupbyte),
         ("rcvoopack", rcvoopack), ("rcvoobyte", rcvoobyte), ("rcvpackafterwin", rcvpackafterwin),
         ("rcvbyteafterwin", rcvbyteafterwin), ("rcvafterclose", rcvafterclose), ("rcvwinprobe", rcvwinprobe),
         ("rcvdupack", rcvdupack), ("rcvacktoomuch", rcvacktoomuch), ("rcvackpack", rcvackpack),
         ("rcvackbyte", rcvackbyte), ("rcvwinupd", rcvwinupd), ("pawsdrop", pawsdrop), ("predack", predack),
         ("preddat", preddat), ("pcbhashmiss", pcbhashmiss), ("noport", noport), ("badsyn", badsyn),
         ("delayed_free", delayedFree),
         ("sc_added", scAdded), ("sc_completed", scCompleted), ("sc_timed_out", scTimedOut),
         ("sc_overflowed", scOverflowed), ("sc_reset", scReset), ("sc_unreach", scUnreach),
         ("sc_bucketoverflow", scBucketOverflow), ("sc_aborted", scAborted), ("sc_dupesyn", scDupeSYN),
         ("sc_dropped", scDropped), ("sc_collisions", scCollisions), ("sc_retransmitted", scRetransmitted),
         ("sc_delayed_free", scDelayedFree), ("selfquench", selfquench), ("badsig", badsig), ("goodsig", goodsig),
         ("ecn_shs", ecnShs), ("ecn_ce", ecnCE), ("ecn_ect", ecnECT),
         ("sack_recovery_episode", sackRecoveryEpisode), ("sack_rexmits", sackRexmitSegs),
         ("sack_rexmit_bytes", sackRexmitBytes), ("sack_rcv_blocks", sackRcvBlocks),
         ("sack_send_blocks", sackSendBlocks), ("challenge_acks", challengeAcks)]
    }
}
