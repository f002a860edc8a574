import Foundation
import TestSupport
import Testing
@testable import RumpNet

@Suite struct ConfigTests {
    @Test func shmifLifecycleFollowsNetBSD() throws {
        let s = NetStack(clock: VirtualClock(), seed: 5)
        #expect(s.interfaces.map(\.name) == ["lo0"])
        let lo = try #require(s.interface(named: "lo0"))
        #expect(lo.flags.rawValue == 0x8049 && lo.mtu == 33624 && lo.addresses.first?.netmask == 0xFF00_0000)
        let sh = try s.createInterface(name: "shmif0")
        #expect(sh.index == 2 && sh.flags.rawValue == 0x8802 && sh.mtu == 1500)
        #expect(sh.linkAddress.description.hasPrefix("b2:a0:"))
        if let d = sh.device as? ShmifDevice {
            // netbsd-10: MAC bytes 2..5 are the sender id's low 32 bits in memory order.
            let id = d.senderID
            let b = sh.linkAddress.bytes
            #expect(b[2] == UInt8(id & 0xFF) && b[5] == UInt8(id >> 24 & 0xFF))
        }
        #expect(throws: Errno.EEXIST) { try s.createInterface(name: "shmif0") }
        #expect(throws: Errno.ENXIO) { try s.setUp(name: "shmif0", true) }
        #expect(sh.flags.rawValue == 0x8803)  // UP stays, RUNNING does not
        #expect(throws: Errno.ENXIO) { try s.addAddress(name: "shmif0", IPv4Address("10.0.1.1")!, netmask: 0xFFFF_FF00) }
        #expect(sh.addresses.isEmpty)
        #expect(throws: Errno.EBUSY) { try s.setLinkString(name: "shmif0", "/nonexistent/x") }
        try s.setUp(name: "shmif0", false)
        #expect(throws: Errno.ENOENT) { _ = try s.linkString(name: "shmif0") }
        let dir = TemporaryDirectory()
        defer { dir.remove() }  // also keeps it alive to the end of the test
        let bus = dir.file("bus")
        try s.setLinkString(name: "shmif0", bus)
        #expect(try s.linkString(name: "shmif0") == bus)
        #expect(throws: Errno.EBUSY) { try s.setLinkString(name: "shmif0", bus + "2") }
        try s.addAddress(name: "shmif0", IPv4Address("10.0.0.1")!, netmask: 0xFFFF_FF00)
        #expect(sh.flags.rawValue == 0x8843)
        #expect(sh.counters.opackets == 1 && sh.counters.obytes == 42)  // the gratuitous ARP
        #expect(throws: Errno.EBUSY) { try s.clearLinkString(name: "shmif0") }
        #expect(throws: Errno.EINVAL) { try s.setMTU(name: "shmif0", 99999) }
        try s.setMTU(name: "shmif0", 1400)
        #expect(sh.mtu == 1400)
        try s.addAddress(name: "shmif0", IPv4Address("10.0.0.9")!)
        #expect(sh.addresses.last?.netmask == 0xFF00_0000 && sh.addresses.last?.broadcast == IPv4Address("10.255.255.255")!)
        try s.deleteAddress(name: "shmif0", IPv4Address("10.0.0.9")!)
        #expect(throws: Errno.EADDRNOTAVAIL) { try s.deleteAddress(name: "shmif0", IPv4Address("10.0.0.9")!) }
        try s.setUp(name: "shmif0", false)
        #expect(sh.flags.rawValue == 0x8802 && sh.addresses.first?.detached == true)
        try s.clearLinkString(name: "shmif0")
        #expect(throws: Errno.ENXIO) { try s.setUp(name: "shmif0", true) }
        try s.destroyInterface(name: "shmif0")
        #expect(s.interface(named: "shmif0") == nil)
        #expect(throws: Errno.ENXIO) { try s.destroyInterface(name: "shmif0") }
        #expect(throws: Errno.EPERM) { try s.destroyInterface(name: "lo0") }
        #expect(throws: Errno.ENXIO) { try s.setUp(name: "nosuch0", true) }
        try s.createInterface(name: "lo1")
        #expect(throws: Errno.EINVAL) { try s.createInterface(name: "bogus") }
        // Its routes went with it.
        #expect(s.routeList.map(\.destination) == [IPv4Address.loopback])
    }

    @Test func routesLikeNetBSD() throws {
        let lab = Lab()
        let s = lab.stack(seed: 3)
        try lab.attach(s, lab.link(), "shmif0", "10.0.0.1", 24)
        func table() -> [String] {
            s.routeList.map { r in
                let gw: String
                switch r.gateway {
                case .address(let a): gw = a.description
                case .link(let i): gw = i == s.loopbackIndex && r.destination.isLoopback ? "lo0" : "link#\(i)"
                }
                return "\(r.destination)/\(r.prefixLength) \(gw) \(r.flags.letters) \(s.interface(index: r.ifIndex)!.name)"
            }
        }
        #expect(table() == ["10.0.0.0/24 link#2 UC shmif0", "10.0.0.1/32 link#2 UHl lo0", "127.0.0.1/32 lo0 UHl lo0"])
        let gw = IPv4Address("10.0.0.2")!
        try s.addRoute(destination: IPv4Address("10.1.0.0")!, prefixLength: 24, gateway: gw)
        try s.addRoute(destination: .any, prefixLength: 0, gateway: gw)
        try s.addRoute(destination: IPv4Address("10.3.0.7")!, prefixLength: 32, gateway: gw)
        try s.addRoute(destination: IPv4Address("10.4.0.0")!, prefixLength: 16, gateway: gw)
        try s.addRoute(destination: IPv4Address("10.5.0.0")!, prefixLength: 16, gateway: gw, reject: true)
        try s.addRoute(destination: IPv4Address("10.6.0.0")!, prefixLength: 16, gateway: gw, blackhole: true)
        #expect(table() == [
            "0.0.0.0/0 10.0.0.2 UGS shmif0", "10.0.0.0/24 link#2 UC shmif0", "10.0.0.1/32 link#2 UHl lo0",
            "10.1.0.0/24 10.0.0.2 UGS shmif0", "10.3.0.7/32 10.0.0.2 UGHS shmif0", "10.4.0.0/16 10.0.0.2 UGS shmif0",
            "10.5.0.0/16 10.0.0.2 UGRS shmif0", "10.6.0.0/16 10.0.0.2 UGBS shmif0", "127.0.0.1/32 lo0 UHl lo0",
        ])
        #expect(s.routeList.first { $0.destination.isLoopback }?.mtu == 33624)
        let g = try s.getRoute(IPv4Address("10.1.0.5")!)
        #expect(g.route.destination == IPv4Address("10.1.0.0")! && g.route.netmask == 0xFFFF_FF00)
        #expect(g.route.gateway == .address(gw) && g.route.localAddress == IPv4Address("10.0.0.1")! && g.interfaceName == "shmif0")
        #expect(g.route.flags.names == ["UP", "GATEWAY", "DONE", "STATIC"])
        #expect(try s.getRoute(IPv4Address("10.3.0.7")!).route.prefixLength == 32)
        #expect(try s.getRoute(IPv4Address("10.4.200.1")!).route.prefixLength == 16)
        #expect(try s.getRoute(IPv4Address("8.8.8.8")!).route.prefixLength == 0)
        #expect(try s.getRoute(IPv4Address("10.0.0.1")!).interfaceName == "shmif0")
        #expect(throws: Errno.EEXIST) { try s.addRoute(destination: IPv4Address("10.1.0.0")!, prefixLength: 24, gateway: gw) }
        #expect(throws: Errno.ENETUNREACH) {
            try s.addRoute(destination: IPv4Address("10.7.0.0")!, prefixLength: 16, gateway: IPv4Address("192.168.5.1")!)
        }
        #expect(throws: Errno.ESRCH) { try s.deleteRoute(destination: IPv4Address("10.8.0.0")!, prefixLength: 16) }
        try s.deleteRoute(destination: .any, prefixLength: 0)
        #expect(throws: Errno.ESRCH) { try s.getRoute(IPv4Address("8.8.8.8")!) }
        try s.changeRoute(destination: IPv4Address("10.1.0.0")!, prefixLength: 24, gateway: IPv4Address("10.0.0.3")!)
        #expect(try s.getRoute(IPv4Address("10.1.0.1")!).route.gateway == .address(IPv4Address("10.0.0.3")!))
        #expect(s.flushRoutes().count == 5)
        // Connected routes follow addresses.
        try s.deleteAddress(name: "shmif0", IPv4Address("10.0.0.1")!)
        #expect(table() == ["127.0.0.1/32 lo0 UHl lo0"])
    }

    @Test func routeTrieMatchesLinearScan() throws {
        var rt = RouteTable()
        var rng = SeededRandom(seed: 99)
        var list: [(UInt32, Int)] = []
        for _ in 0..<500 {
            let len = Int(rng.next() % 33)
            let d = UInt32(truncatingIfNeeded: rng.next()) & IPv4Address.mask(prefixLength: len)
            if (try? rt.insert(Route(destination: IPv4Address(d), prefixLength: len, gateway: .link(1), ifIndex: 1,
                                     flags: .up, localAddress: .any))) != nil { list.append((d, len)) }
        }
        // Remove a third, then compare lookups.
        for (d, len) in list.prefix(list.count / 3) { try rt.remove(IPv4Address(d), prefixLength: len) }
        list.removeFirst(list.count / 3)
        for _ in 0..<5000 {
            let a = UInt32(truncatingIfNeeded: rng.next())
            let best = list.filter { a & IPv4Address.mask(prefixLength: $0.1) == $0.0 }.max { $0.1 < $1.1 }
            let got = rt.lookup(IPv4Address(a))
            #expect(got?.prefixLength == best?.1 && got?.destination.value == best?.0)
        }
        #expect(rt.count == list.count)
    }

    @Test func sysctlARPAndSocketErrors() throws {
        let lab = Lab()
        let s = lab.stack(seed: 3)
        try lab.attach(s, lab.link(), "shmif0", "10.0.0.1", 24)
        #expect(try s.sysctlGet("net.inet.ip.ttl") == 64)
        #expect(try s.sysctlGet("net.inet.ip.forwarding") == 0)
        #expect(try s.sysctlGet("net.inet.arp.keep") == 1200)
        #expect(try s.sysctlGet("net.inet.icmp.errppslimit") == 100)
        #expect(try s.sysctlSet("net.inet.ip.forwarding", 1) == 0)
        #expect(throws: Errno.ENOENT) { try s.sysctlGet("net.inet.ip.nosuch") }
        #expect(throws: Errno.EINVAL) { try s.sysctlSet("net.inet.ip.ttl", 0) }
        #expect(s.sysctlList(prefix: "net.inet.ip").allSatisfy { $0.name.hasPrefix("net.inet.ip.") })
        // arp -s, permanent and published; arp -d.
        try s.arpSet(IPv4Address("10.0.0.50")!, mac: MACAddress("b2:a0:00:00:00:50")!)
        try s.arpSet(IPv4Address("10.0.0.52")!, mac: MACAddress("b2:a0:00:00:00:52")!, publish: true)
        try s.arpSet(IPv4Address("10.0.0.51")!, mac: MACAddress("b2:a0:00:00:00:51")!, permanent: false)
        let e = s.arpEntries
        #expect(e.map(\.address.description) == ["10.0.0.50", "10.0.0.51", "10.0.0.52"])
        #expect(e[0].permanent && !e[1].permanent && e[2].published && e[1].expires != nil)
        #expect(throws: Errno.ENETUNREACH) { try s.arpSet(IPv4Address("192.168.1.1")!, mac: .zero) }
        try s.arpDelete(IPv4Address("10.0.0.50")!)
        #expect(throws: Errno.ENOENT) { try s.arpDelete(IPv4Address("10.0.0.77")!) }
        // Sockets.
        #expect(throws: Errno.EAFNOSUPPORT) { try s.socket(domain: 1, type: 3, protocol: 1) }
        #expect(throws: Errno.EPROTONOSUPPORT) { try s.socket(domain: 2, type: 1, protocol: 17) }  // SOCK_STREAM, UDP
        let fd = try rawICMPSocket(s)
        #expect(fd == 0)
        try s.setOption(fd, .nonBlocking(true))
        #expect(try s.isNonBlocking(fd))
        var buf = [UInt8](repeating: 0, count: 100)
        #expect(throws: Errno.EWOULDBLOCK) { try buf.withUnsafeMutableBytes { _ = try s.recvfrom(fd, into: $0) } }
        #expect(s.socketEvents(fd) == .writable)
        var woke: [Int32] = []
        s.onSocketEvent = { fd, ev in if ev.contains(.readable) { woke.append(fd) } }
        try Ping.send(s, fd, to: "127.0.0.1", seq: 1)
        #expect(woke == [fd] && s.socketEvents(fd).contains(.readable))
        #expect(throws: Errno.EBADF) { try s.close(42) }
        #expect(throws: Errno.EADDRNOTAVAIL) { try s.bind(fd, address: IPv4Address("10.9.9.9")!) }
        try s.close(fd)
        #expect(s.socketEvents(fd) == .error)
        #expect(Errno.ENXIO.message == "Device not configured" && Errno.EHOSTUNREACH.message == "No route to host")
    }
}
