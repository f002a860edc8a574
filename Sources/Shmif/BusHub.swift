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

/// Which loops of the process have readers on one bus: a bit per loop, read by every writer of
/// the bus without a lock (an atomic load per write), changed only when a loop's first reader of
/// the bus comes or its last goes.
final class BusReaderLoops: Sendable {
    let bits = Atomic<UInt64>(0)
}

/// The process's loops and which of them have readers on which bus: set up once before the
/// loops start (the inboxes), then shared by every loop's `LoopBusHub` (the bus -> loops map
/// behind a Mutex, touched only when a loop's first reader of a bus comes or its last goes).
public final class BusHost: Sendable {
    public let inboxes: [LoopInbox]
    private let readers = Mutex([BusKey: BusReaderLoops]())

    public static let maximumLoops = 64

    public init(loops: Int) throws {
        precondition(loops >= 1 && loops <= Self.maximumLoops)
        inboxes = try (0..<loops).map { _ in try LoopInbox() }
    }

    /// The loop set of `key`, with `loop` added or removed.
    func setReading(_ key: BusKey, loop: Int, _ reading: Bool) -> BusReaderLoops {
        readers.withLock { r in
            let set = r[key] ?? BusReaderLoops()
            r[key] = set
            let bit = UInt64(1) << UInt64(loop)
            if reading { set.bits.bitwiseOr(bit, ordering: .acquiringAndReleasing) }
            else { set.bits.bitwiseAnd(~bit, ordering: .acquiringAndReleasing) }
            return set
        }
    }

    /// Wakes every other loop with readers on the bus through its inbox.
    func wrote(_ key: BusKey, loops: BusReaderLoops, from loop: Int) {
        var others = loops.bits.load(ordering: .acquiring) & ~(UInt64(1) << UInt64(loop))
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
/// The path a frame takes (`wrote`, `runDue`) looks nothing up by hash: a subscription points
/// at its bus's record, which lists its readers.
public final class LoopBusHub {
    /// A reader of one bus on this loop (a shmif interface that is up).
    public final class Subscription {
        fileprivate let bus: WatchedBus
        fileprivate let wake: () -> Void
        fileprivate var isDue = false
        fileprivate var active = true
        fileprivate init(bus: WatchedBus, wake: @escaping () -> Void) { self.bus = bus; self.wake = wake }
    }

    /// A bus this loop reads: its watch, its readers, the ring end they were last given.
    fileprivate final class WatchedBus {
        let key: BusKey
        let bus: ShmifBus
        var descriptor: Int32
        var readers: [Subscription] = []
        var seen: (UInt64, UInt32)?
        let loops: BusReaderLoops
        init(key: BusKey, bus: ShmifBus, descriptor: Int32, loops: BusReaderLoops) {
            self.key = key; self.bus = bus; self.descriptor = descriptor; self.loops = loops
        }
    }

    public let host: BusHost
    public let loopIndex: Int
    /// Runs work later in the current loop turn (EventLoop.soon).
    private let soon: (@escaping () -> Void) -> Void
    /// Runs work after a delay in nanoseconds (a loop timer).
    public let after: (UInt64, @escaping () -> Void) -> Void
    /// Runs work once the loop turn's deferred work is done (EventLoop.atTurnEnd).
    private let atTurnEnd: (@escaping () -> Void) -> Void
    /// Buses written in this turn whose file is still to be woken (one pwrite per bus per turn).
    private var unwoken: [ShmifBus] = []

    private var watched: [BusKey: WatchedBus] = [:]
    private var keyOfDescriptor: [Int32: BusKey] = [:]
    private var due: [Subscription] = []
    private var wakeScheduled = false
    private var mappings: [String: WeakBus] = [:]
    private struct WeakBus { weak var bus: ShmifBus? }

    /// The inotify instance (or, past the host's inotify limit, a 5 ms timerfd: polling).
    public let inotifyFD: Int32
    public let isPolling: Bool
    private var buffer = [UInt8](repeating: 0, count: 4096)
    private var inotifyKeys: [BusKey] = []

    /// Same-loop wakeups and cross-loop posts, for tests and the benchmark.
    public private(set) var localWakeups: UInt64 = 0
    public private(set) var inboxWakeups: UInt64 = 0
    public private(set) var inotifyWakeups: UInt64 = 0

    public init(host: BusHost, loopIndex: Int, soon: @escaping (@escaping () -> Void) -> Void,
                atTurnEnd: @escaping (@escaping () -> Void) -> Void,
                after: @escaping (UInt64, @escaping () -> Void) -> Void) throws {
        self.host = host
        self.loopIndex = loopIndex
        self.soon = soon
        self.atTurnEnd = atTurnEnd
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
        let w: WatchedBus
        if let existing = watched[key] {
            w = existing
        } else {
            var wd: Int32 = -1
            if !isPolling {
                wd = inotify_add_watch(inotifyFD, bus.path, UInt32(IN_MODIFY))
                guard wd >= 0 else { throw ShmifError(path: bus.path, reason: .system(operation: "inotify_add_watch", errno: .init(rawValue: errno))) }
                keyOfDescriptor[wd] = key
            }
            w = WatchedBus(key: key, bus: bus, descriptor: wd, loops: host.setReading(key, loop: loopIndex, true))
            watched[key] = w
        }
        let sub = Subscription(bus: w, wake: wake)
        w.readers.append(sub)
        return sub
    }

    public func unsubscribe(_ sub: Subscription) {
        guard sub.active else { return }
        sub.active = false
        let w = sub.bus
        w.readers.removeAll { $0 === sub }
        if sub.isDue { due.removeAll { $0 === sub }; sub.isDue = false }
        guard w.readers.isEmpty else { return }
        watched[w.key] = nil
        if w.descriptor >= 0 {
            inotify_rm_watch(inotifyFD, w.descriptor)
            keyOfDescriptor[w.descriptor] = nil
        }
        _ = host.setReading(w.key, loop: loopIndex, false)
    }

    /// Subscriber `writer` wrote frames to `bus` (without waking the file): the readers on this
    /// loop read them in this turn, other loops' are woken through their inboxes, and the file is
    /// woken for other processes once at the end of the turn (after the turn's replies to
    /// clients: a co-hosted answer does not wait for the pwrite and its inotify events).
    /// `before` is the ring's end just before the write (`BusWriter.endBeforeLastSend`): the
    /// writer is woken too unless that is the end its readers were last given, since the end
    /// recorded now may include frames of other processes for it, whose inotify event would
    /// then be taken for an echo.
    /// `after` is the end just after it: with the writer left out, the end recorded is that one,
    /// not a later one that may hold another loop's frame for the writer.
    public func wrote(by writer: Subscription, to bus: ShmifBus, before: (UInt64, UInt32)?, after: (UInt64, UInt32)?) {
        guard writer.active else { return }
        if unwoken.isEmpty { atTurnEnd(wakeFilesWork) }
        if !unwoken.contains(where: { $0 === bus }) { unwoken.append(bus) }
        let w = writer.bus
        if let before, let after, let seen = w.seen, seen == before {
            wakeLocal(w, except: writer, seen: after)
        } else {
            wakeLocal(w, except: nil)
        }
        host.wrote(w.key, loops: w.loops, from: loopIndex)
    }

    /// One pwrite per bus written in this turn: NetBSD's dowakeup, for readers in other processes.
    private func wakeFiles() {
        for bus in unwoken { bus.wakeup() }
        unwoken.removeAll(keepingCapacity: true)
    }

    /// The inotify descriptor is readable: frames from other processes (or the echo of our own
    /// wakeups, recognised by an unchanged ring end and not passed on).
    public func inotifyReadable() {
        if isPolling {
            var n: UInt64 = 0
            _ = read(inotifyFD, &n, 8)
            for w in Array(watched.values) { wakeIfMoved(w) }
            return
        }
        var keys = inotifyKeys
        keys.removeAll(keepingCapacity: true)
        defer { inotifyKeys = keys }
        while true {
            let n = buffer.withUnsafeMutableBytes { read(inotifyFD, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            buffer.withUnsafeBytes { raw in
                var off = 0
                while off + 16 <= n {
                    let wd = raw.loadUnaligned(fromByteOffset: off, as: Int32.self)
                    let len = raw.loadUnaligned(fromByteOffset: off + 12, as: UInt32.self)
                    if let k = keyOfDescriptor[wd], !keys.contains(k) { keys.append(k) }
                    off += 16 + Int(len)
                }
            }
            // A short read took every queued event: another would only say EAGAIN.
            if n < buffer.count - 272 { break }
        }
        for k in keys { if let w = watched[k] { wakeIfMoved(w) } }
    }

    /// The inbox is readable: buses other loops wrote; `halt` is returned for the host.
    public func inboxReadable() -> Bool {
        let (keys, halt) = inbox.take()
        inboxWakeups &+= 1
        // Unless an inotify event of the same write already woke the readers (same ring end).
        for k in keys { if let w = watched[k] { wakeIfMoved(w) } }
        return halt
    }

    /// Another process touched the file (or this loop's own wakeup came back): the file is
    /// checked here, with the fstat the readers' polls leave out, and a lost bus wakes its
    /// readers so that each interface goes link-down at once.
    private func wakeIfMoved(_ w: WatchedBus) {
        if w.bus.lost == nil, w.bus.validate() != nil { wakeLocal(w, except: nil); return }
        let ring = w.bus.ring
        if let seen = w.seen, seen == (ring.generation, ring.last) { return }
        inotifyWakeups &+= 1
        wakeLocal(w, except: nil)
    }

    private func wakeLocal(_ w: WatchedBus, except writer: Subscription?, seen: (UInt64, UInt32)? = nil) {
        // The ring's end as the woken readers will find it at least: an inotify event that finds
        // it unchanged is the echo of a write they have read already.
        if let seen { w.seen = seen } else { let ring = w.bus.ring; w.seen = (ring.generation, ring.last) }
        for sub in w.readers where sub !== writer && !sub.isDue {
            sub.isDue = true
            due.append(sub)
        }
        guard !due.isEmpty, !wakeScheduled else { return }
        wakeScheduled = true
        soon(runDueWork)
    }

    // The hub's deferred work as closures made once (not a context allocated per frame);
    // unowned: the hub owns them and outlives its loop's turns.
    private lazy var runDueWork: () -> Void = { [unowned self] in self.runDue() }
    private lazy var wakeFilesWork: () -> Void = { [unowned self] in self.wakeFiles() }
    private var spareDue: [Subscription] = []

    private func runDue() {
        wakeScheduled = false
        // Readers woken while these run (a reply on the same bus) wait for the next round.
        var subs = spareDue
        spareDue = []
        swap(&subs, &due)
        for sub in subs {
            sub.isDue = false
            guard sub.active else { continue }
            localWakeups &+= 1
            sub.wake()
        }
        subs.removeAll(keepingCapacity: true)
        spareDue = subs
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
