// up, down, status, check, exec, shell: the running lab, found through its state directory.
#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import CShim
import RumpLab
import RumpProtocol
import ToolSupport

/// The directory of this executable: rump_server and the utilities are built beside it.
func binDirectory() -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    let exe = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    guard let slash = exe.lastIndex(of: "/") else { return "." }
    return String(exe[..<slash])
}

/// LAB as given: a lab name, or a topology file whose lab is meant; none: the only lab.
func resolveLab(_ given: String?, tool: String) -> (LabState, Topology) {
    var name = given
    if let g = given, g.hasSuffix(".json") || g.hasSuffix(".yaml") || g.hasSuffix(".yml") {
        let load = TopologyLoader.load(file: g)
        guard let t = load.topology else {
            for d in load.diagnostics { printErr(d.formatted(file: g)) }
            exitTool(1)
        }
        name = t.name
    }
    if name == nil {
        let labs = LabState.labs()
        guard labs.count == 1 else {
            errx(1, tool, labs.isEmpty ? "no lab is running" : "several labs are running (\(labs.joined(separator: ", "))): name one")
        }
        name = labs[0]
    }
    let state: LabState
    do { state = try LabState(lab: name!) } catch { errx(1, tool, "\(error)") }
    do { try state.checkTrusted() } catch { errx(1, tool, "\(error)") }
    guard state.exists else { errx(1, tool, "no lab named \(name!) (nothing in \(state.root))") }
    let load = TopologyLoader.load(file: state.topologyFile)
    guard let t = load.topology else { errx(1, tool, "\(state.topologyFile): unreadable; `rumpnet-lab down \(name!)` cleans up") }
    return (state, t)
}

func table(_ rows: [[String]]) -> String {
    guard let first = rows.first else { return "" }
    var widths = [Int](repeating: 0, count: first.count)
    for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
    return rows.map { r in
        r.enumerated().map { i, c in i == r.count - 1 ? c : c + String(repeating: " ", count: widths[i] - c.count + 2) }.joined()
    }.joined(separator: "\n")
}

/// "10.0.0.1/24", "fd00::1/64", "fe80::...%shmif0/64" (a scoped address names its interface).
func describe(_ a: InterfaceAddress, interface: String? = nil) -> String {
    a.address.numericHost(zone: { _ in interface }) + "/\(a.netmask.netmaskLength ?? 0)"
}

func statusRows(_ statuses: [LabRunner.NodeStatus], topology: Topology) -> [[String]] {
    var rows = [["NODE", "PID", "RUMP_SERVER", "INTERFACES", "STATE"]]
    for s in statuses {
        let node = topology.node(named: s.node)
        var ifs: [String] = []
        if s.state == .running {
            for i in s.interfaces where i.name != "lo0" {
                let bus = node?.interfaces.first { $0.name == i.name }?.bus
                ifs.append(([i.name] + i.addresses.map { describe($0, interface: i.name) }).joined(separator: " ") + (bus.map { " (\($0))" } ?? ""))
            }
        } else if let node {
            ifs = node.interfaces.map { "\($0.name) \(($0.addresses.map(\.description) + $0.addresses6.map(\.description)).joined(separator: " ")) (\($0.bus))" }
        }
        rows.append([s.node, (s.pid.map(String.init) ?? "-") + (s.host.map { " (\($0))" } ?? ""), s.rumpServer, ifs.joined(separator: ", "), s.state.rawValue])
    }
    return rows
}

func report(_ results: [LabRunner.CheckResult]) -> Bool {
    var ok = true
    for r in results {
        let target: String
        switch r.check.target {
        case .node(let n): target = "\(n) (\(r.target.map(\.description) ?? "?"))"
        case .address(let a): target = a.description
        case .node6(let n): target = "\(n) (ping6 \(r.target.map(\.description) ?? "?"))"
        case .address6(let a, let zone): target = "ping6 " + a.description + (zone.map { "%" + $0 } ?? "")
        }
        let got = r.probe.map { "\($0.received)/\($0.sent) replies" } ?? (r.error ?? "")
        printOut("check \(r.check.from) -> \(target), expect \(r.check.expect.rawValue): \(got): \(r.passed ? "pass" : "FAIL")")
        ok = ok && r.passed
    }
    return ok
}

struct Up: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a lab: one kernel server per node, buses, configuration, then its checks.",
        discussion: "The lab stays up until `rumpnet-lab down`. Exit status 1 if a check fails (the lab stays up).")
    @Argument(help: "The topology file.") var file: String
    @Option(help: "Seconds to wait for the kernel servers to listen.") var timeout: Double = 20
    @Flag(help: "Do not run the topology's checks.") var noChecks = false
    @Option(help: ArgumentHelp("process (a rump_server per node) or packed (kernels in a few rump_host processes); default: the topology's, else packed above \(LabRunner.packedAbove) rump nodes.",
                               valueName: "placement")) var placement: String?
    @Flag(name: .customLong("keep-cpus-awake"), help: ArgumentHelp("Keep every CPU from halting while the lab runs (a SCHED_IDLE spinner per CPU): lower latency on VMs, at the cost of CPU time.",
                             discussion: "See docs/TOPOLOGY.md, Latency.")) var keepCPUsAwake = false

    func run() throws {
        let load = TopologyLoader.load(file: file)
        for d in load.diagnostics { printErr(d.formatted(file: file)) }
        guard let topology = load.topology else { exitTool(1) }
        let tool = "rumpnet-lab up"
        let state: LabState
        do { state = try LabState(lab: topology.name) } catch { errx(1, tool, "\(error)") }
        do { try state.prepareBase() } catch { errx(1, tool, "\(error)") }
        // One `up` per lab at a time, held until this process ends (docs/TOPOLOGY.md, "The lock").
        let lock: LabLock
        do { lock = try LabLock.acquire(state) } catch { errx(1, tool, "\(error)") }
        // ^C, SIGTERM, SIGHUP: stop what this `up` started and remove the state.
        let interruption = UpInterruption { sig in
            let report = LabRunner.takeDown(state: state, keepBuses: false, timeout: 1)
            unlink(LabLock.path(for: state))
            printErr("\(tool): interrupted by signal \(sig); lab \(topology.name) stopped and its state removed"
                     + (report.killed.isEmpty ? "" : " (killed \(report.killed.joined(separator: ", ")))"))
        }
        var runner = LabRunner(state: state, topology: topology, binDirectory: binDirectory())
        if let p = placement {
            guard let v = Placement(rawValue: p) else { errx(1, tool, "--placement \(p): expected process or packed") }
            runner.placement = v
        }
        runner.progress = { printErr("\(topology.name): \($0)") }
        let elapsed: Double
        do { elapsed = try runner.up(timeout: timeout, interruption: interruption) } catch {
            if !(error is LabRefusal) {
                interruption.step { _ = LabRunner.down(state: state, keepBuses: false) }
            }
            interruption.step { lock.release() }
            errx(1, tool, "\(error)")
        }
        if keepCPUsAwake {
            do { try interruption.step { try runner.keepCPUsAwake() } } catch { printErr("\(tool): \(error)") }
        }
        var ok = true
        if !noChecks && !topology.checks.isEmpty {
            ok = report(runner.runChecks())
        }
        printOut(table(statusRows(LabRunner.status(state: state, topology: topology), topology: topology)))
        printOut("lab \(topology.name) is up (\(LabRunner.seconds(elapsed)) s); state in \(state.root)")
        interruption.step { lock.release() }
        exitTool(ok ? 0 : 1)
    }
}

struct Down: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop a lab's kernel servers and remove its state directory.",
        discussion: "Every kernel the lab started is stopped, also one an interrupted `up` never recorded. An `up` of the same lab still running is interrupted first (SIGTERM; it then stops what it started).")
    @Argument(help: "The lab's name or topology file (default: the only lab).") var lab: String?
    @Flag(help: "Keep the bus files (in the state directory's buses/).") var keepBuses = false

    func run() throws {
        let tool = "rumpnet-lab down"
        var name = lab
        if let l = lab, l.hasSuffix(".json") || l.hasSuffix(".yaml") || l.hasSuffix(".yml") {
            guard let t = TopologyLoader.load(file: l).topology else { errx(1, tool, "\(l): not a valid topology") }
            name = t.name
        }
        if name == nil {
            let labs = LabState.labs()
            guard labs.count == 1 else { errx(1, tool, labs.isEmpty ? "no lab is running" : "several labs are running (\(labs.joined(separator: ", "))): name one") }
            name = labs[0]
        }
        let state: LabState
        do { state = try LabState(lab: name!) } catch { errx(1, tool, "\(error)") }
        do { try state.checkTrusted() } catch { errx(1, tool, "\(error)") }
        let lockFile = LabLock.path(for: state)
        // Kernels, tap-bridges and namespaces of the lab count even if its state directory was removed by hand.
        guard state.exists || access(lockFile, F_OK) == 0 || !LabProcesses.kernels(of: state).isEmpty
                || !LabProcesses.tapBridges(of: state).isEmpty || !LabNetwork.namespaces(of: state).isEmpty else {
            errx(1, tool, "no lab named \(name!)")
        }
        let t0 = HostProcess.now()
        // An `up` of this lab still running is interrupted (it undoes its work on SIGTERM);
        // a `down` running is waited for.
        let lock: LabLock
        do {
            lock = try LabLock.acquire(state, waiting: 30) { busy in
                if let p = HostProcessInfo.read(busy.holder), p.arguments.contains("up") {
                    printErr("\(tool): interrupting `up` of lab \(name!) (pid \(busy.holder))")
                    kill(busy.holder, SIGTERM)
                    kill(busy.holder, SIGCONT)
                } else {
                    printErr("\(tool): waiting for pid \(busy.holder), which holds lab \(name!)")
                }
            }
        } catch { errx(1, tool, "\(error)") }
        let report = LabRunner.takeDown(state: state, keepBuses: keepBuses)
        lock.release()
        for line in report.notOurs { printErr("\(tool): \(line)") }
        for line in report.networkProblems { printErr("\(tool): \(line)") }
        if !report.killed.isEmpty { printErr("\(tool): killed \(report.killed.joined(separator: ", ")) (did not halt)") }
        printOut("lab \(name!) is down (\(LabRunner.seconds(HostProcess.now() - t0)) s)" + (keepBuses ? "; buses kept in \(state.busesDirectory)" : ""))
        exitTool(0)
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show each node of a lab: alive or dead, interfaces, addresses, counters.")
    @Argument(help: "The lab's name or topology file (default: the only lab).") var lab: String?
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Print only the link impairments: a netstat -i-style table of what each one did.") var impair = false
    @Option(help: "Seconds to wait for each node's answer.") var timeout: Double = LabRunner.controlTimeout

    func run() throws {
        let (state, topology) = resolveLab(lab, tool: "rumpnet-lab status")
        if impair && !json {
            let list = LabImpairment.inForce(state: state, topology: topology)
            printOut(list.isEmpty ? "lab \(topology.name): no link impairments in force" : impairmentTable(list))
            exitTool(0)
        }
        let statuses = LabRunner.status(state: state, topology: topology, timeout: timeout)
        var kernels: [String: pid_t] = [:]
        for s in statuses where s.state != .dead { kernels[s.node] = s.pid }
        let buses = BusHealth.check(state: state, topology: topology, kernels: kernels)
        let impairments = LabImpairment.inForce(state: state, topology: topology)
        let hostProblems = LabRunner.hostAttachmentProblems(state: state, topology: topology)
        if json {
            var nodes: [String] = []
            for s in statuses {
                let ifs = s.interfaces.map { i in
                    "{\"name\":\(quote(i.name)),\"flags\":\(i.flags),\"mtu\":\(i.mtu),\"addresses\":[\(i.addresses.map { quote(describe($0, interface: i.name)) }.joined(separator: ","))],\"ipackets\":\(i.stats.ipackets),\"opackets\":\(i.stats.opackets),\"ibytes\":\(i.stats.ibytes),\"obytes\":\(i.stats.obytes)}"
                }
                nodes.append("{\"node\":\(quote(s.node)),\"pid\":\(s.pid.map(String.init) ?? "null"),\"rump_server\":\(quote(s.rumpServer)),\"state\":\(quote(s.state.rawValue)),\"detail\":\(s.detail.map(quote) ?? "null"),\"host\":\(s.host.map(quote) ?? "null"),\"interfaces\":[\(ifs.joined(separator: ","))]}")
            }
            let bs = buses.map { "{\"bus\":\(quote($0.bus)),\"path\":\(quote($0.path)),\"state\":\(quote($0.condition.rawValue)),\"detail\":\($0.detail.map(quote) ?? "null")}" }
            printOut("{\"lab\":\(quote(topology.name)),\"state_directory\":\(quote(state.root)),\"nodes\":[\(nodes.joined(separator: ","))],\"buses\":[\(bs.joined(separator: ","))],\"impairments\":\(impairmentsJSON(impairments))}")
        } else {
            var rows = statusRows(statuses, topology: topology)
            rows[0].append("IN/OUT PACKETS")
            for (k, s) in statuses.enumerated() {
                let i = s.interfaces.filter { $0.name != "lo0" }
                rows[k + 1].append(s.state == .running ? "\(i.reduce(0) { $0 + $1.stats.ipackets })/\(i.reduce(0) { $0 + $1.stats.opackets })" : "-")
            }
            printOut("lab \(topology.name), state in \(state.root)")
            printOut(table(rows))
            for s in statuses { if let d = s.detail { printOut("\(s.state.rawValue): \(d)") } }
            for b in buses { if let d = b.detail { printOut("bus \(b.bus) \(b.condition.rawValue): \(d)") } }
            for line in impairmentLines(impairments) { printOut(line) }
            for b in topology.buses { if let h = b.host { printOut("host \(h.tap) on \(b.name): \((h.addresses.map(\.description) + h.addresses6.map(\.description)).joined(separator: " "))") } }
            for p in hostProblems { printOut("missing: \(p)") }
        }
        exitTool(statuses.allSatisfy { $0.state == .running } && buses.allSatisfy { $0.condition == .ok } && hostProblems.isEmpty ? 0 : 1)
    }
}

func quote(_ s: String) -> String { TopologyWriter.q(s) }

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Run the topology's checks against the running lab; exit 0 if all pass.")
    @Argument(help: "The lab's name or topology file (default: the only lab).") var lab: String?

    func run() throws {
        let (state, topology) = resolveLab(lab, tool: "rumpnet-lab check")
        let runner = LabRunner(state: state, topology: topology, binDirectory: binDirectory())
        let ok = report(runner.runChecks())
        exitTool(ok ? 0 : 1)
    }
}

/// Replaces this process with `args`, RUMP_SERVER set for the node and our utilities first on PATH.
func execForNode(_ node: String, lab: String?, args: [String], tool: String) -> Never {
    let (state, topology) = resolveLab(lab, tool: tool)
    guard let n = topology.node(named: node) else { errx(1, tool, "lab \(topology.name) has no node \(node)") }
    if let dead = LabRunner.deadReason(state: state, node: node) { errx(1, tool, dead) }
    setenv("RUMPNET_LAB_NODE", node, 1)
    var args = args
    if n.kind == .linux {
        // A Linux host: the command runs in the node's namespace, with Linux's own tools.
        guard let ip = HostCommand.find("ip") else { errx(1, tool, "no `ip` command (install iproute2)") }
        unsetenv("RUMP_SERVER")
        args = [ip, "netns", "exec", LabNetwork(state: state, topology: topology).namespace(of: node)] + args
    } else {
        setenv("RUMP_SERVER", state.rumpServer(node: node), 1)
        let path = String(cString: getenv("PATH") ?? strdup("/usr/bin:/bin"))
        setenv("PATH", binDirectory() + ":" + path, 1)
    }
    OutputStream.standardOutput.flush()
    let argv = args.map { strdup($0) } + [nil]
    execvp(args[0], argv)
    errx(127, tool, "\(args[0]): \(String(cString: strerror(errno)))")
}

struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a utility or any program against a node (RUMP_SERVER set, our utilities first on PATH).",
        discussion: "Example: rumpnet-lab exec a -- ping -c 3 10.0.0.2")
    @Option(help: "The lab (default: the only lab).") var lab: String?
    @Argument(help: "The node.") var node: String
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.") var command: [String] = []

    func run() throws {
        var cmd = command
        if cmd.first == "--" { cmd.removeFirst() }
        guard !cmd.isEmpty else { errx(64, "rumpnet-lab exec", "no command given (rumpnet-lab exec NODE -- CMD ARGS)") }
        execForNode(node, lab: lab, args: cmd, tool: "rumpnet-lab exec")
    }
}

struct Shell: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Open a rumpctrl-like shell on a node (bash with RUMP_SERVER in the prompt).")
    @Option(help: "The lab (default: the only lab).") var lab: String?
    @Argument(help: "The node.") var node: String

    func run() throws {
        let bin = binDirectory()
        // A linux node: Linux's own shell and tools, inside its namespace.
        let (_, topology) = resolveLab(lab, tool: "rumpnet-lab shell")
        if topology.node(named: node)?.kind == .linux {
            setenv("PS1", "[\(node) (linux, lab \(topology.name))] \\w# ", 1)
            execForNode(node, lab: lab, args: ["bash", "--norc", "-i"], tool: "rumpnet-lab shell")
        }
        // The rumpctrl shell functions live in the checkout's scripts/; bin is
        // .build/<triple>/<config> (or .build/<config>), so look a few levels up.
        var dir = bin
        var script: String?
        for _ in 0..<5 {
            if access(dir + "/scripts/rumpctrl.sh", R_OK) == 0 { script = dir + "/scripts/rumpctrl.sh"; break }
            if access(dir + "/rumpctrl.sh", R_OK) == 0 { script = dir + "/rumpctrl.sh"; break }
            guard let slash = dir.lastIndex(of: "/"), slash != dir.startIndex else { break }
            dir = String(dir[..<slash])
        }
        guard let script else { errx(1, "rumpnet-lab shell", "scripts/rumpctrl.sh not found above \(bin)") }
        setenv("RUMPCTRL_BIN", bin, 1)
        execForNode(node, lab: lab, args: ["bash", "--rcfile", script, "-i"], tool: "rumpnet-lab shell")
    }
}

/// One CPU kept from halting, until killed (`up --keep-cpus-awake` starts one per CPU).
struct KeepAwake: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keep-awake",
        abstract: "Keep one CPU from halting when idle (a SCHED_IDLE spinner) until killed.",
        discussion: "Any task woken on that CPU preempts the spinner at once; a VM's halted vCPU would take 25-45 us to wake.")
    @Option(help: "The CPU.") var cpu: Int32

    func run() throws {
        _ = rn_idle_poll_forever(cpu)
        errx(1, "rumpnet-lab keep-awake", "cpu \(cpu): \(String(cString: strerror(errno)))")
    }
}
