import XCTest
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Runs the built executables (rump_server, sysctl, halt, ...) as real processes. They live
/// next to the test bundle: the directory of the running xctest binary (.build/<config>).
enum Harness {
    static let binDir: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = (exe as NSString).deletingLastPathComponent
        // Bundles on some platforms nest the binary (x.xctest/Contents/MacOS); walk up to the build dir.
        while !FileManager.default.fileExists(atPath: dir + "/rump_server") && dir.count > 1 {
            dir = (dir as NSString).deletingLastPathComponent
        }
        return dir
    }()

    static func path(_ tool: String) -> String { binDir + "/" + tool }

    /// This test binary (to run helper "tests" as separate client processes).
    static let testBinary: String = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]

    static func openFDs(_ pid: Int32) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).count
    }

    struct Result {
        var stdout: String
        var stderr: String
        var status: Int32
    }

    /// A scratch directory per test run; removed by `cleanup`.
    static func scratch() -> String {
        let d = "/tmp/kt-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    static func environment(rumpServer: String?) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["RUMP_SERVER"] = rumpServer
        if rumpServer == nil { env.removeValue(forKey: "RUMP_SERVER") }
        env["PATH"] = binDir + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        return env
    }

    /// Runs a command to completion (killed after `timeout` seconds).
    static func run(_ args: [String], rumpServer: String?, cwd: String? = nil, timeout: Double = 10, shell: Bool = false) -> Result {
        let p = Process()
        if shell {
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", args.joined(separator: " ")]
        } else {
            p.executableURL = URL(fileURLWithPath: args[0].hasPrefix("/") ? args[0] : path(args[0]))
            p.arguments = Array(args.dropFirst())
        }
        p.environment = environment(rumpServer: rumpServer)
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return Result(stdout: "", stderr: "spawn failed: \(error)", status: -1) }
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        nonisolated(unsafe) var outData = Data(), errData = Data()
        let g = DispatchGroup()
        DispatchQueue.global().async(group: g) { outData = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: g) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(2000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        _ = g.wait(timeout: .now() + 5)
        return Result(stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self),
                      status: p.terminationStatus)
    }

    /// True once something accepts connections at the unix socket `path`.
    static func waitForSocket(_ path: String, timeout: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if canConnect(path) { return true }
            usleep(2000)
        }
        return false
    }

    static func canConnect(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var a = sockaddr_un()
        a.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &a.sun_path) { raw in
            let b = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: b + [0])
        }
        return withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
        }
    }

    static func processExists(_ pid: Int32) -> Bool {
        // A zombie still "exists" to kill(0); check /proc state too.
        guard kill(pid, 0) == 0 else { return false }
        if let s = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) {
            let state = s.split(separator: ")").last?.split(separator: " ").first
            return state != "Z"
        }
        return false
    }

    /// Live (non-zombie) processes whose command line mentions `text`.
    static func processes(mentioning text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard pid != getpid(), let d = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let cmd = String(decoding: d.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return cmd.contains(text) && processExists(pid)
        }.sorted()
    }

    static func waitGone(_ pid: Int32, timeout: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !processExists(pid) { return true }
            usleep(2000)
        }
        return false
    }
}

/// A rump_server started with -s (foreground), owned by the test: killed and its socket
/// removed in `stop()` whatever happened.
final class ForegroundServer {
    let process = Process()
    let socketPath: String?
    let url: String
    private let out = Pipe(), err = Pipe()

    init(args: [String], url: String, socketPath: String?) throws {
        self.url = url
        self.socketPath = socketPath
        process.executableURL = URL(fileURLWithPath: Harness.path("rump_server"))
        process.arguments = ["-s"] + args + [url]
        process.environment = Harness.environment(rumpServer: nil)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    func waitExit(timeout: Double = 5) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2000) }
        if process.isRunning { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Output so far (only complete after exit).
    func output() -> (String, String) {
        (String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
         String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    func stop() {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
        if let socketPath { unlink(socketPath) }
    }
}
