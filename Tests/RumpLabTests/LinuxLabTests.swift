import Foundation
import TestSupport
import Testing
@testable import RumpLab

/// Linux in the lab, as root, with real namespaces, taps, bridges, tap-bridge processes,
/// kernels, Linux's ping and tcpdump. Each test's lab has a name of its own with "lx" in it;
/// its sandbox kills what the lab started and deletes the lab's namespaces whatever happens,
/// and each test asserts that `down` left no namespace, interface or process.
@Suite(.serialized) struct LinuxLabTests {
    let lab = executable("rumpnet-lab")
    static let ip = "/usr/sbin/ip"

    /// A state directory of its own, and cleanup that does not depend on the code under test.
    final class LinuxSandbox {
        let dir = TemporaryDirectory()
        let labName: String
        var env: [String: String] { ProcessInfo.processInfo.environment.merging(["RUMPNET_LAB_STATE": dir.path + "/state"]) { $1 } }
        init(_ labName: String) { self.labName = labName }

        deinit {
            for pid in processes { kill(pid, SIGKILL) }
            usleep(100_000)
            for ns in namespaces { _ = try? run(LinuxLabTests.ip, ["netns", "del", ns], timeout: 10) }
        }

        /// Live processes (kernels, tap-bridges) started with this sandbox's state directory.
        var processes: [Int32] {
            let procs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return procs.compactMap(Int32.init).filter { pid in
                guard let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return false }
                if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                   let p = stat.lastIndex(of: ")"), stat[p...].dropFirst(2).first == "Z" { return false }
                return cmd.contains(dir.path) && (cmd.contains("rump_server") || cmd.contains("tap-bridge"))
            }
        }

        /// The lab's namespaces in `ip netns list`.
        var namespaces: [String] {
            let out = (try? run(LinuxLabTests.ip, ["netns", "list"], timeout: 10))?.stdout ?? ""
            let mine = LabNetwork.labNamespace(labName)
            return out.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
                .filter { $0 == mine || $0.hasPrefix(mine + ":") }
        }

        func write(_ text: String) -> String { dir.write(labName + ".json", text) }
    }

    func rumpnetLab(_ args: [String], _ box: LinuxSandbox, timeout: TimeInterval = 60) throws -> ProcessResult {
        try run(lab, args, environment: box.env, timeout: timeout)
    }

    /// What `down` must leave: no namespace, no process, no interface named for the lab.
    func expectNothingLeft(_ box: LinuxSandbox, interfaces: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(box.namespaces.isEmpty, "\(box.namespaces)", sourceLocation: sourceLocation)
        #expect(box.processes.isEmpty, "\(box.processes)", sourceLocation: sourceLocation)
        let links = try run(Self.ip, ["-o", "link"], timeout: 10).stdout
        for i in interfaces { #expect(!links.contains(" \(i):") && !links.contains(" \(i)@"), "\(i) is left in \(links)", sourceLocation: sourceLocation) }
        #expect(!FileManager.default.fileExists(atPath: box.dir.path + "/state/" + box.labName), sourceLocation: sourceLocation)
    }

    static func linuxHosts(_ name: String) -> String {
        """
        {
          "name": "\(name)",
          "buses": { "lan0": {} },
          "nodes": {
            "rump": { "interfaces": [ { "bus": "lan0", "addresses": ["10.0.0.1/24"] } ] },
            "alice": { "kind": "linux", "interfaces": [ { "bus": "lan0", "addresses": ["10.0.0.2/24"] } ] },
            "bob": { "kind": "linux", "interfaces": [ { "bus": "lan0", "addresses": ["10.0.0.3/24"] } ],
                     "routes": [ { "destination": "10.0.9.0/24", "gateway": "10.0.0.1" } ] }
          },
          "checks": [
            { "from": "rump", "ping": "alice" }, { "from": "rump", "ping": "bob" },
            { "from": "alice", "ping": "rump" }, { "from": "alice", "ping": "bob" },
            { "from": "bob", "ping": "rump" }, { "from": "bob", "ping": "alice" },
            { "from": "alice", "ping": "10.0.0.9", "expect": "failure", "count": 1 }
          ]
        }
        """
    }

    /// Two linux nodes and a rump node on one shmif bus: every pair pings both ways (Linux's
    /// ping from the namespaces, ours from the kernel), ARP works both ways (the Linux
    /// neighbour table holds the kernel's MAC and the kernel's ARP table Linux's), and Linux's
    /// tcpdump on a node's tap sees the same frames as our capture of the bus.
    @Test func linuxNodesAndARumpNodeOnAShmifBus() throws {
        let box = LinuxSandbox("lxhosts")
        let file = box.write(Self.linuxHosts(box.labName))
        let up = try rumpnetLab(["up", file], box)
        defer { _ = try? rumpnetLab(["down", box.labName], box) }
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        #expect(up.stdout.components(separatedBy: ": pass").count - 1 == 7, "\(up.stdout)")
        #expect(up.stdout.contains("check alice -> 10.0.0.9, expect failure: 0/1 replies: pass"), "\(up.stdout)")
        #expect(Set(box.namespaces) == ["rumpnet-lab:lxhosts:alice", "rumpnet-lab:lxhosts:bob"])

        // ARP both ways: each side has learnt the other's real MAC.
        let ifconfig = try rumpnetLab(["exec", "rump", "--", "ifconfig", "shmif0"], box).stdout
        let rumpMAC = try #require(ifconfig.split(separator: "\n").first { $0.contains("address:") }?.split(separator: " ").last.map(String.init), "\(ifconfig)")
        let neigh = try rumpnetLab(["exec", "alice", "--", "ip", "neigh", "show", "10.0.0.1"], box)
        #expect(neigh.stdout.contains("lladdr \(rumpMAC)"), "\(neigh.stdout) vs \(rumpMAC)")
        let aliceMAC = try rumpnetLab(["exec", "alice", "--", "cat", "/sys/class/net/eth0/address"], box).stdout
        let arp = try rumpnetLab(["exec", "rump", "--", "arp", "-an"], box).stdout
        #expect(arp.contains("(10.0.0.2) at \(aliceMAC.trimmingCharacters(in: .whitespacesAndNewlines))"), "\(arp) vs \(aliceMAC)")
        // The route was set inside bob's namespace.
        #expect(try rumpnetLab(["exec", "bob", "--", "ip", "route"], box).stdout.contains("10.0.9.0/24 via 10.0.0.1 dev eth0"))

        // The same frames: tcpdump on alice's tap and our capture of the bus, while bob pings rump.
        let linuxPcap = box.dir.file("alice.pcap"), busPcap = box.dir.file("bus.pcap")
        let tcpdump = try Background(lab, ["exec", "alice", "--", "tcpdump", "-i", "eth0", "-U", "-w", linuxPcap, "-c", "4", "icmp and host 10.0.0.3"], environment: box.env)
        let capture = try Background(lab, ["capture", "lan0", "--lab", box.labName, "-w", busPcap, "-c", "4", "icmp and host 10.0.0.3"], environment: box.env)
        usleep(1_000_000)  // tcpdump and the capture attached
        let ping = try rumpnetLab(["exec", "bob", "--", "ping", "-c", "2", "-i", "0.2", "10.0.0.1"], box)
        #expect(ping.status == 0 && ping.stdout.contains("2 received"), "\(ping.stdout)\(ping.stderr)")
        #expect(tcpdump.wait(timeout: 10) == 0)
        #expect(capture.wait(timeout: 10) == 0)
        let seenByLinux = try run("/usr/bin/tcpdump", ["-n", "-e", "-t", "-r", linuxPcap]).stdout
        let seenOnBus = try run("/usr/bin/tcpdump", ["-n", "-e", "-t", "-r", busPcap]).stdout
        #expect(seenByLinux.split(separator: "\n").count == 4, "\(seenByLinux)")
        #expect(seenByLinux.components(separatedBy: "ICMP echo request").count - 1 == 2)
        #expect(seenByLinux == seenOnBus, "linux:\n\(seenByLinux)\nbus:\n\(seenOnBus)")

        let status = try rumpnetLab(["status", box.labName], box)
        #expect(status.status == 0, "\(status.stdout)")
        #expect(status.stdout.contains("netns rumpnet-lab:lxhosts:alice") && status.stdout.contains("eth0 10.0.0.2/24 (lan0)"), "\(status.stdout)")
        #expect(try rumpnetLab(["check", box.labName], box).status == 0)

        let down = try rumpnetLab(["down", box.labName], box)
        #expect(down.status == 0, "\(down.stderr)")
        try expectNothingLeft(box)
    }

    /// A tap bus: two rump kernels (virt0 on taps), a linux node and the host (veths) on a
    /// Linux bridge in the lab's own namespace. Every pair pings; `capture` of the bus sees each frame once,
    /// the same frames as Linux's tcpdump on a kernel's tap; the host's namespace never has
    /// the taps; `down` removes bridge, taps, veths and namespaces.
    @Test func tapBusNodesPingAcrossTheBridge() throws {
        let box = LinuxSandbox("lxtapbus")
        let file = box.write("""
        {
          "name": "lxtapbus",
          "buses": { "br0": { "kind": "tap", "host": { "tap": "lxtaphost0", "addresses": ["10.213.8.254/24"] } } },
          "nodes": {
            "r1": { "interfaces": [ { "bus": "br0", "addresses": ["10.213.8.1/24"] } ] },
            "r2": { "interfaces": [ { "bus": "br0", "addresses": ["10.213.8.2/24"] } ] },
            "lx": { "kind": "linux", "interfaces": [ { "bus": "br0", "addresses": ["10.213.8.3/24"] } ] }
          },
          "checks": [
            { "from": "r1", "ping": "r2" }, { "from": "r2", "ping": "r1" }, { "from": "r1", "ping": "lx" },
            { "from": "lx", "ping": "r1" }, { "from": "lx", "ping": "r2" }, { "from": "r2", "ping": "10.213.8.254" }
          ]
        }
        """)
        let up = try rumpnetLab(["up", file], box)
        defer { _ = try? rumpnetLab(["down", box.labName], box) }
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        #expect(up.stdout.components(separatedBy: ": pass").count - 1 == 6, "\(up.stdout)")
        let labNS = "rumpnet-lab:lxtapbus"
        #expect(Set(box.namespaces) == [labNS, labNS + ":lx"])
        let ports = try run(Self.ip, ["-n", labNS, "-o", "link", "show", "master", "br-br0"], timeout: 10).stdout
        for p in ["r1.virt0", "r2.virt0", "lx.eth0", "_h0"] { #expect(ports.contains(" \(p):") || ports.contains(" \(p)@"), "\(p) not on the bridge: \(ports)") }
        let hostLinks = try run(Self.ip, ["-o", "link"], timeout: 10).stdout
        #expect(!hostLinks.contains("r1.virt0") && !hostLinks.contains("br-br0"), "\(hostLinks)")

        // The host's own ping over its veth to the bridge.
        let hostPing = try run("/usr/bin/ping", ["-n", "-c", "2", "-i", "0.2", "-w", "5", "10.213.8.1"], timeout: 10)
        #expect(hostPing.status == 0 && hostPing.stdout.contains("2 received"), "\(hostPing.stdout)\(hostPing.stderr)")

        // Our capture of the bus and Linux's tcpdump on r2's tap, while r1 pings r2.
        let busPcap = box.dir.file("br0.pcap"), tapPcap = box.dir.file("r2.pcap")
        let capture = try Background(lab, ["capture", "br0", "--lab", box.labName, "-w", busPcap, "-c", "4", "icmp"], environment: box.env)
        let tcpdump = try Background(Self.ip, ["netns", "exec", labNS, "/usr/bin/tcpdump", "-i", "r2.virt0", "-U", "-w", tapPcap, "-c", "4", "icmp"])
        usleep(1_000_000)
        let ping = try rumpnetLab(["exec", "r1", "--", "ping", "-c", "2", "-i", "0.2", "10.213.8.2"], box)
        #expect(ping.status == 0 && ping.stdout.contains("2 packets received"), "\(ping.stdout)\(ping.stderr)")
        #expect(capture.wait(timeout: 10) == 0)
        #expect(tcpdump.wait(timeout: 10) == 0)
        let onBus = try run("/usr/bin/tcpdump", ["-n", "-e", "-t", "-r", busPcap]).stdout
        let onTap = try run("/usr/bin/tcpdump", ["-n", "-e", "-t", "-r", tapPcap]).stdout
        #expect(onBus.components(separatedBy: "10.213.8.1 > 10.213.8.2: ICMP echo request").count - 1 == 2, "\(onBus)")
        #expect(onBus.components(separatedBy: "10.213.8.2 > 10.213.8.1: ICMP echo reply").count - 1 == 2, "\(onBus)")
        #expect(onBus == onTap, "bus:\n\(onBus)\ntap:\n\(onTap)")

        let status = try rumpnetLab(["status", box.labName], box)
        #expect(status.status == 0, "\(status.stdout)")
        #expect(status.stdout.components(separatedBy: " running ").count - 1 == 3, "\(status.stdout)")
        let dump = try rumpnetLab(["dumpbus", "br0", "--lab", box.labName, "-p", box.dir.file("x.pcap")], box)
        #expect(dump.status == 1 && dump.stderr.contains("bus br0 of lab lxtapbus is a tap bus (a Linux bridge): it keeps no frames to read"), "\(dump.stderr)")
        let down = try rumpnetLab(["down", box.labName], box)
        #expect(down.status == 0, "\(down.stderr)")
        try expectNothingLeft(box, interfaces: ["r1.virt0", "r2.virt0", "lx.eth0", "br-br0", "lxtaphost0"])
    }

    /// The host joins a shmif bus through its own tap: the host's ping reaches a node and the
    /// node's reaches the host; the tap goes with `down`.
    @Test func hostTapOnAShmifBus() throws {
        let box = LinuxSandbox("lxhosttap")
        let file = box.write("""
        {
          "name": "lxhosttap",
          "buses": { "lan0": { "host": { "tap": "lxhost0", "addresses": ["10.213.9.254/24"] } } },
          "nodes": { "a": { "interfaces": [ { "bus": "lan0", "addresses": ["10.213.9.1/24"] } ] } },
          "checks": [ { "from": "a", "ping": "10.213.9.254" } ]
        }
        """)
        let up = try rumpnetLab(["up", file], box)
        defer { _ = try? rumpnetLab(["down", box.labName], box) }
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        #expect(up.stdout.contains("check a -> 10.213.9.254, expect success: 3/3 replies: pass"), "\(up.stdout)")
        let ping = try run("/usr/bin/ping", ["-n", "-c", "2", "-i", "0.2", "-w", "5", "10.213.9.1"], timeout: 10)
        #expect(ping.status == 0 && ping.stdout.contains("2 received"), "\(ping.stdout)\(ping.stderr)")
        #expect(try run(Self.ip, ["neigh", "show", "10.213.9.1", "dev", "lxhost0"], timeout: 10).stdout.contains("lladdr"))
        let status = try rumpnetLab(["status", box.labName], box)
        #expect(status.status == 0 && status.stdout.contains("host lxhost0 on lan0: 10.213.9.254/24"), "\(status.stdout)")
        // Its tap-bridge killed: the host tap is gone with it, and status says so.
        let bridge = try #require(box.processes.first { (try? String(contentsOfFile: "/proc/\($0)/cmdline", encoding: .utf8))?.contains("tap-bridge") == true })
        kill(bridge, SIGKILL)
        _ = waitGone(bridge)
        let broken = try rumpnetLab(["status", box.labName], box)
        #expect(broken.status == 1 && broken.stdout.contains("missing: host interface lxhost0 of bus lan0 is missing"), "\(broken.stdout)")
        let down = try rumpnetLab(["down", box.labName], box)
        #expect(down.status == 0, "\(down.stderr)")
        try expectNothingLeft(box, interfaces: ["lxhost0"])

        // A host tap named like an interface the host has (lo): refused by Linux, said
        // clearly, and the lab undone.
        let taken = box.write("""
        { "name": "lxhosttap", "buses": { "lan0": { "host": { "tap": "lo" } } },
          "nodes": { "a": { "interfaces": [ { "bus": "lan0", "addresses": ["10.213.9.1/24"] } ] } } }
        """)
        let refused = try rumpnetLab(["up", taken], box)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("tap lo: TUNSETIFF: Invalid argument (an interface of that name exists and is not a tap)"), "\(refused.stderr)")
        try expectNothingLeft(box)
    }

    /// A SIGKILLed `up` (nothing of it can clean up) leaves namespaces, tap-bridges and a
    /// kernel; `down` finds and removes all of them.
    @Test func downAfterAKilledUpLeavesNothing() throws {
        let box = LinuxSandbox("lxkill")
        let file = box.write(Self.linuxHosts(box.labName))
        let up = try Background(lab, ["up", file], environment: box.env)
        // Killed once the second linux node's namespace exists: kernels, a tap-bridge or two
        // and both namespaces are there, the lab not finished.
        var waited = 0
        while !box.namespaces.contains("rumpnet-lab:lxkill:bob") && waited < 3000 { usleep(5000); waited += 1 }
        up.kill9()
        #expect(!box.namespaces.isEmpty && !box.processes.isEmpty, "nothing to clean up: \(box.namespaces) \(box.processes)")
        // The state directory gone too (removed by hand): down finds the lab by its names.
        try FileManager.default.removeItem(atPath: box.dir.path + "/state/" + box.labName)
        let down = try rumpnetLab(["down", box.labName], box)
        #expect(down.status == 0, "\(down.stdout)\(down.stderr)")
        try expectNothingLeft(box)
    }

    /// SIGTERM to an `up` in the middle of making the linux nodes: it undoes its own work,
    /// namespaces and tap-bridges included, and says so.
    @Test func aTerminatedUpUndoesItsNamespaces() throws {
        let box = LinuxSandbox("lxterm")
        let file = box.write(Self.linuxHosts(box.labName))
        let up = try Background(lab, ["up", file], environment: box.env)
        var waited = 0
        while !box.namespaces.contains("rumpnet-lab:lxterm:alice") && waited < 3000 { usleep(2000); waited += 1 }
        kill(up.pid, SIGTERM)
        let r = up.finish(timeout: 30)
        #expect(r.status == 143, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("rumpnet-lab up: interrupted by signal 15; lab lxterm stopped and its state removed"), "\(r.stderr)")
        try expectNothingLeft(box)
    }

    /// Without /dev/net/tun (a mount namespace with an empty /dev/net) and without
    /// CAP_NET_ADMIN (dropped from the bounding set): a clear error, nothing made.
    @Test func missingTunOrPrivilegesIsAClearError() throws {
        let box = LinuxSandbox("lxnotun")
        let file = box.write(Self.linuxHosts(box.labName))
        let noTun = try run("/usr/bin/unshare", ["-m", "/bin/sh", "-c", "mount -t tmpfs none /dev/net && exec \"$0\" up \"$1\"", lab, file],
                            environment: box.env, timeout: 60)
        #expect(noTun.status == 1)
        #expect(noTun.stderr.contains("lab lxnotun needs Linux tap devices and network namespaces: /dev/net/tun: No such file or directory (no tun/tap driver"), "\(noTun.stderr)")
        try expectNothingLeft(box)

        let noCaps = try run("/usr/bin/setpriv", ["--bounding-set", "-net_admin,-sys_admin", "--inh-caps", "-net_admin,-sys_admin", lab, "up", file],
                             environment: box.env, timeout: 60)
        #expect(noCaps.status == 1)
        #expect(noCaps.stderr.contains("this process lacks CAP_NET_ADMIN and CAP_SYS_ADMIN (a tap needs root or CAP_NET_ADMIN"), "\(noCaps.stderr)")
        try expectNothingLeft(box)

        // The tap-bridge itself says the same when it cannot make its tap.
        let bus = box.dir.file("x.bus")
        #expect(FileManager.default.createFile(atPath: bus, contents: nil))
        let bridge = try run("/usr/bin/setpriv", ["--bounding-set", "-net_admin", "--inh-caps", "-net_admin", lab, "tap-bridge",
                                                  "--state", box.dir.path, "--bus", bus, "--tap", "lxnocap0"], timeout: 20)
        #expect(bridge.status == 1)
        #expect(bridge.stderr.contains("tap lxnocap0: TUNSETIFF: Operation not permitted (a tap needs root or CAP_NET_ADMIN)"), "\(bridge.stderr)")
        try expectNothingLeft(box, interfaces: ["lxnocap0"])
    }
}
