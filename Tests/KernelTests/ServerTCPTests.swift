import XCTest
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import RumpClient
import RumpProtocol

/// TCP between real rump_server processes on real bus files, driven through RumpClient as the
/// tools drive it: connect (blocking and non-blocking), accept, data both ways, half-close,
/// a 100 MiB transfer with equal sha256 at both ends, 200 concurrent connections, a routed
/// path. Timeouts are hang guards only.
final class ServerTCPTests: XCTestCase {
    var servers: [ForegroundServer] = []
    var scratch: TemporaryDirectory?
    var dir = ""

    override func setUp() {
        scratch = TemporaryDirectory(prefix: "ktcp-tcp-tools-")
        dir = scratch!.path
    }
    override func tearDown() {
        servers.forEach { $0.stop() }
        servers.removeAll()
        scratch?.remove()
    }

    static let libs = ["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet", "-lrumpnet_shmif"]

    func start(_ name: String, environment: [String: String] = [:]) throws -> RumpClient {
        let sock = dir + "/\(name).sock"
        let s = try ForegroundServer(args: Self.libs, url: "unix://" + sock, socketPath: sock, environment: environment)
        servers.append(s)
        XCTAssertTrue(waitForSocket(sock))
        return try RumpClient(url: .unix(path: sock), clientName: "test")
    }

    func configure(_ c: RumpClient, bus: String, address: String, ifname: String = "shmif0") throws {
        _ = try c.call(.ifCreate(name: ifname))
        _ = try c.call(.ifSetLinkstr(name: ifname, linkstr: bus))
        _ = try c.call(.ifAddAddress(name: ifname, address: InterfaceAddress(address: ip(address), netmask: ip("255.255.255.0")), alias: false))
        _ = try c.call(.ifSetFlags(name: ifname, set: IFF.UP, clear: 0))
    }

    /// Two kernels on one bus: a (10.0.0.1) and b (10.0.0.2).
    func pair() throws -> (RumpClient, RumpClient) {
        let bus = dir + "/bus"
        let a = try start("a"), b = try start("b")
        try configure(a, bus: bus, address: "10.0.0.1")
        try configure(b, bus: bus, address: "10.0.0.2")
        return (a, b)
    }

    func tcp(_ c: RumpClient) throws -> Int32 {
        guard case .fd(let f) = try c.call(.socket(domain: Int32(NetBSD.AF_INET), type: NetBSD.SOCK_STREAM, protocol: 0)) else {
            throw KernelError(.EINVAL, message: "socket gave no descriptor")
        }
        return f
    }

    func listener(_ c: RumpClient, _ address: String, port: UInt16, backlog: Int32 = 5) throws -> Int32 {
        let l = try tcp(c)
        _ = try c.call(.bind(fd: l, address: ip(address, port: port)))
        _ = try c.call(.listen(fd: l, backlog: backlog))
        return l
    }

    func int32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    func soError(_ c: RumpClient, _ fd: Int32) throws -> Int32 {
        guard case .data(let v) = try c.call(.getsockopt(fd: fd, level: NetBSD.SOL_SOCKET, name: NetBSD.SO_ERROR, maxLength: 4)),
              v.count == 4 else { throw KernelError(.EINVAL, message: "SO_ERROR gave no int") }
        return Int32(v[0]) | Int32(v[1]) << 8 | Int32(v[2]) << 16 | Int32(v[3]) << 24
    }

    func entries(_ c: RumpClient) throws -> [SocketEntry] {
        guard case .sockets(let l) = try c.call(.socketList) else { throw KernelError(.EINVAL, message: "no socket list") }
        return l.filter { $0.proto == "tcp" }
    }

    func errno(of body: () throws -> Reply) -> NetBSDErrno? {
        do { _ = try body(); return nil } catch { return (error as? CallError)?.errno }
    }

    /// Blocking connect and accept, data both ways, then a half-close from the client: the
    /// server reads end of file, still sends, and the states are CLOSE_WAIT / FIN_WAIT_2.
    func testConnectAcceptDataBothWaysAndHalfClose() throws {
        let (a, b) = try pair()
        let l = try listener(a, "0.0.0.0", port: 7000)
        let s = try tcp(b)
        XCTAssertEqual(try b.call(.connect(fd: s, address: ip("10.0.0.1", port: 7000), timeout: 10000)), Reply.none)
        guard case .address(let local) = try b.call(.getsockname(fd: s)) else { return XCTFail("getsockname") }
        guard case .accepted(let c, let peer) = try a.call(.accept(fd: l, timeout: 10000)) else { return XCTFail("accept") }
        XCTAssertEqual(peer, ip("10.0.0.2", port: local.port))
        XCTAssertEqual(try b.call(.getpeername(fd: s)), .address(ip("10.0.0.1", port: 7000)))

        XCTAssertEqual(try b.call(.send(fd: s, data: Array("hello, server".utf8), flags: 0, timeout: 5000)), .count(13))
        XCTAssertEqual(try a.call(.recv(fd: c, maxLength: 100, flags: 0, timeout: 5000)), .data(Array("hello, server".utf8)))
        XCTAssertEqual(try a.call(.send(fd: c, data: Array("hello, client".utf8), flags: 0, timeout: 5000)), .count(13))
        XCTAssertEqual(try b.call(.recv(fd: s, maxLength: 100, flags: 0, timeout: 5000)), .data(Array("hello, client".utf8)))

        let established = try entries(a).first { $0.local == ip("10.0.0.1", port: 7000) && $0.foreign == peer }
        XCTAssertEqual(established?.state, "ESTABLISHED")
        XCTAssertEqual(try entries(a).first { $0.foreign.port == 0 }?.state, "LISTEN")

        // SO_ACCEPTCONN, TCP_NODELAY, SO_KEEPALIVE and SO_LINGER's struct through the wire.
        XCTAssertEqual(try a.call(.getsockopt(fd: l, level: NetBSD.SOL_SOCKET, name: 0x0002, maxLength: 4)), .data(int32(1)))
        XCTAssertEqual(try a.call(.getsockopt(fd: c, level: NetBSD.SOL_SOCKET, name: 0x0002, maxLength: 4)), .data(int32(0)))
        _ = try b.call(.setsockopt(fd: s, level: 6, name: 1, value: int32(1)))
        XCTAssertEqual(try b.call(.getsockopt(fd: s, level: 6, name: 1, maxLength: 4)), .data(int32(1)))
        _ = try b.call(.setsockopt(fd: s, level: NetBSD.SOL_SOCKET, name: 0x0008, value: int32(1)))
        XCTAssertEqual(try b.call(.getsockopt(fd: s, level: NetBSD.SOL_SOCKET, name: 0x0008, maxLength: 4)), .data(int32(1)))
        XCTAssertEqual(try b.call(.getsockopt(fd: s, level: NetBSD.SOL_SOCKET, name: 0x0080, maxLength: 8)), .data(int32(0) + int32(0)))
        _ = try b.call(.setsockopt(fd: s, level: NetBSD.SOL_SOCKET, name: 0x0080, value: int32(1) + int32(5)))
        XCTAssertEqual(try b.call(.getsockopt(fd: s, level: NetBSD.SOL_SOCKET, name: 0x0080, maxLength: 8)), .data(int32(1) + int32(5)))
        XCTAssertEqual(errno { try b.call(.setsockopt(fd: s, level: NetBSD.SOL_SOCKET, name: 0x0080, value: int32(1))) }, .EINVAL)
        _ = try b.call(.setsockopt(fd: s, level: NetBSD.SOL_SOCKET, name: 0x0080, value: int32(0) + int32(0)))
        guard case .data(let mss) = try b.call(.getsockopt(fd: s, level: 6, name: 2, maxLength: 4)) else { return XCTFail() }
        XCTAssertEqual(Int32(mss[0]) | Int32(mss[1]) << 8, 1500 - 40 - 12, "the MSS from the shmif MTU, less the timestamp option")

        // Half-close: b sends its FIN, a reads EOF and can still send.
        _ = try b.call(.shutdown(fd: s, how: 1))
        XCTAssertEqual(try a.call(.recv(fd: c, maxLength: 100, flags: 0, timeout: 5000)), .data([]))
        XCTAssertEqual(errno { try b.call(.send(fd: s, data: [1], flags: 0, timeout: 1000)) }, .EPIPE)
        XCTAssertEqual(try a.call(.send(fd: c, data: Array("after your FIN".utf8), flags: 0, timeout: 5000)), .count(14))
        XCTAssertEqual(try b.call(.recv(fd: s, maxLength: 100, flags: 0, timeout: 5000)), .data(Array("after your FIN".utf8)))
        XCTAssertEqual(try entries(a).first { $0.foreign == peer }?.state, "CLOSE_WAIT")
        XCTAssertEqual(try entries(b).first { $0.local == local }?.state, "FIN_WAIT_2")
        _ = try a.call(.close(fd: c))
        XCTAssertEqual(try b.call(.recv(fd: s, maxLength: 100, flags: 0, timeout: 5000)), .data([]))
        _ = try b.call(.close(fd: s))
        // The active closer (b) keeps the connection in TIME_WAIT without a descriptor.
        XCTAssertEqual(try entries(b).first { $0.local == local }?.state, "TIME_WAIT")
    }

    /// A non-blocking connect says EINPROGRESS; poll reports POLLOUT when it is set up and
    /// SO_ERROR is 0. To a port nobody listens on: the RST makes SO_ERROR ECONNREFUSED (and a
    /// blocking connect fails with it).
    func testNonBlockingConnectAndRefusedPort() throws {
        let (a, b) = try pair()
        let l = try listener(a, "10.0.0.1", port: 7001)
        let s = try tcp(b)
        XCTAssertEqual(try b.call(.fcntl(fd: s, command: NetBSD.F_SETFL, argument: NetBSD.O_NONBLOCK)), .value(0))
        XCTAssertEqual(errno { try b.call(.connect(fd: s, address: ip("10.0.0.1", port: 7001), timeout: -1)) }, .EINPROGRESS)
        guard case .poll(let items) = try b.call(.poll(items: [PollItem(fd: s, events: NetBSD.POLLOUT)], timeout: 10000)) else { return XCTFail() }
        XCTAssertEqual(items.first?.revents, NetBSD.POLLOUT)
        XCTAssertEqual(try soError(b, s), 0)
        // The listener is readable once the connection waits in its queue.
        guard case .poll(let ready) = try a.call(.poll(items: [PollItem(fd: l, events: NetBSD.POLLIN)], timeout: 10000)) else { return XCTFail() }
        XCTAssertEqual(ready.first?.revents, NetBSD.POLLIN)
        XCTAssertEqual(try a.call(.fcntl(fd: l, command: NetBSD.F_SETFL, argument: NetBSD.O_NONBLOCK)), .value(0))
        guard case .accepted = try a.call(.accept(fd: l, timeout: -1)) else { return XCTFail("accept") }
        XCTAssertEqual(errno { try a.call(.accept(fd: l, timeout: -1)) }, .EAGAIN, "nothing more to accept")
        XCTAssertEqual(errno { try b.call(.recv(fd: s, maxLength: 10, flags: 0, timeout: -1)) }, .EAGAIN)

        let r = try tcp(b)
        XCTAssertEqual(try b.call(.fcntl(fd: r, command: NetBSD.F_SETFL, argument: NetBSD.O_NONBLOCK)), .value(0))
        XCTAssertEqual(errno { try b.call(.connect(fd: r, address: ip("10.0.0.1", port: 7999), timeout: -1)) }, .EINPROGRESS)
        guard case .poll(let refused) = try b.call(.poll(items: [PollItem(fd: r, events: NetBSD.POLLOUT)], timeout: 10000)) else { return XCTFail() }
        XCTAssertNotEqual((refused.first?.revents ?? 0) & NetBSD.POLLERR, 0)
        XCTAssertEqual(try soError(b, r), NetBSDErrno.ECONNREFUSED.rawValue)
        XCTAssertEqual(try soError(b, r), 0, "reading SO_ERROR clears it")

        let blocking = try tcp(b)
        XCTAssertEqual(errno { try b.call(.connect(fd: blocking, address: ip("10.0.0.1", port: 7999), timeout: 10000)) }, .ECONNREFUSED)
        guard case .counters(let counters) = try a.call(.statistics) else { return XCTFail() }
        XCTAssertEqual(counters.first { $0.name == "tcp.accepts" }?.value, 1)
        XCTAssertGreaterThanOrEqual(counters.first { $0.name == "tcp.noport" }?.value ?? 0, 2)
    }

    /// 100 MiB from b to a with sends and receives in flight, then b's FIN: the receiver's
    /// bytes hash as the sender's did, and a's counters saw the bytes.
    func testHundredMiBTransferKeepsItsHash() throws {
        let (a, b) = try pair()
        try transferHundredMiB(from: b, to: a, port: 7002)
        // In sequence, or out of order and then filled in (a busy bus can lap a slow reader).
        XCTAssertGreaterThanOrEqual(try counter(a, "tcp.rcvbyte") + (try counter(a, "tcp.rcvoobyte")), UInt64(100 << 20))
    }

    /// 100 MiB from `sender` to a listener on `receiver` (10.0.0.1:port), sha256 checked.
    func transferHundredMiB(from sender: RumpClient, to receiver: RumpClient, port: UInt16) throws {
        let l = try listener(receiver, "10.0.0.1", port: port)
        let s = try tcp(sender)
        _ = try sender.call(.connect(fd: s, address: ip("10.0.0.1", port: port), timeout: 30000))
        guard case .accepted(let c, _) = try receiver.call(.accept(fd: l, timeout: 30000)) else { return XCTFail("accept") }
        let total = 100 << 20
        let (sent, received, count) = try StreamTransfer.run(from: sender, s, to: receiver, c, bytes: total)
        XCTAssertEqual(count, total)
        XCTAssertEqual(received, sent)
        XCTAssertEqual(sent.count, 64)
    }

    func counter(_ k: RumpClient, _ name: String) throws -> UInt64 {
        guard case .counters(let list) = try k.call(.statistics) else { return 0 }
        return list.first { $0.name == name }?.value ?? 0
    }

    /// SO_LINGER with a time: close waits until the peer has acknowledged the data and the FIN
    /// (here it cannot: the peer's kernel is stopped, so close returns when the time is up);
    /// with the peer running it returns once the connection is in FIN_WAIT_2.
    func testLingeringCloseWaitsForTheAcknowledgment() throws {
        let (a, b) = try pair()
        let l = try listener(a, "10.0.0.1", port: 7004)
        func lingeringConnection() throws -> Int32 {
            let s = try tcp(b)
            _ = try b.call(.connect(fd: s, address: ip("10.0.0.1", port: 7004), timeout: 10000))
            guard case .accepted = try a.call(.accept(fd: l, timeout: 10000)) else { throw KernelError(.EIO) }
            _ = try b.call(.setsockopt(fd: s, level: NetBSD.SOL_SOCKET, name: 0x0080, value: int32(1) + int32(1)))
            _ = try b.call(.send(fd: s, data: [UInt8](repeating: 7, count: 10_000), flags: 0, timeout: 10000))
            return s
        }
        // Peer running: close returns, and the FIN has been acknowledged by then.
        let s1 = try lingeringConnection()
        XCTAssertEqual(try b.call(.close(fd: s1)), Reply.none)
        let after1 = try entries(b)
        XCTAssertTrue(after1.contains { $0.foreign.port == 7004 && ["FIN_WAIT_2", "TIME_WAIT"].contains($0.state) }, "\(after1)")
        // Peer stopped: nothing is acknowledged, so close takes the whole second of SO_LINGER.
        let s2 = try lingeringConnection()
        kill(servers[0].pid, SIGSTOP)
        defer { kill(servers[0].pid, SIGCONT) }
        let t0 = Date()
        XCTAssertEqual(try b.call(.close(fd: s2)), Reply.none)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(t0), 0.9)
        let after2 = try entries(b)
        XCTAssertTrue(after2.contains { $0.foreign.port == 7004 && $0.state == "FIN_WAIT_1" }, "\(after2)")
    }

    /// The same through bus interfaces that lose 5 % of the frames they send and reorder 2 %
    /// (the RUMPNET_FAULT test hook wraps each kernel's shmif0 in a FaultInjector): the data
    /// arrives with the sender's hash, and the counters show the recovery.
    func testHundredMiBThroughLossAndReorderingKeepsItsHash() throws {
        let bus = dir + "/bus"
        func fault(_ seed: Int) -> [String: String] { ["RUMPNET_FAULT": "shmif0:drop=5,reorder=2,seed=\(seed),dir=tx"] }
        let a = try start("a", environment: fault(11)), b = try start("b", environment: fault(12))
        try configure(a, bus: bus, address: "10.0.0.1")
        try configure(b, bus: bus, address: "10.0.0.2")
        try transferHundredMiB(from: b, to: a, port: 7003)
        // About 5 % of the sender's ~72,000 data segments are lost and sent again.
        XCTAssertGreaterThan(try counter(b, "tcp.sndrexmitpack"), 1000)
        XCTAssertGreaterThan(try counter(b, "tcp.sack_recovery_episode"), 100)
        XCTAssertGreaterThan(try counter(a, "tcp.rcvoopack"), 100)
    }

    /// 200 connections at once to one listener (backlog 128: the rest retry their SYN): every
    /// one is accepted, carries its number there and back, and closes.
    func testTwoHundredConcurrentConnectionsAllComplete() throws {
        let (a, b) = try pair()
        let l = try listener(a, "10.0.0.1", port: 7003, backlog: 128)
        let n = 200
        var clients: [Int32] = []
        for _ in 0..<n {
            let s = try tcp(b)
            _ = try b.call(.fcntl(fd: s, command: NetBSD.F_SETFL, argument: NetBSD.O_NONBLOCK))
            XCTAssertEqual(errno { try b.call(.connect(fd: s, address: ip("10.0.0.1", port: 7003), timeout: -1)) }, .EINPROGRESS)
            clients.append(s)
        }
        // Accept them all (accepts in flight), answering each connection's number.
        var accepted: [Int32] = []
        var acceptIDs = Set(try a.submit(Array(repeating: .accept(fd: l, timeout: 60000), count: n)))
        while !acceptIDs.isEmpty {
            for r in try a.responses(wait: true) {
                guard acceptIDs.remove(r.id) != nil else { continue }
                guard case .success(.accepted(let c, _)) = r.result else { return XCTFail("accept: \(r.result)") }
                accepted.append(c)
            }
        }
        XCTAssertEqual(accepted.count, n)
        // Every client is connected: writable, no error.
        guard case .poll(let items) = try b.call(.poll(items: clients.map { PollItem(fd: $0, events: NetBSD.POLLOUT) }, timeout: 10000)) else { return XCTFail() }
        XCTAssertEqual(items.filter { $0.revents == NetBSD.POLLOUT }.count, n)
        for (i, s) in clients.enumerated() {
            XCTAssertEqual(try b.call(.send(fd: s, data: int32(Int32(i)), flags: 0, timeout: 5000)), .count(4))
        }
        var numbers = Set<Int32>()
        for c in accepted {
            guard case .data(let d) = try a.call(.recv(fd: c, maxLength: 4, flags: NetBSD.MSG_WAITALL, timeout: 10000)), d.count == 4 else {
                return XCTFail("recv")
            }
            numbers.insert(Int32(d[0]) | Int32(d[1]) << 8)
            XCTAssertEqual(try a.call(.send(fd: c, data: d, flags: 0, timeout: 5000)), .count(4))
            _ = try a.call(.close(fd: c))
        }
        XCTAssertEqual(numbers, Set((0..<Int32(n))))
        for (i, s) in clients.enumerated() {
            _ = try b.call(.fcntl(fd: s, command: NetBSD.F_SETFL, argument: 0))
            XCTAssertEqual(try b.call(.recv(fd: s, maxLength: 4, flags: 0, timeout: 10000)), .data(int32(Int32(i))))
            XCTAssertEqual(try b.call(.recv(fd: s, maxLength: 4, flags: 0, timeout: 10000)), .data([]), "EOF after the server's close")
            _ = try b.call(.close(fd: s))
        }
        guard case .counters(let counters) = try a.call(.statistics) else { return XCTFail() }
        XCTAssertEqual(counters.first { $0.name == "tcp.accepts" }?.value, UInt64(n))
    }

    /// net.inet.tcp.congctl as NetBSD has it: `available` a read-only string, `selected` a
    /// string set by name (EINVAL for another), listed available-first; the int knobs beside.
    func testCongestionControlSysctlsAreStrings() throws {
        let a = try start("a")
        guard case .sysctl(let l) = try a.call(.sysctlList(prefix: "net.inet.tcp.congctl")) else { return XCTFail() }
        XCTAssertEqual(l.map(\.name), ["net.inet.tcp.congctl.available", "net.inet.tcp.congctl.selected"])
        XCTAssertEqual(l.map(\.value), [.string("newreno cubic"), .string("newreno")])
        guard case .sysctlChanged(let old, let new) = try a.call(.sysctlSet(name: "net.inet.tcp.congctl.selected", value: "cubic")) else {
            return XCTFail()
        }
        XCTAssertEqual(old.value, .string("newreno"))
        XCTAssertEqual(new.value, .string("cubic"))
        XCTAssertEqual(errno { try a.call(.sysctlSet(name: "net.inet.tcp.congctl.selected", value: "reno")) }, .EINVAL)
        XCTAssertEqual(errno { try a.call(.sysctlSet(name: "net.inet.tcp.congctl.available", value: "cubic")) }, .EPERM)
        XCTAssertEqual(try a.call(.sysctlGet(name: "net.inet.tcp.congctl.selected")),
                       .sysctl([SysctlEntry(name: "net.inet.tcp.congctl.selected", value: .string("cubic"), writable: true,
                                            description: "Selected Congestion Control Mechanism")]))
        guard case .sysctl(let knobs) = try a.call(.sysctlGet(name: "net.inet.tcp.sendspace")) else { return XCTFail() }
        XCTAssertEqual(knobs.first?.value, .int(32768))
    }

    /// a (10.0.1.1) → router → b (10.0.2.1) over two buses: 8 MiB arrive with their hash.
    func testTransferAcrossARouter() throws {
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
        let l = try listener(b, "0.0.0.0", port: 7004)
        let s = try tcp(a)
        _ = try a.call(.connect(fd: s, address: ip("10.0.2.1", port: 7004), timeout: 10000))
        guard case .accepted(let c, let peer) = try b.call(.accept(fd: l, timeout: 10000)) else { return XCTFail("accept") }
        XCTAssertEqual(peer.ipv4, IPv4Address(10, 0, 1, 1))
        let total = 8 << 20
        let (sent, received, count) = try StreamTransfer.run(from: a, s, to: b, c, bytes: total)
        XCTAssertEqual(count, total)
        XCTAssertEqual(received, sent)
        guard case .counters(let counters) = try r.call(.statistics) else { return XCTFail() }
        XCTAssertGreaterThan(counters.first { $0.name == "ip.forward" }?.value ?? 0, UInt64(total / 1460))
    }
}

/// sha256sum(1) fed through a pipe: the hash of everything written.
final class HashPipe {
    let process = Process()
    let input = Pipe(), output = Pipe()

    init() throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    func write(_ bytes: ArraySlice<UInt8>) { input.fileHandleForWriting.write(Data(bytes)) }

    func finish() -> String {
        try? input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: out.prefix(64), as: UTF8.self)
    }
}

/// A transfer over one TCP connection from one kernel's socket to another's with calls in
/// flight on both clients (submit/responses): a few 64 KiB sends, a few 256 KiB receives,
/// then SHUT_WR and reading to end of file. Each chunk starts at another offset of a
/// pseudo-random pattern, so lost, doubled or reordered data changes the receiver's hash.
enum StreamTransfer {
    static let chunk = 65536, window = 4

    static func run(from sender: RumpClient, _ sfd: Int32, to receiver: RumpClient, _ rfd: Int32,
                    bytes total: Int) throws -> (sent: String, received: String, count: Int) {
        var seed: UInt64 = 0x9e37_79b9_7f4a_7c15
        let pattern: [UInt8] = (0..<((1 << 20) + chunk)).map { _ in
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
            return UInt8(truncatingIfNeeded: seed)
        }
        let sentHash = try HashPipe(), receivedHash = try HashPipe()
        var submitted = 0, chunks = 0, received = 0
        var sends = Set<UInt32>(), receives = Set<UInt32>()
        var shutDown = false, endOfFile = false
        while !(endOfFile && shutDown && sends.isEmpty && receives.isEmpty) {
            while sends.count < window && submitted < total {
                let n = min(chunk, total - submitted)
                let start = (chunks * 4099) % (1 << 20)
                let data = Array(pattern[start..<(start + n)])
                sentHash.write(data[...])
                sends.insert(try sender.submit([.send(fd: sfd, data: data, flags: 0, timeout: 60000)])[0])
                submitted += n
                chunks += 1
            }
            if submitted == total && sends.isEmpty && !shutDown {
                _ = try sender.call(.shutdown(fd: sfd, how: 1))
                shutDown = true
            }
            while receives.count < window && !endOfFile {
                receives.insert(try receiver.submit([.recv(fd: rfd, maxLength: 262_144, flags: 0, timeout: 60000)])[0])
            }
            var fds = [pollfd(fd: sender.connectionDescriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: receiver.connectionDescriptor, events: Int16(POLLIN), revents: 0)]
            if Glibc.poll(&fds, 2, 60000) == 0 { throw KernelError(.ETIMEDOUT, message: "transfer stalled at \(received) bytes") }
            if fds[0].revents != 0 {
                for r in try sender.responses(wait: false) where sends.remove(r.id) != nil {
                    guard case .success(.count) = r.result else { throw KernelError(.EIO, message: "send: \(r.result)") }
                }
            }
            if fds[1].revents != 0 {
                for r in try receiver.responses(wait: false) where receives.remove(r.id) != nil {
                    guard case .success(.data(let d)) = r.result else { throw KernelError(.EIO, message: "recv: \(r.result)") }
                    if d.isEmpty { endOfFile = true } else {
                        receivedHash.write(d[...])
                        received += d.count
                    }
                }
            }
        }
        return (sentHash.finish(), receivedHash.finish(), received)
    }
}
