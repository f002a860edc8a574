import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// nc, ttcp and netstat's TCP parts as real processes against two real kernels on one bus.
final class TCPToolTests: XCTestCase {
    static let shmifKernel = LabTests.shmifKernel

    func ok(_ s: Server, _ cmd: String, file: StaticString = #filePath, line: UInt = #line) {
        let r = s.run(cmd)
        XCTAssertEqual(r.status, 0, "\(cmd): \(r)", file: file, line: line)
    }

    /// k1 (10.0.0.1) and k2 (10.0.0.2) on one bus.
    func pair(_ lab: Lab) throws -> (Server, Server) {
        let bus = lab.dir + "/bus"
        let k1 = try lab.start("k1", Self.shmifKernel), k2 = try lab.start("k2", Self.shmifKernel)
        for (k, n) in [(k1, 1), (k2, 2)] {
            ok(k, "ifconfig shmif0 create"); ok(k, "ifconfig shmif0 linkstr \(bus)"); ok(k, "ifconfig shmif0 inet 10.0.0.\(n)/24")
        }
        return (k1, k2)
    }

    /// Polls `netstat -an -f inet` until a line matches `pattern`.
    func waitForSocket(_ s: Server, _ pattern: String, timeout: Double = 10) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let out = s.run("netstat -an -f inet").stdout
            if let r = out.range(of: pattern, options: .regularExpression) { return String(out[r]) }
            usleep(20_000)
        }
        return nil
    }

    /// `nc -l` in k1, `nc` in k2: a file goes client → server (-N sends the FIN after it), then
    /// another server → client, each arriving with its hash; -v says what OpenBSD's nc says.
    func testNcMovesFilesBothWaysOverTCP() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let (k1, k2) = try pair(lab)
        let up = lab.dir + "/up.bin", upGot = lab.dir + "/up.out", down = lab.dir + "/down.bin", downGot = lab.dir + "/down.out"
        randomFile(up, 3_000_000)
        randomFile(down, 2_000_000)

        let server = try startTool(["nc -l -v 5000 < /dev/null > \(upGot)"], rumpServer: k1.url, shell: true)
        XCTAssertNotNil(waitForSocket(k1, "tcp +0 +0  \\*\\.5000 +\\*\\.\\* +LISTEN"), "no listener in k1's netstat -an")
        let client = runTool(["nc -N -v 10.0.0.1 5000 < \(up)"], rumpServer: k2.url, timeout: 120, shell: true)
        XCTAssertEqual(client.status, 0, "\(client)")
        XCTAssertEqual(client.stderr, "Connection to 10.0.0.1 5000 port [tcp/*] succeeded!\n")
        let served = server.finish(timeout: 60)
        XCTAssertEqual(served.status, 0, "\(served)")
        let lines = served.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "Listening on 0.0.0.0 5000")
        XCTAssertNotNil(lines.last?.range(of: "^Connection received on 10\\.0\\.0\\.2 [0-9]+$", options: .regularExpression), served.stderr)
        XCTAssertEqual(sha256(upGot), sha256(up))

        let sender = try startTool(["nc -N -l 5001 < \(down)"], rumpServer: k1.url, shell: true)
        XCTAssertNotNil(waitForSocket(k1, "\\*\\.5001 .*LISTEN"))
        let receiver = runTool(["nc 10.0.0.1 5001 < /dev/null > \(downGot)"], rumpServer: k2.url, timeout: 120, shell: true)
        XCTAssertEqual(receiver.status, 0, "\(receiver)")
        XCTAssertEqual(sender.finish(timeout: 60).status, 0)
        XCTAssertEqual(sha256(downGot), sha256(down))
        // Both connections are over; the end that closed first keeps TIME_WAIT.
        let states = k1.run("netstat -an -f inet").stdout + k2.run("netstat -an -f inet").stdout
        XCTAssertTrue(states.contains("TIME_WAIT"), states)
        XCTAssertFalse(states.contains("ESTABLISHED"), states)
    }

    /// A refused port: OpenBSD's warning with -v, status 1. -z scans a range: only the
    /// listening port succeeds.
    func testNcRefusedAndScan() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let (k1, k2) = try pair(lab)
        let refused = k2.run("nc -v 10.0.0.1 5999")
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.stderr, "nc: connect to 10.0.0.1 port 5999 (tcp) failed: Connection refused\n")
        let listener = try startTool(["exec nc -k -l 6000 > /dev/null"], rumpServer: k1.url, shell: true)
        defer { listener.kill9() }
        XCTAssertNotNil(waitForSocket(k1, "\\*\\.6000 .*LISTEN"))
        let scan = k2.run("nc -z -v 10.0.0.1 5999-6001")
        XCTAssertEqual(scan.status, 0, "\(scan)")
        XCTAssertEqual(scan.stderr, """
            nc: connect to 10.0.0.1 port 5999 (tcp) failed: Connection refused
            Connection to 10.0.0.1 6000 port [tcp/*] succeeded!
            nc: connect to 10.0.0.1 port 6001 (tcp) failed: Connection refused

            """)
        // -k: the listener took the scan's connection and serves the next one.
        let again = runTool(["echo hi | nc -N 10.0.0.1 6000"], rumpServer: k2.url, shell: true)
        XCTAssertEqual(again.status, 0, "\(again)")
    }

    /// ttcp -r in k1, ttcp -t in k2: the transmitter's and receiver's byte counts are the
    /// pattern's (-n × -l) and the lines are ttcp's; without -s the bytes are stdin's.
    func testTtcpTransmitsAndReceives() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let (k1, k2) = try pair(lab)
        let receiver = try startTool(["ttcp", "-r", "-s", "-l", "65536"], rumpServer: k1.url)
        XCTAssertNotNil(waitForSocket(k1, "\\*\\.5001 .*LISTEN"))
        let t = runTool(["ttcp", "-t", "-s", "-l", "65536", "-n", "128", "-f", "M", "10.0.0.1"], rumpServer: k2.url, timeout: 120)
        XCTAssertEqual(t.status, 0, "\(t)")
        let tl = t.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(tl.prefix(3)), ["ttcp-t: buflen=65536, nbuf=128, align=16384/0, port=5001  tcp  -> 10.0.0.1",
                                            "ttcp-t: socket", "ttcp-t: connect"])
        XCTAssertNotNil(tl.dropFirst(3).first?.range(of: "^ttcp-t: 8388608 bytes in [0-9]+\\.[0-9]{2} real seconds = [0-9]+\\.[0-9]{2} MB/sec \\+\\+\\+$",
                                                     options: .regularExpression), t.stderr)
        XCTAssertNotNil(tl.last?.range(of: "^ttcp-t: 128 I/O calls, msec/call = ", options: .regularExpression), t.stderr)
        let r = receiver.finish(timeout: 60)
        XCTAssertEqual(r.status, 0, "\(r)")
        let rl = r.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(rl.first, "ttcp-r: buflen=65536, nbuf=2048, align=16384/0, port=5001  tcp")
        XCTAssertEqual(rl.dropFirst(2).first, "ttcp-r: accept from 10.0.0.2")
        XCTAssertNotNil(rl.dropFirst(3).first?.range(of: "^ttcp-r: 8388608 bytes in ", options: .regularExpression), r.stderr)

        // stdin to stdout: the file arrives whole.
        let file = lab.dir + "/in.bin", got = lab.dir + "/out.bin"
        randomFile(file, 1_000_000)
        let sink = try startTool(["ttcp -r -p 5002 > \(got)"], rumpServer: k1.url, shell: true)
        XCTAssertNotNil(waitForSocket(k1, "\\*\\.5002 .*LISTEN"))
        let source = runTool(["ttcp -t -p 5002 10.0.0.1 < \(file)"], rumpServer: k2.url, timeout: 120, shell: true)
        XCTAssertEqual(source.status, 0, "\(source)")
        XCTAssertEqual(sink.finish(timeout: 60).status, 0)
        XCTAssertEqual(sha256(got), sha256(file))
        // -u: ttcp's sentinels start and stop the receiver; it counts the data datagrams only.
        let udp = try startTool(["ttcp", "-r", "-s", "-u", "-l", "8192", "-p", "5003"], rumpServer: k1.url)
        XCTAssertNotNil(waitForSocket(k1, "udp .*\\*\\.5003 "))
        let ut = runTool(["ttcp", "-t", "-s", "-u", "-l", "8192", "-n", "4", "-p", "5003", "10.0.0.1"], rumpServer: k2.url, timeout: 60)
        XCTAssertEqual(ut.status, 0, "\(ut)")
        XCTAssertTrue(ut.stderr.contains("ttcp-t: 32768 bytes in "), ut.stderr)
        let ur = udp.finish(timeout: 30)
        XCTAssertTrue(ur.stderr.contains("ttcp-r: 32768 bytes in "), "\(ur)")
        // Nobody listening: ttcp's error line.
        let refused = k2.run("ttcp -t -s -n 1 -p 5999 10.0.0.1")
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.hasSuffix("ttcp-t: connect: Connection refused\n"), refused.stderr)
    }

    /// netstat -an lists a connection at both ends with NetBSD's state names and the bytes
    /// queued; netstat -s -p tcp counts what moved.
    func testNetstatShowsConnectionsAndCounters() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let (k1, k2) = try pair(lab)
        // Both ends stream zeros at each other (exec: the kill at the end reaches nc itself).
        let server = try startTool(["exec nc -l 7000 < /dev/zero > /dev/null"], rumpServer: k1.url, shell: true)
        defer { server.kill9() }
        XCTAssertNotNil(waitForSocket(k1, "tcp +0 +0  \\*\\.7000 +\\*\\.\\* +LISTEN"))
        let client = try startTool(["exec nc 10.0.0.1 7000 < /dev/zero > /dev/null"], rumpServer: k2.url, shell: true)
        defer { client.kill9() }
        XCTAssertNotNil(waitForSocket(k1, "tcp +[0-9]+ +[0-9]+  10\\.0\\.0\\.1\\.7000 +10\\.0\\.0\\.2\\.[0-9]+ +ESTABLISHED"), k1.run("netstat -an").stdout)
        XCTAssertNotNil(waitForSocket(k2, "tcp +[0-9]+ +[0-9]+  10\\.0\\.0\\.2\\.[0-9]+ +10\\.0\\.0\\.1\\.7000 +ESTABLISHED"), k2.run("netstat -an").stdout)
        // Without -a the listener is not shown; with it, it is.
        XCTAssertFalse(k1.run("netstat -n -f inet").stdout.contains("LISTEN"))
        let stats = k1.run("netstat -s -p tcp")
        XCTAssertEqual(stats.status, 0, "\(stats)")
        XCTAssertTrue(stats.stdout.hasPrefix("tcp:\n\t"), stats.stdout)
        XCTAssertTrue(stats.stdout.contains("\t1 connection accept\n"), stats.stdout)
        XCTAssertNotNil(stats.stdout.range(of: "\n\t\t[0-9]+ packets \\([0-9]+ bytes\\) received in-sequence\n", options: .regularExpression))
        XCTAssertTrue(stats.stdout.contains(" SACK recovery episodes\n") || stats.stdout.contains(" SACK recovery episode\n"), stats.stdout)
        XCTAssertFalse(stats.stdout.contains("udp:"))
        let all = k1.run("netstat -s").stdout
        XCTAssertTrue(all.hasPrefix("tcp:\n"), "netstat -s starts with tcp as NetBSD's")
        XCTAssertNotNil(all.range(of: "\nudp:\n"))
    }
}
