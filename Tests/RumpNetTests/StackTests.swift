import Testing
@testable import RumpNet

@Suite struct StackTests {
    @Test func twoStacksPingEachOther() throws {
        let lab = Lab()
        let a = lab.stack(seed: 1), b = lab.stack(seed: 2)
        let link = lab.link()
        try lab.attach(a, link, "mem0", "10.0.0.1", 24)
        try lab.attach(b, link, "mem0", "10.0.0.2", 24)
        lab.settle()
        let fa = try rawICMPSocket(a), fb = try rawICMPSocket(b)
        for seq in 0..<3 {
            try Ping.send(a, fa, to: "10.0.0.2", seq: UInt16(seq))
            lab.settle()
        }
        let replies = Ping.drain(a, fa).filter { $0.type == ICMPType.echoReply }
        #expect(replies.map(\.seq) == [0, 1, 2])
        #expect(replies.allSatisfy { $0.ttl == 255 && $0.from == IPv4Address("10.0.0.2")! })
        try Ping.send(b, fb, to: "10.0.0.1", seq: 7)
        lab.settle()
        #expect(Ping.drain(b, fb).filter { $0.type == ICMPType.echoReply }.map(\.seq) == [7])
        // Both learned each other.
        #expect(a.arpEntries.contains { $0.address == IPv4Address("10.0.0.2")! && $0.state == .resolved })
        #expect(b.arpEntries.contains { $0.address == IPv4Address("10.0.0.1")! && $0.state == .resolved })
        #expect(b.icmpStats.reflect == 3)
    }

    @Test func pingOwnAddressAndLoopback() throws {
        let lab = Lab()
        let a = lab.stack(seed: 1)
        try lab.attach(a, lab.link(), "mem0", "10.0.0.1", 24)
        let fd = try rawICMPSocket(a)
        try Ping.send(a, fd, to: "127.0.0.1", seq: 1)
        try Ping.send(a, fd, to: "10.0.0.1", seq: 2)
        lab.settle()
        let r = Ping.drain(a, fd).filter { $0.type == ICMPType.echoReply }
        #expect(r.map(\.seq) == [1, 2])
        #expect(r.first?.from == IPv4Address.loopback)
    }

    /// A ---link1--- R ---link2--- B, R forwarding, static routes on A and B.
    func threeStacks() throws -> (Lab, NetStack, NetStack, NetStack) {
        let lab = Lab()
        let a = lab.stack(seed: 11), r = lab.stack(seed: 12), b = lab.stack(seed: 13)
        let l1 = lab.link(), l2 = lab.link()
        try lab.attach(a, l1, "mem0", "10.0.1.1", 24)
        try lab.attach(r, l1, "mem0", "10.0.1.254", 24)
        try lab.attach(r, l2, "mem1", "10.0.2.254", 24)
        try lab.attach(b, l2, "mem0", "10.0.2.1", 24)
        try r.sysctlSet("net.inet.ip.forwarding", 1)
        try a.addRoute(destination: IPv4Address("10.0.2.0")!, prefixLength: 24, gateway: IPv4Address("10.0.1.254")!)
        try b.addRoute(destination: .any, prefixLength: 0, gateway: IPv4Address("10.0.2.254")!)
        lab.settle()
        return (lab, a, r, b)
    }

    @Test func forwardingEndToEnd() throws {
        let (lab, a, r, _) = try threeStacks()
        let fd = try rawICMPSocket(a)
        for seq in 0..<3 { try Ping.send(a, fd, to: "10.0.2.1", seq: UInt16(seq)); lab.settle() }
        let replies = Ping.drain(a, fd).filter { $0.type == ICMPType.echoReply }
        #expect(replies.map(\.seq) == [0, 1, 2])
        #expect(replies.allSatisfy { $0.ttl == 254 })  // 255 minus one hop, as NetBSD shows
        #expect(r.ipStats.forward == 6)
        let g = try a.getRoute(IPv4Address("10.0.2.1")!)
        #expect(g.route.flags.contains([.up, .gateway, .static]))
        #expect(g.route.localAddress == IPv4Address("10.0.1.1")!)
        #expect(g.interfaceName == "mem0")
    }

    @Test func ttlExpiryGivesTimeExceeded() throws {
        let (lab, a, _, _) = try threeStacks()
        let fd = try rawICMPSocket(a)
        try a.setOption(fd, .ttl(1))
        try Ping.send(a, fd, to: "10.0.2.1", seq: 0)
        lab.settle()
        let got = Ping.drain(a, fd)
        #expect(got.count == 1)
        #expect(got.first?.type == ICMPType.timeExceeded)
        #expect(got.first?.from == IPv4Address("10.0.1.254")!)
        #expect(got.first?.icmpLength == 36)  // "36 bytes from 10.0.1.254: Time To Live exceeded"
    }

    @Test func noRouteGivesUnreachable() throws {
        let (lab, a, _, b) = try threeStacks()
        let fd = try rawICMPSocket(a)
        // Locally: no route at all.
        #expect(throws: Errno.EHOSTUNREACH) { try Ping.send(a, fd, to: "192.168.77.1", seq: 0) }
        // At the router: net unreachable back to the sender.
        try a.addRoute(destination: .any, prefixLength: 0, gateway: IPv4Address("10.0.1.254")!)
        try Ping.send(a, fd, to: "192.168.77.1", seq: 1)
        lab.settle()
        let got = Ping.drain(a, fd)
        #expect(got.map(\.type) == [ICMPType.unreachable])
        #expect(got.first?.code == ICMPUnreachCode.net)
        // Protocol unreachable from a host for an unknown protocol.
        let f2 = try a.socket(domain: 2, type: 3, protocol: 99)
        try [UInt8](repeating: 1, count: 10).withUnsafeBytes { _ = try a.sendto(f2, $0, to: IPv4Address("10.0.2.1")!) }
        lab.settle()
        let p = Ping.drain(a, fd)
        #expect(p.first?.type == ICMPType.unreachable && p.first?.code == ICMPUnreachCode.proto)
        #expect(b.ipStats.noproto == 1)
    }

    @Test func bigEchoIsFragmentedAndReassembledBothWays() throws {
        let (lab, a, r, b) = try threeStacks()
        let fd = try rawICMPSocket(a)
        try Ping.send(a, fd, to: "10.0.2.1", seq: 0, size: 8000)
        lab.settle()
        let got = Ping.drain(a, fd).filter { $0.type == ICMPType.echoReply }
        #expect(got.count == 1)
        #expect(got.first?.icmpLength == 8008)
        #expect(b.ipStats.reassembled == 1 && a.ipStats.reassembled == 1)
        #expect(a.ipStats.ofragments == 6 && b.ipStats.ofragments == 6)
        #expect(r.ipStats.forward == 12)
        // Payload intact.
        if let g = got.first { #expect(Array(g.bytes[(g.hl + 8)...]) == Array(Ping.request(id: 0, seq: 0, size: 8000)[8...])) }
    }

    @Test func dontFragmentOverMTUGivesNeedFrag() throws {
        let (lab, a, r, _) = try threeStacks()
        try r.setMTU(name: "mem1", 1000)
        let fd = try rawICMPSocket(a)
        var m = Ping.request(id: 1, seq: 0, size: 1200)
        // IP_HDRINCL datagram with DF.
        var ip = [UInt8](repeating: 0, count: 20)
        ip[0] = 0x45; ip[6] = 0x40; ip[8] = 64; ip[9] = 1
        let dst = IPv4Address("10.0.2.1")!.value
        ip[16] = UInt8(dst >> 24); ip[17] = UInt8(dst >> 16 & 0xFF); ip[18] = UInt8(dst >> 8 & 0xFF); ip[19] = UInt8(dst & 0xFF)
        m = ip + m
        try a.setOption(fd, .headerIncluded(true))
        try m.withUnsafeBytes { _ = try a.sendto(fd, $0) }
        lab.settle()
        let got = Ping.drain(a, fd)
        #expect(got.first?.type == ICMPType.unreachable && got.first?.code == ICMPUnreachCode.needFrag)
        if let g = got.first { #expect(UInt16(g.bytes[g.hl + 6]) << 8 | UInt16(g.bytes[g.hl + 7]) == 1000) }
    }

    @Test func arpEntriesExpireAndAreResolvedAgain() throws {
        let lab = Lab()
        let a = lab.stack(seed: 1), b = lab.stack(seed: 2)
        let link = lab.link()
        try lab.attach(a, link, "mem0", "10.0.0.1", 24)
        try lab.attach(b, link, "mem0", "10.0.0.2", 24)
        lab.settle()
        let fd = try rawICMPSocket(a)
        try Ping.send(a, fd, to: "10.0.0.2", seq: 0)
        lab.settle()
        let sent0 = a.arpStats.sentRequests
        #expect(a.arpEntries.count == 1)
        lab.advance(seconds: 1201, step: 60)
        #expect(a.arpEntries.isEmpty)
        #expect(a.nextDeadline == nil || a.nextDeadline! > lab.clock.now)
        try Ping.send(a, fd, to: "10.0.0.2", seq: 1)
        lab.settle()
        #expect(a.arpStats.sentRequests == sent0 + 1)
        #expect(Ping.drain(a, fd).filter { $0.type == ICMPType.echoReply }.map(\.seq) == [0, 1])
    }

    @Test func heldPacketsGoOutWhenResolved() throws {
        let lab = Lab()
        let a = lab.stack(seed: 1), b = lab.stack(seed: 2)
        let link = lab.link()
        try lab.attach(a, link, "mem0", "10.0.0.1", 24)
        try lab.attach(b, link, "mem0", "10.0.0.2", 24)
        lab.settle()
        let fd = try rawICMPSocket(a)
        // Three requests before any frame moves: one ARP request, three held datagrams.
        for seq in 0..<3 { try Ping.send(a, fd, to: "10.0.0.2", seq: UInt16(seq)) }
        #expect(a.arpEntries.first?.state == .incomplete)
        #expect(a.arpStats.sentRequests == 2)  // gratuitous + one request
        lab.settle()
        #expect(Ping.drain(a, fd).filter { $0.type == ICMPType.echoReply }.map(\.seq) == [0, 1, 2])
    }

    @Test func unansweredARPRetriesThenHostDown() throws {
        let lab = Lab()
        let a = lab.stack(seed: 1)
        try lab.attach(a, lab.link(), "mem0", "10.0.0.1", 24)
        lab.settle()
        let fd = try rawICMPSocket(a)
        // NetBSD asks when a datagram is sent, at most once a second: five sends, five asks.
        for seq in 0..<5 {
            try Ping.send(a, fd, to: "10.0.0.9", seq: UInt16(seq))
            lab.advance(seconds: 1)
        }
        #expect(a.arpStats.sentRequests == 1 + 5)  // gratuitous + five
        #expect(a.arpEntries.first?.state == .incomplete)
        // The sixth ask would exceed net.inet.arp.maxtries: the host is down for arp.down s.
        #expect(throws: Errno.EHOSTDOWN) { try Ping.send(a, fd, to: "10.0.0.9", seq: 5) }
        #expect(a.arpEntries.first?.state == .down)
        #expect(throws: Errno.EHOSTDOWN) { try Ping.send(a, fd, to: "10.0.0.9", seq: 6) }
        lab.advance(seconds: 21, step: 1)
        #expect(a.arpEntries.isEmpty)
    }

    @Test func arpAsksOnlyWhenSending() throws {
        let lab = Lab()
        let a = lab.stack(seed: 1)
        try lab.attach(a, lab.link(), "mem0", "10.0.0.1", 24)
        lab.settle()
        let fd = try rawICMPSocket(a)
        try Ping.send(a, fd, to: "10.0.0.9", seq: 0)
        lab.advance(seconds: 10, step: 1)
        #expect(a.arpStats.sentRequests == 1 + 1)  // no timer retransmits
        #expect(a.arpEntries.first?.state == .incomplete)
        // Twenty seconds without anyone sending to it: forgotten, with what it held.
        lab.advance(seconds: 11, step: 1)
        #expect(a.arpEntries.isEmpty)
    }

    @Test func gratuitousARPAndDuplicateWarning() throws {
        let lab = Lab()
        let a = lab.stack(seed: 1), b = lab.stack(seed: 2)
        let link = lab.link()
        try lab.attach(a, link, "mem0", "10.0.0.1", 24)
        lab.settle()
        try lab.attach(b, link, "mem0", "10.0.0.1", 24)
        lab.settle()
        #expect(a.arpStats.dupAddress >= 1)
        #expect(lab.logs.contains { $0.hasPrefix("duplicate IP address 10.0.0.1 sent from link address b2:a0:") })
    }

    @Test func broadcastPingIgnoredUnlessEnabled() throws {
        let lab = Lab()
        let a = lab.stack(seed: 1), b = lab.stack(seed: 2)
        let link = lab.link()
        try lab.attach(a, link, "mem0", "10.0.0.1", 24)
        try lab.attach(b, link, "mem0", "10.0.0.2", 24)
        lab.settle()
        let fd = try rawICMPSocket(a)
        #expect(throws: Errno.EACCES) { try Ping.send(a, fd, to: "255.255.255.255", seq: 0) }
        #expect(throws: Errno.EACCES) { try Ping.send(a, fd, to: "10.0.0.255", seq: 0) }
        try a.setOption(fd, .broadcast(true))
        try Ping.send(a, fd, to: "10.0.0.255", seq: 0)
        lab.settle()
        #expect(Ping.drain(a, fd).filter { $0.type == ICMPType.echoReply }.isEmpty)
        try b.sysctlSet("net.inet.icmp.bmcastecho", 1)
        try a.sysctlSet("net.inet.icmp.bmcastecho", 1)
        try Ping.send(a, fd, to: "10.0.0.255", seq: 1)
        lab.settle()
        let from = Set(Ping.drain(a, fd).filter { $0.type == ICMPType.echoReply }.map(\.from))
        #expect(from == [IPv4Address("10.0.0.1")!, IPv4Address("10.0.0.2")!])
    }

    @Test func icmpErrorsAreRateLimited() throws {
        let (lab, a, r, _) = try threeStacks()
        try r.sysctlSet("net.inet.icmp.errppslimit", 5)
        let fd = try rawICMPSocket(a)
        try a.setOption(fd, .ttl(1))
        try Ping.send(a, fd, to: "10.0.2.1", seq: 0)
        lab.settle()  // ARP resolved: nothing held from here on
        for seq in 1..<20 { try Ping.send(a, fd, to: "10.0.2.1", seq: UInt16(seq)) }
        lab.settle()
        #expect(Ping.drain(a, fd).count == 5)
        #expect(r.icmpStats.ratelimited == 15)
    }
}
