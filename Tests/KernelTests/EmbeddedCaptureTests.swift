import XCTest
@testable import KernelStack
import Pcap
import RumpKernel
import RumpNet
import RumpProtocol
import TestSupport

/// Per-interface capture through the syscall layer of embedded kernels, on virtual time:
/// sessions, parked reads, the kernel-run BPF filter, the bounded buffer's drops, the wire and
/// stack sides of an impairment, and a client that goes away.
final class EmbeddedCaptureTests: XCTestCase {
    typealias NetBSD = RumpProtocol.NetBSD

    var lab: EmbeddedLab!
    var a: EmbeddedKernel!
    var b: EmbeddedKernel!

    override func setUpWithError() throws {
        lab = EmbeddedLab()
        let link = lab.link()
        a = lab.kernel(seed: 21)
        b = lab.kernel(seed: 22)
        try a.configure("10.0.0.1", on: link)
        try b.configure("10.0.0.2", on: link)
    }

    override func tearDown() {
        for k in lab.kernels { k.kernel.halt() }
        lab = nil; a = nil; b = nil
    }

    func program(_ expression: String, linkType: Int32 = 1) throws -> [UInt8] {
        try PcapFilter(expression, linkType: linkType).instructionBytes
    }

    func open(_ c: EmbeddedClient, _ r: CaptureRequest, file: StaticString = #filePath, line: UInt = #line) -> CaptureBatch? {
        guard case .success(.capture(let b))? = c.call(.ifCaptureOpen(r)) else {
            XCTFail("ifCaptureOpen \(r.interface) failed: \(String(describing: c.call(.ifList)))", file: file, line: line)
            return nil
        }
        return b
    }

    func read(_ c: EmbeddedClient, _ session: Int32, close: Bool = false) -> CaptureBatch? {
        guard case .success(.capture(let b))? = c.call(.ifCaptureRead(session: session, maxBytes: 1 << 19, timeout: 0, close: close)) else { return nil }
        return b
    }

    func records(_ b: CaptureBatch) throws -> [(CaptureRecord, [UInt8])] {
        var out: [(CaptureRecord, [UInt8])] = []
        try b.forEachRecord { r, bytes in out.append((r, Array(bytes))) }
        return out
    }

    /// A bound UDP socket of `c`.
    func udp(_ c: EmbeddedClient, port: UInt16) -> Int32 {
        guard case .success(.fd(let f))? = c.call(.socket(domain: Int32(NetBSD.AF_INET), type: NetBSD.SOCK_DGRAM, protocol: 0)) else { return -1 }
        XCTAssertEqual(c.call(.bind(fd: f, address: ip("0.0.0.0", port: port))), .success(.none))
        return f
    }

    func send(_ c: EmbeddedClient, _ fd: Int32, to: String, port: UInt16, bytes: Int) {
        let r = c.call(.sendto(fd: fd, data: [UInt8](repeating: 0x5a, count: bytes), flags: 0, address: ip(to, port: port), timeout: 0))
        XCTAssertEqual(r, .success(.count(UInt32(bytes))))
    }

    func testParkedReadWakesWithFramesBothWaysThroughTheFilter() throws {
        let cap = a.client(name: "capture")
        let s = try XCTUnwrap(open(cap, CaptureRequest(interface: "mem0", filter: try program("udp"))))
        XCTAssertEqual(s.linkType, 1)
        let wait = cap.send(.ifCaptureRead(session: s.session, maxBytes: 1 << 19, timeout: 5000, close: false))
        lab.run()
        XCTAssertNil(cap.response(wait), "a read with nothing captured waits")

        let ac = a.client(), bc = b.client()
        let fa = udp(ac, port: 7), fb = udp(bc, port: 7)
        lab.advance(milliseconds: 3)
        let sentAt = lab.now
        send(ac, fa, to: "10.0.0.2", port: 7, bytes: 100)  // ARP first: seen, not accepted
        send(bc, fb, to: "10.0.0.1", port: 7, bytes: 30)
        lab.run()
        let answer = try XCTUnwrap(cap.response(wait), "the parked read is answered when a frame arrives")
        XCTAssertEqual(answer.time, sentAt)
        guard case .success(.capture(var batch)) = answer.result else { return XCTFail("\(answer.result)") }
        var got = try records(batch)
        if got.count < 2, let more = read(cap, s.session) { batch = more; got += try records(more) }
        XCTAssertEqual(got.count, 2)
        XCTAssertEqual(got.map(\.0.flags), [CaptureRecord.outbound, CaptureRecord.inbound])
        XCTAssertEqual(got.map(\.0.wireLength), [UInt32(142), UInt32(72)])
        XCTAssertEqual(got[0].1.count, 142)
        XCTAssertEqual(Array(got[0].1[26..<34]), [10, 0, 0, 1, 10, 0, 0, 2], "source and destination of the first")
        // Times: the kernel's clock on the wall clock's scale, both frames at the same instant.
        XCTAssertEqual(got[0].0.timeNanoseconds, got[1].0.timeNanoseconds)
        XCTAssertGreaterThan(got[0].0.timeNanoseconds, 1_700_000_000 * 1_000_000_000)
        let last = try XCTUnwrap(read(cap, s.session, close: true))
        XCTAssertTrue(last.closed)
        XCTAssertEqual(last.accepted, 2)
        XCTAssertGreaterThanOrEqual(last.received, 4, "ARP request and reply were seen")
        XCTAssertEqual(last.dropped, 0)
        XCTAssertEqual(cap.call(.ifCaptureRead(session: s.session, maxBytes: 1000, timeout: 0, close: false))?.failure?.errno, .EBADF)
        XCTAssertFalse(a.netStack.stack.interface(named: "mem0")!.device is CapturingDevice, "the last session took its middleware along")
    }

    func testAFullBufferDropsAndCountsWhileTheKernelServes() throws {
        let cap = a.client(name: "slow reader")
        let s = try XCTUnwrap(open(cap, CaptureRequest(interface: "mem0", bufferBytes: 16 * 1024, filter: try program("udp and src host 10.0.0.1"))))
        let ac = a.client()
        let fa = udp(ac, port: 9)
        for _ in 0..<30 { send(ac, fa, to: "10.0.0.2", port: 9, bytes: 1000) }
        lab.run()
        // The kernel still answers while nobody reads.
        guard case .success(.interfaces(let l))? = ac.call(.ifList) else { return XCTFail("ifList") }
        XCTAssertTrue(l.contains { $0.name == "mem0" })
        let batch = try XCTUnwrap(read(cap, s.session))
        let got = try records(batch)
        let record = CaptureRecord.headerSize + 14 + 20 + 8 + 1000
        XCTAssertEqual(got.count, 16 * 1024 / record)
        XCTAssertEqual(batch.accepted, 30)
        XCTAssertEqual(batch.dropped, 30 - UInt64(got.count))
        // Room again: the next frames are kept.
        send(ac, fa, to: "10.0.0.2", port: 9, bytes: 1000)
        lab.run()
        let next = try XCTUnwrap(read(cap, s.session))
        XCTAssertEqual(try records(next).count, 1)
        XCTAssertEqual(next.dropped, batch.dropped)
        // A snapshot length cuts the frames, not their wire length.
        let cut = try XCTUnwrap(open(cap, CaptureRequest(interface: "mem0", snapLength: 64, filter: try program("udp"))))
        send(ac, fa, to: "10.0.0.2", port: 9, bytes: 1000)
        lab.run()
        let short = try records(try XCTUnwrap(read(cap, cut.session)))
        XCTAssertEqual(short.map(\.1.count), [64])
        XCTAssertEqual(short.map(\.0.wireLength), [UInt32(1042)])
    }

    func testWireSideSeesTheImpairmentsDuplicatesStackSideDoesNot() throws {
        let cap = a.client(name: "capture"), ctl = a.client(name: "impair")
        let wire = try XCTUnwrap(open(cap, CaptureRequest(interface: "mem0", point: .wire, filter: try program("udp"))))
        let stack = try XCTUnwrap(open(cap, CaptureRequest(interface: "mem0", point: .stack, filter: try program("udp"))))
        // Set after the captures: they stay in place around it.
        XCTAssertEqual(ctl.call(.ifSetImpairment(name: "mem0", words: ["duplicate", "100%"])), .success(.none))
        let ac = a.client()
        let fa = udp(ac, port: 9)
        for _ in 0..<3 { send(ac, fa, to: "10.0.0.2", port: 9, bytes: 50) }
        lab.run()
        func outbound(_ s: Int32) throws -> Int {
            try records(try XCTUnwrap(read(cap, s))).filter { $0.0.flags == CaptureRecord.outbound }.count
        }
        XCTAssertEqual(try outbound(wire.session), 6)
        XCTAssertEqual(try outbound(stack.session), 3)
        guard case .success(.counters(let c))? = ctl.call(.ifImpairmentCounters(name: "mem0")) else { return XCTFail("counters") }
        XCTAssertEqual(c.first { $0.name == "egress.duplicated" }?.value, 4, "the three datagrams and the ARP request before them")
        let device = a.netStack.stack.interface(named: "mem0")!.device
        let chain = a.netStack.deviceChain(device, "mem0")
        XCTAssertNotNil(chain.stackCapture)
        XCTAssertNotNil(chain.impairment)
        XCTAssertNotNil(chain.wireCapture)
        // Cleared under the captures: both go on, now alike.
        XCTAssertEqual(ctl.call(.ifSetImpairment(name: "mem0", words: nil)), .success(.none))
        send(ac, fa, to: "10.0.0.2", port: 9, bytes: 50)
        lab.run()
        XCTAssertEqual(try outbound(wire.session), 1)
        XCTAssertEqual(try outbound(stack.session), 1)
        // The client goes: its captures leave, the impairment set meanwhile stays.
        XCTAssertEqual(ctl.call(.ifSetImpairment(name: "mem0", words: ["delay", "1ms"])), .success(.none))
        cap.disconnect()
        XCTAssertTrue(a.netStack.stack.interface(named: "mem0")!.device is Impairment)
        XCTAssertEqual(ctl.call(.ifGetImpairment(name: "mem0")), .success(.names(["delay 1ms"])))
    }

    func testLoopbackIsDLTNullWithTheFamilyFirst() throws {
        let cap = a.client(name: "capture")
        let s = try XCTUnwrap(open(cap, CaptureRequest(interface: "lo0", filter: try program("udp port 5", linkType: 0))))
        XCTAssertEqual(s.linkType, 0)
        let ac = a.client()
        let fa = udp(ac, port: 5)
        send(ac, fa, to: "127.0.0.1", port: 5, bytes: 10)
        lab.run()
        let got = try records(try XCTUnwrap(read(cap, s.session)))
        XCTAssertEqual(got.count, 1, "lo taps its output once, as NetBSD's looutput")
        XCTAssertEqual(Array(got[0].1.prefix(5)), [2, 0, 0, 0, 0x45], "AF_INET in host order, then the IPv4 header")
        XCTAssertEqual(got[0].0.wireLength, UInt32(42))
    }

    func testADestroyedInterfaceEndsItsSessions() throws {
        let ctl = a.client(name: "ifconfig"), cap = a.client(name: "capture")
        XCTAssertEqual(ctl.call(.ifCreate(name: "lo1")), .success(.none))
        let s = try XCTUnwrap(open(cap, CaptureRequest(interface: "lo1")))
        let wait = cap.send(.ifCaptureRead(session: s.session, maxBytes: 1 << 16, timeout: 200, close: false))
        lab.run()
        XCTAssertEqual(ctl.call(.ifDestroy(name: "lo1")), .success(.none))
        lab.advance(milliseconds: 200)
        guard case .success(.capture(let b))? = cap.response(wait)?.result else { return XCTFail("no answer") }
        XCTAssertTrue(b.closed)
        XCTAssertEqual(b.reason, "lo1: interface destroyed")
        XCTAssertEqual(cap.call(.ifCaptureRead(session: s.session, maxBytes: 1000, timeout: 0, close: false))?.failure?.errno, .EBADF)
        // A new lo1 starts with no capture on it, and can have one.
        XCTAssertEqual(ctl.call(.ifCreate(name: "lo1")), .success(.none))
        XCTAssertFalse(a.netStack.stack.interface(named: "lo1")!.device is CapturingDevice)
        XCTAssertNotNil(open(cap, CaptureRequest(interface: "lo1")))
        XCTAssertTrue(a.netStack.stack.interface(named: "lo1")!.device is CapturingDevice)
    }

    func testBadRequestsAreNamedAndRefused() throws {
        let cap = a.client(name: "capture")
        let none = cap.call(.ifCaptureOpen(CaptureRequest(interface: "mem9")))
        XCTAssertEqual(none?.failure?.errno, .ENXIO)
        XCTAssertEqual(none?.failure?.message, "mem9")
        let ragged = cap.call(.ifCaptureOpen(CaptureRequest(interface: "mem0", filter: [1, 2, 3])))
        XCTAssertEqual(ragged?.failure?.errno, .EINVAL)
        // A jump past the end: bpf_validate refuses it.
        let jump: [UInt8] = [0x05, 0x00, 0, 0, 0xff, 0, 0, 0]  // BPF_JMP|BPF_JA, k = 255
        let bad = cap.call(.ifCaptureOpen(CaptureRequest(interface: "mem0", filter: jump)))
        XCTAssertEqual(bad?.failure?.errno, .EINVAL)
        XCTAssertTrue(bad?.failure?.message.contains("bpf_validate") == true, "\(String(describing: bad))")
        let tiny = cap.call(.ifCaptureOpen(CaptureRequest(interface: "mem0", bufferBytes: 100)))
        XCTAssertEqual(tiny?.failure?.errno, .EINVAL)
        XCTAssertFalse(a.netStack.stack.interface(named: "mem0")!.device is CapturingDevice)
        XCTAssertEqual(cap.call(.ifCaptureRead(session: 3, maxBytes: 1000, timeout: 0, close: false))?.failure?.errno, .EBADF)
    }
}

private extension Result {
    var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
