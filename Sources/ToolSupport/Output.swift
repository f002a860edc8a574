#if canImport(Glibc)
import Glibc
#endif

/// Standard output and error for command-line tools, written with write(2) on file
/// descriptors 1 and 2 (Swift 6 forbids the C `stdout`/`stderr` globals). Output is
/// buffered and flushed when the buffer fills, on `flush()`, and before exit via `exit`.
public final class OutputStream: @unchecked Sendable {
    // @unchecked: each stream is used by the single thread of a command-line tool; the
    // lock below still makes concurrent use safe, just not ordered.
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let lock = Mutex()

    public static let standardOutput = OutputStream(fd: 1)
    public static let standardError = OutputStream(fd: 2)

    init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(64 * 1024)
    }

    public func write(_ s: String) {
        lock.locked {
            buffer.append(contentsOf: s.utf8)
            if buffer.count >= 60 * 1024 { flushLocked() }
        }
    }

    public func line(_ s: String) { write(s + "\n") }

    public func flush() { lock.locked { flushLocked() } }

    private func flushLocked() {
        var off = 0
        buffer.withUnsafeBytes { raw in
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 { if errno == EINTR { continue }; break }
                off += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// A pthread mutex in a class, for the rare shared object in a tool.
final class Mutex: @unchecked Sendable {
    // @unchecked: the pthread mutex is the synchronisation itself.
    private var m = pthread_mutex_t()
    init() { pthread_mutex_init(&m, nil) }
    deinit { pthread_mutex_destroy(&m) }
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&m)
        defer { pthread_mutex_unlock(&m) }
        return try body()
    }
}

/// Shorthands used by every tool.
public func printOut(_ s: String) { OutputStream.standardOutput.line(s) }
public func printErr(_ s: String) {
    OutputStream.standardOutput.flush()
    OutputStream.standardError.line(s)
    OutputStream.standardError.flush()
}

/// Flushes both streams and exits with `status`.
public func exitTool(_ status: Int32) -> Never {
    OutputStream.standardOutput.flush()
    OutputStream.standardError.flush()
    fflush(nil)
    Glibc.exit(status)
}

/// NetBSD's errx(3): "<prog>: <message>" on standard error, then exit.
public func errx(_ status: Int32, _ program: String, _ message: String) -> Never {
    printErr("\(program): \(message)")
    exitTool(status)
}
