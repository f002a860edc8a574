import XCTest
@testable import RumpProtocol
import RumpKernel
import ToolSupport

/// A small deterministic generator (SplitMix64) so the garbage tests are repeatable.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class ProtocolTests: XCTestCase {
    static let inet = SocketAddress.inet(IPv4Address(10, 0, 0, 1), port: 80)
    static let mask = SocketAddress.inet(IPv4Address(255, 255, 255, 0))

    /// One request of every opcode.
    static let requests: [Request] = [
        .socket(domain: 2, type: 2, protocol: 0), .bind(fd: 3, address: inet), .connect(fd: 3, address: inet, timeout: 100),
        .listen(fd: 3, backlog: 5), .accept(fd: 3, timeout: -1), .send(fd: 3, data: [1, 2, 3], flags: 0, timeout: 0),
        .sendto(fd: 3, data: [], flags: 0x80, address: inet, timeout: 5), .recv(fd: 3, maxLength: 1500, flags: 0, timeout: 10),
        .recvfrom(fd: 3, maxLength: 9000, flags: 2, timeout: -1), .shutdown(fd: 3, how: 2), .close(fd: 3),
        .setsockopt(fd: 3, level: 0xffff, name: 4, value: [1, 0, 0, 0]), .getsockopt(fd: 3, level: 0xffff, name: 0x1007, maxLength: 4),
        .poll(items: [PollItem(fd: 3, events: 1), PollItem(fd: 4, events: 5)], timeout: 1000), .getsockname(fd: 3), .getpeername(fd: 3),
        .ifCreate(name: "shmif0"), .ifDestroy(name: "shmif0"), .ifList, .ifGet(name: "lo0"),
        .ifSetFlags(name: "shmif0", set: 1, clear: 0),
        .ifAddAddress(name: "shmif0", address: InterfaceAddress(address: inet, netmask: mask, broadcast: .inet(IPv4Address(10, 0, 0, 255))), alias: true),
        .ifDeleteAddress(name: "shmif0", address: inet), .ifSetMTU(name: "shmif0", mtu: 1400),
        .ifSetLinkstr(name: "shmif0", linkstr: "/tmp/bus"), .ifSetLinkstr(name: "shmif0", linkstr: nil), .ifListCloners,
        .routeAdd(RouteEntry(destination: inet, netmask: mask, gateway: .inet(IPv4Address(10, 0, 0, 254)), flags: 0x803, interface: "")),
        .routeDelete(destination: inet, netmask: nil), .routeGet(destination: inet), .routeList(family: 2), .routeFlush(family: 0),
        .routeChange(RouteEntry(destination: inet, netmask: nil, gateway: .link(index: 2, name: "shmif0", type: 6, address: [1, 2, 3, 4, 5, 6]), flags: 5, interface: "shmif0", refs: 1, use: 2, mtu: 1500, expire: 30)),
        .arpList, .arpSet(ArpInfo(address: IPv4Address(10, 0, 0, 1), linkAddress: [1, 2, 3, 4, 5, 6], interface: "shmif0")),
        .arpDelete(address: inet), .sysctlGet(name: "kern.hostname"), .sysctlSet(name: "kern.hostname", value: "x"),
        .sysctlList(prefix: ""), .halt(flags: 8), .statistics, .socketList,
        .ifSetImpairment(name: "shmif0", words: ["delay", "20ms", "loss", "random", "1%"]), .ifSetImpairment(name: "virt0", words: nil),
        .ifGetImpairment(name: "shmif0"), .ifImpairmentCounters(name: "lo0"), .ifSetLinkState(name: "shmif1", up: false),
        .fcntl(fd: 3, command: 4, argument: 4), .recvmsg(fd: 3, maxLength: 100, flags: 0x10, timeout: -1),
        .ifCaptureOpen(CaptureRequest(interface: "shmif0", point: .stack, snapLength: 96, bufferBytes: 65536, filter: [6, 0, 0, 0, 0, 0, 4, 0])),
        .ifCaptureRead(session: 1, maxBytes: 65536, timeout: 100, close: true),
        // sockaddr_in6 with and without a flow label, an AF_UNSPEC connect, a sockaddr_dl with a type and address.
        .connect(fd: 3, address: .inet6(IPv6Address("fe80::1")!, port: 22, scopeID: 2), timeout: 0),
        .sendto(fd: 3, data: [7], flags: 0, address: .inet6(IPv6Address("2001:db8::1")!, port: 53, flowInfo: 0xabcde, scopeID: 0), timeout: 0),
        .connect(fd: 3, address: .unspec, timeout: 0),
        .routeDelete(destination: .link(index: 3, name: "", type: 6, address: []), netmask: nil),
    ]

    static let replies: [Reply] = [
        .none, .fd(3), .accepted(fd: 4, peer: inet), .count(12), .data([9, 9]), .dataFrom([1], from: inet), .address(inet),
        .poll([PollItem(fd: 3, events: 1, revents: 1)]),
        .interfaces([InterfaceInfo(name: "lo0", index: 1, flags: 0x8049, mtu: 33624,
                                   addresses: [InterfaceAddress(address: .inet(IPv4Address(127, 0, 0, 1)), netmask: .inet(IPv4Address(255, 0, 0, 0)))])]),
        .names(["lo", "shmif", "carp"]),
        .routes([RouteEntry(destination: inet, netmask: mask, gateway: inet, flags: 1, interface: "shmif0")]),
        .arp([ArpInfo(address: IPv4Address(10, 0, 0, 1), linkAddress: nil, interface: "shmif0", expire: 1200)]),
        .sysctl([SysctlEntry(name: "kern.ostype", value: .string("NetBSD"), writable: false),
                 SysctlEntry(name: "hw.physmem64", value: .quad(1 << 40), writable: false, description: "memory"),
                 SysctlEntry(name: "kern.clockrate", value: .structure("tick = 10000"), writable: false),
                 SysctlEntry(name: "x.b", value: .bool(true), writable: true), SysctlEntry(name: "x.i", value: .int(-1), writable: true)]),
        .sysctlChanged(old: SysctlEntry(name: "a", value: .int(1), writable: true), new: SysctlEntry(name: "a", value: .int(0), writable: true)),
        .counters([StatCounter(name: "ip.total", value: 7), StatCounter(name: "icmp.inhist.8", value: .max)]),
        .counters([]),
        .sockets([SocketEntry(proto: "udp", local: .inet(IPv4Address(0, 0, 0, 0), port: 5000), foreign: .inet(IPv4Address(10, 0, 0, 2), port: 65001),
                              receiveQueue: 1056), SocketEntry(proto: "tcp", local: inet, foreign: inet, state: "LISTEN")]),
        .sockets([]),
        // route show's lo0 gateway: an AF_LINK address carrying the interface name NetBSD prints.
        .routes([RouteEntry(destination: .inet(IPv4Address(127, 0, 0, 1)), netmask: nil,
                            gateway: .link(index: 1, name: "lo0"),
                            flags: 0x405, interface: "lo0", mtu: 33624, localAddress: .inet(IPv4Address(127, 0, 0, 1)))]),
        .message([1, 2], from: inet, flags: 0x10), .message([], from: nil, flags: 0), .value(-1), .value(6),
        .capture(CaptureBatch(session: 2, linkType: 1, received: 9, accepted: 5, dropped: 1, records: [1, 2, 3], closed: true, reason: "lo1: interface destroyed")),
    ]

    static var messages: [Message] {
        var m: [Message] = [
            .clientHello(ClientHello(clientName: "sysctl", clientPID: 42)),
            .serverHello(ServerHello(version: 1, identity: "id", hostname: "rump-00001.vm", serverPID: 7, components: ["rumpnet"])),
            .response(id: 9, opcode: 0x50, result: .failure(KernelError(.ENOENT, detail: 1, message: "kern.x"))),
        ]
        for (i, q) in requests.enumerated() { m.append(.request(id: UInt32(i), q)) }
        for (i, r) in replies.enumerated() { m.append(.response(id: UInt32(i), opcode: 1, result: .success(r))) }
        return m
    }

    /// The bytes of a response, fixed: the encoder's bulk writes must not change the wire.
    func testResponseBytesAreFixed() {
        let m = Message.response(id: 0x0102_0304, opcode: 0x08, result: .success(.data([0xAA, 0xBB])))
        let expected: [UInt8] = [18, 0, 0, 0, 4, 4, 3, 2, 1, 8, 0, 0, 0, 0, 0, 4, 2, 0, 0, 0, 0xAA, 0xBB]
        XCTAssertEqual(m.encodeFrame(), expected)
        XCTAssertEqual(m.encodeBody(), Array(expected.dropFirst(4)))
        let v = Message.response(id: 1, opcode: Opcode.fcntl.rawValue, result: .success(.value(-2)))
        XCTAssertEqual(v.encodeBody(), [4, 1, 0, 0, 0, 0x11, 0, 0, 0, 0, 0, 17, 0xFE, 0xFF, 0xFF, 0xFF])
    }

    /// A bulk reply's three parts (for the server's gather write) are its frame, byte for byte;
    /// other messages have none.
    func testBulkRepliesSplitAroundTheirBytes() {
        var head: [UInt8] = [9, 9], tail: [UInt8] = [9]
        for r: Reply in [.data([1, 2, 3]), .data([]), .dataFrom([4, 5], from: Self.inet), .message([6], from: Self.inet, flags: 0x10),
                         .message([], from: nil, flags: 0)] {
            let m = Message.response(id: 77, opcode: Opcode.recvfrom.rawValue, result: .success(r))
            guard let bulk = m.encodeFrameAroundBulk(head: &head, tail: &tail) else { XCTFail("\(r) is bulk"); continue }
            XCTAssertEqual(head + bulk + tail, m.encodeFrame(), "\(r)")
        }
        for m: Message in [.response(id: 1, opcode: 1, result: .success(.count(3))),
                           .response(id: 1, opcode: 1, result: .failure(KernelError(.EAGAIN))),
                           .request(id: 1, .recv(fd: 1, maxLength: 1, flags: 0, timeout: 0))] {
            XCTAssertNil(m.encodeFrameAroundBulk(head: &head, tail: &tail))
        }
    }

    /// Frames appended to one output buffer, in place, read back in order.
    func testFramesAppendedInPlaceDecodeInOrder() throws {
        var out: [UInt8] = [0xEE]  // bytes already waiting in the output
        out.reserveCapacity(4096)
        let frames = Self.messages.prefix(20)
        for m in frames { m.encodeFrame(appendingTo: &out) }
        XCTAssertEqual(out.first, 0xEE)
        var d = FrameDecoder()
        d.append(Array(out.dropFirst()))
        for m in frames {
            let body = try XCTUnwrap(try d.next())
            XCTAssertEqual(try Message.decode(body: body), m)
        }
        XCTAssertEqual(d.pending, 0)
    }

    func testEveryOpcodeHasAMessage() {
        XCTAssertEqual(Set((Self.requests + VFSProtocolTests.requests).map(\.opcode)), Set(Opcode.allCases))
    }

    func testRoundTrip() throws {
        for m in Self.messages {
            XCTAssertEqual(try Message.decode(body: m.encodeBody()), m)
        }
    }

    /// Every proper prefix of every message is rejected with an error, never a crash.
    func testTruncatedMessagesAreRejected() {
        for m in Self.messages {
            let body = m.encodeBody()
            for n in 0..<body.count {
                XCTAssertThrowsError(try Message.decode(body: Array(body[0..<n])), "\(m) cut at \(n)")
            }
        }
    }

    func testTrailingBytesAreRejected() {
        for m in Self.messages {
            XCTAssertThrowsError(try Message.decode(body: m.encodeBody() + [0]))
        }
    }

    /// Random bytes and random mutations of valid messages: decoding returns or throws.
    func testGarbageNeverCrashes() {
        var g = SplitMix(state: 0xC0FFEE)
        let valid = Self.messages.map { $0.encodeBody() }
        for i in 0..<20_000 {
            var body: [UInt8]
            if i % 2 == 0 {
                body = (0..<Int.random(in: 0...64, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
                if !body.isEmpty { body[0] = UInt8.random(in: 1...4, using: &g) }
            } else {
                body = valid[Int.random(in: 0..<valid.count, using: &g)]
                for _ in 0..<Int.random(in: 1...4, using: &g) where !body.isEmpty {
                    body[Int.random(in: 0..<body.count, using: &g)] = UInt8.random(in: 0...255, using: &g)
                }
            }
            _ = try? Message.decode(body: body)
        }
    }

    func testForgedCountsDoNotAllocate() {
        // A sysctl reply claiming 2^32-1 entries in 5 bytes.
        var w = WireWriter()
        w.u8(MessageType.response.rawValue); w.u32(1); w.u16(0x52); w.i32(0); w.u8(12); w.u32(.max)
        XCTAssertThrowsError(try Message.decode(body: w.bytes)) { e in
            guard case ProtocolError.truncated = e else { return XCTFail("\(e)") }
        }
        // A string claiming 4 GB.
        var s = WireWriter()
        s.u8(MessageType.request.rawValue); s.u32(1); s.u16(Opcode.sysctlGet.rawValue); s.u32(.max)
        XCTAssertThrowsError(try Message.decode(body: s.bytes))
    }

    /// SocketAddress's wire form (docs/PROTOCOL.md, SockAddr): the bytes of version 2 for the
    /// forms it had, the additions decode back, and malformed addresses are refused.
    func testSocketAddressWireForm() throws {
        func bytes(_ a: SocketAddress) -> [UInt8] { var w = WireWriter(); a.encode(&w); return w.bytes }
        func decode(_ b: [UInt8]) throws -> SocketAddress {
            var r = WireReader(b)
            let a = try SocketAddress.decode(&r)
            try r.finish()
            return a
        }
        XCTAssertEqual(bytes(.inet(IPv4Address(10, 0, 0, 1), port: 80)), [2, 80, 0, 4, 0, 0, 0, 10, 0, 0, 1, 0, 0, 0, 0])
        XCTAssertEqual(bytes(.unspec), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(bytes(.link(index: 1, name: "lo0")), [18, 0, 0, 3, 0, 0, 0] + Array("lo0".utf8) + [1, 0, 0, 0])
        let v6 = bytes(.inet6(IPv6Address("fe80::2")!, port: 1, scopeID: 3))
        XCTAssertEqual(v6.count, 1 + 2 + 4 + 16 + 4)
        XCTAssertEqual(Array(v6.suffix(4)), [3, 0, 0, 0])
        for a: SocketAddress in [.inet6(.loopback, port: 9, flowInfo: 0xfffff, scopeID: 1),
                                 .link(index: 2, name: "shmif0", type: 6, address: [0xb2, 0xa0, 0, 0, 0, 1]),
                                 .link(index: 7), .link(index: 0, name: "", type: 0, address: [1, 2])] {
            XCTAssertEqual(try decode(bytes(a)), a)
        }
        // An unknown family, wrong lengths, a name with no type after its NUL, a name not UTF-8.
        let bad: [[UInt8]] = [
            [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            [2, 0, 0, 5, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0],
            [24, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0],
            [0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 0],
            [18, 0, 0, 2, 0, 0, 0, 0x61, 0, 0, 0, 0, 0],
            [18, 0, 0, 2, 0, 0, 0, 0xff, 0xfe, 0, 0, 0, 0],
        ]
        for b in bad { XCTAssertThrowsError(try decode(b), "\(b)") }
    }

    func testBadRequestKeepsItsID() {
        var w = WireWriter()
        w.u8(MessageType.request.rawValue); w.u32(77); w.u16(0x7777)
        XCTAssertThrowsError(try Message.decode(body: w.bytes)) { e in
            guard let r = e as? RequestDecodingError else { return XCTFail("\(e)") }
            XCTAssertEqual(r.id, 77)
            XCTAssertEqual(r.error, .unknownOpcode(0x7777))
        }
        XCTAssertThrowsError(try Message.decode(body: [UInt8(MessageType.clientHello.rawValue), 1, 2, 3, 4])) { e in
            XCTAssertEqual(e as? ProtocolError, .badMagic)
        }
        XCTAssertThrowsError(try Message.decode(body: [UInt8(9)]))
        XCTAssertThrowsError(try Message.decode(body: []))
        // Invalid UTF-8 in a name.
        var u = WireWriter()
        u.u8(MessageType.request.rawValue); u.u32(1); u.u16(Opcode.sysctlGet.rawValue); u.data([0xff, 0xfe])
        XCTAssertThrowsError(try Message.decode(body: u.bytes))
    }

    func testFrameDecoder() throws {
        var d = FrameDecoder()
        let frames = Self.messages.prefix(5).map { $0.encodeFrame() }
        let stream = frames.flatMap { $0 }
        // Fed one byte at a time, the bodies come out whole and in order.
        var out: [[UInt8]] = []
        for b in stream {
            d.append([b])
            while let body = try d.next() { out.append(body) }
        }
        XCTAssertEqual(out, Self.messages.prefix(5).map { $0.encodeBody() })
        XCTAssertEqual(d.pending, 0)
        // An announced 1 GB is refused as soon as the prefix is in.
        var big = FrameDecoder()
        big.append([0, 0, 0, 0x40])
        XCTAssertThrowsError(try big.next()) { e in XCTAssertEqual(e as? ProtocolError, .messageTooLarge(1 << 30)) }
        // Exactly the maximum is allowed (waits for the bytes).
        var max = FrameDecoder()
        max.append([0, 0, 0x10, 0])
        XCTAssertNil(try max.next())
    }

    func testErrnoTexts() {
        let expected: [(NetBSDErrno, String)] = [
            (.ENOENT, "No such file or directory"), (.EAFNOSUPPORT, "Address family not supported by protocol family"),
            (.ENXIO, "Device not configured"), (.EEXIST, "File exists"), (.EINVAL, "Invalid argument"),
            (.ESRCH, "No such process"), (.ENETUNREACH, "Network is unreachable"), (.EHOSTUNREACH, "No route to host"),
            (.EADDRNOTAVAIL, "Can't assign requested address"), (.EBUSY, "Device busy"), (.EOPNOTSUPP, "Operation not supported"),
            (.ENOPROTOOPT, "Protocol option not available"), (.EPERM, "Operation not permitted"),
            (.EAGAIN, "Resource temporarily unavailable"), (.EBADF, "Bad file descriptor"), (.ETIMEDOUT, "Connection timed out"),
        ]
        for (e, s) in expected { XCTAssertEqual(e.strerror, s, e.name) }
        XCTAssertEqual(NetBSDErrno(name: "EHOSTUNREACH"), .EHOSTUNREACH)
        XCTAssertEqual(NetBSDErrno.EAFNOSUPPORT.rawValue, 47)
        XCTAssertEqual(NetBSDErrno(linux: 97), .EAFNOSUPPORT)
        XCTAssertEqual(NetBSDErrno(linux: 2), .ENOENT)
    }

    func testServerURLs() {
        func ok(_ s: String, wild: Bool = false) -> ServerURL? { try? ServerURL.parse(s, allowWildcard: wild, cwd: "/work").get() }
        func err(_ s: String, wild: Bool = false) -> ServerURL.ParseError? {
            if case .failure(let e) = ServerURL.parse(s, allowWildcard: wild, cwd: "/work") { return e }
            return nil
        }
        XCTAssertEqual(ok("unix:///tmp/sock"), .unix(path: "/tmp/sock"))
        XCTAssertEqual(ok("unix://rel.sock"), .unix(path: "/work/rel.sock"))
        XCTAssertEqual(ok("tcp://127.0.0.1:3755"), .tcp(address: [127, 0, 0, 1], port: 3755))
        XCTAssertEqual(ok("tcp://127.0.0.1:3755/"), .tcp(address: [127, 0, 0, 1], port: 3755))
        XCTAssertEqual(ok("tcp://0:3755/", wild: true), .tcp(address: [0, 0, 0, 0], port: 3755))
        XCTAssertEqual(ok("tcp://*:1", wild: true), .tcp(address: [0, 0, 0, 0], port: 1))
        XCTAssertEqual(err("bogus://x")?.messages, ["rump_sp: invalid identifier ``bogus://x''"])
        XCTAssertEqual(err("nothing")?.messages, ["rump_sp: invalid locator ``nothing''"])
        XCTAssertEqual(err("abcdefghijklmnop://x")?.messages, ["rump_sp: identifier too long in ``abcdefghijklmnop://x''"])
        XCTAssertEqual(err("tcp://0:3755")?.messages, ["rump_sp_tcp: client needs !INADDR_ANY"])
        XCTAssertEqual(err("tcp://127.0.0.1")?.messages, ["rump_sp_tcp: missing port specifier"])
        XCTAssertEqual(err("tcp://127.0.0.1:")?.messages, ["rump_sp_tcp: port now found: "])
        XCTAssertEqual(err("tcp://127.0.0.1:12x")?.messages, ["rump_sp_tcp: junk at end of port: 127.0.0.1:12x"])
        XCTAssertEqual(err("tcp://127.0.0.1:70000")?.errno, .ERANGE)
        XCTAssertEqual(err("tcp://10.0.0.300:1")?.messages, ["rump_sp_tcp: cannot parse 10.0.0.300"])
        XCTAssertEqual(err("tcp6://[::1]:1")?.errno, .EOPNOTSUPP)
        XCTAssertEqual(err("unix:///" + String(repeating: "x", count: 200))?.errno, .ENAMETOOLONG)
        XCTAssertNil(ServerURL.parseIPv4("01.2.3.4"))
        XCTAssertEqual(ServerURL.parseIPv4("1.2.3.4"), [1, 2, 3, 4])
    }

    func testComponents() {
        XCTAssertEqual(Component.rumpnet_shmif.closure, [.rumpnet, .rumpnet_net, .rumpnet_shmif])
        XCTAssertEqual(Component.parse(library: "librumpnet_netinet.so"), .rumpnet_netinet)
        XCTAssertEqual(Component.parse(library: "rumpnet_virtif"), .rumpnet_virtif)
        XCTAssertNil(Component.parse(library: "rumpfs_cd9660"))
        let m = Component.missing(in: [.rumpnet_shmif])
        XCTAssertEqual(m.count, 1)
        XCTAssertEqual(m[0].missing, [.rumpnet, .rumpnet_net])
        XCTAssertTrue(Component.missing(in: Set(Component.allCases)).isEmpty)
    }

    func testGetopt() {
        XCTAssertNil(NetBSDGetopt.check(["-s", "-lrumpnet", "-l", "rumpnet_net", "unix://x"], optstring: "c:d:l:m:r:sv"))
        XCTAssertEqual(NetBSDGetopt.check(["-sx"], optstring: "c:d:l:m:r:sv"), .unknownOption("x"))
        XCTAssertEqual(NetBSDGetopt.check(["-l"], optstring: "c:d:l:m:r:sv"), .missingArgument("l"))
        XCTAssertNil(NetBSDGetopt.check(["url", "-x"], optstring: "s"))  // stops at the first operand
        XCTAssertEqual(NetBSDGetopt.Failure.unknownOption("N").message(program: "sysctl"), "sysctl: unknown option -- N")
    }

    func testSysctlTree() throws {
        let t = SysctlTree()
        var v: Int32 = 1
        t.add("net.inet.ip.forwarding", SysctlLeaf(kind: .int, get: { .int(v) }, set: { (x: SysctlValue) throws(KernelError) in
            if case .int(let i) = x { v = i }
        }))
        t.add("kern.ostype", .constant(.string("NetBSD")))
        XCTAssertEqual(try t.list("").map(\.name), ["kern.ostype", "net.inet.ip.forwarding"])
        let (o, n) = try t.set("net.inet.ip.forwarding", text: "0")
        XCTAssertEqual(o.value, .int(1)); XCTAssertEqual(n.value, .int(0))
        XCTAssertThrowsError(try t.set("net.inet.ip.forwarding", text: "zz")) { e in XCTAssertEqual((e as? KernelError)?.errno, .EINVAL) }
        XCTAssertThrowsError(try t.set("kern.ostype", text: "Linux")) { e in XCTAssertEqual((e as? KernelError)?.errno, .EPERM) }
        XCTAssertThrowsError(try t.get("kern.nosuchthing")) { e in
            XCTAssertEqual((e as? KernelError)?.errno, .ENOENT); XCTAssertEqual((e as? KernelError)?.detail, 1)
        }
        XCTAssertThrowsError(try t.get("nosuch")) { e in XCTAssertEqual((e as? KernelError)?.detail, 0) }
        XCTAssertEqual(try t.get("net.inet").count, 1)
        XCTAssertEqual(try t.get("vm").count, 0)  // top-level nodes always exist
    }
}

final class StatisticsProtocolTests: XCTestCase {
    /// The counters reply round-trips and refuses a forged count rather than allocating for it.
    func testCountersRoundTripAndForgedCount() throws {
        let reply = Reply.counters((0..<50).map { StatCounter(name: "icmp.outhist.\($0)", value: UInt64($0) * 1_000_003) })
        let body = Message.response(id: 9, opcode: Opcode.statistics.rawValue, result: .success(reply)).encodeBody()
        XCTAssertEqual(try Message.decode(body: body), .response(id: 9, opcode: Opcode.statistics.rawValue, result: .success(reply)))
        // Header (1 + 4 + 2 + 4) + reply tag, then the u32 count: claim a billion counters.
        var forged = Array(body.prefix(12))
        forged += [0x00, 0xca, 0x9a, 0x3b]
        XCTAssertThrowsError(try Message.decode(body: forged))
        let request = Message.request(id: 1, .statistics)
        XCTAssertEqual(try Message.decode(body: request.encodeBody()), request)
        XCTAssertThrowsError(try Message.decode(body: request.encodeBody() + [0]))  // trailing bytes
    }
}
