import Foundation
import TestSupport
import Testing
import Pcap
@testable import RumpNet

final class CaptureDriver: LinkDriver {
    var frames: [[UInt8]] = []
    func transmit(_ frame: UnsafeRawBufferPointer) -> Bool { frames.append(Array(frame)); return true }
}

@Suite struct WireTests {
    @Test func checksumKnownValuesAndIncrementalUpdate() {
        // RFC 1071's example words 0001 f203 f4f5 f6f7 sum to ddf2.
        let b: [UInt8] = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]
        #expect(b.withUnsafeBytes { InternetChecksum.sum($0) } == 0xDDF2)
        // Odd lengths: the last byte is a high byte.
        for n in 0..<70 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            var ref: UInt32 = 0
            var i = 0
            while i < n { ref += UInt32(bytes[i]) << 8 | (i + 1 < n ? UInt32(bytes[i + 1]) : 0); i += 2 }
            while ref > 0xFFFF { ref = (ref & 0xFFFF) + (ref >> 16) }
            #expect(bytes.withUnsafeBytes { InternetChecksum.sum($0) } == UInt16(ref))
        }
        // TTL decrement: incremental equals recomputed.
        var h: [UInt8] = [0x45, 0, 0, 0x54, 0, 1, 0, 0, 0xFF, 1, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1]
        h.withUnsafeMutableBytes { IPv4Emitter.setChecksum($0, headerLength: 20) }
        #expect(h[10] == 0xA7 && h[11] == 0xA5)  // as in ping.pcap
        let old = UInt16(h[8]) << 8 | UInt16(h[9])
        h[8] -= 1
        let inc = InternetChecksum.update(UInt16(h[10]) << 8 | UInt16(h[11]), old: old, new: UInt16(h[8]) << 8 | UInt16(h[9]))
        h.withUnsafeMutableBytes { IPv4Emitter.setChecksum($0, headerLength: 20) }
        #expect(inc == UInt16(h[10]) << 8 | UInt16(h[11]))
    }

    @Test func ethernetVLANAndIPv4Validation() throws {
        var f: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xB2, 0xA0, 1, 2, 3, 4, 0x81, 0x00, 0x20, 0x05, 0x08, 0x00] + [UInt8](repeating: 0, count: 20)
        try f.withUnsafeBytes { p in
            let e = try #require(EthernetView(p))
            #expect(e.vlanID == 5 && e.etherType == EtherType.ipv4 && e.headerLength == 18)
            #expect(e.source.description == "b2:a0:01:02:03:04" && e.destination.isBroadcast)
            #expect(EthernetView(UnsafeRawBufferPointer(rebasing: p[0..<16])) == nil)
        }
        f = [0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        f.withUnsafeMutableBytes { IPv4Emitter.setChecksum($0, headerLength: 20) }
        try f.withUnsafeBytes { _ = try IPv4View($0) }
        func fails(_ g: [UInt8]) -> IPv4View.Failure? {
            g.withUnsafeBytes { p -> IPv4View.Failure? in do throws(IPv4View.Failure) { _ = try IPv4View(p); return nil } catch { return error } }
        }
        var g = f; g[0] = 0x65
        #expect(fails(g) == .badVersion)
        g = f; g[0] = 0x44
        #expect(fails(g) == .badHeaderLength)
        g = f; g[3] = 40
        #expect(fails(g) == .badLength)
        g = f; g[15] ^= 1
        #expect(fails(g) == .badChecksum)
        #expect(fails(Array(f[0..<19])) == .tooShort)
        // Options are skipped: a 24-byte header with a NOP/EOL option.
        var o: [UInt8] = [0x46, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 1, 1, 1, 0, 9, 9, 9, 9]
        o.withUnsafeMutableBytes { IPv4Emitter.setChecksum($0, headerLength: 24) }
        try o.withUnsafeBytes { p in
            let v = try IPv4View(p)
            #expect(v.headerLength == 24 && v.payload.count == 4 && v.options.count == 4)
        }
    }

    static func pingPcap() throws -> [[UInt8]] {
        try PcapReader.readAll(path: vectorsDirectory.path + "/netbsd/ping.pcap").records.map(\.bytes)
    }

    /// We play kernel A (10.0.0.1, b2:a0:e8:56:d1:3c): every frame A sent in ping.pcap is what we send.
    @Test func answerNetBSDFramesAsNetBSDDid() throws {
        let f = try WireTests.pingPcap()
        #expect(f.count == 16)
        // Parse NetBSD's frames.
        f[2].withUnsafeBytes { p in
            let e = EthernetView(p)!
            let a = ARPView(e.payload)!
            #expect(a.operation == ARPView.request && a.senderProtocol == IPv4Address("10.0.0.2")! && a.targetProtocol == IPv4Address("10.0.0.1")!)
            #expect(a.senderHardware == MACAddress("b2:a0:62:0e:41:d5")!)
        }
        try f[4].withUnsafeBytes { p in
            let ip = try IPv4View(EthernetView(p)!.payload)
            let icmp = ICMPView(ip.payload)!
            #expect(ip.ttl == 255 && ip.identification == 1 && icmp.type == ICMPType.echo && icmp.identifier == 13989 && icmp.isChecksumValid)
        }
        let clock = VirtualClock()
        let s = NetStack(clock: clock, seed: 1)
        let cap = CaptureDriver()
        try s.attachInterface(name: "shmif0", driver: cap, mac: MACAddress("b2:a0:e8:56:d1:3c")!)
        try s.addAddress(name: "shmif0", IPv4Address("10.0.0.1")!, netmask: 0xFFFF_FF00)
        #expect(cap.frames == [f[0]])  // the gratuitous ARP, byte for byte
        f[1].withUnsafeBytes { s.receive($0, on: 2) }  // B's gratuitous ARP: not for us, no answer
        #expect(cap.frames.count == 1)
        f[2].withUnsafeBytes { s.receive($0, on: 2) }
        #expect(cap.frames.last == f[3])  // the ARP reply
        for i in stride(from: 4, to: 16, by: 2) {
            f[i].withUnsafeBytes { s.receive($0, on: 2) }
            #expect(cap.frames.last == f[i + 1], "echo reply \(i + 1)")
        }
        #expect(cap.frames.count == 8)
    }

    /// We play kernel B (10.0.0.2): its ARP request and first echo request come out identical.
    @Test func pingAsNetBSDDid() throws {
        let f = try WireTests.pingPcap()
        let s = NetStack(clock: VirtualClock(), seed: 1)
        let cap = CaptureDriver()
        try s.attachInterface(name: "shmif0", driver: cap, mac: MACAddress("b2:a0:62:0e:41:d5")!)
        try s.addAddress(name: "shmif0", IPv4Address("10.0.0.2")!, netmask: 0xFFFF_FF00)
        #expect(cap.frames == [f[1]])
        f[0].withUnsafeBytes { s.receive($0, on: 2) }
        let fd = try rawICMPSocket(s)
        try s.setOption(fd, .ttl(255))  // NetBSD's ping sends with TTL 255
        let req = Array(f[4][34...])
        try req.withUnsafeBytes { _ = try s.sendto(fd, $0, to: IPv4Address("10.0.0.1")!) }
        #expect(cap.frames.last == f[2])  // who-has 10.0.0.1 tell 10.0.0.2
        f[3].withUnsafeBytes { s.receive($0, on: 2) }
        #expect(cap.frames.last == f[4])  // the held echo request, released by the reply
        f[5].withUnsafeBytes { s.receive($0, on: 2) }
        let got = Ping.drain(s, fd)
        #expect(got.count == 1 && got.first?.type == ICMPType.echoReply && got.first?.ttl == 255)
    }

    /// Frames we emit (ARP, echo, fragments, ICMP errors, UDP port unreachable) decode in tcpdump
    /// without a warning.
    @Test func tcpdumpDecodesOurFrames() throws {
        let lab = Lab()
        let a = lab.stack(seed: 11), r = lab.stack(seed: 12), b = lab.stack(seed: 13)
        let l1 = lab.link(), l2 = lab.link()
        let dir = TemporaryDirectory()
        defer { dir.remove() }  // also keeps it alive to the end of the test
        let path = dir.file("ours.pcap")
        let w = try PcapWriter(path: path)
        var n = 0
        let tap: (UnsafeRawBufferPointer) -> Void = { fr in
            n += 1
            w.write(fr, seconds: Int(lab.clock.now / 1_000_000_000), microseconds: Int(lab.clock.now % 1_000_000_000 / 1000))
        }
        l1.tap = tap; l2.tap = tap
        try lab.attach(a, l1, "shmif0", "10.0.1.1", 24)
        try lab.attach(r, l1, "shmif0", "10.0.1.254", 24)
        try lab.attach(r, l2, "shmif1", "10.0.2.254", 24)
        try lab.attach(b, l2, "shmif0", "10.0.2.1", 24)
        try r.sysctlSet("net.inet.ip.forwarding", 1)
        try a.addRoute(destination: .any, prefixLength: 0, gateway: IPv4Address("10.0.1.254")!)
        try b.addRoute(destination: .any, prefixLength: 0, gateway: IPv4Address("10.0.2.254")!)
        lab.settle()
        let fd = try rawICMPSocket(a)
        try Ping.send(a, fd, to: "10.0.2.1", seq: 0)
        try Ping.send(a, fd, to: "10.0.2.1", seq: 1, size: 4000)
        lab.settle()
        try a.setOption(fd, .ttl(1))
        try Ping.send(a, fd, to: "10.0.2.1", seq: 2)
        try Ping.send(a, fd, to: "10.9.9.9", seq: 3)
        lab.settle()
        try a.setOption(fd, .ttl(64))
        try Ping.send(a, fd, to: "10.9.9.9", seq: 3)
        // A UDP datagram to a closed port, through IP_HDRINCL.
        var u = [UInt8](repeating: 0, count: 36)
        u[0] = 0x45; u[8] = 64; u[9] = 17
        u[12...15] = [10, 0, 1, 1]; u[16...19] = [10, 0, 2, 1]
        u[25] = 16
        u.withUnsafeMutableBytes { p in
            UDPEmitter.emit(UnsafeMutableRawBufferPointer(rebasing: p[20...]), srcPort: 12345, dstPort: 9999, length: 16,
                            src: IPv4Address("10.0.1.1")!, dst: IPv4Address("10.0.2.1")!)
        }
        try a.setOption(fd, .headerIncluded(true))
        try u.withUnsafeBytes { _ = try a.sendto(fd, $0) }
        lab.settle()
        w.flush()
        #expect(n > 20)
        let dump = try run("/usr/bin/env", ["tcpdump", "-r", path, "-v", "-n", "-e"])
        let text = dump.stdout
        #expect(dump.status == 0, "\(dump.stderr)")
        for bad in ["bad cksum", "wrong", "[|", "truncated", "malformed", "invalid", "bad len", "bad hlen"] {
            #expect(!text.contains(bad), "tcpdump: \(bad)\n\(text)")
        }
        #expect(text.contains("ICMP echo reply"))
        #expect(text.contains("time exceeded in-transit"))
        #expect(text.contains("net 10.9.9.9 unreachable"))
        #expect(text.contains("udp port 9999 unreachable"))
        #expect(text.contains("Request who-has 10.0.1.254 tell 10.0.1.1"))
        #expect(text.contains("flags [+]"))
    }
}

@Suite struct NetBSDTCPFrames {
    /// Every segment NetBSD sent in tcp.pcap parses, and its IP and TCP checksums verify.
    @Test func tcpPcapSegmentsParseAndVerify() throws {
        let recs = try PcapReader.readAll(path: vectorsDirectory.path + "/netbsd/tcp.pcap").records
        #expect(recs.count == 1040)
        var data = 0, acks = 0, fins = 0
        for r in recs {
            try r.bytes.withUnsafeBytes { p in
                let e = try #require(EthernetView(p))
                #expect(e.etherType == EtherType.ipv4)
                let ip = try IPv4View(e.payload)
                let t = try #require(TCPView(ip.payload))
                #expect(t.isChecksumValid(src: ip.source, dst: ip.destination))
                #expect(t.headerLength == 32)  // timestamps on
                if t.payload.count > 0 { data += 1 } else { acks += 1 }
                if t.flags.contains(.fin) { fins += 1 }
            }
        }
        #expect(data > 0 && acks > 0 && fins >= 2)
    }

    @Test func udpAndTCPEmittersRoundTrip() throws {
        let src = IPv4Address("10.0.0.1")!, dst = IPv4Address("10.0.0.2")!
        var u = [UInt8](repeating: 7, count: 8 + 5)
        u.withUnsafeMutableBytes { UDPEmitter.emit($0, srcPort: 5000, dstPort: 53, length: 13, src: src, dst: dst) }
        try u.withUnsafeBytes { p in
            let v = try #require(UDPView(p))
            #expect(v.sourcePort == 5000 && v.destinationPort == 53 && v.payload.count == 5 && v.isChecksumValid(src: src, dst: dst))
        }
        var t = [UInt8](repeating: 1, count: 20 + 3)
        t.withUnsafeMutableBytes { TCPEmitter.emit($0, srcPort: 1, dstPort: 2, seq: 100, ack: 200, flags: [.syn, .ack], window: 512, length: 23, src: src, dst: dst) }
        try t.withUnsafeBytes { p in
            let v = try #require(TCPView(p))
            #expect(v.sequence == 100 && v.acknowledgment == 200 && v.flags == [.syn, .ack] && v.window == 512)
            #expect(v.payload.count == 3 && v.isChecksumValid(src: src, dst: dst))
        }
        // A UDP length field past the datagram is refused.
        u[5] = 40
        u.withUnsafeBytes { #expect(UDPView($0) == nil) }
    }
}
