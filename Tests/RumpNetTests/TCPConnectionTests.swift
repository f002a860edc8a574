import Testing
@testable import RumpNet

@Suite struct TCPConnectionTests {
    @Test func handshakeTransferAndClose() throws {
        let p = try TCPPair()
        let (c, s) = try p.connected()
        #expect(p.a.socketList.first { $0.fd == c }?.tcpState == .established)
        #expect(p.b.socketList.first { $0.fd == s }?.tcpState == .established)
        let data = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
        let got = try p.transfer(data, from: c, to: s)
        #expect(got.count == data.count)
        #expect(got == data)
        try p.a.shutdown(c, how: SocketConstants.SHUT_WR)
        p.lab.settle()
        #expect(try p.read(p.b, s) == nil)  // end of file
        #expect(p.a.socketList.first { $0.fd == c }?.tcpState == .finWait2)
        #expect(p.b.socketList.first { $0.fd == s }?.tcpState == .closeWait)
        try p.b.close(s)
        p.lab.settle()
        #expect(p.b.socketList.isEmpty)  // LAST_ACK acked: gone
        #expect(p.a.socketList.first { $0.fd == c }?.tcpState == .timeWait)
        try p.a.close(c)
        p.lab.advance(seconds: 25, step: 1)  // 2 × mslt.local (10 s)
        #expect(p.a.socketList.isEmpty)
        #expect(p.a.tcpStats.sndrexmitpack == 0)
        #expect(p.b.tcpStats.rcvbyte == UInt64(data.count))
    }
}
