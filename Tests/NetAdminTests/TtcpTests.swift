import Testing
@testable import NetAdmin

@Suite struct TtcpTests {
    @Test func defaultsAndTransmitHost() {
        let o = TtcpOptions.parse(["-t", "-s", "10.0.0.2"]).command
        #expect(o?.transmit == true && o?.sinkMode == true && o?.host == "10.0.0.2")
        #expect(o?.bufferLength == 8192 && o?.bufferCount == 2048 && o?.port == 5001 && o?.udp == false)
    }

    @Test func optionsWithArguments() {
        let o = TtcpOptions.parse(["-r", "-s", "-u", "-l", "1400", "-n100", "-p", "6000", "-f", "M"]).command
        #expect(o?.transmit == false && o?.udp == true && o?.bufferLength == 1400)
        #expect(o?.bufferCount == 100 && o?.port == 6000 && o?.format == "M")
    }

    @Test func inet6Flag() {
        #expect(TtcpOptions.parse(["-t", "-s", "fd00::1"]).command?.inet6 == false)
        let o = TtcpOptions.parse(["-6", "-t", "-s", "fe80::1%shmif0"]).command
        #expect(o?.inet6 == true && o?.host == "fe80::1%shmif0")
        // The last of -4 / -6 wins.
        #expect(TtcpOptions.parse(["-6", "-4", "-r"]).command?.inet6 == false)
    }

    @Test func udpBufferLongerThanSentinel() {
        #expect(TtcpOptions.parse(["-r", "-u", "-l", "2"]).command?.bufferLength == 5)
    }

    @Test func badInputNamesTheOption() {
        guard case .exit(let out) = TtcpOptions.parse(["-t", "-p", "70000", "h"]) else { Issue.record("accepted"); return }
        #expect(out.status == 1 && out.stderr.hasPrefix("ttcp: -p 70000: port must be 1..65535\n"))
        guard case .exit(let o2) = TtcpOptions.parse(["-t"]) else { Issue.record("no host accepted"); return }
        #expect(o2.stderr.hasPrefix("Usage: ttcp -t"))
        guard case .exit(let o3) = TtcpOptions.parse(["-r", "-x"]) else { Issue.record("-x accepted"); return }
        #expect(o3.stderr.hasPrefix("ttcp: unknown option -- x\n"))
        #expect(TtcpOptions.parse(["-r", "-f", "q"]).command == nil)
    }

    @Test func classicHeaderLines() {
        var o = TtcpOptions.parse(["-t", "-s", "host"]).command!
        #expect(TtcpFormat.header(o) == "ttcp-t: buflen=8192, nbuf=2048, align=16384/0, port=5001  tcp  -> host\n")
        o = TtcpOptions.parse(["-r", "-s", "-u"]).command!
        #expect(TtcpFormat.header(o) == "ttcp-r: buflen=8192, nbuf=2048, align=16384/0, port=5001  udp\n")
    }

    @Test func classicSummaryLines() {
        let o = TtcpOptions.parse(["-t", "-s", "host"]).command!
        let s = TtcpFormat.summary(o, bytes: 16_777_216, seconds: 0.12, calls: 2048)
        #expect(s == "ttcp-t: 16777216 bytes in 0.12 real seconds = 136533.33 KB/sec +++\n"
                   + "ttcp-t: 2048 I/O calls, msec/call = 0.06, calls/sec = 17066.67\n")
    }

    @Test func rateUnits() {
        #expect(TtcpFormat.rate(1024 * 1024, format: "M") == "1.00 MB")
        #expect(TtcpFormat.rate(1024 * 1024, format: "m") == "8.00 Mbit")
        #expect(TtcpFormat.rate(1024, format: "k") == "8.00 Kbit")
        #expect(TtcpFormat.rate(1024 * 1024 * 1024, format: "G") == "1.00 GB")
    }

    @Test func zeroTimeCountsAsOneMillisecond() {
        let o = TtcpOptions.parse(["-r", "-s"]).command!
        #expect(TtcpFormat.summary(o, bytes: 1024, seconds: 0, calls: 1).hasPrefix("ttcp-r: 1024 bytes in 0.00 real seconds = 1000.00 KB/sec +++\n"))
    }
}
