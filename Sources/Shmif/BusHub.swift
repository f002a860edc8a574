#if canImport(Glibc)
import Glibc
#endif
import CShim
import Synchronization

// The in-process fast path of a kernel host (docs/kernel.md, "Many kernels in one process").
// Kernels of one process that share a bus still write every frame into the bus file and wake
// it (NetBSD kernels, captures and shmif_dumpbus see everything), but their readers are not
// woken through inotify: a reader on the writer's loop runs in the same loop turn, and one on
// another loop of the process is woken through that loop's eventfd. One inotify instance per
// loop watches every bus the loop's kernels use, for frames from other processes.

/// A bus file's identity (device and inode): two paths to one file are one bus.
public struct BusKey: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64
}

/// What other threads hand to one loop, the only state loops share (hence the Mutex): the
/// buses written since the loop last looked, and whether its kernels must halt. Posting writes
/// the loop's eventfd once until the loop drains it.
public final class LoopInbox: Sendable {
    /// Readable while something was posted; the loop watches it.
    public let eventFD: Int32
    private struct Pending { var buses: Set<BusKey> = []; var halt = false; var signalled = false }
    private let pending = Mutex(Pending())

    init() throws {
        let fd = rn_eventfd()
        guard fd >= 0 else { throw ShmifError(path: "eventfd", reason: .system(operation: "eventfd", errno: .init(rawValue: errno))) }
        eventFD = fd
    }

    deinit { close(eventFD) }

    func post(bus: BusKey) {
        let wake = pending.withLock { p -> Bool in
            p.buses.insert(bus)
            defer { p.signalled = true }
            return !p.signalled
        }
        if wake { rn_eventfd_signal(eventFD) }
    }

    /// Asks the loop's kernels to halt (SIGTERM of the host).
    public func postHalt() {
        let wake = pending.withLock { p -> Bool in
            p.halt = true
            defer { p.signalled = true }
            return !p.signalled
        }
        if wake { rn_eventfd_signal(eventFD) }
    }

    /// What was posted since the last take (the eventfd drained first, so a post after this
    /// call signals again).
    func take() -> (buses: Set<BusKey>, halt: Bool) {
        rn_eventfd_drain(eventFD)
        return pending.withLock { p in
            defer { p = Pending() }
            return (p.buses, p.halt)
        }
    }
}

/// The process's loops and which of them have readers on which bus: set up once before the
/// loops start (the inboxes), then shared by every loop's `LoopBusHub` (the subscription map
/// behind a Mutex, touched only when a loop's first reader of a bus comes or its last goes).
public final class BusHost: Sendable {
    public let inboxes: [LoopInbox]
    /// Bus -> bit set of loops with readers on it (at most 64 loops).
    private let readers = Mutex([BusKey: UInt64]())

    public static let maximumLoops = 64

    public init(loops: Int) throws {
        precondition(loops >= 1 && loops <= Self.maximumLoops)
        inboxes = try (0..<loops).map { _ in try LoopInbox() }
    }

    func setReading(_ key: BusKey, loop: Int, _ reading: Bool) {
        readers.withLock { r in
            let bit = UInt64(1) << UInt64(loop)
            let v = reading ? (r[key] ?? 0) | bit : (r[key] ?? 0) & ~bit
            r[key] = v == 0 ? nil : v
        }
    }

    /// Wakes every other loop with readers on `key` through its inbox.
    func wrote(_ key: BusKey, from loop: Int) {
        var others = readers.withLock { $0[key] ?? 0 } & ~(UInt64(1) << UInt64(loop))
        while others != 0 {
            let i = others.trailingZeroBitCount
            others &= others - 1
            inboxes[i].post(bus: key)
        }
    }
}

/// One loop's side of the fast path: its readers per bus, one inotify instance for all the
/// buses they read (frames of other processes), the loop's inbox (frames of other loops), and
/// one mapping per bus for all the loop's kernels. Owned by the loop, like the kernels using
/// it (not Sendable). The loop glue (`KernelHost`) watches `descriptors` and calls the handlers.
public final class LoopBusHub {
    public typealias Subscription = Int

    public let host: BusHost
    public let loopIndex: Int
    /// Runs work later in the current loop turn (EventLoop.soon).
    private let soon: (@escaping () -> Void) -> Void
    /// Runs work after a delay in nanoseconds (a loop timer).
    public let after: (UInt64, @escaping () -> Void) -> Void

    private struct Reader { var key: BusKey; var wake: () -> Void }
    private struct Watched { var descriptor: Int32; var count: Int; var bus: ShmifBus; var seen: (UInt64, UInt32)? }
    private var subscribers: [Subscription: Reader] = [:]
    private var byBus: [BusKey: [Subscription]] = [:]
    private var watched: [BusKey: Watched] = [:]
    private var keyOfDescriptor: [Int32: BusKey] = [:]
    private var due: Set<Subscription> = []
    private var wakeScheduled = false
    private var nextID = 1
    private var mappings: [String: WeakBus] = [:]
    private struct WeakBus { weak var bus: ShmifBus? }

    /// The inotify instance (or, past the host's inotify limit, a 5 ms timerfd: polling).
    public let inotifyFD: Int32
    public let isPolling: Bool
    private var buffer = [UInt8](repeating: 0, count: 4096)

    /// Same-loop wakeups and cross-loop posts, for tests and the benchmark.
    public private(set) var localWakeups: UInt64 = 0
    public private(set) var inboxWakeups: UInt64 = 0
    public private(set) var inotifyWakeups: UInt64 = 0

    public init(host: BusHost, loopIndex: Int, soon: @escaping (@escaping () -> Void) -> Void,
                after: @escaping (UInt64, @escaping () -> Void) -> Void) throws {
        self.host = host
        self.loopIndex = loopIndex
        self.soon = soon
        self.after = after
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if fd >= 0 {
            inotifyFD = fd
            isPolling = false
        } else {
            let t = rn_periodic_timerfd(BusWatch.pollingIntervalNanoseconds)
            guard t >= 0 else { throw ShmifError(path: "inotify", reason: .system(operation: "timerfd_create", errno: .init(rawValue: errno))) }
            inotifyFD = t
            isPolling = true
        }
    }

    deinit { close(inotifyFD) }

    /// The descriptors the loop watches: inotify (or its polling timer) and the inbox.
    public var inbox: LoopInbox { host.inboxes[loopIndex] }

    /// The loop's mapping of `path`: one per bus file for all of the loop's kernels (a
    /// process has 256 SIGBUS-guarded mappings, and a thousand kernels on four buses need four).
    public func attach(path: String) throws -> ShmifBus {
        if let b = mappings[path]?.bus, b.lost == nil, b.validate() == nil { return b }
        let b = try ShmifBus.attach(path: path)
        mappings = mappings.filter { $0.value.bus != nil }
        mappings[path] = WeakBus(bus: b)
        return b
    }

    /// `wake` runs (on this loop, in a later part of the turn) whenever another reader of this
    /// process wrote to `bus`, or the bus file was written by another process.
    public func subscribe(_ bus: ShmifBus, wake: @escaping () -> Void) throws -> Subscription {
        let key = bus.key
        if watched[key] == nil {
            var wd: Int32 = -1
            if !isPolling {
                wd = inotify_add_watch(inotifyFD, bus.path, UInt32(IN_MODIFY))
                guard wd >= 0 else { throw ShmifError(path: bus.path, reason: .system(operation: "inotify_add_watch", errno: .init(rawValue: errno))) }
                keyOfDescriptor[wd] = key
            }
            watched[key] = Watched(descriptor: wd, count: 0, bus: bus, seen: nil)
            host.setReading(key, loop: loopIndex, true)
        }
        watched[key]!.count += 1
        let id = nextID
        nextID += 1
        subscribers[id] = Reader(key: key, wake: wake)
        byBus[key, default: []].append(id)
        return id
    }

    public func unsubscribe(_ id: Subscription) {
        guard let r = subscribers.removeValue(forKey: id) else { return }
        due.remove(id)
        byBus[r.key]?.removeAll { $0 == id }
        guard var w = watched[r.key] else { return }
        w.count -= 1
        if w.count > 0 { watched[r.key] = w; return }
        watched[r.key] = nil
        byBus[r.key] = nil
        if w.descriptor >= 0 {
            inotify_rm_watch(inotifyFD, w.descriptor)
            keyOfDescriptor[w.descriptor] = nil
        }
        host.setReading(r.key, loop: loopIndex, false)
    }

    /// Subscriber `writer` wrote frames to its bus: the readers on this loop read them in this
    /// turn, other loops' are woken through their inboxes. (The writer also woke the file.)
    /// `before` is the ring's end just before the write (`BusWriter.endBeforeLastSend`): the
    /// writer is woken too unless that is the end its readers were last given, since the end
    /// recorded now may include frames of other processes for it, whose inotify event would
    /// then be taken for an echo.
    /// `after` is the end just after it: with the writer left out, the end recorded is that one,
    /// not a later one that may hold another loop's frame for the writer.
    public func wrote(by writer: Subscription, before: (UInt64, UInt32)?, after: (UInt64, UInt32)?) {
        guard let key = subscribers[writer]?.key else { return }
        if let before, let after, let seen = watched[key]?.seen, seen == before {
            wakeLocal(key, except: writer, seen: after)
        } else {
            wakeLocal(key, except: nil)
        }
        host.wrote(key, from: loopIndex)
    }

    /// The inotify descriptor is readable: frames from other processes (or the echo of our own
    /// wakeups, recognised by an unchanged ring end and not passed on).
    public func inotifyReadable() {
        if isPolling {
            var n: UInt64 = 0
            _ = read(inotifyFD, &n, 8)
            for key in watched.keys { wakeIfMoved(key) }
            return
        }
        var keys: Set<BusKey> = []
        while true {
            let n = buffer.withUnsafeMutableBytes { read(inotifyFD, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            buffer.withUnsafeBytes { raw in
                var off = 0
                while off + 16 <= n {
                    let wd = raw.loadUnaligned(fromByteOffset: off, as: Int32.self)
                    let len = raw.loadUnaligned(fromByteOffset: off + 12, as: UInt32.self)
                    if let k = keyOfDescriptor[wd] { keys.insert(k) }
                    off += 16 + Int(len)
                }
            }
        }
        for k in keys { wakeIfMoved(k) }
    }

    /// The inbox is readable: buses other loops wrote; `halt` is returned for the host.
    public func inboxReadable() -> Bool {
        let (keys, halt) = inbox.take()
        inboxWakeups &+= 1
        // Unless an inotify event of the same write already woke the readers (same ring end).
        for k in keys { wakeIfMoved(k) }
        return halt
    }

    private func wakeIfMoved(_ key: BusKey) {
        guard let w = watched[key] else { return }
        let ring = w.bus.ring
        if w.seen != nil && w.seen! == (ring.generation, ring.last) { return }
        inotifyWakeups &+= 1
        wakeLocal(key, except: nil)
    }

    private func wakeLocal(_ key: BusKey, except writer: Subscription?, seen: (UInt64, UInt32)? = nil) {
        guard let ids = byBus[key] else { return }
        // The ring's end as the woken readers will find it at least: an inotify event that finds
        // it unchanged is the echo of a write they have read already.
        let ring = watched[key]!.bus.ring
        watched[key]!.seen = seen ?? (ring.generation, ring.last)
        for id in ids where id != writer { due.insert(id) }
        guard !due.isEmpty, !wakeScheduled else { return }
        wakeScheduled = true
        soon { [weak self] in self?.runDue() }
    }

    private func runDue() {
        wakeScheduled = false
        let ids = due
        due.removeAll(keepingCapacity: true)
        for id in ids {
            guard let r = subscribers[id] else { continue }
            localWakeups &+= 1
            r.wake()
        }
    }
}

extension ShmifBus {
    /// The file's identity (device, inode), from the descriptor.
    public var key: BusKey {
        var st = stat()
        _ = fstat(fd.rawValue, &st)
        return BusKey(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}
