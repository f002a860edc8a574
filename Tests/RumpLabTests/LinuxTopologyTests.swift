import Foundation
import TestSupport
import Testing
@testable import RumpLab

/// Tap buses, host taps and linux nodes in topology files: defaults, names the lab derives,
/// and one message with its JSON path for each mistake.
@Suite struct LinuxTopologyTests {
    static let tapLab = #"""
    {
      "name": "t",
      "buses": { "br0": { "kind": "tap" }, "lan0": { "host": { "tap": "lxh0", "addresses": ["10.0.1.254/24"] } } },
      "nodes": {
        "r": { "interfaces": [ { "bus": "br0", "addresses": ["10.0.0.1/24"] }, { "bus": "lan0", "addresses": ["10.0.1.1/24"] } ] },
        "h": { "kind": "linux", "interfaces": [ { "bus": "br0", "addresses": ["10.0.0.2/24"] }, { "bus": "lan0", "addresses": ["10.0.1.2/24"] } ],
               "routes": [ { "destination": "default", "gateway": "10.0.0.1" } ] },
        "a-node-with-a-long-name": { "interfaces": [ { "bus": "br0", "addresses": ["10.0.0.3/24"] } ] }
      },
      "checks": [ { "from": "h", "ping": "r" } ]
    }
    """#

    @Test func defaultsAndDerivedNames() throws {
        let load = TopologyLoader.load(text: Self.tapLab)
        #expect(load.diagnostics.isEmpty, "\(load.diagnostics)")
        let t = try #require(load.topology)
        let r = try #require(t.node(named: "r")), h = try #require(t.node(named: "h"))
        #expect(r.kind == .rump && h.kind == .linux)
        #expect(r.interfaces.map(\.name) == ["virt0", "shmif1"])
        #expect(h.interfaces.map(\.name) == ["eth0", "eth1"])
        #expect(r.components == [.rumpnet, .rumpnet_net, .rumpnet_netinet, .rumpnet_shmif, .rumpnet_virtif])
        #expect(h.components.isEmpty && h.sysctls.isEmpty)
        let hostAddress = try IPv4Prefix.parse("10.0.1.254/24").get()
        #expect(t.bus(named: "lan0")?.host == HostAttachment(tap: "lxh0", addresses: [hostAddress], mtu: 1500))
        let state = try LabState(lab: "t", base: "/run/x")
        let n = LabNetwork(state: state, topology: t)
        #expect(n.labNamespace == "rumpnet-lab:t" && n.namespace(of: "h") == "rumpnet-lab:t:h")
        #expect(n.bridge(of: t.bus(named: "br0")!) == "br-br0")
        // Too long for IFNAMSIZ: the node's position instead of its name, '_' first (no safe name has it).
        #expect(n.ports(of: t.bus(named: "br0")!) == ["r.virt0", "h.eth0", "_2.virt0"])
        #expect(n.needsLabNamespace && n.needsLinux)
        #expect(n.startsInLabNamespace(r) && !n.startsInLabNamespace(h))
        // The canonical file keeps kinds and the host tap, and reads back the same.
        let again = try #require(TopologyLoader.load(text: TopologyWriter.json(t)).topology)
        #expect(again.buses == t.buses && again.nodes.map(\.kind) == t.nodes.map(\.kind))
    }

    /// The mixed example in docs/TOPOLOGY.md ("Tap buses and linux nodes") is valid.
    @Test func theDocumentedExampleValidates() throws {
        let doc = try String(contentsOfFile: repositoryRoot.appendingPathComponent("docs/TOPOLOGY.md").path, encoding: .utf8)
        let blocks = doc.components(separatedBy: "```json\n").dropFirst().map { $0.components(separatedBy: "\n```")[0] }
        let mixed = try #require(blocks.first { $0.contains("\"name\": \"mixed\"") })
        let load = TopologyLoader.load(text: mixed)
        #expect(load.diagnostics.isEmpty, "\(load.diagnostics)")
        let t = try #require(load.topology)
        #expect(t.buses.map(\.kind) == [.tap, .shmif] && t.node(named: "lx")?.kind == .linux && t.bus(named: "lan0")?.host?.tap == "rlhost0")
    }

    @Test func aShmifOnlyLabNeedsNoLinux() throws {
        let t = try #require(TopologyLoader.load(file: topologyFile("quickstart.json")).topology)
        let n = LabNetwork(state: try LabState(lab: t.name, base: "/run/x"), topology: t)
        #expect(!n.needsLinux && !n.needsLabNamespace)
    }

    static let broken: [Broken] = [
        Broken(kind: "host tap name too long", text: lab(buses: #""lan0": {"host": {"tap": "a-very-long-tap-name"}}"#),
               path: "buses.lan0.host.tap", fragment: "bad tap name \"a-very-long-tap-name\": a Linux interface name has 1 to 15 bytes"),
        Broken(kind: "host tap without a name", text: lab(buses: #""lan0": {"host": {"addresses": ["10.0.0.9/24"]}}"#),
               path: "buses.lan0.host.tap", fragment: "missing required field"),
        Broken(kind: "unknown host field", text: lab(buses: #""lan0": {"host": {"tap": "x0", "adresses": []}}"#),
               path: "buses.lan0.host.adresses", fragment: "unknown field \"adresses\" (did you mean \"addresses\"?)"),
        Broken(kind: "host tap address taken", text: lab(buses: #""lan0": {"host": {"tap": "x0", "addresses": ["10.0.0.2/24"]}}"#),
               path: "nodes.b.interfaces[0].addresses[0]", fragment: "address 10.0.0.2 is already used by buses.lan0.host"),
        Broken(kind: "one host tap for two buses", text: lab(buses: #""lan0": {"host": {"tap": "x0"}}, "lan1": {"host": {"tap": "x0"}}"#,
                                                           b: iface(#""bus": "lan1", "addresses": ["10.0.0.2/24"]"#)),
               path: "buses.lan1.host.tap", fragment: "host tap \"x0\" is also the host tap of bus lan0"),
        Broken(kind: "unknown node kind", text: lab(a: #""kind": "vm", "# + iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"]"#)),
               path: "nodes.a.kind", fragment: "unknown node kind \"vm\" (expected \"rump\" or \"linux\")"),
        Broken(kind: "components on a linux node", text: lab(a: #""kind": "linux", "components": ["rumpnet"], "# + iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"]"#)),
               path: "nodes.a.components", fragment: "a node of kind \"linux\" has no components"),
        Broken(kind: "sysctls on a linux node", text: lab(a: #""kind": "linux", "sysctls": {"forwarding": true}, "# + iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"]"#)),
               path: "nodes.a.sysctls", fragment: "a node of kind \"linux\" has no sysctls"),
        Broken(kind: "bad linux interface name", text: lab(a: #""kind": "linux", "# + iface(#""name": "eth/0", "bus": "lan0", "addresses": ["10.0.0.1/24"]"#)),
               path: "nodes.a.interfaces[0].name", fragment: "bad interface name \"eth/0\" for a linux node: use letters, digits, '_', '.', '-'"),
        Broken(kind: "loopback name on a linux node", text: lab(a: #""kind": "linux", "# + iface(#""name": "lo", "bus": "lan0", "addresses": ["10.0.0.1/24"]"#)),
               path: "nodes.a.interfaces[0].name", fragment: "\"lo\" is the namespace's own loopback"),
        Broken(kind: "shmif name on a tap bus", text: lab(buses: #""lan0": {"kind": "tap"}"#, a: iface(#""name": "shmif0", "bus": "lan0", "addresses": ["10.0.0.1/24"]"#),
                                                        b: iface(#""bus": "lan0", "addresses": ["10.0.0.2/24"]"#)),
               path: "nodes.a.interfaces[0].name", fragment: "\"shmif0\" is not a tap interface name (expected virt0, virt1, ...)"),
        Broken(kind: "virtif component missing", text: lab(buses: #""lan0": {"kind": "tap"}"#,
                                                         a: #""components": ["rumpnet", "rumpnet_net", "rumpnet_netinet"], "# + iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"]"#),
                                                         b: iface(#""bus": "lan0", "addresses": ["10.0.0.2/24"]"#)),
               path: "nodes.a.components", fragment: "missing component \"rumpnet_virtif\" (for virt interfaces on tap buses)"),
    ]

    @Test(arguments: broken)
    func exactlyOneClearMessage(_ b: Broken) { BrokenTopologyTests.expectOneClearMessage(b) }

    /// The schema rejects the shapes it can express: kinds, names, fields a kind does not have.
    @Test func schemaRejectsTheSameShapes() throws {
        guard let python = which("python3"), try run(python, ["-c", "import jsonschema"]).status == 0 else { return }
        let kinds = ["host tap name too long", "host tap without a name", "unknown host field",
                     "unknown node kind", "components on a linux node", "sysctls on a linux node", "bad linux interface name"]
        let tmp = TemporaryDirectory()
        var files = [tmp.write("good.json", Self.tapLab)]
        for k in kinds { files.append(tmp.write("\(files.count).json", try #require(Self.broken.first { $0.kind == k }).text)) }
        let script = """
        import json, sys, jsonschema
        v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
        for f in sys.argv[2:]:
            print("rejected" if any(True for _ in v.iter_errors(json.load(open(f)))) else "accepted")
        """
        let r = try run(python, ["-c", script, topologyFile("schema.json")] + files)
        let verdicts = r.stdout.split(separator: "\n").map(String.init)
        #expect(verdicts == ["accepted"] + kinds.map { _ in "rejected" }, "\(kinds) \(r.stdout)\(r.stderr)")
    }
}
