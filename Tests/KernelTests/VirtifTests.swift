import XCTest
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport

/// rumpnet_virtif in real rump_server processes: host taps through /dev/net/tun, Linux's own
/// stack in a namespace on the other side (runs as root, as CI does).
final class VirtifTests: XCTestCase {
    var servers: [Background] = []
    var namespaces: [TestNamespace] = []
    var scratch: TemporaryDirectory!
    let pid = getpid()

    override func setUp() { scratch = TemporaryDirectory(prefix: "kt-dev-") }
    override func tearDown() {
        for s in servers where s.process.isRunning { s.kill9() }
        for s in servers { _ = s.wait(timeout: 5) }
        servers.removeAll()
        namespaces.removeAll()  // deinit deletes them (after the servers, whose taps go with them)
        scratch.remove()
    }

    /// A foreground rump_server with the virt cloner; `wrapper` runs it under another program
    /// (setpriv), `environment` adds variables.
    func startServer(_ name: String, wrapper: [String] = [], environment: [String: String] = [:]) throws -> String {
        let sock = scratch.file("\(name).sock")
        var env = rumpEnvironment(server: nil)
        for (k, v) in environment { env[k] = v }
        let args = ["-s", "-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet", "-lrumpnet_virtif", "unix://" + sock]
        let s = wrapper.isEmpty
            ? try Background(executable("rump_server"), args, environment: env)
            : try Background(wrapper[0], Array(wrapper.dropFirst()) + [executable("rump_server")] + args, environment: env)
        servers.append(s)
        XCTAssertTrue(waitForSocket(sock), "rump_server \(name) did not listen")
        return "unix://" + sock
    }

    func tool(_ args: [String], _ server: String) -> ProcessResult { runTool(args, rumpServer: server, timeout: 20) }

    func hostHasInterface(_ name: String, in ns: TestNamespace? = nil) -> Bool {
        let args = (ns.map { ["-n", $0.name] } ?? []) + ["link", "show", name]
        return (try? TestSupport.run("/usr/sbin/ip", args, timeout: 10))?.status == 0
    }

    func testLinuxAndALabNodePingEachOtherOverATapWithARPBothWays() throws {
        let server = try startServer("node")
        let tap = "tdev\(pid)"
        XCTAssertEqual(tool(["ifconfig", "-C"], server).stdout, "lo virt carp\n")
        XCTAssertEqual(runTool(["rump_wmd", "-lrumpnet_virtif"], rumpServer: nil).stdout, "-lrumpnet -lrumpnet_net -lrumpnet_virtif\n")
        XCTAssertEqual(tool(["ifconfig", "virt0", "create"], server).status, 0)
        XCTAssertFalse(hostHasInterface(tap))
        let linkstr = tool(["ifconfig", "virt0", "linkstr", tap], server)
        XCTAssertEqual(linkstr.status, 0, linkstr.description)
        XCTAssertTrue(hostHasInterface(tap), "linkstr makes the host tap")

        let ns = try TestNamespace("dev\(pid)-linux")
        namespaces.append(ns)
        XCTAssertEqual(try TestSupport.run("/usr/sbin/ip", ["link", "set", tap, "netns", ns.name]).status, 0)
        XCTAssertEqual(try ns.ip(["addr", "add", "10.9.0.2/24", "dev", tap]).status, 0)
        XCTAssertEqual(try ns.ip(["link", "set", tap, "up"]).status, 0)
        XCTAssertEqual(tool(["ifconfig", "virt0", "inet", "10.9.0.1/24", "up"], server).status, 0)

        let shown = tool(["ifconfig", "virt0"], server).stdout
        XCTAssertTrue(shown.hasPrefix("virt0: flags=0x8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n"), shown)
        XCTAssertTrue(shown.contains("\tlinkstr: \(tap)\n"), shown)
        // NetBSD's virtif MAC: b2:0a:RR:0b:0e:NN with NN the unit.
        let mac = try XCTUnwrap(shown.split(separator: "\n").first { $0.contains("address: ") }?
            .split(separator: " ").last.map(String.init))
        XCTAssertTrue(mac.hasPrefix("b2:0a:") && mac.hasSuffix(":0b:0e:00"), mac)

        // Linux's ping reaches the node; ours reaches Linux.
        let linuxPing = try ns.exec(["ping", "-c", "3", "-i", "0.2", "-W", "2", "10.9.0.1"])
        XCTAssertEqual(linuxPing.status, 0, linuxPing.description)
        XCTAssertTrue(linuxPing.stdout.contains("3 received"), linuxPing.stdout)
        let ourPing = tool(["ping", "-c", "3", "10.9.0.2"], server)
        XCTAssertEqual(ourPing.status, 0, ourPing.description)
        XCTAssertTrue(ourPing.stdout.contains("3 packets transmitted, 3 packets received, 0.0% packet loss"), ourPing.stdout)

        // ARP both ways: Linux's neighbour table holds the node's MAC, ours the tap's.
        let neigh = try ns.exec(["ip", "neigh", "show", "10.9.0.1"]).stdout
        XCTAssertTrue(neigh.contains("lladdr \(mac)"), neigh)
        let linuxMAC = try XCTUnwrap(try ns.ip(["-o", "link", "show", tap]).stdout
            .components(separatedBy: "link/ether ").dropFirst().first?.split(separator: " ").first.map(String.init))
        let arp = tool(["arp", "-an"], server).stdout
        XCTAssertTrue(arp.contains("? (10.9.0.2) at \(linuxMAC) on virt0"), arp)

        // Counters: at least the three echoes each way.
        let verbose = tool(["ifconfig", "-v", "virt0"], server).stdout
        let input = try XCTUnwrap(verbose.split(separator: "\n").first { $0.contains("input: ") })
        let packets = Int(input.split(separator: " ")[1]) ?? 0
        XCTAssertGreaterThanOrEqual(packets, 6, verbose)

        // destroy closes the tap: the host interface goes.
        XCTAssertEqual(tool(["ifconfig", "virt0", "destroy"], server).status, 1, "destroy of an up virt is EBUSY (NetBSD)")
        XCTAssertEqual(tool(["ifconfig", "virt0", "down"], server).status, 0)
        XCTAssertEqual(tool(["ifconfig", "virt0", "destroy"], server).status, 0)
        XCTAssertFalse(hostHasInterface(tap, in: ns), "the tap is gone with virt0")
        XCTAssertEqual(tool(["ifconfig", "-l"], server).stdout, "lo0\n")
    }

    /// A tap deleted on the host: the interface goes link-down (no busy loop on the dead
    /// descriptor), the server goes on, and down/up makes the tap again.
    func testATapDeletedOnTheHostIsLinkDownAndUpMakesItAgain() throws {
        let server = try startServer("deleted")
        let tap = "tdev\(pid)d"
        let ns = try TestNamespace("dev\(pid)-del")
        namespaces.append(ns)
        XCTAssertEqual(tool(["ifconfig", "virt0", "create"], server).status, 0)
        XCTAssertEqual(tool(["ifconfig", "virt0", "linkstr", tap], server).status, 0)
        try ns.adopt(tap)
        XCTAssertEqual(tool(["ifconfig", "virt0", "inet", "10.9.2.1/24", "up"], server).status, 0)
        XCTAssertEqual(try ns.ip(["link", "del", tap]).status, 0)
        // The next readable event finds the descriptor dead.
        var flags = ""
        for _ in 0..<100 {
            flags = tool(["ifconfig", "virt0"], server).stdout
            if flags.hasPrefix("virt0: flags=0x8803<UP,BROADCAST,SIMPLEX,MULTICAST>") { break }
            usleep(20_000)
        }
        XCTAssertTrue(flags.hasPrefix("virt0: flags=0x8803<UP,BROADCAST,SIMPLEX,MULTICAST>"), flags)
        let stat = try String(contentsOfFile: "/proc/\(servers[0].pid)/stat", encoding: .utf8).split(separator: " ")
        let ticks1 = Int(stat[13])! + Int(stat[14])!
        usleep(300_000)
        let stat2 = try String(contentsOfFile: "/proc/\(servers[0].pid)/stat", encoding: .utf8).split(separator: " ")
        XCTAssertLessThan(Int(stat2[13])! + Int(stat2[14])! - ticks1, 10, "the dead descriptor is no longer polled")
        XCTAssertEqual(tool(["ifconfig", "virt0", "down"], server).status, 0)
        XCTAssertEqual(tool(["ifconfig", "virt0", "up"], server).status, 0)
        XCTAssertTrue(hostHasInterface(tap), "up opened the tap again")
        XCTAssertEqual(tool(["halt"], server).status, 0)
        let log = String(decoding: servers[0].remainingErrorOutput(), as: UTF8.self)
        XCTAssertTrue(log.contains("virt0: tap \(tap): read: File descriptor in bad state; link state DOWN"), log)
    }

    func testUpWithoutLinkstrOpensHostTunNAndHaltRemovesIt() throws {
        let server = try startServer("tun")
        let unit = 20000 + Int(pid) % 10000
        XCTAssertEqual(tool(["ifconfig", "virt\(unit)", "create"], server).status, 0)
        XCTAssertEqual(tool(["ifconfig", "virt\(unit)", "up"], server).status, 0)
        XCTAssertTrue(hostHasInterface("tun\(unit)"), "virtN is host tunN")
        XCTAssertTrue(tool(["ifconfig", "virt\(unit)"], server).stdout.contains("linkstr: tun\(unit)"))
        XCTAssertEqual(tool(["halt"], server).status, 0)
        XCTAssertNotNil(servers[0].wait(timeout: 10))
        XCTAssertFalse(hostHasInterface("tun\(unit)"), "the host interface goes with the kernel")
    }

    func testMissingTunDeviceIsAClearErrorAndTheServerGoesOn() throws {
        let missing = scratch.file("no-such-tun")
        let server = try startServer("notun", environment: ["RUMPNET_TUN_PATH": missing])
        XCTAssertEqual(tool(["ifconfig", "virt0", "create"], server).status, 0)
        let r = tool(["ifconfig", "virt0", "linkstr", "tdev\(pid)x"], server)
        XCTAssertEqual(r, ProcessResult(stdout: "", stderr: "ifconfig: SIOCSLINKSTR: No such file or directory\n", status: 1))
        let up = tool(["ifconfig", "virt0", "up"], server)
        XCTAssertEqual(up.status, 1)
        XCTAssertEqual(tool(["ifconfig", "-l"], server).stdout, "lo0 virt0\n", "the server still answers")
        XCTAssertEqual(tool(["halt"], server).status, 0)
        let log = String(decoding: servers[0].remainingErrorOutput(), as: UTF8.self)
        XCTAssertTrue(log.contains("virt0: cannot open \(missing): No such file or directory (no tun/tap driver on this host: modprobe tun)"), log)
    }

    func testWithoutPrivilegesTheErrorSaysATapNeedsRootOrCapNetAdmin() throws {
        chmod(scratch.path, 0o777)
        let server = try startServer("nobody", wrapper: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
        XCTAssertEqual(tool(["ifconfig", "virt0", "create"], server).status, 0)
        let r = tool(["ifconfig", "virt0", "linkstr", "tdev\(pid)n"], server)
        // EACCES when /dev/net/tun is root's only (open), EPERM when TUNSETIFF refuses.
        let why = r.stderr.contains("Permission denied") ? "Permission denied" : "Operation not permitted"
        XCTAssertEqual(r, ProcessResult(stdout: "", stderr: "ifconfig: SIOCSLINKSTR: \(why)\n", status: 1))
        XCTAssertFalse(hostHasInterface("tdev\(pid)n"))
        XCTAssertEqual(tool(["ifconfig", "-l"], server).stdout, "lo0 virt0\n", "the server still answers")
        XCTAssertEqual(tool(["halt"], server).status, 0)
        let log = String(decoding: servers[0].remainingErrorOutput(), as: UTF8.self)
        XCTAssertTrue(log.contains("virt0: tap tdev\(pid)n: \(why): a tap needs root or CAP_NET_ADMIN"), log)
    }

    func testAHostNameInUseIsRefusedWithItsReason() throws {
        let server = try startServer("busy")
        let tap = "tdev\(pid)b"
        for i in 0..<2 { XCTAssertEqual(tool(["ifconfig", "virt\(i)", "create"], server).status, 0) }
        XCTAssertEqual(tool(["ifconfig", "virt0", "linkstr", tap], server).status, 0)
        let r = tool(["ifconfig", "virt1", "linkstr", tap], server)
        XCTAssertEqual(r, ProcessResult(stdout: "", stderr: "ifconfig: SIOCSLINKSTR: Device busy\n", status: 1))
        // A name Linux refuses outright.
        let bad = tool(["ifconfig", "virt1", "linkstr", "no/slash"], server)
        XCTAssertEqual(bad.stderr, "ifconfig: SIOCSLINKSTR: Invalid argument\n")
        XCTAssertEqual(tool(["halt"], server).status, 0)
        let log = String(decoding: servers[0].remainingErrorOutput(), as: UTF8.self)
        XCTAssertTrue(log.contains("virt1: tap \(tap): Device or resource busy: name in use (another process holds that tap)"), log)
        XCTAssertTrue(log.contains("virt1: linkstr \"no/slash\": not a host interface name"), log)
    }

    func testTheFaultHookDropsWhatItSaysAndABadValueStopsTheServer() throws {
        let server = try startServer("fault", environment: ["RUMPNET_FAULT": "virt0:drop=100,seed=3"])
        let tap = "tdev\(pid)f"
        let ns = try TestNamespace("dev\(pid)-fault")
        namespaces.append(ns)
        XCTAssertEqual(tool(["ifconfig", "virt0", "create"], server).status, 0)
        XCTAssertEqual(tool(["ifconfig", "virt0", "linkstr", tap], server).status, 0)
        XCTAssertEqual(try TestSupport.run("/usr/sbin/ip", ["link", "set", tap, "netns", ns.name]).status, 0)
        _ = try ns.ip(["addr", "add", "10.9.1.2/24", "dev", tap])
        _ = try ns.ip(["link", "set", tap, "up"])
        XCTAssertEqual(tool(["ifconfig", "virt0", "inet", "10.9.1.1/24", "up"], server).status, 0)
        let ping = try ns.exec(["ping", "-c", "2", "-i", "0.2", "-W", "1", "10.9.1.1"])
        XCTAssertTrue(ping.stdout.contains("2 packets transmitted, 0 received"), ping.stdout)
        XCTAssertEqual(tool(["halt"], server).status, 0)
        let log = String(decoding: servers[0].remainingErrorOutput(), as: UTF8.self)
        XCTAssertTrue(log.contains("virt0: RUMPNET_FAULT: drop 100.0%, reorder 0.0%, seed 3"), log)

        var env = rumpEnvironment(server: nil)
        env["RUMPNET_FAULT"] = "virt0:drop=x"
        let bad = try TestSupport.run(executable("rump_server"), ["-s", "-lrumpnet", "-lrumpnet_net", "unix://" + scratch.file("bad.sock")],
                          environment: env, timeout: 10)
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "rump_server: RUMPNET_FAULT: \"virt0:drop=x\": drop=x: not a percentage (0...100)\n")
    }
}
