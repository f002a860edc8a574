import Foundation
import TestSupport
import Testing
@testable import RumpLab

/// `rumpnet-lab up/status/check/exec/capture/down` as real processes on real kernel servers,
/// each test with its own state directory (RUMPNET_LAB_STATE), so nothing is shared and
/// every test checks that nothing is left behind.
@Suite(.serialized) struct LabRunnerTests {
    let lab = executable("rumpnet-lab")
    let examples = repositoryRoot.appendingPathComponent("topologies")

    final class Sandbox {
        let dir = TemporaryDirectory()
        var env: [String: String] { ProcessInfo.processInfo.environment.merging(["RUMPNET_LAB_STATE": dir.path + "/state"]) { $1 } }
        /// Whatever happens in a test, no kernel server of this sandbox survives it.
        deinit {
            for pid in Sandbox.serverPIDs(under: dir.path) { kill(pid, SIGKILL) }
        }
        static func serverPIDs(under path: String) -> [Int32] {
            let procs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return procs.compactMap(Int32.init).filter { pid in
                guard let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return false }
                if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                   let p = stat.lastIndex(of: ")"), stat[p...].dropFirst(2).first == "Z" { return false }
                return (cmd.contains("rump_server") || cmd.contains("rump_host")) && cmd.contains(path)
            }
        }
        var leftovers: [Int32] { Sandbox.serverPIDs(under: dir.path) }
    }

    func up(_ file: String, _ box: Sandbox) throws -> ProcessResult {
        try run(lab, ["up", examples.appendingPathComponent(file).path], environment: box.env, timeout: 60)
    }

    @Test(arguments: ["quickstart.json", "router.json", "line-10.json", "star-50.json"])
    func upCheckDownLeavesNothing(file: String) throws {
        let box = Sandbox()
        let t = try #require(TopologyLoader.load(file: examples.appendingPathComponent(file).path).topology)
        let r = try up(file, box)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("lab \(t.name) is up"))
        #expect(r.stdout.components(separatedBy: ": pass").count - 1 == t.checks.count, "\(r.stdout)")
        // Packed above LabRunner.packedAbove nodes: one rump_host for them all.
        #expect(box.leftovers.count == (t.nodes.count > LabRunner.packedAbove ? 1 : t.nodes.count))
        let status = try run(lab, ["status", t.name], environment: box.env)
        #expect(status.status == 0)
        #expect(status.stdout.components(separatedBy: " running ").count - 1 == t.nodes.count, "\(status.stdout)")
        let check = try run(lab, ["check"], environment: box.env)
        #expect(check.status == 0, "\(check.stdout)")
        let down = try run(lab, ["down", t.name], environment: box.env)
        #expect(down.status == 0 && down.stdout.contains("is down"))
        #expect(box.leftovers.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: box.dir.path + "/state/\(t.name)"))
    }

    @Test func execCaptureAndStatusJSON() throws {
        let box = Sandbox()
        #expect(try up("quickstart.json", box).status == 0)
        defer { _ = try? run(lab, ["down"], environment: box.env) }
        let e = try run(lab, ["exec", "a", "--", "sysctl", "kern.hostname"], environment: box.env)
        #expect(e.status == 0 && e.stdout == "kern.hostname = a\n")
        // Our ping, run against node a with exec, reaches node b.
        let p = try run(lab, ["exec", "a", "--", "ping", "-c", "2", "-i", "0.2", "10.0.0.2"], environment: box.env)
        #expect(p.status == 0, "\(p.stdout)\(p.stderr)")
        #expect(p.stdout.contains("2 packets transmitted, 2 packets received, 0.0% packet loss"), "\(p.stdout)")
        // A capture as a passive reader: the check's pings, filtered by libpcap, read by tcpdump.
        let pcap = box.dir.file("lan0.pcap")
        let capture = try Background(lab, ["capture", "lan0", "-w", pcap, "-c", "6", "icmp"], environment: box.env)
        usleep(200_000)
        #expect(try run(lab, ["check", "quickstart"], environment: box.env).status == 0)
        #expect(capture.wait(timeout: 10) == 0)
        let td = try run("/usr/bin/tcpdump", ["-n", "-r", pcap])
        let lines = td.stdout.split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines.filter { $0.contains("ICMP echo request") }.count == 3)
        #expect(lines.filter { $0.contains("ICMP echo reply") }.count == 3)
        // The rumpctrl-like shell: our utilities first on PATH, RUMP_SERVER set for node b.
        let shell = try run("/bin/sh", ["-c", "printf 'sysctl -n kern.hostname\\nrumpctrl_hascmd ping\\nexit\\n' | '\(lab)' shell b"],
                            environment: box.env)
        #expect(shell.stdout.contains("\nb\n") || shell.stdout.hasPrefix("b\n"), "\(shell.stdout)\(shell.stderr)")
        #expect(shell.stdout.contains("#t"), "\(shell.stdout)")
        let json = try run(lab, ["status", "--json"], environment: box.env)
        let parsed = try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any]
        #expect((parsed?["nodes"] as? [[String: Any]])?.count == 2)
    }

    @Test func twoLabsAtOnceAndAKilledNodeShowsDead() throws {
        let box = Sandbox()
        #expect(try up("quickstart.json", box).status == 0)
        #expect(try up("router.json", box).status == 0)
        // Bringing up a running lab again says so and changes nothing.
        let again = try up("quickstart.json", box)
        #expect(again.status == 1 && again.stderr.contains("already running"))
        #expect(try run(lab, ["status"], environment: box.env).stderr.contains("several labs are running"))
        let pidFile = box.dir.path + "/state/router/nodes/router.pid"
        let pid = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(pid, SIGKILL)
        usleep(100_000)
        let status = try run(lab, ["status", "router"], environment: box.env)
        #expect(status.status == 1)
        #expect(status.stdout.split(separator: "\n").contains { $0.hasPrefix("router ") && $0.contains(" dead") }, "\(status.stdout)")
        #expect(try run(lab, ["down", "router"], environment: box.env).status == 0)
        #expect(try run(lab, ["down", "quickstart"], environment: box.env).status == 0)
        #expect(box.leftovers.isEmpty)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: box.dir.path + "/state")) ?? [] == [])
    }

    @Test func keepCPUsAwakeStartsAndStopsWithTheLab() throws {
        let box = Sandbox()
        let r = try run(lab, ["up", "--keep-cpus-awake", examples.appendingPathComponent("quickstart.json").path], environment: box.env)
        #expect(r.status == 0, "\(r.stderr)")
        let pidFile = box.dir.path + "/state/quickstart/nodes/_keep-awake-0.pid"
        let pid = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, 0) == 0)
        #expect(try run(lab, ["status"], environment: box.env).status == 0)
        #expect(try run(lab, ["down"], environment: box.env).status == 0)
        usleep(100_000)
        #expect(!HostProcess.isAlive(pid))
        #expect(box.leftovers.isEmpty)
    }

    @Test func anInvalidTopologyStartsNothing() throws {
        let box = Sandbox()
        let file = box.dir.write("bad.json", #"{"name": "bad", "buses": {"lan0": {"kind": "shmif"}}, "nodes": {"a": {"interfaces": [{"bus": "lan9", "addresses": ["10.0.0.1/24"]}]}}}"#)
        let r = try run(lab, ["up", file], environment: box.env)
        #expect(r.status == 1)
        #expect(r.stderr.contains("nodes.a.interfaces[0].bus: unknown bus \"lan9\""))
        #expect(box.leftovers.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: box.dir.path + "/state/bad"))
    }

    @Test func failingCheckGivesStatusOneAndTheLabStaysUp() throws {
        let box = Sandbox()
        let file = box.dir.write("f.json", """
        {"name": "f", "buses": {"lan0": {"kind": "shmif"}},
         "nodes": {"a": {"interfaces": [{"bus": "lan0", "addresses": ["10.0.0.1/24"]}]},
                   "b": {"interfaces": [{"bus": "lan0", "addresses": ["10.0.0.2/24"]}]}},
         "checks": [{"from": "a", "ping": "10.0.0.3", "count": 1, "timeout": 1}]}
        """)
        let r = try run(lab, ["up", file], environment: box.env)
        #expect(r.status == 1)
        #expect(r.stdout.contains("0/1 replies: FAIL"))
        #expect(box.leftovers.count == 2)
        #expect(try run(lab, ["down", "f"], environment: box.env).status == 0)
        #expect(box.leftovers.isEmpty)
    }
}
