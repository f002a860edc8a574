import Foundation
import TestSupport
import Testing
@testable import RumpLab

/// IPv6 in topology files: the mistakes, each with its one message at its JSON path, and what
/// a valid dual-stack file becomes (model, canonical file, graph).
let a6 = #""interfaces": [{"name": "shmif0", "bus": "lan0", "addresses": ["10.0.0.1/24", "fd00::1/64"]}]"#
let b6 = #""interfaces": [{"name": "shmif0", "bus": "lan0", "addresses": ["10.0.0.2/24", "fd00::2/64"]}]"#
func a6(routes: String) -> String { a6 + #", "routes": ["# + routes + "]" }

let brokenInet6Topologies: [Broken] = [
    Broken(kind: "malformed IPv6 address", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.1/24", "fd00::g/64"]"#)),
           path: "nodes.a.interfaces[0].addresses[1]", fragment: "malformed IPv6 address \"fd00::g/64\""),
    Broken(kind: "two double colons", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.1/24", "fd00::1::2/64"]"#)),
           path: "nodes.a.interfaces[0].addresses[1]", fragment: "malformed IPv6 address \"fd00::1::2/64\""),
    Broken(kind: "IPv6 prefix length over 128", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.1/24", "fd00::1/129"]"#)),
           path: "nodes.a.interfaces[0].addresses[1]", fragment: "bad prefix length \"129\" in \"fd00::1/129\" (expected 1...128)"),
    Broken(kind: "IPv6 address without prefix", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.1/24", "fd00::1"]"#)),
           path: "nodes.a.interfaces[0].addresses[1]", fragment: "address \"fd00::1\" has no prefix length (write it as fd00::1/64"),
    Broken(kind: "static link-local address", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.1/24", "fe80::1/64"]"#)),
           path: "nodes.a.interfaces[0].addresses[1]", fragment: "fe80::1 is a link-local address: NetBSD forms each interface's link-local address itself"),
    Broken(kind: "multicast IPv6 interface address", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.1/24", "ff02::1/64"]"#)),
           path: "nodes.a.interfaces[0].addresses[1]", fragment: "ff02::1 is not usable as an interface address"),
    Broken(kind: "subnet-router anycast address", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.1/24", "fd00::/64"]"#)),
           path: "nodes.a.interfaces[0].addresses[1]", fragment: "fd00:: is the subnet-router anycast address of fd00::/64"),
    Broken(kind: "IPv6 address with a zone", text: lab(a: iface(#""bus": "lan0", "addresses": ["10.0.0.1/24", "fd00::1%shmif0/64"]"#)),
           path: "nodes.a.interfaces[0].addresses[1]", fragment: "has a zone"),
    Broken(kind: "duplicate IPv6 address", text: lab(a: a6, b: iface(#""bus": "lan0", "addresses": ["10.0.0.2/24", "fd00::1/64"]"#), checks: ""),
           path: "nodes.b.interfaces[0].addresses[1]", fragment: "address fd00::1 is already used by nodes.a.interfaces[0]"),
    Broken(kind: "IPv6 gateway off every prefix", text: lab(a: a6(routes: #"{"destination": "default", "gateway": "fd00:9::1"}"#), b: b6),
           path: "nodes.a.routes[0].gateway", fragment: "gateway fd00:9::1 is not on any prefix of this node's interfaces (fd00::/64)"),
    Broken(kind: "IPv6 gateway is own address", text: lab(a: a6(routes: #"{"destination": "fd01::/64", "gateway": "fd00::1"}"#), b: b6),
           path: "nodes.a.routes[0].gateway", fragment: "gateway fd00::1 is this node's own address"),
    Broken(kind: "link-local gateway without interface", text: lab(a: a6(routes: #"{"destination": "default", "gateway": "fe80::1"}"#), b: b6),
           path: "nodes.a.routes[0].gateway", fragment: "link-local gateway fe80::1 needs its interface (write it as fe80::1%shmif0)"),
    Broken(kind: "link-local gateway on an unknown interface", text: lab(a: a6(routes: #"{"destination": "default", "gateway": "fe80::1%shmif3"}"#), b: b6),
           path: "nodes.a.routes[0].gateway", fragment: "gateway fe80::1%shmif3: this node has no interface shmif3 (it has shmif0)"),
    Broken(kind: "IPv6 destination, IPv4 gateway", text: lab(a: a6(routes: #"{"destination": "fd01::/64", "gateway": "10.0.0.2"}"#), b: b6),
           path: "nodes.a.routes[0].gateway", fragment: "gateway 10.0.0.2 is IPv4 but destination fd01::/64 is IPv6"),
    Broken(kind: "IPv4 destination, IPv6 gateway", text: lab(a: a6(routes: #"{"destination": "10.1.0.0/16", "gateway": "fd00::2"}"#), b: b6),
           path: "nodes.a.routes[0].gateway", fragment: "gateway fd00::2 is IPv6 but destination 10.1.0.0/16 is IPv4"),
    Broken(kind: "IPv6 route destination with host bits", text: lab(a: a6(routes: #"{"destination": "fd01::5/64", "gateway": "fd00::2"}"#), b: b6),
           path: "nodes.a.routes[0].destination", fragment: "has host bits set (the network is fd01::/64)"),
    Broken(kind: "IPv6 route prefix over 128", text: lab(a: a6(routes: #"{"destination": "fd01::/130", "gateway": "fd00::2"}"#), b: b6),
           path: "nodes.a.routes[0].destination", fragment: "bad prefix length \"130\""),
    Broken(kind: "duplicate IPv6 default route", text: lab(a: a6(routes: #"{"destination": "default", "gateway": "10.0.0.2"}, {"destination": "default", "gateway": "fd00::2"}, {"destination": "default", "gateway": "fd00::3"}"#), b: b6),
           path: "nodes.a.routes[2].destination", fragment: "duplicate route to default (IPv6) (also routes[1])"),
    Broken(kind: "ping6 a node without IPv6", text: lab(a: a6, checks: #"{"from": "a", "ping6": "b"}"#),
           path: "checks[0].ping6", fragment: "node \"b\" has no IPv6 address to ping6"),
    Broken(kind: "ping6 from a node without IPv6", text: lab(b: b6, checks: #"{"from": "a", "ping6": "b"}"#),
           path: "checks[0].from", fragment: "node \"a\" has no IPv6"),
    Broken(kind: "ping6 a link-local address without interface", text: lab(a: a6, b: b6, checks: #"{"from": "a", "ping6": "fe80::2"}"#),
           path: "checks[0].ping6", fragment: "link-local address fe80::2 needs the interface to ping6 it on (write it as fe80::2%shmif0)"),
    Broken(kind: "ping6 malformed", text: lab(a: a6, b: b6, checks: #"{"from": "a", "ping6": "fd00:::2"}"#),
           path: "checks[0].ping6", fragment: "malformed IPv6 address \"fd00:::2\""),
    Broken(kind: "ping and ping6 together", text: lab(a: a6, b: b6, checks: #"{"from": "a", "ping": "b", "ping6": "b"}"#),
           path: "checks[0].ping", fragment: "a check has \"ping\" or \"ping6\", not both"),
    Broken(kind: "netinet6 without netinet", text: lab(a: #""components": ["rumpnet", "rumpnet_net", "rumpnet_netinet6", "rumpnet_shmif"], "# + iface(#""bus": "lan0", "addresses": ["fd00::1/64"]"#), b: b6, checks: ""),
           path: "nodes.a.components", fragment: "missing component \"rumpnet_netinet\" (for IPv4 addresses, and needed by \"rumpnet_netinet6\")"),
    Broken(kind: "inet6 sysctl without netinet6", text: lab(a: #""components": ["rumpnet", "rumpnet_net", "rumpnet_netinet", "rumpnet_shmif"], "sysctls": {"net.inet6.ip6.forwarding": 1}, "# + iface(#""bus": "lan0", "addresses": ["10.0.0.1/24"]"#)),
           path: "nodes.a.components", fragment: "missing component \"rumpnet_netinet6\" (for IPv6 addresses, routes and sysctls)"),
]

@Suite struct Inet6TopologyTests {
    @Test(arguments: brokenInet6Topologies)
    func exactlyOneClearMessage(_ b: Broken) { BrokenTopologyTests.expectOneClearMessage(b) }

    /// The real executable says the same, one line, exit 1.
    @Test func validateReportsEachIPv6Mistake() throws {
        let tmp = TemporaryDirectory()
        for (i, b) in brokenInet6Topologies.enumerated() {
            let file = tmp.write("broken6-\(i).json", b.text)
            let r = try run(executable("rumpnet-lab"), ["validate", file])
            #expect(r.status == 1, "\(b.kind): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.hasPrefix("\(file): \(b.path!): ") && r.stderr.contains(b.fragment),
                    "\(b.kind): \(r.stderr)")
        }
    }

    @Test func dualStackExampleModel() throws {
        let load = TopologyLoader.load(file: topologyFile("dual-stack.json"))
        #expect(load.diagnostics.isEmpty, "\(load.diagnostics)")
        let t = try #require(load.topology)
        let client = try #require(t.node(named: "client")), router = try #require(t.node(named: "router"))
        #expect(client.interfaces[0].addresses.map(\.description) == ["10.0.1.2/24"])
        #expect(client.interfaces[0].addresses6.map(\.description) == ["fd00:1::2/64"])
        #expect(client.components == [.rumpnet, .rumpnet_net, .rumpnet_netinet, .rumpnet_netinet6, .rumpnet_shmif])
        #expect(client.routes.map(\.isDefault) == [true] && client.routes6.map(\.isDefault) == [true])
        #expect(client.routes6[0].gateway == IPv6Address("fd00:1::1"))
        // "forwarding" makes a router of both families on a node with IPv6.
        #expect(router.forwarding && router.forwarding6)
        #expect(router.sysctls.map(\.name) == ["kern.hostname", "net.inet.ip.forwarding", "net.inet6.ip6.forwarding"])
        #expect(t.networks6(of: "lan2").map(\.description) == ["fd00:2::/64"])
        #expect(t.checks[1].target == .node6("server"))
        #expect(t.target(of: t.checks[1])?.address == .v6(IPv6Address("fd00:2::2")!))
        #expect(t.target(of: t.checks[0])?.address == .v4(IPv4Address("10.0.2.2")!))
        // A full name sets one family only.
        let one = TopologyLoader.load(text: lab(a: #""sysctls": {"net.inet.ip.forwarding": 1}, "# + a6, b: b6))
        #expect(one.topology?.nodes[0].forwarding == true && one.topology?.nodes[0].forwarding6 == false)
    }

    /// A link-local gateway keeps its interface; "ping" given an IPv6 address is a ping6 check;
    /// an IPv6-only node loads rumpnet_netinet too (rumpnet_netinet6 needs it).
    @Test func linkLocalGatewaysAndMixedChecks() throws {
        let text = lab(a: a6(routes: #"{"destination": "fd01::/64", "gateway": "fe80::2%shmif0"}, {"destination": "fd02::7", "gateway": "fd00::2"}"#),
                       b: iface(#""bus": "lan0", "addresses": ["fd00::2/64"]"#),
                       checks: #"{"from": "a", "ping": "fd00::2"}, {"from": "a", "ping6": "fe80::2%shmif0"}, {"from": "b", "ping6": "a"}"#)
        let load = TopologyLoader.load(text: text)
        let t = try #require(load.topology, "\(load.diagnostics)")
        #expect(t.nodes[0].routes6 == [Route6(destination: IPv6Prefix(address: IPv6Address("fd01::")!, length: 64), gateway: IPv6Address("fe80::2")!, zone: "shmif0"),
                                       Route6(destination: IPv6Prefix(address: IPv6Address("fd02::7")!, length: 128), gateway: IPv6Address("fd00::2")!, zone: nil)])
        #expect(t.checks.map(\.target) == [.address6(IPv6Address("fd00::2")!, zone: nil), .address6(IPv6Address("fe80::2")!, zone: "shmif0"), .node6("a")])
        #expect(t.nodes[1].components == [.rumpnet, .rumpnet_net, .rumpnet_netinet, .rumpnet_netinet6, .rumpnet_shmif])
        // The canonical file reads back to the same model, both families kept.
        let json = TopologyWriter.json(t)
        #expect(json.contains(#""addresses": ["10.0.0.1/24", "fd00::1/64"]"#))
        #expect(json.contains(#""gateway": "fe80::2%shmif0""#) && json.contains(#""ping6": "fd00::2""#))
        #expect(TopologyLoader.load(text: json).topology == Self.written(t))
    }

    @Test func writerRoundTripsTheExample() throws {
        let t = try #require(TopologyLoader.load(file: topologyFile("dual-stack.json")).topology)
        let again = TopologyLoader.load(text: TopologyWriter.json(t))
        #expect(again.diagnostics.isEmpty, "\(again.diagnostics)")
        #expect(again.topology == Self.written(t))
    }

    /// The model as the canonical file gives it back: components written out.
    static func written(_ t: Topology) -> Topology {
        var t = t
        for i in t.nodes.indices { t.nodes[i].componentsGiven = t.nodes[i].kind == .rump }
        return t
    }

    @Test func graphShowsBothFamilies() throws {
        let t = try #require(TopologyLoader.load(file: topologyFile("dual-stack.json")).topology)
        let dot = TopologyGraph.render(t, format: .dot)
        #expect(dot.contains(#""bus:lan1" [shape=box, style=filled, fillcolor=lightgrey, label="lan1\n10.0.1.0/24\nfd00:1::/64"]"#), "\(dot)")
        #expect(dot.contains(#"label="shmif0\n10.0.1.2/24\nfd00:1::2/64""#), "\(dot)")
        #expect(dot.contains(#"router\n(forwarding IPv4, IPv6)"#), "\(dot)")
        let mermaid = TopologyGraph.render(t, format: .mermaid)
        #expect(mermaid.contains(#"bus1["lan2<br/>10.0.2.0/24<br/>fd00:2::/64"]"#), "\(mermaid)")
        #expect(mermaid.contains(#"---|"shmif0<br/>10.0.2.2/24<br/>fd00:2::2/64"|"#), "\(mermaid)")
    }
}
