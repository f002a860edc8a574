import Foundation
#if canImport(Glibc)
import Glibc
#endif

// The kernel servers and utilities as real processes: the environment they get, how a test
// starts one by name, and how it checks that a server listens and that a process is gone.

/// This process's environment with RUMP_SERVER set (or removed, for nil), and the built
/// executables first on PATH so utilities started by a shell are ours.
public func rumpEnvironment(server: String?) -> [String: String] {
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "RUMP_SERVER")
    if let server { env["RUMP_SERVER"] = server }
    env["PATH"] = productsDirectory.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
    return env
}

/// `args[0]` is a built executable's name (or an absolute path); with `shell`, the words
/// are one /bin/sh -c command line.
func toolCommand(_ args: [String], shell: Bool) -> (String, [String]) {
    if shell { return ("/bin/sh", ["-c", args.joined(separator: " ")]) }
    return (args[0].hasPrefix("/") ? args[0] : executable(args[0]), Array(args.dropFirst()))
}

/// Runs a built tool against RUMP_SERVER `rumpServer`. Never throws: a spawn failure or a
/// timeout is a result with status -1 and the reason on stderr, for the test to assert on.
public func runTool(_ args: [String], rumpServer: String?, cwd: String? = nil, timeout: TimeInterval = 10,
                    shell: Bool = false) -> ProcessResult {
    let (path, rest) = toolCommand(args, shell: shell)
    do {
        return try run(path, rest, cwd: cwd, environment: rumpEnvironment(server: rumpServer), timeout: timeout)
    } catch {
        return ProcessResult(stdout: "", stderr: "\(error)", status: -1)
    }
}

/// Starts a built tool in the background against RUMP_SERVER `rumpServer` (see `runTool`).
public func startTool(_ args: [String], rumpServer: String?, shell: Bool = false) throws -> Background {
    let (path, rest) = toolCommand(args, shell: shell)
    return try Background(path, rest, environment: rumpEnvironment(server: rumpServer))
}

/// True if something accepts connections at the unix socket `path` now.
public func canConnect(_ path: String) -> Bool {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var a = sockaddr_un()
    a.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &a.sun_path) { raw in
        raw.copyBytes(from: Array(path.utf8.prefix(raw.count - 1)) + [0])
    }
    return withUnsafePointer(to: &a) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
    }
}

/// True once something accepts connections at the unix socket `path`.
public func waitForSocket(_ path: String, timeout: TimeInterval = 5) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if canConnect(path) { return true }
        usleep(2000)
    }
    return false
}

/// True if `pid` runs; a zombie still "exists" to kill(0), so /proc's state is checked too.
public func processAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    guard let s = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    return s.split(separator: ")").last?.split(separator: " ").first != "Z"
}

/// True once `pid` is gone (or a zombie).
public func waitGone(_ pid: Int32, timeout: TimeInterval = 5) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if !processAlive(pid) { return true }
        usleep(2000)
    }
    return false
}

/// Live processes other than this one whose command line mentions `text`.
public func processes(mentioning text: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard pid != getpid(), let d = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let cmd = String(decoding: d.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        return cmd.contains(text) && processAlive(pid)
    }.sorted()
}

/// Open file descriptors of `pid`.
public func openFileDescriptors(_ pid: Int32) -> Int {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).count
}
