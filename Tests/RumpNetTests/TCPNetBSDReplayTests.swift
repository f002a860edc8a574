import Pcap
import TestSupport
import Testing
@testable import RumpNet

/// Interop with NetBSD as a receiver: the client's segments of a real NetBSD transfer
/// (shared/vectors/netbsd/tcp.pcap: 10.0.0.2:57142 → 10.0.0.1:5001, 954000 bytes then FIN, the
/// server answering 11 bytes and its FIN) are replayed at our stack playing the server. The
/// capture is the bus's last megabyte, so it starts mid-stream: the handshake is NetBSD's SYN
/// rebuilt (its options: MSS 1460, window scale 3, SACK-permitted, timestamps) with the sequence
/// number just before the first captured byte. Every captured client segment then goes in with
/// its header bytes as NetBSD sent them (options, TSval/TSecr), only the ACK field moved from
/// NetBSD's ISS to ours (and the checksum with it).
@Suite struct TCPNetBSDReplayTests {
    struct Captured {
        var tcp: [UInt8]          // header + payload, as on the wire
        var fromClient: Bool
        var seq: UInt32, ack: UInt32
        var flags: UInt8
        var payload: ArraySlice<UInt8>
    }

    static func load() throws -> [Captured] {
        let recs = try PcapReader.readAll(path: vectorsDirectory.path + "/netbsd/tcp.pcap").records
        return recs.compactMap { r -> Captured? in
            let b = r.bytes
            guard b.count > 34, b[12] == 0x08, b[13] == 0x00, b[23] == 6 else { return nil }
            let ihl = Int(b[14] & 0x0F) * 4
            let total = Int(b[16]) << 8 | Int(b[17])
            let tcp = Array(b[(14 + ihl)..<(14 + total)])
            func be32(_ i: Int) -> UInt32 { UInt32(tcp[i]) << 24 | UInt32(tcp[i + 1]) << 16 | UInt32(tcp[i + 2]) << 8 | UInt32(tcp[i + 3]) }
            let sport = UInt16(tcp[0]) << 8 | UInt16(tcp[1])
            let doff = Int(tcp[12] >> 4) * 4
            return Captured(tcp: tcp, fromClient: sport == 57142, seq: be32(4), ack: be32(8), flags: tcp[13],
                            payload: tcp[doff...])
        }
    }

    @Test func ourReceiverAcceptsNetBSDsSegmentsAndAcksThem() throws {
        let segs = try TCPNetBSDReplayTests.load()
        let client = segs.filter(\.fromClient)
        let server = segs.filter { !$0.fromClient }
        #expect(client.count == 661)
        let first = try #require(client.first)
        let netbsdISSPlus1 = first.ack   // what NetBSD's server had acknowledged: its ISS + 1
        let expected = client.flatMap(\.payload)
        #expect(expected.count == 954_000)

        let t = try TCPScript()
        t.localPort = 5001
        t.peerPort = 57142
        let l = try t.listen()
        // NetBSD's SYN (tcp_output's option order: MSS, NOP WS, NOP NOP SACK-permitted, NOP NOP TS).
        var syn = TCPRepr(sourcePort: 57142, destinationPort: 5001, sequence: TCPSeq(first.seq) - 1,
                          acknowledgment: TCPSeq(0), flags: .syn, window: 32768)
        syn.maxSegmentSize = 1460
        syn.windowScale = 3
        syn.sackPermitted = true
        syn.timestamp = (1, 0)
        t.inject(syn)
        let sa = try #require(t.expect([.syn, .ack], ack: TCPSeq(first.seq)))
        #expect(sa.tcp.windowScale == 3)
        #expect(sa.tcp.timestamp?.echo == 1)
        let ourISS = sa.seq

        /// A captured client segment with its ACK field moved to our sequence space.
        func replay(_ c: Captured) {
            var b = c.tcp
            let ack = (ourISS + 1 + Int(Int32(bitPattern: c.ack &- netbsdISSPlus1))).raw
            b[8] = UInt8(ack >> 24); b[9] = UInt8((ack >> 16) & 0xFF); b[10] = UInt8((ack >> 8) & 0xFF); b[11] = UInt8(ack & 0xFF)
            t.injectRaw(tcp: b)
        }
        // The handshake's ACK is the first data segment's ACK (NetBSD's view: ack = ISS + 1).
        var received: [UInt8] = []
        received.reserveCapacity(expected.count)
        var fd: Int32 = -1
        var lastAck = TCPSeq(first.seq)
        var unacked = 0, maxUnacked = 0
        var ourAcks = 0
        for (i, c) in client.enumerated() where c.payload.count > 0 || c.flags & 0x01 != 0 {
            replay(c)
            if i == 0 {
                (fd, _) = try t.stack.accept(l)
                try t.stack.close(l)
            }
            while let d = try t.read(fd), !d.isEmpty { received += d }
            unacked += 1
            for s in t.takeAll() {
                #expect(s.flags == .ack, "\(s)")
                #expect(s.tcp.timestamp?.echo == 1, "TSecr echoes NetBSD's TSval: \(s)")
                #expect(s.tcp.sackBlocks.isEmpty, "no hole, no SACK: \(s)")
                #expect(s.ack >= lastAck && s.ack <= TCPSeq(c.seq) + c.payload.count + 1, "\(s)")
                #expect(s.window > 0, "\(s)")
                if s.ack > lastAck { unacked = 0 }
                lastAck = s.ack
                ourAcks += 1
            }
            maxUnacked = max(maxUnacked, unacked)
            t.advance(0.001)
        }
        // RFC 5681 4.2: at least every second full-sized segment is acknowledged.
        #expect(maxUnacked <= 2)
        #expect(ourAcks >= client.count / 2)
        #expect(received.count == expected.count)
        #expect(received == expected)
        #expect(lastAck == TCPSeq(first.seq) + expected.count + 1)   // every byte and the FIN
        #expect(try t.read(fd) == nil)
        #expect(t.state(fd) == .closeWait)
        let st = t.stack.tcpStats
        #expect(st.rcvbyte == UInt64(expected.count))
        #expect(st.rcvduppack == 0 && st.rcvoopack == 0 && st.pawsdrop == 0 && st.rcvbadsum == 0 && st.rcvpackafterwin == 0)

        // The server's answer as NetBSD's sent it: 11 bytes, then FIN; the client's two ACKs close it.
        let answer = try #require(server.first { !$0.payload.isEmpty })
        try t.write(fd, Array(answer.payload))
        try t.stack.close(fd)
        let out = t.takeAll()
        #expect(out.map(\.payload.count).reduce(0, +) == 11)
        #expect(out.last?.flags.contains(.fin) == true)
        let closing = client.suffix(2)
        #expect(closing.allSatisfy { $0.payload.isEmpty })
        for c in closing { replay(c) }
        #expect(t.connectionState == nil)   // LAST_ACK acknowledged: closed
        t.expectNothing()
    }
}
