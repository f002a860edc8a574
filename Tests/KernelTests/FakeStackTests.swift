import XCTest
@testable import RumpKernel
import RumpProtocol

/// A toy NetworkStack: datagram sockets delivered in memory by port, plus lo0. It shows the
/// plug-in contract (EAGAIN to park, socketsChanged to wake, sysctl registration) and lets
/// the kernel's parking, timeouts and descriptor tables be tested in-process.
final class FakeStack: NetworkStack {
    struct Sock { var port: UInt16 = 0; var queue: [([UInt8], SocketAddress)] = [] }
    var sockets: [SocketID: Sock] = [:]
    var next = 1
    weak var kernel: (any KernelServices)?
    var detached = false
    var ttl: Int32 = 64
    /// Stream-like sending: when set for a socket, a send takes at most this many bytes (and
    /// uses them up); 0 is "no room" (EAGAIN). Bytes taken are appended to `streamed`.
    var room: [SocketID: Int] = [:]
    var streamed: [SocketID: [UInt8]] = [:]

    func attach(to kernel: any KernelServices, sysctl: SysctlTree) {
        self.kernel = kernel
        sysctl.add("net.inet.ip.ttl", SysctlLeaf(kind: .int, get: { [unowned self] in .int(self.ttl) },
                                                 set: { [unowned self] (v: SysctlValue) throws(KernelError) in
            guard case .int(let i) = v, (1...255).contains(i) else { throw KernelError(.EINVAL) }
            self.ttl = i
        }))
    }
    func detach() { detached = true }

    func socket(domain: Int32, type: Int32, protocol: Int32) throws(KernelError) -> SocketID {
        guard type == RumpProtocol.NetBSD.SOCK_DGRAM else { throw KernelError(.EPROTONOSUPPORT) }
        defer { next += 1 }
        sockets[next] = Sock()
        return next
    }
    func bind(_ s: SocketID, to address: SocketAddress) throws(KernelError) {
        guard !sockets.values.contains(where: { $0.port == address.port }) else { throw KernelError(.EADDRINUSE) }
        sockets[s]?.port = address.port
    }
    func connect(_ s: SocketID, to address: SocketAddress) throws(KernelError) { throw KernelError(.EOPNOTSUPP) }
    func listen(_ s: SocketID, backlog: Int32) throws(KernelError) { throw KernelError(.EOPNOTSUPP) }
    func accept(_ s: SocketID) throws(KernelError) -> (SocketID, SocketAddress) { throw KernelError(.EOPNOTSUPP) }
    func send(_ s: SocketID, _ data: UnsafeRawBufferPointer, flags: Int32, to: SocketAddress?) throws(KernelError) -> Int {
        if let r = room[s] {
            guard r > 0 else { throw KernelError(.EAGAIN) }
            let n = min(r, data.count)
            room[s] = r - n
            streamed[s, default: []] += data.prefix(n)
            return n
        }
        guard let to else { throw KernelError(.EDESTADDRREQ) }
        guard let dst = sockets.first(where: { $0.value.port == to.port })?.key else { throw KernelError(.ECONNREFUSED) }
        let from = SocketAddress.inet(IPv4Address(127, 0, 0, 1), port: sockets[s]?.port ?? 0)
        sockets[dst]?.queue.append((Array(data), from))
        kernel?.socketChanged(dst)
        return data.count
    }
    func receive(_ s: SocketID, into buffer: inout [UInt8], maxLength: Int, flags: Int32) throws(KernelError) -> ReceivedFrom {
        guard let sock = sockets[s] else { throw KernelError(.EBADF) }
        guard let (d, a) = sock.queue.first else { throw KernelError(.EAGAIN) }
        if flags & RumpProtocol.NetBSD.MSG_PEEK == 0 { sockets[s]?.queue.removeFirst() }
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: d.prefix(maxLength))
        return ReceivedFrom(from: a, flags: d.count > maxLength ? RumpProtocol.NetBSD.MSG_TRUNC : 0)
    }
    func shutdown(_ s: SocketID, how: Int32) throws(KernelError) {}
    func close(_ s: SocketID) { sockets[s] = nil }
    func setOption(_ s: SocketID, level: Int32, name: Int32, value: [UInt8]) throws(KernelError) { throw KernelError(.ENOPROTOOPT) }
    func getOption(_ s: SocketID, level: Int32, name: Int32, maxLength: Int) throws(KernelError) -> [UInt8] { throw KernelError(.ENOPROTOOPT) }
    func localAddress(_ s: SocketID) throws(KernelError) -> SocketAddress { .inet(IPv4Address(127, 0, 0, 1), port: sockets[s]?.port ?? 0) }
    func peerAddress(_ s: SocketID) throws(KernelError) -> SocketAddress { throw KernelError(.ENOTCONN) }
    func readiness(_ s: SocketID) -> Int16 {
        (sockets[s]?.queue.isEmpty ?? true) ? RumpProtocol.NetBSD.POLLOUT : RumpProtocol.NetBSD.POLLIN | RumpProtocol.NetBSD.POLLOUT
    }
    func interfaces() -> [InterfaceInfo] {
        [InterfaceInfo(name: "lo0", index: 1, flags: 0x8049, mtu: 33624,
                       addresses: [InterfaceAddress(address: .inet(IPv4Address(127, 0, 0, 1)), netmask: .inet(IPv4Address(255, 0, 0, 0)))])]
    }
    func cloners() -> [String] { ["lo", "carp"] }
    func createInterface(_ name: String) throws(KernelError) { throw KernelError(.EEXIST) }
    func destroyInterface(_ name: String) throws(KernelError) { throw KernelError(.ENXIO) }
    func setInterfaceFlags(_ name: String, set: UInt32, clear: UInt32) throws(KernelError) {}
    func addAddress(_ name: String, _ address: InterfaceAddress, alias: Bool) throws(KernelError) {}
    func deleteAddress(_ name: String, _ address: SocketAddress) throws(KernelError) {}
    func setMTU(_ name: String, _ mtu: UInt32) throws(KernelError) {}
    func setLinkstr(_ name: String, _ linkstr: String?) throws(KernelError) {}
    func routes(family: UInt8) -> [RouteEntry] { [] }
    func addRoute(_ route: RouteEntry) throws(KernelError) {}
    func changeRoute(_ route: RouteEntry) throws(KernelError) {}
    func deleteRoute(destination: SocketAddress, netmask: SocketAddress?) throws(KernelError) -> RouteEntry { throw KernelError(.ESRCH) }
    func getRoute(destination: SocketAddress) throws(KernelError) -> RouteEntry { throw KernelError(.ESRCH) }
    func flushRoutes(family: UInt8) -> [RouteEntry] { [] }
    func arpEntries() -> [ArpInfo] { [] }
    func setArp(_ entry: ArpInfo) throws(KernelError) {}
    func deleteArp(_ address: SocketAddress) throws(KernelError) {}
}

final class FakeStackTests: XCTestCase {
    var loop: EventLoop!
    var kernel: Kernel!
    var stack: FakeStack!

    override func setUp() {
        loop = EventLoop(embeddedAt: 1_000_000_000)
        let s = FakeStack()
        stack = s
        kernel = Kernel(configuration: KernelConfiguration(components: Set(Component.allCases), ncpu: 2),
                        loop: loop, stackFactory: { _ in s })
    }

    /// Moves the kernel's virtual clock `ms` milliseconds on, running everything due.
    func spin(_ ms: UInt64) {
        loop.advanceTime(by: ms * 1_000_000)
    }

    final class Box { var results: [Result<Reply, KernelError>] = [] }

    func call(_ c: ClientContext, _ q: Request, into box: Box) {
        kernel.handle(q, from: c) { box.results.append($0) }
    }

    func fd(_ r: Result<Reply, KernelError>?) -> Int32 {
        if case .success(.fd(let f))? = r { return f }
        XCTFail("\(String(describing: r))"); return -1
    }

    func testParkedRecvIsWokenBySend() {
        let a = kernel.newClient(), b = kernel.newClient()
        let ra = Box(), rb = Box()
        call(a, .socket(domain: 2, type: 2, protocol: 0), into: ra)
        let fa = fd(ra.results.last)
        XCTAssertEqual(fa, 0)  // lowest free descriptor
        call(a, .bind(fd: fa, address: .inet(IPv4Address(127, 0, 0, 1), port: 7)), into: ra)
        call(a, .recvfrom(fd: fa, maxLength: 100, flags: 0, timeout: -1), into: ra)
        XCTAssertEqual(ra.results.count, 2)  // parked
        call(b, .socket(domain: 2, type: 2, protocol: 0), into: rb)
        let fb = fd(rb.results.last)
        XCTAssertEqual(fb, 0)  // b has its own table
        call(b, .sendto(fd: fb, data: [1, 2, 3], flags: 0, address: .inet(IPv4Address(127, 0, 0, 1), port: 7), timeout: -1), into: rb)
        XCTAssertEqual(rb.results.last, .success(.count(3)))
        spin(5)
        XCTAssertEqual(ra.results.count, 3)
        guard case .success(.dataFrom(let d, _))? = ra.results.last else { return XCTFail() }
        XCTAssertEqual(d, [1, 2, 3])
    }

    func testTimeoutsAndDontWait() {
        let a = kernel.newClient()
        let r = Box()
        call(a, .socket(domain: 2, type: 2, protocol: 0), into: r)
        let f = fd(r.results.last)
        call(a, .recv(fd: f, maxLength: 10, flags: RumpProtocol.NetBSD.MSG_DONTWAIT, timeout: -1), into: r)
        XCTAssertEqual(r.results.last, .failure(KernelError(.EAGAIN)))
        call(a, .recv(fd: f, maxLength: 10, flags: 0, timeout: 30), into: r)
        XCTAssertEqual(r.results.count, 2)
        spin(29)
        XCTAssertEqual(r.results.count, 2, "answered before its deadline")
        spin(1)
        XCTAssertEqual(r.results.last, .failure(KernelError(.EAGAIN)))
        call(a, .poll(items: [PollItem(fd: f, events: 1)], timeout: 20), into: r)
        spin(40)
        XCTAssertEqual(r.results.last, .success(.poll([PollItem(fd: f, events: 1, revents: 0)])))
    }

    func testClientGoneDropsCallsAndSockets() {
        let a = kernel.newClient()
        let r = Box()
        call(a, .socket(domain: 2, type: 2, protocol: 0), into: r)
        let f = fd(r.results.last)
        call(a, .recv(fd: f, maxLength: 10, flags: 0, timeout: 50), into: r)
        kernel.clientGone(a)
        spin(80)
        XCTAssertEqual(r.results.count, 1)  // the parked call never answers a dead client
        XCTAssertTrue(stack.sockets.isEmpty)
        let b = kernel.newClient()
        call(b, .close(fd: 5), into: r)
        XCTAssertEqual(r.results.last, .failure(KernelError(.EBADF)))
    }

    /// Three datagrams in one burst are one wakeup of the socket's waiter, not three.
    func testChangesOfOneSocketInABurstAreOneRetry() {
        let a = kernel.newClient(), b = kernel.newClient()
        let ra = Box(), rb = Box()
        call(a, .socket(domain: 2, type: 2, protocol: 0), into: ra)
        let fa = fd(ra.results.last)
        call(a, .bind(fd: fa, address: .inet(IPv4Address(127, 0, 0, 1), port: 9)), into: ra)
        call(a, .recv(fd: fa, maxLength: 10, flags: 0, timeout: -1), into: ra)
        call(b, .socket(domain: 2, type: 2, protocol: 0), into: rb)
        let fb = fd(rb.results.last)
        for i: UInt8 in 1...3 {
            call(b, .sendto(fd: fb, data: [i], flags: 0, address: .inet(IPv4Address(127, 0, 0, 1), port: 9), timeout: -1), into: rb)
        }
        XCTAssertEqual(kernel.parkedCallAttempts, 0, "nothing retried inside the callback")
        loop.run()
        XCTAssertEqual(kernel.parkedCallAttempts, 1)
        XCTAssertEqual(ra.results.last, .success(.data([1])))
        XCTAssertEqual(kernel.parkedCallCount, 0)
    }

    /// A stack that cannot name the socket: socketsChanged retries every parked call.
    func testSocketsChangedRetriesEveryWaiter() {
        let a = kernel.newClient()
        let r = Box()
        for port: UInt16 in [20, 21] {
            call(a, .socket(domain: 2, type: 2, protocol: 0), into: r)
            let f = fd(r.results.last)
            call(a, .bind(fd: f, address: .inet(IPv4Address(127, 0, 0, 1), port: port)), into: r)
            call(a, .recv(fd: f, maxLength: 10, flags: 0, timeout: -1), into: r)
        }
        XCTAssertEqual(kernel.parkedCallCount, 2)
        kernel.socketsChanged()
        loop.run()
        XCTAssertEqual(kernel.parkedCallAttempts, 2)
        XCTAssertEqual(kernel.parkedCallCount, 2, "nothing to receive: both still parked")
    }

    /// A blocking send completes fully: it takes what there is room for and waits for more.
    /// With a timeout, the part sent so far is the answer; with none sent, EWOULDBLOCK.
    func testBlockingSendCompletesFullyOrAnswersThePartAtItsTimeout() {
        let c = kernel.newClient()
        let r = Box()
        call(c, .socket(domain: 2, type: 2, protocol: 0), into: r)
        let f = fd(r.results.last)
        let s = 1  // the fake stack's first socket
        stack.room[s] = 4
        call(c, .send(fd: f, data: Array(0..<10), flags: 0, timeout: -1), into: r)
        XCTAssertEqual(r.results.count, 1, "4 of 10 bytes taken: parked")
        XCTAssertEqual(stack.streamed[s], [0, 1, 2, 3])
        stack.room[s] = 3
        kernel.socketChanged(s)
        loop.run()
        XCTAssertEqual(r.results.count, 1)
        stack.room[s] = 100
        kernel.socketChanged(s)
        loop.run()
        XCTAssertEqual(r.results.last, .success(.count(10)))
        XCTAssertEqual(stack.streamed[s], Array(0..<10))

        stack.room[s] = 2
        call(c, .send(fd: f, data: [7, 7, 7, 7, 7], flags: 0, timeout: 50), into: r)
        spin(50)
        XCTAssertEqual(r.results.last, .success(.count(2)), "a timeout after part was sent answers the part")
        call(c, .send(fd: f, data: [8], flags: 0, timeout: 50), into: r)
        spin(50)
        XCTAssertEqual(r.results.last, .failure(KernelError(.EWOULDBLOCK)))
        stack.room[s] = 1
        call(c, .send(fd: f, data: [9, 9], flags: RumpProtocol.NetBSD.MSG_DONTWAIT, timeout: -1), into: r)
        XCTAssertEqual(r.results.last, .success(.count(1)), "non-blocking: what fits now")
        XCTAssertEqual(kernel.parkedCallCount, 0)
    }

    func testStackSysctlAndInterfaces() throws {
        XCTAssertEqual(try kernel.sysctl.get("net.inet.ip.ttl").first?.value, .int(64))
        let names = try kernel.sysctl.list("").map(\.name)
        let ttl = try XCTUnwrap(names.firstIndex(of: "net.inet.ip.ttl"))
        XCTAssertLessThan(try XCTUnwrap(names.firstIndex(of: "kern.hostname")), ttl)
        XCTAssertLessThan(ttl, try XCTUnwrap(names.firstIndex(of: "hw.machine")))
        let c = kernel.newClient(), r = Box()
        call(c, .sysctlSet(name: "net.inet.ip.ttl", value: "300"), into: r)
        XCTAssertEqual(r.results.last, .failure(KernelError(.EINVAL)))
        call(c, .ifList, into: r)
        guard case .success(.interfaces(let l))? = r.results.last else { return XCTFail() }
        XCTAssertEqual(l.map(\.name), ["lo0"])
        call(c, .halt(flags: 8), into: r)
        var halted = false
        kernel.onHalt = { halted = true }
        spin(1)
        XCTAssertTrue(halted)
        XCTAssertTrue(stack.detached)
    }
}
