// impair and link: a running lab's link impairments, changed by kernel request (nothing restarts).

import ArgumentParser
import RumpLab
import ToolSupport

struct Impair: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set or clear a node interface's link impairment (netem's words).",
        discussion: """
            rumpnet-lab impair NODE IFACE delay 20ms 5ms distribution normal loss random 1%
            rumpnet-lab impair NODE IFACE clear
            rumpnet-lab impair NODE IFACE show     (the words in force and what they did, as status --impair)
            Words: delay TIME [JITTER [CORR]], distribution uniform|normal|pareto|paretonormal, loss random PCT [CORR], \
            loss gemodel p [r [1-h [1-k]]], duplicate PCT, corrupt PCT, reorder PCT [CORR] [gap N], rate RATE, \
            slot MIN [MAX] [packets N] [bytes N], slot distribution D DELAY JITTER [...], \
            limit N|SIZE, seed N, down, up; `ingress` makes the words after it apply to input. See docs/TOPOLOGY.md.
            """)
    @Option(help: "The lab's name or topology file (default: the only lab).") var lab: String?
    @Argument(help: "The node.") var node: String
    @Argument(help: "The interface (shmif0, virt0, lo0, ...).") var interface: String
    @Argument(parsing: .allUnrecognized, help: "netem's words, `clear` or `show`.") var words: [String] = []

    func run() throws {
        let tool = "rumpnet-lab impair"
        guard !words.isEmpty else { errx(1, tool, "expected netem's words (delay 20ms ...) or `clear`") }
        let (state, topology) = resolveLab(lab, tool: tool)
        guard topology.node(named: node) != nil else { errx(1, tool, "no node \(node) in lab \(topology.name)") }
        if words == ["show"] {
            do {
                let i = try LabImpairment.show(state: state, node: node, interface: interface)
                printOut(impairmentTable([i]))
            } catch { errx(1, tool, "\(error)") }
            exitTool(0)
        }
        do {
            try LabImpairment.impair(state: state, node: node, interface: interface, words: words == ["clear"] ? nil : words)
        } catch { errx(1, tool, "\(error)") }
        printOut(words == ["clear"] ? "\(node) \(interface): impairment cleared" : "\(node) \(interface): \(words.joined(separator: " "))")
        exitTool(0)
    }
}

struct Link: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take a node interface's link down (every frame lost both ways) or up again.")
    @Option(help: "The lab's name or topology file (default: the only lab).") var lab: String?
    @Argument(help: "The node.") var node: String
    @Argument(help: "The interface.") var interface: String
    @Argument(help: "down or up.") var state: String

    func run() throws {
        let tool = "rumpnet-lab link"
        guard state == "down" || state == "up" else { errx(1, tool, "\"\(state)\": expected down or up") }
        let (labState, topology) = resolveLab(lab, tool: tool)
        guard topology.node(named: node) != nil else { errx(1, tool, "no node \(node) in lab \(topology.name)") }
        do { try LabImpairment.setLink(state: labState, node: node, interface: interface, up: state == "up") } catch { errx(1, tool, "\(error)") }
        printOut("\(node) \(interface): link \(state)")
        exitTool(0)
    }
}

/// `status`'s lines: what is in force and what it did ("impair a shmif0: delay 20ms: egress dropped 3 ...").
func impairmentLines(_ list: [LabImpairment.InForce]) -> [String] {
    list.map { i in
        let shown = ["dropped", "delayed", "duplicated", "corrupted", "reordered", "rate_limited", "rate_dropped", "down_dropped"]
        let counts = ["egress", "ingress"].map { dir in
            dir + " " + shown.map { k in "\(k) \(i.counters.first { $0.name == "\(dir).\(k)" }?.value ?? 0)" }.joined(separator: " ")
        }
        return "impair \(i.node) \(i.interface): \(i.words.map { $0.isEmpty ? "(none)" : $0 } ?? "(none)"): \(counts.joined(separator: "; "))"
    }
}

func impairmentsJSON(_ list: [LabImpairment.InForce]) -> String {
    "[" + list.map { i in
        "{\"node\":\(quote(i.node)),\"interface\":\(quote(i.interface)),\"impair\":\(i.words.map(quote) ?? "null"),\"counters\":{"
            + i.counters.map { "\(quote($0.name)):\($0.value)" }.joined(separator: ",") + "}}"
    }.joined(separator: ",") + "]"
}

/// `status --impair` and `impair NODE IFACE show`: netstat -i's layout, a row per direction of each
/// impaired interface, then each one's words.
///
///     Node  Iface   Dir      Frames  Deliv  Drop  Delay  Dup  Corrupt  Reorder  RateLim  RateDrop  DownDrop  Queue
///     a     shmif0  egress       12     12     0     12    0        0        0        0         0         0      0
func impairmentTable(_ list: [LabImpairment.InForce]) -> String {
    let columns: [(String, String)] = [
        ("Frames", "frames"), ("Deliv", "delivered"), ("Drop", "dropped"), ("Delay", "delayed"), ("Dup", "duplicated"),
        ("Corrupt", "corrupted"), ("Reorder", "reordered"), ("RateLim", "rate_limited"), ("RateDrop", "rate_dropped"),
        ("DownDrop", "down_dropped"), ("Queue", "queued"),
    ]
    var rows = [["Node", "Iface", "Dir"] + columns.map(\.0)]
    for i in list {
        for dir in ["egress", "ingress"] {
            rows.append([i.node, i.interface, dir] + columns.map { c in
                String(i.counters.first { $0.name == "\(dir).\(c.1)" }?.value ?? 0)
            })
        }
    }
    var widths = [Int](repeating: 0, count: rows[0].count)
    for r in rows { for (k, c) in r.enumerated() { widths[k] = max(widths[k], c.count) } }
    var lines = rows.map { r in
        r.enumerated().map { k, c in
            let pad = String(repeating: " ", count: widths[k] - c.count)
            return k < 3 ? c + pad : pad + c  // names left, counts right, as netstat -i
        }.joined(separator: "  ").trimmingTrailingSpaces()
    }
    for i in list { lines.append("\(i.node) \(i.interface): \(i.words.map { $0.isEmpty ? "(none)" : $0 } ?? "(no impairment)")") }
    return lines.joined(separator: "\n")
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
