#if canImport(Glibc)
import Glibc
#endif

/// A short-lived host program run to completion with its output captured: `ip` for the
/// lab's namespaces, bridges and addresses. Standard input is /dev/null; nothing of ours
/// but the two pipes reaches it.
public enum HostCommand {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The first executable `name` in the usual system directories, then PATH.
    public static func find(_ name: String) -> String? {
        var dirs = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        if let p = getenv("PATH") { dirs += String(cString: p).split(separator: ":").map(String.init) }
        for d in dirs where access(d + "/" + name, X_OK) == 0 { return d + "/" + name }
        return nil
    }

    /// Runs `path args` and waits for it. Throws only if it cannot be started.
    public static func run(_ path: String, _ args: [String]) throws(LabError) -> Result {
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard pipe(&out) == 0, pipe(&err) == 0 else {
            throw LabError("cannot run \(path): pipe: \(String(cString: strerror(errno)))")
        }
        // Close-on-exec: only the dup2'd copies reach the child (and no other child of ours).
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        let argv = ([path] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(out[1]); close(err[1])
        guard rc == 0 else {
            close(out[0]); close(err[0])
            throw LabError("cannot run \(path): \(String(cString: strerror(rc)))")
        }
        var bytes: [[UInt8]] = [[], []]
        var fds = [pollfd(fd: out[0], events: Int16(POLLIN), revents: 0), pollfd(fd: err[0], events: Int16(POLLIN), revents: 0)]
        var open = 2
        var buf = [UInt8](repeating: 0, count: 16384)
        while open > 0 {
            if poll(&fds, 2, -1) < 0 { if errno == EINTR { continue }; break }
            for k in 0..<2 where fds[k].fd >= 0 && fds[k].revents != 0 {
                let n = buf.withUnsafeMutableBytes { read(fds[k].fd, $0.baseAddress, $0.count) }
                if n > 0 { bytes[k] += buf[0..<n] } else if n == 0 || errno != EINTR {
                    close(fds[k].fd)
                    fds[k].fd = -1
                    open -= 1
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: code, stdout: String(decoding: bytes[0], as: UTF8.self), stderr: String(decoding: bytes[1], as: UTF8.self))
    }
}
