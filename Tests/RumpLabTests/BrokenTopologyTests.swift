import Foundation
import TestSupport
import Testing
@testable import RumpLab

/// A broken topology, the one message it must give, and why it is broken.
struct Broken: CustomTestStringConvertible, Sendable {
    var kind: String
    var text: String
    /// The JSON path of the message (nil for a syntax error, which has a position).
    var path: String?
    var fragment: String
    var testDescription: String { kind }
}

/// A small valid lab with a hole for each mistake.
func lab(name: String = #""t""#, buses: String = #""lan0": {}"#,
         a: String = #""interfaces": [{"name": "shmif0", "bus": "lan0", "addresses": ["10.0.0.1/24"]}]"#,
         b: String = #""interfaces": [{"name": "shmif0", "bus": "lan0", "addresses": ["10.0.0.2/24"]}]"#,
         checks: String = #"{"from": "a", "ping": "b"}"#, extra: String = "") -> String {
    """
    {
      "name": \(name),\(extra)
      "buses": { \(buses) },
      "nodes": {
        "a": { \(a) },
        "b": { \(b) }
      },
      "checks": [ \(checks) ]
    }
    """
}

func iface(_ fields: String) -> String { #""interfaces": [{"#  + fields + "}]" }

let brokenTopologies: [Broken] = [
    Broken(kind: "syntax error", text: "{\n  \"name\": \"t\",\n  \"nodes\": { \"a\": {} ,, }\n}", path: nil, fragment: "3:23: syntax error: unexpected ','"),
    Broken(kind: "unknown top-level field", text: lab(extra: #" "nodez": {},"#), path: "nodez", fragment: "unknown field \"nodez\" (did you mean \"nodes\"?)"),
    Broken(kind: "unknown nested field", text: lab(a: iface(#""bus": "lan0", "adresses": ["10.0.0.1/24"]"#)), path: "nodes.a.interfaces[0].adresses", fragment: "unknown field \"adresses\""),
    Broken(kind: "missing required field", text: lab(a: iface(#""name": "shmif0", "addresses": ["10.0.0.1/24"]"#)), path: "nodes.a.interfaces[0].bus", fragment: "missing required field"),
    Broken(kind: "missing lab name", text: #"{"nodes": {"a": {}}}"#, path: "name", fragment: "missing required field"),
    Broken(kind: "wrong type", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"], "mtu": "1500""#)), path: "nodes.a.interfaces[0].mtu", fragment: "expected an integer, got string"),
    Broken(kind: "unsafe lab name", text: lab(name: #""../../etc""#), path: "name", fragment: "unsafe lab name \"../../etc\""),
    Broken(kind: "unsafe node name", text: lab().replacingOccurrences(of: #""b": {"#, with: #""b/c": {"#).replacingOccurrences(of: #""ping": "b""#, with: #""ping": "10.0.0.2""#), path: #"nodes["b/c"]"#, fragment: "unsafe node name \"b/c\""),
    Broken(kind: "unsafe bus name", text: #"{"name": "t", "buses": {".hidden": {}}, "nodes": {"a": {}}}"#, path: #"buses[".hidden"]"#, fragment: "unsafe bus name"),
    Broken(kind: "duplicate node name", text: lab().replacingOccurrences(of: #""b": {"#, with: #""a": {"#).replacingOccurrences(of: #""ping": "b""#, with: #""ping": "10.0.0.1""#), path: "nodes.a", fragment: "duplicate node name \"a\" (first at line 5)"),
    Broken(kind: "duplicate field", text: lab(a: iface(#""bus": "lan0", "bus": "lan0", "addresses": ["10.0.0.1/24"]"#)), path: "nodes.a.interfaces[0].bus", fragment: "duplicate field \"bus\""),
    Broken(kind: "unknown bus", text: lab(a: iface(#""bus": "lan9", "addresses": ["10.0.0.1/24"]"#)), path: "nodes.a.interfaces[0].bus", fragment: "unknown bus \"lan9\""),
    Broken(kind: "unknown node in a check", text: lab(checks: #"{"from": "a", "ping": "c"}"#), path: "checks[0].ping", fragment: "unknown node \"c\""),
    Broken(kind: "unknown check source", text: lab(checks: #"{"from": "z", "ping": "b"}"#), path: "checks[0].from", fragment: "unknown node \"z\""),
    Broken(kind: "duplicate interface name", text: lab(a: #""interfaces": [{"name": "shmif0", "bus": "lan0", "addresses": ["10.0.0.1/24"]}, {"name": "shmif0", "bus": "lan0"}]"#), path: "nodes.a.interfaces[1].name", fragment: "duplicate interface name \"shmif0\" (also interfaces[0])"),
    Broken(kind: "bad interface name", text: lab(a: iface(#""name": "eth0", "bus": "lan0", "addresses": ["10.0.0.1/24"]"#)), path: "nodes.a.interfaces[0].name", fragment: "\"eth0\" is not a shmif interface name"),
    Broken(kind: "malformed address", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.256/24"]"#)), path: "nodes.a.interfaces[0].addresses[0]", fragment: "malformed address \"10.0.0.256/24\""),
    Broken(kind: "address without prefix", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.1"]"#)), path: "nodes.a.interfaces[0].addresses[0]", fragment: "has no prefix length"),
    Broken(kind: "bad prefix length", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.1/33"]"#)), path: "nodes.a.interfaces[0].addresses[0]", fragment: "bad prefix length \"33\""),
    Broken(kind: "network address on an interface", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.0/24"]"#)), path: "nodes.a.interfaces[0].addresses[0]", fragment: "is the network address of 10.0.0.0/24"),
    Broken(kind: "duplicate address", text: lab(b: iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"]"#), checks: ""), path: "nodes.b.interfaces[0].addresses[0]", fragment: "address 10.0.0.1 is already used by nodes.a.interfaces[0]"),
    Broken(kind: "gateway off-link", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"]"#) + #", "routes": [{"destination": "default", "gateway": "10.0.9.1"}]"#), path: "nodes.a.routes[0].gateway", fragment: "gateway 10.0.9.1 is not on any subnet of this node's interfaces (10.0.0.0/24)"),
    Broken(kind: "malformed route destination", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"]"#) + #", "routes": [{"destination": "10.1/16", "gateway": "10.0.0.2"}]"#), path: "nodes.a.routes[0].destination", fragment: "malformed route destination \"10.1/16\""),
    Broken(kind: "route destination with host bits", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"]"#) + #", "routes": [{"destination": "10.1.2.3/16", "gateway": "10.0.0.2"}]"#), path: "nodes.a.routes[0].destination", fragment: "has host bits set (the network is 10.1.0.0/16)"),
    Broken(kind: "mtu out of range", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"], "mtu": 9000"#)), path: "nodes.a.interfaces[0].mtu", fragment: "9000 is out of range for a shmif interface (68...1500)"),
    Broken(kind: "unknown component", text: lab(a: #""components": ["rumpnet", "rumpnet_net", "rumpnet_netinet", "rumpnet_shmif", "rumpnet_tcp"], "# + iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"]"#)), path: "nodes.a.components[4]", fragment: "unknown component \"rumpnet_tcp\""),
    Broken(kind: "missing component", text: lab(a: #""components": ["rumpnet", "rumpnet_net", "rumpnet_netinet"], "# + iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"]"#)), path: "nodes.a.components", fragment: "missing component \"rumpnet_shmif\" (for shmif interfaces)"),
    Broken(kind: "component dependency", text: lab(a: #""components": ["rumpnet", "rumpnet_netinet", "rumpnet_shmif"], "# + iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"]"#)), path: "nodes.a.components", fragment: "missing component \"rumpnet_net\" (for any networking)"),
    Broken(kind: "unknown sysctl", text: lab(a: #""sysctls": {"net.inet.ip.tll": 32}, "# + iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"]"#)), path: #"nodes.a.sysctls["net.inet.ip.tll"]"#, fragment: "unknown sysctl \"net.inet.ip.tll\" (did you mean \"net.inet.ip.ttl\"?)"),
    Broken(kind: "sysctl out of range", text: lab(a: #""sysctls": {"net.inet.ip.ttl": 0}, "# + iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"]"#)), path: #"nodes.a.sysctls["net.inet.ip.ttl"]"#, fragment: "0 is out of range for net.inet.ip.ttl (1...255)"),
    Broken(kind: "sysctl set twice", text: lab(a: #""sysctls": {"hostname": "x", "kern.hostname": "y"}, "# + iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"]"#)), path: #"nodes.a.sysctls["kern.hostname"]"#, fragment: "kern.hostname is set twice (also as \"hostname\")"),
    Broken(kind: "tap bus with a file", text: lab(buses: #""lan0": {"kind": "tap", "path": "/srv/lan0.bus"}"#,
                                               a: iface(#""name": "virt0", "bus": "lan0", "addresses": ["10.0.0.1/24"]"#),
                                               b: iface(#""name": "virt0", "bus": "lan0", "addresses": ["10.0.0.2/24"]"#)),
           path: "buses.lan0.path", fragment: "a tap bus has no bus file"),
    Broken(kind: "unknown bus kind", text: lab(buses: #""lan0": {"kind": "ethernet"}"#), path: "buses.lan0.kind", fragment: "unknown bus kind \"ethernet\""),
    Broken(kind: "relative bus path", text: lab(buses: #""lan0": {"path": "lan0.bus"}"#), path: "buses.lan0.path", fragment: "must be an absolute file path"),
    Broken(kind: "empty nodes", text: #"{"name": "t", "buses": {}, "nodes": {}}"#, path: "nodes", fragment: "a lab needs at least one node"),
    Broken(kind: "bad check expectation", text: lab(checks: #"{"from": "a", "ping": "b", "expect": "ok"}"#), path: "checks[0].expect", fragment: "expected \"success\" or \"failure\", got \"ok\""),
    Broken(kind: "top level not an object", text: "[1, 2]", path: "(top level)", fragment: "expected an object, got array"),
    Broken(kind: "unknown placement", text: lab(extra: #" "placement": "cluster","#), path: "placement", fragment: "unknown placement \"cluster\" (expected \"process\" or \"packed\")"),
    Broken(kind: "placement not a string", text: lab(extra: #" "placement": 2,"#), path: "placement", fragment: "expected a string, got"),
]

@Suite struct BrokenTopologyTests {
    @Test(arguments: brokenTopologies)
    func exactlyOneClearMessage(_ b: Broken) { Self.expectOneClearMessage(b) }

    /// The rule for every broken topology (LinuxTopologyTests has more): no model, one
    /// error, no warning, at the path, with the words.
    static func expectOneClearMessage(_ b: Broken) {
        let load = TopologyLoader.load(text: b.text)
        #expect(load.topology == nil)
        #expect(load.errors.count == 1, "\(b.kind): \(load.diagnostics)")
        #expect(load.warnings.isEmpty, "\(b.kind): \(load.diagnostics)")
        guard let d = load.errors.first else { return }
        let line = d.formatted(file: "lab.json")
        if let path = b.path {
            #expect(d.path?.description == path, "\(b.kind): \(line)")
            #expect(line.hasPrefix("lab.json: \(path): "), "\(b.kind): \(line)")
        } else {
            #expect(d.path == nil && d.position != nil, "\(b.kind): \(line)")
        }
        #expect(line.contains(b.fragment), "\(b.kind): \(line)")
    }

    @Test func atLeastFifteenDistinctKinds() {
        #expect(Set(brokenTopologies.map(\.kind)).count >= 15)
    }

    /// The real executable: one line on standard error, `FILE: PATH: message`, exit 1,
    /// and nothing started (no state directory is created).
    @Test func validateExitsOneWithTheMessage() throws {
        let tmp = TemporaryDirectory()
        for (i, b) in brokenTopologies.enumerated() {
            let file = tmp.write("broken-\(i).json", b.text)
            let r = try run(executable("rumpnet-lab"), ["validate", file])
            #expect(r.status == 1, "\(b.kind): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(b.kind): \(r.stderr)")
            let prefix = b.path.map { "\(file): \($0): " } ?? "\(file):"
            #expect(lines.first?.hasPrefix(prefix) == true && r.stderr.contains(b.fragment), "\(b.kind): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).count == brokenTopologies.count)
    }

    /// The schema rejects the mistakes it can express (shapes, names, ranges), so an
    /// editor flags them too; python3-jsonschema checks it as a real process.
    @Test func schemaRejectsWhatItCanExpress() throws {
        guard let python = which("python3"), try run(python, ["-c", "import jsonschema"]).status == 0 else { return }
        let kinds = ["unknown top-level field", "unknown nested field", "missing required field", "missing lab name",
                     "wrong type", "unsafe lab name", "unsafe node name", "unsafe bus name", "bad interface name",
                     "malformed address", "address without prefix", "bad prefix length", "malformed route destination",
                     "mtu out of range", "unknown component", "unknown sysctl", "sysctl out of range", "tap bus with a file",
                     "unknown bus kind", "relative bus path", "empty nodes", "bad check expectation", "top level not an object"]
        let tmp = TemporaryDirectory()
        var files: [String] = []
        for k in kinds {
            let b = try #require(brokenTopologies.first { $0.kind == k }, "\(k)")
            files.append(tmp.write("\(files.count).json", b.text))
        }
        let script = """
        import json, sys, jsonschema
        v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
        for f in sys.argv[2:]:
            print("rejected" if any(True for _ in v.iter_errors(json.load(open(f)))) else "accepted")
        """
        let r = try run(python, ["-c", script, topologyFile("schema.json")] + files)
        let verdicts = r.stdout.split(separator: "\n").map(String.init)
        #expect(verdicts.count == kinds.count, "\(r.stderr)")
        for (k, v) in zip(kinds, verdicts) { #expect(v == "rejected", "\(k)") }
    }

    @Test func manyMistakesAreAllReported() {
        let text = lab(name: #""bad name""#, a: iface(#""name": "eth0", "bus": "lan9", "mtu": 10"#),
                       checks: #"{"from": "zz", "ping": "b"}"#)
        let load = TopologyLoader.load(text: text)
        #expect(load.errors.map { $0.path?.description ?? "" } == ["name", "nodes.a.interfaces[0].bus", "nodes.a.interfaces[0].mtu", "checks[0].from"])
    }

    @Test func unusedBusIsAWarningOnly() throws {
        let text = lab(buses: #""lan0": {}, "spare": {}"#)
        let load = TopologyLoader.load(text: text)
        #expect(load.topology != nil)
        #expect(load.warnings.map(\.description) == ["buses.spare: warning: no interface uses this bus"])
        let tmp = TemporaryDirectory()
        let r = try run(executable("rumpnet-lab"), ["validate", tmp.write("warn.json", text)])
        #expect(r.status == 0)
        #expect(r.stderr.contains("buses.spare: warning: no interface uses this bus"))
    }

    @Test func unreadableFileIsOneError() throws {
        let r = try run(executable("rumpnet-lab"), ["validate", "/nonexistent/lab.json"])
        #expect(r.status == 1)
        #expect(r.stderr == "/nonexistent/lab.json: No such file or directory\n")
    }
}
