import Foundation
import TestSupport
import Testing
@testable import RumpLab

/// The shipped examples: valid for our validator, for `rumpnet-lab validate` and for the
/// JSON Schema (through python3-jsonschema, a real process), with the documented defaults.
@Suite struct ExampleTests {
    static let examples = ["quickstart.json", "router.json", "line-10.json", "star-50.json", "host-tap.json", "linux-hosts.json", "tap-bus.json"]

    @Test(arguments: examples)
    func exampleValidates(name: String) throws {
        let load = TopologyLoader.load(file: topologyFile(name))
        #expect(load.diagnostics.isEmpty, "\(load.diagnostics.map { $0.formatted(file: name) })")
        let t = try #require(load.topology)
        #expect(t.name + ".json" == name)
        #expect(!t.checks.isEmpty)
        let r = try run(executable("rumpnet-lab"), ["validate", topologyFile(name)])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(": ok: lab \(t.name)"))
        #expect(r.stderr.isEmpty)
    }

    @Test func examplesHaveTheirShapes() throws {
        let quick = try #require(TopologyLoader.load(file: topologyFile("quickstart.json")).topology)
        #expect(quick.nodes.map(\.name) == ["a", "b"] && quick.buses.map(\.name) == ["lan0"])
        let router = try #require(TopologyLoader.load(file: topologyFile("router.json")).topology)
        #expect(router.nodes.count == 3 && router.buses.count == 2)
        #expect(router.nodes.filter(\.forwarding).map(\.name) == ["router"])
        let line = try #require(TopologyLoader.load(file: topologyFile("line-10.json")).topology)
        #expect(line.nodes.map(\.name) == (1...10).map { "r\($0)" })
        #expect(line.buses.count == 9)
        #expect(line.nodes.filter(\.forwarding).map(\.name) == (2...9).map { "r\($0)" })
        // Every router can forward towards every subnet: attached, routed, or default.
        for n in line.nodes {
            for b in line.buses {
                let net = line.networks(of: b.name)[0]
                let attached = n.interfaces.contains { $0.addresses.contains { $0.network == net } }
                #expect(attached || n.routes.contains { $0.isDefault || $0.destination == net }, "\(n.name) -> \(net)")
            }
        }
        let star = try #require(TopologyLoader.load(file: topologyFile("star-50.json")).topology)
        #expect(star.nodes.count == 50 && star.buses.count == 1)
        #expect(star.attachments(of: "lan0").count == 50)
    }

    @Test func defaultsAreFilledIn() throws {
        let t = try #require(TopologyLoader.load(file: topologyFile("quickstart.json")).topology)
        let a = t.nodes[0]
        #expect(a.hostname == "a" && !a.forwarding)
        #expect(a.sysctls == [SysctlSetting(name: "kern.hostname", value: .string("a"))])
        #expect(a.components == [.rumpnet, .rumpnet_net, .rumpnet_netinet, .rumpnet_shmif] && !a.componentsGiven)
        #expect(a.interfaces[0].mtu == 1500 && a.interfaces[0].up)
        #expect(t.buses[0].kind == .shmif && t.buses[0].path == nil)
        #expect(t.checks[0].expect == .success && t.checks[0].count == 3 && t.checks[0].timeout == 5)
        #expect(t.targetAddress(of: t.checks[0]) == IPv4Address("10.0.0.2"))
        let router = try #require(TopologyLoader.load(file: topologyFile("router.json")).topology)
        let r = router.nodes[1]
        #expect(r.hostname == "gw" && r.forwarding && r.componentsGiven)
        #expect(r.sysctls.map(\.name) == ["kern.hostname", "net.inet.ip.forwarding", "net.inet.ip.ttl"])
        // An interface without a name is named after its position.
        let unnamed = TopologyLoader.load(text: #"{"name": "x", "buses": {"b": {}}, "nodes": {"n": {"interfaces": [{"bus": "b"}, {"bus": "b"}]}}}"#)
        #expect(unnamed.topology?.nodes[0].interfaces.map(\.name) == ["shmif0", "shmif1"])
        #expect(unnamed.topology?.nodes[0].components == [.rumpnet, .rumpnet_net, .rumpnet_shmif])
    }

    /// The schema and the validator name the same components, sysctls and fields.
    @Test func schemaMatchesTheCatalog() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: topologyFile("schema.json")))
        let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let defs = try #require(schema["$defs"] as? [String: Any])
        func props(_ d: Any?) -> Set<String> { Set(((d as? [String: Any])?["properties"] as? [String: Any])?.keys.map { $0 } ?? []) }
        #expect(props(schema) == Set(Fields.top))
        #expect(props(defs["bus"]) == Set(Fields.bus))
        #expect(props(defs["node"]) == Set(Fields.node))
        #expect(props(defs["interface"]) == Set(Fields.interface))
        #expect(props(defs["route"]) == Set(Fields.route))
        #expect(props(defs["check"]) == Set(Fields.check))
        let node = try #require(defs["node"] as? [String: Any])
        let nodeProps = try #require(node["properties"] as? [String: Any])
        let comps = ((nodeProps["components"] as? [String: Any])?["items"] as? [String: Any])?["enum"] as? [String]
        #expect(comps == Component.allCases.map(\.rawValue))
        #expect(props(nodeProps["sysctls"]) == Set(SysctlDefinition.known.map(\.name) + SysctlDefinition.aliases.keys))
    }

    /// python3's jsonschema, when importable, checks the schema itself and every example.
    @Test func examplesMatchTheSchema() throws {
        guard let python = which("python3"), try run(python, ["-c", "import jsonschema"]).status == 0 else {
            print("python3 jsonschema not importable: schema test skipped")
            return
        }
        let script = """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft202012Validator.check_schema(schema)
        v = jsonschema.Draft202012Validator(schema)
        bad = 0
        for f in sys.argv[2:]:
            for e in v.iter_errors(json.load(open(f))):
                print(f, "/".join(map(str, e.absolute_path)), e.message); bad += 1
        print("checked", len(sys.argv) - 2)
        sys.exit(1 if bad else 0)
        """
        // The canonical files `up` will save (TopologyWriter) must match the schema too.
        let tmp = TemporaryDirectory()
        var files = Self.examples.map(topologyFile)
        for name in Self.examples {
            let t = try #require(TopologyLoader.load(file: topologyFile(name)).topology)
            files.append(tmp.write("canonical-" + name, TopologyWriter.json(t)))
        }
        let r = try run(python, ["-c", script, topologyFile("schema.json")] + files)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("checked \(files.count)"))
    }

    /// The generator script reproduces the committed large examples.
    @Test func generatedExamplesAreUpToDate() throws {
        guard let python = which("python3") else { return }
        let before = try [String](["line-10.json", "star-50.json"]).map { try String(contentsOfFile: topologyFile($0), encoding: .utf8) }
        let tmp = TemporaryDirectory()
        let script = repositoryRoot.appendingPathComponent("scripts/gen-topologies.py").path
        let r = try run(python, [script, "--output", tmp.path])
        #expect(r.status == 0, "\(r.stderr)")
        let after = try [String](["line-10.json", "star-50.json"]).map { try String(contentsOfFile: tmp.file($0), encoding: .utf8) }
        #expect(before == after)
    }
}
