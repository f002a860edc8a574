#if canImport(Glibc)
import Glibc
#endif

/// Sends frames onto a bus under one sender id, as NetBSD's `shmif_start` does: per frame,
/// under the bus lock, the new frame starts at `nextpktoff(shm_last)`, the oldest frames
/// it will overwrite are dropped from `shm_first`, the header and payload are copied,
/// and `shm_gen` counts a wrap. One wakeup follows each send call (a frame or a batch).
///
/// The only difference in order from NetBSD: `shm_first` is published before the copy
/// and `shm_last` / `shm_gen` after it, so that a writer killed mid-copy leaves no torn
/// frame inside the valid part of the ring. The resulting header is identical.
public final class BusWriter {
    public let bus: ShmifBus
    /// `sp_sender`: receivers on the same interface id drop these frames.
    public let senderID: UInt64
    /// Returns the (seconds, microseconds) stamped into each frame header.
    public var clock: () -> (UInt32, UInt32)

    public private(set) var framesSent: UInt64 = 0
    public private(set) var bytesSent: UInt64 = 0
    public private(set) var batchesSent: UInt64 = 0
    /// The ring's end (generation, shm_last) just before the last send call placed its first
    /// frame, read under the lock: what a kernel host's fast path compares with the end its
    /// readers were last given (`LoopBusHub.wrote(by:before:)`).
    public private(set) var endBeforeLastSend: (UInt64, UInt32)?
    /// The ring's end just after the last send call placed its last frame, under the lock.
    public private(set) var endAfterLastSend: (UInt64, UInt32)?

    /// Largest number of frames written under one lock hold, so a long batch cannot
    /// starve readers and other writers.
    public static let framesPerLockHold = 64

    public init(bus: ShmifBus, senderID: UInt64, clock: @escaping () -> (UInt32, UInt32) = BusWriter.wallClock) {
        self.bus = bus
        self.senderID = senderID
        self.clock = clock
    }

    /// Wall-clock time, so that captures show real dates (NetBSD stamps its uptime).
    public static func wallClock() -> (UInt32, UInt32) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return (UInt32(truncatingIfNeeded: ts.tv_sec), UInt32(ts.tv_nsec / 1000))
    }

    /// Sends one Ethernet frame (14...1514 bytes) and wakes the bus.
    public func send(_ frame: UnsafeRawBufferPointer) throws {
        try checkLength(frame.count)
        let (sec, usec) = clock()
        bus.lock.acquire()
        let ok = place(frame, seconds: sec, microseconds: usec)
        bus.lock.release()
        guard ok else { throw corruptLast() }
        batchesSent &+= 1
        bus.wakeup()
    }

    /// Sends one frame unless the bus lock stays held through a bounded try (no sleep):
    /// false when nothing was written because another process holds the lock. For an event
    /// loop, which defers the frame rather than stop (docs/shmif.md, "A held lock").
    /// With `wake` false the caller owes the bus one `ShmifBus.wakeup()` later: an event loop
    /// sends a turn's frames this way and wakes the readers once at the end of the turn.
    public func sendIfFree(_ frame: UnsafeRawBufferPointer, wake: Bool = true) throws -> Bool {
        try checkLength(frame.count)
        let (sec, usec) = clock()
        guard bus.lock.acquireBounded() else { return false }
        endBeforeLastSend = (bus.ring.generation, bus.ring.last)
        let ok = place(frame, seconds: sec, microseconds: usec)
        endAfterLastSend = (bus.ring.generation, bus.ring.last)
        bus.lock.release()
        guard ok else { throw corruptLast() }
        batchesSent &+= 1
        if wake { bus.wakeup() }
        return true
    }

    /// Sends the first frames of `frames` that fit under bounded lock tries (no sleep): one
    /// lock hold per `framesPerHold` frames and one wakeup at the end when anything was
    /// written. Returns how many frames were written, in order; fewer than `frames.count`
    /// (possibly 0) when the lock stayed held, so the caller keeps the rest and retries. For
    /// an event loop's turn of output (docs/shmif.md, "A held lock").
    /// With `wake` false the caller owes the bus one `ShmifBus.wakeup()` when anything was sent.
    public func sendIfFree<C: Collection>(batch frames: C, framesPerHold: Int = BusWriter.framesPerLockHold,
                                          wake: Bool = true) throws -> Int
        where C.Element == UnsafeRawBufferPointer {
        for f in frames { try checkLength(f.count) }
        if frames.isEmpty { return 0 }
        let (sec, usec) = clock()
        var sent = 0
        var failed = false
        var it = frames.makeIterator()
        var next = it.next()
        outer: while next != nil {
            guard bus.lock.acquireBounded() else { break }
            if sent == 0 { endBeforeLastSend = (bus.ring.generation, bus.ring.last) }
            var inHold = 0
            while let f = next, inHold < max(1, framesPerHold) {
                if !place(f, seconds: sec, microseconds: usec) { failed = true; break }
                sent += 1
                inHold += 1
                next = it.next()
            }
            endAfterLastSend = (bus.ring.generation, bus.ring.last)
            bus.lock.release()
            if failed { break outer }
        }
        if sent > 0 {
            batchesSent &+= 1
            if wake { bus.wakeup() }
        }
        if failed { throw corruptLast() }
        return sent
    }

    public func send(_ frame: [UInt8]) throws {
        try frame.withUnsafeBytes { try send($0) }
    }

    /// Sends a batch: the lock is taken once per `framesPerLockHold` frames and the bus is
    /// woken once at the end. All lengths are checked before anything is written.
    public func send<C: Collection>(batch frames: C) throws where C.Element == UnsafeRawBufferPointer {
        for f in frames { try checkLength(f.count) }
        if frames.isEmpty { return }
        let (sec, usec) = clock()
        var inHold = 0
        var failed = false
        bus.lock.acquire()
        for f in frames {
            if inHold == Self.framesPerLockHold {
                bus.lock.release()
                bus.lock.acquire()
                inHold = 0
            }
            if !place(f, seconds: sec, microseconds: usec) { failed = true; break }
            inHold += 1
        }
        bus.lock.release()
        batchesSent &+= 1
        bus.wakeup()
        if failed { throw corruptLast() }
    }

    private func checkLength(_ n: Int) throws {
        guard n >= BusLayout.minFrameLength && n <= BusLayout.maxFrameLength else {
            throw ShmifError(path: bus.path, reason: .frameLength(n))
        }
    }

    private func corruptLast() -> ShmifError {
        let last = bus.header().last
        return ShmifError(path: bus.path, reason: .corrupt("frame header at ring offset 0x\(String(last, radix: 16)) (shm_last) has an impossible length; nothing was sent"))
    }

    /// Writes one frame; the caller holds the lock. False if the ring is corrupt.
    @inline(__always)
    private func place(_ frame: UnsafeRawBufferPointer, seconds: UInt32, microseconds: UInt32) -> Bool {
        let ring = bus.ring
        let last = ring.last
        guard last < BusLayout.dataSize, let pos = ring.nextFrameOffset(last) else { return false }
        let previousSequence = ring.frameHeader(at: last).sequence
        let length = UInt32(frame.count)

        // Drop the oldest frames that this one will overwrite, exactly as NetBSD's
        // buswrite calls advancefirst for the header and then for the payload.
        var first = ring.first
        var wrapped = false
        let afterHeader = Self.coverage(of: BusLayout.frameHeaderSize, at: pos, first: &first, wrapped: &wrapped, ring: ring)
        _ = Self.coverage(of: length, at: afterHeader, first: &first, wrapped: &wrapped, ring: ring)
        ring.first = first

        let header = FrameHeader(length: length, seconds: seconds, microseconds: microseconds,
                                 sequence: previousSequence &+ 1, sender: senderID)
        var raw = (UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &raw) { h in
            header.store(to: h.baseAddress!)
            _ = ring.write(at: pos, from: h.baseAddress!, count: BusLayout.frameHeaderSize)
        }
        _ = ring.write(at: afterHeader, from: frame.baseAddress!, count: length)

        if wrapped { ring.generation &+= 1 }
        ring.last = pos
        framesSent &+= 1
        bytesSent &+= UInt64(length)
        return true
    }

    /// What `shmif_buswrite(off, len)` does to `shm_first` and the wrap flag, without the
    /// copy. Returns the offset after the region.
    @inline(__always)
    static func coverage(of len: UInt32, at off: UInt32, first: inout UInt32, wrapped: inout Bool, ring: BusRing) -> UInt32 {
        let chunk = min(len, BusLayout.dataSize - off)
        let filledBus = off + chunk == BusLayout.dataSize
        advanceFirst(from: off, length: chunk + (filledBus ? 1 : 0), first: &first, ring: ring)
        if filledBus { wrapped = true }
        let rest = len - chunk
        if rest == 0 { return (off + chunk) % BusLayout.dataSize }
        advanceFirst(from: 0, length: rest, first: &first, ring: ring)
        return rest
    }

    /// `shmif_advancefirst`: drop every oldest frame whose start lies in about
    /// [off - header, off + len). A corrupt header there drops everything up to `off`.
    @inline(__always)
    static func advanceFirst(from off: UInt32, length len: UInt32, first: inout UInt32, ring: BusRing) {
        while UInt64(off) <= UInt64(first) + UInt64(BusLayout.frameHeaderSize) && UInt64(off) + UInt64(len) > UInt64(first) {
            guard first <= BusLayout.dataSize, let next = ring.nextFrameOffset(first == BusLayout.dataSize ? 0 : first) else {
                first = off
                return
            }
            first = next
        }
    }
}
