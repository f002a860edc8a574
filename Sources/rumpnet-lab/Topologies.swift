import ArgumentParser
import RumpLab
import ToolSupport

/// `validate FILE...`: every mistake on standard error as `FILE: PATH: message`; exit 1
/// if any file has an error (warnings alone keep 0).
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check topology files; exit 0 if all are valid, 1 if not.")
    @Argument(help: "Topology files (JSON).") var files: [String]
    @Flag(name: .shortAndLong, help: "Print nothing for valid files.") var quiet = false

    func run() throws {
        var failed = false
        for file in files {
            let load = TopologyLoader.load(file: file)
            for d in load.diagnostics { printErr(d.formatted(file: file)) }
            if let t = load.topology {
                // Where `up` would put the lab: its sockets must fit sockaddr_un.
                if let state = try? LabState(lab: t.name) {
                    let long = state.socketPathProblems(t)
                    for p in long { printErr("\(file): \(p) (state base \(state.base); set RUMPNET_LAB_STATE to a shorter directory)") }
                    if !long.isEmpty { failed = true; continue }
                }
                if !quiet {
                    let interfaces = t.nodes.reduce(0) { $0 + $1.interfaces.count }
                    printOut("\(file): ok: lab \(t.name): " + [plural(t.nodes.count, "node"), plural(t.buses.count, "bus", "buses"), plural(interfaces, "interface"), plural(t.checks.count, "check")].joined(separator: ", "))
                }
            } else {
                failed = true
            }
        }
        exitTool(failed ? 1 : 0)
    }
}

/// `graph FILE`: the topology as a Graphviz or Mermaid diagram on standard output.
struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the topology as a diagram (buses, nodes, interfaces, addresses).")
    @Argument(help: "The topology file.") var file: String
    @Option(help: "dot (Graphviz) or mermaid.") var format: String = "dot"

    func run() throws {
        guard let f = GraphFormat(rawValue: format) else { errx(64, "rumpnet-lab graph", "unknown format \"\(format)\" (dot or mermaid)") }
        let load = TopologyLoader.load(file: file)
        for d in load.diagnostics { printErr(d.formatted(file: file)) }
        guard let t = load.topology else { exitTool(1) }
        OutputStream.standardOutput.write(TopologyGraph.render(t, format: f))
        exitTool(0)
    }
}

func plural(_ n: Int, _ one: String, _ many: String? = nil) -> String { "\(n) \(n == 1 ? one : many ?? one + "s")" }
