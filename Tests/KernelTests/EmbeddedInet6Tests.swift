import XCTest
import KernelStack
import RumpKernel
import RumpNet
import RumpProtocol
import TestSupport

/// AF_INET6 UDP and TCP sockets through the syscall layer of two embedded kernels (with
/// rumpnet_netinet6) on virtual time, over the link-local addresses their interfaces form:
/// sockaddr_in6 in and out with sin6_scope_id, and the socket list's tcp6/udp6 rows.
final class EmbeddedInet6Tests: XCTestCase {
    typealias NetBSD = RumpProtocol.NetBSD
    static let inet6: Set<Component> = [.rumpnet, .rumpnet_net, .rumpnet_netinet, .rumpnet_netinet6, .rumpnet_shmif]
    static let AF_INET6: Int32 = 24

    var lab: EmbeddedLab!
    var a: EmbeddedKernel!
    var b: EmbeddedKernel!

    override func setUpWithError() throws {
        lab = EmbeddedLab()
        let link = lab.link()
        a = lab.kernel(seed: 21, components: Self.inet6)
        b = lab.kernel(seed: 22, components: Self.inet6)
        for k in [a!, b!] {
            try k.attach("mem0", to: link)
            XCTAssertEqual(k.client().call(.ifSetFlags(name: "mem0", set: IFF.UP, clear: 0)), .success(.none))
        }
        lab.advance(milliseconds: 3000)  // DAD of the link-locals
    }

    override func tearDown() {
        for k in lab.kernels { k.kernel.halt() }
        lab = nil; a = nil; b = nil
    }

    /// mem0's link-local (fe80::EUI-64) and its index, from ifconfig's view of the interface.
    func linkLocal(_ k: EmbeddedKernel) throws -> (IPv6Address, UInt32) {
        guard case .success(.interfaces(let l))? = k.client().call(.ifList), let i = l.first(where: { $0.name == "mem0" }) else {
            throw XCTSkip("no mem0")
        }
        let mac = i.linkAddress.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return (IPv6Address.linkLocal(interfaceID: IPv6Address.interfaceID(mac: mac)), i.index)
    }

    func socket(_ c: EmbeddedClient, _ type: Int32) -> Int32 {
        if case .success(.fd(let f))? = c.call(.socket(domain: Self.AF_INET6, type: type, protocol: 0)) { return f }
        XCTFail("socket(AF_INET6, \(type)) failed")
        return -1
    }

    func testUDP6SockaddrIn6WithScopeBothWays() throws {
        let (llA, ia) = try linkLocal(a), (llB, ib) = try linkLocal(b)
        let server = b.client(name: "server"), client = a.client(name: "client")
        let ss = socket(server, NetBSD.SOCK_DGRAM), cs = socket(client, NetBSD.SOCK_DGRAM)
        XCTAssertEqual(server.call(.bind(fd: ss, address: .inet6(.any, port: 7))), .success(.none))
        XCTAssertEqual(server.call(.getsockname(fd: ss)), .success(.address(.inet6(.any, port: 7))))
        // A sockaddr_in on an AF_INET6 socket: EAFNOSUPPORT.
        XCTAssertEqual(server.call(.bind(fd: socket(server, NetBSD.SOCK_DGRAM), address: .inet(.any, port: 8))),
                       .failure(KernelError(.EAFNOSUPPORT)))
        XCTAssertEqual(client.call(.sendto(fd: cs, data: [1, 2], flags: 0, address: .inet6(llB, port: 7, scopeID: ib), timeout: -1)),
                       .success(.count(2)))
        lab.run()
        guard case .success(.dataFrom(let d, let from))? = server.call(.recvfrom(fd: ss, maxLength: 100, flags: 0, timeout: 1000)) else {
            return XCTFail("nothing received")
        }
        XCTAssertEqual(d, [1, 2])
        XCTAssertEqual(from.ipv6, llA)
        guard case .inet6(_, let port, _, let scope) = from else { return XCTFail("\(from)") }
        XCTAssertEqual(scope, ib, "the zone is the receiving interface's index")
        XCTAssertTrue((49152...65535).contains(port))
        XCTAssertEqual(server.call(.sendto(fd: ss, data: [3], flags: 0, address: from, timeout: -1)), .success(.count(1)))
        lab.run()
        XCTAssertEqual(client.call(.recvfrom(fd: cs, maxLength: 100, flags: 0, timeout: 1000)),
                       .success(.dataFrom([3], from: .inet6(llB, port: 7, scopeID: ia))))
        guard case .success(.sockets(let rows))? = b.client().call(.socketList) else { return XCTFail("socket list") }
        XCTAssertTrue(rows.contains { $0.proto == "udp6" && $0.local == .inet6(.any, port: 7) }, "\(rows)")
    }

    func testTCP6ConnectAcceptDataAndPeerNames() throws {
        let (llA, ia) = try linkLocal(a), (llB, ib) = try linkLocal(b)
        let server = b.client(name: "server"), client = a.client(name: "client")
        let l = socket(server, NetBSD.SOCK_STREAM), c = socket(client, NetBSD.SOCK_STREAM)
        XCTAssertEqual(server.call(.bind(fd: l, address: .inet6(.any, port: 80))), .success(.none))
        XCTAssertEqual(server.call(.listen(fd: l, backlog: 4)), .success(.none))
        let connecting = client.send(.connect(fd: c, address: .inet6(llB, port: 80, scopeID: ib), timeout: -1))
        lab.run()
        XCTAssertEqual(client.response(connecting)?.result, .success(.none))
        guard case .success(.accepted(let s, let peer))? = server.call(.accept(fd: l, timeout: 1000)) else { return XCTFail("accept") }
        XCTAssertEqual(client.call(.getsockname(fd: c)), .success(.address(.inet6(llA, port: peer.port, scopeID: ia))))
        XCTAssertEqual(peer, .inet6(llA, port: peer.port, scopeID: ib))
        XCTAssertEqual(client.call(.getpeername(fd: c)), .success(.address(.inet6(llB, port: 80, scopeID: ia))))
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let sending = client.send(.send(fd: c, data: data, flags: 0, timeout: -1))
        var got: [UInt8] = []
        for _ in 0..<200 where got.count < data.count {
            lab.run()
            if case .success(.data(let d))? = server.call(.recv(fd: s, maxLength: 65536, flags: 0, timeout: 100)) { got += d }
        }
        XCTAssertEqual(got, data)
        XCTAssertEqual(client.response(sending)?.result, .success(.count(UInt32(data.count))))
        guard case .success(.sockets(let rows))? = b.client().call(.socketList) else { return XCTFail("socket list") }
        XCTAssertTrue(rows.contains { $0.proto == "tcp6" && $0.state == "LISTEN" && $0.local == .inet6(.any, port: 80) }, "\(rows)")
        XCTAssertTrue(rows.contains { $0.proto == "tcp6" && $0.state == "ESTABLISHED" && $0.foreign == peer }, "\(rows)")
    }
}
