import XCTest
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import RumpClient
import RumpProtocol

/// UDP, select and the stack seed in real rump_server processes on a real bus file, driven
/// through RumpClient. Timeouts here are hang guards only.
final class ServerUDPTests: XCTestCase {
    var servers: [ForegroundServer] = []
    var scratch: TemporaryDirectory?
    var dir = ""

    override func setUp() {
        scratch = TemporaryDirectory(prefix: "kudp-")
        dir = scratch!.path
    }
    override func tearDown() {
        servers.forEach { $0.stop() }
        servers.removeAll()
        scratch?.remove()
    }

    static let libs = ["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet", "-lrumpnet_shmif"]

    func start(_ name: String, _ extra: [String] = []) throws -> RumpClient {
        let sock = dir + "/\(name).sock"
        let s = try ForegroundServer(args: extra + Self.libs, url: "unix://" + sock, socketPath: sock)
        servers.append(s)
        XCTAssertTrue(waitForSocket(sock))
        return try RumpClient(url: .unix(path: sock), clientName: "test")
    }

    func configure(_ c: RumpClient, bus: String, address: String) throws {
        _ = try c.call(.ifCreate(name: "shmif0"))
        _ = try c.call(.ifSetLinkstr(name: "shmif0", linkstr: bus))
        _ = try c.call(.ifAddAddress(name: "shmif0", address: InterfaceAddress(address: ip(address), netmask: ip("255.255.255.0")), alias: false))
        _ = try c.call(.ifSetFlags(name: "shmif0", set: IFF.UP, clear: 0))
    }

    func udp(_ c: RumpClient) throws -> Int32 {
        guard case .fd(let f) = try c.call(.socket(domain: Int32(NetBSD.AF_INET), type: NetBSD.SOCK_DGRAM, protocol: 0)) else {
            throw KernelError(.EINVAL, message: "socket gave no descriptor")
        }
        return f
    }

    /// select names the one socket of two that has a datagram; the datagrams keep their
    /// addresses and ports across the bus, and the receiver's count matches udp.ipackets.
    func testUDPAcrossABusWithSelect() throws {
        let bus = dir + "/bus"
        let a = try start("a"), b = try start("b")
        try configure(a, bus: bus, address: "10.0.0.1")
        try configure(b, bus: bus, address: "10.0.0.2")
        let r1 = try udp(b), r2 = try udp(b)
        _ = try b.call(.bind(fd: r1, address: ip("0.0.0.0", port: 5353)))
        _ = try b.call(.bind(fd: r2, address: ip("10.0.0.2", port: 5354)))
        let s = try udp(a)
        _ = try a.call(.bind(fd: s, address: ip("0.0.0.0", port: 4444)))
        XCTAssertEqual(try b.select(SelectSets(read: [r1, r2]), timeoutMilliseconds: 0), SelectSets(), "nothing yet")
        XCTAssertEqual(try a.call(.sendto(fd: s, data: Array("q".utf8), flags: 0, address: ip("10.0.0.2", port: 5354), timeout: -1)), .count(1))
        XCTAssertEqual(try b.select(SelectSets(read: [r1, r2]), timeoutMilliseconds: 5000), SelectSets(read: [r2]))
        let both = try b.select(SelectSets(read: [r1, r2], write: [r1]), timeoutMilliseconds: 5000)
        XCTAssertEqual(both, SelectSets(read: [r2], write: [r1]), "a datagram socket is always writable")
        XCTAssertEqual(both.count, 2)
        XCTAssertEqual(try b.call(.recvfrom(fd: r2, maxLength: 100, flags: 0, timeout: 5000)), .dataFrom(Array("q".utf8), from: ip("10.0.0.1", port: 4444)))
        XCTAssertThrowsError(try b.select(SelectSets(read: [r1, 77]), timeoutMilliseconds: 0)) { e in
            XCTAssertEqual((e as? CallError)?.errno, .EBADF)
        }

        // 300 datagrams; the receiver reads them all, in order.
        for i in 0..<300 {
            _ = try a.call(.sendto(fd: s, data: [UInt8(i & 0xff), UInt8(i >> 8)] + [UInt8](repeating: 0, count: 62), flags: 0,
                                   address: ip("10.0.0.2", port: 5353), timeout: -1))
        }
        var got = 0
        while got < 300 {
            guard case .data(let d) = try b.call(.recv(fd: r1, maxLength: 2048, flags: 0, timeout: 5000)) else { return XCTFail() }
            XCTAssertEqual(Int(d[0]) | Int(d[1]) << 8, got)
            XCTAssertEqual(d.count, 64)
            got += 1
        }
        guard case .counters(let counters) = try b.call(.statistics) else { return XCTFail() }
        XCTAssertEqual(counters.first { $0.name == "udp.ipackets" }?.value, 301)
        XCTAssertEqual(counters.first { $0.name == "udp.fullsock" }?.value, 0)
    }

    /// fcntl and recvmsg through a real server (protocol version 2).
    func testFcntlAndRecvmsgOverTheWire() throws {
        let c = try start("k")
        let s = try udp(c)
        _ = try c.call(.bind(fd: s, address: ip("127.0.0.1", port: 7000)))
        XCTAssertEqual(try c.call(.fcntl(fd: s, command: NetBSD.F_SETFL, argument: NetBSD.O_NONBLOCK)), .value(0))
        XCTAssertThrowsError(try c.call(.recv(fd: s, maxLength: 10, flags: 0, timeout: -1))) { e in
            XCTAssertEqual((e as? CallError)?.errno, .EWOULDBLOCK)
        }
        let t = try udp(c)
        _ = try c.call(.sendto(fd: t, data: Array(repeating: 5, count: 30), flags: 0, address: ip("127.0.0.1", port: 7000), timeout: -1))
        guard case .address(let sender) = try c.call(.getsockname(fd: t)) else { return XCTFail("getsockname") }
        XCTAssertEqual(try c.call(.recvmsg(fd: s, maxLength: 8, flags: 0, timeout: -1)),
                       .message(Array(repeating: 5, count: 8), from: ip("127.0.0.1", port: sender.port), flags: NetBSD.MSG_TRUNC))
    }

    /// The same seed gives the same stack (its MAC addresses), from -S or RUMP_SEED; another
    /// seed another; a bad one is refused with the option named.
    func testSeedFixesTheStack() throws {
        func mac(_ extra: [String], environment: [String: String] = [:], name: String) throws -> [UInt8] {
            let sock = dir + "/\(name).sock"
            var env = rumpEnvironment(server: nil)
            for (k, v) in environment { env[k] = v }
            let bg = try Background(executable("rump_server"), ["-s"] + extra + Self.libs + ["unix://" + sock], environment: env)
            defer { bg.kill9(); unlink(sock) }
            XCTAssertTrue(waitForSocket(sock))
            let c = try RumpClient(url: .unix(path: sock), clientName: "t")
            _ = try c.call(.ifCreate(name: "shmif0"))
            guard case .interfaces(let l) = try c.call(.ifGet(name: "shmif0")) else { return [] }
            return l.first?.linkAddress ?? []
        }
        let first = try mac(["-S", "42"], name: "s1")
        XCTAssertEqual(first.count, 6)
        XCTAssertEqual(try mac(["-S42"], name: "s2"), first)
        XCTAssertEqual(try mac([], environment: ["RUMP_SEED": "42"], name: "s3"), first)
        XCTAssertEqual(try mac(["-S", "0x2a"], name: "s4"), first)
        XCTAssertNotEqual(try mac(["-S", "43"], name: "s5"), first)
        let bad = runTool(["rump_server", "-s", "-S", "forty-two"] + Self.libs + ["unix://" + dir + "/bad.sock"], rumpServer: nil)
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "rump_server: -S forty-two: invalid seed (a number, decimal or 0x hex, below 2^64)\n")
    }

    /// A client that does not read while large datagrams are received for it: the server's
    /// gather writes go out in part and the rest queues behind them; once the client reads,
    /// every reply arrives whole and in order.
    func testBacklogOfLargeRepliesArrivesWholeAndInOrder() throws {
        _ = try start("k")
        let conn = try XCTUnwrap(RawConnection(path: dir + "/k.sock"))
        XCTAssertEqual(conn.hello()?.version, ProtocolVersion.maximum)
        func sockopt(_ fd: Int32, _ name: Int32, _ v: Int32) -> Message {
            .request(id: 0, .setsockopt(fd: fd, level: NetBSD.SOL_SOCKET, name: name, value: withUnsafeBytes(of: v.littleEndian) { Array($0) }))
        }
        conn.send(.request(id: 1, .socket(domain: 2, type: NetBSD.SOCK_DGRAM, protocol: 0)))  // fd 0: receiver
        conn.send(.request(id: 2, .socket(domain: 2, type: NetBSD.SOCK_DGRAM, protocol: 0)))  // fd 1: sender
        conn.send(.request(id: 3, .bind(fd: 0, address: ip("127.0.0.1", port: 7100))))
        conn.send(sockopt(0, 0x1002, 200_000))
        conn.send(sockopt(1, 0x1001, 65_536))
        let rounds = 20, size = 30_000
        for i in 0..<rounds {
            let payload = [UInt8](repeating: UInt8(i), count: size)
            conn.send(.request(id: UInt32(100 + 2 * i), .sendto(fd: 1, data: payload, flags: 0, address: ip("127.0.0.1", port: 7100), timeout: -1)))
            conn.send(.request(id: UInt32(101 + 2 * i), .recvfrom(fd: 0, maxLength: 65_536, flags: 0, timeout: -1)))
        }
        // Only now read: about 600 kB of replies waited in the server.
        var got: [UInt32: Reply] = [:]
        var order: [UInt32] = []
        while order.count < 5 + 2 * rounds {
            guard case .response(let id, _, let result)? = conn.receive() else { return XCTFail("connection ended after \(order.count) replies") }
            order.append(id)
            if case .success(let r) = result { got[id] = r } else { XCTFail("request \(id): \(result)") }
        }
        XCTAssertEqual(Array(order.suffix(2 * rounds)), (0..<(2 * rounds)).map { UInt32(100 + $0) }, "replies in request order")
        for i in 0..<rounds {
            XCTAssertEqual(got[UInt32(100 + 2 * i)], .count(UInt32(size)))
            guard case .dataFrom(let d, let from)? = got[UInt32(101 + 2 * i)] else { XCTFail("round \(i)"); continue }
            XCTAssertEqual(d.count, size)
            XCTAssertTrue(d.allSatisfy { $0 == UInt8(i) }, "round \(i): bytes intact")
            XCTAssertEqual(from.ipv4?.bytes, [127, 0, 0, 1])
        }
    }
}
