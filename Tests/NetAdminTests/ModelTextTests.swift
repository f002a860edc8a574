import Testing
import NetAdmin

/// The text forms of the shared models: errno texts, addresses.
@Suite struct ModelTextTests {
    @Test func errnoTexts() {
        let expected: [(NetBSDErrno, String)] = [
            (.EEXIST, "File exists"), (.EBUSY, "Device busy"), (.EINVAL, "Invalid argument"), (.ENXIO, "Device not configured"),
            (.EAFNOSUPPORT, "Address family not supported by protocol family"), (.ESRCH, "No such process"),
            (.ENETUNREACH, "Network is unreachable"), (.EHOSTUNREACH, "No route to host"),
            (.EADDRNOTAVAIL, "Can't assign requested address"), (.EOPNOTSUPP, "Operation not supported"),
            (.ENOENT, "No such file or directory"), (.EHOSTDOWN, "Host is down"), (.EPERM, "Operation not permitted"),
            (NetBSDErrno(9999), "Unknown error: 9999"),
        ]
        for (e, text) in expected { #expect(e.strerror == text) }
        #expect(NetBSDErrno.EHOSTUNREACH.rawValue == 65 && NetBSDErrno.EAFNOSUPPORT.rawValue == 47 && NetBSDErrno.EHOSTUNREACH.name == "EHOSTUNREACH")
    }

    @Test func addressText() {
        #expect(IPv4Address("10.0.0.300") == nil && IPv4Address("10.0.0") == nil && IPv4Address("1.2.3.4.5") == nil && IPv4Address("") == nil && IPv4Address("a.b.c.d") == nil)
        #expect(IPv4Address(inetAton: "0xffffff00") == IPv4Address(0xffff_ff00) && IPv4Address(inetAton: "255.255.0.0") == IPv4Address(0xffff_0000))
        #expect(IPv4Address(inetAton: "10.1") == IPv4Address(10, 0, 0, 1) && IPv4Address(inetAton: "256.1.1.1") == nil && IPv4Address(inetAton: "") == nil)
        #expect(IPv4Address(0xffff_ff00).prefixLength == 24 && IPv4Address(0xff00_ff00).prefixLength == nil && IPv4Address(0).prefixLength == 0)
        #expect(MACAddress("b2:a0:0:0:0:50")?.bytes == [0xb2, 0xa0, 0, 0, 0, 0x50] && MACAddress("zz:zz") == nil)
        #expect(String(describing: v6([0, 0, 0, 0, 0, 0, 0, 1])) == "::1")
        #expect(String(describing: v6([0xff02, 0, 0, 0, 0, 1, 0xff00, 1])) == "ff02::1:ff00:1")
        #expect(String(describing: v6([0xfd00, 1, 0, 1, 0, 0, 0, 1])) == "fd00:1:0:1::1")
        #expect(RouteNames.netname(IPv4Address(10, 0, 0, 128), mask: IPv4Address(0xffff_ff80)) == "10.0.0.128/25")
        #expect(RouteNames.netname(IPv4Address(0), mask: IPv4Address(0)) == "default")
    }
}

@Suite struct NumberFormatTests {
    /// printf's rounding: by the exact binary value, exact ties to even.
    @Test func fixedDecimalsLikePrintf() {
        func rtt(_ v: Double) -> String {
            let l = PingFormat.reply(PingReply(bytes: 0, from: .any, sequence: 0, ttl: 0, rtt: v))
            return String(l.split(separator: "=").last!.dropLast(" ms\n".count))
        }
        #expect(rtt(0.0425) == "0.043")     // 0.04250000000000000305…
        #expect(rtt(0.0435) == "0.043")     // 0.04349999…
        #expect(rtt(0.0005) == "0.001")     // 0.000500000000000000010…
        #expect(rtt(2.0625) == "2.062")     // exact tie: to even
        #expect(rtt(2.0635) == "2.063")     // 2.06349999…
        #expect(rtt(10) == "10.000" && rtt(5200) == "5200.000" && rtt(0) == "0.000")
        var st = PingStatistics()
        for _ in 0..<16 { st.sent() }
        for i in 0..<15 { st.record(PingReply(bytes: 64, from: .any, sequence: i, ttl: 1, rtt: nil)) }
        // 1/16 lost: 6.25 is an exact tie, printf prints 6.2.
        #expect(PingFormat.statistics(host: "h", st, timing: false).contains("15 packets received, 6.2% packet loss\n"))
    }
}
