import Foundation
import TestSupport
import XCTest

/// A rump_server -s owned by a test: `stop()` kills it and removes its socket whatever happened.
final class Server {
    private let server: Background
    /// A kernel of a rump_host (its process is shared with the host's other kernels).
    let hosted: Bool
    let url: String
    let socketPath: String?

    /// `url` unix://PATH or tcp://ADDR:PORT; waits until it accepts connections.
    init(_ components: [String], url: String) throws {
        self.url = url
        hosted = false
        socketPath = url.hasPrefix("unix://") ? String(url.dropFirst(7)) : nil
        server = try Background(executable("rump_server"), ["-s"] + components + [url], environment: rumpEnvironment(server: nil))
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if let p = socketPath, canConnect(p) { return }
            if socketPath == nil, runTool(["ifconfig", "-l"], rumpServer: url, timeout: 2).status == 0 { return }
            if !server.process.isRunning { break }
            usleep(2000)
        }
        stop()
        throw NSError(domain: "rump_server did not start: \(components) \(url)", code: 1)
    }

    /// A kernel of `host` (a rump_host -s) on `socketPath`.
    init(hostedOn host: Background, socketPath: String) {
        self.server = host
        self.socketPath = socketPath
        url = "unix://" + socketPath
        hosted = true
    }

    var pid: Int32 { server.pid }

    func stop() {
        if server.process.isRunning { server.kill9() }
        if let socketPath { unlink(socketPath) }
    }

    /// Runs a utility against this kernel.
    func run(_ args: String, timeout: Double = 20) -> ProcessResult {
        runTool(args.split(separator: " ").map(String.init), rumpServer: url, timeout: timeout)
    }
}

/// Servers and a scratch directory for one test, torn down (and checked) at the end.
final class Lab {
    // Short prefix: socket paths in it must fit sun_path.
    private let scratch = TemporaryDirectory(prefix: "ut-")
    var dir: String { scratch.path }
    private(set) var servers: [String: Server] = [:]

    func start(_ name: String, _ components: [String]) throws -> Server {
        let s = try Server(components, url: "unix://\(dir)/\(name).sock")
        servers[name] = s
        return s
    }

    func add(_ name: String, _ server: Server) { servers[name] = server }

    /// Kernels `kernels` (name, components) in one `rump_host -s -t LOOPS` (in file order, so
    /// with two loops the first half shares one loop, the rest the other); waits for every socket.
    @discardableResult
    func startHost(_ kernels: [(name: String, components: [String])], loops: Int = 2, seeds: Bool = false) throws -> [Server] {
        var list = ""
        for (k, (name, comps)) in kernels.enumerated() {
            list += (comps + (seeds ? ["-S", String(k + 1)] : []) + ["unix://\(dir)/\(name).sock"]).joined(separator: " ") + "\n"
        }
        let file = dir + "/host-\(servers.count).kernels"
        try list.write(toFile: file, atomically: true, encoding: .utf8)
        let host = try Background(executable("rump_host"), ["-s", "-t", String(loops), file], environment: rumpEnvironment(server: nil))
        let made = kernels.map { Server(hostedOn: host, socketPath: "\(dir)/\($0.name).sock") }
        for (k, s) in zip(kernels, made) { servers[k.name] = s }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if made.allSatisfy({ canConnect($0.socketPath!) }) { return made }
            if !host.process.isRunning { break }
            usleep(2000)
        }
        made.first?.stop()
        throw NSError(domain: "rump_host did not start: \(list)", code: 1)
    }

    /// Kills every server, removes the directory; what was left behind (should be nothing).
    func shutDown() -> [String] {
        var problems: [String] = []
        for s in servers.values { s.stop() }
        for s in servers.values {
            if processAlive(s.pid) { problems.append("\(s.hosted ? "rump_host" : "rump_server") \(s.pid) left running") }
            if let p = s.socketPath, FileManager.default.fileExists(atPath: p) { problems.append("\(p) left behind") }
        }
        scratch.remove()
        return problems
    }

    /// `shutDown`, failing the test for anything left behind.
    func tearDown(file: StaticString = #filePath, line: UInt = #line) {
        for p in shutDown() { XCTFail(p, file: file, line: line) }
    }
}
