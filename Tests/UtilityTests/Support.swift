import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built executables (rump_server and the utilities) from .build/<config>, next to
/// this test bundle, as real processes with bounded timeouts.
enum Tools {
    static let binDir: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = (exe as NSString).deletingLastPathComponent
        while !FileManager.default.fileExists(atPath: dir + "/rump_server") && dir.count > 1 {
            dir = (dir as NSString).deletingLastPathComponent
        }
        return dir
    }()

    static func path(_ tool: String) -> String { binDir + "/" + tool }

    struct Result: Equatable, CustomStringConvertible {
        var stdout: String
        var stderr: String
        var status: Int32
        var description: String { "stdout:\n\(stdout)stderr:\n\(stderr)status: \(status)" }
    }

    /// A scratch directory; the caller removes it.
    static func scratch() -> String {
        let d = "/tmp/ut-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    static func environment(rumpServer: String?) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "RUMP_SERVER")
        if let rumpServer { env["RUMP_SERVER"] = rumpServer }
        env["PATH"] = binDir + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        return env
    }

    /// Starts a tool; `wait` collects it.
    final class Running: @unchecked Sendable {
        // @unchecked: the data buffers are written by the two reader blocks and read only
        // after the DispatchGroup wait in `wait`, which orders the accesses.
        let process = Process()
        private let out = Pipe(), err = Pipe()
        private var outData = Data(), errData = Data()
        private let group = DispatchGroup()

        init(_ args: [String], rumpServer: String?, shell: Bool = false) {
            if shell {
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", args.joined(separator: " ")]
            } else {
                process.executableURL = URL(fileURLWithPath: args[0].hasPrefix("/") ? args[0] : Tools.path(args[0]))
                process.arguments = Array(args.dropFirst())
            }
            process.environment = Tools.environment(rumpServer: rumpServer)
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            do { try process.run() } catch { return }
            DispatchQueue.global().async(group: group) { self.outData = self.out.fileHandleForReading.readDataToEndOfFile() }
            DispatchQueue.global().async(group: group) { self.errData = self.err.fileHandleForReading.readDataToEndOfFile() }
        }

        func wait(timeout: Double = 20) -> Result {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(1000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            _ = group.wait(timeout: .now() + 5)
            return Result(stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self),
                          status: process.terminationStatus)
        }
    }

    static func run(_ args: [String], rumpServer: String?, timeout: Double = 20, shell: Bool = false) -> Result {
        Running(args, rumpServer: rumpServer, shell: shell).wait(timeout: timeout)
    }

    static func canConnect(_ path: String) -> Bool {
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

    static func processAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let s = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return s.split(separator: ")").last?.split(separator: " ").first != "Z"
    }
}

/// A rump_server -s owned by a test: `stop()` kills it and removes its socket whatever happened.
final class Server {
    let process = Process()
    let url: String
    let socketPath: String?

    /// `url` unix://PATH or tcp://ADDR:PORT; waits until it accepts connections.
    init(_ components: [String], url: String) throws {
        self.url = url
        socketPath = url.hasPrefix("unix://") ? String(url.dropFirst(7)) : nil
        process.executableURL = URL(fileURLWithPath: Tools.path("rump_server"))
        process.arguments = ["-s"] + components + [url]
        process.environment = Tools.environment(rumpServer: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if let p = socketPath, Tools.canConnect(p) { return }
            if socketPath == nil, Tools.run(["ifconfig", "-l"], rumpServer: url, timeout: 2).status == 0 { return }
            if !process.isRunning { break }
            usleep(2000)
        }
        stop()
        throw NSError(domain: "rump_server did not start: \(components) \(url)", code: 1)
    }

    var pid: Int32 { process.processIdentifier }

    func stop() {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
        if let socketPath { unlink(socketPath) }
    }

    /// Runs a utility against this kernel.
    func run(_ args: String, timeout: Double = 20) -> Tools.Result {
        Tools.run(args.split(separator: " ").map(String.init), rumpServer: url, timeout: timeout)
    }
}

/// Servers and a scratch directory for one test, torn down (and checked) at the end.
final class Lab {
    let dir = Tools.scratch()
    private(set) var servers: [String: Server] = [:]

    func start(_ name: String, _ components: [String]) throws -> Server {
        let s = try Server(components, url: "unix://\(dir)/\(name).sock")
        servers[name] = s
        return s
    }

    func add(_ name: String, _ server: Server) { servers[name] = server }

    /// Kills every server, removes the directory; what was left behind (should be nothing).
    func shutDown() -> [String] {
        var problems: [String] = []
        for s in servers.values { s.stop() }
        for s in servers.values {
            if Tools.processAlive(s.pid) { problems.append("rump_server \(s.pid) left running") }
            if let p = s.socketPath, FileManager.default.fileExists(atPath: p) { problems.append("\(p) left behind") }
        }
        try? FileManager.default.removeItem(atPath: dir)
        return problems
    }

    /// `shutDown`, failing the test for anything left behind.
    func tearDown(file: StaticString = #filePath, line: UInt = #line) {
        for p in shutDown() { XCTFail(p, file: file, line: line) }
    }
}
