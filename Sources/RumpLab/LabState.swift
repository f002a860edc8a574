#if canImport(Glibc)
import Glibc
#endif

/// Where a running lab keeps its files (docs/TOPOLOGY.md, "State directory"):
///
///     <base>/<lab>/                  mode 0700
///         topology.json              the topology as `up` read it
///         buses/<bus>.bus            bus files (unless the bus has a fixed path)
///         nodes/<node>.sock          the kernel server's RUMP_SERVER socket
///         nodes/<node>.pid           its pid, one decimal line
///         nodes/<node>.log           its standard output and error
///
/// `<base>` is /run/rumpnet-lab for root, else $XDG_RUNTIME_DIR/rumpnet-lab, else
/// /tmp/rumpnet-lab-<uid>; $RUMPNET_LAB_STATE overrides it (tests use that).
public struct LabState: Sendable, Equatable {
    public let lab: String
    /// The state directory of this lab.
    public let root: String

    /// sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
    public static let maximumSocketPathBytes = 107

    public struct PathError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(lab: String, base: String = LabState.defaultBase()) throws(PathError) {
        guard isSafeName(lab) else { throw PathError(description: "unsafe lab name \"\(lab)\"") }
        self.lab = lab
        var b = base
        while b.count > 1 && b.hasSuffix("/") { b.removeLast() }
        self.root = b + "/" + lab
    }

    /// The directory holding every lab's state directory, for this user.
    public static func defaultBase(environment: [String: String] = LabState.processEnvironment(), uid: UInt32 = getuid()) -> String {
        if let e = environment["RUMPNET_LAB_STATE"], e.hasPrefix("/") { return e }
        if uid == 0 { return "/run/rumpnet-lab" }
        if let x = environment["XDG_RUNTIME_DIR"], x.hasPrefix("/") { return x + "/rumpnet-lab" }
        return "/tmp/rumpnet-lab-\(uid)"
    }

    public static func processEnvironment() -> [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { out[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return out
    }

    public var topologyFile: String { root + "/topology.json" }
    public var busesDirectory: String { root + "/buses" }
    public var nodesDirectory: String { root + "/nodes" }

    /// The bus file of a bus declared in the topology: its fixed path, or buses/<name>.bus.
    public func busPath(_ bus: Bus) -> String { bus.path ?? busPath(named: bus.name) }
    public func busPath(named name: String) -> String { busesDirectory + "/" + name + ".bus" }
    public func socketPath(node: String) -> String { nodesDirectory + "/" + node + ".sock" }
    public func pidPath(node: String) -> String { nodesDirectory + "/" + node + ".pid" }
    public func logPath(node: String) -> String { nodesDirectory + "/" + node + ".log" }
    /// A packed lab's kernel host `_host-N`: its list of kernels (rump_host's file argument).
    public func kernelListPath(host: String) -> String { nodesDirectory + "/" + host + ".kernels" }
    /// `nodes/NODE.host`: the host a packed node's kernel runs in ("_host-N").
    public func hostPath(node: String) -> String { nodesDirectory + "/" + node + ".host" }
    /// What RumpClient is given for the node (the RUMP_SERVER variable).
    public func rumpServer(node: String) -> String { "unix://" + socketPath(node: node) }

    /// Socket paths too long for sockaddr_un, one message each (names are up to 63 bytes,
    /// so a deep base directory and long names together can overflow it).
    public func socketPathProblems(_ topology: Topology) -> [String] {
        topology.nodes.compactMap { n in
            let p = socketPath(node: n.name)
            return p.utf8.count > Self.maximumSocketPathBytes
                ? "nodes.\(n.name): socket path \(p) is longer than \(Self.maximumSocketPathBytes) bytes" : nil
        }
    }

    /// The directory holding every lab's state directory (and their lock files).
    public var base: String { String(root[..<root.lastIndex(of: "/")!]) }

    /// Creates the base directory if needed (its parents 0755, itself 0700) and checks that
    /// it can be trusted (`checkTrusted`).
    public func prepareBase() throws(PathError) {
        if base.isEmpty { return }
        try Self.makeDirectory(parentOf: base)
        if mkdir(base, 0o700) == 0 { chmod(base, 0o700) }
        try Self.checkTrusted(base, what: "state base directory")
    }

    /// Creates the state directory (0700) with buses/ and nodes/ (0700). An existing
    /// directory is reused only if it is a directory owned by us.
    public func create() throws(PathError) {
        try prepareBase()
        for d in [root, busesDirectory, nodesDirectory] { try Self.makeDirectory(d, mode: 0o700) }
        try Self.checkTrusted(root, what: "state directory")
    }

    /// Refuses the base and lab directories if another user could change them: not owned
    /// by the caller, or writable by group or others (as ssh's StrictModes does). Such a
    /// directory lets its owner swap sockets and bus files under the lab, or read them.
    public func checkTrusted() throws(PathError) {
        try Self.checkTrusted(base, what: "state base directory")
        if exists { try Self.checkTrusted(root, what: "state directory") }
    }

    static func checkTrusted(_ path: String, what: String) throws(PathError) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }  // nothing there yet: nothing to trust
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw PathError(description: "\(what) \(path): not a directory (a symbolic link or a file); refusing it")
        }
        let me = getuid()
        if st.st_uid != me {
            throw PathError(description: "\(what) \(path) is owned by uid \(st.st_uid), not by you (uid \(me)); refusing it "
                + "(another user could replace the lab's sockets and bus files): remove it or set RUMPNET_LAB_STATE")
        }
        if st.st_mode & 0o022 != 0 {
            let who = st.st_mode & 0o020 != 0 ? (st.st_mode & 0o002 != 0 ? "group and others" : "its group") : "others"
            throw PathError(description: "\(what) \(path) is writable by \(who) (mode 0\(String(st.st_mode & 0o7777, radix: 8))); "
                + "refusing it: `chmod go-w \(path)` or set RUMPNET_LAB_STATE")
        }
    }

    public var exists: Bool {
        var st = stat()
        return stat(root, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The names of the labs that have a state directory under `base`.
    public static func labs(base: String = LabState.defaultBase()) -> [String] {
        guard let d = opendir(base) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if isSafeName(name), (try? LabState(lab: name, base: base))?.exists == true { out.append(name) }
        }
        return out.sorted()
    }

    static func makeDirectory(parentOf path: String) throws(PathError) {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        let parent = String(path[..<slash])
        try makeDirectory(parentOf: parent)
        try makeDirectory(parent, mode: 0o755)
    }

    static func makeDirectory(_ path: String, mode: mode_t) throws(PathError) {
        if mkdir(path, mode) == 0 {
            chmod(path, mode)  // mkdir's mode is filtered by the umask
            return
        }
        guard errno == EEXIST else { throw PathError(description: "\(path): \(String(cString: strerror(errno)))") }
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw PathError(description: "\(path): exists and is not a directory")
        }
        // The lab's own directories must be ours and private; shared parents need not be.
        if mode == 0o700 && st.st_uid != getuid() { throw PathError(description: "\(path): owned by another user") }
    }
}
