import Foundation
import TestSupport
import Testing
@testable import RumpLab

@Suite struct GraphTests {
    func router() throws -> Topology { try #require(TopologyLoader.load(file: topologyFile("router.json")).topology) }

    /// Structure of the dot output: one box per bus, one ellipse per node, one labelled
    /// edge per interface, balanced braces and quotes (graphviz is not installed to parse it).
    @Test func dotForRouter() throws {
        let dot = TopologyGraph.dot(try router())
        let lines = dot.split(separator: "\n").map(String.init)
        #expect(lines.first == "graph \"router\" {" && lines.last == "}")
        #expect(lines.filter { $0.contains("shape=box") }.count == 2)
        #expect(lines.filter { $0.contains("shape=ellipse") }.count == 3)
        let edges = lines.filter { $0.contains(" -- ") }
        #expect(edges.count == 4)
        #expect(edges.contains("  \"node:router\" -- \"bus:lan2\" [label=\"shmif1\\n10.0.2.1/24\"];"))
        #expect(lines.contains("  \"bus:lan1\" [shape=box, style=filled, fillcolor=lightgrey, label=\"lan1\\n10.0.1.0/24\"];"))
        #expect(lines.contains("  \"node:router\" [shape=ellipse, label=\"router\\n(forwarding)\"];"))
        for l in lines.dropFirst().dropLast() {
            #expect(l.hasSuffix(";"), "\(l)")
            #expect(l.filter { $0 == "\"" }.count % 2 == 0, "\(l)")
        }
    }

    @Test func mermaidForRouter() throws {
        let m = TopologyGraph.mermaid(try router())
        let lines = m.split(separator: "\n").map(String.init)
        #expect(lines.first == "graph LR")
        #expect(lines.contains("  bus0[\"lan1<br/>10.0.1.0/24\"]"))
        #expect(lines.contains("  node1([\"router<br/>(forwarding)\"])"))
        #expect(lines.filter { $0.contains("---|") }.count == 4)
        #expect(lines.contains("  node2 ---|\"shmif0<br/>10.0.2.2/24\"| bus1"))
    }

    @Test func graphCommand() throws {
        let r = try run(executable("rumpnet-lab"), ["graph", topologyFile("router.json"), "--format", "mermaid"])
        #expect(r.status == 0)
        #expect(r.stdout == TopologyGraph.mermaid(try router()))
        let d = try run(executable("rumpnet-lab"), ["graph", topologyFile("line-10.json")])
        #expect(d.status == 0 && d.stdout.hasPrefix("graph \"line-10\" {"))
        #expect(d.stdout.components(separatedBy: " -- ").count - 1 == 18)
        let bad = try run(executable("rumpnet-lab"), ["graph", topologyFile("router.json"), "--format", "svg"])
        #expect(bad.status != 0 && bad.stdout.isEmpty)
    }
}

@Suite struct LabStateTests {
    @Test func baseDirectoryRules() {
        #expect(LabState.defaultBase(environment: [:], uid: 0) == "/run/rumpnet-lab")
        #expect(LabState.defaultBase(environment: ["XDG_RUNTIME_DIR": "/run/user/1000"], uid: 1000) == "/run/user/1000/rumpnet-lab")
        #expect(LabState.defaultBase(environment: ["XDG_RUNTIME_DIR": "relative"], uid: 1000) == "/tmp/rumpnet-lab-1000")
        #expect(LabState.defaultBase(environment: [:], uid: 1000) == "/tmp/rumpnet-lab-1000")
        #expect(LabState.defaultBase(environment: ["RUMPNET_LAB_STATE": "/x/y"], uid: 0) == "/x/y")
    }

    @Test func paths() throws {
        let s = try LabState(lab: "router", base: "/run/rumpnet-lab/")
        #expect(s.root == "/run/rumpnet-lab/router")
        #expect(s.topologyFile == "/run/rumpnet-lab/router/topology.json")
        #expect(s.busPath(named: "lan1") == "/run/rumpnet-lab/router/buses/lan1.bus")
        #expect(s.socketPath(node: "r1") == "/run/rumpnet-lab/router/nodes/r1.sock")
        #expect(s.pidPath(node: "r1") == "/run/rumpnet-lab/router/nodes/r1.pid")
        #expect(s.logPath(node: "r1") == "/run/rumpnet-lab/router/nodes/r1.log")
        #expect(s.rumpServer(node: "r1") == "unix:///run/rumpnet-lab/router/nodes/r1.sock")
        #expect(s.busPath(Bus(name: "x", kind: .shmif, path: "/srv/x.bus")) == "/srv/x.bus")
        #expect(throws: LabState.PathError.self) { try LabState(lab: "../etc") }
    }

    @Test func createMakesPrivateDirectories() throws {
        let tmp = TemporaryDirectory()
        let s = try LabState(lab: "quickstart", base: tmp.path + "/state")
        #expect(!s.exists)
        try s.create()
        try s.create()  // idempotent
        #expect(s.exists)
        for d in [s.root, s.busesDirectory, s.nodesDirectory] {
            let attrs = try FileManager.default.attributesOfItem(atPath: d)
            #expect((attrs[.posixPermissions] as? Int) == 0o700, "\(d)")
        }
        #expect(LabState.labs(base: tmp.path + "/state") == ["quickstart"])
        let t = try #require(TopologyLoader.load(file: topologyFile("quickstart.json")).topology)
        #expect(s.socketPathProblems(t).isEmpty)
        let deep = try LabState(lab: "quickstart", base: "/" + String(repeating: "d", count: 100))
        #expect(deep.socketPathProblems(t).count == 2)
    }
}
