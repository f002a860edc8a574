import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Kernels joined by shmif buses, configured and exercised only through the real utilities.
final class LabTests: XCTestCase {
    static let shmifKernel = ["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet", "-lrumpnet_shmif"]

    func ok(_ s: Server, _ cmd: String, file: StaticString = #filePath, line: UInt = #line) {
        let r = s.run(cmd)
        XCTAssertEqual(r.status, 0, "\(cmd): \(r)", file: file, line: line)
    }

    /// Two kernels on one bus; the bus shows ARP and ICMP through shmif_dumpbus and tcpdump.
    func testPingBetweenTwoKernelsAndCapture() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let bus = lab.dir + "/bus"
        let k1 = try lab.start("k1", Self.shmifKernel), k2 = try lab.start("k2", Self.shmifKernel)
        for (k, n) in [(k1, 1), (k2, 2)] {
            ok(k, "ifconfig shmif0 create")
            ok(k, "ifconfig shmif0 linkstr \(bus)")
            ok(k, "ifconfig shmif0 inet 10.0.0.\(n)/24")
        }
        let r = k1.run("ping -c 3 10.0.0.2")
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(r.stdout.components(separatedBy: "bytes from 10.0.0.2: icmp_seq=").count - 1, 3, r.stdout)
        XCTAssertTrue(r.stdout.contains("3 packets transmitted, 3 packets received, 0.0% packet loss"), r.stdout)
        XCTAssertNotNil(r.stdout.range(of: "time=[0-9]+\\.[0-9]{3} ms", options: .regularExpression))

        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpdump") else { throw XCTSkip("tcpdump not installed") }
        let dump = runTool(["\(executable("shmif_dumpbus")) -p - \(bus) | /usr/bin/tcpdump -n -r -"], rumpServer: nil, timeout: 10, shell: true)
        XCTAssertTrue(dump.stdout.contains("ARP, Request who-has 10.0.0.2 tell 10.0.0.1"), dump.stdout)
        XCTAssertTrue(dump.stdout.contains("ARP, Reply 10.0.0.2 is-at"), dump.stdout)
        XCTAssertEqual(dump.stdout.components(separatedBy: "10.0.0.1 > 10.0.0.2: ICMP echo request").count - 1, 3, dump.stdout)
        XCTAssertEqual(dump.stdout.components(separatedBy: "10.0.0.2 > 10.0.0.1: ICMP echo reply").count - 1, 3, dump.stdout)
    }

    /// A — R — C on two buses, R forwarding, routes set with our route(8): pings both ways.
    func testForwardingThroughThreeKernels() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let ab = lab.dir + "/busAB", rc = lab.dir + "/busRC"
        let a = try lab.start("kA", Self.shmifKernel), r = try lab.start("kR", Self.shmifKernel), c = try lab.start("kC", Self.shmifKernel)
        ok(a, "ifconfig shmif0 create"); ok(a, "ifconfig shmif0 linkstr \(ab)"); ok(a, "ifconfig shmif0 inet 10.0.1.1/24 up")
        ok(r, "ifconfig shmif0 create"); ok(r, "ifconfig shmif0 linkstr \(ab)"); ok(r, "ifconfig shmif0 inet 10.0.1.254/24 up")
        ok(r, "ifconfig shmif1 create"); ok(r, "ifconfig shmif1 linkstr \(rc)"); ok(r, "ifconfig shmif1 inet 10.0.2.254/24 up")
        ok(c, "ifconfig shmif0 create"); ok(c, "ifconfig shmif0 linkstr \(rc)"); ok(c, "ifconfig shmif0 inet 10.0.2.1/24 up")
        XCTAssertEqual(r.run("sysctl -w net.inet.ip.forwarding=1").stdout, "net.inet.ip.forwarding: 0 -> 1\n")
        XCTAssertEqual(a.run("route add default 10.0.1.254").stdout, "add net default: gateway 10.0.1.254\n")
        XCTAssertEqual(c.run("route add -net 10.0.1.0/24 10.0.2.254").stdout, "add net 10.0.1.0: gateway 10.0.2.254\n")
        let there = a.run("ping -c 2 -i 0.2 10.0.2.1"), back = c.run("ping -c 2 -i 0.2 10.0.1.1")
        for p in [there, back] {
            XCTAssertEqual(p.status, 0, "\(p)")
            XCTAssertTrue(p.stdout.contains("2 packets received"), p.stdout)
            XCTAssertTrue(p.stdout.contains("ttl=254"), p.stdout)  // one hop: the router decremented it
        }
        // TTL 1 dies at the router, which says so.
        let ttl = a.run("ping -c 1 -T 1 -w 2 10.0.2.1")
        XCTAssertEqual(ttl.status, 2)
        XCTAssertTrue(ttl.stdout.contains("bytes from 10.0.1.254: Time To Live exceeded for icmp_seq=0"), ttl.stdout)
    }

    /// rump_server on tcp://127.0.0.1:PORT, ifconfig -a through RUMP_SERVER=tcp://….
    func testTCPServerURL() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        var server: Server?
        for _ in 0..<5 where server == nil {
            server = try? Server(["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet"], url: "tcp://127.0.0.1:\(UInt16.random(in: 20000...60000))")
        }
        let s = try XCTUnwrap(server)
        lab.add("tcp", s)
        let r = s.run("ifconfig -a")
        XCTAssertEqual(r, ProcessResult(stdout: "lo0: flags=0x8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 33624\n\tinet 127.0.0.1 netmask 0xff000000\n",
                                       stderr: "", status: 0))
        XCTAssertEqual(s.run("ping -c 1 127.0.0.1").status, 0)
    }

    /// NetBSD's messages and statuses for bad input, and the server keeps serving.
    func testBadInputKeepsServerServing() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let k = try lab.start("k", Self.shmifKernel)
        let cases: [(String, String, Int32)] = [
            ("ifconfig nosuch0", "ifconfig: SIOCGIFFLAGS nosuch0: Device not configured\n", 1),
            ("ifconfig nosuch0 up", "ifconfig: exec_matches: Device not configured\n", 1),
            ("ifconfig lo0 inet 10.0.0.1/33", "ifconfig: paddr_match: prefixlen_to_mask(2, 33): Invalid argument\n", 1),
            ("route add -net 10.9.0.0/24 999.1.1.1", "route: 999.1.1.1: bad value\n", 1),
            ("route get 10.99.0.1", "route: writing to routing socket: not in table\n", 1),
            ("arp -s 10.0.0.5 zz:zz", "arp: invalid link-level address 'zz:zz'\n", 0),
            ("ping -c 1 10.0.0.300", "ping: Cannot resolve \"10.0.0.300\" (Resolver Error 0 (no error))\n", 1),
            ("ping -c 1 -s 70000 127.0.0.1", "ping: packet size is too large\n", 1),
            ("netstat -p nosuchproto", "netstat: nosuchproto: unknown or uninstrumented protocol\n", 1),
        ]
        for (cmd, err, status) in cases {
            let r = k.run(cmd)
            XCTAssertEqual(r.stderr, err, cmd)
            XCTAssertEqual(r.status, status, cmd)
        }
        XCTAssertTrue(k.run("ifconfig shmif0 inet 10.0.0.300").stderr.hasPrefix("usage: ifconfig"))
        // Odd arguments never crash a utility (a signal would show as status > 128 or a trap).
        let odd = ["", "-", "--", "-z", "\u{1}", String(repeating: "x", count: 5000), "shmif99999999999999999999", "inet", "/",
                   "10.0.0.1/", "::", "0x", "-1", "mtu", "linkstr", "netmask", "-w"]
        for tool in ["ifconfig", "route", "arp", "netstat", "ping"] {
            for i in 0..<12 {
                let args = [tool] + (0..<(i % 4 + 1)).map { _ in odd.randomElement()! } + (tool == "ping" ? ["-c", "1", "-w", "1"] : [])
                let r = runTool(args, rumpServer: k.url, timeout: 10)
                XCTAssertTrue([0, 1, 2].contains(r.status), "\(args): \(r)")
            }
        }
        XCTAssertTrue(processAlive(k.pid))
        XCTAssertEqual(k.run("ifconfig lo0").status, 0)
    }

    /// SIGINT prints the statistics block, as NetBSD's ping does, and exits 0 after replies.
    func testPingSIGINTPrintsStatistics() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let k = try lab.start("k", ["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet"])
        let p = try startTool(["ping", "127.0.0.1"], rumpServer: k.url)
        usleep(1_300_000)
        kill(p.process.processIdentifier, SIGINT)
        let r = p.finish(timeout: 5)
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("64 bytes from 127.0.0.1: icmp_seq=1 ttl=255 time="), r.stdout)
        XCTAssertNotNil(r.stdout.range(of: "\n----127.0.0.1 PING Statistics----\n2 packets transmitted, 2 packets received, 0.0% packet loss\nround-trip min/avg/max/stddev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms\n$",
                                       options: .regularExpression), r.stdout)
        let q = try startTool(["ping", "-q", "10.9.9.9"], rumpServer: k.url)
        usleep(300_000)
        kill(q.process.processIdentifier, SIGINT)
        let rq = q.finish(timeout: 5)
        XCTAssertEqual(rq.status, 2, "\(rq)")
        XCTAssertTrue(rq.stdout.hasSuffix("100.0% packet loss\n"), rq.stdout)
    }

    /// Intervals below 1 ms work (the benchmark's `ping -c 1000 -i 0.001`), each reply timed.
    func testFastInterval() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let k = try lab.start("k", ["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet"])
        let start = Date()
        let r = k.run("ping -c 300 -i 0.001 127.0.0.1", timeout: 20)
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdout.components(separatedBy: " time=").count - 1, 300)
        XCTAssertTrue(r.stdout.contains("300 packets transmitted, 300 packets received, 0.0% packet loss"), r.stdout)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    /// netstat -s shows the kernel's counters through the statistics request.
    func testNetstatStatistics() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let k = try lab.start("k", ["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet"])
        XCTAssertEqual(k.run("ping -c 2 -i 0.1 127.0.0.1").status, 0)
        let s = k.run("netstat -s -p icmp")
        XCTAssertTrue(s.stdout.hasPrefix("icmp:\n"), s.stdout)
        XCTAssertTrue(s.stdout.contains("\tOutput histogram:\n\t\techoreply: 2\n\t\techo: 2\n"), s.stdout)
        XCTAssertTrue(s.stdout.contains("\tInput histogram:\n\t\techoreply: 2\n\t\techo: 2\n"), s.stdout)
        let ip = k.run("netstat -s -p ip")
        XCTAssertTrue(ip.stdout.contains("\t4 total packets received\n"), ip.stdout)
    }
}
