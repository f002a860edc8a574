import Testing
import NetAdmin

/// netstat -s's tcp section against NetBSD's own output (f-arp-netstat.txt, kernel k1 after a
/// 1 MiB ttcp transfer into it), with FreeBSD's SACK lines after NetBSD's.
@Suite struct NetstatTCPTests {
    static let k1TCP: TCPStatistics = {
        var s = TCPStatistics()
        s.sndtotal = 498; s.sndpack = 1; s.sndbyte = 11; s.sndacks = 332; s.delack = 421; s.sndwinup = 164; s.sndctrl = 1
        s.rcvtotal = 755; s.rcvackpack = 3; s.rcvackbyte = 13; s.rcvpack = 751; s.rcvbyte = 1_048_576
        s.accepts = 1; s.connects = 1; s.closed = 2; s.rttupdated = 3; s.segstimed = 2; s.preddat = 750
        s.pcbhashmiss = 2; s.scAdded = 1; s.scCompleted = 1; s.scDelayedFree = 1
        return s
    }()

    static let sackLines = """
        \t0 SACK recovery episodes
        \t0 segment rexmits in SACK recovery episodes
        \t0 byte rexmits in SACK recovery episodes
        \t0 SACK options (SACK blocks) received
        \t0 SACK options (SACK blocks) sent

        """

    @Test func tcpSectionIsNetBSDsPlusFreeBSDsSACKLines() {
        let vector = NetstatTests.entry(NetstatTests.f, "netstat -s -p tcp").stdout
        #expect(vector.hasPrefix("tcp:\n\t498 packets sent\n"))
        #expect(StatisticsFormat.tcp(Self.k1TCP) == vector + Self.sackLines)
        // Inside netstat -s and netstat -ss (zero lines left out, the SACK ones too).
        let all = NetstatTests.entry(NetstatTests.f, "netstat -s").stdout
        let brief = NetstatTests.entry(NetstatTests.f, "netstat -ss").stdout
        #expect(NetstatTests.section(all, "tcp") + Self.sackLines == StatisticsFormat.tcp(Self.k1TCP))
        #expect(NetstatTests.section(brief, "tcp") == StatisticsFormat.tcp(Self.k1TCP, suppressZero: true))
    }

    @Test func pluralsAndSACKCounters() {
        var s = TCPStatistics()
        s.sndrexmitpack = 1; s.sndrexmitbyte = 1448; s.pcbhashmiss = 1; s.closed = 1; s.drops = 1
        s.sackRecoveryEpisode = 1; s.sackRexmits = 3; s.sackRexmitBytes = 4344; s.sackRcvBlocks = 1; s.sackSendBlocks = 2
        let out = StatisticsFormat.tcp(s, suppressZero: true)
        #expect(out == """
            tcp:
            \t\t1 data packet (1448 bytes) retransmitted
            \t1 connection closed (including 1 drop)
            \t1 PCB hash miss
            \t1 SACK recovery episode
            \t3 segment rexmits in SACK recovery episodes
            \t4344 byte rexmits in SACK recovery episodes
            \t1 SACK option (SACK blocks) received
            \t2 SACK options (SACK blocks) sent

            """)
    }

    /// netstat -s prints tcp first, then udp, then ip (NetBSD's protocol table order).
    @Test func reportOrder() {
        guard case .statistics(let protos, let z)? = NetstatCommand.parse(["-s"]).command else { Issue.record("-s"); return }
        let r = StatisticsFormat.report(protos, ip: IPStatistics(), icmp: nil, arp: nil, udp: UDPStatistics(), tcp: TCPStatistics(),
                                        suppressZero: z)
        #expect(r.hasPrefix("tcp:\n"))
        let tcpEnd = r.firstRange(of: "\nudp:\n"), ipStart = r.firstRange(of: "\nip:\n")
        #expect(tcpEnd != nil && ipStart != nil && tcpEnd!.lowerBound < ipStart!.lowerBound)
        guard case .statistics(let only, _)? = NetstatCommand.parse(["-s", "-p", "tcp"]).command else { Issue.record("-p tcp"); return }
        #expect(StatisticsFormat.report(only, ip: IPStatistics(), icmp: nil, arp: nil, udp: UDPStatistics(), tcp: TCPStatistics())
                == StatisticsFormat.tcp(TCPStatistics()))
    }
}
