import Foundation
import Testing
import TestSupport
@testable import RumpNet

/// Random and mutated IPv6 frames against a forwarding, RA-accepting stack: no crash, every queue
/// and cache within its bound afterwards, and the stack still answers.
@Suite struct IPv6RobustnessTests {
    static let mac = MACAddress(0xb2a0_0000_0001), peerMAC = MACAddress(0xb2a0_0000_0099)
    static let me = v6("fd00::1"), peer = v6("fd00::2"), peerLL = v6("fe80::2")

    static func templates() -> [[UInt8]] {
        var t: [[UInt8]] = []
        let myLL = IPv6Address.linkLocal(interfaceID: IPv6Address.interfaceID(mac: mac.value))
        func add(_ src: IPv6Address, _ dst: IPv6Address, nh: UInt8, hl: UInt8 = 64, _ p: [UInt8], dmac: MACAddress? = nil) {
            let d = dmac ?? (dst.isMulticast ? MACAddress(dst.multicastMAC) : mac)
            t.append(Frame6.make(dstMAC: d, srcMAC: peerMAC, src: src, dst: dst, nh: nh, hopLimit: hl, payload: p))
        }
        func icmp(_ src: IPv6Address, _ dst: IPv6Address, _ m: [UInt8]) -> [UInt8] { Frame6.icmp(m, src: src, dst: dst) }
        func nd(_ m: NDMessage, _ src: IPv6Address, _ dst: IPv6Address) -> [UInt8] {
            var b = [UInt8](repeating: 0, count: 200)
            let n = b.withUnsafeMutableBytes { m.emit($0, src: src, dst: dst) }
            return Array(b[0..<n])
        }
        let echo = Ping6.request(seq: 1, size: 32)
        add(peer, me, nh: 58, icmp(peer, me, echo))
        add(peerLL, myLL, nh: 58, icmp(peerLL, myLL, echo))
        add(peerLL, .linkLocalAllNodes, nh: 58, icmp(peerLL, .linkLocalAllNodes, echo))
        var o = NDOptions(); o.sourceLinkAddress = peerMAC
        add(peer, me.solicitedNodeMulticast, nh: 58, hl: 255, nd(.neighborSolicit(target: me, options: o), peer, me.solicitedNodeMulticast))
        add(.any, me.solicitedNodeMulticast, nh: 58, hl: 255, nd(.neighborSolicit(target: me, options: NDOptions()), .any, me.solicitedNodeMulticast))
        var ta = NDOptions(); ta.targetLinkAddress = peerMAC
        add(peer, me, nh: 58, hl: 255, nd(.neighborAdvert(router: true, solicited: true, override: true, target: peer, options: ta), peer, me))
        var ra = NDOptions(); ra.sourceLinkAddress = peerMAC; ra.mtu = 1400
        ra.prefixes = [NDPrefixInformation(prefixLength: 64, onLink: true, autonomous: true, validLifetime: 30,
                                           preferredLifetime: 20, prefix: v6("2001:db8:7::"))]
        add(peerLL, .linkLocalAllNodes, nh: 58, hl: 255, nd(.routerAdvert(curHopLimit: 64, managed: false, other: false, routerLifetime: 30,
                                                                         reachableTime: 0, retransTimer: 0, options: ra), peerLL, .linkLocalAllNodes))
        add(peerLL, me, nh: 58, hl: 255, nd(.redirect(target: peerLL, destination: v6("fd05::1"), options: ta), peerLL, me))
        let hbh: [UInt8] = [58, 0, 5, 2, 0, 0, 1, 0]
        var q = [UInt8](repeating: 0, count: 24); q[0] = ICMPv6Type.mldQuery; q[4] = 0x27; q[5] = 0x10
        add(peerLL, .linkLocalAllNodes, nh: 0, hl: 1, hbh + icmp(peerLL, .linkLocalAllNodes, q))
        var rep = [UInt8](repeating: 0, count: 24); rep[0] = ICMPv6Type.mldReport
        rep.replaceSubrange(8..<24, with: me.solicitedNodeMulticast.bytes)
        add(peerLL, me.solicitedNodeMulticast, nh: 0, hl: 1, hbh + icmp(peerLL, me.solicitedNodeMulticast, rep))
        // Fragments of a 3000-byte echo.
        let big = icmp(peer, me, Ping6.request(seq: 2, size: 2992))
        for (off, len, more) in [(0, 1448, true), (1448, 1448, true), (2896, 104, false)] {
            let fh: [UInt8] = [58, 0, UInt8(off >> 8), UInt8(off & 0xF8) | (more ? 1 : 0), 0, 0, 0, 9]
            add(peer, me, nh: 44, fh + Array(big[off..<min(off + len, big.count)]))
        }
        // Extension header chains, unknown options, UDP, forwarded, a too-big quote.
        add(peer, me, nh: 0, [60, 0, 0x1E, 2, 0, 0, 1, 0] + Frame6.options(next: 58, [0x9E, 0]) + icmp(peer, me, echo))
        add(peer, me, nh: 60, Frame6.options(next: 43, [0xDE, 0]) + [58, 0, 0, 1, 0, 0, 0, 0] + icmp(peer, me, echo))
        add(peer, me, nh: 17, [0x04, 0x00, 0x00, 0x35, 0, 16, 0, 0] + [UInt8](repeating: 7, count: 8))
        add(peer, v6("fd09::5"), nh: 58, icmp(peer, v6("fd09::5"), echo))
        add(peer, v6("fd09::6"), nh: 58, hl: 1, icmp(peer, v6("fd09::6"), echo))
        let quoted = Array(Frame6.make(dstMAC: mac, srcMAC: peerMAC, src: me, dst: v6("fd09::1"), nh: 58, payload: echo)[14...])
        add(peer, me, nh: 58, icmp(peer, me, [2, 0, 0, 0, 0, 0, 5, 0xDC] + quoted))
        return t
    }

    @Test func manyMutatedIPv6FramesNoCrashBoundedMemory() throws {
        let clock = VirtualClock()
        let s = NetStack(clock: clock, seed: 99)
        try s.attachInterface(name: "shmif0", driver: SinkDriver(), mac: Self.mac)
        try s.attachInterface(name: "shmif1", driver: SinkDriver(), mac: MACAddress(0xb2a0_0000_0002))
        s.enableIPv6()
        try s.sysctlSet("net.inet6.ip6.dad_count", 0)
        try s.setUp(name: "shmif0", true)
        try s.setUp(name: "shmif1", true)
        try s.addAddress6(name: "shmif0", Self.me, prefixLength: 64)
        try s.addAddress6(name: "shmif1", v6("fd01::1"), prefixLength: 64)
        try s.addRoute6(destination: .any, prefixLength: 0, gateway: v6("fd01::7"))
        for (k, v) in [("net.inet6.ip6.forwarding", 1), ("net.inet6.ip6.accept_rtadv", 1), ("net.inet6.icmp6.errppslimit", -1)] {
            try s.sysctlSet(k, v)
        }
        let fd = try Ping6.socket(s)
        let templates = Self.templates()
        var rng = SeededRandom(seed: 4242)
        var buf = [UInt8](repeating: 0, count: 2048)
        var rbuf = [UInt8](repeating: 0, count: 70000)
        let total = 1_000_000
        buf.withUnsafeMutableBytes { b in
            rbuf.withUnsafeMutableBytes { rb in
                for i in 0..<total {
                    let r = rng.next()
                    var len: Int
                    if r & 15 == 0 {
                        // Noise behind an Ethernet header of type IPv6 (version nibble 6 half the time).
                        len = Int((r >> 8) % 1514)
                        for j in stride(from: 0, to: len, by: 8) where j + 8 <= b.count { b.storeBytes(of: rng.next(), toByteOffset: j, as: UInt64.self) }
                        if len >= 15 { Self.mac.store(b, 0); b.setBE16(12, EtherType.ipv6); if r & 16 != 0 { b[14] = 0x60 } }
                    } else {
                        let t = templates[Int((r >> 4) % UInt64(templates.count))]
                        len = t.count
                        t.withUnsafeBytes { b.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: len) }
                        let kind = (r >> 12) & 7
                        let flips = 1 + Int((r >> 16) & 3)
                        if kind == 0 { len = Int((r >> 20) % UInt64(len + 1)) }                       // truncated
                        if kind <= 4 {
                            for k in 0..<flips {
                                let x = rng.next()
                                let pos = 14 + Int(x % UInt64(max(1, min(len, 120) - 14)))
                                if pos < len { b[pos] ^= UInt8(truncatingIfNeeded: x >> (8 + k)) | 1 }
                            }
                        }
                        if kind == 5, len >= 20 { b.setBE16(18, UInt16(truncatingIfNeeded: r >> 24)) }  // payload length
                        if kind == 6, len >= 21 { b[20] = UInt8(truncatingIfNeeded: r >> 32) }          // next header
                        // Fix the ICMPv6 checksum often, so mutations reach ND, MLD and echo.
                        if (r >> 40) & 1 == 1, len >= 58, b[20] == 58 {
                            let plen = Int(b[18]) << 8 | Int(b[19])
                            if plen >= 4, 54 + plen <= len {
                                ICMPv6Emitter.setChecksum(UnsafeMutableRawBufferPointer(rebasing: b[54..<(54 + plen)]),
                                                          src: IPv6Address(loadingFrom: b.baseAddress! + 22),
                                                          dst: IPv6Address(loadingFrom: b.baseAddress! + 38))
                            }
                        }
                    }
                    s.receive(UnsafeRawBufferPointer(rebasing: b[0..<len]), on: 2 + Int((r >> 44) & 1))
                    if i % 256 == 0 {
                        clock.advance(nanoseconds: 100_000_000)
                        s.poll()
                        while (try? s.recvfrom6(fd, into: rb)) != nil {}
                    }
                }
            }
        }
        // Bounded state, and the bookkeeping agrees with what is held.
        #expect(s.ip6.neighbors.count <= IP6State.maxNeighbors)
        #expect(s.ip6.heldPackets == s.ip6.neighbors.values.reduce(0) { $0 + $1.hold.count })
        #expect(s.ip6.heldPackets <= IP6State.maxHeldTotal)
        #expect(s.ip6.reass.count <= 256)
        #expect(s.ip6.reassBytes == s.ip6.reass.values.reduce(0) { $0 + $1.bytes } && s.ip6.reassBytes <= IP6State.reassMaxBytes)
        #expect(s.ip6.reassFragments == s.ip6.reass.values.reduce(0) { $0 + $1.fragments })
        #expect(s.ip6.routers.count <= 64 && s.ip6.prefixes.count <= 64 && s.ip6.pmtu.count <= IP6State.maxPMTU)
        #expect(s.timers.count < 20_000)
        #expect(s.loopQueue.count == 0)
        let st = s.ip6Stats
        #expect(st.total > 500_000 && st.badvers > 0 && st.tooshort > 0 && st.toosmall > 0 && st.badscope > 0)
        #expect(st.fragments > 0 && st.reassembled > 0 && st.forward > 0 && st.badoptions > 0 && st.notmember > 0)
        #expect(s.icmp6Stats.checksum > 0 && s.icmp6Stats.reflect > 0 && s.icmp6Stats.error > 0)
        #expect(s.icmp6Stats.badns + s.icmp6Stats.badna + s.icmp6Stats.badra > 0)
        // Still answering.
        try rbuf.withUnsafeMutableBytes { rb in
            while (try? s.recvfrom6(fd, into: rb)) != nil {}
            try Ping6.send(s, fd, to: Self.me, seq: 77)
            let d = try s.recvfrom6(fd, into: rb)
            #expect(rb[0] == ICMPv6Type.echoRequest || rb[0] == ICMPv6Type.echoReply)
            _ = d
        }
        print("ipv6 robustness: ip6 total \(st.total) delivered \(st.delivered) forward \(st.forward) reassembled \(st.reassembled) neighbours \(s.ip6.neighbors.count) timers \(s.timers.count)")
    }
}

/// The fuzz target covers IPv6: a corpus of the templates above, raw and with the ICMPv6 checksum
/// fixed by the harness (control bit 3), replayed through it (its invariants are preconditions).
@Suite struct IPv6FuzzTargetTests {
    @Test func fuzzTargetReplaysAnIPv6Corpus() throws {
        let dir = TemporaryDirectory(prefix: "rumpnet-ip6-fuzz-")
        defer { dir.remove() }
        var n = 0
        var rng = SeededRandom(seed: 6)
        for t in IPv6RobustnessTests.templates() {
            for k in 0..<8 {
                var f = t
                if k > 0 { for _ in 0..<k { let x = rng.next(); f[14 + Int(x % UInt64(f.count - 14))] ^= UInt8(truncatingIfNeeded: x >> 8) | 1 } }
                try Data([k % 2 == 0 ? 8 : 0] + f).write(to: URL(fileURLWithPath: dir.file("in-\(n)")))
                n += 1
            }
        }
        let r = try run(executable("rumpnet-fuzz"), (0..<n).map { dir.file("in-\($0)") }, timeout: 120)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("replayed \(n) inputs without a crash"), "\(r)")
        let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("ip6:") })
        let fields = line.split(separator: " ")
        func value(_ k: String) -> Int { fields.firstIndex(of: Substring(k)).flatMap { Int(fields[$0 + 1]) } ?? -1 }
        #expect(value("total") >= n / 2 && value("delivered") > 0 && value("icmp6reflect") > 0 && value("forward") > 0, "\(line)")
    }
}
