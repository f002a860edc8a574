import Foundation
import TestSupport
import Testing
@testable import RumpLab

@Suite struct WriterTests {
    /// The canonical file reads back as the same model, for every example and for YAML.
    @Test(arguments: ExampleTests.examples)
    func canonicalJSONRoundTrips(name: String) throws {
        let t = try #require(TopologyLoader.load(file: topologyFile(name)).topology)
        let text = TopologyWriter.json(t)
        let again = TopologyLoader.load(text: text)
        #expect(again.diagnostics.isEmpty, "\(again.diagnostics)")
        // Components are explicit in the canonical file (a linux node has none).
        var expected = t
        for i in expected.nodes.indices { expected.nodes[i].componentsGiven = expected.nodes[i].kind == .rump }
        #expect(again.topology == expected)
    }

    @Test func awkwardStringsAreEscaped() throws {
        let text = #"{"name": "x", "description": "tab\t quote\" back\\ nl\n ctl\u0001 é", "buses": {"b": {"path": "/tmp/a b\"c"}}, "nodes": {"n": {"sysctls": {"hostname": "h\"1"}, "interfaces": [{"bus": "b"}]}}}"#
        let t = try #require(TopologyLoader.load(text: text).topology)
        let again = try #require(TopologyLoader.load(text: TopologyWriter.json(t)).topology)
        #expect(again.description == t.description && again.buses == t.buses && again.nodes[0].hostname == "h\"1")
    }

    @Test func saveTopologyInTheStateDirectory() throws {
        let tmp = TemporaryDirectory()
        let state = try LabState(lab: "router", base: tmp.path)
        try state.create()
        let t = try #require(TopologyLoader.load(file: topologyFile("router.json")).topology)
        try state.saveTopology(t)
        let attrs = try FileManager.default.attributesOfItem(atPath: state.topologyFile)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        #expect(TopologyLoader.load(file: state.topologyFile).topology?.nodes.map(\.name) == ["client", "router", "server"])
        #expect(!FileManager.default.fileExists(atPath: state.topologyFile + ".tmp"))
    }
}
