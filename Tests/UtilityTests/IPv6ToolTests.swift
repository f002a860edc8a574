import Foundation
import TestSupport
import XCTest

/// Two kernels with rumpnet_netinet6 on one bus, configured and exercised only through our
/// ifconfig, ping6, ndp, route and netstat.
final class IPv6ToolTests: XCTestCase {
    static let kernel = ["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet", "-lrumpnet_netinet6", "-lrumpnet_shmif"]

    func ok(_ s: Server, _ cmd: String, file: StaticString = #filePath, line: UInt = #line) {
        let r = s.run(cmd)
        XCTAssertEqual(r.status, 0, "\(cmd): \(r)", file: file, line: line)
    }

    /// The link-local address an interface shows (ifconfig IF inet6's %IF line).
    func linkLocal(_ s: Server) -> String? {
        let out = s.run("ifconfig shmif0 inet6").stdout
        guard let r = out.range(of: "inet6 fe80::[0-9a-f:]+%shmif0", options: .regularExpression) else { return nil }
        return String(out[r].dropFirst("inet6 ".count))
    }

    func testPing6GlobalAndLinkLocalBetweenTwoKernels() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let bus = lab.dir + "/bus"
        let k1 = try lab.start("k1", Self.kernel), k2 = try lab.start("k2", Self.kernel)
        for (k, n) in [(k1, 1), (k2, 2)] {
            ok(k, "ifconfig shmif0 create")
            ok(k, "ifconfig shmif0 linkstr \(bus)")
            ok(k, "ifconfig shmif0 inet6 fd00::\(n)/64")
            ok(k, "ifconfig shmif0 up")
        }
        // DAD (net.inet6.ip6.dad_count = 1): ifconfig -w waits until nothing is tentative.
        for k in [k1, k2] {
            ok(k, "ifconfig -w 10")
            XCTAssertFalse(k.run("ifconfig shmif0").stdout.contains("tentative"), k.run("ifconfig shmif0").stdout)
        }
        let global = k1.run("ping6 -c 3 -i 0.2 fd00::2")
        XCTAssertEqual(global.status, 0, "\(global)")
        XCTAssertTrue(global.stdout.hasPrefix("PING6(56=40+8+8 bytes) fd00::1 --> fd00::2\n"), global.stdout)
        XCTAssertEqual(global.stdout.components(separatedBy: "16 bytes from fd00::2, icmp_seq=").count - 1, 3, global.stdout)
        XCTAssertTrue(global.stdout.contains(" hlim=64 time="), global.stdout)
        XCTAssertTrue(global.stdout.contains("3 packets transmitted, 3 packets received, 0.0% packet loss"), global.stdout)
        XCTAssertNotNil(global.stdout.range(of: "round-trip min/avg/max/std-dev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms",
                                            options: .regularExpression), global.stdout)

        let ll2 = try XCTUnwrap(linkLocal(k2)), ll1 = try XCTUnwrap(linkLocal(k1))
        let local = k1.run("ping6 -c 2 -i 0.2 \(ll2)")
        XCTAssertEqual(local.status, 0, "\(local)")
        XCTAssertTrue(local.stdout.hasPrefix("PING6(56=40+8+8 bytes) \(ll1) --> \(ll2)\n"), local.stdout)
        XCTAssertEqual(local.stdout.components(separatedBy: "16 bytes from \(ll2), icmp_seq=").count - 1, 2, local.stdout)
        let back = k2.run("ping6 -c 2 -i 0.2 \(ll1)")
        XCTAssertEqual(back.status, 0, "\(back)")
        XCTAssertTrue(back.stdout.contains("2 packets received"), back.stdout)

        // What the pings taught k1's neighbor cache: k2's global and link-local addresses.
        let nd = k1.run("ndp -an")
        XCTAssertEqual(nd.status, 0, "\(nd)")
        XCTAssertTrue(nd.stdout.hasPrefix("Neighbor                             Linklayer Address  Netif Expire    S Flags\n"), nd.stdout)
        XCTAssertNotNil(nd.stdout.range(of: "\nfd00::2 +b2:a0(:[0-9a-f]{2}){4} shmif0 ", options: .regularExpression), nd.stdout)
        XCTAssertTrue(nd.stdout.contains("\n\(ll2) "), nd.stdout)
        // No route: ping6's source lookup fails as NetBSD's UDP connect does.
        let none = k1.run("ping6 -c 1 2001:db8::1")
        XCTAssertEqual(none.status, 1)
        XCTAssertEqual(none.stderr, "ping6: UDP connect: No route to host\n")
        // The counters saw it: echo requests out, replies in.
        let icmp6 = k1.run("netstat -s -p icmp6")
        XCTAssertTrue(icmp6.stdout.hasPrefix("icmp6:\n"), icmp6.stdout)
        XCTAssertNotNil(icmp6.stdout.range(of: "\tOutput packet histogram:\n(\t\t.*\n)*\t\techo: [0-9]+\n", options: .regularExpression), icmp6.stdout)
        XCTAssertNotNil(icmp6.stdout.range(of: "\tInput packet histogram:\n(\t\t.*\n)*\t\techo reply: [0-9]+\n", options: .regularExpression), icmp6.stdout)
    }

    /// route -inet6 through a gateway on the bus, route get's answer, and delete.
    func testInet6RoutesAndNdpDelete() throws {
        let lab = Lab()
        defer { lab.tearDown() }
        let bus = lab.dir + "/bus"
        let k1 = try lab.start("k1", Self.kernel), k2 = try lab.start("k2", Self.kernel)
        for (k, n) in [(k1, 1), (k2, 2)] {
            ok(k, "ifconfig shmif0 create"); ok(k, "ifconfig shmif0 linkstr \(bus)")
            ok(k, "ifconfig shmif0 inet6 fd00::\(n) prefixlen 64"); ok(k, "ifconfig shmif0 up"); ok(k, "ifconfig -w 10")
        }
        XCTAssertEqual(k1.run("route add -inet6 fd01::/64 fd00::2").stdout, "add net fd01::/64: gateway fd00::2\n")
        let get = k1.run("route -n get -inet6 fd01::5")
        XCTAssertEqual(get.stdout, """
               route to: fd01::5
            destination: fd01::
                   mask: ffff:ffff:ffff:ffff::
                gateway: fd00::2
             local addr: fd00::1
              interface: shmif0
                  flags: <UP,GATEWAY,DONE,STATIC>
             recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire
                   0         0         0         0         0         0         0         0 \n
            """, "\(get)")
        XCTAssertTrue(k1.run("netstat -rn -f inet6").stdout.contains("\nfd01::/64                               fd00::2                        UGS"))
        XCTAssertEqual(k1.run("route delete -inet6 fd01::/64").stdout, "delete net fd01::/64\n")
        XCTAssertFalse(k1.run("route -n show -inet6").stdout.contains("fd01::"))
        ok(k1, "ping6 -c 1 fd00::2")
        XCTAssertEqual(k1.run("ndp -d fd00::2").stdout, "fd00::2 (fd00::2) deleted\n")
        XCTAssertFalse(k1.run("ndp -an").stdout.contains("\nfd00::2 "))
        XCTAssertEqual(k1.run("ifconfig shmif0 inet6 fd00::zz/64").status, 1)
        ok(k1, "ifconfig shmif0 inet6 fd00::1 delete")
        XCTAssertFalse(k1.run("ifconfig shmif0").stdout.contains("fd00::1 "))
    }
}
