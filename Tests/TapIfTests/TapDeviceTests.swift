import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RumpNet
import Shmif
@testable import TapIf
import TestSupport
import Testing

/// A stack in this process on a real host tap, with Linux's stack in a namespace the test
/// creates on the other side (as root). The test's own loop waits on the tap's descriptor.
final class TapFixture {
    let clock = RealClock()
    let stack: NetStack
    let namespace: TestNamespace
    let tap: String
    let name: String

    init(tag: String, unit: Int = 0, subnet: Int) throws {
        tap = "tdev\(getpid())\(tag)"
        name = "virt\(unit)"
        stack = NetStack(clock: clock, seed: UInt64(subnet), kinds: [.virt])
        namespace = try TestNamespace("dev\(getpid())-\(tag)")
        try stack.createInterface(name: name)
        try stack.setLinkString(name: name, tap)
        try namespace.adopt(tap)
        try namespace.ip(["addr", "add", "10.9.\(subnet).2/24", "dev", tap])
        try namespace.ip(["link", "set", tap, "up"])
        try stack.addAddress(name: name, IPv4Address("10.9.\(subnet).1")!, netmask: 0xFFFF_FF00)
    }

    deinit {
        try? stack.setUp(name: name, false)
        try? stack.destroyInterface(name: name)
    }

    var ifp: NetInterface { stack.interface(named: name)! }
    var mac: String { ifp.linkAddress.description }

    /// Serves the tap until `done` says so (at most `limit` seconds): poll(2) on its
    /// descriptor, the stack's input and timers.
    func serve(limit: Double = 10, until done: () -> Bool) {
        let end = Date().addingTimeInterval(limit)
        while !done() && Date() < end {
            guard let fd = stack.inputDescriptors.first?.fd else { return }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 10)
            stack.pollDevices()
            stack.poll()
        }
    }

    /// Linux's MAC on the tap.
    func linuxMAC() throws -> String {
        let out = try namespace.ip(["-o", "link", "show", tap]).stdout
        return String(out.components(separatedBy: "link/ether ")[1].prefix(17))
    }
}

/// A monotonic clock for a stack driven in real time.
final class RealClock: NetClock {
    var now: UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

@Suite(.serialized) struct TapDeviceTests {
    @Test func virtHasNetBSDsMACAndNamingAndGoesAwayWithItsInterface() throws {
        let stack = NetStack(clock: RealClock(), seed: 5, kinds: [.virt])
        #expect(stack.clonerFamilies == ["lo", "virt"])
        let unit = 20000 + Int(getpid()) % 10000
        let ifp = try stack.createInterface(name: "virt\(unit)")
        let bytes = ifp.linkAddress.bytes
        #expect(bytes[0] == 0xB2 && bytes[1] == 0x0A && bytes[3] == 0x0B && bytes[4] == 0x0E && bytes[5] == UInt8(unit & 0xFF))
        #expect(ifp.flags == [.broadcast, .simplex, .multicast] && ifp.mtu == 1500)
        #expect(throws: Errno.ENOENT) { try stack.linkString(name: "virt\(unit)") }
        try stack.setUp(name: "virt\(unit)", true)
        #expect(try stack.linkString(name: "virt\(unit)") == "tun\(unit)")
        #expect(try TestSupport.run("/usr/sbin/ip", ["link", "show", "tun\(unit)"]).status == 0)
        #expect(throws: Errno.EBUSY) { try stack.destroyInterface(name: "virt\(unit)") }
        try stack.setUp(name: "virt\(unit)", false)
        try stack.destroyInterface(name: "virt\(unit)")
        #expect(try TestSupport.run("/usr/sbin/ip", ["link", "show", "tun\(unit)"]).status != 0, "closing the tap removes it")
    }

    @Test func linuxPingsTheStackAndLearnsItsMAC() throws {
        let f = try TapFixture(tag: "p", subnet: 3)
        let ping = try f.namespace.start(["ping", "-c", "3", "-i", "0.2", "-W", "2", "10.9.3.1"])
        f.serve { !ping.process.isRunning }
        let r = ping.finish(timeout: 5)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("3 received"))
        #expect(try f.namespace.exec(["ip", "neigh", "show", "10.9.3.1"]).stdout.contains("lladdr \(f.mac)"))
        let c = f.ifp.counters
        #expect(c.ipackets >= 4 && c.opackets >= 4)  // ARP request/reply and three echoes each way
    }

    /// Frames that wait in the tap are all read by one poll (read until EAGAIN), in order.
    @Test func onePollReadsEveryWaitingFrameInOrder() throws {
        let f = try TapFixture(tag: "b", subnet: 4)
        try f.namespace.ip(["neigh", "replace", "10.9.4.1", "lladdr", f.mac, "dev", f.tap, "nud", "permanent"])
        let server = try f.stack.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_DGRAM, protocol: 0)
        try f.stack.bind(server, to: SocketEndpoint(IPv4Address("0.0.0.0")!, 9))
        f.stack.pollDevices()  // whatever Linux sent when the tap came up
        let send = """
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(40): s.sendto(bytes([i]) * 100, ("10.9.4.1", 9))
        """
        let r = try f.namespace.exec(["python3", "-c", send])
        #expect(r.status == 0, "\(r)")
        let taken = f.stack.pollDevices()
        #expect(taken >= 40)
        var order: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 2048)
        while let d = try? buf.withUnsafeMutableBytes({ try f.stack.receive(server, into: $0) }) {
            #expect(d.copied == 100)
            order.append(buf[0])
        }
        #expect(order == (0..<40).map { UInt8($0) })
    }

    /// Our frames reach Linux whole: a UDP receiver in the namespace gets every datagram.
    @Test func framesWrittenToTheTapArriveWhole() throws {
        let f = try TapFixture(tag: "w", subnet: 5)
        try f.stack.arpSet(IPv4Address("10.9.5.2")!, mac: MACAddress(try f.linuxMAC())!, permanent: true)
        let receive = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("10.9.5.2", 9)); s.settimeout(5)
        print("ready", flush=True)
        for i in range(10):
            d = s.recv(2048); print(len(d), d[0], flush=True)
        """
        let receiver = try f.namespace.start(["python3", "-c", receive])
        #expect(receiver.readLine() == "ready")
        let client = try f.stack.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_DGRAM, protocol: 0)
        for i in 0..<10 {
            let payload = [UInt8](repeating: UInt8(i), count: 1400 + i)
            _ = try payload.withUnsafeBytes { try f.stack.send(client, $0, to: SocketEndpoint(IPv4Address("10.9.5.2")!, 9)) }
        }
        let r = receiver.finish(timeout: 10)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.split(separator: "\n") == (0..<10).map { "\(1400 + $0) \($0)"[...] })
        #expect(f.ifp.counters.oerrors == 0)
    }

    /// The test middleware around a tap, as around shmif and memory devices.
    @Test func faultInjectorWrapsATapDevice() throws {
        let f = try TapFixture(tag: "f", subnet: 6)
        var injector: FaultInjector!
        try f.stack.wrapDevice(name: f.name) { d in
            injector = FaultInjector(wrapping: d, dropPercent: 100, seed: 2, directions: .receive)
            return injector
        }
        let lost = try f.namespace.start(["ping", "-c", "2", "-i", "0.2", "-W", "1", "10.9.6.1"])
        f.serve { !lost.process.isRunning }
        #expect(lost.finish(timeout: 5).stdout.contains("2 packets transmitted, 0 received"))
        #expect(injector.dropped >= 2 && injector.dropped == injector.framesReceived)
        try f.stack.wrapDevice(name: f.name) { _ in injector.inner }
        let ok = try f.namespace.start(["ping", "-c", "2", "-i", "0.2", "-W", "2", "10.9.6.1"])
        f.serve { !ok.process.isRunning }
        #expect(ok.finish(timeout: 5).stdout.contains("2 received"))
    }

    @Test func errorsSayWhatIsWrong() throws {
        let missing = TapDevice(unit: 0, name: "virt0", clonePath: "/nonexistent/tun-\(getpid())")
        var lines: [String] = []
        missing.hooks = DeviceHooks(name: "virt0", log: { lines.append($0) })
        #expect(throws: Errno.ENOENT) { try missing.setLinkString("tdev\(getpid())e") }
        #expect(lines == ["virt0: cannot open /nonexistent/tun-\(getpid()): No such file or directory (no tun/tap driver on this host: modprobe tun)"])
        #expect(TapError(name: "t0", clonePath: "/dev/net/tun", step: .setInterface, errno: EPERM).description
                == "tap t0: Operation not permitted: a tap needs root or CAP_NET_ADMIN")
        // "lo" exists and is not a tap.
        let lo = TapDevice(unit: 1, name: "virt1")
        #expect(throws: Errno.EINVAL) { try lo.setLinkString("lo") }
        #expect(!TapDevice.validHostName("") && !TapDevice.validHostName("a/b") && !TapDevice.validHostName("sixteen-chars-xx"))
        #expect(TapDevice.validHostName("tap0"))
    }
}
