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

@Suite struct TCPLossyTransferTests {
    /// 4 MiB through 5 % loss and 2 % reordering each way (the FaultInjector middleware around
    /// both stacks' devices), with SACK and without, with each congestion control: every byte
    /// arrives in order, and the counters show the recovery.
    @Test(arguments: [(true, "newreno"), (true, "cubic"), (false, "newreno")])
    func lossyTransferCompletes(sack: Bool, cc: String) throws {
        let p = try TCPPair(seed: 7)
        for s in [p.a, p.b] {
            try s.sysctlSet("net.inet.tcp.sack.enable", sack ? 1 : 0)
            try s.setTCPCongestionControl(cc)
        }
        let (c, srv) = try p.connected()
        var injectors: [FaultInjector] = []
        for (i, s) in [p.a, p.b].enumerated() {
            try s.wrapDevice(name: "shmif0") { d in
                let f = FaultInjector(wrapping: d, dropPercent: 5, reorderPercent: 2, seed: 42 + UInt64(i), directions: .transmit)
                injectors.append(f)
                return f
            }
        }
        let data = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
        let got = try p.transfer(data, from: c, to: srv, maxSteps: 200_000)
        #expect(injectors.allSatisfy { $0.dropped > 0 && $0.reordered > 0 })
        #expect(got.count == data.count)
        #expect(got == data)
        #expect(p.a.tcpStats.sndrexmitpack > 0)
        if sack { #expect(p.a.tcpStats.sackRecoveryEpisode > 0) }
        #expect(p.b.tcpStats.rcvoopack > 0)
    }
}
