#if canImport(Glibc)
import Glibc
#endif

/// The kernel's one thread of control: a poll(2) loop over watched descriptors plus a
/// deadline-ordered timer list and a queue of deferred work. Everything the kernel owns
/// (connections, descriptor tables, sysctl, the network stack) is touched only from
/// callbacks run here, so no locks are needed and requests, bus input and timers are
/// serialised in the order they become ready.
///
/// Not Sendable: it must stay on the thread that runs it.
public final class EventLoop {
    public typealias WatchID = Int
    public typealias TimerID = Int

    struct Watch {
        var fd: Int32
        var events: Int16
        var handler: (Int16) -> Void
    }
    struct Timer {
        var deadline: UInt64
        var id: TimerID
        var fire: () -> Void
    }

    private var watches: [WatchID: Watch] = [:]
    private var timers: [Timer] = []  // kept sorted by deadline, then id
    private var deferred: [() -> Void] = []
    private var nextID = 1
    private var running = false

    public init() {}

    /// Monotonic nanoseconds (CLOCK_MONOTONIC).
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Calls `handler(revents)` whenever `fd` is ready for `events` (POLLIN/POLLOUT); errors
    /// and hang-ups are always reported. The caller keeps owning (and closing) the fd.
    @discardableResult
    public func watch(fd: Int32, events: Int16, _ handler: @escaping (Int16) -> Void) -> WatchID {
        let id = nextID
        nextID += 1
        watches[id] = Watch(fd: fd, events: events, handler: handler)
        return id
    }

    public func setEvents(_ id: WatchID, _ events: Int16) { watches[id]?.events = events }
    public func unwatch(_ id: WatchID) { watches[id] = nil }

    /// Runs `fire` once at or after `deadline` (EventLoop.now() nanoseconds).
    @discardableResult
    public func addTimer(deadline: UInt64, _ fire: @escaping () -> Void) -> TimerID {
        let id = nextID
        nextID += 1
        let t = Timer(deadline: deadline, id: id, fire: fire)
        let i = timers.firstIndex { $0.deadline > deadline } ?? timers.count
        timers.insert(t, at: i)
        return id
    }

    public func cancelTimer(_ id: TimerID) { timers.removeAll { $0.id == id } }

    /// Runs `work` after the current callback, before the loop sleeps again.
    public func soon(_ work: @escaping () -> Void) { deferred.append(work) }

    public func stop() { running = false }

    /// Runs until `stop()`.
    public func run() {
        running = true
        var fds: [pollfd] = []
        var ids: [WatchID] = []
        while running {
            runDeferred()
            guard running else { break }
            fds.removeAll(keepingCapacity: true)
            ids.removeAll(keepingCapacity: true)
            for (id, w) in watches {
                fds.append(pollfd(fd: w.fd, events: w.events, revents: 0))
                ids.append(id)
            }
            var timeout: Int32 = -1
            if let t = timers.first {
                let now = Self.now()
                timeout = t.deadline <= now ? 0 : Int32(min((t.deadline - now + 999_999) / 1_000_000, 60_000))
            }
            let n = fds.withUnsafeMutableBufferPointer { Glibc.poll($0.baseAddress, nfds_t($0.count), timeout) }
            if n < 0 && errno != EINTR { break }
            if n > 0 {
                for (i, p) in fds.enumerated() where p.revents != 0 {
                    // A previous handler may have removed this watch.
                    guard let w = watches[ids[i]], w.fd == p.fd else { continue }
                    w.handler(p.revents)
                    runDeferred()
                    if !running { return }
                }
            }
            fireDueTimers()
        }
    }

    private func runDeferred() {
        while !deferred.isEmpty {
            let work = deferred
            deferred.removeAll()
            for w in work { w() }
        }
    }

    private func fireDueTimers() {
        let now = Self.now()
        while let t = timers.first, t.deadline <= now {
            timers.removeFirst()
            t.fire()
            runDeferred()
        }
    }
}
