import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// traceroute, nc, netstat's UDP parts and udp-bench as real processes against real kernels
/// joined by bus files.
final class UDPToolTests: XCTestCase {
    static let shmifKernel = LabTests.shmifKernel

    func ok(_ s: Server, _ cmd: String, file: StaticString = #filePath, line: UInt = #line) {
        let r = s.run(cmd)
        XCTAssertEqual(r.status, 0, "\(cmd): \(r)", file: file, line: line)
    }

    /// A — R — C as in LabTests' forwarding test: R forwards between 10.0.1/24 and 10.0.2/24.
    func routedLab(_ lab: Lab) throws -> (a: Server, r: Server, c: Server) {
        let ab = lab.dir + "/busAB", rc = lab.dir + "/busRC"
        let a = try lab.start("kA", Self.shmifKernel), r = try lab.start("kR", Self.shmifKernel), c = try lab.start("kC", Self.shmifKernel)
        ok(a, "ifconfig shmif0 create"); ok(a, "ifconfig shmif0 linkstr \(ab)"); ok(a, "ifconfig shmif0 inet 10.0.1.1/24 up")
        ok(r, "ifconfig shmif0 create"); ok(r, "ifconfig shmif0 linkstr \(ab)"); ok(r, "ifconfig shmif0 inet 10.0.1.254/24 up")
        ok(r, "ifconfig shmif1 create"); ok(r, "ifconfig shmif1 linkstr \(rc)"); ok(r, "ifconfig shmif1 inet 10.0.2.254/24 up")
        ok(c, "ifconfig shmif0 create"); ok(c, "ifconfig shmif0 linkstr \(rc)"); ok(c, "ifconfig shmif0 inet 10.0.2.1/24 up")
        ok(r, "sysctl -w net.inet.ip.forwarding=1")
        ok(a, "route add default 10.0.1.254")
        ok(c, "route add -net 10.0.1.0/24 10.0.2.254")
        return (a, r, c)
    }

    /// Lines of the form " N  ADDR  T ms  T ms  T ms" (numeric output, all probes answered).
    func assertHop(_ line: Substring?, _ ttl: Int, _ addr: String, probes: Int = 3, names: Bool = false,
                   file: StaticString = #filePath, line l: UInt = #line) {
        let esc = addr.replacingOccurrences(of: ".", with: "\\.")
        let who = names ? "\(esc) \\(\(esc)\\)" : esc
        let pattern = "^" + String(repeating: " ", count: ttl < 10 ? 1 : 0) + "\(ttl)  " + who
            + String(repeating: "  [0-9]+\\.[0-9]{3} ms", count: probes) + "$"
        XCTAssertNotNil(line.flatMap { String($0).range(of: pattern, options: .regularExpression) }, "\(line ?? "<none>") !~ \(pattern)",
                        file: file, line: l)
    }

    /// traceroute lists the router, then the destination (UDP probes end at its port
    /// unreachable, -I probes at its echo reply); a missing route is !N, silence is *.
    func testTracerouteAcrossRouter() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let (a, _, c) = try routedLab(lab)
        for flags in ["-n", "-n -I", ""] {
            let t = a.run("traceroute \(flags) 10.0.2.1".trimmingCharacters(in: .whitespaces), timeout: 60)
            XCTAssertEqual(t.status, 0, "\(flags): \(t)")
            XCTAssertEqual(t.stderr, "traceroute to 10.0.2.1 (10.0.2.1), 64 hops max, 40 byte packets\n", flags)
            let lines = t.stdout.split(separator: "\n")
            XCTAssertEqual(lines.count, 2, "\(flags): \(t.stdout)")
            assertHop(lines.first, 1, "10.0.1.254", names: flags.isEmpty)
            assertHop(lines.dropFirst().first, 2, "10.0.2.1", names: flags.isEmpty)
        }
        // The destination answered each UDP probe with a port unreachable (3 + 3 from the two
        // UDP runs), each -I probe with an echo reply.
        let icmp = c.run("netstat -s -p icmp").stdout
        XCTAssertTrue(icmp.contains("\t\tunreach: 6\n"), icmp)
        XCTAssertTrue(icmp.contains("\t\techoreply: 3\n"), icmp)
        // From C back to A, a first TTL of 2 and a larger packet.
        let back = c.run("traceroute -n -f 2 10.0.1.1 60", timeout: 60)
        XCTAssertEqual(back.stderr, "traceroute to 10.0.1.1 (10.0.1.1), 64 hops max, 60 byte packets\n")
        XCTAssertEqual(back.stdout.split(separator: "\n").count, 1, back.stdout)
        assertHop(back.stdout.split(separator: "\n").first, 2, "10.0.1.1")
        // No route beyond R: time exceeded from R at TTL 1, then R's net unreachable ends it.
        let unreach = a.run("traceroute -n -q 1 10.0.3.1", timeout: 60)
        XCTAssertEqual(unreach.status, 0, "\(unreach)")
        let ul = unreach.stdout.split(separator: "\n")
        XCTAssertEqual(ul.count, 2, unreach.stdout)
        assertHop(ul.first, 1, "10.0.1.254", probes: 1)
        XCTAssertNotNil(ul.last.flatMap { String($0).range(of: "^ 2  10\\.0\\.1\\.254  [0-9.]+ ms !N$", options: .regularExpression) },
                        unreach.stdout)
        // A host nobody answers for: "*" after the 2 s wait, up to -m.
        let silent = a.run("traceroute -n -q 1 -w 2 -f 2 -m 3 10.0.2.77", timeout: 60)
        XCTAssertEqual(silent.stdout, " 2  *\n 3  *\n", "\(silent)")
        // Bad input: NetBSD's messages, the kernel still serving.
        XCTAssertEqual(a.run("traceroute -m 0 10.0.2.1").stderr, "traceroute: max ttl must be > 0\n")
        XCTAssertEqual(a.run("traceroute nosuchhost").stderr, "traceroute: unknown host nosuchhost\n")
        XCTAssertEqual(a.run("traceroute").status, 1)
        XCTAssertEqual(a.run("ifconfig -l").stdout, "lo0 shmif0\n")
    }

    /// Whether the kernel has UDP sockets (the socket layer and its kernel glue are merged).
    func requireUDP(_ s: Server) throws {
        let r = s.run("sysctl -n net.inet.udp.recvspace")
        if r.status != 0 { throw XCTSkip("needs UDP from stack-sockets/kernel-waiting (net.inet.udp.* missing: \(r.stderr))") }
    }

    /// Two kernels on one bus, 10.0.0.1 and 10.0.0.2, each with the other's ARP entry: a burst
    /// to an unresolved neighbour loses all but what ARP holds (NetBSD holds one packet per
    /// entry), which is the stack being faithful, not what these tests measure.
    func busLab(_ lab: Lab) throws -> (Server, Server) {
        let bus = lab.dir + "/bus"
        let k1 = try lab.start("k1", Self.shmifKernel), k2 = try lab.start("k2", Self.shmifKernel)
        for (k, n) in [(k1, 1), (k2, 2)] {
            ok(k, "ifconfig shmif0 create"); ok(k, "ifconfig shmif0 linkstr \(bus)"); ok(k, "ifconfig shmif0 inet 10.0.0.\(n)/24")
        }
        ok(k2, "ping -c 1 10.0.0.1")
        return (k1, k2)
    }

    /// Polls `netstat -an` until a line matches `pattern` (the listener is bound).
    func waitForSocket(_ s: Server, _ pattern: String, timeout: Double = 10) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let out = s.run("netstat -an -f inet").stdout
            if let r = out.range(of: pattern, options: .regularExpression) { return String(out[r]) }
            usleep(20_000)
        }
        return nil
    }

    /// `nc -u -l` in one kernel, `nc -u` in the other: a file crosses the bus unchanged; while
    /// connected, netstat lists both ends.
    func testNcMovesAFileOverUDP() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let (k1, k2) = try busLab(lab)
        try requireUDP(k1)
        let file = lab.dir + "/in.bin", received = lab.dir + "/out.bin"
        // 150 kB: ten 16 KiB datagrams. The receiving kernel takes a bus burst in one go before it
        // wakes the reader, so the whole file must fit the listener's buffer (-I, at most
        // sb_max's 233016): UDP drops past it (fullsock), as NetBSD would.
        var bytes = [UInt8](repeating: 0, count: 150_000)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data(bytes)))
        let listener = try startTool(["nc -u -l -v -w 3 -I 233016 5000 > \(received)"], rumpServer: k1.url, shell: true)
        let bound = waitForSocket(k1, "udp +0 +0  \\*\\.5000 +\\*\\.\\*")
        XCTAssertNotNil(bound, "no UDP socket on *.5000 in k1's netstat -an")
        // Each stdin read (16 KiB) is one datagram: more than net.inet.udp.sendspace (9216), so -O.
        let send = runTool(["nc -u -w 1 -O 65536 10.0.0.1 5000 < \(file)"], rumpServer: k2.url, timeout: 60, shell: true)
        XCTAssertEqual(send.status, 0, "\(send)")
        // Connected to its first peer: k1 lists 10.0.0.1.5000 <-> 10.0.0.2.port.
        let conn = k1.run("netstat -an").stdout
        XCTAssertNotNil(conn.range(of: "udp +[0-9]+ +0  [0-9.*]+\\.5000 +10\\.0\\.0\\.2\\.[0-9]+", options: .regularExpression), conn)
        let done = listener.finish(timeout: 30)
        XCTAssertEqual(done.status, 0, "\(done)")
        XCTAssertEqual(done.stderr.split(separator: "\n").first.map(String.init), "Bound on 0.0.0.0 5000", done.stderr)
        XCTAssertNotNil(done.stderr.range(of: "Connection received on 10\\.0\\.0\\.2 [0-9]+\n", options: .regularExpression), done.stderr)
        XCTAssertEqual(sha256(received), sha256(file))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: received)).count, bytes.count)
        // The listener is gone, and so is its socket.
        XCTAssertNil(k1.run("netstat -an").stdout.range(of: "\\.5000 "))
        // Scanning: the listener's port is gone now, so -z reports nothing and fails.
        let scan = k2.run("nc -u -z -v -w 1 10.0.0.1 5000")
        XCTAssertEqual(scan.status, 1, "\(scan)")
        XCTAssertFalse(scan.stderr.contains("succeeded"), scan.stderr)
    }

    /// 10,000 datagrams: what the sender sent, what the receiver counted and what both
    /// kernels' `netstat -s -p udp` say agree.
    func testTenThousandDatagramsCounted() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let (k1, k2) = try busLab(lab)
        try requireUDP(k1)
        let receiver = try startTool(["udp-bench", "recv", "-n", "10000", "-t", "3000", "-W", "16", "-b", "200000", "5001"],
                                     rumpServer: k1.url)
        XCTAssertEqual(receiver.readLine(), "bound to port 5001")
        let send = runTool(["udp-bench", "send", "-n", "10000", "-s", "64", "-W", "8", "10.0.0.1", "5001"], rumpServer: k2.url, timeout: 120)
        XCTAssertEqual(send.status, 0, "\(send)")
        XCTAssertTrue(send.stdout.hasPrefix("sent 10000 datagrams of 64 bytes"), send.stdout)
        let got = receiver.finish(timeout: 60)
        XCTAssertTrue(got.stdout.contains("received 10000 datagrams (640000 bytes)"), "\(got)")
        func counter(_ s: Server, _ line: String) -> Int? {
            let out = s.run("netstat -s -p udp").stdout
            guard let r = out.range(of: "\t([0-9]+) \(line)\n", options: .regularExpression) else { return nil }
            return Int(out[r].dropFirst().prefix { $0.isNumber })
        }
        XCTAssertEqual(counter(k2, "datagrams output"), 10000)
        XCTAssertEqual(counter(k1, "datagrams received"), 10000)
        XCTAssertEqual(counter(k1, "delivered"), 10000)
        XCTAssertEqual(counter(k1, "dropped due to full socket buffers"), 0)
        XCTAssertEqual(counter(k1, "dropped due to no socket"), 0)
    }
}
