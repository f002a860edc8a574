import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a finished program wrote and how it exited.
public struct ProcessResult: Equatable, CustomStringConvertible, Sendable {
    public var status: Int32
    public var stdoutData: Data
    public var stderrData: Data
    public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    public var stderr: String { String(decoding: stderrData, as: UTF8.self) }

    public init(status: Int32, stdoutData: Data, stderrData: Data) {
        self.status = status
        self.stdoutData = stdoutData
        self.stderrData = stderrData
    }

    /// An expected result, to compare with `==`.
    public init(stdout: String, stderr: String, status: Int32) {
        self.init(status: status, stdoutData: Data(stdout.utf8), stderrData: Data(stderr.utf8))
    }

    public var description: String { "stdout:\n\(stdout)stderr:\n\(stderr)status: \(status)" }
}

public struct TimeoutError: Error, CustomStringConvertible {
    public var command: String
    public var description: String { "timed out: \(command)" }
}

/// Runs a program to completion. `environment` is the whole environment (nil: this
/// process's); past `timeout` seconds the program is killed and TimeoutError thrown, so a
/// hung child fails the test instead of hanging the suite.
public func run(_ path: String, _ args: [String], cwd: String? = nil, environment: [String: String]? = nil,
                stdin: Data? = nil, timeout: TimeInterval = 60) throws -> ProcessResult {
    let p = Background.makeProcess(path, args, cwd: cwd, environment: environment)
    let out = OutputReader(), err = OutputReader()
    p.standardOutput = out.pipe
    p.standardError = err.pipe
    let input = stdin.map { _ in Pipe() }
    if let input { p.standardInput = input } else { p.standardInput = FileHandle.nullDevice }
    try p.run()
    // Both pipes are drained from the start so a chatty child never blocks on a full pipe.
    out.start()
    err.start()
    if let input, let stdin {
        let handle = input.fileHandleForWriting
        Thread.detachNewThread {
            try? handle.write(contentsOf: stdin)
            try? handle.close()
        }
    }
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { usleep(2000) }
    if p.isRunning {
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        throw TimeoutError(command: ([path] + args).joined(separator: " "))
    }
    p.waitUntilExit()
    // A daemon the program started may hold the pipes open: take what came within 5 s.
    let ends = Date().addingTimeInterval(5)
    return ProcessResult(status: p.terminationStatus, stdoutData: out.readToEnd(before: ends), stderrData: err.readToEnd(before: ends))
}

/// A program running beside the test, its standard output and error read line by line (or
/// whole) while it runs. Killed at deinit if still running, so no test leaves one behind.
public final class Background {
    public let process: Process
    private let out: OutputReader?
    private let err = OutputReader()

    /// With `stdout`, output goes to that pipe (to feed another process) instead of being read here.
    public init(_ path: String, _ args: [String], cwd: String? = nil, environment: [String: String]? = nil,
                stdin: Pipe? = nil, stdout: Pipe? = nil) throws {
        process = Background.makeProcess(path, args, cwd: cwd, environment: environment)
        out = stdout == nil ? OutputReader() : nil
        process.standardOutput = stdout ?? out!.pipe
        process.standardError = err.pipe
        if let stdin { process.standardInput = stdin } else { process.standardInput = FileHandle.nullDevice }
        try process.run()
        out?.start()
        err.start()
    }

    static func makeProcess(_ path: String, _ args: [String], cwd: String?, environment: [String: String]?) -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        if let environment { p.environment = environment }
        return p
    }

    public var pid: Int32 { process.processIdentifier }

    /// The next line of standard output, or nil at end of file.
    public func readLine() -> String? { out?.readLine() }

    /// The next line of standard error, or nil at end of file.
    public func readErrLine() -> String? { err.readLine() }

    /// Every remaining line of standard error (waits for end of file).
    public func remainingErrLines() -> [String] {
        var lines: [String] = []
        while let l = err.readLine() { lines.append(l) }
        return lines
    }

    /// The rest of standard output, complete once the process has exited.
    public func remainingOutput() -> Data { out?.readToEnd() ?? Data() }

    /// The rest of standard error, complete once the process has exited.
    public func remainingErrorOutput() -> Data { err.readToEnd() }

    /// Waits up to `timeout` seconds for exit; kills it and returns nil on timeout.
    public func wait(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2000) }
        if process.isRunning {
            kill9()
            return nil
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits up to `timeout` seconds (then kills it) and returns what it wrote and its status.
    public func finish(timeout: TimeInterval) -> ProcessResult {
        _ = wait(timeout: timeout)
        return ProcessResult(status: process.terminationStatus, stdoutData: remainingOutput(), stderrData: remainingErrorOutput())
    }

    public func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { kill9() }
    }
}

/// One output pipe, drained on its own thread into a buffer that readers take from.
final class OutputReader: @unchecked Sendable {
    // @unchecked: `buffer` and `ended` are touched only with `condition` locked; `pipe` is a
    // constant handed to the child and read by the one drain thread.
    let pipe = Pipe()
    private let condition = NSCondition()
    private var buffer = Data()
    private var ended = false

    /// Starts draining (after the process has been launched).
    func start() {
        let handle = pipe.fileHandleForReading
        // A thread of its own, not a dispatch queue: blocking reads from many background
        // processes would otherwise tie up the shared pool.
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                condition.lock()
                if chunk.isEmpty { ended = true } else { buffer.append(chunk) }
                condition.broadcast()
                condition.unlock()
                if chunk.isEmpty { return }
            }
        }
    }

    /// The next line (without its newline); the last unterminated one at end of file; nil after.
    func readLine() -> String? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = buffer[buffer.startIndex..<nl]
                buffer.removeSubrange(buffer.startIndex...nl)
                return String(decoding: line, as: UTF8.self)
            }
            if ended {
                if buffer.isEmpty { return nil }
                defer { buffer.removeAll() }
                return String(decoding: buffer, as: UTF8.self)
            }
            condition.wait()
        }
    }

    /// Everything not read yet, once the writer has closed the pipe (or `deadline` passed).
    func readToEnd(before deadline: Date = .distantFuture) -> Data {
        condition.lock()
        defer { condition.unlock() }
        // corelibs Foundation traps converting .distantFuture to a timespec: no deadline
        // means a plain wait.
        while !ended {
            if deadline == .distantFuture {
                condition.wait()
            } else if !condition.wait(until: deadline) {
                break
            }
        }
        defer { buffer.removeAll() }
        return buffer
    }
}
