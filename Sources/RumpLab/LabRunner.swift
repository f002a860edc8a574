#if canImport(Glibc)
import Glibc
#endif
import RumpClient
import RumpProtocol
import Shmif

/// Brings a topology up as real kernel servers and takes it down again. Every path comes
/// from `LabState`; the running lab is described by the files there (topology.json, one
/// socket, pid file and log per node), so any later `rumpnet-lab` process can find it.
public struct LabRunner {
    public let state: LabState
    public let topology: Topology
    /// The directory holding rump_server (and the utilities).
    public let binDirectory: String
    public var progress: (String) -> Void = { _ in }
    /// `up --placement`: overrides the topology's `placement`.
    public var placement: Placement?

    /// Without a placement in the topology or on the command line, labs of more rump nodes
    /// than this are packed (docs/TOPOLOGY.md, "Placement": the measurement behind it).
    public static let packedAbove = 32
    /// Kernels per rump_host: a host's fault takes at most this many nodes down, and a lab's
    /// kernels boot in as many processes in parallel.
    public static let kernelsPerHost = 512

    /// Where the lab's rump kernels run.
    public var effectivePlacement: Placement {
        placement ?? topology.placement ?? (topology.nodes.filter { $0.kind == .rump }.count > Self.packedAbove ? .packed : .process)
    }

    /// The kernel hosts of a packed lab: `_host-N` and its nodes, a bus's nodes together (its
    /// first interface's bus), so that neighbours share a host and its loops' fast path. Nodes
    /// with virt interfaces keep a process of their own (their taps are born in the lab's
    /// namespace).
    func hostGroups(_ network: LabNetwork) -> [(host: String, nodes: [Node])] {
        guard effectivePlacement == .packed else { return [] }
        let rump = topology.nodes.enumerated().filter { $0.element.kind == .rump && !network.startsInLabNamespace($0.element) }
        var order: [String: Int] = [:]
        for (k, b) in topology.buses.enumerated() { order[b.name] = k }
        let sorted = rump.sorted { a, b in
            let ka = a.element.interfaces.first.flatMap { order[$0.bus] } ?? Int.max
            let kb = b.element.interfaces.first.flatMap { order[$0.bus] } ?? Int.max
            return ka != kb ? ka < kb : a.offset < b.offset
        }.map(\.element)
        let hosts = (sorted.count + Self.kernelsPerHost - 1) / Self.kernelsPerHost
        return (0..<hosts).map { h in
            // As even as possible: 1,000 nodes are two hosts of 500.
            let lo = h * sorted.count / hosts, hi = (h + 1) * sorted.count / hosts
            return ("_host-\(h)", Array(sorted[lo..<hi]))
        }
    }

    public init(state: LabState, topology: Topology, binDirectory: String) {
        self.state = state
        self.topology = topology
        self.binDirectory = binDirectory
    }

    public enum NodeState: String, Sendable {
        case running, dead, unreachable
        /// Alive, but its kernel did not answer within the client timeout (stopped, wedged).
        case notAnswering = "not answering"
    }

    public struct NodeStatus: Sendable {
        public var node: String
        public var pid: pid_t?
        public var rumpServer: String
        public var state: NodeState
        public var interfaces: [InterfaceInfo]
        /// Why the node is not running or not answering, in words.
        public var detail: String?
        /// The kernel host (`_host-N`) of a packed node; its pid is `pid`.
        public var host: String? = nil
    }

    public struct CheckResult: Sendable {
        public var check: Check
        public var target: IPAddress?
        public var probe: EchoSession.Result?
        public var passed: Bool
        public var error: String?
    }

    /// `status` waits this long for each node's answer: a user is looking at it.
    public static let controlTimeout: Double = 2
    /// `up` and `check` wait this long for a kernel's answer: a kernel just started on a
    /// loaded machine may be slow, and giving up would undo the whole lab.
    public static let configurationTimeout: Double = 10

    // MARK: up

    /// Starts every node in parallel, waits until each listens (at most `timeout` seconds),
    /// configures them, and returns. On failure the nodes already started are stopped.
    /// The caller holds the lab's `LabLock`. Each kernel is recorded (nodes/NODE.pid and
    /// .start) as soon as it is spawned, its starter's pid first and the kernel's once it
    /// says hello; every step that changes the state directory or the set of processes runs
    /// inside `interruption.step`, so a signal handler never sees half of one.
    public func up(timeout: Double = 20, interruption: UpInterruption? = nil) throws -> Double {
        func step<T>(_ body: () throws -> T) rethrows -> T {
            if let interruption { return try interruption.step(body) }
            return try body()
        }
        let t0 = HostProcess.now()
        // Never reuse, or remove, a lab directory another user could control.
        do { try state.checkTrusted() } catch { throw LabRefusal(description: "\(error)") }
        if state.exists {
            try step { () throws in
                if LabRunner.running(state: state) {
                    throw LabRefusal(description: "lab \(topology.name) is already running (state in \(state.root)); `rumpnet-lab down \(topology.name)` first")
                }
                // What a crashed lab left behind: nothing of it is alive any more.
                HostProcess.removeTree(state.root)
            }
        }
        try step { () throws in
            do { try state.create() } catch { throw LabError("\(error)") }
            for p in state.socketPathProblems(topology) { throw LabError(p) }
            try state.saveTopology(topology)
        }

        raiseInotifyLimitIfNeeded()
        let network = LabNetwork(state: state, topology: topology)
        if network.needsLinux { try network.checkPrerequisites() }
        try step { () throws in
            for bus in topology.buses where bus.kind == .shmif { try createBus(bus) }
        }
        try step { try network.createLabNamespace() }

        let server = binDirectory + "/rump_server"
        var pids: [String: pid_t] = [:]
        do {
            // Daemonised, as rump_server is by default: each parent exits once its kernel
            // listens (the kernel's pid comes with the protocol's hello), and a forked kernel
            // keeps only the pages it uses (about 9 MB instead of 14 with -s). The log file
            // stays its standard output and error.
            var starters: [String: pid_t] = [:]
            var probes: [String: String] = [:]
            let groups = hostGroups(network)
            let packed = Set(groups.flatMap { $0.nodes.map(\.name) })
            for (host, nodes) in groups {
                try step { () throws in
                    var list = "# rump_host kernels of lab \(topology.name), written by rumpnet-lab up\n"
                    for n in nodes {
                        let url = state.rumpServer(node: n.name)
                        if url.contains(" ") || url.contains("#") { throw LabError("node \(n.name): \(url): a packed node's socket path cannot hold spaces or '#'") }
                        list += (n.components.map { "-l" + $0.rawValue } + [url]).joined(separator: " ") + "\n"
                        LabProcessRecord.writeAtomically(state.hostPath(node: n.name), host + "\n")
                        symlink(host + ".log", state.logPath(node: n.name))
                    }
                    LabProcessRecord.writeAtomically(state.kernelListPath(host: host), list)
                    let pid = try HostProcess.spawnDetached(binDirectory + "/rump_host", [state.kernelListPath(host: host)],
                                                            log: state.nodesDirectory + "/" + host + ".log")
                    starters[host] = pid
                    probes[host] = nodes[0].name
                    LabProcessRecord.write(name: host, pid: pid, in: state.nodesDirectory)
                }
            }
            for n in topology.nodes where n.kind == .rump && !packed.contains(n.name) {
                let libs = n.components.map { "-l" + $0.rawValue }
                try step { () throws in
                    let spawn = { () throws(LabError) -> pid_t in
                        try HostProcess.spawnDetached(server, libs + [state.rumpServer(node: n.name)], log: state.logPath(node: n.name))
                    }
                    // A kernel with virt interfaces opens its taps where it runs: in the lab's namespace.
                    let pid = network.startsInLabNamespace(n)
                        ? try NetNamespace.run(inside: NetNamespace.path(network.labNamespace)) { try spawn() }
                        : try spawn()
                    starters[n.name] = pid
                    LabProcessRecord.write(name: n.name, pid: pid, in: state.nodesDirectory)
                }
            }
            progress(groups.isEmpty ? "started \(starters.count) kernel servers"
                     : "started \(starters.count - groups.count) kernel servers and \(groups.count) kernel hosts of \(packed.count) kernels")
            pids = try waitListening(starters: starters, probes: probes, deadline: t0 + timeout, step: step)
            for (host, nodes) in groups {
                guard let pid = pids[host] else { continue }
                try step { () throws in for n in nodes { LabProcessRecord.write(name: n.name, pid: pid, in: state.nodesDirectory) } }
            }
            progress("\(pids.count)/\(pids.count) listening after \(Self.seconds(HostProcess.now() - t0, decimals: 3)) s")
            // Every node is configured over its own connection, eight at a time.
            let rumpNodes = topology.nodes.filter { $0.kind == .rump }
            let (st, topo) = (state, topology)
            let outcomes = Parallel.map(rumpNodes.count) { i in
                Result<Void, Error> { try LabRunner.configure(rumpNodes[i], state: st, topology: topo) }
            }
            for (n, r) in zip(rumpNodes, outcomes) {
                try r.get()
                try network.attachTaps(of: n)
            }
            // Each linux node (namespace, interfaces, tap-bridges) is one step: a signal
            // handler never sees half a namespace, nor one made after its cleanup.
            let startTapBridge: LabNetwork.TapBridgeStarter = { name, bus, tap, ns in
                try self.startTapBridge(name: name, bus: bus, tap: tap, namespace: ns, deadline: t0 + timeout)
            }
            for n in topology.nodes where n.kind == .linux {
                try step { () throws in try network.setUp(linuxNode: n, startTapBridge: startTapBridge) }
            }
            for b in topology.buses where b.host != nil {
                try step { () throws in try network.setUp(hostAttachmentOf: b, startTapBridge: startTapBridge) }
            }
            try waitForDAD(deadline: max(t0 + timeout, HostProcess.now() + Self.dadTimeout))
            progress("configured \(topology.nodes.count) nodes after \(Self.seconds(HostProcess.now() - t0, decimals: 3)) s")
        } catch {
            step { for (_, pid) in pids { kill(pid, SIGKILL) } }
            throw error
        }
        return HostProcess.now() - t0
    }

    /// Starts `rumpnet-lab tap-bridge` (recorded as nodes/NAME.pid) and waits until it says
    /// its tap exists, or reports why it did not start with the end of its log.
    func startTapBridge(name: String, bus: String, tap: String, namespace: String?, deadline: Double) throws {
        let log = state.nodesDirectory + "/" + name + ".log"
        var args = ["tap-bridge", "--state", state.root, "--bus", bus, "--tap", tap]
        if let namespace { args += ["--netns", namespace] }
        let pid = try HostProcess.spawnDetached(binDirectory + "/rumpnet-lab", args, log: log)
        LabProcessRecord.write(name: name, pid: pid, in: state.nodesDirectory)
        let limit = max(deadline, HostProcess.now() + 5)
        while true {
            if tail(log).contains(TapBridge.readyLine) { return }
            var status: Int32 = 0
            let exited = waitpid(pid, &status, WNOHANG) == pid
            if exited || HostProcess.now() > limit {
                kill(pid, SIGKILL)
                let how = exited ? "exited with status \((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f))" : "not ready in time"
                throw LabError("tap-bridge \(tap) on \(bus) did not start (\(how)); see \(log):\n\(tail(log))")
            }
            usleep(2000)
        }
    }

    /// A bus file of the lab: created 0600 (only the lab's owner may read or join the bus),
    /// then initialised by attaching. An existing file (a bus with a fixed path) keeps its mode.
    func createBus(_ bus: Bus) throws {
        let path = state.busPath(bus)
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd >= 0 {
            fchmod(fd, 0o600)  // the umask cannot widen it, but be explicit
            close(fd)
        } else if errno != EEXIST {
            throw LabError("bus \(bus.name): \(path): \(String(cString: strerror(errno)))")
        }
        do { _ = try ShmifBus.attach(path: path) } catch { throw LabError("bus \(bus.name): \(error)") }
    }

    /// Every shmif interface's kernel holds an inotify instance to be woken by its bus, and
    /// Linux allows 128 per user by default. As root, raise fs.inotify.max_user_instances for
    /// a lab that needs more (and say so); otherwise interfaces past the limit poll their bus
    /// every 5 ms instead (BusWatch), which works, with a little latency.
    func raiseInotifyLimitIfNeeded() {
        let path = "/proc/sys/fs/inotify/max_user_instances"
        // A packed node's interfaces share their host loops' instances (one per loop).
        let packed = Set(hostGroups(LabNetwork(state: state, topology: topology)).flatMap { $0.nodes.map(\.name) })
        let needed = topology.nodes.filter { !packed.contains($0.name) }.reduce(0) { $0 + $1.interfaces.count } + 128
            + (packed.isEmpty ? 0 : 64)
        guard let f = fopen(path, "r") else { return }
        var buf = [UInt8](repeating: 0, count: 32)
        let n = fread(&buf, 1, buf.count, f)
        fclose(f)
        guard let limit = Int(String(decoding: buf[..<n], as: UTF8.self).trimmingCharacters(in: " \n")), limit < needed else { return }
        let target = (needed + 1023) / 1024 * 1024
        if geteuid() == 0, let w = fopen(path, "w") {
            fputs("\(target)\n", w)
            fclose(w)
            progress("raised fs.inotify.max_user_instances from \(limit) to \(target) (one per interface)")
        } else {
            progress("fs.inotify.max_user_instances is \(limit); interfaces past it poll their bus every 5 ms")
        }
    }

    /// Waits for every starter (a daemonising rump_server's parent) to exit: 0 means its
    /// kernel listens. Returns each kernel's pid (from the protocol's server hello), recorded
    /// in its pid file as soon as it is known.
    func waitListening(starters: [String: pid_t], probes: [String: String] = [:], deadline: Double, step: (() throws -> Void) throws -> Void) throws -> [String: pid_t] {
        var waiting = starters
        var pids: [String: pid_t] = [:]
        while !waiting.isEmpty {
            try step {
                for (n, starter) in waiting.sorted(by: { $0.key < $1.key }) {
                    var status: Int32 = 0
                    let r = waitpid(starter, &status, WNOHANG)
                    if r == 0 { continue }
                    waiting[n] = nil
                    let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                    // A kernel host says hello through one of its kernels.
                    guard r == starter, exitStatus == 0,
                          let hello = try? RumpClient(url: .unix(path: state.socketPath(node: probes[n] ?? n)), clientName: "rumpnet-lab",
                                                      timeout: Self.configurationTimeout).server else {
                        for (_, pid) in pids { kill(pid, SIGKILL) }
                        for (_, s) in waiting { kill(s, SIGKILL) }
                        let log = probes[n] != nil ? state.nodesDirectory + "/" + n + ".log" : state.logPath(node: n)
                        throw LabError("\(probes[n] != nil ? "kernel host" : "node") \(n): \(probes[n] != nil ? "rump_host" : "rump_server") did not start (status \(exitStatus)); see \(log):\n\(tail(log))")
                    }
                    pids[n] = hello.serverPID
                    LabProcessRecord.write(name: n, pid: hello.serverPID, in: state.nodesDirectory)
                }
                if !waiting.isEmpty && HostProcess.now() > deadline {
                    for (_, s) in waiting { kill(s, SIGKILL) }
                    throw LabError("timed out waiting for \(waiting.keys.sorted().joined(separator: ", ")) to listen")
                }
            }
            if !waiting.isEmpty { usleep(1000) }
        }
        return pids
    }

    func tail(_ path: String) -> String {
        guard let f = fopen(path, "r") else { return "" }
        defer { fclose(f) }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = fread(&buf, 1, buf.count, f)
        return String(decoding: buf[..<n], as: UTF8.self)
    }

    static func sockaddr(_ a: IPv4Address) -> SocketAddress { .inet(a) }

    /// Hostname, sysctls, interfaces (create, linkstr, mtu, addresses, up), routes: all
    /// through the protocol, as the utilities would do it.
    func configure(_ n: Node) throws { try Self.configure(n, state: state, topology: topology) }

    static func configure(_ n: Node, state: LabState, topology: Topology) throws {
        let client: RumpClient
        let url = state.rumpServer(node: n.name)
        do { client = try RumpClient(url: .unix(path: state.socketPath(node: n.name)), clientName: "rumpnet-lab", timeout: Self.configurationTimeout) } catch {
            throw LabError("node \(n.name) (\(url)): \(error)")
        }
        func call(_ what: String, _ r: Request) throws {
            do { _ = try client.call(r) } catch {
                if case .transport(let t) = error { throw LabError("node \(n.name) (\(url)): \(what): \(t)") }
                throw LabError("node \(n.name): \(what): \(error.errno.strerror)")
            }
        }
        for s in n.sysctls {
            try call("sysctl \(s.name)=\(s.value)", .sysctlSet(name: s.name, value: s.value.description))
        }
        let network = LabNetwork(state: state, topology: topology)
        for i in n.interfaces {
            guard let bus = topology.bus(named: i.bus) else { continue }
            try call("ifconfig \(i.name) create", .ifCreate(name: i.name))
            // A virt interface's linkstr names its host tap (NetBSD virtif); a shmif one its bus file.
            let linkstr = bus.kind == .tap ? network.port(node: n, interface: i) : state.busPath(bus)
            try call("ifconfig \(i.name) linkstr \(linkstr)", .ifSetLinkstr(name: i.name, linkstr: linkstr))
            if i.mtu != 1500 { try call("ifconfig \(i.name) mtu \(i.mtu)", .ifSetMTU(name: i.name, mtu: UInt32(i.mtu))) }
            for (k, a) in i.addresses.enumerated() {
                let ia = InterfaceAddress(address: Self.sockaddr(a.address), netmask: Self.sockaddr(a.netmask))
                try call("ifconfig \(i.name) inet \(a)", .ifAddAddress(name: i.name, address: ia, alias: k > 0))
            }
            for a in i.addresses6 {
                let ia = InterfaceAddress(address: .inet6(a.address), netmask: .inet6(a.mask))
                try call("ifconfig \(i.name) inet6 \(a)", .ifAddAddress(name: i.name, address: ia, alias: true))
            }
            if i.up {
                try call("ifconfig \(i.name) up", .ifSetFlags(name: i.name, set: IFF.UP, clear: 0))
            } else {
                try call("ifconfig \(i.name) down", .ifSetFlags(name: i.name, set: 0, clear: IFF.UP))
            }
            if let words = i.impair {
                try call("impair \(i.name) \(words)", .ifSetImpairment(name: i.name, words: words.split(separator: " ").map(String.init)))
            }
        }
        for r in n.routes {
            let entry = RouteEntry(destination: Self.sockaddr(r.destination.address),
                                   netmask: r.destination.length == 32 ? nil : Self.sockaddr(r.destination.netmask),
                                   gateway: Self.sockaddr(r.gateway), flags: 0x803, interface: "")
            try call("route add \(r.isDefault ? "default" : r.destination.description) \(r.gateway)", .routeAdd(entry))
        }
        try configureRoutes6(n, client: client, call: call)
    }

    /// Starts `rumpnet-lab keep-awake --cpu N` for every online CPU, detached, with its pid
    /// in nodes/ under a name no node can have (`_keep-awake-N.pid`), so `down` stops it too.
    public func keepCPUsAwake() throws {
        let cpus = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        for cpu in 0..<cpus {
            let pid = try HostProcess.spawnDetached(binDirectory + "/rumpnet-lab", ["keep-awake", "--cpu", String(cpu)],
                                                    log: state.nodesDirectory + "/_keep-awake-\(cpu).log")
            LabProcessRecord.write(name: "_keep-awake-\(cpu)", pid: pid, in: state.nodesDirectory)
        }
        progress("keeping \(cpus) CPUs awake")
    }

    // MARK: checks

    /// Runs every check at once (one client and one raw socket each, driven together), so
    /// the checks take as long as the slowest of them.
    public func runChecks() -> [CheckResult] {
        var results: [CheckResult] = []
        var sessions: [(Int, EchoSession)] = []
        var linuxPings: [(Int, LinuxPing)] = []
        for (k, check) in topology.checks.enumerated() {
            guard let (target, zone) = topology.target(of: check) else {
                results.append(CheckResult(check: check, target: nil, probe: nil, passed: false, error: "no address to ping"))
                continue
            }
            if let dead = Self.deadReason(state: state, node: check.from) {
                results.append(CheckResult(check: check, target: target, probe: nil, passed: false, error: dead))
                continue
            }
            if topology.node(named: check.from)?.kind == .linux {
                // Linux's own ping, inside the node's namespace.
                do {
                    let ns = LabNetwork(state: state, topology: topology).namespace(of: check.from)
                    linuxPings.append((results.count, try LinuxPing(namespace: ns, target: target, zone: zone, count: check.count, timeout: check.timeout,
                                                                    output: state.nodesDirectory + "/_check-\(getpid())-\(k).out")))
                    results.append(CheckResult(check: check, target: target, probe: nil, passed: false, error: nil))
                } catch {
                    results.append(CheckResult(check: check, target: target, probe: nil, passed: false, error: "\(error)"))
                }
                continue
            }
            do {
                let client = try RumpClient(url: .unix(path: state.socketPath(node: check.from)), clientName: "rumpnet-lab",
                                            timeout: Self.configurationTimeout)
                let ident = UInt16(truncatingIfNeeded: Int(getpid()) &* 31 &+ k)
                let scope = try zone.map { z throws -> UInt32 in try Self.interfaceIndex(client, z, node: check.from) } ?? 0
                sessions.append((results.count, try EchoSession(client: client, target: target, scopeID: scope, count: check.count,
                                                                timeout: Double(check.timeout), ident: ident)))
                results.append(CheckResult(check: check, target: target, probe: nil, passed: false, error: nil))
            } catch {
                results.append(CheckResult(check: check, target: target, probe: nil, passed: false, error: "\(error)"))
            }
        }
        EchoSession.runAll(sessions.map(\.1))
        for (i, s) in sessions {
            let r = s.result
            results[i].probe = .init(sent: r.sent, received: r.received, rtts: r.rtts)
            results[i].passed = (r.received > 0) == (results[i].check.expect == .success)
        }
        for (i, p) in linuxPings {
            switch p.wait() {
            case .success(let r):
                results[i].probe = r
                results[i].passed = (r.received > 0) == (results[i].check.expect == .success)
            case .failure(let e): results[i].error = e.description
            }
        }
        return results
    }

    // MARK: status

    /// The live kernel of `node`: its recorded pid if that is still its kernel, else one
    /// found in /proc by its arguments (an `up` killed before recording it).
    public static func kernel(state: LabState, node: String) -> HostProcessInfo? {
        if let r = LabProcessRecord.read(name: node, in: state.nodesDirectory), case .ours(let i) = LabProcesses.verify(r, state: state) {
            return i
        }
        return LabProcesses.kernels(of: state).first { $0.node == node }?.process
    }

    /// Nil if the node's kernel runs; else why not, naming the node ("node b of lab
    /// quickstart is dead: pid 1234 has exited").
    public static func deadReason(state: LabState, node: String) -> String? {
        if let t = TopologyLoader.load(file: state.topologyFile).topology, let n = t.node(named: node), n.kind == .linux {
            return linuxDeadReason(state: state, topology: t, node: n)
        }
        if kernel(state: state, node: node) != nil { return nil }
        let r = LabProcessRecord.read(name: node, in: state.nodesDirectory)
        let why: String
        switch r.map({ LabProcesses.verify($0, state: state) }) {
        case nil: why = "no pid file"
        case .gone? where HostProcessInfo.read(r!.pid).map({ LabProcesses.host(of: $0.arguments, state: state) != nil }) == true:
            why = "its kernel halted; host \(LabProcesses.hostOf(node: node, state: state) ?? "?") (pid \(r!.pid)) serves the others"
        case .gone?: why = "pid \(r!.pid) has exited"
        case .other(let i)?: why = "pid \(r!.pid) is now another process (\(i.arguments.joined(separator: " ")))"
        case .ours?: return nil
        }
        return "node \(node) of lab \(state.lab) is dead (\(why)); see \(state.logPath(node: node))"
    }

    /// Nil if a linux node's namespace exists and the tap-bridge of each shmif interface runs.
    static func linuxDeadReason(state: LabState, topology: Topology, node n: Node) -> String? {
        let ns = LabNetwork(state: state, topology: topology).namespace(of: n.name)
        guard NetNamespace.exists(ns) else { return "node \(n.name) of lab \(state.lab) is dead (its network namespace \(ns) is gone)" }
        for i in n.interfaces where topology.bus(named: i.bus)?.kind == .shmif {
            let name = "_tap-\(n.name)-\(i.name)"
            let r = LabProcessRecord.read(name: name, in: state.nodesDirectory)
            guard let r, case .ours = LabProcesses.verify(r, state: state) else {
                return "node \(n.name) of lab \(state.lab) is dead (the tap-bridge of \(i.name) is not running; see \(state.nodesDirectory)/\(name).log)"
            }
        }
        return nil
    }

    /// One line per host interface that is not there (its tap-bridge died, someone deleted it).
    public static func hostAttachmentProblems(state: LabState, topology: Topology) -> [String] {
        topology.buses.compactMap { b in
            guard let h = b.host else { return nil }
            if if_nametoindex(h.tap) == 0 { return "host interface \(h.tap) of bus \(b.name) is missing" }
            if b.kind == .shmif {
                let r = LabProcessRecord.read(name: "_tap-host-\(b.name)", in: state.nodesDirectory)
                guard let r, case .ours = LabProcesses.verify(r, state: state) else {
                    return "host tap \(h.tap) of bus \(b.name): its tap-bridge is not running; see \(state.nodesDirectory)/_tap-host-\(b.name).log"
                }
            }
            return nil
        }
    }

    public static func status(state: LabState, topology: Topology, timeout: Double = controlTimeout) -> [NodeStatus] {
        // Each node over its own connection, eight at a time (a thousand-node lab).
        let nodes = topology.nodes
        return Parallel.map(nodes.count) { i in nodeStatus(state: state, topology: topology, node: nodes[i], timeout: timeout) }
    }

    static func nodeStatus(state: LabState, topology: Topology, node n: Node, timeout: Double) -> NodeStatus {
        do {
            if n.kind == .linux {
                let network = LabNetwork(state: state, topology: topology)
                var st = NodeStatus(node: n.name, pid: nil, rumpServer: "netns " + network.namespace(of: n.name), state: .running, interfaces: [])
                if let dead = linuxDeadReason(state: state, topology: topology, node: n) {
                    st.state = .dead
                    st.detail = dead
                } else if let list = network.interfaces(ofLinuxNode: n.name) {
                    st.interfaces = list
                } else {
                    st.state = .unreachable
                    st.detail = "node \(n.name): `ip -n \(network.namespace(of: n.name)) addr show` failed"
                }
                return st
            }
            let recorded = LabProcessRecord.read(name: n.name, in: state.nodesDirectory)
            let kernel = kernel(state: state, node: n.name)
            var st = NodeStatus(node: n.name, pid: kernel?.pid ?? recorded?.pid, rumpServer: state.rumpServer(node: n.name),
                                state: kernel == nil ? .dead : .running, interfaces: [])
            st.host = LabProcesses.hostOf(node: n.name, state: state)
            guard let kernel else {
                st.detail = deadReason(state: state, node: n.name)
                return st
            }
            let url = state.rumpServer(node: n.name)
            do {
                let c = try RumpClient(url: .unix(path: state.socketPath(node: n.name)), clientName: "rumpnet-lab", timeout: timeout)
                guard case .interfaces(let list) = try c.call(.ifList) else { throw ClientError.transport("unexpected reply") }
                st.interfaces = list
            } catch let e as ClientError {
                st.state = Self.isTimeout(e) ? .notAnswering : .unreachable
                st.detail = "node \(n.name) (\(url)): \(e)" + (kernel.isStopped ? " (the process is stopped: SIGSTOP?)" : "")
            } catch let e as CallError {
                if case .transport(let t) = e {
                    st.state = Self.isTimeout(t) ? .notAnswering : .unreachable
                    st.detail = "node \(n.name) (\(url)): \(t)" + (kernel.isStopped ? " (the process is stopped: SIGSTOP?)" : "")
                } else {
                    st.state = .unreachable
                    st.detail = "node \(n.name): \(e.errno.strerror)"
                }
            } catch {
                st.state = .unreachable
                st.detail = "node \(n.name): \(error)"
            }
            return st
        }
    }

    static func isTimeout(_ e: ClientError) -> Bool {
        if case .timedOut = e { return true }
        return false
    }

    /// True if any process of the lab is alive: a recorded one that is still ours, or a
    /// rump_server of the lab found in /proc.
    public static func running(state: LabState) -> Bool {
        for r in LabProcessRecord.all(in: state.nodesDirectory) {
            if case .ours = LabProcesses.verify(r, state: state) { return true }
        }
        // A lab of linux nodes on a tap bus has no process: its namespaces are what runs.
        return !LabProcesses.kernels(of: state).isEmpty || !LabProcesses.tapBridges(of: state).isEmpty || !LabProcesses.hosts(of: state).isEmpty
            || LabNetwork.namespaces(of: state).contains(where: NetNamespace.exists)
    }

    // MARK: down

    /// What `down` did.
    public struct DownReport: Sendable {
        /// Nodes (and helpers) that did not halt when asked and had to be signalled.
        public var killed: [String] = []
        /// Pid files naming a process that is not the lab's (left alone), one line each.
        public var notOurs: [String] = []
        /// Namespaces that could not be deleted, one line each.
        public var networkProblems: [String] = []
    }

    /// Halts every node (a halt request, then SIGTERM, then SIGKILL for stragglers), and
    /// removes the state directory; with `keepBuses`, the bus files stay in buses/.
    /// Returns the nodes that had to be killed.
    @discardableResult
    public static func down(state: LabState, keepBuses: Bool, timeout: Double = 3) -> [String] {
        takeDown(state: state, keepBuses: keepBuses, timeout: timeout).killed
    }

    /// `down`'s guarantee (docs/TOPOLOGY.md): every process of the lab is found — from its
    /// pid file if that still names it (same start time, same arguments), and by scanning
    /// /proc for rump_servers started on the lab's sockets, which also finds kernels an
    /// interrupted `up` never recorded — and stopped: a halt request (each connection with
    /// a short timeout), SIGTERM with SIGCONT (a stopped process only acts on signals once
    /// continued) after `timeout` seconds, SIGKILL one second later. A pid file naming
    /// another process is reported, and that process left alone. The caller holds the lock.
    public static func takeDown(state: LabState, keepBuses: Bool, timeout: Double = 3) -> DownReport {
        var report = DownReport()
        var targets: [pid_t: (name: String, info: HostProcessInfo)] = [:]
        for r in LabProcessRecord.all(in: state.nodesDirectory) {
            switch LabProcesses.verify(r, state: state) {
            // A packed node's record names its host, which is stopped as one (SIGTERM halts all its kernels).
            case .ours(let i): targets[r.pid] = (LabProcesses.host(of: i.arguments, state: state) ?? r.name, i)
            case .other(let i):
                report.notOurs.append("nodes/\(r.name).pid: pid \(r.pid) is not \(r.name.hasPrefix("_") ? "the lab's \(r.name)" : "node \(r.name)'s kernel")"
                    + " (it is `\(i.arguments.joined(separator: " "))`); left alone")
            case .gone: break
            }
        }
        var askedToHalt = Set<pid_t>()
        for round in 0..<10 {
            // Liveness first, then the scan: a starter forks its kernel before it exits, so a
            // kernel forked by a process seen dead here is already visible to the scan below.
            // (Scanning first would miss a kernel forked between the scan and the check.)
            var alive = targets.filter { isStill($0.value.info) }
            for (node, info) in LabProcesses.kernels(of: state) where alive[info.pid] == nil {
                targets[info.pid] = (node, info)
                alive[info.pid] = (node, info)
            }
            for (host, info) in LabProcesses.hosts(of: state) where alive[info.pid] == nil {
                targets[info.pid] = (host, info)
                alive[info.pid] = (host, info)
            }
            for info in LabProcesses.tapBridges(of: state) where alive[info.pid] == nil {
                targets[info.pid] = ("_tap-bridge", info)
                alive[info.pid] = ("_tap-bridge", info)
            }
            if alive.isEmpty { break }
            if round == 0 {
                askedToHalt = Set(alive.keys)
                for (pid, t) in alive {
                    if t.name.hasPrefix("_") || t.info.isStopped || !askToHalt(state: state, node: t.name) { kill(pid, SIGTERM); kill(pid, SIGCONT) }
                }
                waitGone(Array(alive.values.map(\.info)), seconds: timeout)
            } else {
                // Newly found (a starter forked meanwhile) or did not halt: terminate, then kill.
                for (pid, t) in alive {
                    if askedToHalt.contains(pid) { report.killed.append(t.name) }
                    kill(pid, SIGTERM)
                    kill(pid, SIGCONT)
                }
                waitGone(Array(alive.values.map(\.info)), seconds: 1)
                for (pid, t) in alive where isStill(t.info) { kill(pid, SIGKILL) }
                waitGone(Array(alive.values.map(\.info)), seconds: 5)
            }
        }
        for (pid, _) in targets { HostProcess.reapIfChild(pid) }
        // Only now: a namespace whose taps a live process holds would outlive its name.
        report.networkProblems = LabNetwork.removeNamespaces(of: state)
        if keepBuses {
            HostProcess.removeTree(state.nodesDirectory)
            unlink(state.topologyFile)
        } else {
            HostProcess.removeTree(state.root)
        }
        report.killed = Array(Set(report.killed)).sorted()
        return report
    }

    /// A halt request over the node's socket; false if it could not be sent.
    static func askToHalt(state: LabState, node: String) -> Bool {
        guard let c = try? RumpClient(url: .unix(path: state.socketPath(node: node)), clientName: "rumpnet-lab", timeout: 1) else { return false }
        return (try? c.send(.halt(flags: 0))) != nil
    }

    /// The same process (pid and start time), still alive.
    static func isStill(_ p: HostProcessInfo) -> Bool {
        guard let now = HostProcessInfo.read(p.pid) else { return false }
        return !now.isZombie && now.startTime == p.startTime
    }

    static func waitGone(_ ps: [HostProcessInfo], seconds: Double) {
        let deadline = HostProcess.now() + seconds
        while ps.contains(where: isStill) && HostProcess.now() < deadline { usleep(2000) }
    }

    /// Seconds with a fixed number of decimals ("0.03"), for progress and summaries.
    public static func seconds(_ s: Double, decimals: Int = 2) -> String {
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        let t = Int((s * Double(scale)).rounded())
        let frac = String(t % scale)
        return decimals == 0 ? "\(t)" : "\(t / scale).\(String(repeating: "0", count: decimals - frac.count))\(frac)"
    }
}
