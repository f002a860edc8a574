import Foundation
import TestSupport
import Testing
@testable import RumpLab

/// Dual-stack labs as real processes: `up` of topologies/dual-stack.json with its checks in
/// both families, `status` and `status --json` with the inet6 addresses, our ping6 across the
/// router with `exec`, a router without IPv6 forwarding, DAD finding a duplicate on a bus two
/// labs share, and `down` leaving nothing.
@Suite(.serialized) struct DualStackLabTests {
    let lab = executable("rumpnet-lab")
    typealias Sandbox = LabRunnerTests.Sandbox

    @Test func dualStackLabComesUpAndForwardsBothFamilies() throws {
        let box = Sandbox()
        let file = topologyFile("dual-stack.json")
        let t = try #require(TopologyLoader.load(file: file).topology)
        let up = try run(lab, ["up", file], environment: box.env, timeout: 90)
        defer { _ = try? run(lab, ["down", "dual-stack"], environment: box.env) }
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        #expect((up.stdout + up.stderr).contains("IPv6 duplicate address detection done"), "\(up.stderr)")
        #expect(up.stdout.components(separatedBy: ": pass").count - 1 == t.checks.count, "\(up.stdout)")
        #expect(up.stdout.contains("check client -> server (ping6 fd00:2::2), expect success: 3/3 replies: pass"), "\(up.stdout)")
        #expect(up.stdout.contains("check client -> ping6 fd00:3::1, expect failure: 0/1 replies: pass"), "\(up.stdout)")

        // status shows both families, link-local addresses with their interface.
        let status = try run(lab, ["status", "dual-stack"], environment: box.env)
        #expect(status.status == 0, "\(status.stderr)")
        let serverLine = status.stdout.split(separator: "\n").first { $0.hasPrefix("server") } ?? ""
        #expect(serverLine.contains("10.0.2.2/24") && serverLine.contains("fd00:2::2/64"), "\(status.stdout)")
        #expect(serverLine.contains("%shmif0/64") && serverLine.contains("fe80::"), "\(status.stdout)")
        let json = try run(lab, ["status", "dual-stack", "--json"], environment: box.env)
        #expect(json.status == 0)
        #expect(json.stdout.contains("\"fd00:1::1/64\"") && json.stdout.contains("\"fd00:2::1/64\""), "\(json.stdout)")

        // Our ping6 through the router: two buses, hop limit one less than the sender's 64.
        let p = try run(lab, ["exec", "client", "--", "ping6", "-c", "2", "-i", "0.2", "fd00:2::2"], environment: box.env)
        #expect(p.status == 0, "\(p.stdout)\(p.stderr)")
        #expect(p.stdout.contains("from fd00:2::2") && p.stdout.contains("hlim=63"), "\(p.stdout)")
        #expect(p.stdout.contains("2 packets transmitted, 2 packets received, 0.0% packet loss"), "\(p.stdout)")
        // And the router's link-local address, as status printed it, on the client's link.
        let routerLine = status.stdout.split(separator: "\n").first { $0.hasPrefix("router") } ?? ""
        let linkLocal = routerLine.split(separator: " ").first { $0.hasPrefix("fe80::") && $0.contains("%shmif0/") }
            .map { String($0.split(separator: "/")[0]) }
        let ll = try #require(linkLocal, "\(routerLine)")
        let q = try run(lab, ["exec", "client", "--", "ping6", "-c", "1", ll], environment: box.env)
        #expect(q.status == 0 && q.stdout.contains("1 packets received"), "\(ll): \(q.stdout)\(q.stderr)")

        let check = try run(lab, ["check", "dual-stack"], environment: box.env)
        #expect(check.status == 0, "\(check.stdout)")
        let down = try run(lab, ["down", "dual-stack"], environment: box.env)
        #expect(down.status == 0 && down.stdout.contains("is down"))
        #expect(box.leftovers.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: box.dir.path + "/state/dual-stack"))
    }

    /// With net.inet.ip.forwarding only (full name: one family), the router forwards IPv4
    /// and drops IPv6, and the checks say so.
    @Test func routerWithoutIPv6ForwardingDropsIPv6() throws {
        let box = Sandbox()
        let text = try String(contentsOfFile: topologyFile("dual-stack.json"), encoding: .utf8)
            .replacingOccurrences(of: #""name": "dual-stack""#, with: #""name": "v4-only-router""#)
            .replacingOccurrences(of: #""sysctls": { "forwarding": true }"#, with: #""sysctls": { "net.inet.ip.forwarding": true }"#)
        let start = try #require(text.range(of: #""checks": ["#))
        let file = box.dir.write("v4-only-router.json", String(text[..<start.lowerBound]) + """
          "checks": [
            { "from": "client", "ping": "server" },
            { "from": "client", "ping6": "server", "expect": "failure", "count": 2 },
            { "from": "client", "ping6": "fd00:1::1" }
          ]
        }
        """)
        let t = try #require(TopologyLoader.load(file: file).topology)
        #expect(t.node(named: "router")?.forwarding == true && t.node(named: "router")?.forwarding6 == false)
        let up = try run(lab, ["up", file], environment: box.env, timeout: 90)
        defer { _ = try? run(lab, ["down", "v4-only-router"], environment: box.env) }
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        #expect(up.stdout.contains("check client -> server (ping6 fd00:2::2), expect failure: 0/2 replies: pass"), "\(up.stdout)")
        let sysctl = try run(lab, ["exec", "router", "--", "sysctl", "net.inet6.ip6.forwarding"], environment: box.env)
        #expect(sysctl.stdout == "net.inet6.ip6.forwarding = 0\n", "\(sysctl.stdout)\(sysctl.stderr)")
        #expect(try run(lab, ["down", "v4-only-router"], environment: box.env).status == 0)
        #expect(box.leftovers.isEmpty)
    }

    /// With three DAD probes a second apart, an address stays tentative for over 3 s: `up`
    /// waits that long, so its ping6 checks (which a tentative source address could not
    /// send) pass at once, and ifconfig shows no tentative address afterwards.
    @Test func upWaitsForDuplicateAddressDetection() throws {
        let box = Sandbox()
        let file = box.dir.write("dad.json", """
        { "name": "dad", "buses": { "lan0": {} },
          "nodes": {
            "a": { "sysctls": { "net.inet6.ip6.dad_count": 3 }, "interfaces": [ { "bus": "lan0", "addresses": ["fd00:7::1/64"] } ] },
            "b": { "sysctls": { "net.inet6.ip6.dad_count": 3 }, "interfaces": [ { "bus": "lan0", "addresses": ["fd00:7::2/64"] } ] } },
          "checks": [ { "from": "a", "ping6": "b", "count": 1, "timeout": 1 }, { "from": "b", "ping": "fd00:7::1", "count": 1, "timeout": 1 } ] }
        """)
        let t0 = Date()
        let up = try run(lab, ["up", file], environment: box.env, timeout: 60)
        defer { _ = try? run(lab, ["down", "dad"], environment: box.env) }
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        #expect(Date().timeIntervalSince(t0) > 3, "DAD with 3 probes 1 s apart cannot end sooner")
        #expect(up.stdout.components(separatedBy: ": pass").count - 1 == 2, "\(up.stdout)")
        let ifconfig = try run(lab, ["exec", "a", "--", "ifconfig", "shmif0"], environment: box.env)
        #expect(ifconfig.stdout.contains("inet6 fd00:7::1 prefixlen 64") && !ifconfig.stdout.contains("tentative"), "\(ifconfig.stdout)")
        #expect(try run(lab, ["down", "dad"], environment: box.env).status == 0)
        #expect(box.leftovers.isEmpty)
    }

    /// A linux node with IPv6 (Linux's own stack) and a rump router: Linux's ping to the rump
    /// node's IPv6 address and back, across the router by a route of each family, and the
    /// linux node's inet6 address in `status`.
    @Test func linuxNodeSpeaksIPv6WithRumpNodes() throws {
        let box = LinuxLabTests.LinuxSandbox("v6linux")
        let file = box.write("""
        { "name": "v6linux", "buses": { "lan0": {}, "lan1": {} },
          "nodes": {
            "r": { "sysctls": { "forwarding": true }, "interfaces": [
                     { "bus": "lan0", "addresses": ["10.8.0.1/24", "fd00:8::1/64"] },
                     { "bus": "lan1", "addresses": ["10.9.0.1/24", "fd00:9::1/64"] } ] },
            "s": { "interfaces": [ { "bus": "lan1", "addresses": ["10.9.0.2/24", "fd00:9::2/64"] } ],
                   "routes": [ { "destination": "default", "gateway": "fd00:9::1" } ] },
            "lx": { "kind": "linux", "interfaces": [ { "bus": "lan0", "addresses": ["10.8.0.2/24", "fd00:8::2/64"] } ],
                    "routes": [ { "destination": "fd00:9::/64", "gateway": "fd00:8::1" } ] } },
          "checks": [ { "from": "lx", "ping6": "r" }, { "from": "r", "ping6": "lx" }, { "from": "lx", "ping6": "s" },
                      { "from": "s", "ping6": "fd00:8::2" }, { "from": "lx", "ping": "r" } ] }
        """)
        let up = try run(lab, ["up", file], environment: box.env, timeout: 90)
        defer { _ = try? run(lab, ["down", "v6linux"], environment: box.env) }
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        #expect(up.stdout.components(separatedBy: ": pass").count - 1 == 5, "\(up.stdout)")
        let status = try run(lab, ["status", "v6linux"], environment: box.env)
        let lxLine = status.stdout.split(separator: "\n").first { $0.hasPrefix("lx") } ?? ""
        #expect(lxLine.contains("fd00:8::2/64") && lxLine.contains("10.8.0.2/24"), "\(status.stdout)")
        #expect(try run(lab, ["down", "v6linux"], environment: box.env).status == 0)
        #expect(box.namespaces.isEmpty && box.processes.isEmpty)
    }

    /// The host joins a shmif bus with an IPv6 address: the node's ping6 reaches the host,
    /// the host's own `ping -6` the node; status lists the host's inet6 address.
    @Test func hostTapWithIPv6() throws {
        let box = LinuxLabTests.LinuxSandbox("v6hosttap")
        let file = box.write("""
        { "name": "v6hosttap", "buses": { "lan0": { "host": { "tap": "v6host0", "addresses": ["10.213.8.254/24", "fd00:213:8::fe/64"] } } },
          "nodes": { "a": { "interfaces": [ { "bus": "lan0", "addresses": ["10.213.8.1/24", "fd00:213:8::1/64"] } ] } },
          "checks": [ { "from": "a", "ping6": "fd00:213:8::fe" } ] }
        """)
        let up = try run(lab, ["up", file], environment: box.env, timeout: 60)
        defer { _ = try? run(lab, ["down", "v6hosttap"], environment: box.env) }
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        #expect(up.stdout.contains("check a -> ping6 fd00:213:8::fe, expect success: 3/3 replies: pass"), "\(up.stdout)")
        let ping = try run("/usr/bin/ping", ["-6", "-n", "-c", "2", "-i", "0.2", "-w", "5", "fd00:213:8::1"], timeout: 10)
        #expect(ping.status == 0 && ping.stdout.contains("2 received"), "\(ping.stdout)\(ping.stderr)")
        let status = try run(lab, ["status", "v6hosttap"], environment: box.env)
        #expect(status.stdout.contains("host v6host0 on lan0: 10.213.8.254/24 fd00:213:8::fe/64"), "\(status.stdout)")
        #expect(try run(lab, ["down", "v6hosttap"], environment: box.env).status == 0)
        #expect(box.namespaces.isEmpty && box.processes.isEmpty)
        #expect(!(try run(LinuxLabTests.ip, ["-o", "link"], timeout: 10).stdout.contains(" v6host0:")))
    }

    /// Two labs on one bus file, the same IPv6 address in each: the second `up` stops when
    /// DAD finds the duplicate, naming the node, the interface and the address.
    @Test func duplicateAddressDetectionStopsUp() throws {
        let box = Sandbox()
        let bus = box.dir.file("shared.bus")
        func topology(_ name: String, node: String, v4: String) -> String {
            """
            { "name": "\(name)", "buses": { "shared": { "path": "\(bus)" } },
              "nodes": { "\(node)": { "interfaces": [ { "bus": "shared", "addresses": ["\(v4)", "fd00:5::1/64"] } ] } } }
            """
        }
        let first = box.dir.write("first.json", topology("first", node: "x", v4: "10.5.0.1/24"))
        let second = box.dir.write("second.json", topology("second", node: "y", v4: "10.5.0.2/24"))
        let up1 = try run(lab, ["up", first], environment: box.env, timeout: 60)
        defer { _ = try? run(lab, ["down", "first"], environment: box.env) }
        #expect(up1.status == 0, "\(up1.stdout)\(up1.stderr)")
        let up2 = try run(lab, ["up", second], environment: box.env, timeout: 60)
        defer { _ = try? run(lab, ["down", "second"], environment: box.env) }
        #expect(up2.status != 0)
        #expect(up2.stderr.contains("node y: shmif0: duplicate address fd00:5::1 detected by DAD"), "\(up2.stdout)\(up2.stderr)")
        _ = try run(lab, ["down", "second"], environment: box.env)
        #expect(try run(lab, ["down", "first"], environment: box.env).status == 0)
        #expect(box.leftovers.isEmpty)
    }
}
