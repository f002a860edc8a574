// Link impairments in a lab: the topology's `impair` strings (checked here with the stack's own
// netem parser, so a bad unit is reported with its JSON path before anything starts) and the
// run-time requests behind `rumpnet-lab impair` and `link`.

import RumpClient
import RumpNet
import RumpProtocol

public enum LabImpairment {
    /// The words in netem's own spelling, or the parser's message naming the bad word.
    public static func normalize(_ text: String) -> Result<String, LabError> {
        do { return .success(try ImpairmentSpec.parse(text).text) } catch { return .failure(LabError(error.description)) }
    }

    /// What is in force on one interface: netem's words (nil: none) and the counters.
    public struct InForce: Sendable {
        public var node: String
        public var interface: String
        public var words: String?
        public var counters: [StatCounter]
    }

    static func client(_ state: LabState, _ node: String) throws -> RumpClient {
        do {
            return try RumpClient(url: .unix(path: state.socketPath(node: node)), clientName: "rumpnet-lab", timeout: LabRunner.controlTimeout)
        } catch { throw LabError("node \(node) (\(state.rumpServer(node: node))): \(error)") }
    }

    static func call(_ c: RumpClient, node: String, _ what: String, _ r: Request) throws -> Reply {
        do { return try c.call(r) } catch {
            if case .transport(let t) = error { throw LabError("node \(node): \(what): \(t)") }
            if case .kernel(let k) = error { throw LabError("node \(node): \(what): \(k.description)") }
            throw LabError("node \(node): \(what): \(error.errno.strerror)")
        }
    }

    /// Sets (words) or clears (nil) an interface's impairment in a running node.
    public static func impair(state: LabState, node: String, interface: String, words: [String]?) throws {
        if let words, case .failure(let e) = normalize(words.joined(separator: " ")) { throw LabError("impair \(node) \(interface): \(e)") }
        let c = try client(state, node)
        _ = try call(c, node: node, "impair \(interface)", .ifSetImpairment(name: interface, words: words))
    }

    public static func setLink(state: LabState, node: String, interface: String, up: Bool) throws {
        let c = try client(state, node)
        _ = try call(c, node: node, "link \(interface) \(up ? "up" : "down")", .ifSetLinkState(name: interface, up: up))
    }

    /// One interface's words (nil: none) and counters (none without an impairment).
    public static func show(state: LabState, node: String, interface: String) throws -> InForce {
        let c = try client(state, node)
        guard case .names(let w) = try call(c, node: node, "impair \(interface) show", .ifGetImpairment(name: interface)) else {
            throw LabError("node \(node): impair \(interface) show: unexpected reply")
        }
        var counters: [StatCounter] = []
        if case .counters(let l) = try call(c, node: node, "impair \(interface) show", .ifImpairmentCounters(name: interface)) { counters = l }
        return InForce(node: node, interface: interface, words: w.first, counters: counters)
    }

    /// Every interface of the topology's running nodes that has an impairment.
    public static func inForce(state: LabState, topology: Topology) -> [InForce] {
        var out: [InForce] = []
        for n in topology.nodes {
            guard let c = try? client(state, n.name) else { continue }
            for i in n.interfaces {
                guard case .names(let w)? = try? call(c, node: n.name, "impair", .ifGetImpairment(name: i.name)), let words = w.first else { continue }
                var counters: [StatCounter] = []
                if case .counters(let l)? = try? call(c, node: n.name, "impair", .ifImpairmentCounters(name: i.name)) { counters = l }
                out.append(InForce(node: n.name, interface: i.name, words: words, counters: counters))
            }
        }
        return out
    }
}
