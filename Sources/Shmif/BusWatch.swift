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
///
/// With a retry timer (a kernel's interface), the descriptor is an epoll set over the event
/// source and a one-shot timerfd, so that one descriptor in the loop also brings the loop
/// back after `armRetry` when the bus lock was held by another process.
public final class BusWatch {
    /// What an event loop watches: readable after a write to the bus (or the retry timer).
    public let fileDescriptor: Int32
    /// True when the watch polls instead of being woken by writes.
    public let isPolling: Bool
    /// The inotify descriptor (or the polling timerfd).
    private let source: Int32
    /// inotify's watch descriptor for the file (-1 when polling).
    private let watchDescriptor: Int32
    /// The one-shot retry timer and the epoll set over both, or -1.
    private let retryTimer: Int32
    private let epoll: Int32
    public private(set) var retryArmed = false
    /// False once `silence()` removed the file watch.
    public private(set) var isWatching = true
    private var buffer = [UInt8](repeating: 0, count: 4096)

    /// The polling period when inotify is not available.
    public static let pollingIntervalNanoseconds = 5_000_000

    public init(path: String, retryTimer wantsRetry: Bool = false) throws {
        let (fd, wd) = try Self.openSource(path: path)
        source = fd
        watchDescriptor = wd
        isPolling = wd < 0
        guard wantsRetry else {
            retryTimer = -1
            epoll = -1
            fileDescriptor = fd
            return
        }
        let ep = rn_epoll_create()
        let t = ep >= 0 ? rn_oneshot_timerfd() : -1
        guard ep >= 0, t >= 0, rn_epoll_add(ep, fd) == 0, rn_epoll_add(ep, t) == 0 else {
            let e = errno
            if ep >= 0 { close(ep) }
            if t >= 0 { close(t) }
            close(fd)
            throw ShmifError(path: path, reason: .system(operation: "epoll", errno: Errno(rawValue: e)))
        }
        retryTimer = t
        epoll = ep
        fileDescriptor = ep
    }

    /// The inotify descriptor and its watch, or a polling timerfd and -1.
    private static func openSource(path: String) throws -> (Int32, Int32) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if fd >= 0 {
            let wd = inotify_add_watch(fd, path, UInt32(IN_MODIFY))
            if wd >= 0 { return (fd, wd) }
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
        return (t, -1)
    }

    deinit {
        close(source)
        if retryTimer >= 0 { close(retryTimer) }
        if epoll >= 0 { close(epoll) }
    }

    /// Discards pending events (call before checking the bus, so a write after the check
    /// still wakes the next wait). A fired retry timer is consumed too.
    public func drain() {
        while buffer.withUnsafeMutableBytes({ read(source, $0.baseAddress, $0.count) }) > 0 {}
        if retryArmed {
            var expirations: UInt64 = 0
            if read(retryTimer, &expirations, 8) == 8 { retryArmed = false }
        }
    }

    /// Makes the descriptor readable after `nanoseconds` (once), unless already armed.
    /// Only for a watch made with a retry timer; returns false otherwise.
    @discardableResult
    public func armRetry(nanoseconds: Int) -> Bool {
        guard retryTimer >= 0 else { return false }
        if retryArmed { return true }
        guard rn_timerfd_arm(retryTimer, nanoseconds) == 0 else { return false }
        retryArmed = true
        return true
    }

    /// Stops watching the file (the descriptor stays open and quiet): for a bus given up,
    /// whose file may keep changing while the event loop still lists the descriptor.
    public func silence() {
        guard isWatching else { return }
        isWatching = false
        if isPolling {
            _ = rn_timerfd_arm(source, 0)
        } else {
            _ = inotify_rm_watch(source, watchDescriptor)  // queues IN_IGNORED, drained below
        }
        if retryTimer >= 0 { _ = rn_timerfd_arm(retryTimer, 0); retryArmed = false }
        drain()
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
