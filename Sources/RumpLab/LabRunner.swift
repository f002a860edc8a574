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

    public init(state: LabState, topology: Topology, binDirectory: String) {
        self.state = state
        self.topology = topology
        self.binDirectory = binDirectory
    }

    public enum NodeState: String, Sendable { case running, dead, unreachable }

    public struct NodeStatus: Sendable {
        public var node: String
        public var pid: pid_t?
        public var rumpServer: String
        public var state: NodeState
        public var interfaces: [InterfaceInfo]
    }

    public struct CheckResult: Sendable {
        public var check: Check
        public var target: IPv4?
        public var probe: EchoSession.Result?
        public var passed: Bool
        public var error: String?
    }

    // MARK: up

    /// Starts every node in parallel, waits until each listens (at most `timeout` seconds),
    /// configures them, and returns. On failure the nodes already started are stopped.
    public func up(timeout: Double = 20) throws -> Double {
        let t0 = HostProcess.now()
        if state.exists {
            if LabRunner.running(state: state) {
                throw LabError("lab \(topology.name) is already running (state in \(state.root)); `rumpnet-lab down \(topology.name)` first")
            }
            // What a crashed lab left behind: nothing of it is alive any more.
            HostProcess.removeTree(state.root)
        }
        do { try state.create() } catch { throw LabError(error.description) }
        for p in state.socketPathProblems(topology) { throw LabError(p) }
        try state.saveTopology(topology)

        raiseInotifyLimitIfNeeded()
        for bus in topology.buses {
            do { _ = try ShmifBus.attach(path: state.busPath(bus)) } catch { throw LabError("bus \(bus.name): \(error)") }
        }

        let server = binDirectory + "/rump_server"
        var pids: [String: pid_t] = [:]
        do {
            // Daemonised, as rump_server is by default: each parent exits once its kernel
            // listens (the kernel's pid comes with the protocol's hello), and a forked kernel
            // keeps only the pages it uses (about 9 MB instead of 14 with -s). The log file
            // stays its standard output and error.
            var starters: [String: pid_t] = [:]
            for n in topology.nodes {
                let libs = n.components.map { "-l" + $0.rawValue }
                starters[n.name] = try HostProcess.spawnDetached(server, libs + [state.rumpServer(node: n.name)], log: state.logPath(node: n.name))
            }
            progress("started \(starters.count) kernel servers")
            pids = try waitListening(starters: starters, deadline: t0 + timeout)
            progress("\(pids.count)/\(pids.count) listening after \(Self.seconds(HostProcess.now() - t0, decimals: 3)) s")
            for n in topology.nodes { try configure(n) }
            progress("configured \(topology.nodes.count) nodes after \(Self.seconds(HostProcess.now() - t0, decimals: 3)) s")
        } catch {
            for (_, pid) in pids { kill(pid, SIGKILL) }
            throw error
        }
        return HostProcess.now() - t0
    }

    /// Every shmif interface's kernel holds an inotify instance to be woken by its bus, and
    /// Linux allows 128 per user by default. As root, raise fs.inotify.max_user_instances for
    /// a lab that needs more (and say so); otherwise interfaces past the limit poll their bus
    /// every 5 ms instead (BusWatch), which works, with a little latency.
    func raiseInotifyLimitIfNeeded() {
        let path = "/proc/sys/fs/inotify/max_user_instances"
        let needed = topology.nodes.reduce(0) { $0 + $1.interfaces.count } + 128
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
    /// kernel listens. Returns each kernel's pid (from the protocol's server hello), written
    /// to its pid file as soon as it is known.
    func waitListening(starters: [String: pid_t], deadline: Double) throws -> [String: pid_t] {
        var waiting = starters
        var pids: [String: pid_t] = [:]
        while !waiting.isEmpty {
            for (n, starter) in waiting.sorted(by: { $0.key < $1.key }) {
                var status: Int32 = 0
                let r = waitpid(starter, &status, WNOHANG)
                if r == 0 { continue }
                waiting[n] = nil
                let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                guard r == starter, exitStatus == 0,
                      let hello = try? RumpClient(url: .unix(path: state.socketPath(node: n)), clientName: "rumpnet-lab").server else {
                    for (_, pid) in pids { kill(pid, SIGKILL) }
                    for (_, s) in waiting { kill(s, SIGKILL) }
                    throw LabError("node \(n): rump_server did not start (status \(exitStatus)); see \(state.logPath(node: n)):\n\(tail(state.logPath(node: n)))")
                }
                pids[n] = hello.serverPID
                HostProcess.writePID(hello.serverPID, to: state.pidPath(node: n))
            }
            if waiting.isEmpty { break }
            if HostProcess.now() > deadline {
                for (_, s) in waiting { kill(s, SIGKILL) }
                throw LabError("timed out waiting for \(waiting.keys.sorted().joined(separator: ", ")) to listen")
            }
            usleep(1000)
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

    static func sockaddr(_ a: IPv4) -> SockAddr {
        let v = a.value
        return SockAddr(family: NetBSD.AF_INET, address: [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)])
    }

    /// Hostname, sysctls, interfaces (create, linkstr, mtu, addresses, up), routes: all
    /// through the protocol, as the utilities would do it.
    func configure(_ n: Node) throws {
        let client: RumpClient
        do { client = try RumpClient(url: .unix(path: state.socketPath(node: n.name)), clientName: "rumpnet-lab") } catch {
            throw LabError("node \(n.name): \(error)")
        }
        func call(_ what: String, _ r: Request) throws {
            do { _ = try client.call(r) } catch { throw LabError("node \(n.name): \(what): \(error.errno.strerror)") }
        }
        for s in n.sysctls {
            try call("sysctl \(s.name)=\(s.value)", .sysctlSet(name: s.name, value: s.value.description))
        }
        for i in n.interfaces {
            guard let bus = topology.bus(named: i.bus) else { continue }
            try call("ifconfig \(i.name) create", .ifCreate(name: i.name))
            try call("ifconfig \(i.name) linkstr", .ifSetLinkstr(name: i.name, linkstr: state.busPath(bus)))
            if i.mtu != 1500 { try call("ifconfig \(i.name) mtu \(i.mtu)", .ifSetMTU(name: i.name, mtu: UInt32(i.mtu))) }
            for (k, a) in i.addresses.enumerated() {
                let ia = InterfaceAddress(address: Self.sockaddr(a.address), netmask: Self.sockaddr(IPv4(IPv4.mask(a.length))))
                try call("ifconfig \(i.name) inet \(a)", .ifAddAddress(name: i.name, address: ia, alias: k > 0))
            }
            if i.up {
                try call("ifconfig \(i.name) up", .ifSetFlags(name: i.name, set: IFF.UP, clear: 0))
            } else {
                try call("ifconfig \(i.name) down", .ifSetFlags(name: i.name, set: 0, clear: IFF.UP))
            }
        }
        for r in n.routes {
            let entry = RouteEntry(destination: Self.sockaddr(r.destination.address),
                                   netmask: r.destination.length == 32 ? nil : Self.sockaddr(IPv4(IPv4.mask(r.destination.length))),
                                   gateway: Self.sockaddr(r.gateway), flags: 0x803, interface: "")
            try call("route add \(r.isDefault ? "default" : r.destination.description) \(r.gateway)", .routeAdd(entry))
        }
    }

    /// Starts `rumpnet-lab keep-awake --cpu N` for every online CPU, detached, with its pid
    /// in nodes/ under a name no node can have (`_keep-awake-N.pid`), so `down` stops it too.
    public func keepCPUsAwake() throws {
        let cpus = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        for cpu in 0..<cpus {
            let pid = try HostProcess.spawnDetached(binDirectory + "/rumpnet-lab", ["keep-awake", "--cpu", String(cpu)],
                                                    log: state.nodesDirectory + "/_keep-awake-\(cpu).log")
            HostProcess.writePID(pid, to: state.nodesDirectory + "/_keep-awake-\(cpu).pid")
        }
        progress("keeping \(cpus) CPUs awake")
    }

    // MARK: checks

    /// Runs every check at once (one client and one raw socket each, driven together), so
    /// the checks take as long as the slowest of them.
    public func runChecks() -> [CheckResult] {
        var results: [CheckResult] = []
        var sessions: [(Int, EchoSession)] = []
        for (k, check) in topology.checks.enumerated() {
            guard let target = topology.targetAddress(of: check) else {
                results.append(CheckResult(check: check, target: nil, probe: nil, passed: false, error: "no address to ping"))
                continue
            }
            do {
                let client = try RumpClient(url: .unix(path: state.socketPath(node: check.from)), clientName: "rumpnet-lab")
                let ident = UInt16(truncatingIfNeeded: Int(getpid()) &* 31 &+ k)
                sessions.append((results.count, try EchoSession(client: client, target: target, count: check.count,
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
        return results
    }

    // MARK: status

    public static func status(state: LabState, topology: Topology) -> [NodeStatus] {
        topology.nodes.map { n in
            let pid = HostProcess.readPID(state.pidPath(node: n.name))
            let alive = pid.map(HostProcess.isAlive) ?? false
            var st = NodeStatus(node: n.name, pid: pid, rumpServer: state.rumpServer(node: n.name), state: alive ? .running : .dead, interfaces: [])
            if alive {
                if let c = try? RumpClient(url: .unix(path: state.socketPath(node: n.name)), clientName: "rumpnet-lab"),
                   case .interfaces(let list)? = try? c.call(.ifList) {
                    st.interfaces = list
                } else {
                    st.state = .unreachable
                }
            }
            return st
        }
    }

    /// True if any node of the lab is alive.
    public static func running(state: LabState) -> Bool {
        guard let d = opendir(state.nodesDirectory) else { return false }
        defer { closedir(d) }
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".pid"), let pid = HostProcess.readPID(state.nodesDirectory + "/" + name), HostProcess.isAlive(pid) {
                return true
            }
        }
        return false
    }

    // MARK: down

    /// Halts every node (a halt request, then SIGTERM, then SIGKILL for stragglers), and
    /// removes the state directory; with `keepBuses`, the bus files stay in buses/.
    /// Returns the nodes that had to be killed.
    @discardableResult
    public static func down(state: LabState, keepBuses: Bool, timeout: Double = 3) -> [String] {
        var pids: [String: pid_t] = [:]
        if let d = opendir(state.nodesDirectory) {
            while let e = readdir(d) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name.hasSuffix(".pid"), let pid = HostProcess.readPID(state.nodesDirectory + "/" + name) {
                    pids[String(name.dropLast(4))] = pid
                }
            }
            closedir(d)
        }
        for (node, pid) in pids where HostProcess.isAlive(pid) {
            if let c = try? RumpClient(url: .unix(path: state.socketPath(node: node)), clientName: "rumpnet-lab") {
                try? c.send(.halt(flags: 0))
            } else {
                kill(pid, SIGTERM)
            }
        }
        var killed: [String] = []
        let deadline = HostProcess.now() + timeout
        while pids.values.contains(where: HostProcess.isAlive) && HostProcess.now() < deadline { usleep(2000) }
        for (node, pid) in pids where HostProcess.isAlive(pid) {
            kill(pid, SIGKILL)
            killed.append(node)
        }
        for (_, pid) in pids { HostProcess.reapIfChild(pid) }
        if keepBuses {
            HostProcess.removeTree(state.nodesDirectory)
            unlink(state.topologyFile)
        } else {
            HostProcess.removeTree(state.root)
        }
        return killed.sorted()
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
