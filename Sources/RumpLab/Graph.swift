// The topology as a diagram: buses as boxes, nodes as ellipses, one edge per interface
// labelled with its name and addresses.

public enum GraphFormat: String, Sendable, CaseIterable {
    case dot, mermaid
}

public enum TopologyGraph {
    public static func render(_ t: Topology, format: GraphFormat) -> String {
        switch format {
        case .dot: return dot(t)
        case .mermaid: return mermaid(t)
        }
    }

    static func busLabel(_ t: Topology, _ b: Bus) -> [String] {
        [b.name] + (b.kind == .tap ? ["(tap bus)"] : []) + t.networks(of: b.name).map(\.description) + t.networks6(of: b.name).map(\.description)
            + (b.host.map { ["host \($0.tap)"] + $0.addresses.map(\.description) + $0.addresses6.map(\.description) } ?? [])
    }

    static func nodeLabel(_ n: Node) -> [String] {
        [n.name] + (n.kind == .linux ? ["(linux)"] : [])
            + (n.forwarding && n.forwarding6 ? ["(forwarding IPv4, IPv6)"] : n.forwarding ? ["(forwarding)"] : n.forwarding6 ? ["(forwarding IPv6)"] : [])
    }

    static func edgeLabel(_ i: Interface) -> [String] {
        [i.name] + i.addresses.map(\.description) + i.addresses6.map(\.description) + (i.up ? [] : ["(down)"])
    }

    static func dotQuote(_ s: String) -> String {
        "\"" + s.replacingAll("\\", "\\\\").replacingAll("\"", "\\\"") + "\""
    }

    public static func dot(_ t: Topology) -> String {
        // Lines in a dot label are joined with \n, which dot reads as a centred line break.
        func label(_ lines: [String]) -> String {
            "\"" + lines.map { $0.replacingAll("\\", "\\\\").replacingAll("\"", "\\\"") }.joined(separator: "\\n") + "\""
        }
        var out = "graph \(dotQuote(t.name)) {\n"
        out += "  layout=neato; overlap=false; splines=true;\n"
        for b in t.buses {
            out += "  \(dotQuote("bus:" + b.name)) [shape=box, style=filled, fillcolor=lightgrey, label=\(label(busLabel(t, b)))];\n"
        }
        for n in t.nodes {
            out += "  \(dotQuote("node:" + n.name)) [shape=ellipse, label=\(label(nodeLabel(n)))];\n"
        }
        for n in t.nodes {
            for i in n.interfaces {
                out += "  \(dotQuote("node:" + n.name)) -- \(dotQuote("bus:" + i.bus)) [label=\(label(edgeLabel(i)))];\n"
            }
        }
        return out + "}\n"
    }

    public static func mermaid(_ t: Topology) -> String {
        // Mermaid ids cannot hold '.', so ids are positional; names appear only in labels.
        func text(_ lines: [String]) -> String {
            "\"" + lines.map { $0.replacingAll("\"", "#quot;") }.joined(separator: "<br/>") + "\""
        }
        var out = "graph LR\n"
        var busID: [String: String] = [:]
        for (k, b) in t.buses.enumerated() {
            busID[b.name] = "bus\(k)"
            out += "  bus\(k)[\(text(busLabel(t, b)))]\n"
        }
        for (k, n) in t.nodes.enumerated() {
            out += "  node\(k)([\(text(nodeLabel(n)))])\n"
        }
        for (k, n) in t.nodes.enumerated() {
            for i in n.interfaces {
                guard let b = busID[i.bus] else { continue }
                out += "  node\(k) ---|\(text(edgeLabel(i)))| \(b)\n"
            }
        }
        return out
    }
}
