#if canImport(Glibc)
import Glibc
#endif
import CShim
import SystemPackage

/// Waits for writes to a bus file the way NetBSD's Linux hypercalls do: an inotify watch
/// for IN_MODIFY on the file, which every writer's wakeup (a 4-byte `write` at offset 4)
/// raises. Non-blocking, so an event loop can include the descriptor in its poll set.
///
/// When the host has no inotify instance to spare (fs.inotify.max_user_instances, 128 by
/// default, is per user: a lab of hundreds of kernels reaches it), the watch falls back to
/// what NetBSD does on hosts without a file watch: polling, here a 5 ms periodic timerfd,
/// so the descriptor an event loop watches still becomes readable and nothing else changes.
public final class BusWatch {
    public let fileDescriptor: Int32
    /// True when the watch polls instead of being woken by writes.
    public let isPolling: Bool
    private var buffer = [UInt8](repeating: 0, count: 4096)

    /// The polling period when inotify is not available.
    public static let pollingIntervalNanoseconds = 5_000_000

    public init(path: String) throws {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if fd >= 0 {
            if inotify_add_watch(fd, path, UInt32(IN_MODIFY)) >= 0 {
                fileDescriptor = fd
                isPolling = false
                return
            }
            let e = errno
            close(fd)
            guard e == ENOSPC else {
                throw ShmifError(path: path, reason: .system(operation: "inotify_add_watch", errno: Errno(rawValue: e)))
            }
        } else if errno != EMFILE && errno != ENFILE && errno != ENOMEM {
            throw ShmifError(path: path, reason: .system(operation: "inotify_init1", errno: Errno(rawValue: errno)))
        }
        let t = rn_periodic_timerfd(Self.pollingIntervalNanoseconds)
        guard t >= 0 else { throw ShmifError(path: path, reason: .system(operation: "timerfd_create", errno: Errno(rawValue: errno))) }
        fileDescriptor = t
        isPolling = true
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
