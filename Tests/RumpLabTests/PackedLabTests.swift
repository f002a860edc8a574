import Foundation
import TestSupport
import Testing
@testable import RumpLab
#if canImport(Glibc)
import Glibc
#endif

/// Packed labs (docs/TOPOLOGY.md, "Placement"): nodes' kernels in rump_host processes.
@Suite(.serialized) struct PackedLabTests {
    let lab = executable("rumpnet-lab")
    let examples = repositoryRoot.appendingPathComponent("topologies")
    typealias Sandbox = LabRunnerTests.Sandbox

    /// A SIGKILLed host: `status` shows every one of its nodes dead (exit 1), and `down` leaves
    /// no process, socket, bus file or state directory behind.
    @Test func sigkilledHostShowsItsNodesDeadAndDownLeavesNothing() throws {
        let box = Sandbox()
        let file = examples.appendingPathComponent("line-10.json").path
        let up = try run(lab, ["up", "--placement", "packed", file], environment: box.env, timeout: 60)
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        #expect(up.stdout.components(separatedBy: ": pass").count - 1 == 4, "\(up.stdout)")
        let pids = box.leftovers
        #expect(pids.count == 1, "one rump_host for the 10 nodes: \(pids)")
        let status = try run(lab, ["status", "line-10"], environment: box.env)
        #expect(status.status == 0)
        #expect(status.stdout.components(separatedBy: " (_host-0) ").count - 1 == 10, "\(status.stdout)")
        let json = try run(lab, ["status", "--json", "line-10"], environment: box.env)
        #expect(json.stdout.components(separatedBy: "\"host\":\"_host-0\"").count - 1 == 10, "\(json.stdout)")
        // The isolation trade-off: one host's fault takes all its kernels.
        for p in pids { kill(p, SIGKILL) }
        let deadline = Date().addingTimeInterval(5)
        while !box.leftovers.isEmpty && Date() < deadline { usleep(5000) }
        let after = try run(lab, ["status", "line-10"], environment: box.env)
        #expect(after.status == 1)
        #expect(after.stdout.components(separatedBy: "dead: node r").count - 1 == 10, "\(after.stdout)")
        let state = box.dir.path + "/state/line-10"
        #expect(FileManager.default.fileExists(atPath: state + "/nodes/r1.sock"), "a SIGKILLed host leaves its sockets")
        let down = try run(lab, ["down", "line-10"], environment: box.env)
        #expect(down.status == 0, "\(down.stdout)\(down.stderr)")
        #expect(box.leftovers.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: state), "down left \(state)")
    }

    /// `halt` of one packed node (through exec): that node is dead, its host serves the rest.
    @Test func haltOfOnePackedNodeLeavesTheOthersRunning() throws {
        let box = Sandbox()
        let file = examples.appendingPathComponent("line-10.json").path
        #expect(try run(lab, ["up", "--placement", "packed", "--no-checks", file], environment: box.env, timeout: 60).status == 0)
        defer { _ = try? run(lab, ["down", "line-10"], environment: box.env) }
        #expect(try run(lab, ["exec", "r5", "--", "halt"], environment: box.env).status == 0)
        let sock = box.dir.path + "/state/line-10/nodes/r5.sock"
        let deadline = Date().addingTimeInterval(5)
        while FileManager.default.fileExists(atPath: sock) && Date() < deadline { usleep(5000) }
        let status = try run(lab, ["status", "line-10"], environment: box.env)
        #expect(status.status == 1)
        #expect(status.stdout.contains("dead: node r5 of lab line-10 is dead (its kernel halted; host _host-0"), "\(status.stdout)")
        #expect(status.stdout.components(separatedBy: " running ").count - 1 == 9, "\(status.stdout)")
        let p = try run(lab, ["exec", "r4", "--", "ping", "-c", "1", "10.0.2.1"], environment: box.env)
        #expect(p.stdout.contains("1 packets received"), "\(p.stdout)")
    }

    /// NetBSD's evaluation case: 255 routers in a line, packed; a ping from one end to the
    /// other crosses 254 hops (the ends' TTL is 255, so the reply arrives with TTL 2).
    @Test func line255PingEndToEnd() throws {
        let box = Sandbox()
        let out = box.dir.path + "/topologies"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let gen = try run("/usr/bin/env", ["python3", repositoryRoot.appendingPathComponent("scripts/gen-topologies.py").path, "--big", "--output", out])
        #expect(gen.status == 0, "\(gen.stderr)")
        let up = try run(lab, ["up", out + "/line-255.json"], environment: box.env, timeout: 120)
        defer { _ = try? run(lab, ["down", "line-255"], environment: box.env, timeout: 30) }
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        #expect(up.stdout.contains("check r1 -> r255 (10.1.254.2), expect success: 3/3 replies: pass"), "\(up.stdout)")
        #expect(up.stdout.contains("check r255 -> r1 (10.1.1.1), expect success: 3/3 replies: pass"), "\(up.stdout)")
        let p = try run(lab, ["exec", "r1", "--", "ping", "-c", "1", "10.1.254.2"], environment: box.env, timeout: 30)
        #expect(p.stdout.contains("64 bytes from 10.1.254.2: icmp_seq=0 ttl=2 "), "\(p.stdout)")
        // One hop short of the far end, the probe dies there.
        let short = try run(lab, ["exec", "r1", "--", "ping", "-c", "1", "-T", "253", "10.1.254.2"], environment: box.env, timeout: 30)
        #expect(short.stdout.contains("from 10.1.253.2: Time To Live exceeded"), "\(short.stdout)")
        let down = try run(lab, ["down", "line-255"], environment: box.env, timeout: 30)
        #expect(down.status == 0)
        #expect(box.leftovers.isEmpty)
    }
}
