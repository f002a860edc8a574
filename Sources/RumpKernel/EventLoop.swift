#if canImport(Glibc)
import Glibc
#endif
import CKernelShim

/// Where an event loop reads the time: monotonic nanoseconds. The loop never reads a clock of
/// its own, so a test can run a whole kernel on virtual time (`EventLoop(embeddedAt:)`).
public protocol LoopClock: AnyObject {
    var now: UInt64 { get }
}

/// CLOCK_MONOTONIC: the clock of a real kernel server.
public final class MonotonicClock: LoopClock {
    public init() {}
    public var now: UInt64 { EventLoop.now() }
}

/// A clock that moves only when told (an embedded loop's `advanceTime`).
public final class ManualClock: LoopClock {
    public var now: UInt64
    public init(now: UInt64) { self.now = now }
}

/// The kernel's one thread of control: an epoll loop over watched descriptors plus timers in
/// a min-heap and a queue of deferred work. Everything a kernel owns (connections, descriptor
/// tables, sysctl, the network stack) is touched only from callbacks run here, so no locks
/// are needed and requests, bus input and timers are serialised in the order they become
/// ready. Nothing here is global: several kernels may share one loop.
///
/// Two modes (docs/kernel.md, "Time and waiting"):
/// - **real** (`init()` / `init(clock:)`): `run()` sleeps in epoll_wait until `stop()`;
/// - **embedded** (`init(embeddedAt:)`, after SwiftNIO's EmbeddedEventLoop): nothing runs until
///   the test says; `run()` drains the work that is ready now (deferred work, due timers,
///   descriptors that epoll reports ready without waiting) and returns; `advanceTime` moves
///   the virtual clock, firing every due timer in deadline order at its own deadline.
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

    public let clock: any LoopClock
    /// Non-nil in embedded mode: the clock `advanceTime` moves.
    private let manualClock: ManualClock?
    private var watches: [WatchID: Watch] = [:]
    private var timers = TimerHeap()
    private var deferred: [() -> Void] = []
    /// Work that waits for the turn's deferred work to drain (`atTurnEnd`).
    private var turnEnd: [() -> Void] = []
    /// The other buffer of each queue: the batch being run swaps with it, so that neither
    /// array is reallocated per turn.
    private var spareDeferred: [() -> Void] = []
    private var spareTurnEnd: [() -> Void] = []
    private var nextID = 1
    private var running = false
    /// The watched descriptors in epoll, level-triggered as poll(2) is: a turn costs what is
    /// ready, not what is watched (a loop carrying hundreds of kernels in rump_host watches
    /// thousands of descriptors), and a wakeup registers nothing. Per descriptor: its watches,
    /// the events registered (their union), and a generation carried in each event's tag, so
    /// an event of a descriptor closed and reused within one batch is not given to the new one.
    private struct Descriptor {
        var watches: [WatchID] = []
        var registered: Int16?
        var generation: UInt32 = 0
    }
    private var descriptors: [Int32: Descriptor] = [:]
    private var nextGeneration: UInt32 = 1
    private let epollFD: Int32
    /// Descriptors epoll refuses (regular files, which poll(2) reports always ready): reported
    /// ready every turn, as poll would.
    private var alwaysReady: Set<Int32> = []
    private var readyTags = [UInt64](repeating: 0, count: 256)
    private var readyEvents = [UInt32](repeating: 0, count: 256)

    /// A real loop on CLOCK_MONOTONIC.
    public convenience init() { self.init(clock: MonotonicClock()) }

    /// A real loop (run sleeps in poll) reading `clock`.
    public init(clock: any LoopClock) {
        self.clock = clock
        manualClock = nil
        epollFD = Self.makeEpoll()
    }

    /// An embedded loop on a virtual clock starting at `start` nanoseconds.
    public init(embeddedAt start: UInt64) {
        let c = ManualClock(now: start)
        clock = c
        manualClock = c
        epollFD = Self.makeEpoll()
    }

    deinit { Glibc.close(epollFD) }

    private static func makeEpoll() -> Int32 {
        let fd = ck_epoll_create()
        // Only at the descriptor limit; a kernel cannot run without its loop.
        precondition(fd >= 0, "epoll_create1: \(String(cString: strerror(errno)))")
        return fd
    }

    public var isEmbedded: Bool { manualClock != nil }

    /// The loop's time (its clock's monotonic nanoseconds). Timer deadlines are in this time.
    public var currentTime: UInt64 { clock.now }

    /// CLOCK_MONOTONIC nanoseconds. Kept for callers outside a kernel; a kernel and its stack
    /// read `currentTime` (the loop's clock) instead.
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Calls `handler(revents)` whenever `fd` is ready for `events` (POLLIN/POLLOUT); errors
    /// and hang-ups are always reported. The caller keeps owning (and closing) the fd, and
    /// unwatches it before closing it: epoll forgets a closed descriptor, so a watch kept across
    /// a close would hear nothing from a new file that got the same number.
    @discardableResult
    public func watch(fd: Int32, events: Int16, _ handler: @escaping (Int16) -> Void) -> WatchID {
        let id = nextID
        nextID += 1
        watches[id] = Watch(fd: fd, events: events, handler: handler)
        descriptors[fd, default: Descriptor()].watches.append(id)
        register(fd, force: true)
        return id
    }

    /// Changes what `id` waits for. Read, compare, write back: no dictionary modify accessor
    /// (its coroutine frame is a heap allocation per call), and nothing when unchanged, which
    /// is the common case (a connection's flush after every reply).
    public func setEvents(_ id: WatchID, _ events: Int16) {
        guard var w = watches[id], w.events != events else { return }
        w.events = events
        watches[id] = w
        register(w.fd)
    }
    public func unwatch(_ id: WatchID) {
        guard let w = watches.removeValue(forKey: id) else { return }
        descriptors[w.fd]?.watches.removeAll { $0 == id }
        register(w.fd)
    }

    /// Brings epoll's registration of `fd` to the union of its watches' events (removed when
    /// none is left). A descriptor closed before its unwatch is already gone from epoll.
    /// `force`: registers even when the union is unchanged (a new watch: the number may be a new
    /// file's, which epoll does not have yet).
    private func register(_ fd: Int32, force: Bool = false) {
        guard var d = descriptors[fd] else { return }
        if d.watches.isEmpty {
            if d.registered != nil, !alwaysReady.contains(fd) { _ = ck_epoll_set(epollFD, 2, fd, 0, 0) }
            alwaysReady.remove(fd)
            descriptors[fd] = nil
            return
        }
        var union: Int16 = 0
        for id in d.watches { union |= watches[id]?.events ?? 0 }
        if d.registered == union && !force { return }
        if d.registered == nil {
            d.generation = nextGeneration
            nextGeneration &+= 1
        }
        if !alwaysReady.contains(fd) {
            let tag = UInt64(d.generation) << 32 | UInt64(UInt32(bitPattern: fd))
            let r = ck_epoll_set(epollFD, d.registered == nil ? 0 : 1, fd, UInt32(UInt16(bitPattern: union)), tag)
            if r == -EPERM { alwaysReady.insert(fd) }
        }
        d.registered = union
        descriptors[fd] = d
    }

    /// Runs `fire` once at or after `deadline` (nanoseconds of the loop's clock). Timers with
    /// the same deadline fire in the order they were added. O(log n).
    @discardableResult
    public func addTimer(deadline: UInt64, _ fire: @escaping () -> Void) -> TimerID {
        let id = nextID
        nextID += 1
        timers.insert(deadline: deadline, id: id, fire)
        return id
    }

    /// O(1) now (a tombstone); the entry leaves the heap when it reaches the top or at the
    /// next compaction.
    public func cancelTimer(_ id: TimerID) { timers.cancel(id) }

    /// Timers not yet fired nor cancelled (for tests and diagnostics).
    public var pendingTimerCount: Int { timers.liveCount }
    /// The earliest live deadline.
    public var nextTimerDeadline: UInt64? { timers.nextDeadline }

    /// Runs `work` after the current callback, before the loop sleeps again.
    public func soon(_ work: @escaping () -> Void) { deferred.append(work) }

    /// Runs the deferred work now (`soon`'s queue, not the turn's end work): for a callback that
    /// handles several requests and wants each one's consequences settled before the next.
    public func runDeferredWork() { runDeferred() }

    /// Runs `work` once the turn's deferred work has drained, just before the loop looks at its
    /// descriptors again, in the order added (work it defers runs before the loop sleeps). For
    /// output whose cost is per system call, not per byte: a connection's replies and a bus's
    /// wakeup go out once per turn, after everything the turn's input caused (a co-hosted
    /// kernel's answer to a frame sent in this turn included), not half-way through it.
    public func atTurnEnd(_ work: @escaping () -> Void) { turnEnd.append(work) }

    public func stop() { running = false }

    /// Real mode: runs until `stop()`. Embedded mode: runs what is ready now and returns.
    public func run() {
        if isEmbedded { runReady(); return }
        running = true
        while running {
            finishTurn()
            guard running else { break }
            var timeout: Int32 = -1
            if let d = timers.nextDeadline {
                let now = clock.now
                timeout = d <= now ? 0 : Int32(min((d - now + 999_999) / 1_000_000, 60_000))
            }
            if pollOnce(timeout: timeout) == nil { break }
            guard running else { return }
            fireDueTimers()
        }
    }

    /// Embedded mode: moves the virtual clock forward by `nanoseconds` (see `advanceTime(to:)`).
    public func advanceTime(by nanoseconds: UInt64) {
        advanceTime(to: clock.now &+ nanoseconds)
    }

    /// Embedded mode: fires every timer due up to `deadline` in deadline order, the clock set to
    /// each timer's deadline as it fires (so work it starts sees the right time), running ready
    /// work after each; then sets the clock to `deadline` and runs what is ready.
    public func advanceTime(to deadline: UInt64) {
        guard let c = manualClock else { preconditionFailure("advanceTime on a real event loop") }
        runReady()
        while let d = timers.nextDeadline, d <= deadline {
            if d > c.now { c.now = d }
            runReady()
        }
        if deadline > c.now { c.now = deadline }
        runReady()
    }

    /// Deferred work, due timers and ready descriptors, until none is left.
    private func runReady() {
        var rounds = 0
        while true {
            finishTurn()
            let fired = fireDueTimers()
            let handled = watches.isEmpty ? 0 : (pollOnce(timeout: 0) ?? 0)
            rounds += 1
            // A descriptor that stays ready (a level-triggered fd nobody drains) must not spin
            // for ever: a bounded number of rounds per call.
            if (fired == 0 && handled == 0 && deferred.isEmpty && turnEnd.isEmpty) || rounds > 10_000 { break }
        }
    }

    /// One epoll_wait with `timeout`; dispatches ready handlers. Nil when it failed for good,
    /// else how many descriptors were ready.
    private func pollOnce(timeout: Int32) -> Int? {
        let n = readyTags.withUnsafeMutableBufferPointer { t in
            readyEvents.withUnsafeMutableBufferPointer { e in
                ck_epoll_wait(epollFD, t.baseAddress, e.baseAddress, Int32(t.count), alwaysReady.isEmpty ? timeout : 0)
            }
        }
        if n < 0 { return n == -EINTR ? 0 : nil }
        for i in 0..<Int(n) {
            let tag = readyTags[i]
            let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: tag))
            guard let d = descriptors[fd], d.generation == UInt32(truncatingIfNeeded: tag >> 32) else { continue }
            if !dispatch(fd, d.watches, Int16(truncatingIfNeeded: readyEvents[i])) { return Int(n) }
        }
        var always = 0
        for fd in alwaysReady {
            guard let d = descriptors[fd] else { continue }
            always += 1
            if !dispatch(fd, d.watches, Int16(POLLIN | POLLOUT)) { break }
        }
        return Int(n) + always
    }

    /// Runs the handlers of `fd`'s watches that `revents` concerns (errors and hang-ups concern
    /// every watch); false when the loop was stopped meanwhile.
    private func dispatch(_ fd: Int32, _ ids: [WatchID], _ revents: Int16) -> Bool {
        for id in ids {
            // A previous handler may have removed this watch.
            guard let w = watches[id], w.fd == fd else { continue }
            let mine = revents & (w.events | Int16(POLLERR | POLLHUP | POLLNVAL))
            if mine == 0 { continue }
            w.handler(mine)
            runDeferred()
            if !isEmbedded && !running { return false }
        }
        return true
    }

    private func runDeferred() {
        while !deferred.isEmpty {
            // The spare buffer takes the queue's place (a nested call finds no spare and
            // allocates one: rare).
            var work = spareDeferred
            spareDeferred = []
            swap(&work, &deferred)
            for w in work { w() }
            work.removeAll(keepingCapacity: true)
            spareDeferred = work
        }
    }

    /// Deferred work, then the turn's end work, until neither is left.
    private func finishTurn() {
        runDeferred()
        while !turnEnd.isEmpty {
            var work = spareTurnEnd
            spareTurnEnd = []
            swap(&work, &turnEnd)
            for w in work { w() }
            work.removeAll(keepingCapacity: true)
            spareTurnEnd = work
            runDeferred()
        }
    }

    @discardableResult
    private func fireDueTimers() -> Int {
        var n = 0
        while let fire = timers.popDue(now: clock.now) {
            fire()
            runDeferred()
            n += 1
        }
        return n
    }
}

/// A binary min-heap of timers ordered by (deadline, id), with lazy cancellation: a cancelled
/// id is remembered and its entry skipped when it surfaces. When tombstones outnumber live
/// entries the heap is rebuilt, so cancelled timers cannot pile up.
struct TimerHeap {
    struct Entry { var deadline: UInt64; var id: Int }
    private var heap: [Entry] = []
    private var actions: [Int: () -> Void] = [:]

    var liveCount: Int { actions.count }

    mutating func insert(deadline: UInt64, id: Int, _ fire: @escaping () -> Void) {
        actions[id] = fire
        heap.append(Entry(deadline: deadline, id: id))
        siftUp(heap.count - 1)
    }

    mutating func cancel(_ id: Int) {
        guard actions.removeValue(forKey: id) != nil else { return }
        if heap.count > 64 && heap.count > 2 * actions.count { compact() }
    }

    var nextDeadline: UInt64? {
        mutating get {
            dropCancelledTop()
            return heap.first?.deadline
        }
    }

    /// The action of the earliest timer due at `now`, removed; nil if none is due.
    mutating func popDue(now: UInt64) -> (() -> Void)? {
        dropCancelledTop()
        guard let top = heap.first, top.deadline <= now else { return nil }
        removeTop()
        return actions.removeValue(forKey: top.id)
    }

    private mutating func dropCancelledTop() {
        while let top = heap.first, actions[top.id] == nil { removeTop() }
    }

    private static func less(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline != b.deadline ? a.deadline < b.deadline : a.id < b.id
    }

    private mutating func removeTop() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }

    private mutating func compact() {
        heap.removeAll { actions[$0.id] == nil }
        var i = heap.count / 2
        while i > 0 { i -= 1; siftDown(i) }
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.less(heap[i], heap[parent]) else { return }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && Self.less(heap[l], heap[m]) { m = l }
            if r < heap.count && Self.less(heap[r], heap[m]) { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
    }
}
