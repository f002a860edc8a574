import XCTest
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import CKernelShim
import RumpClient
import RumpProtocol

/// A hand-driven protocol connection, for sending what no well-behaved client would.
final class RawConnection {
    let fd: Int32
    var decoder = FrameDecoder()
    init?(path: String) {
        fd = ck_connect_unix(path)
        if fd < 0 { return nil }
        _ = ck_set_timeouts(fd, 5000, 5000)
    }
    deinit { close(fd) }
    func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
    func send(_ m: Message) { send(m.encodeFrame()) }
    func hello() -> ServerHello? {
        send(.clientHello(ClientHello(clientName: "test", clientPID: getpid())))
        if case .serverHello(let h)? = receive() { return h }
        return nil
    }
    /// The next message, or nil on EOF / timeout / garbage.
    func receive() -> Message? {
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            if let body = try? decoder.next() { return try? Message.decode(body: body) }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            decoder.append(Array(buf[0..<n]))
        }
    }
    /// True if the server closed the connection (EOF) within the socket timeout.
    func closedByPeer() -> Bool {
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }
}

final class KernelTests: XCTestCase {
    var scratch: TemporaryDirectory?
    var dir = ""
    var servers: [ForegroundServer] = []
    var daemonPIDs: [Int32] = []

    override func setUp() {
        // Short prefix: socket paths in it must fit sun_path.
        scratch = TemporaryDirectory(prefix: "kt-")
        dir = scratch!.path
        XCTAssertTrue(FileManager.default.fileExists(atPath: executable("rump_server")), "build the package first: \(productsDirectory.path)")
    }

    override func tearDown() {
        for s in servers { s.stop() }
        for p in daemonPIDs where processAlive(p) { kill(p, SIGKILL) }
        // Nothing of this test may outlive it: no process mentioning its directory, no files.
        let leftovers = processes(mentioning: dir)
        XCTAssertEqual(leftovers, [], "processes left behind")
        for p in leftovers { kill(p, SIGKILL) }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        XCTAssertEqual(files.filter { $0.hasSuffix(".sock") || $0.hasSuffix("sock") }, [], "socket files left behind")
        scratch?.remove()
    }

    func startForeground(_ args: [String], name: String = "k1.sock") throws -> ForegroundServer {
        let path = dir + "/" + name
        let s = try ForegroundServer(args: args, url: "unix://" + path, socketPath: path)
        servers.append(s)
        XCTAssertTrue(waitForSocket(path), "server did not listen")
        return s
    }

    static let netinet = ["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet"]

    func mask(_ s: String) -> String {
        var out = s
        while let r = out.range(of: #"rump-[0-9]+\.[A-Za-z0-9._-]+"#, options: .regularExpression) {
            out.replaceSubrange(r, with: "rump-PID.HOST")
        }
        return out
    }

    // MARK: Transcript replay

    struct Step {
        var host: String?
        var command = ""
        var stdout = ""
        var stderr = ""
        var status: Int32 = 0
    }

    static func transcript(_ name: String) throws -> [Step] {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/" + name)
        let lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
        var steps: [Step] = []
        var cur: Step? = nil
        var inStderr = false
        var out: [String] = [], err: [String] = []
        for l in lines {
            if var c = cur {
                if l == "[stderr]" { inStderr = true; continue }
                if l == "[no output]" { continue }
                if l.hasPrefix("[exit status ") {
                    c.status = Int32(l.dropFirst(13).dropLast()) ?? -1
                    c.stdout = out.isEmpty ? "" : out.joined(separator: "\n") + "\n"
                    c.stderr = err.isEmpty ? "" : err.joined(separator: "\n") + "\n"
                    steps.append(c)
                    cur = nil
                    continue
                }
                if inStderr { err.append(l) } else { out.append(l) }
                cur = c
                continue
            }
            if l.hasPrefix("$ ") {
                cur = Step(command: String(l.dropFirst(2)))
                inStderr = false; out = []; err = []
            } else if l.hasPrefix("# [host] ") || l.hasPrefix("#   | ") {
                steps.append(Step(host: l))
            }
        }
        return steps
    }

    /// `stderr` without the reason line RumpClient prints after `rumpclient init failed`.
    static func withoutConnectReason(_ stderr: String) -> String {
        var lines = stderr.components(separatedBy: "\n")
        var i = 1
        while i < lines.count {
            if lines[i - 1] == "rumpclient init failed" && lines[i].hasPrefix("rumpclient: ") { lines.remove(at: i) } else { i += 1 }
        }
        return lines.joined(separator: "\n")
    }

    /// Replays a transcript: host actions start servers and set RUMP_SERVER; commands this
    /// branch can run (sysctl and halt without net.* names, which need the stack) are run
    /// through /bin/sh with our tools first on PATH and compared with pids/hosts masked.
    func replay(_ name: String, substitute: (String) -> String?) throws -> Int {
        var env: String? = nil
        var ran = 0
        var server: ForegroundServer? = nil
        var expectServerOutput: [String] = []
        for s in try Self.transcript(name) {
            if let h = s.host {
                if h.contains("unset RUMP_SERVER") { env = nil }
                if let r = h.range(of: "export RUMP_SERVER=") {
                    let v = h[r.upperBound...].split(separator: " ").first.map(String.init) ?? ""
                    env = v.replacingOccurrences(of: "unix:///tmp/lab/k1.sock", with: "unix://\(dir)/k1.sock")
                }
                if h.contains("] rump_server -s") {
                    let words = h.split(separator: " ").map(String.init)
                    let libs = words.filter { $0.hasPrefix("-l") }
                    server = try startForeground(libs)
                }
                if h.hasPrefix("#   | ") { expectServerOutput.append(String(h.dropFirst(6))) }
                if h.contains("exit status:"), let server {
                    XCTAssertEqual(server.waitExit(), Int32(h.split(separator: " ").last ?? ""), h)
                    XCTAssertEqual(server.output().0, expectServerOutput.map { $0 + "\n" }.joined(), "server output")
                }
                continue
            }
            guard let cmd = substitute(s.command) else { continue }
            let r = runTool([cmd], rumpServer: env, cwd: dir, shell: true)
            XCTAssertEqual(mask(r.stdout), mask(s.stdout), "stdout of \(cmd)")
            // NetBSD's text byte for byte; after its `rumpclient init failed` our RumpClient
            // adds one line saying why (`rumpclient: URL: connect: ...`), which NetBSD's lacks.
            XCTAssertEqual(Self.withoutConnectReason(r.stderr), s.stderr, "stderr of \(cmd)")
            if r.stderr.contains("rumpclient init failed\n") && !s.stderr.isEmpty {
                XCTAssertTrue(r.stderr.hasSuffix("rumpclient init failed\n") || r.stderr.contains("rumpclient init failed\nrumpclient: "), r.stderr)
            }
            XCTAssertEqual(r.status, s.status, "status of \(cmd)")
            ran += 1
        }
        return ran
    }

    func testReplayNoRumpServer() throws {
        // ifconfig, ping and route go through the same rumpclient start-up as sysctl: run
        // sysctl in their place (the stack's utilities come later).
        let ran = try replay("a-no-rump-server.txt") { cmd in
            let tool = cmd.split(separator: " ").first.map(String.init) ?? ""
            if tool == "sysctl" || tool == "halt" { return cmd }
            return "sysctl kern.hostname"
        }
        XCTAssertEqual(ran, 9)
    }

    func testReplaySysctlHalt() throws {
        let ran = try replay("b-sysctl-halt.txt") { cmd in
            // net.* nodes belong to the stack; -a listings include them.
            if cmd.contains("net.") && !cmd.contains("-N") { return nil }
            if cmd.contains(" -a") { return nil }
            return cmd
        }
        XCTAssertEqual(ran, 15)
    }

    // MARK: The tutorial, daemonised

    func testTutorialFlowDaemonised() throws {
        let path = dir + "/rumpctrlsock"
        let url = "unix://" + path
        let start = runTool(["rump_server"] + Self.netinet + [url], rumpServer: nil)
        XCTAssertEqual(start.status, 0, start.stderr)
        XCTAssertEqual(start.stdout + start.stderr, "")
        // The parent returned only once the child listens: no waiting needed.
        XCTAssertTrue(canConnect(path))
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        let pid = try RumpClient(url: .unix(path: path), clientName: "test").server.serverPID
        daemonPIDs.append(pid)

        let w = runTool(["sysctl", "-w", "kern.hostname=look_at_them_run"], rumpServer: url)
        XCTAssertEqual(w.status, 0)
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        let pid5 = String(format: "%05d", pid)
        XCTAssertEqual(w.stdout, "kern.hostname: rump-\(pid5).\(String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) -> look_at_them_run\n")
        XCTAssertEqual(runTool(["sysctl", "kern.hostname"], rumpServer: url).stdout, "kern.hostname = look_at_them_run\n")
        let h1 = runTool(["halt"], rumpServer: url)
        XCTAssertEqual(h1.status, 0)
        XCTAssertEqual(h1.stderr, "")
        XCTAssertTrue(waitGone(pid), "server still running after halt")
        let h2 = runTool(["halt"], rumpServer: url)
        XCTAssertEqual(h2.status, 1)
        // NetBSD's line, then ours saying why (no socket).
        XCTAssertEqual(h2.stderr, "rumpclient init failed\nrumpclient: \(url): connect: No such file or directory (no socket: is the kernel server running?)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "socket file left behind")
    }

    func testTCPLoopback() throws {
        var lastError = ""
        for _ in 0..<5 {
            let port = Int.random(in: 20000...60000)
            let url = "tcp://127.0.0.1:\(port)"
            let s = try ForegroundServer(args: Self.netinet, url: url, socketPath: nil)
            servers.append(s)
            var client: RumpClient? = nil
            let deadline = Date().addingTimeInterval(5)
            while client == nil && Date() < deadline && s.process.isRunning {
                client = try? RumpClient(url: .tcp(address: [127, 0, 0, 1], port: UInt16(port)), clientName: "test")
                if client == nil { usleep(2000) }
            }
            guard client != nil else { lastError = s.output().1; s.stop(); continue }  // port taken: try another
            let r = runTool(["sysctl", "kern.ostype", "hw.ncpu"], rumpServer: url + "/")
            XCTAssertEqual(r.stdout, "kern.ostype = NetBSD\nhw.ncpu = \(ProcessInfo.processInfo.activeProcessorCount)\n")
            XCTAssertEqual(runTool(["halt"], rumpServer: url).status, 0)
            XCTAssertEqual(s.waitExit(), 0)
            XCTAssertEqual(runTool(["sysctl", "kern.ostype"], rumpServer: url).stderr,
                           "rumpclient init failed\nrumpclient: \(url): connect: Connection refused (nothing listens there)\n")
            return
        }
        XCTFail("no tcp server came up: \(lastError)")
    }

    // MARK: Bad clients

    func testBadInputCostsOnlyThatConnection() throws {
        let s = try startForeground(Self.netinet)
        let path = s.socketPath!
        let good = try RumpClient(url: .unix(path: path), clientName: "good")

        // A real client process killed in the middle of a call: the server drops that
        // connection (its fd count returns to what it was) and goes on.
        // Two round trips first: the loop iteration that served the first has also seen
        // the EOF of waitForSocket's probe connection, so the count below is settled.
        _ = try good.call(.sysctlGet(name: "kern.ostype"))
        _ = try good.call(.sysctlGet(name: "kern.ostype"))
        let fdsBefore = openFileDescriptors(s.pid)
        let victim = Process()
        victim.executableURL = URL(fileURLWithPath: testExecutable)
        victim.arguments = ["KernelTests.BlockingClientHelper/testBlockInPoll"]
        var env = ProcessInfo.processInfo.environment
        env["KT_BLOCKING_CLIENT_PATH"] = path
        victim.environment = env
        let vout = Pipe()
        victim.standardOutput = vout
        victim.standardError = FileHandle.nullDevice
        try victim.run()
        var seen = ""
        while !seen.contains("KT-PARKED") {
            let d = vout.fileHandleForReading.availableData
            if d.isEmpty { break }
            seen += String(decoding: d, as: UTF8.self)
        }
        XCTAssertTrue(seen.contains("KT-PARKED"), seen)
        XCTAssertEqual(openFileDescriptors(s.pid), fdsBefore + 1)
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        let deadline = Date().addingTimeInterval(5)
        while openFileDescriptors(s.pid) != fdsBefore && Date() < deadline { usleep(1000) }
        XCTAssertEqual(openFileDescriptors(s.pid), fdsBefore)


        // Garbage before any hello.
        let g = try XCTUnwrap(RawConnection(path: path))
        g.send(Array("GET / HTTP/1.0\r\n\r\n".utf8))
        XCTAssertTrue(g.closedByPeer())
        // A 1 GB length prefix after a good hello.
        let big = try XCTUnwrap(RawConnection(path: path))
        XCTAssertNotNil(big.hello())
        big.send([0, 0, 0, 0x40, 1, 2, 3])
        XCTAssertTrue(big.closedByPeer())
        // A request before the hello, and a wrong magic.
        let early = try XCTUnwrap(RawConnection(path: path))
        early.send(.request(id: 1, .sysctlGet(name: "kern.ostype")))
        XCTAssertTrue(early.closedByPeer())
        let magic = try XCTUnwrap(RawConnection(path: path))
        magic.send([5, 0, 0, 0, 1, 1, 2, 3, 4])
        XCTAssertTrue(magic.closedByPeer())
        // A client that dies mid-call: a poll parked for 10 s, then the connection vanishes
        // (what the kernel sees when the client process is killed), and one dying mid-frame.
        do {
            let dying = try XCTUnwrap(RawConnection(path: path))
            XCTAssertNotNil(dying.hello())
            dying.send(.request(id: 1, .poll(items: [], timeout: 10_000)))
            let half = try XCTUnwrap(RawConnection(path: path))
            XCTAssertNotNil(half.hello())
            half.send(Array(Message.request(id: 2, .sysctlGet(name: "kern.hostname")).encodeFrame().prefix(7)))
        }
        // The well-behaved client never noticed.
        for _ in 0..<3 {
            guard case .sysctl(let e) = try good.call(.sysctlGet(name: "kern.ostype")) else { return XCTFail() }
            XCTAssertEqual(e.first?.value, .string("NetBSD"))
        }
        let fresh = runTool(["sysctl", "-n", "kern.ostype"], rumpServer: s.url)
        XCTAssertEqual(fresh.stdout, "NetBSD\n")
        XCTAssertTrue(s.process.isRunning)
    }

    func testMalformedRequestsAreAnsweredNotFatal() throws {
        let s = try startForeground(Self.netinet)
        let c = try XCTUnwrap(RawConnection(path: s.socketPath!))
        XCTAssertEqual(c.hello()?.version, ProtocolVersion.maximum)
        // A version-1 client still gets version 1 and its calls answered.
        let v1 = try XCTUnwrap(RawConnection(path: s.socketPath!))
        v1.send(.clientHello(ClientHello(minVersion: 1, maxVersion: 1, clientName: "v1", clientPID: 1)))
        guard case .serverHello(let h1)? = v1.receive() else { return XCTFail("no hello for a version-1 client") }
        XCTAssertEqual(h1.version, 1)
        v1.send(.request(id: 3, .sysctlGet(name: "kern.ostype")))
        guard case .response(3, _, .success(.sysctl))? = v1.receive() else { return XCTFail("version-1 call unanswered") }
        // Unknown opcode: ENOSYS, connection stays.
        var w = WireWriter()
        w.u8(MessageType.request.rawValue); w.u32(5); w.u16(0x7fff)
        var f = WireWriter(); f.u32(UInt32(w.bytes.count)); f.raw(w.bytes)
        c.send(f.bytes)
        guard case .response(5, _, .failure(let e))? = c.receive() else { return XCTFail() }
        XCTAssertEqual(e.errno, .ENOSYS)
        // Known opcode, truncated payload: EINVAL.
        var t = WireWriter()
        t.u8(MessageType.request.rawValue); t.u32(6); t.u16(Opcode.bind.rawValue); t.u8(1)
        var tf = WireWriter(); tf.u32(UInt32(t.bytes.count)); tf.raw(t.bytes)
        c.send(tf.bytes)
        guard case .response(6, _, .failure(let e2))? = c.receive() else { return XCTFail() }
        XCTAssertEqual(e2.errno, .EINVAL)
        c.send(.request(id: 7, .sysctlGet(name: "kern.ostype")))
        guard case .response(7, _, .success(.sysctl(let v)))? = c.receive() else { return XCTFail() }
        XCTAssertEqual(v.first?.value, .string("NetBSD"))
        // No common version: the server says so (version 0) and closes.
        let old = try XCTUnwrap(RawConnection(path: s.socketPath!))
        old.send(.clientHello(ClientHello(minVersion: 9, maxVersion: 12, clientName: "future", clientPID: 1)))
        guard case .serverHello(let h)? = old.receive() else { return XCTFail() }
        XCTAssertEqual(h.version, 0)
        XCTAssertTrue(old.closedByPeer())
    }

    func testParkedCallTimesOut() throws {
        let s = try startForeground(Self.netinet)
        let c = try RumpClient(url: .unix(path: s.socketPath!), clientName: "t")
        let t0 = Date()
        guard case .poll(let r) = try c.call(.poll(items: [], timeout: 100)) else { return XCTFail() }
        XCTAssertTrue(r.isEmpty)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(t0), 0.095)
        guard case .poll(let r2) = try c.call(.poll(items: [PollItem(fd: 9, events: 1)], timeout: 5000)) else { return XCTFail() }
        XCTAssertEqual(r2.first?.revents, RumpProtocol.NetBSD.POLLNVAL)
    }

    // MARK: Components

    func testIncompleteComponentSetIsNamed() throws {
        let path = dir + "/k.sock"
        for fg in [true, false] {
            let r = runTool(["rump_server"] + (fg ? ["-s"] : []) + ["-lrumpnet_shmif", "unix://" + path], rumpServer: nil)
            XCTAssertEqual(r.status, 1)
            XCTAssertEqual(r.stderr, """
                rump_server: component rumpnet_shmif needs -lrumpnet -lrumpnet_net, which is not loaded
                rump_server: missing components; a complete set is: -lrumpnet -lrumpnet_net -lrumpnet_shmif

                """)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        }
        // Order does not matter.
        let s = try startForeground(["-lrumpnet_shmif", "-lrumpnet_netinet", "-lrumpnet_net", "-lrumpnet"])
        let c = try RumpClient(url: .unix(path: s.socketPath!), clientName: "t")
        XCTAssertEqual(c.server.components, ["rumpnet", "rumpnet_net", "rumpnet_netinet", "rumpnet_shmif"])
        let w = runTool(["rump_wmd", "-lrumpnet_shmif"], rumpServer: nil)
        XCTAssertEqual(w.stdout, "-lrumpnet -lrumpnet_net -lrumpnet_shmif\n")
        XCTAssertEqual(w.status, 0)
    }

    func testMissingComponentsFailAsNetBSD() throws {
        let netOnly = try startForeground(["-lrumpnet", "-lrumpnet_net", "-lrumpnet_shmif"], name: "net.sock")
        let c = try RumpClient(url: .unix(path: netOnly.socketPath!), clientName: "t")
        XCTAssertThrowsError(try c.call(.socket(domain: 2, type: 2, protocol: 0))) { e in
            XCTAssertEqual((e as? CallError)?.errno, .EAFNOSUPPORT)
        }
        guard case .names(let cl) = try c.call(.ifListCloners) else { return XCTFail() }
        XCTAssertEqual(cl, ["lo", "shmif"])

        let noShmif = try startForeground(Self.netinet, name: "inet.sock")
        let d = try RumpClient(url: .unix(path: noShmif.socketPath!), clientName: "t")
        XCTAssertThrowsError(try d.call(.ifCreate(name: "shmif0"))) { e in XCTAssertEqual((e as? CallError)?.errno, .EINVAL) }
        guard case .names(let cl2) = try d.call(.ifListCloners) else { return XCTFail() }
        XCTAssertEqual(cl2, ["lo", "carp"])
        // UDP and TCP are there; a stream socket with UDP's protocol is not.
        guard case .fd = try d.call(.socket(domain: 2, type: 2, protocol: 0)) else { return XCTFail("no UDP socket") }
        guard case .fd = try d.call(.socket(domain: 2, type: 1, protocol: 0)) else { return XCTFail("no TCP socket") }
        XCTAssertThrowsError(try d.call(.socket(domain: 2, type: 1, protocol: 17))) { e in XCTAssertEqual((e as? CallError)?.errno, .EPROTONOSUPPORT) }
        XCTAssertThrowsError(try d.call(.close(fd: 3))) { e in XCTAssertEqual((e as? CallError)?.errno, .EBADF) }

        let bare = try startForeground([], name: "bare.sock")
        let b = try RumpClient(url: .unix(path: bare.socketPath!), clientName: "t")
        XCTAssertThrowsError(try b.call(.socket(domain: 2, type: 1, protocol: 0))) { e in XCTAssertEqual((e as? CallError)?.errno, .ENOSYS) }
    }

    // MARK: Options, signals, errors

    func testUsageAndBadArguments() {
        let usage = "usage: rump_server [-s] [-c ncpu] [-d drivespec] [-l libs] [-m modules] bindurl\n"
        let x = runTool(["rump_server", "-x", "unix://a"], rumpServer: nil)
        XCTAssertEqual(x.status, 1)
        XCTAssertEqual(x.stderr, "rump_server: unknown option -- x\n" + usage)
        let none = runTool(["rump_server", "-s"], rumpServer: nil)
        XCTAssertEqual(none.status, 1)
        XCTAssertEqual(none.stderr, usage)
        let bad = runTool(["rump_server", "-s", "bogus://x"], rumpServer: nil)
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "rump_sp: invalid identifier ``bogus://x''\nrump_server: rump server init failed: Invalid argument\n")
        let all = runTool(["rump_allserver", "-y"], rumpServer: nil)
        XCTAssertEqual(all.stderr, "rump_allserver: unknown option -- y\nusage: rump_allserver [-s] [-c ncpu] [-d drivespec] [-l libs] [-m modules] bindurl\n")
    }

    func testDaemonParentReportsListenFailure() throws {
        let r = runTool(["rump_server", "-lrumpnet", "unix://\(dir)/no/such/dir/k.sock"], rumpServer: nil)
        XCTAssertEqual(r.status, 2)  // ENOENT, as NetBSD's parent _exit(error)s
        XCTAssertEqual(r.stderr, "rump_server: rump server init failed: No such file or directory\n")
        // A live server's socket is not stolen.
        let s = try startForeground([])
        let again = runTool(["rump_server", "-s", "unix://" + s.socketPath!], rumpServer: nil)
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.stderr, "rump_server: rump server init failed: Address already in use\n")
        XCTAssertTrue(s.process.isRunning)
        // A stale socket file (its server was killed -9) is replaced.
        let stale = dir + "/stale.sock"
        let fd = ck_listen_unix(stale, 1)
        XCTAssertGreaterThanOrEqual(fd, 0)
        close(fd)  // the file stays, nobody accepts
        let s2 = try ForegroundServer(args: [], url: "unix://" + stale, socketPath: stale)
        servers.append(s2)
        XCTAssertTrue(waitForSocket(stale))
        XCTAssertEqual(runTool(["halt"], rumpServer: "unix://" + stale).status, 0)
        XCTAssertEqual(s2.waitExit(), 0)
    }

    func testCPUAndMemoryOptions() throws {
        let s = try startForeground(["-c", "3", "-r64m", "-v"] + Self.netinet)
        let r = runTool(["sysctl", "hw.ncpu", "hw.ncpuonline", "hw.physmem64"], rumpServer: s.url)
        XCTAssertEqual(r.stdout, "hw.ncpu = 3\nhw.ncpuonline = 3\nhw.physmem64 = 67108864\n")
        let bad = runTool(["rump_server", "-s", "-c", "zero", "unix://\(dir)/c.sock"], rumpServer: nil)
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "rump_server: invalid number of CPUs: zero\n")
        let vfs = runTool(["rump_server", "-s", "-m", "ffs", "unix://\(dir)/c.sock"], rumpServer: nil)
        XCTAssertEqual(vfs.status, 1)
        XCTAssertTrue(vfs.stderr.hasPrefix("rump_server: -m ffs: Function not implemented"), vfs.stderr)
    }

    func testSignalsHaltCleanly() throws {
        for (sig, name) in [(SIGTERM, "term.sock"), (SIGINT, "int.sock")] {
            let s = try startForeground(Self.netinet, name: name)
            kill(s.pid, sig)
            XCTAssertEqual(s.waitExit(), 0)
            XCTAssertEqual(s.output().0, "rump kernel halting...\nhalted\n")
            XCTAssertFalse(FileManager.default.fileExists(atPath: s.socketPath!))
        }
        // Daemonised, with rump_allserver: SIGTERM by pid.
        let path = dir + "/all.sock"
        XCTAssertEqual(runTool(["rump_allserver", "unix://" + path], rumpServer: nil).status, 0)
        let c = try RumpClient(url: .unix(path: path), clientName: "t")
        XCTAssertEqual(c.server.components, ["rumpnet", "rumpnet_net", "rumpnet_netinet", "rumpnet_netinet6", "rumpnet_shmif",
                                             "rumpnet_virtif", "rumpvfs", "rumpfs_tmpfs"])  // every implemented one
        let pid = c.server.serverPID
        daemonPIDs.append(pid)
        kill(pid, SIGTERM)
        XCTAssertTrue(waitGone(pid))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }
}
