import TestSupport
import Testing
@testable import RumpLab

@Suite struct YAMLTests {
    static let quickstart = """
    # The quickstart lab, in YAML.
    name: quickstart
    buses:
      lan0: {kind: shmif}
    nodes:
      a:
        interfaces:
          - {name: shmif0, bus: lan0, addresses: [10.0.0.1/24]}
      b:
        sysctls: {forwarding: no, net.inet.ip.ttl: 32}
        interfaces:
          - name: shmif0
            bus: lan0
            addresses: [10.0.0.2/24]
            mtu: 1400
            up: true
    checks:
      - {from: a, ping: b}
    """

    @Test func yamlGivesTheSameModel() throws {
        let y = TopologyLoader.load(text: Self.quickstart, format: .yaml)
        #expect(y.diagnostics.isEmpty, "\(y.diagnostics)")
        let t = try #require(y.topology)
        #expect(t.name == "quickstart" && t.nodes.map(\.name) == ["a", "b"])
        #expect(t.nodes[1].interfaces[0].mtu == 1400)
        #expect(t.nodes[1].sysctls == [SysctlSetting(name: "kern.hostname", value: .string("b")),
                                       SysctlSetting(name: "net.inet.ip.forwarding", value: .int(0)),
                                       SysctlSetting(name: "net.inet.ip.ttl", value: .int(32))])
        #expect(t.checks.count == 1)
    }

    @Test func yamlMistakesHaveTheSamePaths() {
        let bad = Self.quickstart.replacingOccurrences(of: "bus: lan0, addresses", with: "bus: lan9, addresses")
            .replacingOccurrences(of: "mtu: 1400", with: "mtu: big")
        let load = TopologyLoader.load(text: bad, format: .yaml)
        #expect(load.errors.map(\.description) == [
            "nodes.a.interfaces[0].bus: unknown bus \"lan9\" (did you mean \"lan0\"?)",
            "nodes.b.interfaces[0].mtu: expected an integer, got string",
        ])
        let dup = TopologyLoader.load(text: "name: x\nnodes:\n  a: {}\n  a: {}\n", format: .yaml)
        #expect(dup.errors.map(\.description) == ["nodes.a: duplicate node name \"a\" (first at line 3)"])
    }

    @Test func yamlSyntaxErrorHasAPosition() {
        let load = TopologyLoader.load(text: "name: x\nnodes: {a: [}\n", format: .yaml)
        let d = load.errors.first
        #expect(load.errors.count == 1)
        #expect(d?.path == nil && d?.position?.line == 2, "\(load.diagnostics)")
        #expect(d?.formatted(file: "lab.yaml").hasPrefix("lab.yaml:2:") == true)
    }

    @Test func aliasBombIsRefused() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 { text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        let load = TopologyLoader.load(text: text, format: .yaml)
        #expect(load.errors.count == 1)
        #expect(load.errors.first?.message.contains("values") == true, "\(load.diagnostics)")
    }

    @Test func formatFollowsTheExtension() throws {
        #expect(TopologyLoader.Format(path: "lab.YML") == .yaml && TopologyLoader.Format(path: "x.yaml") == .yaml)
        #expect(TopologyLoader.Format(path: "lab.json") == .json && TopologyLoader.Format(path: "lab") == .json)
        let tmp = TemporaryDirectory()
        let r = try run(executable("rumpnet-lab"), ["validate", tmp.write("q.yaml", Self.quickstart)])
        #expect(r.status == 0, "\(r.stderr)")
        let g = try run(executable("rumpnet-lab"), ["graph", tmp.file("q.yaml")])
        #expect(g.stdout.contains("\"node:b\" -- \"bus:lan0\" [label=\"shmif0\\n10.0.0.2/24\"]"))
    }
}
