import XCTest
import KernelStack
import RumpKernel
import RumpNet
import RumpProtocol

/// Whole kernels (syscall layer + RumpNet) on virtual time: two or three embedded kernels on an
/// in-memory link, driven through requests as a utility would, with replies checked at exact
/// virtual times.
final class EmbeddedKernelTests: XCTestCase {
    typealias NetBSD = RumpProtocol.NetBSD
    static let ms: UInt64 = 1_000_000

    var lab: EmbeddedLab!
    var a: EmbeddedKernel!
    var b: EmbeddedKernel!
    var link: MemoryLink!

    override func setUpWithError() throws {
        lab = EmbeddedLab()
        link = lab.link()
        a = lab.kernel(seed: 1)
        b = lab.kernel(seed: 2)
        try configure(a, "10.0.0.1")
        try configure(b, "10.0.0.2")
    }

    override func tearDown() {
        for k in lab.kernels { k.kernel.halt() }
        lab = nil; a = nil; b = nil; link = nil
    }

    func configure(_ k: EmbeddedKernel, _ address: String, on l: MemoryLink? = nil) throws {
        try k.configure(address, on: l ?? link)
    }

    func fd(_ r: Result<Reply, KernelError>?, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        if case .success(.fd(let f))? = r { return f }
        XCTFail("expected a descriptor, got \(String(describing: r))", file: file, line: line)
        return -1
    }

    func rawICMP(_ c: EmbeddedClient) -> Int32 {
        fd(c.call(.socket(domain: Int32(NetBSD.AF_INET), type: NetBSD.SOCK_RAW, protocol: 1)))
    }

    static func echoRequest(id: UInt16, seq: UInt16) -> [UInt8] {
        var m: [UInt8] = [8, 0, 0, 0, UInt8(id >> 8), UInt8(id & 0xff), UInt8(seq >> 8), UInt8(seq & 0xff)] + (0..<32).map { UInt8($0) }
        var sum: UInt32 = 0
        for i in stride(from: 0, to: m.count, by: 2) { sum += UInt32(m[i]) << 8 | UInt32(m[i + 1]) }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        let ck = ~UInt16(sum)
        m[2] = UInt8(ck >> 8); m[3] = UInt8(ck & 0xff)
        return m
    }

    // MARK: time

    func testParkedRecvfromTimesOutExactlyAtItsDeadline() {
        let c = a.client()
        let s = rawICMP(c)
        let t0 = lab.now
        let id = c.send(.recvfrom(fd: s, maxLength: 1500, flags: 0, timeout: 250))
        lab.run()
        XCTAssertNil(c.response(id), "nothing to receive: parked")
        XCTAssertEqual(a.kernel.parkedCallCount, 1)
        lab.advance(by: 250 * Self.ms - 1)
        XCTAssertNil(c.response(id), "1 ns before the deadline: still parked")
        lab.advance(by: 1)
        let r = c.response(id)
        XCTAssertEqual(r?.result, .failure(KernelError(.EAGAIN)))
        XCTAssertEqual(r?.time, t0 + 250 * Self.ms, "answered at its deadline, not after")
        XCTAssertEqual(a.kernel.parkedCallCount, 0)
    }

    func testEchoThroughTwoKernelsAnswersTheParkedRecvAtTheSameVirtualInstant() {
        let c = a.client(name: "ping")
        let s = rawICMP(c)
        XCTAssertEqual(c.call(.sendto(fd: s, data: Self.echoRequest(id: 7, seq: 1), flags: 0, address: ip("10.0.0.2"), timeout: -1)),
                       .success(.count(40)))
        let t0 = lab.now
        let id = c.send(.recvfrom(fd: s, maxLength: 1500, flags: 0, timeout: 1000))
        lab.run()
        guard let r = c.response(id), case .success(.dataFrom(let d, let from)) = r.result else {
            return XCTFail("no echo reply: \(String(describing: c.response(id)))")
        }
        XCTAssertEqual(from.ipv4?.bytes, [10, 0, 0, 2])
        XCTAssertEqual(d.count, 20 + 40, "IP header + the echoed message")
        XCTAssertEqual(d[20], 0, "ICMP echo reply")
        XCTAssertEqual(r.time, t0, "an in-memory link has no latency: ARP and the echo happen at once")
    }

    // MARK: waiting

    /// Two clients poll two different sockets; data for one wakes only that one: the other's
    /// call is not even retried.
    func testPollWakesOnlyTheCallerWhoseSocketChanged() throws {
        let cLink = lab.link()
        let c3 = lab.kernel(seed: 3)
        try configure(c3, "10.0.1.3", on: cLink)
        try a.attach("mem1", to: cLink)
        let ifc = a.client()
        XCTAssertEqual(ifc.call(.ifAddAddress(name: "mem1", address: InterfaceAddress(address: ip("10.0.1.1"), netmask: ip("255.255.255.0")), alias: false)), .success(.none))
        XCTAssertEqual(ifc.call(.ifSetFlags(name: "mem1", set: IFF.UP, clear: 0)), .success(.none))

        let one = a.client(name: "one"), two = a.client(name: "two")
        let s1 = rawICMP(one), s2 = rawICMP(two)
        // Each socket takes datagrams only from its own peer.
        XCTAssertEqual(one.call(.connect(fd: s1, address: ip("10.0.0.2"), timeout: -1)), .success(.none))
        XCTAssertEqual(two.call(.connect(fd: s2, address: ip("10.0.1.3"), timeout: -1)), .success(.none))
        let p1 = one.send(.poll(items: [PollItem(fd: s1, events: NetBSD.POLLIN)], timeout: -1))
        let p2 = two.send(.poll(items: [PollItem(fd: s2, events: NetBSD.POLLIN)], timeout: -1))
        lab.run()
        XCTAssertNil(one.response(p1)); XCTAssertNil(two.response(p2))
        XCTAssertEqual(a.kernel.parkedCallCount, 2)
        let attemptsBefore = a.kernel.parkedCallAttempts

        // A third client pings b: the reply is for s1 only.
        let pinger = a.client(name: "ping")
        let ps = rawICMP(pinger)
        // The pinger's socket takes a copy of the reply too, but nobody waits on it.
        XCTAssertEqual(pinger.call(.connect(fd: ps, address: ip("10.0.0.2"), timeout: -1)), .success(.none))
        XCTAssertEqual(pinger.call(.send(fd: ps, data: Self.echoRequest(id: 1, seq: 1), flags: 0, timeout: -1)), .success(.count(40)))
        XCTAssertEqual(one.response(p1)?.result, .success(.poll([PollItem(fd: s1, events: NetBSD.POLLIN, revents: NetBSD.POLLIN)])))
        XCTAssertNil(two.response(p2), "the other poller stays asleep")
        XCTAssertEqual(a.kernel.parkedCallCount, 1)
        XCTAssertEqual(a.kernel.parkedCallAttempts - attemptsBefore, 1, "only s1's waiter was retried")
        two.disconnect()
        XCTAssertEqual(a.kernel.parkedCallCount, 0)
    }

    func testNonBlockingDescriptorAndDontWaitAnswerEWOULDBLOCK() {
        let c = a.client()
        let s = rawICMP(c)
        XCTAssertEqual(c.call(.fcntl(fd: s, command: NetBSD.F_GETFL, argument: 0)), .success(.value(NetBSD.O_RDWR)))
        XCTAssertEqual(c.call(.fcntl(fd: s, command: NetBSD.F_SETFL, argument: NetBSD.O_NONBLOCK)), .success(.value(0)))
        XCTAssertEqual(c.call(.fcntl(fd: s, command: NetBSD.F_GETFL, argument: 0)), .success(.value(NetBSD.O_RDWR | NetBSD.O_NONBLOCK)))
        // A timeout of "for ever" does not matter on a non-blocking descriptor.
        XCTAssertEqual(c.call(.recvfrom(fd: s, maxLength: 100, flags: 0, timeout: -1)), .failure(KernelError(.EWOULDBLOCK)))
        XCTAssertEqual(c.call(.fcntl(fd: s, command: NetBSD.F_SETFL, argument: 0)), .success(.value(0)))
        XCTAssertEqual(c.call(.recv(fd: s, maxLength: 100, flags: NetBSD.MSG_DONTWAIT, timeout: -1)), .failure(KernelError(.EAGAIN)))
        XCTAssertNil(c.call(.recv(fd: s, maxLength: 100, flags: 0, timeout: -1)), "blocking again: parked")
        XCTAssertEqual(c.call(.fcntl(fd: s, command: 99, argument: 0)), .failure(KernelError(.EINVAL)))
        XCTAssertEqual(c.call(.fcntl(fd: 42, command: NetBSD.F_GETFL, argument: 0)), .failure(KernelError(.EBADF)))
        XCTAssertEqual(c.call(.fcntl(fd: s, command: NetBSD.F_SETFD, argument: NetBSD.FD_CLOEXEC)), .success(.value(0)))
        XCTAssertEqual(c.call(.fcntl(fd: s, command: NetBSD.F_GETFD, argument: 0)), .success(.value(NetBSD.FD_CLOEXEC)))
    }

    /// A poll of no descriptors is a sleep: answered empty at its deadline; halt drops every
    /// parked call and its timer.
    func testPollOfNothingSleepsAndHaltDropsParkedCalls() {
        let c = a.client()
        let t0 = lab.now
        let sleep = c.send(.poll(items: [], timeout: 40))
        lab.advance(milliseconds: 40)
        XCTAssertEqual(c.response(sleep)?.result, .success(.poll([])))
        XCTAssertEqual(c.response(sleep)?.time, t0 + 40 * Self.ms)
        let timers = lab.loop.pendingTimerCount
        c.send(.poll(items: [], timeout: 10_000))
        c.send(.recv(fd: rawICMP(c), maxLength: 10, flags: 0, timeout: 10_000))
        lab.run()
        XCTAssertEqual(a.kernel.parkedCallCount, 2)
        XCTAssertEqual(lab.loop.pendingTimerCount, timers + 2)
        a.kernel.halt()
        XCTAssertEqual(a.kernel.parkedCallCount, 0)
        XCTAssertEqual(c.context.parkedCallCount, 0)
        XCTAssertLessThanOrEqual(lab.loop.pendingTimerCount, timers, "halt cancelled the parked calls' timers")
    }

    /// Closing the descriptor a call sleeps on (another thread of the client) ends the call.
    func testCloseWakesTheCallSleepingOnTheSocket() {
        let c = a.client()
        let s = rawICMP(c)
        let id = c.send(.recvfrom(fd: s, maxLength: 100, flags: 0, timeout: -1))
        lab.run()
        XCTAssertNil(c.response(id))
        XCTAssertEqual(c.call(.close(fd: s)), .success(.none))
        XCTAssertEqual(c.response(id)?.result, .failure(KernelError(.EBADF)))
        XCTAssertEqual(a.kernel.parkedCallCount, 0)
    }

    /// A client that sends a thousand requests that all park, then goes away, leaves no parked
    /// call, no socket and no timer behind.
    func testAThousandParkedCallsOfADisconnectedClientLeaveNothing() {
        let timersBefore = lab.loop.pendingTimerCount
        let c = a.client(name: "flood")
        var fds: [Int32] = []
        for _ in 0..<10 { fds.append(rawICMP(c)) }
        for i in 0..<1000 {
            c.send(.recvfrom(fd: fds[i % fds.count], maxLength: 1500, flags: 0, timeout: i % 2 == 0 ? -1 : 60_000))
        }
        lab.run()
        XCTAssertEqual(a.kernel.parkedCallCount, 1000)
        XCTAssertEqual(c.context.parkedCallCount, 1000)
        XCTAssertEqual(a.kernel.openSocketCount, 10)
        XCTAssertEqual(lab.loop.pendingTimerCount, timersBefore + 500)
        c.disconnect()
        XCTAssertEqual(a.kernel.parkedCallCount, 0)
        XCTAssertEqual(c.context.parkedCallCount, 0)
        XCTAssertEqual(c.context.descriptorCount, 0)
        XCTAssertEqual(a.kernel.openSocketCount, 0)
        XCTAssertEqual(lab.loop.pendingTimerCount, timersBefore, "the timeouts were cancelled")
        lab.advance(by: 61_000 * Self.ms)
        XCTAssertEqual(c.responses.count, 10, "only the socket calls were answered, never the parked ones")
        // The kernel still answers others.
        let d = a.client()
        guard case .success(.sysctl(let e))? = d.call(.sysctlGet(name: "kern.ostype")) else { return XCTFail("kernel does not answer") }
        XCTAssertEqual(e.first?.value, .string("NetBSD"))
    }
}
