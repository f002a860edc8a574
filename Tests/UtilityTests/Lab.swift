import Foundation
import TestSupport
import XCTest

/// A rump_server -s owned by a test: `stop()` kills it and removes its socket whatever happened.
final class Server {
    private let server: Background
    let url: String
    let socketPath: String?

    /// `url` unix://PATH or tcp://ADDR:PORT; waits until it accepts connections.
    init(_ components: [String], url: String) throws {
        self.url = url
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

    /// Kills every server, removes the directory; what was left behind (should be nothing).
    func shutDown() -> [String] {
        var problems: [String] = []
        for s in servers.values { s.stop() }
        for s in servers.values {
            if processAlive(s.pid) { problems.append("rump_server \(s.pid) left running") }
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
