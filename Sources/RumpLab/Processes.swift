#if canImport(Glibc)
import Glibc
#endif
import Shmif

/// Host processes for the lab runner: kernel servers started in their own session (so they
/// outlive `up` and a terminal's ^C), with their output in a log file.
public enum HostProcess {
    /// Starts `path args` detached: a new session, default signal handling and an empty
    /// signal mask (a parent such as a test runner may hand down blocked signals), stdin
    /// from /dev/null, stdout and stderr appended to `log`. Returns the pid.
    public static func spawnDetached(_ path: String, _ args: [String], log: String, environment: [String: String]? = nil) throws(LabError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of ours may leak into a kernel that outlives us: an inherited pipe
        // or socket would keep a waiting parent (a shell pipeline, a test) from seeing EOF.
        for fd in openDescriptors() where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        // POSIX_SPAWN_SETSID (glibc 2.26) is 0x80.
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | 0x80))
        let argv = ([path] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { env in env.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { envp?.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = envp == nil
            ? posix_spawn(&pid, path, &actions, &attr, argv, environ)
            : envp!.withUnsafeBufferPointer { posix_spawn(&pid, path, &actions, &attr, argv, UnsafeMutablePointer(mutating: $0.baseAddress)) }
        guard rc == 0 else { throw LabError("cannot start \(path): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// This process's open descriptors that are not close-on-exec.
    static func openDescriptors() -> [Int32] {
        guard let d = opendir("/proc/self/fd") else { return [] }
        var fds: [Int32] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let fd = Int32(name) { fds.append(fd) }
        }
        closedir(d)
        return fds.filter { fd in
            let flags = fcntl(fd, F_GETFD)
            return flags >= 0 && flags & FD_CLOEXEC == 0
        }
    }

    /// True if `pid` is a live process: not gone and not a zombie waiting to be reaped.
    public static func isAlive(_ pid: pid_t) -> Bool { pid > 0 && processExists(pid) }

    /// Reaps `pid` if it is our child and has exited (no zombie left behind).
    public static func reapIfChild(_ pid: pid_t) {
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
    }

    public static func readPID(_ path: String) -> pid_t? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var buf = [UInt8](repeating: 0, count: 32)
        let n = fread(&buf, 1, buf.count, f)
        return pid_t(String(decoding: buf[..<n], as: UTF8.self).trimmingCharacters(in: " \n"))
    }

    public static func writePID(_ pid: pid_t, to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let text = Array("\(pid)\n".utf8)
        _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    /// Monotonic seconds, for timeouts and progress.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Removes a directory tree (the lab's state directory).
    public static func removeTree(_ path: String) {
        guard let d = opendir(path) else { unlink(path); return }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(d)
        for n in names {
            let p = path + "/" + n
            var st = stat()
            if lstat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { removeTree(p) } else { unlink(p) }
        }
        rmdir(path)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }
}

public struct LabError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}

/// `up` declined before it changed anything (the lab runs already, its directory cannot be
/// trusted): there is nothing of this `up` to clean away, and what is there is not its own.
public struct LabRefusal: Error, CustomStringConvertible, Sendable {
    public var description: String
}
