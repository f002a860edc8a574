import Foundation

/// A scratch directory, removed by `remove()` or at deinit at the latest. XCTest keeps test
/// case instances alive until the whole suite ends, so XCTest tests call `remove()` in
/// tearDown. The name stays short (pid and a random number, no UUID) because unix socket
/// paths inside it must fit sun_path's 108 bytes.
public final class TemporaryDirectory {
    public let path: String

    public init(prefix: String = "rumpnet-test-") {
        path = NSTemporaryDirectory() + prefix + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `name` inside; returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let p = file(name)
        _ = FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }

    deinit { remove() }
}

/// Parses "key=value key=value" lines (shmifctl's test roles print them).
public func keyValues(_ line: String) -> [String: String] {
    var out: [String: String] = [:]
    for part in line.split(separator: " ") {
        let kv = part.split(separator: "=", maxSplits: 1)
        if kv.count == 2 { out[String(kv[0])] = String(kv[1]) }
    }
    return out
}
