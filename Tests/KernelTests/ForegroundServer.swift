import Foundation
import TestSupport

/// A rump_server started with -s (foreground), owned by the test: killed and its socket
/// removed in `stop()` whatever happened.
final class ForegroundServer {
    private let server: Background
    let socketPath: String?
    let url: String

    /// `environment`: variables added to the server's (test hooks such as RUMPNET_FAULT).
    init(args: [String], url: String, socketPath: String?, environment: [String: String] = [:]) throws {
        self.url = url
        self.socketPath = socketPath
        server = try Background(executable("rump_server"), ["-s"] + args + [url],
                                environment: rumpEnvironment(server: nil).merging(environment) { $1 })
    }

    var process: Process { server.process }
    var pid: Int32 { server.pid }

    /// The exit status, or nil if still running after `timeout` seconds (left running).
    func waitExit(timeout: Double = 5) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2000) }
        if process.isRunning { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Standard output and error (complete only after exit).
    func output() -> (String, String) {
        (String(decoding: server.remainingOutput(), as: UTF8.self), String(decoding: server.remainingErrorOutput(), as: UTF8.self))
    }

    func stop() {
        if process.isRunning { server.kill9() }
        if let socketPath { unlink(socketPath) }
    }
}
