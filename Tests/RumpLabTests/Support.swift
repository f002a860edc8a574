import Foundation
import Testing

/// The directory holding the built executables (the test bundle sits beside them).
func productsDirectory() -> URL {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<5 {
        if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("rumpnet-lab").path) { return dir }
        dir = dir.deletingLastPathComponent()
    }
    return repositoryRoot().appendingPathComponent(".build/debug")
}

func executable(_ name: String) -> String { productsDirectory().appendingPathComponent(name).path }

/// The checkout this test file belongs to (for topologies/ and docs/).
func repositoryRoot() -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

func topologyFile(_ name: String) -> String { repositoryRoot().appendingPathComponent("topologies/\(name)").path }

/// A program on $PATH, or nil.
func which(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

struct ProcessResult {
    var status: Int32
    var stdout: Data
    var stderr: Data
    var out: String { String(decoding: stdout, as: UTF8.self) }
    var err: String { String(decoding: stderr, as: UTF8.self) }
}

struct TimeoutError: Error, CustomStringConvertible {
    var command: String
    var description: String { "timed out: \(command)" }
}

/// Runs a program to completion with a bounded time; kills it if the time runs out.
func run(_ path: String, _ args: [String], timeout: TimeInterval = 60, environment: [String: String] = [:]) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    if !environment.isEmpty {
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    // Both pipes are drained concurrently so a chatty child never blocks on a full pipe.
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data(), errData = Data()
    DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { usleep(2000) }
    if p.isRunning {
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        group.wait()
        throw TimeoutError(command: ([path] + args).joined(separator: " "))
    }
    p.waitUntilExit()
    group.wait()
    return ProcessResult(status: p.terminationStatus, stdout: outData, stderr: errData)
}

/// A background process whose standard error is read line by line and whose standard
/// output is collected; killed on deinit if still running, so no test leaves one behind.
final class Background {
    let process = Process()
    private let err = Pipe(), out = Pipe()
    private var buffer = Data()
    private let outData = DataBox()
    private let outDone = DispatchGroup()

    /// With `stdout`, output goes to that pipe (to feed another process) instead of being collected.
    init(_ path: String, _ args: [String], stdin: Pipe? = nil, stdout: Pipe? = nil, environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = stdout ?? out
        process.standardError = err
        process.standardInput = stdin ?? FileHandle.nullDevice
        try process.run()
        guard stdout == nil else { return }
        let handle = out.fileHandleForReading
        let box = outData
        DispatchQueue.global().async(group: outDone) { box.data = handle.readDataToEndOfFile() }
    }

    var pid: Int32 { process.processIdentifier }

    /// The next line of standard error, or nil at end of file.
    func readErrLine() -> String? {
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = buffer[buffer.startIndex..<nl]
                buffer.removeSubrange(buffer.startIndex...nl)
                return String(decoding: line, as: UTF8.self)
            }
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty {
                if buffer.isEmpty { return nil }
                defer { buffer.removeAll() }
                return String(decoding: buffer, as: UTF8.self)
            }
            buffer.append(chunk)
        }
    }

    /// Every remaining line of standard error (after exit).
    func remainingErrLines() -> [String] {
        var lines: [String] = []
        while let l = readErrLine() { lines.append(l) }
        return lines
    }

    /// Standard output, complete once the process has exited.
    func stdout() -> Data {
        outDone.wait()
        return outData.data
    }

    /// Waits up to `timeout` seconds for exit; kills it and returns nil on timeout.
    func wait(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Standard output collected on another thread.
final class DataBox: @unchecked Sendable {
    // @unchecked: written once by the reading thread, read only after its group's wait().
    var data = Data()
}

/// A temporary directory removed at the end of the test.
final class TemporaryDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "rumpnet-lab-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    func write(_ name: String, _ text: String) -> String {
        let p = file(name)
        _ = FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
