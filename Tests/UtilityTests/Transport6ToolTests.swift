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

    /// netstat's Internet6 section from a real kernel: nc -6 -l's tcp6 LISTEN row, then the
    /// ESTABLISHED rows of both ends once k2 has connected (and no IPv4 section: there are no
    /// AF_INET sockets); -f inet lists nothing.
    func testNetstatListsTCP6ListenerAndConnection() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let (k1, k2) = try pair(lab)
        let header = "Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)\n"
        let server = try startTool(["nc -6 -l 5010 < /dev/null > /dev/null"], rumpServer: k1.url, shell: true)
        var listing = ""
        for _ in 0..<100 {
            listing = k1.run("netstat -an -f inet6").stdout
            // Between nc's bind and its listen the row is there already, in state CLOSED.
            if listing.contains("LISTEN") { break }
            usleep(100_000)
        }
        XCTAssertEqual(listing, "Active Internet6 connections (including servers)\n" + header
                       + "tcp6       0      0  *.5010                 *.*                    LISTEN\n")
        XCTAssertEqual(k1.run("netstat -n -f inet6").stdout, "", "a listener is a server: only with -a")

        // The client's stdin is a fifo the test holds open: the connection stays up until it closes.
        let fifo = lab.dir + "/in.fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let client = try startTool(["nc -6 -N fd00::1 5010 < \(fifo)"], rumpServer: k2.url, shell: true)
        let writer = try XCTUnwrap(FileHandle(forWritingAtPath: fifo))
        func row(_ out: String, _ pattern: String) -> String? {
            out.split(separator: "\n").map(String.init).first { $0.range(of: pattern, options: .regularExpression) != nil }
        }
        let est1 = "^tcp6       0      0  fd00::1\\.5010           fd00::2\\.[0-9]{1,5} +ESTABLISHED$"
        for _ in 0..<100 where row(k1.run("netstat -an").stdout, est1) == nil { usleep(100_000) }
        let all1 = k1.run("netstat -an")
        XCTAssertEqual(all1.status, 0, "\(all1)")
        XCTAssertTrue(all1.stdout.hasPrefix("Active Internet6 connections (including servers)\n" + header), all1.stdout)
        let r1 = try XCTUnwrap(row(all1.stdout, est1), all1.stdout)
        XCTAssertEqual(r1.count, 20 + 23 + 23 + " ESTABLISHED".count, r1)
        // Without -a the connection is listed, under the header without "(including servers)".
        let active = k1.run("netstat -n -f inet6").stdout
        XCTAssertTrue(active.hasPrefix("Active Internet6 connections\n" + header), active)
        XCTAssertNotNil(row(active, est1), active)
        XCTAssertEqual(k1.run("netstat -an -f inet").stdout, "")
        // k2's end: the same port pair the other way round.
        let clientPort = try XCTUnwrap(r1.range(of: "fd00::2\\.[0-9]+", options: .regularExpression).map { r1[$0].dropFirst(8) })
        let k2rows = k2.run("netstat -an -f inet6").stdout
        XCTAssertNotNil(row(k2rows, "^tcp6       0      0  fd00::2\\.\(clientPort) +fd00::1\\.5010 +ESTABLISHED$"), k2rows)

        try writer.close()
        XCTAssertEqual(client.finish(timeout: 60).status, 0)
        XCTAssertEqual(server.finish(timeout: 60).status, 0)
    }

    /// ttcp -6: -r in k1, -t in k2 by global address (the pattern, -n × -l bytes on both
    /// sides), then by link-local address with %shmif0 (stdin's bytes, arriving intact).
    func testTtcp6TransfersByGlobalAndLinkLocal() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let (k1, k2) = try pair(lab)
        let receiver = try startTool(["ttcp", "-6", "-r", "-s", "-l", "65536", "-p", "5020"], rumpServer: k1.url)
        var t = runTool(["ttcp", "-6", "-t", "-s", "-l", "65536", "-n", "64", "-p", "5020", "fd00::1"], rumpServer: k2.url, timeout: 120)
        for _ in 0..<50 where t.stderr.contains("Connection refused") || t.stderr.contains("timed out") {
            usleep(100_000)
            t = runTool(["ttcp", "-6", "-t", "-s", "-l", "65536", "-n", "64", "-p", "5020", "fd00::1"], rumpServer: k2.url, timeout: 120)
        }
        XCTAssertEqual(t.status, 0, "\(t)")
        let tl = t.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(tl.prefix(3)), ["ttcp-t: buflen=65536, nbuf=64, align=16384/0, port=5020  tcp  -> fd00::1",
                                            "ttcp-t: socket", "ttcp-t: connect"], t.stderr)
        XCTAssertNotNil(tl.dropFirst(3).first?.range(of: "^ttcp-t: 4194304 bytes in ", options: .regularExpression), t.stderr)
        let r = receiver.finish(timeout: 60)
        XCTAssertEqual(r.status, 0, "\(r)")
        let rl = r.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(rl.dropFirst(2).first, "ttcp-r: accept from fd00::2", r.stderr)
        XCTAssertNotNil(rl.dropFirst(3).first?.range(of: "^ttcp-r: 4194304 bytes in ", options: .regularExpression), r.stderr)

        let ll1 = try XCTUnwrap(linkLocal(k1)), ll2 = try XCTUnwrap(linkLocal(k2))
        let file = lab.dir + "/in.bin", got = lab.dir + "/out.bin"
        randomFile(file, 1_000_000)
        let sink = try startTool(["ttcp -6 -r -p 5021 > \(got)"], rumpServer: k1.url, shell: true)
        var source = runTool(["ttcp -6 -t -p 5021 \(ll1) < \(file)"], rumpServer: k2.url, timeout: 120, shell: true)
        for _ in 0..<50 where source.stderr.contains("Connection refused") || source.stderr.contains("timed out") {
            usleep(100_000)
            source = runTool(["ttcp -6 -t -p 5021 \(ll1) < \(file)"], rumpServer: k2.url, timeout: 120, shell: true)
        }
        XCTAssertEqual(source.status, 0, "\(source)")
        XCTAssertTrue(source.stderr.contains("ttcp-t: 1000000 bytes in "), source.stderr)
        let sunk = sink.finish(timeout: 60)
        XCTAssertEqual(sunk.status, 0, "\(sunk)")
        XCTAssertTrue(sunk.stderr.contains("ttcp-r: accept from \(ll2)\n"), sunk.stderr)
        XCTAssertEqual(sha256(got), sha256(file))
        // A name that is no IPv6 address.
        let bad = runTool(["ttcp", "-6", "-t", "-s", "10.0.0.1"], rumpServer: k2.url, timeout: 30)
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.hasSuffix("ttcp-t: bad hostname\n"), bad.stderr)
    }
}
