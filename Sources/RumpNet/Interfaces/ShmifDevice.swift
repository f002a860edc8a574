// shmif(4) over Sources/Shmif with NetBSD's semantics: created without a bus, `linkstr` attaches
// one (EBUSY when up or already set), up without a bus is ENXIO, own frames are filtered by the
// random 64-bit sender id. As in netbsd-10, the MAC's bytes 2..5 are the id's first 4 bytes in
// memory (little-endian) order.
//
// What a bus file can do to us (docs/shmif.md, "A bus that changes under a kernel"): shrink or
// be overwritten — the interface goes link-down (RUNNING cleared, a log line, ierrors + 1) and
// the kernel keeps serving; `ifconfig shmif0 down; ifconfig shmif0 up` (or a new linkstr)
// attaches again. A bus lock held by another process: frames wait in a bounded queue and the
// watch's retry timer brings the loop back, so the loop itself never waits for the lock.
// Output comes as a loop turn's batch (`prefersBatches`): one lock hold per 8 frames and one
// wakeup for the batch (`BusWriter.sendIfFree(batch:)`).

import Shmif

public final class ShmifDevice: NetDevice {
    public let senderID: UInt64
    public let macAddress: MACAddress
    unowned let clock: NetClock
    public var hooks = DeviceHooks(name: "shmif")
    var bus: ShmifBus?
    var writer: BusWriter?
    var reader: BusReader?
    var running = false
    /// Frames that found the bus lock held, oldest first; made at the first deferral.
    var deferred: PacketRing?
    public private(set) var linkString: String?
    public private(set) var sendErrors: UInt64 = 0
    /// Frames sent late because the lock was held, and frames dropped past the queue's bound.
    public private(set) var deferredSends: UInt64 = 0
    public private(set) var deferredDrops: UInt64 = 0
    /// How many times a bus was given up (shrunk, overwritten).
    public private(set) var linkLosses: UInt64 = 0
    public private(set) var lastLoss: BusLoss?

    /// Frames written per lock hold: short holds, so that another kernel's bounded try (a reader
    /// or writer in its own loop) rarely finds the lock taken, even when a holder is preempted.
    public static let framesPerLockHold = 8
    /// Frames kept while the lock is held: a whole loop turn's batch (the stack's transmit
    /// queue holds 256), about 390 KB, made at the first deferral; beyond, output drops (oerrors).
    public static let deferredQueueFrames = 256
    /// How soon a deferred send or poll is retried: 2 ms, doubling while the lock stays
    /// held up to 32 ms, so a long hold costs well under 1 % of a CPU.
    public static let firstRetryNanoseconds = 2_000_000
    public static let longestRetryNanoseconds = 32_000_000
    private var retryNanoseconds = ShmifDevice.firstRetryNanoseconds
    /// In a kernel host (docs/kernel.md, "Many kernels in one process"): the loop's hub maps
    /// the bus once for the loop, wakes this device (`wake`, the kernel's input) when a co-hosted
    /// kernel wrote or another process did, and is told of every batch this device writes.
    /// The device then has no descriptor of its own.
    let hub: LoopBusHub?
    let wake: () -> Void
    private var subscription: LoopBusHub.Subscription?
    private var hubRetryArmed = false

    init(random: UInt64, clock: NetClock, hub: LoopBusHub? = nil, wake: @escaping () -> Void = {}) {
        self.hub = hub
        self.wake = wake
        senderID = random
        var mac: UInt64 = 0xB2A0 << 32
        for i in 0..<4 { mac |= ((random >> UInt64(8 * i)) & 0xFF) << UInt64(8 * (3 - i)) }
        macAddress = MACAddress(mac)
        self.clock = clock
    }

    deinit { deferred?.deallocate() }

    public var prefersBatches: Bool { true }

    public func transmit(_ frames: FrameList, now: UInt64) -> Int {
        guard running, let w = writer, let bus else { return 0 }
        // No system call here: a fault already caught or an overwritten header (a load).
        if bus.faulted { linkDown(bus.markLost(.faulted)); return 0 }
        if deferred?.isEmpty == false { return enqueue(frames[...]) }  // keep the order
        let sent: Int
        // In a host the hub wakes the file once at the end of the loop turn, for every kernel of
        // the loop that wrote to this bus in it.
        do { sent = try w.sendIfFree(batch: frames, framesPerHold: Self.framesPerLockHold, wake: hub == nil) } catch { sendErrors &+= 1; return 0 }
        if bus.faulted { linkDown(bus.markLost(.faulted)); return 0 }
        if sent > 0, let hub, let subscription { hub.wrote(by: subscription, to: bus, before: w.endBeforeLastSend, after: w.endAfterLastSend) }
        return sent == frames.count ? sent : sent + enqueue(frames[sent...])
    }

    /// Keeps frames the held lock refused; returns how many fit in the queue.
    private func enqueue(_ frames: Slice<FrameList>) -> Int {
        if deferred == nil { deferred = PacketRing(capacity: Self.deferredQueueFrames, slotBytes: 1514) }
        var n = 0
        for f in frames {
            guard deferred!.push(f, tag: 0) else { deferredDrops &+= 1; break }
            n += 1
        }
        retryLater()
        return n
    }

    /// The lock was held: come back later, a little later each time it still is.
    private func retryLater() {
        if let hub {
            guard !hubRetryArmed, subscription != nil else { return }
            hubRetryArmed = true
            hub.after(UInt64(retryNanoseconds)) { [weak self] in
                guard let self else { return }
                self.hubRetryArmed = false
                if self.running { self.wake() }
            }
            retryNanoseconds = min(retryNanoseconds * 2, Self.longestRetryNanoseconds)
            return
        }
        guard let watch = reader?.watch, !watch.retryArmed else { return }
        watch.armRetry(nanoseconds: retryNanoseconds)
        retryNanoseconds = min(retryNanoseconds * 2, Self.longestRetryNanoseconds)
    }

    /// Sends what waited for the lock, in order, as long as the lock comes free at once.
    private func flushDeferred() {
        guard deferred != nil, let w = writer else { return }
        var before: (UInt64, UInt32)?
        defer { if before != nil, let hub, let subscription, let bus { hub.wrote(by: subscription, to: bus, before: before, after: w.endAfterLastSend) } }
        while !deferred!.isEmpty {
            let (frame, _) = deferred!.peek()
            do {
                guard try w.sendIfFree(frame, wake: hub == nil) else {
                    retryLater()
                    return
                }
                deferredSends &+= 1
                if before == nil { before = w.endBeforeLastSend }
            } catch { sendErrors &+= 1 }
            deferred!.pop()
        }
    }

    private func dropDeferred() {
        guard deferred != nil else { return }
        while !deferred!.isEmpty { deferred!.pop(); deferredDrops &+= 1 }
    }

    public func start() throws(Errno) {
        // A bus given up (or dropped by `down` after it was lost) is attached again from its path.
        if bus == nil || bus?.lost != nil, let path = linkString {
            reader = nil; writer = nil; bus = nil
            try attach(path)
        }
        guard let bus else { throw .ENXIO }
        // shmif_init: start reading at the bus's current end.
        if let hub {
            unsubscribe()
            reader = BusReader(bus: bus, ownSenderID: senderID, start: .next, watch: nil)
            do { subscription = try hub.subscribe(bus, wake: wake) } catch { reader = nil; throw .ENXIO }
        } else {
            do { reader = try BusReader(bus: bus, ownSenderID: senderID, start: .next, retryTimer: true) } catch { throw .ENXIO }
        }
        running = true
    }

    /// if_stop: the reader (and its watch) goes, so a down interface's descriptor leaves the
    /// loop at once and a busy bus cannot keep waking it; queued output is dropped.
    private func unsubscribe() {
        if let hub, let subscription { hub.unsubscribe(subscription) }
        subscription = nil
    }

    public func stop() {
        running = false
        unsubscribe()
        reader = nil
        dropDeferred()
        if bus?.lost != nil { writer = nil; bus = nil }
    }

    public func detach() {
        running = false
        unsubscribe()
        dropDeferred()
        reader = nil; writer = nil; bus = nil; linkString = nil
    }

    public func setLinkString(_ s: String) throws(Errno) {
        guard !running else { throw .EBUSY }
        guard bus == nil || bus?.lost != nil else { throw .EBUSY }
        guard !s.isEmpty else { throw .EINVAL }
        guard s.utf8.count + 1 <= 1024 else { throw .E2BIG }
        reader = nil; writer = nil; bus = nil
        try attach(s)
    }

    /// Attaches the bus file, or answers the errno that says what is wrong with it and logs
    /// the precise reason (NetBSD's shmif prints "bus is not magical" the same way).
    private func attach(_ path: String) throws(Errno) {
        do {
            let b = try hub?.attach(path: path) ?? ShmifBus.attach(path: path)
            // NetBSD stamps its uptime; we stamp wall-clock time so that captures of a lab
            // show real dates (docs/shmif.md). The stamp is advisory: no receiver reads it.
            writer = BusWriter(bus: b, senderID: senderID)
            bus = b
            linkString = path
        } catch let e as ShmifError {
            hooks.log("\(hooks.name): linkstr \(e.description)")
            throw Self.errno(for: e.reason)
        } catch {
            throw .EINVAL
        }
    }

    /// The errno a linkstr failure answers: the host's for system calls (Linux and NetBSD
    /// agree below 35), EISDIR for a directory, ENODEV for a device or FIFO, EINVAL for a
    /// file of the wrong size, ENOEXEC ("not magical", as NetBSD) for a foreign file.
    static func errno(for reason: ShmifError.Reason) -> Errno {
        switch reason {
        case let .system(_, e): return e.rawValue > 0 && e.rawValue < 35 ? Errno(e.rawValue) : .EIO
        case .isDirectory: return .EISDIR
        case .notRegularFile: return .ENODEV
        case .wrongSize: return .EINVAL
        case .notMagical, .byteSwapped, .corrupt: return .ENOEXEC
        case .frameLength: return .EINVAL
        }
    }

    public func clearLinkString() throws(Errno) {
        guard !running else { throw .EBUSY }
        reader = nil; writer = nil; bus = nil; linkString = nil
    }

    public func receive(into batch: inout ReceiveBatch, now: UInt64) -> Int {
        guard running, let r = reader, let bus else { return 0 }
        // Drain the wakeups first: a write after this poll still wakes the event loop.
        r.watch?.drain()
        // Before the mapping is touched: the header's magic and offsets, and one fstat per poll
        // (not per frame). In a host the hub makes the fstat when another process touched the
        // file (its inotify event), so a poll for a co-hosted writer's frames needs none where
        // the SIGBUS guard covers the mapping.
        if let loss = bus.validate(checkSize: hub == nil) { linkDown(loss); return 0 }
        flushDeferred()
        // The stack calls again while the batch comes back full (a burst's tail must not wait
        // for the next frame to arrive: the wakeups are drained).
        guard let n = r.pollIfFree(into: &batch) else {
            retryLater()
            return 0
        }
        if deferred?.isEmpty ?? true { retryNanoseconds = Self.firstRetryNanoseconds }
        // Frames read from pages the guard had to replace are zeros, not the bus's.
        if bus.faulted { batch.removeAll(); linkDown(bus.markLost(.faulted)); return 0 }
        return n
    }

    /// The bus is gone: link state DOWN, as NetBSD logs it, with the reason; the watch is
    /// silenced (its descriptor stays open until the next configuration call drops it).
    private func linkDown(_ loss: BusLoss) {
        guard running else { return }
        running = false
        linkLosses &+= 1
        lastLoss = loss
        dropDeferred()
        reader?.watch?.silence()
        unsubscribe()
        hooks.linkDown("bus \(linkString ?? "?"): \(loss)")
    }

    public var fileDescriptor: Int32? { reader?.watch?.fileDescriptor }
}
