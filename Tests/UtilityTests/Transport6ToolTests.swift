import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// UDP and TCP over IPv6 between real kernels: nc -6 (and its -u) as real processes against two
/// rump_servers with rumpnet_netinet6 on one bus, by global and by link-local (%shmif0) address.
final class Transport6ToolTests: XCTestCase {
    static let kernel6 = LabTests.shmifKernel + ["-lrumpnet_netinet6"]

    func ok(_ s: Server, _ cmd: String, file: StaticString = #filePath, line: UInt = #line) {
        let r = s.run(cmd)
        XCTAssertEqual(r.status, 0, "\(cmd): \(r)", file: file, line: line)
    }

    /// k1 (fd00::1) and k2 (fd00::2) on one bus, DAD done (net.inet6.ip6.dad_count 1).
    func pair(_ lab: Lab) throws -> (Server, Server) {
        let bus = lab.dir + "/bus"
        let k1 = try lab.start("k1", Self.kernel6), k2 = try lab.start("k2", Self.kernel6)
        for (k, n) in [(k1, 1), (k2, 2)] {
            ok(k, "ifconfig shmif0 create"); ok(k, "ifconfig shmif0 linkstr \(bus)"); ok(k, "ifconfig shmif0 up")
            ok(k, "ifconfig shmif0 inet6 fd00::\(n)/64")
        }
        // DAD of the link-locals and the globals: tentative until it is over.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, [k1, k2].contains(where: { $0.run("ifconfig shmif0").stdout.contains("tentative") }) {
            usleep(100_000)
        }
        return (k1, k2)
    }

    /// The link-local address ifconfig shows for shmif0 ("fe80::...%shmif0").
    func linkLocal(_ k: Server) -> String? {
        let out = k.run("ifconfig shmif0").stdout
        guard let r = out.range(of: "fe80::[0-9a-f:]+%shmif0", options: .regularExpression) else { return nil }
        return String(out[r])
    }

    /// Runs a client until it gets through (status 0): the listener in the other kernel may
    /// not be up yet, and a refused connect (the RST of tcp_respond over IPv6) sends nothing.
    func untilConnected(_ cmd: String, _ k: Server, tries: Int = 50) -> ProcessResult {
        var r = runTool([cmd], rumpServer: k.url, timeout: 120, shell: true)
        for _ in 1..<tries where r.status != 0 {
            usleep(100_000)
            r = runTool([cmd], rumpServer: k.url, timeout: 120, shell: true)
        }
        return r
    }

    /// nc -6 -l in k1, nc -6 in k2: a file over TCP by global address, another by link-local,
    /// each arriving with its hash; the listener's row is a tcp6 one.
    func testNc6MovesFilesOverTCPByGlobalAndLinkLocal() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let (k1, k2) = try pair(lab)
        let up = lab.dir + "/up.bin", upGot = lab.dir + "/up.out"
        randomFile(up, 2_000_000)
        let server = try startTool(["nc -6 -l -v 5000 < /dev/null > \(upGot)"], rumpServer: k1.url, shell: true)
        let client = untilConnected("nc -6 -N -v fd00::1 5000 < \(up) 2>\(lab.dir)/client.err", k2)
        XCTAssertEqual(client.status, 0, "\(client)")
        XCTAssertEqual(try String(contentsOfFile: lab.dir + "/client.err", encoding: .utf8), "Connection to fd00::1 5000 port [tcp/*] succeeded!\n")
        let served = server.finish(timeout: 60)
        XCTAssertEqual(served.status, 0, "\(served)")
        let lines = served.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "Listening on :: 5000")
        XCTAssertNotNil(lines.last?.range(of: "^Connection received on fd00::2 [0-9]+$", options: .regularExpression), served.stderr)
        XCTAssertEqual(sha256(upGot), sha256(up))

        let ll = try XCTUnwrap(linkLocal(k1), k1.run("ifconfig shmif0").stdout)
        let down = lab.dir + "/down.bin", downGot = lab.dir + "/down.out"
        randomFile(down, 1_000_000)
        let receiver = try startTool(["nc -6 -l 5001 < /dev/null > \(downGot)"], rumpServer: k1.url, shell: true)
        let sender = untilConnected("nc -6 -N \(ll) 5001 < \(down)", k2)
        XCTAssertEqual(sender.status, 0, "\(sender)")
        XCTAssertEqual(receiver.finish(timeout: 60).status, 0)
        XCTAssertEqual(sha256(downGot), sha256(down))
        let counters = k1.run("netstat -s -p tcp").stdout
        XCTAssertTrue(counters.contains("connection accept"), counters)
    }

    /// nc -6 -u: a datagram each way; a closed port answers with ICMPv6 port unreachable
    /// (nc -z -u reports nothing, status 1).
    func testNc6UDPRequestResponseAndClosedPort() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let (k1, k2) = try pair(lab)
        let got = lab.dir + "/got.txt", reply = lab.dir + "/reply.txt", answer = lab.dir + "/answer.txt"
        try "pong\n".write(toFile: answer, atomically: true, encoding: .utf8)
        let server = try startTool(["nc -6 -u -l -w 3 5002 < \(answer) > \(got)"], rumpServer: k1.url, shell: true)
        // nc -u -W 1 -w 1: exits 0 having read one datagram back; the first tries may come
        // before the server's socket exists (a port unreachable, no reply).
        var client = runTool(["echo ping | nc -6 -u -w 1 -W 1 fd00::1 5002 > \(reply)"], rumpServer: k2.url, timeout: 30, shell: true)
        for _ in 0..<20 where (try? String(contentsOfFile: reply, encoding: .utf8)) != "pong\n" {
            usleep(100_000)
            client = runTool(["echo ping | nc -6 -u -w 1 -W 1 fd00::1 5002 > \(reply)"], rumpServer: k2.url, timeout: 30, shell: true)
        }
        XCTAssertEqual(client.status, 0, "\(client)")
        XCTAssertEqual(server.finish(timeout: 30).status, 0)
        XCTAssertEqual(try String(contentsOfFile: got, encoding: .utf8), "ping\n")
        XCTAssertEqual(try String(contentsOfFile: reply, encoding: .utf8), "pong\n")
        let scan = runTool(["nc", "-6", "-u", "-z", "-w", "1", "fd00::1", "5003"], rumpServer: k2.url, timeout: 30)
        XCTAssertEqual(scan.status, 1, "\(scan)")
        XCTAssertTrue(k1.run("netstat -s -p udp").stdout.contains("no socket"), "no port unreachable counted")
    }
}
