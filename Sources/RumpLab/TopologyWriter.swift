#if canImport(Glibc)
import Glibc
#endif

// The model back as a topology file, every default written out. `up` saves this as the
// state directory's topology.json, so later commands (down, status, check) read one
// canonical JSON file whatever the user wrote (YAML, or JSON relying on defaults).

public enum TopologyWriter {
    public static func json(_ t: Topology) -> String {
        var o = "{\n"
        o += "  \"name\": \(q(t.name)),\n"
        if let d = t.description { o += "  \"description\": \(q(d)),\n" }
        if let p = t.placement { o += "  \"placement\": \(q(p.rawValue)),\n" }
        o += "  \"buses\": {"
        o += t.buses.map { b in
            "\n    \(q(b.name)): { \"kind\": \(q(b.kind.rawValue))" + (b.path.map { ", \"path\": \(q($0))" } ?? "")
                + (b.host.map { h in
                    ", \"host\": { \"tap\": \(q(h.tap)), \"addresses\": [\((h.addresses.map { q($0.description) } + h.addresses6.map { q($0.description) }).joined(separator: ", "))], \"mtu\": \(h.mtu) }"
                } ?? "") + " }"
        }.joined(separator: ",")
        o += t.buses.isEmpty ? "},\n" : "\n  },\n"
        o += "  \"nodes\": {"
        o += t.nodes.map(node).joined(separator: ",")
        o += "\n  },\n"
        o += "  \"checks\": ["
        o += t.checks.map { c in
            let target: String
            switch c.target {
            case let .node(n), let .node6(n): target = n
            case let .address(a): target = a.description
            case let .address6(a, zone): target = a.description + (zone.map { "%" + $0 } ?? "")
            }
            return "\n    { \"from\": \(q(c.from)), \"\(c.target.isInet6 ? "ping6" : "ping")\": \(q(target)), \"expect\": \(q(c.expect.rawValue)), \"count\": \(c.count), \"timeout\": \(c.timeout) }"
        }.joined(separator: ",")
        o += t.checks.isEmpty ? "]\n}\n" : "\n  ]\n}\n"
        return o
    }

    static func node(_ n: Node) -> String {
        var o = "\n    \(q(n.name)): {\n"
        o += "      \"kind\": \(q(n.kind.rawValue)),\n"
        // A linux node has neither (the loader refuses them there).
        if n.kind == .rump {
        o += "      \"components\": [" + n.components.map { q($0.rawValue) }.joined(separator: ", ") + "],\n"
        o += "      \"sysctls\": {" + n.sysctls.map { s in
            let v: String
            switch s.value {
            case let .int(i): v = String(i)
            case let .string(str): v = q(str)
            }
            return " \(q(s.name)): \(v)"
        }.joined(separator: ",") + " },\n"
        }
        o += "      \"interfaces\": [" + n.interfaces.map { i in
            "\n        { \"name\": \(q(i.name)), \"bus\": \(q(i.bus)), \"addresses\": ["
                + (i.addresses.map { q($0.description) } + i.addresses6.map { q($0.description) }).joined(separator: ", ")
                + "], \"mtu\": \(i.mtu), \"up\": \(i.up)" + (i.impair.map { ", \"impair\": \(q($0))" } ?? "") + " }"
        }.joined(separator: ",") + (n.interfaces.isEmpty ? "],\n" : "\n      ],\n")
        let routes = n.routes.map { r in
            "\n        { \"destination\": \(q(r.isDefault ? "default" : r.destination.description)), \"gateway\": \(q(r.gateway.description)) }"
        } + n.routes6.map { r in
            "\n        { \"destination\": \(q(r.isDefault ? "default" : r.destination.description)), \"gateway\": \(q(r.gatewayText)) }"
        }
        o += "      \"routes\": [" + routes.joined(separator: ",") + (routes.isEmpty ? "]\n" : "\n      ]\n")
        return o + "    }"
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    public static func q(_ s: String) -> String {
        var o = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            case "\t": o += "\\t"
            case "\r": o += "\\r"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    o += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    o.unicodeScalars.append(u)
                }
            }
        }
        return o + "\""
    }
}

extension LabState {
    /// Writes the canonical topology (TopologyWriter) to topology.json, mode 0600,
    /// through a temporary file and rename so a reader never sees half of it.
    public func saveTopology(_ t: Topology) throws(PathError) {
        let tmp = topologyFile + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PathError(description: "\(tmp): \(String(cString: strerror(errno)))") }
        let bytes = Array(TopologyWriter.json(t).utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let e = String(cString: strerror(errno))
                close(fd)
                unlink(tmp)
                throw PathError(description: "\(tmp): \(e)")
            }
            off += n
        }
        close(fd)
        guard rename(tmp, topologyFile) == 0 else {
            unlink(tmp)
            throw PathError(description: "\(topologyFile): \(String(cString: strerror(errno)))")
        }
    }
}
