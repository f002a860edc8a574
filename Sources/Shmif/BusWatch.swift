#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Waits for writes to a bus file the way NetBSD's Linux hypercalls do: an inotify watch
/// for IN_MODIFY on the file, which every writer's wakeup (a 4-byte `write` at offset 4)
/// raises. Non-blocking, so an event loop can include the descriptor in its poll set.
public final class BusWatch {
    public let fileDescriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 4096)

    public init(path: String) throws {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw ShmifError(path: path, reason: .system(operation: "inotify_init1", errno: Errno(rawValue: errno))) }
        guard inotify_add_watch(fd, path, UInt32(IN_MODIFY)) >= 0 else {
            let e = Errno(rawValue: errno)
            close(fd)
            throw ShmifError(path: path, reason: .system(operation: "inotify_add_watch", errno: e))
        }
        fileDescriptor = fd
    }

    deinit { close(fileDescriptor) }

    /// Discards pending events (call before checking the bus, so a write after the check
    /// still wakes the next wait).
    public func drain() {
        while buffer.withUnsafeMutableBytes({ read(fileDescriptor, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// Blocks until an event is pending or the timeout (ms, -1 = forever) passes.
    @discardableResult
    public func wait(timeoutMilliseconds: Int32) -> Bool {
        var p = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        while true {
            let n = Glibc.poll(&p, 1, timeoutMilliseconds)
            if n < 0 && errno == EINTR { continue }
            if n > 0 { drain() }
            return n > 0
        }
    }
}
