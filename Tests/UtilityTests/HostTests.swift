import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Kernels of one rump_host (docs/kernel.md, "Many kernels in one process"), driven only
/// through the real utilities, beside rump_servers of their own.
final class HostTests: XCTestCase {
    static let shmifKernel = LabTests.shmifKernel

    func ok(_ s: Server, _ cmd: String, file: StaticString = #filePath, line: UInt = #line) {
        let r = s.run(cmd)
        XCTAssertEqual(r.status, 0, "\(cmd): \(r)", file: file, line: line)
    }

    func attach(_ s: Server, _ bus: String, _ address: String) {
        ok(s, "ifconfig shmif0 create")
        ok(s, "ifconfig shmif0 linkstr \(bus)")
        ok(s, "ifconfig shmif0 inet \(address)/24")
    }

    /// `halt` of one hosted kernel stops it alone: its socket goes, its neighbours (on its loop
    /// and on the other) go on serving and pinging each other; the host exits with its last.
    func testHaltOfOneHostedKernelLeavesNeighboursServing() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let bus = lab.dir + "/bus"
        let ks = try lab.startHost((1...4).map { ("k\($0)", Self.shmifKernel) })
        for (k, s) in ks.enumerated() { attach(s, bus, "10.0.0.\(k + 1)") }
        XCTAssertEqual(ks[0].run("ping -c 1 10.0.0.2").status, 0)
        // k2 shares k1's loop, k3 and k4 are on the other.
        XCTAssertEqual(ks[1].run("halt").status, 0)
        let sock2 = ks[1].socketPath!
        let deadline = Date().addingTimeInterval(5)
        while FileManager.default.fileExists(atPath: sock2) && Date() < deadline { usleep(2000) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: sock2), "the halted kernel's socket stays")
        XCTAssertTrue(processAlive(ks[0].pid), "the host exited with kernels left")
        let gone = ks[1].run("sysctl kern.hostname")
        XCTAssertNotEqual(gone.status, 0, "\(gone)")
        for (s, target) in [(ks[0], "10.0.0.3"), (ks[2], "10.0.0.4"), (ks[3], "10.0.0.1")] {
            let p = s.run("ping -c 2 -i 0.2 \(target)")
            XCTAssertTrue(p.stdout.contains("2 packets received"), "\(target): \(p)")
        }
        let dead = ks[0].run("ping -c 1 -w 1 10.0.0.2")
        XCTAssertFalse(dead.stdout.contains("1 packets received"), "the halted kernel answered: \(dead)")
        for s in [ks[0], ks[2], ks[3]] { XCTAssertEqual(s.run("halt").status, 0) }
        let end = Date().addingTimeInterval(5)
        while processAlive(ks[0].pid) && Date() < end { usleep(5000) }
        XCTAssertFalse(processAlive(ks[0].pid), "the host outlived its last kernel")
    }

    /// One bus shared by three hosted kernels (two on one loop, one on the other), a
    /// rump_server of its own, and a passive capture: every kernel reaches every other, and
    /// the bus file holds every frame (the fast path skips no write).
    func testMixedBusEveryKernelAndTheCaptureSeeEveryFrame() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let bus = lab.dir + "/bus"
        let hosted = try lab.startHost([("h1", Self.shmifKernel), ("h2", Self.shmifKernel), ("h3", Self.shmifKernel)])
        let own = try lab.start("p4", Self.shmifKernel)
        let all = hosted + [own]
        // A live passive reader from before the first frame (it creates the bus file).
        let capture = try Background(executable("shmifctl"), ["watch", bus, "--idle", "2000"])
        let made = Date().addingTimeInterval(5)
        while !FileManager.default.fileExists(atPath: bus) && Date() < made { usleep(2000) }
        usleep(100_000)
        for (k, s) in all.enumerated() { attach(s, bus, "10.0.0.\(k + 1)") }
        // From here every kernel is on the bus: what each counts from now on is what it got.
        let dumpCommand = "\(executable("shmif_dumpbus")) -p - \(bus) | /usr/bin/tcpdump -n -r -"
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpdump") else { throw XCTSkip("tcpdump not installed") }
        let framesBefore = runTool([dumpCommand], rumpServer: nil, timeout: 10, shell: true).stdout.split(separator: "\n").count
        let countsBefore = all.map(counters)
        var requests = 0
        for (i, s) in all.enumerated() {
            for j in all.indices where j != i {
                let p = s.run("ping -c 1 10.0.0.\(j + 1)")
                XCTAssertTrue(p.stdout.contains("1 packets received"), "\(i + 1) -> \(j + 1): \(p)")
                requests += 1
            }
        }
        // Every frame is in the bus file: shmif_dumpbus (NetBSD's post-mortem reader) counts them.
        let dump = runTool([dumpCommand], rumpServer: nil, timeout: 10, shell: true)
        var seen = 0
        for i in 1...4 {
            for j in 1...4 where j != i {
                let req = dump.stdout.components(separatedBy: "10.0.0.\(i) > 10.0.0.\(j): ICMP echo request").count - 1
                let rep = dump.stdout.components(separatedBy: "10.0.0.\(j) > 10.0.0.\(i): ICMP echo reply").count - 1
                XCTAssertEqual(req, 1, "\(i) -> \(j) request in the bus file")
                XCTAssertEqual(rep, 1, "\(j) -> \(i) reply in the bus file")
                seen += req
            }
        }
        XCTAssertEqual(seen, requests)
        let watched = capture.finish(timeout: 20)
        XCTAssertEqual(watched.status, 0, "\(watched)")
        let live = watched.stdout.split(separator: "\n").filter { $0.contains(" type 0x") }.count
        // Each kernel received every frame the others put on the bus since they all joined: its
        // input is the bus's frames minus its own output (own frames are filtered by sender id).
        let frames = dump.stdout.split(separator: "\n").count
        XCTAssertEqual(live, frames, "the live capture and the bus file disagree")
        for (k, s) in all.enumerated() {
            guard let before = countsBefore[k], let after = counters(s) else { XCTFail("kernel \(k + 1): netstat -i"); continue }
            XCTAssertEqual((after.0 - before.0) + (after.1 - before.1), frames - framesBefore, "kernel \(k + 1)")
        }
    }

    /// A bad kernel line is refused before anything starts, named by file and line, with
    /// rump_server's own message; nothing listens afterwards.
    func testBadKernelLineIsRefusedWithItsPlace() throws {
        let dir = TemporaryDirectory(prefix: "hb-")
        defer { dir.remove() }
        let list = dir.path + "/kernels"
        try "# two kernels\n-lrumpnet unix://\(dir.path)/a.sock\n-lrumpnet_netinet unix://\(dir.path)/b.sock\n"
            .write(toFile: list, atomically: true, encoding: .utf8)
        let r = try TestSupport.run(executable("rump_host"), [list])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("rump_host: \(list):3: component rumpnet_netinet needs -lrumpnet -lrumpnet_net, which is not loaded"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path + "/a.sock"))
        try "-lrumpnet unix://\(dir.path)/a.sock\n-lrumpnet unix://\(dir.path)/a.sock\n".write(toFile: list, atomically: true, encoding: .utf8)
        let twice = try TestSupport.run(executable("rump_host"), [list])
        XCTAssertEqual(twice.status, 1)
        XCTAssertTrue(twice.stderr.contains("\(list):2: unix://\(dir.path)/a.sock: listed twice"), twice.stderr)
    }

    /// shmif0's input and output packets (netstat -i -I shmif0).
    func counters(_ s: Server) -> (Int, Int)? {
        let v = s.run("netstat -i -I shmif0")
        let row = v.stdout.split(separator: "\n").first { $0.hasPrefix("shmif ") && $0.contains("<Link>") }
        let cols = row.map { $0.split(separator: " ", omittingEmptySubsequences: true) } ?? []
        guard cols.count >= 8, let i = Int(cols[4]), let o = Int(cols[6]) else { return nil }
        return (i, o)
    }
}
