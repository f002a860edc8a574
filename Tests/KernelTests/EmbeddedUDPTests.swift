import XCTest
import KernelStack
import RumpKernel
import RumpNet
import RumpProtocol
import TestSupport

/// UDP through the syscall layer of embedded kernels, on virtual time: what a client of a
/// kernel server sees (replies, errno, addresses, readiness), not the stack's internals.
final class EmbeddedUDPTests: XCTestCase {
    typealias NetBSD = RumpProtocol.NetBSD
    static let ms: UInt64 = 1_000_000

    var lab: EmbeddedLab!
    var a: EmbeddedKernel!
    var b: EmbeddedKernel!
    var link: MemoryLink!

    override func setUpWithError() throws {
        lab = EmbeddedLab()
        link = lab.link()
        a = lab.kernel(seed: 11)
        b = lab.kernel(seed: 12)
        try configure(a, "10.0.0.1")
        try configure(b, "10.0.0.2")
    }

    override func tearDown() {
        for k in lab.kernels { k.kernel.halt() }
        lab = nil; a = nil; b = nil; link = nil
    }

    func configure(_ k: EmbeddedKernel, _ address: String) throws {
        try k.configure(address, on: link, broadcast: "10.0.0.255")
    }

    func udp(_ c: EmbeddedClient, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        if case .success(.fd(let f))? = c.call(.socket(domain: Int32(NetBSD.AF_INET), type: NetBSD.SOCK_DGRAM, protocol: 0)) { return f }
        XCTFail("socket(AF_INET, SOCK_DGRAM) failed", file: file, line: line)
        return -1
    }

    func int(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    func counter(_ k: EmbeddedKernel, _ name: String) -> UInt64? {
        guard case .success(.counters(let l))? = k.client().call(.statistics) else { return nil }
        return l.first { $0.name == name }?.value
    }

    // MARK: request / response

    func testRequestAndResponseWithAddressesAndPorts() {
        let server = b.client(name: "server"), client = a.client(name: "client")
        let ss = udp(server), cs = udp(client)
        XCTAssertEqual(server.call(.bind(fd: ss, address: ip("0.0.0.0", port: 7))), .success(.none))
        XCTAssertEqual(server.call(.getsockname(fd: ss)), .success(.address(ip("0.0.0.0", port: 7))))
        let t0 = lab.now
        let wait = server.send(.recvfrom(fd: ss, maxLength: 1500, flags: 0, timeout: -1))
        lab.run()
        XCTAssertNil(server.response(wait))

        XCTAssertEqual(client.call(.sendto(fd: cs, data: Array("hello".utf8), flags: 0, address: ip("10.0.0.2", port: 7), timeout: -1)),
                       .success(.count(5)))
        guard case .success(.address(let local))? = client.call(.getsockname(fd: cs)) else { return XCTFail("getsockname") }
        XCTAssertEqual(local.ipv4?.bytes, [0, 0, 0, 0], "an unconnected socket keeps the wildcard address")
        XCTAssertTrue((49152...65535).contains(local.port), "ephemeral port \(local.port) from anonportmin/max")
        guard let r = server.response(wait), case .success(.dataFrom(let d, let from)) = r.result else {
            return XCTFail("server got nothing: \(String(describing: server.response(wait)))")
        }
        XCTAssertEqual(d, Array("hello".utf8))
        XCTAssertEqual(from, ip("10.0.0.1", port: local.port))
        XCTAssertEqual(r.time, t0)

        XCTAssertEqual(server.call(.sendto(fd: ss, data: Array("HELLO".utf8), flags: 0, address: from, timeout: -1)), .success(.count(5)))
        XCTAssertEqual(client.call(.recvfrom(fd: cs, maxLength: 100, flags: 0, timeout: 1000)),
                       .success(.dataFrom(Array("HELLO".utf8), from: ip("10.0.0.2", port: 7))))
        XCTAssertEqual(counter(b, "udp.ipackets"), 1)
        XCTAssertEqual(counter(b, "udp.opackets"), 1)
    }

    /// Port unreachable comes back as ECONNREFUSED on the next call of the connected socket,
    /// waking the call parked on it; SO_ERROR shows it once.
    func testPortUnreachableBecomesECONNREFUSEDOnTheConnectedSocket() {
        let c = a.client()
        let s = udp(c)
        XCTAssertEqual(c.call(.connect(fd: s, address: ip("10.0.0.2", port: 9), timeout: -1)), .success(.none))
        XCTAssertEqual(c.call(.getpeername(fd: s)), .success(.address(ip("10.0.0.2", port: 9))))
        guard case .success(.address(let me))? = c.call(.getsockname(fd: s)) else { return XCTFail() }
        XCTAssertEqual(me.ipv4?.bytes, [10, 0, 0, 1], "connect chose the route's source address")
        let sendID = c.send(.send(fd: s, data: [1], flags: 0, timeout: -1))
        let recvID = c.send(.recv(fd: s, maxLength: 10, flags: 0, timeout: -1))
        lab.run()
        XCTAssertEqual(c.response(sendID)?.result, .success(.count(1)))
        XCTAssertEqual(c.response(recvID)?.result, .failure(KernelError(.ECONNREFUSED)), "the parked recv is woken by the error")
        XCTAssertEqual(c.call(.getsockopt(fd: s, level: NetBSD.SOL_SOCKET, name: NetBSD.SO_ERROR, maxLength: 4)), .success(.data(int(0))),
                       "the error was returned once")
        // Again, read through SO_ERROR this time.
        XCTAssertEqual(c.call(.send(fd: s, data: [2], flags: 0, timeout: -1)), .success(.count(1)))
        XCTAssertEqual(c.call(.getsockopt(fd: s, level: NetBSD.SOL_SOCKET, name: NetBSD.SO_ERROR, maxLength: 4)),
                       .success(.data(int(NetBSDErrno.ECONNREFUSED.rawValue))))
        XCTAssertEqual(counter(b, "udp.noport"), 2)
        let other = a.client()
        XCTAssertEqual(other.call(.getpeername(fd: udp(other))), .failure(KernelError(.ENOTCONN)))
    }

    func testAddressInUseAndEphemeralPortsRunningOut() {
        let c = a.client()
        let s1 = udp(c), s2 = udp(c)
        XCTAssertEqual(c.call(.bind(fd: s1, address: ip("10.0.0.1", port: 5000))), .success(.none))
        XCTAssertEqual(c.call(.bind(fd: s2, address: ip("10.0.0.1", port: 5000))), .failure(KernelError(.EADDRINUSE)))
        XCTAssertEqual(c.call(.bind(fd: s2, address: ip("10.9.9.9", port: 5001))), .failure(KernelError(.EADDRNOTAVAIL)))
        XCTAssertEqual(c.call(.bind(fd: s2, address: SocketAddress.inet6(.any))),
                       .failure(KernelError(.EAFNOSUPPORT)))
        // Three ephemeral ports, then none.
        guard case .success? = c.call(.sysctlSet(name: "net.inet.ip.anonportmin", value: "40000")),
              case .success? = c.call(.sysctlSet(name: "net.inet.ip.anonportmax", value: "40002")) else { return XCTFail("sysctl") }
        var ports: [UInt16] = []
        for _ in 0..<3 {
            let s = udp(c)
            XCTAssertEqual(c.call(.bind(fd: s, address: ip("0.0.0.0"))), .success(.none))
            if case .success(.address(let a))? = c.call(.getsockname(fd: s)) { ports.append(a.port) }
        }
        XCTAssertEqual(ports.sorted(), [40000, 40001, 40002])
        let last = udp(c)
        XCTAssertEqual(c.call(.bind(fd: last, address: ip("0.0.0.0"))), .failure(KernelError(.EADDRNOTAVAIL)))
        XCTAssertEqual(c.call(.sendto(fd: last, data: [1], flags: 0, address: ip("10.0.0.2", port: 7), timeout: -1)),
                       .failure(KernelError(.EADDRNOTAVAIL)), "an implicit bind finds no port either")
    }

    /// A receive buffer that fills drops the rest and counts each drop in udp.fullsock.
    func testFullReceiveBufferDropsAndCounts() {
        let rc = b.client(), sc = a.client()
        let r = udp(rc), s = udp(sc)
        XCTAssertEqual(rc.call(.bind(fd: r, address: ip("0.0.0.0", port: 2000))), .success(.none))
        // Room for two records of 100 bytes (each costs its data + 16).
        XCTAssertEqual(rc.call(.setsockopt(fd: r, level: NetBSD.SOL_SOCKET, name: 0x1002, value: int(240))), .success(.none))
        XCTAssertEqual(rc.call(.getsockopt(fd: r, level: NetBSD.SOL_SOCKET, name: 0x1002, maxLength: 4)), .success(.data(int(240))))
        for i in 0..<10 {
            XCTAssertEqual(sc.call(.sendto(fd: s, data: [UInt8](repeating: UInt8(i), count: 100), flags: 0, address: ip("10.0.0.2", port: 2000), timeout: -1)),
                           .success(.count(100)))
        }
        var got: [UInt8] = []
        while case .success(.data(let d))? = rc.call(.recv(fd: r, maxLength: 1000, flags: NetBSD.MSG_DONTWAIT, timeout: -1)) { got.append(d[0]) }
        XCTAssertEqual(got, [0, 1])
        XCTAssertEqual(counter(b, "udp.fullsock"), 8)
        XCTAssertEqual(counter(b, "udp.ipackets"), 10)
    }

    func testTruncationAndPeek() {
        let rc = b.client(), sc = a.client()
        let r = udp(rc), s = udp(sc)
        XCTAssertEqual(rc.call(.bind(fd: r, address: ip("0.0.0.0", port: 2001))), .success(.none))
        let payload = (0..<100).map { UInt8($0) }
        for _ in 0..<2 {
            XCTAssertEqual(sc.call(.sendto(fd: s, data: payload, flags: 0, address: ip("10.0.0.2", port: 2001), timeout: -1)), .success(.count(100)))
        }
        XCTAssertEqual(rc.call(.recv(fd: r, maxLength: 1000, flags: NetBSD.MSG_PEEK, timeout: -1)), .success(.data(payload)), "peek leaves it queued")
        guard case .success(.message(let d, let from, let flags))? = rc.call(.recvmsg(fd: r, maxLength: 10, flags: 0, timeout: -1)) else {
            return XCTFail("recvmsg")
        }
        XCTAssertEqual(d, Array(payload.prefix(10)))
        XCTAssertEqual(from?.ipv4?.bytes, [10, 0, 0, 1])
        XCTAssertEqual(flags & NetBSD.MSG_TRUNC, NetBSD.MSG_TRUNC, "msg_flags says the datagram was cut")
        // The rest of a cut datagram is gone: the next receive is the second datagram, whole.
        guard case .success(.message(let d2, _, let f2))? = rc.call(.recvmsg(fd: r, maxLength: 1000, flags: 0, timeout: -1)) else { return XCTFail() }
        XCTAssertEqual(d2, payload)
        XCTAssertEqual(f2, 0)
    }

    /// A broadcast reaches every socket bound to its port, in each kernel on the link; without
    /// SO_BROADCAST the sender gets EACCES.
    func testBroadcastReachesEveryBoundSocket() throws {
        let c3 = lab.kernel(seed: 13)
        try configure(c3, "10.0.0.3")
        var receivers: [(EmbeddedClient, Int32, UInt32)] = []
        for (k, reuse) in [(b!, true), (b!, true), (c3, false)] {
            let cl = k.client(name: "rx")
            let s = udp(cl)
            if reuse { XCTAssertEqual(cl.call(.setsockopt(fd: s, level: NetBSD.SOL_SOCKET, name: 0x0200, value: int(1))), .success(.none)) }
            XCTAssertEqual(cl.call(.bind(fd: s, address: ip("0.0.0.0", port: 3000))), .success(.none))
            receivers.append((cl, s, cl.send(.recvfrom(fd: s, maxLength: 100, flags: 0, timeout: -1))))
        }
        lab.run()
        let tx = a.client()
        let s = udp(tx)
        XCTAssertEqual(tx.call(.sendto(fd: s, data: [42], flags: 0, address: ip("10.0.0.255", port: 3000), timeout: -1)),
                       .failure(KernelError(.EACCES)))
        XCTAssertEqual(tx.call(.setsockopt(fd: s, level: NetBSD.SOL_SOCKET, name: 0x0020, value: int(1))), .success(.none))
        XCTAssertEqual(tx.call(.sendto(fd: s, data: [42], flags: 0, address: ip("10.0.0.255", port: 3000), timeout: -1)), .success(.count(1)))
        for (cl, _, id) in receivers {
            guard case .success(.dataFrom(let d, let from))? = cl.response(id)?.result else { return XCTFail("a bound socket missed the broadcast") }
            XCTAssertEqual(d, [42])
            XCTAssertEqual(from.ipv4?.bytes, [10, 0, 0, 1])
        }
    }

    /// Two clients poll two UDP sockets; a datagram to one answers only that poll.
    func testPollWakesOnlyTheRightCaller() {
        let one = b.client(name: "one"), two = b.client(name: "two")
        let s1 = udp(one), s2 = udp(two)
        XCTAssertEqual(one.call(.bind(fd: s1, address: ip("0.0.0.0", port: 1001))), .success(.none))
        XCTAssertEqual(two.call(.bind(fd: s2, address: ip("0.0.0.0", port: 1002))), .success(.none))
        let p1 = one.send(.poll(items: [PollItem(fd: s1, events: NetBSD.POLLIN)], timeout: 5000))
        let p2 = two.send(.poll(items: [PollItem(fd: s2, events: NetBSD.POLLIN)], timeout: 5000))
        lab.run()
        let t0 = lab.now
        let before = b.kernel.parkedCallAttempts
        let tx = a.client()
        lab.advance(milliseconds: 10)
        XCTAssertEqual(tx.call(.sendto(fd: udp(tx), data: [1], flags: 0, address: ip("10.0.0.2", port: 1001), timeout: -1)), .success(.count(1)))
        XCTAssertEqual(one.response(p1)?.result, .success(.poll([PollItem(fd: s1, events: NetBSD.POLLIN, revents: NetBSD.POLLIN)])))
        XCTAssertEqual(one.response(p1)?.time, lab.now)
        XCTAssertNil(two.response(p2))
        XCTAssertEqual(b.kernel.parkedCallAttempts - before, 1, "the other poll was not retried")
        // The other poll times out at its own deadline, with nothing ready.
        lab.advance(milliseconds: 4989)
        XCTAssertNil(two.response(p2), "1 ms before its deadline")
        lab.advance(milliseconds: 1)
        XCTAssertEqual(two.response(p2)?.result, .success(.poll([PollItem(fd: s2, events: NetBSD.POLLIN)])))
        XCTAssertEqual(two.response(p2)?.time, t0 + 5000 * Self.ms)
    }

    /// poll over several descriptors answers once, naming what is ready; a bad descriptor is
    /// POLLNVAL at once.
    func testPollOverManyDescriptors() {
        let c = b.client()
        let socks = (0..<5).map { _ in udp(c) }
        for (i, s) in socks.enumerated() { XCTAssertEqual(c.call(.bind(fd: s, address: ip("0.0.0.0", port: UInt16(4000 + i)))), .success(.none)) }
        let items = socks.map { PollItem(fd: $0, events: NetBSD.POLLIN) }
        let id = c.send(.poll(items: items, timeout: -1))
        lab.run()
        XCTAssertNil(c.response(id))
        let tx = a.client()
        XCTAssertEqual(tx.call(.sendto(fd: udp(tx), data: [1], flags: 0, address: ip("10.0.0.2", port: 4003), timeout: -1)), .success(.count(1)))
        var expected = items
        expected[3].revents = NetBSD.POLLIN
        XCTAssertEqual(c.response(id)?.result, .success(.poll(expected)))
        XCTAssertEqual(b.kernel.parkedCallCount, 0, "the poll left every queue it was on")
        XCTAssertEqual(c.call(.poll(items: [PollItem(fd: 99, events: NetBSD.POLLIN)], timeout: -1)),
                       .success(.poll([PollItem(fd: 99, events: NetBSD.POLLIN, revents: NetBSD.POLLNVAL)])))
    }

    /// shutdown wakes a poll parked on the socket: reading is over (POLLIN, end of file), and
    /// after both directions the socket hangs up.
    func testShutdownWakesPollWithHangUp() {
        let c = b.client()
        let s = udp(c)
        XCTAssertEqual(c.call(.bind(fd: s, address: ip("0.0.0.0", port: 4100))), .success(.none))
        let id = c.send(.poll(items: [PollItem(fd: s, events: NetBSD.POLLIN)], timeout: -1))
        lab.run()
        XCTAssertNil(c.response(id))
        XCTAssertEqual(c.call(.shutdown(fd: s, how: 2)), .success(.none))
        guard case .success(.poll(let r))? = c.response(id)?.result else { return XCTFail("poll not woken by shutdown") }
        XCTAssertEqual(r.first.map { $0.revents & NetBSD.POLLHUP }, NetBSD.POLLHUP)
        XCTAssertEqual(c.call(.recv(fd: s, maxLength: 10, flags: 0, timeout: -1)), .success(.data([])), "end of file")
        XCTAssertEqual(c.call(.send(fd: s, data: [1], flags: 0, timeout: -1)), .failure(KernelError(.EPIPE)))
    }

    /// A parked recvfrom on a UDP socket times out exactly at its deadline; a datagram that
    /// comes one millisecond earlier is delivered instead.
    func testParkedRecvfromDeadline() {
        let c = b.client()
        let s = udp(c)
        XCTAssertEqual(c.call(.bind(fd: s, address: ip("0.0.0.0", port: 4200))), .success(.none))
        let t0 = lab.now
        let timedOut = c.send(.recvfrom(fd: s, maxLength: 10, flags: 0, timeout: 100))
        lab.advance(by: 100 * Self.ms - 1)
        XCTAssertNil(c.response(timedOut))
        lab.advance(by: 1)
        XCTAssertEqual(c.response(timedOut)?.result, .failure(KernelError(.EAGAIN)))
        XCTAssertEqual(c.response(timedOut)?.time, t0 + 100 * Self.ms)

        let answered = c.send(.recvfrom(fd: s, maxLength: 10, flags: 0, timeout: 100))
        lab.advance(milliseconds: 99)
        let tx = a.client()
        XCTAssertEqual(tx.call(.sendto(fd: udp(tx), data: [7], flags: 0, address: ip("10.0.0.2", port: 4200), timeout: -1)), .success(.count(1)))
        guard case .success(.dataFrom(let d, _))? = c.response(answered)?.result else { return XCTFail("not delivered before the deadline") }
        XCTAssertEqual(d, [7])
        XCTAssertEqual(c.response(answered)?.time, t0 + 199 * Self.ms)
        lab.advance(milliseconds: 10)
        XCTAssertEqual(c.responses.filter { $0.id == answered }.count, 1, "its timer was cancelled: one answer only")
    }

    /// A thousand parked receives on UDP sockets, then the client dies: no parked call, no
    /// socket in the kernel or the stack, no port still bound.
    func testDisconnectLeavesNoParkedCallNoSocketNoPort() {
        let c = b.client(name: "flood")
        var fds: [Int32] = []
        for i in 0..<20 {
            let s = udp(c)
            XCTAssertEqual(c.call(.bind(fd: s, address: ip("0.0.0.0", port: UInt16(6000 + i)))), .success(.none))
            fds.append(s)
        }
        for i in 0..<1000 { c.send(.recvfrom(fd: fds[i % fds.count], maxLength: 1500, flags: 0, timeout: i % 3 == 0 ? 30_000 : -1)) }
        lab.run()
        XCTAssertEqual(b.kernel.parkedCallCount, 1000)
        XCTAssertEqual(b.netStack.socketCount, 20)
        c.disconnect()
        XCTAssertEqual(b.kernel.parkedCallCount, 0)
        XCTAssertEqual(b.kernel.openSocketCount, 0)
        XCTAssertEqual(b.netStack.socketCount, 0)
        // The ports are free again.
        let d = b.client()
        let s = udp(d)
        XCTAssertEqual(d.call(.bind(fd: s, address: ip("0.0.0.0", port: 6000))), .success(.none))
        lab.advance(milliseconds: 31_000)
        XCTAssertEqual(c.responses.count, 40, "sockets and binds only; no parked call ever answered")
    }

    /// A blocking send of a datagram too large for the send buffer fails whole (EMSGSIZE), it
    /// does not wait.
    func testOversizedBlockingSendFailsAtOnce() {
        let c = a.client()
        let s = udp(c)
        XCTAssertEqual(c.call(.setsockopt(fd: s, level: NetBSD.SOL_SOCKET, name: 0x1001, value: int(512))), .success(.none))
        XCTAssertEqual(c.call(.sendto(fd: s, data: [UInt8](repeating: 0, count: 513), flags: 0, address: ip("10.0.0.2", port: 7), timeout: -1)),
                       .failure(KernelError(.EMSGSIZE)))
        XCTAssertEqual(a.kernel.parkedCallCount, 0)
        XCTAssertEqual(c.call(.setsockopt(fd: s, level: 0, name: 4, value: int(7))), .success(.none))
        XCTAssertEqual(c.call(.getsockopt(fd: s, level: 0, name: 4, maxLength: 4)), .success(.data(int(7))))
        XCTAssertEqual(c.call(.getsockopt(fd: s, level: NetBSD.SOL_SOCKET, name: 0x1008, maxLength: 4)), .success(.data(int(NetBSD.SOCK_DGRAM))))
        XCTAssertEqual(c.call(.getsockopt(fd: s, level: 41, name: 1, maxLength: 4)), .failure(KernelError(.ENOPROTOOPT)))
    }
}

/// Embedded kernels joined by a real shmif bus file instead of an in-memory link: the embedded
/// loop polls the buses' inotify descriptors without waiting, so frames still cross at once
/// in virtual time.
final class EmbeddedBusTests: XCTestCase {
    typealias NetBSD = RumpProtocol.NetBSD

    func testUDPOverARealBusFileOnVirtualTime() throws {
        let scratch = TemporaryDirectory(prefix: "ebus-")
        defer { scratch.remove() }
        let bus = scratch.path + "/bus"
        let lab = EmbeddedLab()
        let a = lab.kernel(seed: 21), b = lab.kernel(seed: 22)
        defer { a.kernel.halt(); b.kernel.halt() }
        func ip(_ s: String, port: UInt16 = 0) -> SocketAddress {
            SocketAddress.inet(IPv4Address(s)!, port: port)
        }
        for (k, addr) in [(a, "10.1.0.1"), (b, "10.1.0.2")] {
            let c = k.client(name: "ifconfig")
            XCTAssertEqual(c.call(.ifCreate(name: "shmif0")), .success(.none))
            XCTAssertEqual(c.call(.ifSetLinkstr(name: "shmif0", linkstr: bus)), .success(.none))
            XCTAssertEqual(c.call(.ifAddAddress(name: "shmif0", address: InterfaceAddress(address: ip(addr), netmask: ip("255.255.255.0")), alias: false)),
                           .success(.none))
            XCTAssertEqual(c.call(.ifSetFlags(name: "shmif0", set: IFF.UP, clear: 0)), .success(.none))
        }
        let server = b.client(), client = a.client()
        guard case .success(.fd(let ss))? = server.call(.socket(domain: 2, type: NetBSD.SOCK_DGRAM, protocol: 0)),
              case .success(.fd(let cs))? = client.call(.socket(domain: 2, type: NetBSD.SOCK_DGRAM, protocol: 0)) else { return XCTFail() }
        XCTAssertEqual(server.call(.bind(fd: ss, address: ip("0.0.0.0", port: 53))), .success(.none))
        let t0 = lab.now
        let wait = server.send(.recvfrom(fd: ss, maxLength: 512, flags: 0, timeout: 2000))
        XCTAssertEqual(client.call(.sendto(fd: cs, data: [1, 2, 3], flags: 0, address: ip("10.1.0.2", port: 53), timeout: -1)), .success(.count(3)))
        guard let r = server.response(wait), case .success(.dataFrom(let d, let from)) = r.result else {
            return XCTFail("nothing crossed the bus: \(String(describing: server.response(wait)))")
        }
        XCTAssertEqual(d, [1, 2, 3])
        XCTAssertEqual(from.ipv4?.bytes, [10, 1, 0, 1])
        XCTAssertEqual(r.time, t0, "no virtual time passes on the bus either")
        // The frames are in the bus file: shmif_dumpbus sees ARP and the datagram (14 + 20 + 8 + 3 bytes).
        let dump = runTool([executable("shmif_dumpbus"), bus], rumpServer: nil)
        XCTAssertEqual(dump.status, 0)
        XCTAssertTrue(dump.stdout.split(separator: "\n").last?.contains("length 0x002d") == true, dump.stdout)
    }
}

/// The seed fixes a kernel's stack: two labs with the same seeds give the same MACs and the
/// same ephemeral ports; another seed other ones.
final class EmbeddedSeedTests: XCTestCase {
    func fingerprint(seed: UInt64) -> ([UInt8], [UInt16]) {
        let lab = EmbeddedLab()
        let k = lab.kernel(seed: seed)
        defer { k.kernel.halt() }
        let c = k.client()
        XCTAssertEqual(c.call(.ifCreate(name: "shmif0")), .success(.none))
        guard case .success(.interfaces(let l))? = c.call(.ifGet(name: "shmif0")) else { XCTFail("ifGet"); return ([], []) }
        var ports: [UInt16] = []
        for _ in 0..<3 {
            guard case .success(.fd(let s))? = c.call(.socket(domain: 2, type: RumpProtocol.NetBSD.SOCK_DGRAM, protocol: 0)) else { continue }
            XCTAssertEqual(c.call(.bind(fd: s, address: .inet(IPv4Address(0, 0, 0, 0)))), .success(.none))
            if case .success(.address(let a))? = c.call(.getsockname(fd: s)) { ports.append(a.port) }
        }
        return (l.first?.linkAddress ?? [], ports)
    }

    func testSameSeedSameStack() {
        let a = fingerprint(seed: 99), b = fingerprint(seed: 99), c = fingerprint(seed: 100)
        XCTAssertEqual(a.0.count, 6)
        XCTAssertEqual(a.1.count, 3)
        XCTAssertEqual(a.0, b.0)
        XCTAssertEqual(a.1, b.1)
        XCTAssertNotEqual(a.0, c.0)
    }
}
