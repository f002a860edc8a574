import Testing
@testable import RumpNet

@Suite struct IPv6WireTests {
    func chain(_ payload: [UInt8], first: UInt8, dst: IPv6Address = v6("fd00::1"), limit: Int = 15)
        -> Result<IPv6Chain, IPv6ChainError> {
        let f = Frame6.make(dstMAC: .zero, srcMAC: .zero, src: v6("fd00::2"), dst: dst, nh: first, payload: payload)
        return Array(f[14...]).withUnsafeBytes { IPv6HeaderChain.walk($0, limit: limit) }
    }

    @Test func headerRoundTripsThroughViewAndRepr() throws {
        let r = IPv6Repr(source: v6("fe80::1"), destination: v6("ff02::1"), nextHeader: 58, hopLimit: 255,
                         payloadLength: 8, trafficClass: 0xb8, flowLabel: 0x12345)
        var b = [UInt8](repeating: 0, count: 48)
        b.withUnsafeMutableBytes { r.emit($0) }
        let back = try b.withUnsafeBytes { IPv6Repr(try IPv6View($0)) }
        #expect(back == r)
        // Link padding is trimmed; a short or wrong-version datagram is refused.
        let padded = b + [0, 0, 0]
        #expect(try padded.withUnsafeBytes { try IPv6View($0).bytes.count } == 48)
        #expect(throws: IPv6View.Failure.badLength) { try Array(b[0..<47]).withUnsafeBytes { _ = try IPv6View($0) } }
        var v4 = b; v4[0] = 0x45
        #expect(throws: IPv6View.Failure.badVersion) { try v4.withUnsafeBytes { _ = try IPv6View($0) } }
    }

    @Test func chainWalksToTheUpperLayerAndStopsAtFragments() {
        let icmp: [UInt8] = [128, 0, 0, 0, 0, 0, 0, 0]
        let hbh = Frame6.options(next: 60, [5, 2, 0, 0])          // router alert
        let dest = Frame6.options(next: 43, [])
        let routing: [UInt8] = [44, 0, 0, 0, 0, 0, 0, 0]          // type 0, segments left 0: skipped
        let frag: [UInt8] = [58, 0, 0, 8, 0, 0, 0, 7]             // offset 8, M=0
        guard case .success(let c) = chain(hbh + dest + routing + frag + icmp, first: 0) else { Issue.record("refused"); return }
        #expect(c.headers == [0, 60, 43, 44])
        #expect(c.routerAlert)
        #expect(c.fragment == IPv6FragmentHeader(headerOffset: 40 + 24, previousNextHeaderOffset: 40 + 16, nextHeader: 58,
                                                 offset: 8, moreFragments: false, identification: 7))
        guard case .success(let plain) = chain(icmp, first: 58) else { Issue.record("refused"); return }
        #expect(plain.upperProtocol == 58 && plain.upperOffset == 40 && plain.headers.isEmpty)
    }

    @Test func unknownOptionsFollowTheirActionBits() {
        let icmp: [UInt8] = [128, 0, 0, 0, 0, 0, 0, 0]
        // 00: skipped; 01: discarded; 10: parameter problem even for multicast; 11: not for multicast.
        let skip = Frame6.options(next: 58, [0x1E, 2, 0xAA, 0xBB])
        guard case .success(let c) = chain(skip + icmp, first: 60) else { Issue.record("00 refused"); return }
        #expect(c.upperProtocol == 58 && c.upperOffset == 48)
        #expect(chain(Frame6.options(next: 58, [0x5E, 0]) + icmp, first: 60) == .failure(.optionDiscard(pointer: 42)))
        #expect(chain(Frame6.options(next: 58, [1, 0, 0x9E, 0]) + icmp, first: 60)
                == .failure(.unrecognizedOption(pointer: 44, evenIfMulticast: true)))
        #expect(chain(Frame6.options(next: 58, [0xDE, 0]) + icmp, first: 60)
                == .failure(.unrecognizedOption(pointer: 42, evenIfMulticast: false)))
        // An option running past its header: erroneous field at its length byte.
        #expect(chain([58, 0, 0x1E, 9, 0, 0, 0, 0] + icmp, first: 60) == .failure(.erroneousField(pointer: 43)))
    }

    @Test func hostileChainsAreBoundedAndPointed() {
        let icmp: [UInt8] = [128, 0, 0, 0, 0, 0, 0, 0]
        // 40 destination option headers: refused after the nest limit, at the 16th header.
        var many: [UInt8] = []
        for i in 0..<40 { many += Frame6.options(next: i == 39 ? 58 : 60, []) }
        #expect(chain(many + icmp, first: 60) == .failure(.tooManyHeaders(pointer: 40 + 15 * 8)))
        // A hop-by-hop header after another header: unrecognized next header at the field naming it.
        #expect(chain(Frame6.options(next: 0, []) + Frame6.options(next: 58, []) + icmp, first: 60)
                == .failure(.misplacedHopByHop(pointer: 40)))
        // A header whose length runs past the datagram.
        #expect(chain([58, 4, 1, 0, 0, 0, 0, 0], first: 60) == .failure(.truncated(pointer: 41)))
        // A routing header with segments left (type 0 is gone, RFC 5095): erroneous field at its type.
        #expect(chain([58, 0, 0, 1, 0, 0, 0, 0] + icmp, first: 43) == .failure(.erroneousField(pointer: 42)))
    }

    @Test func ndMessagesRoundTripAndBadOptionsAreRefused() throws {
        var o = NDOptions()
        o.sourceLinkAddress = MACAddress(0xb2a0_117c_68f8)
        o.prefixes = [NDPrefixInformation(prefixLength: 64, onLink: true, autonomous: true, validLifetime: 2_592_000,
                                          preferredLifetime: 604_800, prefix: v6("2001:db8:1::"))]
        o.mtu = 1400
        let msgs: [NDMessage] = [
            .neighborSolicit(target: v6("fe80::1"), options: o),
            .neighborAdvert(router: true, solicited: true, override: false, target: v6("fd00::2"), options: NDOptions()),
            .routerAdvert(curHopLimit: 64, managed: false, other: true, routerLifetime: 1800, reachableTime: 30000,
                          retransTimer: 1000, options: o),
            .routerSolicit(options: NDOptions()),
        ]
        for m in msgs {
            var b = [UInt8](repeating: 0, count: 128)
            let n = b.withUnsafeMutableBytes { m.emit($0, src: v6("fe80::1"), dst: v6("ff02::1")) }
            let got = try Array(b[0..<n]).withUnsafeBytes { p in
                #expect(ICMPv6View(p)!.isChecksumValid(src: v6("fe80::1"), dst: v6("ff02::1")))
                return try NDMessage.parse(p)
            }
            #expect(got == m)
        }
        // An option of length 0 is refused with its offset.
        let bad: [UInt8] = [135, 0, 0, 0, 0, 0, 0, 0] + v6("fe80::1").bytes + [1, 0, 0, 0, 0, 0, 0, 0]
        #expect(throws: NDMessage.Failure.badOptions(.badLength(offset: 25))) { try bad.withUnsafeBytes { _ = try NDMessage.parse($0) } }
    }
}

@Suite struct IPv6StackTests {
    let macA: UInt64 = 0xb2a0_117c_68f8, macB: UInt64 = 0xb2a0_7f87_c1ba

    /// Two stacks on one link, addresses formed and DAD done.
    func pair(_ lab: Lab, addA: String? = "fd00::1", addB: String? = "fd00::2") throws -> (NetStack, NetStack, MemoryLink) {
        let l = lab.link()
        let a = lab.stack6(seed: 1), b = lab.stack6(seed: 2)
        try lab.attach6(a, l, "shmif0", mac: macA)
        try lab.attach6(b, l, "shmif0", mac: macB)
        if let x = addA { try a.addAddress6(name: "shmif0", v6(x), prefixLength: 64) }
        if let x = addB { try b.addAddress6(name: "shmif0", v6(x), prefixLength: 64) }
        lab.advance(seconds: 3)
        return (a, b, l)
    }

    @Test func loopbackGetsNetBSDsAddressesAndRoutes() throws {
        let lab = Lab()
        let s = lab.stack6(seed: 1)
        let lo = try s.addresses6(name: "lo0")
        #expect(lo.map(\.address) == [v6("::1"), v6("fe80::1")])
        #expect(lo.map(\.prefixLength) == [128, 64])
        #expect(lo.map(\.scopeID) == [0, 1])
        #expect(lo.allSatisfy { $0.flags == 0 })
        let rows = s.routeList6.map { r -> String in
            let gw: String
            switch r.gateway {
            case .address(let a, _): gw = "\(a)"
            case .link(let i): gw = "link#\(i)"
            }
            return "\(r.destination)/\(r.prefixLength)%\(r.scopeID) \(gw) \(r.flags.letters) \(r.mtu) if\(r.ifIndex)"
        }
        #expect(rows == ["::1/128%0 ::1 UH 33624 if1", "fe80::/64%1 fe80::1 U 0 if1", "fe80::1/128%1 link#1 UHl 0 if1",
                         "ff01::/32%1 ::1 UC 33624 if1", "ff02::/32%1 ::1 UC 33624 if1"])
        // ping6 ::1 answers through lo0.
        let fd = try Ping6.socket(s)
        try Ping6.send(s, fd, to: .loopback, seq: 0)
        lab.settle()
        let got = Ping6.drain(s, fd).filter { $0.type == ICMPv6Type.echoReply }
        #expect(got.count == 1 && got[0].from == .loopback && got[0].hopLimit == 64)
    }

    @Test func ethernetFormsEUI64LinkLocalRoutesGroupsAndRunsDAD() throws {
        let lab = Lab()
        let l = lab.link()
        let a = lab.stack6(seed: 1)
        var frames: [[UInt8]] = []
        l.tap = { frames.append(Array($0)) }
        try lab.attach6(a, l, "shmif0", mac: macA)
        try a.addAddress6(name: "shmif0", v6("fd00::1"), prefixLength: 64)
        var addrs = try a.addresses6(name: "shmif0")
        #expect(addrs.map(\.address) == [v6("fe80::b0a0:11ff:fe7c:68f8"), v6("fd00::1")])
        #expect(addrs.map(\.scopeID) == [2, 0])
        #expect(addrs.allSatisfy { $0.flags & IN6_IFF.TENTATIVE != 0 })
        lab.advance(seconds: 2.5)
        addrs = try a.addresses6(name: "shmif0")
        #expect(addrs.allSatisfy { $0.flags == 0 })
        // One DAD probe each (dad_count 1), from ::, to the solicited-node group, no lladdr option.
        let ns = frames.filter { $0.count >= 62 && $0[12] == 0x86 && $0[13] == 0xdd && $0[20] == 58 && $0[54] == 135 }
        #expect(ns.count == 2)
        #expect(ns.allSatisfy { Array($0[22..<38]) == [UInt8](repeating: 0, count: 16) && $0[21] == 255 && $0.count == 78 })
        #expect(ns.contains { Array($0[0..<6]) == [0x33, 0x33, 0xff, 0x00, 0x00, 0x01] })
        // MLD reports (hop-by-hop router alert, hop limit 1) for the solicited-node groups.
        let mld = frames.filter { $0.count >= 86 && $0[12] == 0x86 && $0[20] == 0 && $0[62] == 131 }
        #expect(mld.count >= 2 && mld.allSatisfy { $0[21] == 1 && $0[56] == 5 })
        #expect(try a.multicastFilter(name: "shmif0").contains(MACAddress(0x3333_ff7c_68f8)))
        let rows = a.routeList6.filter { $0.ifIndex == 2 || $0.gateway == .link(2) }.map { "\($0.destination)/\($0.prefixLength) \($0.flags.letters) if\($0.ifIndex)" }
        #expect(rows == ["fd00::/64 UC if2", "fd00::1/128 UHl if1", "fe80::/64 UC if2", "fe80::b0a0:11ff:fe7c:68f8/128 UHl if1",
                         "ff01::/32 UC if2", "ff02::/32 UC if2"])
        let info = try a.ndInfo(name: "shmif0")
        #expect(info.linkMTU == 0 && info.maxMTU == 1500 && info.currentHopLimit == 64 && info.baseReachableTime == 30000
                && info.retransmitTimer == 1000)
        // ndp -i shows ReachableTime in whole seconds; the NUD timers use it in ms.
        #expect((15..<45).contains(info.reachableTime))
        let ms = try #require(a.interface(named: "shmif0").flatMap { a.ip6IfIfPresent($0.index)?.reachableMs })
        #expect((15000..<45000).contains(ms) && info.reachableTime == UInt32(ms / 1000))
        // ND_COMPUTE_RTIME really randomises: stacks with other seeds draw other times in the range.
        let times = try (10..<20).map { seed -> UInt64 in
            let s = lab.stack6(seed: UInt64(seed))
            try lab.attach6(s, lab.link(), "shmif0", mac: 0xb2a0_0000_0100 + UInt64(seed))
            return try #require(s.interface(named: "shmif0").flatMap { s.ip6IfIfPresent($0.index)?.reachableMs })
        }
        #expect(Set(times).count > 5 && times.allSatisfy { (15000..<45000).contains($0) })
        #expect(info.flags == ND6_IFF.PERFORMNUD | ND6_IFF.ACCEPT_RTADV | ND6_IFF.AUTO_LINKLOCAL)
    }

    @Test func ndpResolvesAndPing6WorksByGlobalAndLinkLocal() throws {
        let lab = Lab()
        let (a, b, _) = try pair(lab)
        let fd = try Ping6.socket(a)
        try Ping6.send(a, fd, to: v6("fd00::2"), seq: 1)
        // Held while resolving: the NS went out, nothing answered yet.
        #expect(a.neighbors.first { $0.address == v6("fd00::2") }?.state == .incomplete)
        lab.settle()
        var got = Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.echoReply }
        #expect(got.count == 1 && got[0].from == v6("fd00::2") && got[0].seq == 1 && got[0].hopLimit == 64)
        let n = a.neighbors.first { $0.address == v6("fd00::2") }
        #expect(n?.state == .reachable && n?.linkAddress == MACAddress(macB).bytes && n?.interface == "shmif0")
        #expect(n?.interfaceIndex == 2 && n.map { (1...45).contains($0.expire ?? 0) } == true)
        // b learned a from its NS (STALE), then answered through it (DELAY).
        #expect(b.neighbors.first { $0.address == v6("fd00::1") }?.state == .delay)
        // Own addresses are permanent entries.
        #expect(a.neighbors.filter { $0.expire == nil }.map(\.address).sorted() == [v6("fd00::1"), v6("fe80::b0a0:11ff:fe7c:68f8")])
        // Link-local with its zone.
        try Ping6.send(a, fd, to: v6("fe80::b0a0:7fff:fe87:c1ba"), scope: 2, seq: 2)
        lab.settle()
        got = Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.echoReply }
        #expect(got.count == 1 && got[0].from == v6("fe80::b0a0:7fff:fe87:c1ba") && got[0].scope == 2)
        // A link-local without a zone is refused; an unknown prefix has no route.
        #expect(throws: Errno.EINVAL) { try Ping6.send(a, fd, to: v6("fe80::2"), seq: 3) }
        #expect(throws: Errno.EHOSTUNREACH) { try Ping6.send(a, fd, to: v6("2001:db8::1"), seq: 3) }
        // The source ping6 prints.
        #expect(try a.sourceAddress6(for: v6("fd00::2")) == (v6("fd00::1"), 0))
        #expect(try a.sourceAddress6(for: v6("ff02::1"), scopeID: 2) == (v6("fe80::b0a0:11ff:fe7c:68f8"), 2))
        // All-nodes: both answer (ours through the loop-back copy).
        try Ping6.send(a, fd, to: .linkLocalAllNodes, scope: 2, seq: 4)
        lab.settle()
        got = Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.echoReply }
        #expect(Set(got.map(\.from)) == [v6("fe80::b0a0:11ff:fe7c:68f8"), v6("fe80::b0a0:7fff:fe87:c1ba")])
        #expect(a.icmp6Stats.inhist[Int(ICMPv6Type.echoReply)] >= 4)
    }

    @Test func nudTakesAVanishedNeighbourToUnreachable() throws {
        let lab = Lab()
        let (a, b, _) = try pair(lab)
        let fd = try Ping6.socket(a)
        try Ping6.send(a, fd, to: v6("fd00::2"), seq: 1)
        lab.settle()
        let reachable = try #require(a.interface(named: "shmif0").flatMap { a.ip6IfIfPresent($0.index)?.reachableMs })
        // b goes away; after the reachable time the entry is STALE.
        try b.setUp(name: "shmif0", false)
        lab.advance(seconds: Double(reachable) / 1000 + 0.5, step: 0.5)
        #expect(a.neighbors.first { $0.address == v6("fd00::2") }?.state == .stale)
        // Traffic: DELAY, 5 s later PROBE with unicast NS once a second, then gone after 3.
        try Ping6.send(a, fd, to: v6("fd00::2"), seq: 2)
        #expect(a.neighbors.first { $0.address == v6("fd00::2") }?.state == .delay)
        lab.advance(seconds: 5.05, step: 0.05)
        #expect(a.neighbors.first { $0.address == v6("fd00::2") }?.state == .probe)
        lab.advance(seconds: 2.0, step: 0.1)
        #expect(a.neighbors.first { $0.address == v6("fd00::2") }?.state == .probe)
        lab.advance(seconds: 1.1, step: 0.1)
        #expect(a.neighbors.first { $0.address == v6("fd00::2") } == nil)
    }

    @Test func resolutionGivesUpWithAddressUnreachable() throws {
        let lab = Lab()
        let (a, _, _) = try pair(lab)
        let fd = try Ping6.socket(a)
        try Ping6.send(a, fd, to: v6("fd00::99"), seq: 1)
        lab.advance(seconds: 2.9, step: 0.1)
        #expect(a.neighbors.first { $0.address == v6("fd00::99") }?.state == .incomplete)
        lab.advance(seconds: 0.2, step: 0.1)
        #expect(a.neighbors.first { $0.address == v6("fd00::99") } == nil)
        let err = Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.destinationUnreachable }
        #expect(err.count == 1 && err[0].code == ICMPv6Code.addressUnreachable)
        #expect(a.icmp6Stats.odst_unreach_addr == 1)
    }

    @Test func dadDetectsADuplicateBetweenTwoStacks() throws {
        let lab = Lab()
        let (a, b, _) = try pair(lab, addA: "fd00::1", addB: nil)
        var logs: [String] = []
        b.log = { logs.append($0) }
        try b.addAddress6(name: "shmif0", v6("fd00::1"), prefixLength: 64)
        lab.advance(seconds: 2)
        let flags = try b.addresses6(name: "shmif0").first { $0.address == v6("fd00::1") }?.flags
        #expect(flags == IN6_IFF.DUPLICATED)
        #expect(try a.addresses6(name: "shmif0").first { $0.address == v6("fd00::1") }?.flags == 0)
        #expect(logs.contains("shmif0: DAD complete for fd00::1 - duplicate found"))
        // A duplicated address is never a source.
        #expect(try b.sourceAddress6(for: v6("fd00::5")).0 != v6("fd00::1"))
        // Two probing at once: both see the other's probe.
        let lab2 = Lab()
        let (e, f, _) = try pair(lab2, addA: nil, addB: nil)
        try e.addAddress6(name: "shmif0", v6("fd00::7"), prefixLength: 64)
        try f.addAddress6(name: "shmif0", v6("fd00::7"), prefixLength: 64)
        lab2.advance(seconds: 2)
        #expect(try e.addresses6(name: "shmif0").first { $0.address == v6("fd00::7") }?.flags == IN6_IFF.DUPLICATED)
        #expect(try f.addresses6(name: "shmif0").first { $0.address == v6("fd00::7") }?.flags == IN6_IFF.DUPLICATED)
    }

    @Test func fragmentsBothWays() throws {
        let lab = Lab()
        let (a, b, _) = try pair(lab)
        let fd = try Ping6.socket(a)
        try Ping6.send(a, fd, to: v6("fd00::2"), seq: 1, size: 3000)
        lab.settle()
        let got = Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.echoReply }
        #expect(got.count == 1 && got[0].bytes.count == 3008)
        #expect(got.first.map { Array($0.bytes[8...]) == (0..<3000).map { UInt8(truncatingIfNeeded: $0) } } == true)
        for s in [a, b] {
            #expect(s.ip6Stats.fragmented == 1 && s.ip6Stats.ofragments == 3)
            #expect(s.ip6Stats.reassembled == 1 && s.ip6Stats.fragments == 3)
            #expect(s.ip6.reass.isEmpty && s.ip6.reassBytes == 0 && s.ip6.reassFragments == 0)
        }
    }

    @Test func lostFragmentTimesOutWithTimeExceeded() throws {
        let lab = Lab()
        let (a, b, _) = try pair(lab)
        let fd = try Ping6.socket(a)
        try Ping6.send(a, fd, to: v6("fd00::2"), seq: 1)  // resolve first
        lab.settle()
        _ = Ping6.drain(a, fd)
        // The first fragment of an echo whose rest never comes.
        let src = v6("fd00::1"), dst = v6("fd00::2")
        var icmp = Ping6.request(seq: 9, size: 2000)
        icmp = Frame6.icmp(icmp, src: src, dst: dst)
        let first = [58, 0, 0, 1, 0, 0, 0, 0x42] + Array(icmp[0..<1000])
        let frame = Frame6.make(dstMAC: MACAddress(macB), srcMAC: MACAddress(macA), src: src, dst: dst, nh: 44, payload: first)
        frame.withUnsafeBytes { b.receive($0, on: 2) }
        #expect(b.ip6.reass.count == 1)
        lab.advance(seconds: 61, step: 1)
        #expect(b.ip6.reass.isEmpty && b.ip6Stats.fragtimeout == 1)
        let err = Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.timeExceeded }
        #expect(err.count == 1 && err[0].code == ICMPv6Code.reassemblyTimeExceeded)
    }

    @Test func unknownHeadersAndOptionsAreAnsweredByTheRules() throws {
        let lab = Lab()
        let (a, b, _) = try pair(lab)
        let fd = try Ping6.socket(a)
        try Ping6.send(a, fd, to: v6("fd00::2"), seq: 1)
        lab.settle()
        _ = Ping6.drain(a, fd)
        let src = v6("fd00::1"), dst = v6("fd00::2")
        func inject(_ nh: UInt8, _ payload: [UInt8], to: IPv6Address = v6("fd00::2"), mac: MACAddress = MACAddress(0xb2a0_7f87_c1ba)) {
            let f = Frame6.make(dstMAC: mac, srcMAC: MACAddress(macA), src: src, dst: to, nh: nh, payload: payload)
            f.withUnsafeBytes { b.receive($0, on: 2) }
            lab.settle()
        }
        let echo = Frame6.icmp(Ping6.request(seq: 5), src: src, dst: dst)
        // Next header 253 (experimental): parameter problem code 1, pointer at the IPv6 header's field.
        inject(253, [0, 0, 0, 0, 0, 0, 0, 0])
        var got = Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.parameterProblem }
        #expect(got.count == 1 && got[0].code == 1 && got[0].word == 6)
        // Option action 00: skipped, the echo is answered.
        inject(60, Frame6.options(next: 58, [0x1E, 0]) + echo)
        #expect(Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.echoReply }.count == 1)
        // 01: silently discarded.
        inject(60, Frame6.options(next: 58, [0x5E, 0]) + echo)
        #expect(Ping6.drain(a, fd).isEmpty)
        // 10: parameter problem code 2 pointing at the option.
        inject(60, Frame6.options(next: 58, [0x9E, 0]) + echo)
        got = Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.parameterProblem }
        #expect(got.count == 1 && got[0].code == 2 && got[0].word == 42)
        // 11: the same for unicast, nothing for multicast.
        inject(60, Frame6.options(next: 58, [0xDE, 0]) + echo)
        got = Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.parameterProblem }
        #expect(got.count == 1 && got[0].code == 2 && got[0].word == 42)
        let mecho = Frame6.icmp(Ping6.request(seq: 6), src: src, dst: .linkLocalAllNodes)
        inject(60, Frame6.options(next: 58, [0xDE, 0]) + mecho, to: .linkLocalAllNodes, mac: MACAddress(0x3333_0000_0001))
        #expect(Ping6.drain(a, fd).isEmpty)
        // ...while 10 answers even multicast (RFC 4443 2.4 e.3).
        inject(60, Frame6.options(next: 58, [0x9E, 0]) + mecho, to: .linkLocalAllNodes, mac: MACAddress(0x3333_0000_0001))
        got = Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.parameterProblem }
        #expect(got.count == 1 && got[0].code == 2)
        // A long chain: dropped, counted.
        var many: [UInt8] = []
        for i in 0..<30 { many += Frame6.options(next: i == 29 ? 58 : 60, []) }
        inject(60, many + echo)
        #expect(Ping6.drain(a, fd).isEmpty && b.ip6Stats.toomanyhdr == 1)
        #expect(b.icmp6Stats.oparamprob_option == 3 && b.icmp6Stats.oparamprob_nextheader == 1)
    }
}

@Suite struct IPv6RouterTests {
    /// a — r — c: two links, r forwarding, routes both ways.
    func topology(_ lab: Lab, mtuRC: Int = 1500) throws -> (NetStack, NetStack, NetStack) {
        let l1 = lab.link(), l2 = lab.link()
        let a = lab.stack6(seed: 1), r = lab.stack6(seed: 2), c = lab.stack6(seed: 3)
        try lab.attach6(a, l1, "shmif0", mac: 0xb2a0_0000_0001)
        try lab.attach6(r, l1, "shmif0", mac: 0xb2a0_0000_0002)
        try r.attachInterface(name: "shmif1", driver: l2.makeDriver(), mac: MACAddress(0xb2a0_0000_0003), mtu: mtuRC)
        try r.setUp(name: "shmif1", true)
        try lab.attach6(c, l2, "shmif0", mac: 0xb2a0_0000_0004)
        try a.addAddress6(name: "shmif0", v6("fd00:1::1"), prefixLength: 64)
        try r.addAddress6(name: "shmif0", v6("fd00:1::2"), prefixLength: 64)
        try r.addAddress6(name: "shmif1", v6("fd00:2::2"), prefixLength: 64)
        try c.addAddress6(name: "shmif0", v6("fd00:2::1"), prefixLength: 64)
        try r.sysctlSet("net.inet6.ip6.forwarding", 1)
        lab.advance(seconds: 3)
        try a.addRoute6(destination: .any, prefixLength: 0, gateway: v6("fd00:1::2"))
        try c.addRoute6(destination: .any, prefixLength: 0, gateway: v6("fd00:2::2"))
        return (a, r, c)
    }

    @Test func forwardsAndAnswersHopLimitNoRouteAndTooBig() throws {
        let lab = Lab()
        let (a, r, c) = try topology(lab, mtuRC: 1280)
        let fd = try Ping6.socket(a)
        try Ping6.send(a, fd, to: v6("fd00:2::1"), seq: 1)
        lab.settle()
        var got = Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.echoReply }
        #expect(got.count == 1 && got[0].hopLimit == 63 && r.ip6Stats.forward == 2)
        // Hop limit 1: time exceeded from the router.
        try Ping6.send(a, fd, to: v6("fd00:2::1"), seq: 2, hopLimit: 1)
        lab.settle()
        got = Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.timeExceeded }
        #expect(got.count == 1 && got[0].code == 0 && got[0].from == v6("fd00:1::2"))
        // No route at the router: destination unreachable, no route.
        try Ping6.send(a, fd, to: v6("2001:db8::1"), seq: 3)
        lab.settle()
        got = Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.destinationUnreachable }
        #expect(got.count == 1 && got[0].code == ICMPv6Code.noRoute)
        // Bigger than the next link: packet too big with its MTU; a's next send fits (PMTU).
        try Ping6.send(a, fd, to: v6("fd00:2::1"), seq: 4, size: 1400)
        lab.settle()
        got = Ping6.drain(a, fd)
        #expect(got.contains { $0.type == ICMPv6Type.packetTooBig && $0.word == 1280 })
        try Ping6.send(a, fd, to: v6("fd00:2::1"), seq: 5, size: 1400)
        lab.settle()
        got = Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.echoReply }
        #expect(got.count == 1 && got[0].seq == 5 && a.ip6Stats.fragmented == 1)
        #expect(r.icmp6Stats.otime_exceed_transit == 1 && r.icmp6Stats.odst_unreach_noroute == 1 && r.icmp6Stats.opacket_too_big == 1)
        _ = c
    }

    @Test func routeAPIMatchesNetBSD() throws {
        let lab = Lab()
        let (a, _, _) = try topology(lab)
        try a.addRoute6(destination: v6("fd01::"), prefixLength: 64, gateway: v6("fd00:1::2"))
        #expect(throws: Errno.EEXIST) { try a.addRoute6(destination: v6("fd01::"), prefixLength: 64, gateway: v6("fd00:1::2")) }
        #expect(throws: Errno.ENETUNREACH) { try a.addRoute6(destination: v6("fd02::"), prefixLength: 64, gateway: v6("fd09::2")) }
        let g = try a.getRoute6(v6("fd01::5"))
        #expect(g.route.destination == v6("fd01::") && g.route.prefixLength == 64)
        #expect(g.route.gateway == .address(v6("fd00:1::2"), scopeID: 0))
        #expect(g.route.localAddress == v6("fd00:1::1") && g.interfaceName == "shmif0")
        #expect(g.route.flags.names == ["UP", "GATEWAY", "DONE", "STATIC"])
        try a.deleteRoute6(destination: v6("fd01::"), prefixLength: 64)
        #expect(throws: Errno.ESRCH) { try a.deleteRoute6(destination: v6("fd01::"), prefixLength: 64) }
        #expect(a.routeList6.first?.destination == .any && a.routeList6.first?.flags.letters == "UGS")
    }

    @Test func routerAdvertisementsConfigureAHostWhenAccepted() throws {
        let lab = Lab()
        let l = lab.link()
        let h = lab.stack6(seed: 5)
        let ifp = try lab.attach6(h, l, "shmif0", mac: 0xb2a0_0000_0009)
        lab.advance(seconds: 2)
        let router = v6("fe80::1"), rmac = MACAddress(0xb2a0_0000_00aa)
        var o = NDOptions()
        o.sourceLinkAddress = rmac
        o.prefixes = [NDPrefixInformation(prefixLength: 64, onLink: true, autonomous: true, validLifetime: 3600,
                                          preferredLifetime: 1800, prefix: v6("2001:db8:5::"))]
        o.mtu = 1400
        let ra = NDMessage.routerAdvert(curHopLimit: 60, managed: false, other: false, routerLifetime: 1800,
                                        reachableTime: 0, retransTimer: 0, options: o)
        func send() {
            var m = [UInt8](repeating: 0, count: 128)
            let n = m.withUnsafeMutableBytes { ra.emit($0, src: router, dst: .linkLocalAllNodes) }
            let f = Frame6.make(dstMAC: MACAddress(0x3333_0000_0001), srcMAC: rmac, src: router, dst: .linkLocalAllNodes,
                                nh: 58, hopLimit: 255, payload: Array(m[0..<n]))
            f.withUnsafeBytes { h.receive($0, on: ifp.index) }
            lab.settle()
        }
        send()
        #expect(h.defaultRouters.isEmpty)  // accept_rtadv is 0 by default, as NetBSD's
        try h.sysctlSet("net.inet6.ip6.accept_rtadv", 1)
        send()
        #expect(h.defaultRouters.map(\.address) == [router])
        #expect(h.routeList6.contains { $0.destination == .any && $0.gateway == .address(router, scopeID: 2) })
        #expect(h.prefixes.first?.prefix == v6("2001:db8:5::") && h.prefixes.first?.routers.first?.address == router)
        let info = try h.ndInfo(name: "shmif0")
        #expect(info.currentHopLimit == 60 && info.linkMTU == 1400)
        lab.advance(seconds: 2)
        let slaac = try h.addresses6(name: "shmif0").first { $0.address == v6("2001:db8:5::b0a0:ff:fe00:9") }
        #expect(slaac?.flags == IN6_IFF.AUTOCONF && slaac?.validLifetime == 3600)
        #expect(h.neighbors.first { $0.address == router }?.isRouter == true)
    }
}

@Suite struct IPv6BehaviourTests {
    let macA: UInt64 = 0xb2a0_117c_68f8, macB: UInt64 = 0xb2a0_7f87_c1ba

    func pair(_ lab: Lab) throws -> (NetStack, NetStack, MemoryLink) {
        let l = lab.link()
        let a = lab.stack6(seed: 1), b = lab.stack6(seed: 2)
        try lab.attach6(a, l, "shmif0", mac: macA)
        try lab.attach6(b, l, "shmif0", mac: macB)
        try a.addAddress6(name: "shmif0", v6("fd00::1"), prefixLength: 64)
        try b.addAddress6(name: "shmif0", v6("fd00::2"), prefixLength: 64)
        lab.advance(seconds: 3)
        return (a, b, l)
    }

    @Test func errorsAreRateLimitedByErrppslimit() throws {
        let lab = Lab()
        let (a, b, _) = try pair(lab)
        let fd = try Ping6.socket(a)
        try Ping6.send(a, fd, to: v6("fd00::2"), seq: 0)
        lab.settle()
        _ = Ping6.drain(a, fd)
        try b.sysctlSet("net.inet6.icmp6.errppslimit", 5)
        let src = v6("fd00::1"), dst = v6("fd00::2")
        let f = Frame6.make(dstMAC: MACAddress(macB), srcMAC: MACAddress(macA), src: src, dst: dst, nh: 253, payload: [0, 0, 0, 0])
        for _ in 0..<20 { f.withUnsafeBytes { b.receive($0, on: 2) } }
        lab.settle()
        #expect(Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.parameterProblem }.count == 5)
        #expect(b.icmp6Stats.toofreq == 15)
        // The next second allows five more.
        lab.advance(seconds: 1)
        for _ in 0..<20 { f.withUnsafeBytes { b.receive($0, on: 2) } }
        lab.settle()
        #expect(Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.parameterProblem }.count == 5)
        // Never about an ICMPv6 error: a parameter problem for an error message is not answered.
        let err = Frame6.icmp([1, 0, 0, 0, 0, 0, 0, 0] + Array(f[14...]), src: src, dst: dst)
        let g = Frame6.make(dstMAC: MACAddress(macB), srcMAC: MACAddress(macA), src: src, dst: dst, nh: 60,
                            payload: Frame6.options(next: 58, [0x9E, 0]) + err)
        lab.advance(seconds: 1)
        g.withUnsafeBytes { b.receive($0, on: 2) }
        lab.settle()
        #expect(Ping6.drain(a, fd).isEmpty && b.icmp6Stats.canterror == 1)
    }

    @Test func mldAnswersQueriesAndSuppressesOnOthersReports() throws {
        let lab = Lab()
        let (a, _, l) = try pair(lab)
        lab.advance(seconds: 11)  // the unsolicited reports are done
        var reports: [[UInt8]] = []
        l.tap = { f in if f.count >= 86, f[12] == 0x86, f[20] == 0, f[62] == ICMPv6Type.mldReport { reports.append(Array(f)) } }
        // A general query from a router, max delay 1 s.
        let router = v6("fe80::99")
        var q = [UInt8](repeating: 0, count: 24); q[0] = ICMPv6Type.mldQuery; q[4] = 0x03; q[5] = 0xE8
        let hbh: [UInt8] = [58, 0, 5, 2, 0, 0, 1, 0]
        let f = Frame6.make(dstMAC: MACAddress(0x3333_0000_0001), srcMAC: MACAddress(0xb2a0_0000_0099), src: router,
                            dst: .linkLocalAllNodes, nh: 0, hopLimit: 1, payload: hbh + Frame6.icmp(q, src: router, dst: .linkLocalAllNodes))
        f.withUnsafeBytes { a.receive($0, on: 2) }
        lab.advance(seconds: 1.1)
        // One report per reportable group: the two solicited-node groups (ff02::1 is never reported).
        let groups = Set(reports.map { Array($0[70..<86]) })
        #expect(groups == [v6("ff02::1:ff00:1").bytes, v6("ff02::1:ff7c:68f8").bytes])
        #expect(reports.count == 2)
        // Someone else reports ff02::1:ff00:1 before our timer: ours is suppressed.
        reports.removeAll()
        f.withUnsafeBytes { a.receive($0, on: 2) }
        var r = [UInt8](repeating: 0, count: 24); r[0] = ICMPv6Type.mldReport
        r.replaceSubrange(8..<24, with: v6("ff02::1:ff00:1").bytes)
        let g = v6("ff02::1:ff00:1")
        let rep = Frame6.make(dstMAC: MACAddress(g.multicastMAC), srcMAC: MACAddress(0xb2a0_0000_0098), src: v6("fe80::98"), dst: g,
                              nh: 0, hopLimit: 1, payload: hbh + Frame6.icmp(r, src: v6("fe80::98"), dst: g))
        rep.withUnsafeBytes { a.receive($0, on: 2) }
        lab.advance(seconds: 1.1)
        #expect(reports.map { Array($0[70..<86]) } == [v6("ff02::1:ff7c:68f8").bytes])
    }

    @Test func ndpDeleteFlushAndAddressLifecycle() throws {
        let lab = Lab()
        let (a, _, _) = try pair(lab)
        let fd = try Ping6.socket(a)
        try Ping6.send(a, fd, to: v6("fd00::2"), seq: 0)
        lab.settle()
        try a.deleteNeighbor(v6("fd00::2"))
        #expect(throws: Errno.ESRCH) { try a.deleteNeighbor(v6("fd00::2")) }
        let flushed = a.flushNeighbors()
        #expect(flushed.contains { $0.expire == nil && $0.address == v6("fd00::1") })
        #expect(a.neighbors.isEmpty)
        // Delete and alias, as the vector's ifconfig does: routes follow.
        try a.deleteAddress6(name: "shmif0", v6("fd00::1"))
        #expect(throws: Errno.EADDRNOTAVAIL) { try a.deleteAddress6(name: "shmif0", v6("fd00::1")) }
        #expect(!a.routeList6.contains { $0.destination == v6("fd00::") })
        try a.addAddress6(name: "shmif0", v6("fd00::a"), prefixLength: 64)
        #expect(try a.addresses6(name: "shmif0").last?.flags == IN6_IFF.TENTATIVE)
        #expect(a.routeList6.contains { $0.destination == v6("fd00::a") && $0.flags.letters == "UHl" })
        #expect(a.routeList6.contains { $0.destination == v6("fd00::") && $0.localAddress == v6("fd00::a") })
        // Lifetimes: deprecated after pltime, gone after vltime.
        try a.addAddress6(name: "shmif0", v6("fd00::b"), prefixLength: 64, validLifetime: 10, preferredLifetime: 5)
        lab.advance(seconds: 6, step: 0.5)
        #expect(try a.addresses6(name: "shmif0").first { $0.address == v6("fd00::b") }?.flags == IN6_IFF.DEPRECATED)
        lab.advance(seconds: 5, step: 0.5)
        #expect(try a.addresses6(name: "shmif0").contains { $0.address == v6("fd00::b") } == false)
        #expect(throws: Errno.EINVAL) { try a.addAddress6(name: "shmif0", v6("ff02::5"), prefixLength: 64) }
        #expect(throws: Errno.EINVAL) { try a.addAddress6(name: "shmif0", v6("fe80::5"), prefixLength: 48) }
        #expect(throws: Errno.ENXIO) { try a.addAddress6(name: "shmif9", v6("fd00::5")) }
        // ndp -p as the vector lists it: the interface prefix (LO), then the link-locals (LAO).
        let p = a.prefixes.map { "\($0.prefix)/\($0.prefixLength) \($0.interface) \($0.raOnLink ? "L" : "")\($0.raAutonomous ? "A" : "")\($0.onLink ? "O" : "") ref=\($0.references)" }
        #expect(p == ["fd00::/64 shmif0 LO ref=1", "fe80::/64 shmif0 LAO ref=0", "fe80::/64 lo0 LAO ref=0"])
        // sysctls listed once IPv6 is on, with NetBSD's defaults; ipv4-only stacks show none.
        #expect(try a.sysctlGet("net.inet6.ip6.dad_count") == 1 && (try a.sysctlGet("net.inet6.ip6.accept_rtadv")) == 0)
        let names = Set(a.sysctlList(prefix: "net.inet6").map(\.name))
        #expect(names.isSuperset(of: ["net.inet6.ip6.forwarding", "net.inet6.ip6.accept_rtadv", "net.inet6.ip6.dad_count",
                                      "net.inet6.ip6.hlim", "net.inet6.ip6.hdrnestlimit", "net.inet6.icmp6.errppslimit",
                                      "net.inet6.icmp6.nd6_delay", "net.inet6.icmp6.nd6_umaxtries", "net.inet6.icmp6.nd6_mmaxtries", "net.inet6.ip6.v6only"]))
        #expect(a.sysctlList(prefix: "net").contains { $0.name == "net.inet.ip.forwarding" })
        let v4 = NetStack(clock: VirtualClock(), seed: 1)
        #expect(v4.sysctlList(prefix: "net.inet6").isEmpty)
        #expect(throws: Errno.ENOENT) { try v4.sysctlGet("net.inet6.ip6.forwarding") }
    }
}

/// shared/vectors/netbsd-tools/h-ipv6.txt's session (kernels k1, k2 on one bus) replayed on
/// stacks: the addresses, flags, routes, prefixes and counters NetBSD showed at each step.
@Suite struct IPv6NetBSDSessionTests {
    func row(_ r: Route6) -> String {
        let gw: String
        switch r.gateway {
        case .address(let a, _): gw = "\(a)"
        case .link(let i): gw = i == 1 ? "lo0" : "link#\(i)"
        }
        let dst = r.prefixLength == 0 ? "default" : r.prefixLength == 128 ? "\(r.destination)"
            : "\(r.destination)\(r.scopeID != 0 ? (r.scopeID == 1 ? "%lo0" : "%shmif0") : "")/\(r.prefixLength)"
        return "\(dst) \(gw) \(r.flags.letters) \(r.mtu == 0 ? "-" : "\(r.mtu)") \(r.ifIndex == 1 ? "lo0" : "shmif0")"
    }

    @Test func theRecordedSessionOnStacks() throws {
        let lab = Lab()
        let bus = lab.link()
        let k1 = lab.stack6(seed: 1), k2 = lab.stack6(seed: 2)
        try k1.attachInterface(name: "shmif0", driver: bus.makeDriver(), mac: MACAddress("b2:a0:11:7c:68:f8")!)
        try k1.setUp(name: "shmif0", true)
        #expect(try k1.addresses6(name: "shmif0").map { "\($0.address) \($0.scopeID)" } == ["fe80::b0a0:11ff:fe7c:68f8 2"])
        try k1.addAddress6(name: "shmif0", v6("fd00::1"), prefixLength: 64)
        #expect(try k1.addresses6(name: "shmif0").last?.flags == IN6_IFF.TENTATIVE)  // "tentative"
        try k2.attachInterface(name: "shmif0", driver: bus.makeDriver(), mac: MACAddress("b2:a0:7f:87:c1:ba")!)
        try k2.addAddress6(name: "shmif0", v6("fd00::2"), prefixLength: 64)           // before up: brings it up
        lab.advance(seconds: 2)
        #expect(try k1.addresses6(name: "shmif0").allSatisfy { $0.flags == 0 })
        let fd = try Ping6.socket(k1)
        for seq in 0..<3 { try Ping6.send(k1, fd, to: v6("fd00::2"), seq: UInt16(seq)); lab.settle() }
        for seq in 0..<2 { try Ping6.send(k1, fd, to: v6("fd00::2"), seq: UInt16(seq), size: 3000); lab.settle() }
        #expect(Ping6.drain(k1, fd).filter { $0.type == ICMPv6Type.echoReply }.map(\.bytes.count) == [16, 16, 16, 3008, 3008])
        // netstat -s -p ip6's fragment lines: 6 received, 2 reassembled, 2 fragmented into 6.
        #expect(k1.ip6Stats.fragments == 6 && k1.ip6Stats.reassembled == 2)
        #expect(k1.ip6Stats.fragmented == 2 && k1.ip6Stats.ofragments == 6)
        #expect(throws: Errno.EHOSTUNREACH) { try k1.sourceAddress6(for: v6("2001:db8::1")) }
        #expect(k1.ip6Stats.noroute == 1)  // "1 output packet discarded due to no route"
        // route -n show -inet6 after the two route adds.
        try k1.addRoute6(destination: v6("fd01::"), prefixLength: 64, gateway: v6("fd00::2"))
        try k1.addRoute6(destination: .any, prefixLength: 0, gateway: v6("fd00::2"))
        #expect(k1.routeList6.map(row) == [
            "default fd00::2 UGS - shmif0",
            "::1 ::1 UH 33624 lo0",
            "fd00::/64 link#2 UC - shmif0",
            "fd00::1 link#2 UHl - lo0",
            "fd01::/64 fd00::2 UGS - shmif0",
            "fe80::%lo0/64 fe80::1 U - lo0",
            "fe80::1 lo0 UHl - lo0",
            "fe80::%shmif0/64 link#2 UC - shmif0",
            "fe80::b0a0:11ff:fe7c:68f8 link#2 UHl - lo0",
            "ff01::%lo0/32 ::1 UC 33624 lo0",
            "ff01::%shmif0/32 link#2 UC - shmif0",
            "ff02::%lo0/32 ::1 UC 33624 lo0",
            "ff02::%shmif0/32 link#2 UC - shmif0",
        ])
        // route -n get -inet6 fd01::5.
        let g = try k1.getRoute6(v6("fd01::5"))
        #expect(g.route.destination == v6("fd01::") && IPv6Address.mask(prefixLength: g.route.prefixLength) == v6("ffff:ffff:ffff:ffff::"))
        #expect(g.route.localAddress == v6("fd00::1") && g.interfaceName == "shmif0" && g.route.flags.names == ["UP", "GATEWAY", "DONE", "STATIC"])
        try k1.deleteRoute6(destination: v6("fd01::"), prefixLength: 64)
        try k1.deleteRoute6(destination: .any, prefixLength: 0)
        // ndp -p.
        #expect(k1.prefixes.map { "\($0.prefix)/\($0.prefixLength) \($0.interface) ref=\($0.references)" }
                == ["fd00::/64 shmif0 ref=1", "fe80::/64 shmif0 ref=0", "fe80::/64 lo0 ref=0"])
        #expect(k1.defaultRouters.isEmpty)
        // ndp -an: own entries permanent R, the peer learned.
        let n = k1.neighbors
        #expect(n.first { $0.address == v6("fd00::2") }.map { "\(MACAddress($0.linkAddress!)) \($0.state.letter)" } == "b2:a0:7f:87:c1:ba R")
        #expect(n.filter { $0.expire == nil }.allSatisfy { $0.state.letter == "R" && $0.linkAddress == MACAddress("b2:a0:11:7c:68:f8")!.bytes })
        // ifconfig shmif0 inet6 fd00::1 delete; fd00::a/64 alias: tentative again.
        try k1.deleteAddress6(name: "shmif0", v6("fd00::1"))
        try k1.addAddress6(name: "shmif0", v6("fd00::a"), prefixLength: 64)
        #expect(try k1.addresses6(name: "shmif0").map { "\($0.address) \($0.flags)" } == ["fe80::b0a0:11ff:fe7c:68f8 0", "fd00::a 2"])
        // ndp -c: every entry goes, own ones included.
        #expect(!k1.flushNeighbors().isEmpty && k1.neighbors.isEmpty)
        // sysctl net.inet6.ip6.forwarding net.inet6.ip6.accept_rtadv net.inet6.ip6.dad_count
        #expect(try [k1.sysctlGet("net.inet6.ip6.forwarding"), k1.sysctlGet("net.inet6.ip6.accept_rtadv"),
                     k1.sysctlGet("net.inet6.ip6.dad_count")] == [0, 0, 1])
        // ndp -i shmif0.
        let i = try k1.ndInfo(name: "shmif0")
        #expect(i.linkMTU == 0 && i.maxMTU == 1500 && i.currentHopLimit == 64 && i.baseReachableTime == 30_000 && i.retransmitTimer == 1000)
    }
}

@Suite struct IPv6ReassemblyTests {
    let me = v6("fd00::1"), peer = v6("fd00::2")
    let mac = MACAddress(0xb2a0_0000_0001), peerMAC = MACAddress(0xb2a0_0000_0002)

    func stack() throws -> (NetStack, CaptureDriver) {
        let s = NetStack(clock: VirtualClock(), seed: 3)
        let cap = CaptureDriver()
        s.enableIPv6()
        try s.sysctlSet("net.inet6.ip6.dad_count", 0)
        try s.attachInterface(name: "shmif0", driver: cap, mac: mac)
        try s.addAddress6(name: "shmif0", me, prefixLength: 64)
        return (s, cap)
    }

    func frag(_ off: Int, _ data: [UInt8], more: Bool, id: UInt32) -> [UInt8] {
        let fh: [UInt8] = [58, 0, UInt8(off >> 8), UInt8(off & 0xF8) | (more ? 1 : 0),
                           UInt8(id >> 24), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)]
        return Frame6.make(dstMAC: mac, srcMAC: peerMAC, src: peer, dst: me, nh: 44, payload: fh + data)
    }

    @Test func overlapsDropTheDatagramAndBadSizesArePointedAt() throws {
        let (s, cap) = try stack()
        let body = Frame6.icmp(Ping6.request(seq: 1, size: 40), src: peer, dst: me)
        // Overlap (RFC 5722): the whole datagram goes.
        for f in [frag(0, Array(body[0..<24]), more: true, id: 1), frag(16, Array(body[16..<48]), more: false, id: 1)] {
            f.withUnsafeBytes { s.receive($0, on: 2) }
        }
        #expect(s.ip6.reass.isEmpty && s.ip6Stats.reassembled == 0 && s.ip6Stats.fragdropped >= 2)
        // In order and out of order: reassembled and answered.
        cap.frames.removeAll()
        for f in [frag(24, Array(body[24...]), more: false, id: 2), frag(0, Array(body[0..<24]), more: true, id: 2)] {
            f.withUnsafeBytes { s.receive($0, on: 2) }
        }
        #expect(s.ip6Stats.reassembled == 1 && s.icmp6Stats.reflect == 1)
        // A non-final fragment that is not a multiple of 8: parameter problem at the payload length.
        try s.sysctlSet("net.inet6.icmp6.errppslimit", -1)
        frag(0, Array(body[0..<20]), more: true, id: 3).withUnsafeBytes { s.receive($0, on: 2) }
        #expect(s.icmp6Stats.oparamprob_header == 1)
    }

    @Test func hostileFragmentsStayWithinTheBounds() throws {
        let (s, _) = try stack()
        // Tiny fragments far into many datagrams: queues and bytes stay bounded.
        for id in 0..<2000 {
            frag(65000 - 8 * (id % 50), [UInt8](repeating: 1, count: 8), more: true, id: UInt32(id)).withUnsafeBytes { s.receive($0, on: 2) }
        }
        #expect(s.ip6.reass.count <= 256 && s.ip6.reassBytes <= IP6State.reassMaxBytes)
        #expect(s.ip6.reassFragments <= 256 && s.ip6Stats.fragoverflow > 0)
        #expect(s.ip6.reass.values.reduce(0) { $0 + $1.data.count } == s.ip6.reassBytes)
    }
}

@Suite struct IPv6RedirectTests {
    @Test func aRouterRedirectsToTheBetterFirstHopAndTheHostFollows() throws {
        let lab = Lab()
        let l = lab.link()
        let a = lab.stack6(seed: 1), r = lab.stack6(seed: 2), c = lab.stack6(seed: 3)
        try lab.attach6(a, l, "shmif0", mac: 0xb2a0_0000_0001)
        try lab.attach6(r, l, "shmif0", mac: 0xb2a0_0000_0002)
        try lab.attach6(c, l, "shmif0", mac: 0xb2a0_0000_0003)
        try a.addAddress6(name: "shmif0", v6("fd00::1"), prefixLength: 64)
        try r.addAddress6(name: "shmif0", v6("fd00::2"), prefixLength: 64)
        try c.addAddress6(name: "shmif0", v6("fd00::3"), prefixLength: 64)
        try c.addAddress6(name: "shmif0", v6("fd09::3"), prefixLength: 64)  // off a's prefix, on the link
        try r.addRoute6(destination: v6("fd09::"), prefixLength: 64, gateway: nil, interface: "shmif0")
        try r.sysctlSet("net.inet6.ip6.forwarding", 1)
        lab.advance(seconds: 3)
        // a reaches fd09::3 through the router, whose link-local it learns as its default.
        let rll = try r.addresses6(name: "shmif0").first { $0.address.isLinkLocal }!.address
        try a.addRoute6(destination: .any, prefixLength: 0, gateway: rll, gatewayScopeID: 2)
        let fd = try Ping6.socket(a)
        try Ping6.send(a, fd, to: v6("fd09::3"), seq: 1)
        lab.settle()
        #expect(Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.echoReply }.count == 1)
        #expect(r.ip6Stats.redirectsent == 1 && r.icmp6Stats.oredirect == 1)
        // a installed the host route the redirect named; the next echo goes straight to c.
        #expect(a.routeList6.contains { $0.destination == v6("fd09::3") && $0.prefixLength == 128 && $0.flags.contains(.dynamic) })
        let before = r.ip6Stats.forward
        try Ping6.send(a, fd, to: v6("fd09::3"), seq: 2)
        lab.settle()
        #expect(Ping6.drain(a, fd).filter { $0.type == ICMPv6Type.echoReply }.count == 1)
        #expect(r.ip6Stats.forward == before)
    }
}

@Suite struct IPv6HardwareDuplicateTests {
    @Test func aDuplicateLinkLocalFromTheMACDisablesIPv6OnTheInterface() throws {
        let lab = Lab()
        let l = lab.link()
        let a = lab.stack6(seed: 1), b = lab.stack6(seed: 2)
        try lab.attach6(a, l, "shmif0", mac: 0xb2a0_0000_0005)
        lab.advance(seconds: 3)
        var logs: [String] = []
        b.log = { logs.append($0) }
        try lab.attach6(b, l, "shmif0", mac: 0xb2a0_0000_0005)  // the same MAC: the same link-local
        lab.advance(seconds: 3)
        #expect(try b.addresses6(name: "shmif0").first?.flags == IN6_IFF.DUPLICATED)
        #expect(try b.ndInfo(name: "shmif0").flags & ND6_IFF.IFDISABLED != 0)
        #expect(logs.contains("shmif0: possible hardware address duplication detected, disable IPv6"))
        #expect(try a.ndInfo(name: "shmif0").flags & ND6_IFF.IFDISABLED == 0)
        // Nothing goes out of b's shmif0 any more.
        try b.addAddress6(name: "shmif0", v6("fd00::5"), prefixLength: 64, flags: IN6_IFF.NODAD)
        let fd = try Ping6.socket(b)
        #expect(throws: Errno.ENETDOWN) { try Ping6.send(b, fd, to: .linkLocalAllNodes, scope: 2, seq: 1) }
    }

    @Test func aNUDProbeWithoutLinkLayerOptionIsAnsweredThroughResolution() throws {
        let lab = Lab()
        let l = lab.link()
        let a = lab.stack6(seed: 1), b = lab.stack6(seed: 2)
        try lab.attach6(a, l, "shmif0", mac: 0xb2a0_0000_0001)
        try lab.attach6(b, l, "shmif0", mac: 0xb2a0_0000_0002)
        try a.addAddress6(name: "shmif0", v6("fd00::1"), prefixLength: 64)
        try b.addAddress6(name: "shmif0", v6("fd00::2"), prefixLength: 64)
        lab.advance(seconds: 3)
        // A unicast NS from fd00::1 to b without a source link-layer option; b knows nothing of a.
        let ns = NDMessage.neighborSolicit(target: v6("fd00::2"), options: NDOptions())
        var m = [UInt8](repeating: 0, count: 64)
        let n = m.withUnsafeMutableBytes { ns.emit($0, src: v6("fd00::1"), dst: v6("fd00::2")) }
        let f = Frame6.make(dstMAC: MACAddress(0xb2a0_0000_0002), srcMAC: MACAddress(0xb2a0_0000_0001), src: v6("fd00::1"),
                            dst: v6("fd00::2"), nh: 58, hopLimit: 255, payload: Array(m[0..<n]))
        var nas = 0
        l.tap = { fr in
            if fr.count >= 78, fr[12] == 0x86, fr[20] == 58, fr[54] == ICMPv6Type.neighborAdvert, fr[6] == 0xb2, fr[11] == 2 { nas += 1 }
        }
        f.withUnsafeBytes { b.receive($0, on: 2) }
        lab.settle()
        // b resolved a (NS, a's NA), then sent its held NA.
        #expect(nas == 1)
        #expect(b.neighbors.first { $0.address == v6("fd00::1") }?.state == .reachable)
    }
}
