import Foundation
import TestSupport
import Testing
@testable import RumpNet

/// Bad input for TCP: a SYN flood, every flag combination, bad data offsets, malformed and odd
/// options, urgent data, and a mutation run over TCP frames. Nothing crashes, state stays
/// bounded, the listener and established connections keep serving.
@Suite struct TCPHostileInputTests {
    /// A SYN flood from 5000 ports: embryonic connections stay under the listen queue's limit
    /// (3/2 backlog + 1), the established connection keeps carrying data, a real client gets
    /// through with its SYN's first retransmission (once the flood's embryos have gone an initial
    /// RTO unanswered, they make room; fresh ones never do), and the embryos die at keepinit.
    @Test func synFloodStaysBoundedAndListenerServes() throws {
        let t = try TCPScript()
        let l = try t.listen(backlog: 4)
        t.peerPort = 30000
        let c = try t.acceptConnection(listener: l)
        let limit = 3 * 4 / 2 + 1
        for i in 0..<5000 {
            t.peerPort = UInt16(40000 + i % 20000)
            t.inject(t.segment(.syn, seq: TCPSeq(UInt32(i) &* 7919)))
            if i % 500 == 0 {
                let embryos = t.stack.socketList.filter { $0.tcpState == .synReceived }.count
                #expect(embryos <= limit)
            }
        }
        _ = t.takeAll()
        #expect(t.stack.socketList.filter { $0.tcpState == .synReceived }.count <= limit)
        #expect(t.stack.tcpStats.scOverflowed > 0)
        // The established connection is untouched.
        t.peerPort = 30000
        t.inject(t.segment([.ack, .psh], seq: c.theirs, ack: c.ours), payload: .pattern(50))
        #expect(try t.read(c.fd) == .pattern(50))
        // A real client right after the flood: its SYN is dropped (every embryo is fresh) ...
        t.peerPort = 61000
        t.inject(t.segment(.syn, seq: TCPSeq(777)))
        t.expectNothing("the queue is full of embryos younger than an RTO")
        // ... and its retransmission a second later replaces a stale one.
        t.advance(1)
        _ = t.takeAll()
        _ = try t.acceptConnection(listener: l)
        // The rest expire after net.inet.tcp.keepinit (75 s).
        t.advance(80)
        _ = t.takeAll()
        #expect(t.stack.socketList.filter { $0.tcpState == .synReceived }.isEmpty)
        t.peerPort = 62000
        _ = try t.acceptConnection(listener: l)
    }

    /// A listener whose application does not accept: completed connections fill the queue
    /// (3/2 × backlog + 1), further SYNs go unanswered (no embryo to replace), and one accept
    /// makes room for the next client.
    @Test func fullAcceptQueueDropsSYNsUntilAccept() throws {
        let t = try TCPScript()
        let l = try t.listen(backlog: 2)   // limit 4
        for k in 0..<4 {
            t.peerPort = UInt16(41000 + k)
            t.inject(t.segment(.syn, seq: TCPSeq(1000)))
            let sa = try #require(t.expect([.syn, .ack]))
            t.inject(t.segment(.ack, seq: TCPSeq(1001), ack: sa.seq + 1))
        }
        t.peerPort = 41010
        t.inject(t.segment(.syn, seq: TCPSeq(1000)))
        t.expectNothing("the queue is full of completed connections")
        #expect(t.stack.tcpStats.scDropped == 1)
        #expect(try t.stack.accept(l).peer.port == 41000)   // oldest first
        t.peerPort = 41011
        t.inject(t.segment(.syn, seq: TCPSeq(1000)))
        t.expect([.syn, .ack], ack: TCPSeq(1001))
    }

    /// A connection closed in SYN_SENT is simply gone; the late SYN-ACK is answered with a RST.
    @Test func lateSynAckAfterCloseInSynSentIsReset() throws {
        let t = try TCPScript()
        let fd = try t.stream()
        #expect(throws: Errno.EINPROGRESS) { try t.stack.connect(fd, to: SocketEndpoint(TCPScript.peer, 8080)) }
        let syn = try #require(t.expect(.syn))
        try t.stack.close(fd)
        t.expectNothing("nothing to reset: the peer never answered")
        t.swapPorts(ours: syn.tcp.sourcePort)
        t.inject(t.segment([.syn, .ack], seq: TCPSeq(50), ack: syn.seq + 1))
        t.expect(.rst, seq: syn.seq + 1)
    }

    /// All 256 values of the flag byte (URG, ACK, PSH, RST, SYN, FIN and the ECN bits), each at
    /// sequence numbers far outside the window of an established connection, with and without
    /// data, to the connection, the listener and a closed port: nothing crashes, the connection
    /// survives (RFC 5961: nothing out of the window changes its state), the listener serves.
    @Test func everyFlagCombinationNeverCrashes() throws {
        let t = try TCPScript(sysctl: [("net.inet.tcp.rstppslimit", -1)])
        let l = try t.listen()
        let c = try t.acceptConnection(listener: l)
        for f in 0...255 {
            for (port, seqDelta) in [(t.peerPort, 1_000_000), (t.peerPort, -1_000_000), (UInt16(50000), 0)] {
                for dst in [UInt16(8080), 9999] {
                    for payload in [[], [UInt8].pattern(10)] {
                        var r = TCPRepr(sourcePort: port, destinationPort: dst, sequence: c.theirs + seqDelta,
                                        acknowledgment: c.ours + 5, flags: TCPView.Flags(rawValue: UInt8(f)), window: 1000)
                        r.urgentPointer = 3
                        t.inject(r, payload: payload)
                    }
                }
            }
            // A fresh port per round: no leftovers between flag values.
            _ = t.takeAll()
        }
        // The flag byte's upper two bits (ECE, CWR) are masked by the parser; URG with data is
        // accepted inline. The established connection is as it was.
        #expect(t.state(c.fd) == .established)
        t.inject(t.segment([.ack, .psh], seq: c.theirs, ack: c.ours), payload: .pattern(20))
        #expect(try t.read(c.fd) == .pattern(20))
        let embryos = t.stack.socketList.filter { $0.tcpState == .synReceived }.count
        #expect(embryos <= 3 * 8 / 2 + 1)
        t.peerPort = 61000
        _ = try t.acceptConnection(listener: l)
    }

    /// Data offsets below 5 words or past the segment are counted (rcvbadoff) and dropped
    /// without an answer, whatever the flags.
    @Test func badDataOffsetsAreDroppedSilently() throws {
        let t = try TCPScript()
        _ = try t.listen()
        var bad = 0
        for length in [20, 24, 40, 60, 80] {
            for off in 0...15 {
                var b = [UInt8](repeating: 0, count: length)
                b[0] = 0x9C; b[1] = 0x40        // port 40000
                b[2] = 0x1F; b[3] = 0x90        // port 8080
                b[7] = 1
                b[12] = UInt8(off << 4)
                b[13] = TCPView.Flags.syn.rawValue
                b[14] = 0xFF; b[15] = 0xFF
                for i in 20..<length { b[i] = 1 }   // NOP options / data
                t.injectRaw(tcp: b)
                if off < 5 || off * 4 > length { bad += 1; t.expectNothing("data offset \(off) in \(length) bytes") }
                else { _ = t.takeAll(); if let s = t.stack.socketList.first(where: { $0.tcpState == .synReceived }) { _ = s } }
                // A fresh four-tuple each time: forget the embryo.
                t.inject(t.segment(.rst, seq: TCPSeq(2)))
                _ = t.takeAll()
            }
        }
        #expect(t.stack.tcpStats.rcvbadoff >= UInt64(bad))
        // Shorter than a header at all.
        for n in 0..<20 { t.injectRaw(tcp: [UInt8](repeating: 0x10, count: n), fixChecksum: n >= 18) }
        t.expectNothing()
        #expect(t.stack.tcpStats.rcvshort == 20)
    }

    /// A bad checksum is dropped and counted, never answered.
    @Test func badChecksumIsDropped() throws {
        let t = try TCPScript()
        _ = try t.listen()
        t.inject(t.segment(.syn, seq: TCPSeq(1)), badChecksum: true)
        t.expectNothing()
        #expect(t.stack.tcpStats.rcvbadsum == 1)
        #expect(t.connectionState == nil)
    }

    /// Malformed options (bad lengths for their kinds, lengths of 0 or 1, options running past
    /// the header, a kind without its length byte) make the segment unparseable: dropped,
    /// counted, unanswered; unknown options are skipped by their length.
    @Test(arguments: [
        [2, 3, 5, 0],                    // MSS with length 3
        [3, 2, 1, 1],                    // window scale with length 2
        [8, 9, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1],  // timestamps with length 9
        [5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], // SACK with length 11
        [5, 2, 1, 1],                    // SACK without blocks
        [4, 3, 1, 1],                    // SACK-permitted with length 3
        [99, 0, 1, 1],                   // length 0
        [99, 1, 1, 1],                   // length 1
        [99, 40, 1, 1],                  // past the header
        [1, 1, 1, 2],                    // a kind without its length at the end
    ] as [[UInt8]])
    func malformedOptionsAreDropped(_ options: [UInt8]) throws {
        let t = try TCPScript()
        _ = try t.listen()
        var b = [UInt8](repeating: 0, count: 20) + options
        b[0] = 0x9C; b[1] = 0x40; b[2] = 0x1F; b[3] = 0x90
        b[7] = 1
        b[12] = UInt8((b.count / 4) << 4)
        b[13] = TCPView.Flags.syn.rawValue
        b[14] = 0xFF; b[15] = 0xFF
        t.injectRaw(tcp: b)
        t.expectNothing()
        #expect(t.connectionState == nil)
        #expect(t.stack.tcpStats.rcvbadoff == 1)
    }

    @Test func unknownOptionsAreSkipped() throws {
        let t = try TCPScript()
        _ = try t.listen()
        var b = [UInt8](repeating: 0, count: 20) + [99, 6, 0, 0, 0, 0, 2, 4, 0x05, 0xB4, 0, 0]  // unknown, then MSS 1460, EOL
        b[0] = 0x9C; b[1] = 0x40; b[2] = 0x1F; b[3] = 0x90
        b[7] = 1
        b[12] = UInt8((b.count / 4) << 4)
        b[13] = TCPView.Flags.syn.rawValue
        b[14] = 0xFF; b[15] = 0xFF
        t.injectRaw(tcp: b)
        let sa = t.expect([.syn, .ack], ack: TCPSeq(2))
        #expect(sa != nil)
        #expect(t.connectionState == .synReceived)
    }

    /// Odd but well-formed values: MSS 0 is raised to net.inet.tcp.minmss; a window scale
    /// above 14 counts as 14 (RFC 7323 2.3).
    @Test func oddOptionValuesAreBounded() throws {
        let t = try TCPScript()
        var o = PeerOptions.plain
        o.mss = 0
        o.windowScale = 200
        let c = try t.acceptConnection(o)
        let tp = try #require(t.tcb(c.fd))
        #expect(tp.maxSeg == 216)
        #expect(tp.sndScale == 14)
        try t.write(c.fd, .pattern(1000))
        #expect(t.takeAll().allSatisfy { $0.payload.count <= 216 })
    }

    /// Urgent data (RFC 9293 3.8.5, RFC 6093) is taken inline without harm: the bytes read are
    /// the bytes sent, the urgent pointer changes nothing.
    @Test func urgentDataIsAcceptedInline() throws {
        let t = try TCPScript()
        let c = try t.acceptConnection()
        var r = t.segment([.ack, .psh, .urg], seq: c.theirs, ack: c.ours)
        r.urgentPointer = 5
        t.inject(r, payload: .pattern(10))
        r = t.segment([.ack, .urg], seq: c.theirs + 10, ack: c.ours)
        r.urgentPointer = 60000   // pointing far ahead
        t.inject(r, payload: .pattern(10, seed: 10))
        #expect(try t.read(c.fd) == .pattern(20))
        #expect(t.state(c.fd) == .established)
    }

    /// 200 000 mutated TCP segments (bit flips, truncation, random option bytes and flags) at a
    /// listener and an established connection: no crash, bounded state, both still serve.
    @Test func mutatedSegmentsNeverCrash() throws {
        let t = try TCPScript(sysctl: [("net.inet.tcp.rstppslimit", -1)])
        let l = try t.listen()
        let c = try t.acceptConnection(.netbsd, listener: l)
        var templates: [[UInt8]] = []
        func bytes(_ r: TCPRepr, _ payload: [UInt8]) -> [UInt8] {
            var b = [UInt8](repeating: 0, count: r.headerLength + payload.count)
            b.withUnsafeMutableBytes { p in
                for (i, x) in payload.enumerated() { p[r.headerLength + i] = x }
                r.emit(p, payloadLength: payload.count, src: TCPScript.peer, dst: TCPScript.local)
            }
            return b
        }
        var syn = t.segment(.syn, seq: TCPSeq(77))
        t.synOptions(&syn, .netbsd)
        syn.sourcePort = 45000
        templates.append(bytes(syn, []))
        var data = t.segment([.ack, .psh], seq: c.theirs, ack: c.ours)
        data.sackBlocks = SACKBlocks([SACKBlock(left: c.ours - 100, right: c.ours), SACKBlock(left: c.ours + 10, right: c.ours + 20)])
        templates.append(bytes(data, .pattern(100)))
        templates.append(bytes(t.segment([.fin, .ack], seq: c.theirs + 100, ack: c.ours), []))
        templates.append(bytes(t.segment(.rst, seq: c.theirs + 5), []))
        var rng = SeededRandom(seed: 4242)
        var sent = 0
        for i in 0..<200_000 {
            var b = templates[Int(rng.next() % UInt64(templates.count))]
            let r = rng.next()
            switch r % 5 {
            case 0: b[Int(r >> 8) % b.count] ^= UInt8(truncatingIfNeeded: r >> 20) | 1
            case 1: b.removeLast(Int(r >> 8) % b.count)
            case 2: for j in 20..<min(b.count, 60) { b[j] = UInt8(truncatingIfNeeded: rng.next()) }
            case 3: b[13] = UInt8(truncatingIfNeeded: r >> 8)
            default: b[12] = UInt8(truncatingIfNeeded: r >> 8) & 0xF0
            }
            t.injectRaw(tcp: b, fixChecksum: r & 0x100_0000 != 0)
            if i % 1000 == 0 {
                sent += t.takeAll().count
                t.advance(0.05)
                #expect(t.stack.socketList.count < 64)
                _ = try? t.read(c.fd)
            }
        }
        _ = sent
        t.advance(200)   // every timer runs out
        _ = t.takeAll()
        #expect(t.stack.socketList.filter { $0.fd < 0 }.count < 20)
        t.peerPort = 61000
        t.peerOptions = .plain
        _ = try t.acceptConnection(listener: l)
    }
}

/// The fuzz target (Sources/rumpnet-fuzz) with TCP: its replay mode runs a corpus of TCP frames
/// (every flag byte, steered into the accepted connection's window or not, with data, options
/// and bad offsets) through the harness, whose invariants are preconditions.
@Suite struct TCPFuzzTargetTests {
    @Test func fuzzTargetReplaysATCPCorpus() throws {
        let dir = TemporaryDirectory(prefix: "rumpnet-tcp-conformance-fuzz-")
        defer { dir.remove() }
        var n = 0
        func frame(_ flags: UInt8, payload: [UInt8], options: [UInt8] = [], dataOffset: UInt8? = nil, control: UInt8) -> [UInt8] {
            let hl = 20 + options.count
            var tcp = [UInt8](repeating: 0, count: hl) + payload
            tcp[0] = 0x04; tcp[1] = 0xD2       // 1234
            tcp[2] = 0x00; tcp[3] = 0x50       // 80
            tcp[12] = (dataOffset ?? UInt8(hl / 4)) << 4
            tcp[13] = flags
            tcp[14] = 0xFF; tcp[15] = 0xFF
            tcp.replaceSubrange(20..<hl, with: options)
            var f = [UInt8](repeating: 0, count: 34) + tcp
            f.withUnsafeMutableBytes { p in
                EthernetEmitter.emit(p, dst: MACAddress("b2:a0:00:00:00:01")!, src: MACAddress("b2:a0:00:00:00:99")!, type: EtherType.ipv4)
                IPv4Emitter.emit(UnsafeMutableRawBufferPointer(rebasing: p[14...]), totalLength: 20 + tcp.count, id: 1, ttl: 64,
                                 proto: IPProtocol.tcp, src: IPv4Address("10.0.0.2")!, dst: IPv4Address("10.0.0.1")!)
            }
            return [control] + f
        }
        func write(_ bytes: [UInt8]) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: dir.file("in-\(n)")))
            n += 1
        }
        let ts: [UInt8] = [1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 1]
        for f in 0...255 {
            try write(frame(UInt8(f), payload: .pattern(30), options: ts, control: 0x06))   // steered, checksummed
            try write(frame(UInt8(f), payload: [], control: 0x06))
            try write(frame(UInt8(f), payload: .pattern(5), control: 0x00))                 // raw
        }
        for off in 0...15 { try write(frame(0x18, payload: .pattern(8), dataOffset: UInt8(off), control: 0x06)) }
        let sack: [UInt8] = [1, 1, 5, 10, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        try write(frame(0x10, payload: [], options: sack, control: 0x06))
        let r = try run(executable("rumpnet-fuzz"), (0..<n).map { dir.file("in-\($0)") }, timeout: 120)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("replayed \(n) inputs without a crash"), "\(r)")
        // The steered segments reached the connection: data taken, ACKs processed.
        let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("tcp:") })
        let fields = line.split(separator: " ")
        func value(_ k: String) -> Int { fields.firstIndex(of: Substring(k)).flatMap { Int(fields[$0 + 1]) } ?? -1 }
        #expect(value("rcvbyte") > 0, "\(line)")
        #expect(value("rcvackpack") > 0, "\(line)")
        #expect(value("rcvbadoff") > 0, "\(line)")
    }
}
