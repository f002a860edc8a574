import Foundation
import RumpClient
import RumpProtocol
import TestSupport
import XCTest

/// RumpClient's deadlines with real processes: a listener that accepts and never answers,
/// a kernel stopped with SIGSTOP, and a call that itself asks to wait longer than the
/// client's timeout (which must not be cut).
final class ClientTimeoutTests: XCTestCase {
    let dir = TemporaryDirectory(prefix: "rn-ct-")
    var servers: [ForegroundServer] = []

    override func tearDown() {
        for s in servers { kill(s.pid, SIGCONT); s.stop() }
        dir.remove()
    }

    func startServer(_ args: [String]) throws -> ForegroundServer {
        let path = dir.file("k.sock")
        let s = try ForegroundServer(args: args, url: "unix://" + path, socketPath: path)
        servers.append(s)
        XCTAssertTrue(waitForSocket(path), "server did not listen")
        return s
    }

    /// A TCP listener that accepts and stays silent (python), its port on its first line.
    func silentListener() throws -> (Background, UInt16) {
        let py = "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(5)\nprint(s.getsockname()[1],flush=True)\n"
            + "c=[]\nwhile True:\n  a,_=s.accept()\n  c.append(a)\n"
        let p = try Background("/usr/bin/python3", ["-c", py])
        let port = try XCTUnwrap(p.readLine().flatMap { UInt16($0) })
        return (p, port)
    }

    func testSysctlAgainstASilentTCPListenerFailsAfterTheTimeout() throws {
        let (listener, port) = try silentListener()
        defer { listener.kill9() }
        var env = rumpEnvironment(server: "tcp://127.0.0.1:\(port)")
        env["RUMPCLIENT_TIMEOUT"] = "1"
        // Without a timeout this waits for the hello for ever (the hang guard would throw).
        let r = try TestSupport.run(executable("sysctl"), ["kern.hostname"], environment: env, timeout: 30)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "rumpclient init failed\nrumpclient: tcp://127.0.0.1:\(port): no answer within 1.0 s\n")
        XCTAssertEqual(r.stdout, "")
    }

    func testAStoppedKernelTimesOutACallWithItsURL() throws {
        let s = try startServer(["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet"])
        let path = dir.file("k.sock")
        let client = try RumpClient(url: .unix(path: path), clientName: "t", timeout: 0.5)
        guard case .interfaces = try client.call(.ifList) else { return XCTFail("no interface list") }
        kill(s.pid, SIGSTOP)
        do {
            _ = try client.call(.ifList)
            XCTFail("a stopped kernel answered")
        } catch {
            guard case .transport(.timedOut(let t)) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(t, 0.5)
            XCTAssertEqual("\(ClientError.timedOut(seconds: t))", "no answer within 0.5 s")
        }
        // A new connection to the stopped kernel: the hello times out too.
        XCTAssertThrowsError(try RumpClient(url: .unix(path: path), clientName: "t", timeout: 0.5)) { e in
            XCTAssertEqual("\(e)", "no answer within 0.5 s")
        }
        // The utilities: their own message after NetBSD's line.
        var env = rumpEnvironment(server: "unix://" + path)
        env["RUMPCLIENT_TIMEOUT"] = "0.5"
        let r = try TestSupport.run(executable("sysctl"), ["kern.hostname"], environment: env, timeout: 30)
        XCTAssertEqual(r.stderr, "rumpclient init failed\nrumpclient: unix://\(path): no answer within 0.5 s\n")
        kill(s.pid, SIGCONT)
        guard case .interfaces = try client.call(.ifList) else { return XCTFail("no answer after SIGCONT") }
    }

    /// A recvfrom that asks the kernel to wait 1.5 s on a client whose timeout is 0.3 s
    /// gets the kernel's answer (nothing arrived), not a transport timeout.
    func testACallsOwnWaitIsNotCutByTheClientTimeout() throws {
        _ = try startServer(["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet"])
        let client = try RumpClient(url: .unix(path: dir.file("k.sock")), clientName: "t", timeout: 0.3)
        guard case .fd(let fd) = try client.call(.socket(domain: 2, type: 3, protocol: 1)) else { return XCTFail("no raw socket") }
        do {
            _ = try client.call(.recvfrom(fd: fd, maxLength: 2048, flags: 0, timeout: 1500))
            XCTFail("a datagram arrived on an idle kernel")
        } catch {
            guard case .kernel = error else { return XCTFail("the transport cut a call that asked to wait: \(error)") }
        }
        // And the connection is still in step: the next call answers.
        guard case .interfaces = try client.call(.ifList) else { return XCTFail("no answer after the wait") }
    }

    func testConnectFailuresSayWhy() throws {
        let missing = dir.file("none.sock")
        let r = runTool(["sysctl", "kern.hostname"], rumpServer: "unix://" + missing)
        XCTAssertEqual(r.stderr, "rumpclient init failed\nrumpclient: unix://\(missing): connect: No such file or directory (no socket: is the kernel server running?)\n")
        // A socket file nobody listens on.
        let stale = dir.file("stale.sock")
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var a = sockaddr_un()
        a.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &a.sun_path) { $0.copyBytes(from: Array(stale.utf8)) }
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        close(fd)
        let refused = runTool(["sysctl", "kern.hostname"], rumpServer: "unix://" + stale)
        XCTAssertEqual(refused.stderr, "rumpclient init failed\nrumpclient: unix://\(stale): connect: Connection refused (nothing listens there)\n")
        let long = "/tmp/" + String(repeating: "x", count: 120) + ".sock"
        let tooLong = runTool(["sysctl", "kern.hostname"], rumpServer: "unix://" + long)
        XCTAssertEqual(tooLong.stderr, "rumpclient init failed\nrumpclient: RUMP_SERVER: File name too long (a unix socket path holds at most 107 bytes)\n")
    }
}
