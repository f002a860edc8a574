import XCTest
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import RumpClient
import RumpProtocol

/// The RumpNet stack inside real rump_server processes, driven through the protocol as a
/// utility would: interfaces, addresses, shmif buses, raw ICMP sockets, routes, ARP.
final class StackIntegrationTests: XCTestCase {
    var servers: [ForegroundServer] = []
    var scratch: TemporaryDirectory?
    var dir = ""

    override func setUp() {
        scratch = TemporaryDirectory(prefix: "kt-")
        dir = scratch!.path
    }
    override func tearDown() {
        servers.forEach { $0.stop() }
        servers.removeAll()
        scratch?.remove()
    }

    func start(_ name: String, _ libs: [String] = ["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet", "-lrumpnet_shmif"]) throws -> RumpClient {
        let sock = dir + "/\(name).sock"
        let s = try ForegroundServer(args: libs, url: "unix://" + sock, socketPath: sock)
        servers.append(s)
        XCTAssertTrue(waitForSocket(sock))
        return try RumpClient(url: .unix(path: sock), clientName: "test")
    }

    func configure(_ c: RumpClient, bus: String, address: String, ifname: String = "shmif0", prefix: UInt8 = 24) throws {
        _ = try c.call(.ifCreate(name: ifname))
        _ = try c.call(.ifSetLinkstr(name: ifname, linkstr: bus))
        let mask = UInt32.max << (32 - UInt32(prefix))
        let m = SocketAddress.inet(IPv4Address(mask))
        _ = try c.call(.ifAddAddress(name: ifname, address: InterfaceAddress(address: ip(address), netmask: m), alias: false))
    }

    /// One echo request from a raw socket; returns the reply's TTL, or nil on timeout.
    func ping(_ c: RumpClient, _ to: String, ttl: Int32? = nil, timeout: Int32 = 2000) throws -> UInt8? {
        guard case .fd(let fd) = try c.call(.socket(domain: Int32(NetBSD.AF_INET), type: NetBSD.SOCK_RAW, protocol: 1)) else { XCTFail(); return nil }
        defer { _ = try? c.call(.close(fd: fd)) }
        if let ttl {
            _ = try c.call(.setsockopt(fd: fd, level: 0, name: 4, value: withUnsafeBytes(of: ttl.littleEndian) { Array($0) }))
        }
        var msg: [UInt8] = [8, 0, 0, 0, 0x12, 0x34, 0, 1] + (0..<56).map { UInt8($0) }
        var sum: UInt32 = 0
        for i in stride(from: 0, to: msg.count, by: 2) { sum += UInt32(msg[i]) << 8 | UInt32(msg[i + 1]) }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        let ck = ~UInt16(sum)
        msg[2] = UInt8(ck >> 8); msg[3] = UInt8(ck & 0xff)
        _ = try c.call(.sendto(fd: fd, data: msg, flags: 0, address: ip(to), timeout: 1000))
        let deadline = Date().addingTimeInterval(Double(timeout) / 1000)
        while Date() < deadline {
            let reply: Reply
            do {
                reply = try c.call(.recvfrom(fd: fd, maxLength: 2048, flags: 0, timeout: 200))
            } catch {
                if error.errno == .EAGAIN || error.errno == .ETIMEDOUT { continue }
                throw error
            }
            guard case .dataFrom(let d, _) = reply else { continue }
            let hl = Int(d[0] & 0x0f) * 4
            if d.count > hl, d[hl] == 0 { return d[8] }   // echo reply
        }
        return nil
    }

    func testLoopbackPing() throws {
        let c = try start("k1", ["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet"])
        XCTAssertEqual(try ping(c, "127.0.0.1"), 255)
    }

    func testTwoServersPingOverABusAndTheBusShowsIt() throws {
        let bus = dir + "/bus"
        let a = try start("a"), b = try start("b")
        try configure(a, bus: bus, address: "10.0.0.1")
        try configure(b, bus: bus, address: "10.0.0.2")
        XCTAssertEqual(try ping(b, "10.0.0.1"), 255)
        XCTAssertEqual(try ping(a, "10.0.0.2"), 255)
        guard case .interfaces(let list) = try a.call(.ifList) else { return XCTFail() }
        let shmif = list.first { $0.name == "shmif0" }
        XCTAssertEqual(shmif?.flags, 0x8843)
        XCTAssertEqual(shmif?.linkstr, bus)
        XCTAssertEqual(shmif?.linkAddress.prefix(2), [0xb2, 0xa0])
        guard case .arp(let arp) = try a.call(.arpList) else { return XCTFail() }
        XCTAssertTrue(arp.contains { $0.address == IPv4Address("10.0.0.2") && $0.linkAddress?.count == 6 })
        let dump = runTool([executable("shmif_dumpbus"), bus], rumpServer: nil)
        XCTAssertEqual(dump.status, 0)
        XCTAssertGreaterThanOrEqual(dump.stdout.split(separator: "\n").count, 7)  // header + ARP + echoes
    }

    func testThreeServersForwardingWithRoutes() throws {
        let bus1 = dir + "/bus1", bus2 = dir + "/bus2"
        let a = try start("a"), r = try start("r"), b = try start("b")
        try configure(a, bus: bus1, address: "10.0.1.1")
        try configure(r, bus: bus1, address: "10.0.1.254")
        try configure(r, bus: bus2, address: "10.0.2.254", ifname: "shmif1")
        try configure(b, bus: bus2, address: "10.0.2.1")
        _ = try r.call(.sysctlSet(name: "net.inet.ip.forwarding", value: "1"))
        let def = SocketAddress.inet(.any)
        _ = try a.call(.routeAdd(RouteEntry(destination: def, netmask: def, gateway: ip("10.0.1.254"), flags: 0x803, interface: "")))
        _ = try b.call(.routeAdd(RouteEntry(destination: def, netmask: def, gateway: ip("10.0.2.254"), flags: 0x803, interface: "")))
        XCTAssertEqual(try ping(a, "10.0.2.1"), 254)
        XCTAssertEqual(try ping(b, "10.0.1.1"), 254)
        guard case .routes(let got) = try a.call(.routeGet(destination: ip("10.0.2.1"))) else { return XCTFail() }
        XCTAssertEqual(got.first?.gateway, ip("10.0.1.254"))
        XCTAssertEqual(got.first?.localAddress, ip("10.0.1.1"))
        // TTL 1 through the router: time exceeded, no echo reply.
        XCTAssertNil(try ping(a, "10.0.2.1", ttl: 1, timeout: 500))
    }

    func testNoNetinetMeansNoInetSockets() throws {
        let c = try start("k", ["-lrumpnet", "-lrumpnet_net", "-lrumpnet_shmif"])
        XCTAssertThrowsError(try c.call(.socket(domain: Int32(NetBSD.AF_INET), type: NetBSD.SOCK_RAW, protocol: 1))) { e in
            XCTAssertEqual((e as? CallError)?.errno, .EAFNOSUPPORT)
        }
        guard case .interfaces(let list) = try c.call(.ifList) else { return XCTFail() }
        XCTAssertEqual(list.first?.name, "lo0")
        XCTAssertEqual(list.first?.addresses.count, 0)
    }
}
