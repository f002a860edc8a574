import XCTest
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import CKernelShim
import RumpNet

/// What a kernel server survives (docs/kernel.md, docs/shmif.md), with real rump_server
/// processes, real bus files and real utilities: a bus file shrunk or overwritten under two
/// kernels, a bus lock held by another process, descriptor exhaustion, silent and surplus
/// connections, and clients of another uid. Time appears only as hang guards.
final class HardeningTests: XCTestCase {
    var scratch: TemporaryDirectory?
    var dir = ""
    var servers: [Background] = []
    var helpers: [Background] = []

    override func setUp() {
        scratch = TemporaryDirectory(prefix: "kh-")
        dir = scratch!.path
        XCTAssertTrue(FileManager.default.fileExists(atPath: executable("rump_server")), "build the package first")
    }

    override func tearDown() {
        for h in helpers where h.process.isRunning { h.kill9() }
        for s in servers where s.process.isRunning { s.kill9() }
        let leftovers = processes(mentioning: dir)
        XCTAssertEqual(leftovers, [], "processes left behind")
        for p in leftovers { kill(p, SIGKILL) }
        scratch?.remove()
    }

    static let shmifComponents = ["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet", "-lrumpnet_shmif"]

    /// A foreground rump_server whose stderr goes to `<name>.log` (readable while it runs),
    /// started through `prefix` (prlimit, setpriv) with `environment` added.
    func startServer(_ name: String, url: String? = nil, prefix: [String] = [], environment: [String: String] = [:],
                     components: [String] = HardeningTests.shmifComponents, waitListening: Bool = true) throws -> (Background, String) {
        let url = url ?? "unix://\(dir)/\(name).sock"
        let log = "\(dir)/\(name).log"
        var env = rumpEnvironment(server: nil)
        for (k, v) in environment { env[k] = v }
        let words = prefix + [executable("rump_server"), "-s"] + components + [url]
        let line = "exec " + words.map { "'\($0)'" }.joined(separator: " ") + " 2>'\(log)'"
        let s = try Background("/bin/sh", ["-c", line], environment: env)
        servers.append(s)
        if waitListening, url.hasPrefix("unix://") {
            XCTAssertTrue(waitForSocket(String(url.dropFirst(7)), timeout: 20), "\(name) did not listen: \(logText(name))")
        }
        return (s, url)
    }

    func logText(_ name: String) -> String { (try? String(contentsOfFile: "\(dir)/\(name).log", encoding: .utf8)) ?? "" }

    /// Waits (a hang guard, not a bound under test) until the log has a line containing `text`.
    func waitForLog(_ name: String, containing text: String, timeout: TimeInterval = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if logText(name).contains(text) { return true }
            usleep(20_000)
        }
        return false
    }

    func tool(_ args: [String], _ url: String, timeout: TimeInterval = 30) -> ProcessResult {
        runTool(args, rumpServer: url, timeout: timeout)
    }

    /// Two kernels on `bus`, 10.0.0.1 and 10.0.0.2, that can ping each other.
    func twoKernels(bus: String) throws -> [String] {
        var urls: [String] = []
        for k in 1...2 {
            let (_, url) = try startServer("k\(k)")
            urls.append(url)
            XCTAssertEqual(tool(["ifconfig", "shmif0", "create"], url).status, 0)
            XCTAssertEqual(tool(["ifconfig", "shmif0", "linkstr", bus], url).status, 0)
            XCTAssertEqual(tool(["ifconfig", "shmif0", "inet", "10.0.0.\(k)/24"], url).status, 0)
        }
        let p = tool(["ping", "-c", "1", "-w", "10", "10.0.0.1"], urls[1])
        XCTAssertEqual(p.status, 0, "the bus does not work to begin with: \(p)")
        return urls
    }

    /// Both kernels answer, shmif0 is not RUNNING, ping fails at once with ENETDOWN, and each
    /// log says why.
    func assertLinkDown(_ urls: [String], reason: String, file: StaticString = #filePath, line: UInt = #line) {
        for (i, url) in urls.enumerated() {
            XCTAssertTrue(waitForLog("k\(i + 1)", containing: "shmif0: bus \(dir)/bus: \(reason)"),
                          "no log line in k\(i + 1): \(logText("k\(i + 1)"))", file: file, line: line)
            XCTAssertTrue(logText("k\(i + 1)").contains("link state DOWN"), file: file, line: line)
            let s = tool(["sysctl", "-n", "kern.ostype"], url)
            XCTAssertEqual(s.stdout, "NetBSD\n", "k\(i + 1) does not answer: \(s)", file: file, line: line)
            let ifc = tool(["ifconfig", "shmif0"], url)
            XCTAssertTrue(ifc.stdout.hasPrefix("shmif0: flags=0x8803<UP,BROADCAST,SIMPLEX,MULTICAST>"),
                          "still RUNNING: \(ifc.stdout)", file: file, line: line)
        }
        let p = tool(["ping", "-c", "1", "-w", "5", "10.0.0.1"], urls[1])
        XCTAssertNotEqual(p.status, 0, file: file, line: line)
        XCTAssertTrue(p.stderr.contains("Network is down"), "\(p)", file: file, line: line)
    }

    // MARK: a bus file that changes under the kernels

    func testTruncatedBusLeavesBothKernelsServingAndLinkDown() throws {
        let bus = dir + "/bus"
        let urls = try twoKernels(bus: bus)
        XCTAssertEqual(truncate(bus, 0), 0)
        assertLinkDown(urls, reason: "bus file shrank to 0 bytes")
        // ierrors counts the loss (netstat -i's Ierrs).
        let n = tool(["netstat", "-i"], urls[0]).stdout
        XCTAssertTrue(n.split(separator: "\n").contains { $0.hasPrefix("shmif") && Int($0.split(separator: " ")[5]) ?? 0 > 0 }, n)
        // Restored (re-created at the right size): down and up attach it again.
        unlink(bus)
        for url in urls {
            XCTAssertEqual(tool(["ifconfig", "shmif0", "down"], url).status, 0)
            let up = tool(["ifconfig", "shmif0", "up"], url)
            XCTAssertEqual(up.status, 0, "\(up)")
        }
        let p = tool(["ping", "-c", "1", "-w", "10", "10.0.0.1"], urls[1])
        XCTAssertEqual(p.status, 0, "\(p)")
        XCTAssertTrue(p.stdout.contains("1 packets received"), p.stdout)
    }

    func testBusShrunkToOnePageThenABigFrame() throws {
        let bus = dir + "/bus"
        let urls = try twoKernels(bus: bus)
        XCTAssertEqual(truncate(bus, 4096), 0)
        // A large frame lands past the first page: with the mapping unguarded that is SIGBUS.
        let p = tool(["ping", "-c", "1", "-s", "1400", "-w", "3", "10.0.0.1"], urls[1])
        XCTAssertNotEqual(p.status, 0)
        assertLinkDown(urls, reason: "bus file shrank")
        // The linkstr of a new file works again after down.
        let bus2 = dir + "/bus2"
        for url in urls {
            XCTAssertEqual(tool(["ifconfig", "shmif0", "down"], url).status, 0)
            XCTAssertEqual(tool(["ifconfig", "shmif0", "linkstr", bus2], url).status, 0)
            XCTAssertEqual(tool(["ifconfig", "shmif0", "up"], url).status, 0)
        }
        XCTAssertEqual(tool(["ping", "-c", "1", "-w", "10", "10.0.0.1"], urls[1]).status, 0)
    }

    func testGarbageHeaderDoesNotCrashReadersOrWriters() throws {
        let bus = dir + "/bus"
        let urls = try twoKernels(bus: bus)
        // shm_first and shm_last far outside the ring, the magic intact, a wakeup to make
        // the readers look at once.
        let fd = open(bus, O_RDWR)
        XCTAssertGreaterThanOrEqual(fd, 0)
        var header: [UInt32] = [0xCA11_D054, 3, 0xFFFF_FFFF, 0xFFFF, 0xFFFF_FFF0, 0x7FFF_FFFF]
        XCTAssertEqual(pwrite(fd, &header, 24, 0), 24)
        close(fd)
        _ = tool(["ping", "-c", "1", "-w", "2", "10.0.0.1"], urls[1])
        assertLinkDown(urls, reason: "bus header corrupt")
        // Then a magic that is not shmif's (another program's file now).
        unlink(bus)
        for url in urls {
            XCTAssertEqual(tool(["ifconfig", "shmif0", "down"], url).status, 0)
            XCTAssertEqual(tool(["ifconfig", "shmif0", "up"], url).status, 0)
        }
        XCTAssertEqual(tool(["ping", "-c", "1", "-w", "10", "10.0.0.1"], urls[1]).status, 0)
        let fd2 = open(bus, O_RDWR)
        var junk: [UInt8] = Array(repeating: 0x41, count: 32)
        XCTAssertEqual(pwrite(fd2, &junk, 32, 0), 32)
        close(fd2)
        _ = tool(["ping", "-c", "1", "-w", "2", "10.0.0.1"], urls[1])
        XCTAssertTrue(waitForLog("k1", containing: "bus header overwritten (magic 0x41414141"), logText("k1"))
        XCTAssertEqual(tool(["sysctl", "-n", "kern.ostype"], urls[0]).stdout, "NetBSD\n")
        XCTAssertEqual(tool(["sysctl", "-n", "kern.ostype"], urls[1]).stdout, "NetBSD\n")
    }

    // MARK: a bus lock held by another process

    func testHeldBusLockDoesNotFreezeTheKernel() throws {
        let bus = dir + "/bus"
        let urls = try twoKernels(bus: bus)
        XCTAssertEqual(tool(["arp", "-d", "10.0.0.1"], urls[1]).status, 0)
        let holder = try Background(executable("shmifctl"), ["hold-lock", bus])
        helpers.append(holder)
        XCTAssertEqual(holder.readLine()?.hasPrefix("locked"), true)
        // A ping started meanwhile: its ARP request must wait for the lock, not the loop.
        let ping = try startTool(["ping", "-c", "1", "-w", "30", "10.0.0.1"], rumpServer: urls[1])
        helpers.append(ping)
        usleep(300_000)
        for _ in 0..<3 {
            let s = tool(["sysctl", "-n", "kern.ostype"], urls[1], timeout: 20)
            XCTAssertEqual(s.stdout, "NetBSD\n", "the kernel stopped answering while the lock is held: \(s)")
            XCTAssertEqual(tool(["ifconfig", "shmif0"], urls[1], timeout: 20).status, 0)
        }
        XCTAssertTrue(ping.process.isRunning, "ping finished while the bus was locked")
        // The holder dies: after 100 ms the kernel takes the lock over and the deferred
        // frames go out; the ping is answered.
        holder.kill9()
        let result = ping.finish(timeout: 40)
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stdout.contains("1 packets received"), result.stdout)
    }

    /// netstat -i's column `index` (Ipkts 4, Ierrs 5, Opkts 6, Oerrs 7) of shmif0's link row.
    func shmifCounter(_ url: String, column index: Int) -> Int? {
        let rows = tool(["netstat", "-i"], url).stdout.split(separator: "\n")
        guard let row = rows.first(where: { $0.hasPrefix("shmif") && $0.contains("<Link>") }) else { return nil }
        let cols = row.split(separator: " ")
        return cols.count > index ? Int(cols[index]) : nil
    }

    func testFramesPastTheDeferredQueueAreCountedAndTheRestGoOutAfterTheHolderDies() throws {
        let bus = dir + "/bus"
        let urls = try twoKernels(bus: bus)
        // A static ARP entry, so every echo request is one frame straight to the bus.
        let mac = tool(["ifconfig", "shmif0"], urls[0]).stdout.split(separator: "\n")
            .first { $0.contains("address:") }.map { String($0.split(separator: " ").last!) } ?? ""
        XCTAssertEqual(tool(["arp", "-s", "10.0.0.1", mac], urls[1]).status, 0, mac)
        let inBefore = try XCTUnwrap(shmifCounter(urls[0], column: 4))
        let errorsBefore = try XCTUnwrap(shmifCounter(urls[1], column: 7))
        let holder = try Background(executable("shmifctl"), ["hold-lock", bus])
        helpers.append(holder)
        XCTAssertEqual(holder.readLine()?.hasPrefix("locked"), true)
        let queued = ShmifDevice.deferredQueueFrames, count = queued + 36
        let ping = tool(["ping", "-q", "-c", "\(count)", "-i", "0.01", "-w", "\(count / 100 + 3)", "10.0.0.1"], urls[1], timeout: 30)
        XCTAssertEqual(ping.status, 2, "\(ping)")  // nothing could be answered meanwhile
        // `queued` wait for the lock; the other 36 are output errors.
        let errors = try XCTUnwrap(shmifCounter(urls[1], column: 7)) - errorsBefore
        XCTAssertEqual(errors, 36, tool(["netstat", "-i"], urls[1]).stdout)
        holder.kill9()
        var received = 0
        let deadline = Date().addingTimeInterval(20)
        repeat {
            received = (shmifCounter(urls[0], column: 4) ?? 0) - inBefore
            if received < queued { usleep(50_000) }
        } while received < queued && Date() < deadline
        XCTAssertGreaterThanOrEqual(received, queued, "the deferred frames did not arrive after the holder died")
    }

    // MARK: descriptors and connections

    /// utime + stime of `pid` in clock ticks.
    func cpuTicks(_ pid: Int32) -> Int {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let paren = s.lastIndex(of: ")") else { return -1 }
        let fields = s[s.index(after: paren)...].split(separator: " ")
        // fields[0] is the state (field 3); utime and stime are fields 14 and 15.
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }

    func connectRaw(_ path: String) -> Int32 { ck_connect_unix(path) }

    func testDescriptorExhaustionDoesNotSpinAndRecovers() throws {
        let (server, url) = try startServer("k1", prefix: ["/usr/bin/prlimit", "--nofile=32:32"],
                                            environment: ["RUMPNET_HELLO_TIMEOUT": "600"])
        let path = String(url.dropFirst(7))
        var fds: [Int32] = []
        defer { for f in fds { close(f) } }
        // More than the server can accept: the rest wait in the listen backlog (64).
        for _ in 0..<50 {
            let f = connectRaw(path)
            if f >= 0 { fds.append(f) }
        }
        XCTAssertGreaterThan(fds.count, 32)
        XCTAssertTrue(waitForLog("k1", containing: "accept: Too many open files"), logText("k1"))
        let before = cpuTicks(server.pid)
        sleep(2)
        let used = cpuTicks(server.pid) - before
        // A spinning loop burns ~100 ticks a second even on a busy machine's share; the
        // paused listener wakes ten times a second.
        XCTAssertLessThan(used, 40, "the server used \(used) ticks in 2 s at EMFILE")
        for f in fds { close(f) }
        fds = []
        let s = tool(["sysctl", "-n", "kern.ostype"], url)
        XCTAssertEqual(s.stdout, "NetBSD\n", "\(s) \(logText("k1"))")
    }

    func testSilentConnectionIsClosedAndGreetedOneIsNot() throws {
        let (_, url) = try startServer("k1", environment: ["RUMPNET_HELLO_TIMEOUT": "0.5"])
        let path = String(url.dropFirst(7))
        let silent = RawConnection(path: path)!
        _ = ck_set_timeouts(silent.fd, 20_000, 20_000)
        let greeted = RawConnection(path: path)!
        XCTAssertNotNil(greeted.hello())
        XCTAssertTrue(silent.closedByPeer(), "a connection that never said hello stayed open")
        // The greeted one is still served after the hello timeout passed.
        greeted.send(.request(id: 1, .sysctlGet(name: "kern.ostype")))
        guard case .response(_, _, let result)? = greeted.receive() else { return XCTFail("no response") }
        XCTAssertNotNil(try? result.get())
    }

    func testConnectionCap() throws {
        let (_, url) = try startServer("k1", environment: ["RUMPNET_MAX_CONNECTIONS": "4"])
        let path = String(url.dropFirst(7))
        // waitForSocket's probe may still count until the server reads its EOF: a refused
        // hello is tried again (hang guard: 100 tries).
        var held: [RawConnection] = []
        for _ in 0..<100 where held.count < 4 {
            if let c = RawConnection(path: path), c.hello() != nil { held.append(c) } else { usleep(20_000) }
        }
        XCTAssertEqual(held.count, 4)
        let extra = RawConnection(path: path)!
        XCTAssertTrue(extra.closedByPeer(), "a fifth connection was kept")
        XCTAssertNotEqual(tool(["sysctl", "-n", "kern.ostype"], url).status, 0)
        XCTAssertTrue(waitForLog("k1", containing: "4 connections open, the most allowed"), logText("k1"))
        // One goes: there is room again.
        held.removeLast()
        let deadline = Date().addingTimeInterval(20)
        var r = tool(["sysctl", "-n", "kern.ostype"], url)
        while r.stdout != "NetBSD\n" && Date() < deadline {
            usleep(50_000)
            r = tool(["sysctl", "-n", "kern.ostype"], url)
        }
        XCTAssertEqual(r.stdout, "NetBSD\n")
        XCTAssertEqual(held.count, 3)  // the others are still open
    }

    func testLimitsFromTheEnvironmentThatDoNotParseAreNamed() throws {
        let (_, url) = try startServer("k1", environment: ["RUMPNET_MAX_CONNECTIONS": "0", "RUMPNET_HELLO_TIMEOUT": "soon"],
                                       components: ["-lrumpnet"])
        XCTAssertEqual(tool(["sysctl", "-n", "kern.ostype"], url).stdout, "NetBSD\n")
        let log = logText("k1")
        XCTAssertTrue(log.contains("rump_server: RUMPNET_MAX_CONNECTIONS=0: expected 1...65536; using 256"), log)
        XCTAssertTrue(log.contains("rump_server: RUMPNET_HELLO_TIMEOUT=soon: expected seconds in (0, 86400]; using 10"), log)
    }

    // MARK: who may connect

    static let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

    func testUnixSocketRefusesAnotherUser() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to run a client as another uid") }
        let (_, url) = try startServer("k1", components: ["-lrumpnet"])
        let path = String(url.dropFirst(7))
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        XCTAssertEqual(chmod(path, 0o666), 0)  // connectable by anyone: only the uid check is left
        let other = tool(Self.nobody + [executable("sysctl"), "kern.ostype"], url)
        XCTAssertNotEqual(other.status, 0, "\(other)")
        XCTAssertEqual(other.stdout, "")
        XCTAssertTrue(waitForLog("k1", containing: "refused connection from uid 65534"), logText("k1"))
        XCTAssertEqual(tool(["sysctl", "-n", "kern.ostype"], url).stdout, "NetBSD\n")
    }

    func testLoopbackTCPRefusesAnotherUser() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to run a client as another uid") }
        for _ in 0..<5 {
            let port = Int.random(in: 20000...60000)
            let url = "tcp://127.0.0.1:\(port)"
            let (s, _) = try startServer("t\(port)", url: url, components: ["-lrumpnet"], waitListening: false)
            var root = tool(["sysctl", "-n", "kern.ostype"], url)
            let deadline = Date().addingTimeInterval(20)
            while root.status != 0 && s.process.isRunning && Date() < deadline {
                usleep(20_000)
                root = tool(["sysctl", "-n", "kern.ostype"], url)
            }
            guard root.status == 0 else { s.kill9(); continue }  // port taken: another
            XCTAssertEqual(root.stdout, "NetBSD\n")
            let other = tool(Self.nobody + [executable("sysctl"), "kern.ostype"], url)
            XCTAssertNotEqual(other.status, 0, "\(other)")
            XCTAssertTrue(waitForLog("t\(port)", containing: "refused connection from uid 65534 (127.0.0.1:"), logText("t\(port)"))
            XCTAssertEqual(tool(["sysctl", "-n", "kern.ostype"], url).stdout, "NetBSD\n")
            return
        }
        XCTFail("no tcp server came up")
    }

    func testWildcardTCPNeedsExplicitPermission() throws {
        let port = Int.random(in: 20000...60000)
        let r = runTool(["rump_server", "-s", "-lrumpnet", "tcp://0.0.0.0:\(port)"], rumpServer: nil)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("refusing to listen on every address"), r.stderr)
        XCTAssertTrue(r.stderr.contains("RUMPNET_ALLOW_REMOTE=1"), r.stderr)
        let star = runTool(["rump_server", "-s", "-lrumpnet", "tcp://*:\(port)"], rumpServer: nil)
        XCTAssertEqual(star.status, 1, star.stderr)
        // With the permission it listens (and loopback clients are still checked).
        let (s, _) = try startServer("w", url: "tcp://0.0.0.0:\(port)", environment: ["RUMPNET_ALLOW_REMOTE": "1"],
                                     components: ["-lrumpnet"], waitListening: false)
        var ok = false
        let deadline = Date().addingTimeInterval(20)
        while !ok && s.process.isRunning && Date() < deadline {
            ok = tool(["sysctl", "-n", "kern.ostype"], "tcp://127.0.0.1:\(port)").stdout == "NetBSD\n"
            if !ok { usleep(20_000) }
        }
        if !s.process.isRunning { throw XCTSkip("port \(port) taken") }
        XCTAssertTrue(ok, logText("w"))
        XCTAssertTrue(logText("w").contains("warning: tcp://0.0.0.0:\(port) has no authentication"), logText("w"))
    }

    // MARK: clear errors

    func testLinkstrOnTheWrongFileSaysWhatIsWrong() throws {
        let (_, url) = try startServer("k1")
        XCTAssertEqual(tool(["ifconfig", "shmif0", "create"], url).status, 0)
        let directory = dir + "/adir"
        XCTAssertEqual(mkdir(directory, 0o700), 0)
        let small = scratch!.write("small", String(repeating: "x", count: 5000))
        let foreign = dir + "/foreign"
        XCTAssertTrue(FileManager.default.createFile(atPath: foreign, contents: Data(repeating: 0x41, count: 1 << 20)))
        let cases: [(String, String, String)] = [
            (directory, "Is a directory", "is a directory, not a bus file"),
            (small, "Invalid argument", "bus file is 5000 bytes; a shmif bus is 1048576 bytes"),
            ("/dev/zero", "Operation not supported by device", "not a regular file"),
            (foreign, "Exec format error", "not a shmif bus (magic 0x41414141"),
            (dir + "/no/such/dir", "No such file or directory", "open: No such file or directory"),
        ]
        for (file, errno, reason) in cases {
            let r = tool(["ifconfig", "shmif0", "linkstr", file], url)
            XCTAssertEqual(r.status, 1, file)
            XCTAssertEqual(r.stderr, "ifconfig: SIOCSLINKSTR: \(errno)\n", file)
            XCTAssertTrue(waitForLog("k1", containing: "shmif0: linkstr \(file): \(reason)"), logText("k1"))
        }
        // Nothing was attached, and the files are as they were.
        XCTAssertFalse(tool(["ifconfig", "shmif0"], url).stdout.contains("linkstr:"))
        XCTAssertEqual((try? FileManager.default.attributesOfItem(atPath: small)[.size] as? Int) ?? -1, 5000)
        XCTAssertEqual(tool(["ifconfig", "shmif0", "linkstr", dir + "/bus"], url).status, 0)
    }

    func testPingWhoseKernelDiesSaysSoAndFails() throws {
        let (server, url) = try startServer("k1", components: ["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet"])
        let ping = try startTool(["ping", "-c", "1000", "-i", "0.1", "127.0.0.1"], rumpServer: url)
        helpers.append(ping)
        XCTAssertEqual(ping.readLine()?.hasPrefix("PING 127.0.0.1"), true)
        XCTAssertEqual(ping.readLine()?.hasPrefix("64 bytes from 127.0.0.1"), true)
        server.kill9()
        let r = ping.finish(timeout: 30)
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertTrue(r.stderr.hasPrefix("ping: lost the rump kernel: "), r.stderr)
        XCTAssertTrue(r.stdout.contains("PING Statistics----"), r.stdout)
        unlink(String(url.dropFirst(7)))
    }
}
