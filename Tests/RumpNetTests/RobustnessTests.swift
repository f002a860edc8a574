import Testing
@testable import RumpNet

final class SinkDriver: LinkDriver {
    var frames = 0
    func transmit(_ frame: UnsafeRawBufferPointer) -> Bool { frames += 1; return true }
}

@Suite struct RobustnessTests {
    /// Valid frames the mutator starts from: ARP, echo, fragments (some overlapping), UDP, TCP,
    /// IP options, forwarded traffic, ICMP errors.
    static func templates(mac: MACAddress) -> [[UInt8]] {
        func ether(_ type: UInt16, _ payload: [UInt8], dst: MACAddress? = nil) -> [UInt8] {
            var f = [UInt8](repeating: 0, count: 14)
            f.withUnsafeMutableBytes { EthernetEmitter.emit($0, dst: dst ?? mac, src: MACAddress("b2:a0:11:22:33:44")!, type: type) }
            return f + payload
        }
        func ip(_ proto: UInt8, _ payload: [UInt8], src: String = "10.0.0.2", dst: String = "10.0.0.1", id: UInt16 = 7,
                frag: UInt16 = 0, ttl: UInt8 = 64, options: [UInt8] = []) -> [UInt8] {
            let hl = 20 + options.count
            var h = [UInt8](repeating: 0, count: hl)
            h.withUnsafeMutableBytes { p in
                IPv4Emitter.emit(p, totalLength: hl + payload.count, id: id, flagsFragment: frag, ttl: ttl, proto: proto,
                                 src: IPv4Address(src)!, dst: IPv4Address(dst)!)
            }
            if !options.isEmpty {
                h[0] = 0x40 | UInt8(hl / 4)
                h.replaceSubrange(20..<hl, with: options)
                h.withUnsafeMutableBytes { IPv4Emitter.setChecksum($0, headerLength: hl) }
            }
            return h + payload
        }
        var t: [[UInt8]] = []
        var arp = [UInt8](repeating: 0, count: 28)
        arp.withUnsafeMutableBytes { ARPEmitter.emit($0, op: 1, sha: MACAddress("b2:a0:11:22:33:44")!, spa: IPv4Address("10.0.0.2")!, tha: .zero, tpa: IPv4Address("10.0.0.1")!) }
        t.append(ether(EtherType.arp, arp, dst: .broadcast))
        arp.withUnsafeMutableBytes { ARPEmitter.emit($0, op: 2, sha: MACAddress("b2:a0:11:22:33:45")!, spa: IPv4Address("10.0.0.3")!, tha: mac, tpa: IPv4Address("10.0.0.1")!) }
        t.append(ether(EtherType.arp, arp))
        let echo = Ping.request(id: 1, seq: 1, size: 56)
        t.append(ether(EtherType.ipv4, ip(1, echo)))
        t.append(ether(EtherType.ipv4, ip(1, echo, options: [1, 1, 1, 0])))
        t.append(ether(EtherType.ipv4, ip(1, echo, dst: "10.0.0.255"), dst: .broadcast))
        // Fragments of a 3000-byte echo, plus overlapping and odd ones.
        let big = Ping.request(id: 2, seq: 2, size: 2992)
        for (off, len, mf) in [(0, 1480, true), (1480, 1480, true), (2960, 40, false), (1000, 800, true), (8, 16, true), (2960, 100, false)] {
            t.append(ether(EtherType.ipv4, ip(1, Array(big[off..<min(off + len, big.count)]), id: 9,
                                              frag: (mf ? IPv4Emitter.MF : 0) | UInt16(off / 8))))
        }
        var udp = [UInt8](repeating: 0, count: 20)
        udp.withUnsafeMutableBytes { UDPEmitter.emit($0, srcPort: 1000, dstPort: 2000, length: 20, src: IPv4Address("10.0.0.2")!, dst: IPv4Address("10.0.0.1")!) }
        t.append(ether(EtherType.ipv4, ip(17, udp)))
        // UDP to the bound port (2000), to closed ones, broadcast, and without a checksum.
        var bound = [UInt8](repeating: 0x33, count: 40)
        bound.withUnsafeMutableBytes { UDPEmitter.emit($0, srcPort: 1000, dstPort: 2000, length: 40, src: IPv4Address("10.0.0.2")!, dst: IPv4Address("10.0.0.1")!) }
        t.append(ether(EtherType.ipv4, ip(17, bound)))
        var closed = bound
        closed.withUnsafeMutableBytes { UDPEmitter.emit($0, srcPort: 1000, dstPort: 2001, length: 40, src: IPv4Address("10.0.0.2")!, dst: IPv4Address("10.0.0.1")!) }
        t.append(ether(EtherType.ipv4, ip(17, closed)))
        var bcast = bound
        bcast.withUnsafeMutableBytes { UDPEmitter.emit($0, srcPort: 1000, dstPort: 2000, length: 40, src: IPv4Address("10.0.0.2")!, dst: IPv4Address("10.0.0.255")!) }
        t.append(ether(EtherType.ipv4, ip(17, bcast, dst: "10.0.0.255"), dst: .broadcast))
        var bcastClosed = bound
        bcastClosed.withUnsafeMutableBytes { UDPEmitter.emit($0, srcPort: 1000, dstPort: 2001, length: 40, src: IPv4Address("10.0.0.2")!, dst: IPv4Address("10.0.0.255")!) }
        t.append(ether(EtherType.ipv4, ip(17, bcastClosed, dst: "10.0.0.255"), dst: .broadcast))
        var nosum = bound
        nosum[6] = 0; nosum[7] = 0
        t.append(ether(EtherType.ipv4, ip(17, nosum)))
        var tcp = [UInt8](repeating: 0, count: 20)
        tcp.withUnsafeMutableBytes { TCPEmitter.emit($0, srcPort: 1000, dstPort: 80, seq: 1, ack: 0, flags: .syn, window: 1024, length: 20, src: IPv4Address("10.0.0.2")!, dst: IPv4Address("10.0.0.1")!) }
        t.append(ether(EtherType.ipv4, ip(6, tcp)))
        t.append(ether(EtherType.ipv4, ip(99, [1, 2, 3, 4])))
        // To be forwarded (net.inet.ip.forwarding = 1): to the other interface, off-net, TTL 1.
        t.append(ether(EtherType.ipv4, ip(1, echo, dst: "10.0.1.7")))
        t.append(ether(EtherType.ipv4, ip(1, echo, dst: "172.16.0.1")))
        t.append(ether(EtherType.ipv4, ip(1, echo, dst: "10.0.1.7", ttl: 1)))
        t.append(ether(EtherType.ipv4, ip(1, [UInt8](repeating: 0x55, count: 1400), dst: "10.0.1.7")))
        // An ICMP error (never answered) and a VLAN-tagged frame.
        var err = [UInt8](repeating: 0, count: 8) + ip(17, udp)
        err.withUnsafeMutableBytes { ICMPEmitter.emit($0, type: 3, code: 3, rest: 0, length: $0.count) }
        t.append(ether(EtherType.ipv4, ip(1, err)))
        var v = ether(EtherType.ipv4, ip(1, echo))
        v.insert(contentsOf: [0x81, 0x00, 0x00, 0x00], at: 12)
        t.append(v)
        return t
    }

    @Test func millionMutatedFramesNoCrashBoundedMemory() throws {
        let clock = VirtualClock()
        let s = NetStack(clock: clock, seed: 77)
        let sink0 = SinkDriver(), sink1 = SinkDriver()
        let mac = MACAddress("b2:a0:00:00:00:01")!
        try s.attachInterface(name: "shmif0", driver: sink0, mac: mac)
        let mac1 = MACAddress("b2:a0:00:00:00:02")!
        try s.attachInterface(name: "shmif1", driver: sink1, mac: mac1)
        try s.addAddress(name: "shmif0", IPv4Address("10.0.0.1")!, netmask: 0xFFFF_FF00)
        try s.addAddress(name: "shmif1", IPv4Address("10.0.1.1")!, netmask: 0xFFFF_FF00)
        try s.arpSet(IPv4Address("10.0.1.7")!, mac: MACAddress("b2:a0:00:00:01:07")!)
        try s.sysctlSet("net.inet.ip.forwarding", 1)
        try s.sysctlSet("net.inet.icmp.errppslimit", -1)  // exercise the error path on every frame
        let fd = try rawICMPSocket(s)
        try s.setOption(fd, .nonBlocking(true))
        let udp = try UDP.socket(s)
        try s.bind(udp, to: UDP.ep("0.0.0.0", 2000))
        var udpReceived = 0
        let templates = RobustnessTests.templates(mac: mac)
        var rng = SeededRandom(seed: 12345)
        var buf = [UInt8](repeating: 0, count: 2048)
        var rbuf = [UInt8](repeating: 0, count: 70000)
        let total = 1_000_000
        buf.withUnsafeMutableBytes { b in
            rbuf.withUnsafeMutableBytes { rb in
                for i in 0..<total {
                    let r = rng.next()
                    var len: Int
                    if r & 15 == 0 {
                        // Pure noise behind a valid Ethernet header half the time.
                        len = Int(r >> 8 % 1514)
                        for j in stride(from: 0, to: len, by: 8) { b.storeBytes(of: rng.next(), toByteOffset: j, as: UInt64.self) }
                        if r & 16 != 0, len >= 14 { mac.store(b, 0); b.setBE16(12, (r >> 5) & 1 == 0 ? EtherType.ipv4 : EtherType.arp) }
                    } else {
                        let t = templates[Int((r >> 4) % UInt64(templates.count))]
                        len = t.count
                        t.withUnsafeBytes { b.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: len) }
                        let kind = (r >> 12) & 7
                        let flips = Int((r >> 16) & 3)
                        if kind == 0 { len = Int((r >> 20) % UInt64(len + 1)) }  // truncated
                        if kind <= 3 {
                            for k in 0..<flips {
                                let x = rng.next()
                                let pos = 14 + Int(x % UInt64(max(1, min(len, 60) - 14)))
                                if pos < len { b[pos] ^= UInt8(truncatingIfNeeded: x >> (8 + k)) | 1 }
                            }
                        }
                        if kind == 4, len >= 18 { b.setBE16(16, UInt16(truncatingIfNeeded: r >> 24)) }  // IP total length
                        if kind == 5, len >= 34 { b[14] = 0x40 | UInt8((r >> 28) & 0xF) }          // header length
                        // Fix the IP checksum often, so the mutation reaches the layers above.
                        if (r >> 40) & 1 == 1, len >= 34, b[12] == 0x08, b[13] == 0x00 {
                            let hl = Int(b[14] & 0x0F) * 4
                            if hl >= 20, 14 + hl <= len {
                                IPv4Emitter.setChecksum(UnsafeMutableRawBufferPointer(rebasing: b[14..<(14 + hl)]), headerLength: hl)
                            }
                        }
                    }
                    let ifIndex = Int(2 + (r >> 44) & 1)
                    if ifIndex == 3, len >= 6, MACAddress.load(UnsafeRawBufferPointer(b), 0) == mac { mac1.store(b, 0) }
                    s.receive(UnsafeRawBufferPointer(rebasing: b[0..<len]), on: ifIndex)
                    if i % 256 == 0 {
                        clock.advance(nanoseconds: 50_000_000)
                        s.poll()
                        while (try? s.recvfrom(fd, into: rb)) != nil {}
                        while (try? s.receive(udp, into: rb)) != nil { udpReceived += 1 }
                    }
                }
            }
        }
        // Bounded state.
        #expect(s.reass.entries.count <= 200)
        #expect(s.reass.bytes <= Reassembly.maxBytes)
        #expect(s.arp.entries.count <= 2 * 256)
        #expect(s.arp.entries.values.allSatisfy { $0.hold.count <= 16 })
        #expect(s.loopQueue.count == 0)
        // The counters say what was dropped.
        let ip = s.ipStats
        #expect(ip.total > 500_000)
        #expect(ip.badsum > 0 && ip.badhlen > 0 && ip.tooshort > 0 && ip.badvers > 0 && ip.toosmall > 0)
        #expect(ip.fragments > 0 && ip.fragdropped > 0 && ip.fragoverlap > 0 && ip.reassembled > 0 && ip.fragtimeout > 0)
        #expect(ip.forward > 0 && ip.cantforward > 0 && ip.noproto > 0)
        #expect(s.icmpStats.checksum > 0 && s.icmpStats.reflect > 0 && s.icmpStats.oldicmp > 0)
        #expect(s.etherStats.runts > 0 && s.etherStats.unknownType > 0)
        #expect(s.arpStats.badFrames > 0)
        let u = s.udpStats
        #expect(u.ipackets > 0 && u.badsum > 0 && u.badlen > 0 && u.hdrops > 0 && u.nosum > 0)
        #expect(u.noport > 0 && u.noportbcast > 0 && udpReceived > 0)
        #expect(s.timers.count == s.arp.entries.values.filter { !$0.permanent }.count + s.reass.entries.count)
        // Still answering afterwards: a datagram to the bound port arrives intact.
        try rbuf.withUnsafeMutableBytes { rb in
            while (try? s.receive(udp, into: rb)) != nil {}
            let good = try #require(templates.first { $0.count == 74 && $0[23] == 17 && $0[36] == 0x07 && $0[37] == 0xD0 && $0[33] == 1 })
            good.withUnsafeBytes { s.receive($0, on: 2) }
            let d = try s.receive(udp, into: rb)
            #expect(d.length == 32 && rb[0..<32].allSatisfy { $0 == 0x33 } && d.from == UDP.ep("10.0.0.2", 1000))
        }
        print("robustness: ip \(ip) icmp reflect \(s.icmpStats.reflect) checksum \(s.icmpStats.checksum) ether \(s.etherStats) arp \(s.arpStats) udp \(s.udpStats)")
    }
}
