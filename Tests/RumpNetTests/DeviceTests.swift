import Foundation
import Pcap
import Shmif
import TestSupport
import Testing
@testable import RumpNet

/// The device seam: kinds registered per stack, middlewares around memory and shmif devices,
/// shmif's batched output. (Taps: Tests/TapIfTests.)
@Suite struct DeviceTests {
    /// Two stacks on a memory link with static ARP entries, so every frame is an echo.
    static func pair(_ lab: Lab) throws -> (NetStack, NetStack, NetInterface, NetInterface) {
        let a = lab.stack(seed: 1), b = lab.stack(seed: 2)
        let link = lab.link()
        let ia = try lab.attach(a, link, "mem0", "10.0.0.1", 24)
        let ib = try lab.attach(b, link, "mem0", "10.0.0.2", 24)
        lab.settle()
        try a.arpSet(IPv4Address("10.0.0.2")!, mac: ib.linkAddress, permanent: true)
        try b.arpSet(IPv4Address("10.0.0.1")!, mac: ia.linkAddress, permanent: true)
        return (a, b, ia, ib)
    }

    /// The sequence numbers of the echo replies to `count` pings, each settled before the next.
    static func pingSequence(_ lab: Lab, _ a: NetStack, count: Int) throws -> [UInt16] {
        let fd = try rawICMPSocket(a)
        var got: [UInt16] = []
        for seq in 0..<count {
            try Ping.send(a, fd, to: "10.0.0.2", seq: UInt16(seq))
            lab.settle()
            got += Ping.drain(a, fd).filter { $0.type == ICMPType.echoReply }.map(\.seq)
        }
        return got
    }

    @Test func kindsComeFromRegistrationNotASwitch() throws {
        let clock = VirtualClock()
        let bare = NetStack(clock: clock, seed: 1, kinds: [])
        #expect(bare.clonerFamilies == ["lo"])
        #expect(throws: Errno.EINVAL) { try bare.createInterface(name: "shmif0") }
        #expect(throws: Errno.EPERM) { try bare.destroyInterface(name: "lo0") }
        try bare.createInterface(name: "lo1")

        // A memory link registered as a kind: `create mem0` attaches a port.
        let link = MemoryLink()
        let a = NetStack(clock: clock, seed: 2, kinds: [.memoryLink(link)])
        let b = NetStack(clock: clock, seed: 3, kinds: [.memoryLink(link), .shmif])
        #expect(a.clonerFamilies == ["lo", "mem"])
        #expect(b.clonerFamilies == ["lo", "mem", "shmif"])
        for (s, addr) in [(a, "10.1.0.1"), (b, "10.1.0.2")] {
            let ifp = try s.createInterface(name: "mem0")
            #expect(ifp.cloneFamily == "mem")
            try s.addAddress(name: "mem0", IPv4Address(addr)!, netmask: 0xFFFF_FF00)
        }
        let fd = try rawICMPSocket(a)
        try Ping.send(a, fd, to: "10.1.0.2", seq: 9)
        link.deliver()
        #expect(Ping.drain(a, fd).filter { $0.type == ICMPType.echoReply }.map(\.seq) == [9])
    }

    @Test func faultInjectorDropsBySeedAndEveryLossIsOneDroppedFrame() throws {
        func run(seed: UInt64) throws -> ([UInt16], FaultInjector) {
            let lab = Lab()
            let (a, _, _, _) = try Self.pair(lab)
            var injector: FaultInjector!
            try a.wrapDevice(name: "mem0") { d in
                injector = FaultInjector(wrapping: d, dropPercent: 20, seed: seed)
                return injector
            }
            return (try Self.pingSequence(lab, a, count: 100), injector)
        }
        let (got, injector) = try run(seed: 7)
        // Each echo crosses the injector twice (request out, reply in); a drop loses that echo.
        #expect(got.count == 100 - Int(injector.dropped))
        #expect(injector.dropped > 10 && injector.dropped < 60)
        #expect(injector.framesTransmitted == 100)
        // The same seed loses the same echoes; another seed others.
        #expect(try run(seed: 7).0 == got)
        #expect(try run(seed: 8).0 != got)
    }

    @Test func faultInjectorReordersPairsAndReleasesALoneFrameAtItsDeadline() throws {
        let lab = Lab()
        let (a, b, _, _) = try Self.pair(lab)
        try a.wrapDevice(name: "mem0") { FaultInjector(wrapping: $0, reorderPercent: 100, seed: 1, directions: .transmit) }
        let server = try UDP.socket(b)
        try b.bind(server, to: UDP.ep("0.0.0.0", 7))
        let client = try UDP.socket(a)
        for i in 0..<6 { _ = try UDP.send(a, client, [UInt8(i)], to: UDP.ep("10.0.0.2", 7)) }
        lab.settle()
        var order: [UInt8] = []
        while let (bytes, _) = try? UDP.receive(b, server) { order += bytes }
        #expect(order == [1, 0, 3, 2, 5, 4])

        // A frame with none after it waits for the hold (1 ms), then goes alone.
        _ = try UDP.send(a, client, [42], to: UDP.ep("10.0.0.2", 7))
        lab.settle()
        #expect((try? UDP.receive(b, server)) == nil)
        let deadline = try #require(a.nextDeadline)
        #expect(deadline == lab.clock.now + 1_000_000)
        lab.clock.advance(nanoseconds: 1_000_000)
        a.poll()
        lab.settle()
        #expect(try UDP.receive(b, server).0 == [42])
    }

    @Test func captureMiddlewareWritesBothDirectionsToPcapThatTcpdumpReads() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let lab = Lab()
        let (a, _, _, _) = try Self.pair(lab)
        let writer = try PcapWriter(path: dir.file("mem0.pcap"))
        var seen: [CapturingDevice.Direction] = []
        try a.wrapDevice(name: "mem0") {
            CapturingDevice(wrapping: $0) { direction, frame, now in
                seen.append(direction)
                writer.write(frame, seconds: Int(now / 1_000_000_000), microseconds: Int(now / 1000 % 1_000_000))
            }
        }
        _ = try Self.pingSequence(lab, a, count: 2)
        writer.flush()
        #expect(seen == [.transmitted, .received, .transmitted, .received])
        guard let tcpdump = which("tcpdump") else { Issue.record("tcpdump not installed"); return }
        let r = try TestSupport.run(tcpdump, ["-n", "-r", dir.file("mem0.pcap")])
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0].contains("10.0.0.1 > 10.0.0.2: ICMP echo request, id 4660, seq 0"))
        #expect(lines[1].contains("10.0.0.2 > 10.0.0.1: ICMP echo reply, id 4660, seq 0"))
    }

    /// With coalescing on (a kernel's loop), a turn's frames reach the bus as one batch: one
    /// lock hold and one wakeup at `flushOutput()`, none before.
    @Test func shmifSendsALoopTurnAsOneBatchWithOneWakeup() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let bus = dir.file("bus")
        let clock = VirtualClock()
        let a = NetStack(clock: clock, seed: 31)
        a.coalescesWakeups = true
        var pending = 0
        a.onOutputPending = { pending += 1 }
        try a.createInterface(name: "shmif0")
        try a.setLinkString(name: "shmif0", bus)
        try a.addAddress(name: "shmif0", IPv4Address("10.0.0.1")!, netmask: 0xFFFF_FF00)
        a.flushOutput()  // the gratuitous ARP
        try a.arpSet(IPv4Address("10.0.0.2")!, mac: MACAddress("b2:a0:00:00:00:02")!, permanent: true)
        let device = try #require(a.interface(named: "shmif0")!.device as? ShmifDevice)
        let writer = try #require(device.writer)
        let batchesBefore = writer.batchesSent, framesBefore = writer.framesSent
        let reader = try BusReader(bus: try ShmifBus.attach(path: bus), start: .next)
        pending = 0

        let client = try UDP.socket(a)
        for i in 0..<10 { _ = try UDP.send(a, client, [UInt8(i)], to: UDP.ep("10.0.0.2", 9)) }
        #expect(pending == 1, "one flush scheduled for the turn")
        #expect(writer.framesSent == framesBefore, "nothing on the bus before the flush")
        var batch = FrameBatch()
        #expect(reader.poll(into: &batch) == 0)
        a.flushOutput()
        #expect(writer.framesSent == framesBefore + 10)
        #expect(writer.batchesSent == batchesBefore + 1, "one batch, one wakeup")
        #expect(reader.poll(into: &batch) == 10)
        #expect((0..<10).map { batch.frame($0).last! } == (0..<10).map { UInt8($0) })
        let c = a.interface(named: "shmif0")!.counters
        #expect(c.opackets == 11 && c.oerrors == 0)
    }

    /// The same middleware around a shmif device: two stacks on a real bus file, A's transmit
    /// side losing everything, then nothing.
    @Test func faultInjectorWrapsShmifDevicesToo() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let bus = dir.file("bus")
        let clock = VirtualClock()
        let a = NetStack(clock: clock, seed: 41), b = NetStack(clock: clock, seed: 42)
        for (s, addr) in [(a, "10.0.0.1"), (b, "10.0.0.2")] {
            try s.createInterface(name: "shmif0")
            try s.setLinkString(name: "shmif0", bus)
            try s.addAddress(name: "shmif0", IPv4Address(addr)!, netmask: 0xFFFF_FF00)
        }
        var injector: FaultInjector!
        try a.wrapDevice(name: "shmif0") { d in
            injector = FaultInjector(wrapping: d, dropPercent: 100, seed: 1, directions: .transmit)
            return injector
        }
        #expect(a.interface(named: "shmif0")!.device.linkString == bus, "the wrapper shows the device's linkstr")
        let fd = try rawICMPSocket(a)
        func exchange() -> Int {
            var replies = 0
            for _ in 0..<50 {
                _ = a.pollDevices() + b.pollDevices()
                a.poll(); b.poll()
                replies += Ping.drain(a, fd).filter { $0.type == ICMPType.echoReply }.count
                clock.advance(nanoseconds: 1_000_000)
            }
            return replies
        }
        try Ping.send(a, fd, to: "10.0.0.2", seq: 1)
        #expect(exchange() == 0)
        #expect(injector.dropped >= 1)  // the ARP request
        #expect(b.arpStats.received == 0)
        try a.wrapDevice(name: "shmif0") { _ in injector.inner }  // unwrapped again
        try Ping.send(a, fd, to: "10.0.0.2", seq: 2)
        #expect(exchange() == 1)
    }

    @Test func faultSpecParsesTheTestHookAndNamesEachMistake() throws {
        let specs = try FaultSpec.parseList("shmif0:drop=5,reorder=2,seed=1;virt0:drop=0.5,dir=rx,hold=3")
        #expect(specs.count == 2)
        #expect(specs[0].interface == "shmif0" && specs[0].dropPercent == 5 && specs[0].reorderPercent == 2 && specs[0].seed == 1)
        #expect(specs[1].dropPercent == 0.5 && specs[1].receive && !specs[1].transmit && specs[1].holdMilliseconds == 3)
        for (text, message) in [
            ("shmif0", "RUMPNET_FAULT: \"shmif0\": expected INTERFACE:key=value,... (e.g. shmif0:drop=5,seed=1)"),
            ("shmif0:drop=101", "RUMPNET_FAULT: \"shmif0:drop=101\": drop=101: not a percentage (0...100)"),
            ("shmif0:loss=1", "RUMPNET_FAULT: \"shmif0:loss=1\": unknown key \"loss\" (drop, reorder, seed, dir, hold)"),
            ("shmif0:seed=-1", "RUMPNET_FAULT: \"shmif0:seed=-1\": seed=-1: not an unsigned integer"),
            ("shmif0:dir=up", "RUMPNET_FAULT: \"shmif0:dir=up\": dir=up: expected rx, tx or both"),
            ("a:drop=1;a:drop=2", "RUMPNET_FAULT: \"a:drop=2\": interface a given twice"),
        ] {
            #expect(throws: FaultSpec.ParseError(description: message)) { try FaultSpec.parseList(text) }
        }
    }

    /// What TCP's tests will do: 5 % loss and 2 % reordering both ways on one side, and the
    /// bytes still arrive whole and in order (retransmission and reassembly do their work).
    @Test func tcpDeliversEveryByteThroughDropsAndReordering() throws {
        let pair = try TCPPair(seed: 9)
        let (c, s) = try pair.connected()
        var injector: FaultInjector!
        try pair.a.wrapDevice(name: "shmif0") { d in
            injector = FaultInjector(wrapping: d, dropPercent: 5, reorderPercent: 2, seed: 11)
            return injector
        }
        let data = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let got = try pair.transfer(data, from: c, to: s)
        #expect(got.count == data.count)
        #expect(got == data)
        #expect(injector.dropped > 0 && injector.reordered > 0)
    }
}
