import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The rump tutorial's file half replayed with real processes: bash sourcing
/// scripts/rumpctrl.sh, our rump_server, and our utilities, one command per bash run (the
/// only state between them is RUMP_SERVER, as in the tutorial).
final class TutorialTests: XCTestCase {
    var scratch: TemporaryDirectory!
    var socket: String { scratch.file("rumpctrlsock") }
    var url: String { "unix://" + socket }

    override func setUp() { scratch = TemporaryDirectory(prefix: "vfs-") }

    override func tearDown() {
        if canConnect(socket) { _ = runTool(["halt"], rumpServer: url) }
        for pid in processes(mentioning: socket) { kill(pid, SIGKILL) }
        scratch.remove()
    }

    /// Runs one command line at the rumpctrl prompt; stdout and stderr together, as a terminal shows them.
    func prompt(_ command: String, server: Bool = true) -> (text: String, status: Int32) {
        let script = ". \(repositoryRoot.path)/scripts/rumpctrl.sh \(productsDirectory.path)\n"
            + (server ? "export RUMP_SERVER=\(url)\n" : "unset RUMP_SERVER\n") + "exec 2>&1\n" + command + "\n"
        do {
            // The host's own PATH: rumpctrl.sh puts our utilities first, rumpctrl_hostcmd takes them away.
            var env = ProcessInfo.processInfo.environment
            env.removeValue(forKey: "RUMP_SERVER")
            env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
            let r = try TestSupport.run("/bin/bash", ["-c", script], cwd: scratch.path, environment: env, timeout: 30)
            return (r.stdout, r.status)
        } catch {
            XCTFail("\(command): \(error)")
            return ("", -1)
        }
    }

    /// The tutorial's text, with what differs by nature masked: dates, dd's time and rate, the hostname.
    static func masked(_ s: String) -> String {
        var t = s
        for (p, r) in [("[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}", "DATE"),
                       ("transferred in [0-9.]+ secs \\([0-9]+ bytes/sec\\)", "transferred in T secs (R bytes/sec)"),
                       ("kern.hostname: rump-[0-9]+\\.[^ ]+ ->", "kern.hostname: HOST ->")] {
            t = t.replacingOccurrences(of: p, with: r, options: .regularExpression)
        }
        return t
    }

    func step(_ command: String, _ expected: String, status: Int32 = 0, server: Bool = true,
              file: StaticString = #filePath, line: UInt = #line) {
        let r = prompt(command, server: server)
        XCTAssertEqual(Self.masked(r.text), Self.masked(expected), "`\(command)`", file: file, line: line)
        XCTAssertEqual(r.status, status, "`\(command)` status", file: file, line: line)
    }

    /// "Trying it out", "rumpctrl extra tricks" and "Coping with components", in order.
    func testTheTutorial() throws {
        let log = scratch.file("server.log")
        // Our rump_server is started with the host's tools (rumpctrl_hostcmd), its output kept in a
        // log: the tutorial's terminal shows none, and a daemon holding the test's pipe would stall it.
        let server = { (libs: String) in "rumpctrl_hostcmd \(productsDirectory.path)/rump_server \(libs)\(libs.isEmpty ? "" : " ")\(self.url) >>\(log) 2>&1" }
        step("ifconfig", "error: RUMP_SERVER not set\nrumpclient init failed\n", status: 1, server: false)
        step(server(""), "")
        step("sysctl -w kern.hostname=look_at_them_run", "kern.hostname: rump-12224.watou -> look_at_them_run\n")
        step("sysctl kern.hostname", "kern.hostname = look_at_them_run\n")
        step("ls -l", "ls: .: Function not implemented\n", status: 1)
        step("halt", "")
        XCTAssertTrue(waitGone(processes(mentioning: socket).first ?? 0))
        step(server("-lrumpvfs"), "")
        let root = "total 2\ndrwxr-xr-x  2 0  0  512 Jul 28 23:10 dev\ndrwxrwxrwt  2 0  0  512 Jul 28 23:10 tmp\n"
        step("ls -l", root)
        step("mount", "rumpfs on / type rumpfs (local)\n")
        step("mount_tmpfs /swap /tmp", "mount_tmpfs: tmpfs on /tmp: Operation not supported by device\n", status: 1)

        // rumpctrl extra tricks.
        let list = prompt("rumpctrl_listcmds").text
        let rows = list.split(separator: "\n")
        XCTAssertTrue(rows.first?.hasPrefix("arp\t\t") ?? false, list)
        let names = Set(list.split(whereSeparator: { $0 == "\t" || $0 == "\n" }).map(String.init))
        XCTAssertTrue(names.isSuperset(of: ["arp", "cat", "dd", "halt", "ifconfig", "ls", "mount", "mount_tmpfs", "route", "sysctl"]), list)
        XCTAssertFalse(names.contains("rump_server"))
        step("rumpctrl_hascmd ls", "#t\n")
        step("rumpctrl_hascmd top", "#f\n", status: 1)
        step("ls -l /", root)
        let host = prompt("rumpctrl_hostcmd ls -l /").text
        XCTAssertTrue(host.hasPrefix("total "), host)
        XCTAssertTrue(host.contains(" usr\n"), "the host's root, not the kernel's: \(host)")
        step("cd /dev", "ERROR: cd not available in rumpctrl mode /dev\n", status: 1)
        // The tutorial's `echo ... > /file` fails for a non-root user; the redirect is the host's either
        // way (we run as root, so it is aimed into the scratch directory instead of the host's /).
        step("echo messages from earth > \(scratch.file("file"))", "")
        XCTAssertEqual(try String(contentsOfFile: scratch.file("file"), encoding: .utf8), "messages from earth\n")
        step("ls -l /file", "ls: /file: No such file or directory\n", status: 1)
        step("echo messages from earth | dd of=/file",
             "0+1 records in\n0+1 records out\n20 bytes transferred in 0.001 secs (20000 bytes/sec)\n")
        step("ls -l /file", "-rw-r--r--  1 0  0  20 Jul 29 04:24 /file\n")
        step("cat /file", "messages from earth\n")

        // Coping with components.
        step("rumpctrl_hostcmd \(productsDirectory.path)/rump_wmd -L./buildrump.sh/rump/lib -lrumpfs_ffs",
             "DEBUG0: Searching component combinations. This may take a while ...\nDEBUG0: Found a set\n-lrumpdev -lrumpdev_disk -lrumpvfs -lrumpfs_ffs\n")
        step("halt", "")
        XCTAssertTrue(waitGone(processes(mentioning: socket).first ?? 0))
        // NetBSD's line, then ours saying why (issue 8: a failed connect names its reason).
        step("halt", "rumpclient init failed\nrumpclient: \(url): connect: No such file or directory (no socket: is the kernel server running?)\n",
             status: 1)
        // What we catalogue but do not implement is refused, with the reason.
        step(server("-lrumpdev -lrumpdev_disk -lrumpvfs -lrumpfs_ffs"), "", status: 1)
        XCTAssertTrue(try String(contentsOfFile: log, encoding: .utf8).contains(
            "rump_server: -lrumpdev: device faction: autoconf, device nodes: listed by rump_wmd but not implemented by this kernel"))
        step(server("-lrumpfs_tmpfs -lrumpvfs"), "")
        step("mount_tmpfs /swap /tmp", "")
        step("mount", "rumpfs on / type rumpfs (local)\ntmpfs on /tmp type tmpfs (local)\n")
        step("mount -t tmpfs", "tmpfs on /tmp type tmpfs (local)\n")
    }
}
