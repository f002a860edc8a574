#if canImport(Glibc)
import Glibc
#endif

/// What /proc says about a host process, to tell a lab's kernel from whatever process got
/// its pid later (docs/TOPOLOGY.md, "What down guarantees"): its start time (field 22 of
/// /proc/PID/stat, clock ticks after boot: a reused pid has a later one), its state letter
/// and its argument vector.
public struct HostProcessInfo: Sendable, Equatable {
    public var pid: pid_t
    /// Ticks after boot at which the process started.
    public var startTime: UInt64
    /// R, S, D, T (stopped), t (traced), Z (zombie), X...
    public var state: Character
    public var arguments: [String]

    public var isStopped: Bool { state == "T" || state == "t" }
    public var isZombie: Bool { state == "Z" || state == "X" }

    /// Reads /proc/PID/stat and /proc/PID/cmdline; nil if the process is gone.
    public static func read(_ pid: pid_t) -> HostProcessInfo? {
        guard pid > 0, let stat = readSmallFile("/proc/\(pid)/stat") else { return nil }
        // "pid (comm) S ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
        // fields[0] is the state (field 3); the start time is field 22, fields[19].
        guard fields.count > 19, let s = fields[0].first,
              let start = UInt64(String(decoding: fields[19], as: UTF8.self)) else { return nil }
        let cmd = readSmallFile("/proc/\(pid)/cmdline") ?? []
        let args = cmd.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        return HostProcessInfo(pid: pid, startTime: start, state: Character(Unicode.Scalar(s)),
                               arguments: args.last == "" ? Array(args.dropLast()) : args)
    }

    /// Every live process (zombies excluded) whose arguments satisfy `matches`.
    public static func all(where matches: ([String]) -> Bool) -> [HostProcessInfo] {
        guard let d = opendir("/proc") else { return [] }
        var pids: [pid_t] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let p = pid_t(name) { pids.append(p) }
        }
        closedir(d)
        return pids.compactMap { p in
            guard let i = read(p), !i.isZombie, matches(i.arguments) else { return nil }
            return i
        }
    }

    static func readSmallFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while out.count < 1 << 20 {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }
}

/// A process a lab started, as its state directory records it: `nodes/NAME.pid` (the pid,
/// one decimal line, for scripts) and `nodes/NAME.start` ("PID STARTTIME", the start time
/// from /proc/PID/stat), both written atomically (a temporary file renamed).
public struct LabProcessRecord: Sendable, Equatable {
    public var name: String
    public var pid: pid_t
    public var startTime: UInt64?

    public static func write(name: String, pid: pid_t, in directory: String) {
        if let info = HostProcessInfo.read(pid) {
            writeAtomically(directory + "/" + name + ".start", "\(pid) \(info.startTime)\n")
        }
        writeAtomically(directory + "/" + name + ".pid", "\(pid)\n")
    }

    /// The record of `name` in `directory`, if its pid file is readable.
    public static func read(name: String, in directory: String) -> LabProcessRecord? {
        guard let pid = HostProcess.readPID(directory + "/" + name + ".pid") else { return nil }
        var start: UInt64?
        if let bytes = HostProcessInfo.readSmallFile(directory + "/" + name + ".start") {
            let f = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: " \n").split(separator: " ")
            if f.count == 2, pid_t(f[0]) == pid { start = UInt64(f[1]) }
        }
        return LabProcessRecord(name: name, pid: pid, startTime: start)
    }

    /// Every record in `directory` (names of its .pid files).
    public static func all(in directory: String) -> [LabProcessRecord] {
        guard let d = opendir(directory) else { return [] }
        var names: [String] = []
        while let e = readdir(d) {
            let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if n.hasSuffix(".pid") && !n.hasPrefix(".") { names.append(String(n.dropLast(4))) }
        }
        closedir(d)
        return names.sorted().compactMap { read(name: $0, in: directory) }
    }

    static func writeAtomically(_ path: String, _ text: String) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        rename(tmp, path)
    }
}

/// How a lab's processes are recognised on the host, whatever their pid files say.
public enum LabProcesses {
    /// The URL argument a node's kernel server was started with.
    static func urlPrefix(_ state: LabState) -> String { "unix://" + state.nodesDirectory + "/" }

    /// The node whose kernel server (or its daemonising parent) these arguments start, if
    /// they are a rump_server of this lab: an argument `unix://<nodes>/<node>.sock`.
    static func node(of arguments: [String], state: LabState) -> String? {
        guard let exe = arguments.first, exe.hasSuffix("rump_server") else { return nil }
        let prefix = urlPrefix(state)
        for a in arguments.dropFirst() where a.hasPrefix(prefix) && a.hasSuffix(".sock") {
            let n = a.dropFirst(prefix.count).dropLast(5)
            if !n.contains("/") { return String(n) }
        }
        return nil
    }

    /// The kernel host (`_host-N`) these arguments run, if they are a rump_host of this lab:
    /// its file argument is `<nodes>/_host-N.kernels`.
    static func host(of arguments: [String], state: LabState) -> String? {
        guard let exe = arguments.first, exe.hasSuffix("rump_host"), let last = arguments.last, arguments.count > 1 else { return nil }
        let prefix = state.nodesDirectory + "/"
        guard last.hasPrefix(prefix), last.hasSuffix(".kernels") else { return nil }
        let n = last.dropFirst(prefix.count).dropLast(8)
        return n.hasPrefix("_host-") && !n.contains("/") ? String(n) : nil
    }

    /// The host a packed node's kernel runs in (nodes/NODE.host), if it is packed.
    public static func hostOf(node: String, state: LabState) -> String? {
        guard let b = HostProcessInfo.readSmallFile(state.hostPath(node: node)) else { return nil }
        let s = String(decoding: b, as: UTF8.self).trimmingCharacters(in: " \n")
        return s.isEmpty ? nil : s
    }

    /// Every live kernel host of this lab found in /proc, recorded or not.
    public static func hosts(of state: LabState) -> [(host: String, process: HostProcessInfo)] {
        HostProcessInfo.all { host(of: $0, state: state) != nil }.map { (host(of: $0.arguments, state: state)!, $0) }
    }

    /// Every live rump_server of this lab found in /proc: kernels and starters alike, also
    /// those no pid file names (an `up` killed between starting one and recording it).
    public static func kernels(of state: LabState) -> [(node: String, process: HostProcessInfo)] {
        HostProcessInfo.all { node(of: $0, state: state) != nil }.map { (node(of: $0.arguments, state: state)!, $0) }
    }

    /// Whether these arguments are a `rumpnet-lab tap-bridge --state <this lab's directory> ...`.
    static func isTapBridge(_ arguments: [String], state: LabState) -> Bool {
        guard arguments.count > 3, arguments[0].hasSuffix("rumpnet-lab"), arguments[1] == "tap-bridge",
              let k = arguments.firstIndex(of: "--state"), k + 1 < arguments.count else { return false }
        return arguments[k + 1] == state.root
    }

    /// Every live tap-bridge of this lab found in /proc, recorded or not.
    public static func tapBridges(of state: LabState) -> [HostProcessInfo] {
        HostProcessInfo.all { isTapBridge($0, state: state) }
    }

    /// Whether the recorded process is still the one the lab started: alive, not a zombie,
    /// started when recorded (if the start time was recorded), and for a node, a rump_server
    /// of this node; for a helper (`_keep-awake-N`), a rumpnet-lab keep-awake.
    public static func verify(_ r: LabProcessRecord, state: LabState) -> Verdict {
        guard let info = HostProcessInfo.read(r.pid), !info.isZombie else { return .gone }
        if let t = r.startTime, t != info.startTime { return .other(info) }
        if r.name.hasPrefix("_keep-awake") {
            return info.arguments.contains("keep-awake") ? .ours(info) : .other(info)
        }
        if r.name.hasPrefix("_tap-") {
            return isTapBridge(info.arguments, state: state) ? .ours(info) : .other(info)
        }
        if r.name.hasPrefix("_host-") {
            return host(of: info.arguments, state: state) == r.name ? .ours(info) : .other(info)
        }
        // A packed node: its host runs, and its kernel there still has its socket (a kernel
        // halted alone removed it; the host goes on with the others).
        if let h = host(of: info.arguments, state: state), h == hostOf(node: r.name, state: state) {
            return access(state.socketPath(node: r.name), F_OK) == 0 ? .ours(info) : .gone
        }
        return node(of: info.arguments, state: state) == r.name ? .ours(info) : .other(info)
    }

    public enum Verdict: Sendable, Equatable {
        /// The process the lab started, still running.
        case ours(HostProcessInfo)
        /// The pid now belongs to another process (pid reuse, or a pid file written by hand).
        case other(HostProcessInfo)
        case gone
    }
}
