import Foundation
import TestSupport
import Testing
@testable import RumpNet

@Suite struct ShmifBusTests {
    /// Two stacks in one process, each with shmif0 on the same bus file, driven by a loop that
    /// polls both readers.
    @Test func twoStacksPingOverARealBusFile() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }  // also keeps it alive to the end of the test
        let bus = dir.file("bus")
        let clock = VirtualClock()
        let a = NetStack(clock: clock, seed: 21), b = NetStack(clock: clock, seed: 22)
        for (s, addr) in [(a, "10.0.0.1"), (b, "10.0.0.2")] {
            try s.createInterface(name: "shmif0")
            try s.setLinkString(name: "shmif0", bus)
            try s.addAddress(name: "shmif0", IPv4Address(addr)!, netmask: 0xFFFF_FF00)
        }
        #expect(a.interface(named: "shmif0")!.flags.rawValue == 0x8843)
        let fd = try rawICMPSocket(a)
        var replies: [Ping.Received] = []
        for seq in 0..<5 {
            try Ping.send(a, fd, to: "10.0.0.2", seq: UInt16(seq))
            for _ in 0..<200 {
                let n = a.pollDrivers() + b.pollDrivers()
                a.poll(); b.poll()
                replies += Ping.drain(a, fd).filter { $0.type == ICMPType.echoReply }
                if n == 0 && replies.count > seq { break }
                clock.advance(nanoseconds: 1_000_000)
            }
        }
        #expect(replies.map(\.seq) == [0, 1, 2, 3, 4])
        #expect(replies.allSatisfy { $0.ttl == 255 })
        // Own frames never came back in: each interface received only the other's.
        let ia = a.interface(named: "shmif0")!.counters, ib = b.interface(named: "shmif0")!.counters
        // A was up first and heard all B sent; B missed only A's gratuitous ARP, sent before B attached.
        #expect(ia.ipackets == ib.opackets)
        #expect(ib.ipackets == ia.opackets - 1)
        #expect(b.icmpStats.reflect == 5)
    }
}
