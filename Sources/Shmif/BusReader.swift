#if canImport(Glibc)
import Glibc
#endif

/// Frames copied out of the ring under one lock hold, kept in one reusable buffer so
/// that receiving allocates nothing per frame.
public struct FrameBatch: ~Copyable {
    public struct Entry: Sendable {
        public var offset: Int
        public var header: FrameHeader
    }
    /// Payload bytes of all frames, back to back.
    public private(set) var storage: UnsafeMutableRawBufferPointer
    public private(set) var entries: [Entry] = []
    public private(set) var usedBytes = 0

    public init(capacityBytes: Int = 256 * 1024) {
        storage = .allocate(byteCount: max(capacityBytes, BusLayout.maxFrameLength), alignment: 16)
        entries.reserveCapacity(capacityBytes / 64)
    }

    deinit { storage.deallocate() }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// The frame bytes of entry `i`, valid until the next receive into this batch.
    public func frame(_ i: Int) -> UnsafeRawBufferPointer {
        let e = entries[i]
        return UnsafeRawBufferPointer(rebasing: storage[e.offset ..< e.offset + Int(e.header.length)])
    }

    public mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        usedBytes = 0
    }

    public var freeBytes: Int { storage.count - usedBytes }

    /// Appends a copy of `frame` (a frame from another medium: a tap, a memory link); false,
    /// and nothing appended, when it does not fit.
    @discardableResult
    public mutating func append(_ frame: UnsafeRawBufferPointer) -> Bool {
        guard frame.count <= freeBytes else { return false }
        let header = FrameHeader(length: UInt32(frame.count), seconds: 0, microseconds: 0, sender: 0)
        append(header: header) { dst in if frame.count > 0 { dst.copyMemory(from: frame.baseAddress!, byteCount: frame.count) } }
        return true
    }

    /// Lets `fill` write one frame straight into the free space (at most `maxLength` bytes, a
    /// read(2) from a tap); it returns the frame's length, or nil for no frame. The frame is kept
    /// when the length is above 0. Returns that length, or nil when the space is short or `fill`
    /// gave none.
    public mutating func appendInPlace(maxLength: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int?) -> Int? {
        guard freeBytes >= maxLength else { return nil }
        let space = UnsafeMutableRawBufferPointer(rebasing: storage[usedBytes ..< usedBytes + maxLength])
        guard let n = fill(space), n > 0, n <= maxLength else { return nil }
        entries.append(Entry(offset: usedBytes, header: FrameHeader(length: UInt32(n), seconds: 0, microseconds: 0, sender: 0)))
        usedBytes += n
        return n
    }

    /// Removes entry `i` (its bytes stay until the batch is emptied): a middleware's drop.
    public mutating func remove(at i: Int) { entries.remove(at: i) }

    /// Exchanges two entries: a middleware's reordering.
    public mutating func swapAt(_ i: Int, _ j: Int) { entries.swapAt(i, j) }

    mutating func append(header: FrameHeader, copy: (UnsafeMutableRawPointer) -> Void) {
        copy(storage.baseAddress! + usedBytes)
        entries.append(Entry(offset: usedBytes, header: header))
        usedBytes += Int(header.length)
    }
}

/// Reads a bus as one attached interface does (NetBSD `shmif_rcv`): frames in ring order,
/// copied out under the lock so none is ever torn, its own sender id filtered out, frames
/// shorter than 14 bytes (the fresh bus's dummy) skipped, lapping detected and resynced to
/// `shm_first`.
///
/// Positions are tracked as absolute byte counts (`generation * dataSize + offset`) rather
/// than NetBSD's (offset, generation) pair, which avoids the off-by-one generation NetBSD
/// can pick when the last frame straddles the ring's end.
public final class BusReader {
    public enum Start: Sendable {
        /// After the last frame written so far (what an interface coming up wants).
        case next
        /// At the oldest intact frame (what a capture of the bus's history wants).
        case oldest
    }

    public let bus: ShmifBus
    /// Frames with this sender id are not delivered (an interface never hears itself).
    public let ownSenderID: UInt64?
    /// The reader's own wake-up source; nil for a reader a `LoopBusHub` wakes.
    public let watch: BusWatch?

    /// Absolute position of the next frame header to read.
    private var position: UInt64
    private var expectedSequence: UInt32?

    public private(set) var framesReceived: UInt64 = 0
    public private(set) var bytesReceived: UInt64 = 0
    /// Frames overwritten before this reader got to them.
    public private(set) var framesLost: UInt64 = 0
    public private(set) var bytesLost: UInt64 = 0
    /// How many times the reader found itself lapped and resynced.
    public private(set) var laps: UInt64 = 0
    public private(set) var ownFramesSkipped: UInt64 = 0
    /// Frames longer than 1514 bytes, and corrupt ring state skipped over.
    public private(set) var malformed: UInt64 = 0

    /// `retryTimer`: the watch also carries a one-shot timer (`watch.armRetry`), for an
    /// event loop that defers work when the lock is held.
    public convenience init(bus: ShmifBus, ownSenderID: UInt64? = nil, start: Start = .next, retryTimer: Bool = false) throws {
        self.init(bus: bus, ownSenderID: ownSenderID, start: start, watch: try BusWatch(path: bus.path, retryTimer: retryTimer))
    }

    /// A reader with the given watch, or none (a kernel host's, woken by its `LoopBusHub`).
    public init(bus: ShmifBus, ownSenderID: UInt64? = nil, start: Start = .next, watch: BusWatch?) {
        self.bus = bus
        self.ownSenderID = ownSenderID
        self.watch = watch
        // A bounded try: a lock held by another process must not stop `ifconfig up`. Without
        // the lock the start position may be slightly off; poll re-validates everything.
        let locked = bus.lock.acquireBounded()
        let state = Self.bounds(bus.ring)
        let lastSequence = state == nil ? 0 : bus.ring.frameHeader(at: bus.ring.last).sequence
        if locked { bus.lock.release() }
        switch (start, state) {
        case let (.next, .some(b)):
            position = b.end
            expectedSequence = lastSequence &+ 1
        case let (.oldest, .some(b)): position = b.first
        case (_, .none): position = 0
        }
    }

    /// The valid data of the ring as absolute positions, or nil if the header is corrupt.
    static func bounds(_ ring: BusRing) -> (first: UInt64, end: UInt64)? {
        let first = ring.first, last = ring.last, gen = ring.generation
        guard first <= BusLayout.dataSize, last < BusLayout.dataSize,
              let endOff = ring.nextFrameOffset(last) else { return nil }
        let d = UInt64(BusLayout.dataSize)
        let end = gen &* d &+ UInt64(endOff)
        let absFirst: UInt64
        if first == BusLayout.dataSize {
            absFirst = 0  // never wrapped
        } else if first >= endOff {
            guard gen > 0 else { return nil }
            absFirst = (gen - 1) &* d &+ UInt64(first)
        } else {
            absFirst = gen &* d &+ UInt64(first)
        }
        return (absFirst, end)
    }

    /// Copies every frame available now into `batch` (replacing its contents), up to its
    /// capacity, under one lock hold. Returns the number of frames delivered. Never blocks
    /// except on the lock.
    @discardableResult
    public func poll(into batch: inout FrameBatch) -> Int {
        batch.removeAll()
        bus.lock.acquire()
        defer { bus.lock.release() }
        return pollLocked(into: &batch)
    }

    /// As `poll`, unless the lock stays held through a bounded try (no sleep): nil then,
    /// and nothing was read. For an event loop, which retries on a timer instead of stopping.
    public func pollIfFree(into batch: inout FrameBatch) -> Int? {
        batch.removeAll()
        guard bus.lock.acquireBounded() else { return nil }
        defer { bus.lock.release() }
        return pollLocked(into: &batch)
    }

    private func pollLocked(into batch: inout FrameBatch) -> Int {
        let ring = bus.ring
        guard let b = Self.bounds(ring) else {
            malformed &+= 1
            return 0
        }
        if position == b.end { return 0 }
        if position > b.end {
            // The bus went backwards: re-initialised or damaged. Start again at its end.
            malformed &+= 1
            position = b.end
            return 0
        }
        if position < b.first {
            lapped(lostBytes: b.first - position, ring: ring, firstOffset: UInt32(b.first % UInt64(BusLayout.dataSize)))
            position = b.first
        }
        let d = UInt64(BusLayout.dataSize)
        while position < b.end {
            let off = UInt32(position % d)
            let h = ring.frameHeader(at: off)
            let total = UInt64(BusLayout.frameHeaderSize) + UInt64(h.length)
            guard h.length <= BusRing.maxSaneLength, position + total <= b.end else {
                malformed &+= 1
                position = b.end
                break
            }
            let len = Int(h.length)
            if len < BusLayout.minFrameLength {
                // the zero-length entry of a fresh bus, or junk: skipped as NetBSD does
            } else if len > BusLayout.maxFrameLength {
                malformed &+= 1
            } else if let own = ownSenderID, h.sender == own {
                ownFramesSkipped &+= 1
            } else {
                if batch.freeBytes < len { break }
                let dataOff = BusLayout.advance(off, by: BusLayout.frameHeaderSize)
                batch.append(header: h) { dst in _ = ring.read(at: dataOff, into: dst, count: h.length) }
                framesReceived &+= 1
                bytesReceived &+= UInt64(len)
            }
            if len >= BusLayout.minFrameLength { expectedSequence = h.sequence &+ 1 }
            position += total
        }
        return batch.count
    }

    private func lapped(lostBytes: UInt64, ring: BusRing, firstOffset: UInt32) {
        laps &+= 1
        bytesLost &+= lostBytes
        // Our writers number frames in the header padding; trust the difference if it is
        // possible for that many bytes (every frame is 24...1538 bytes), else estimate.
        let seqFirst = ring.frameHeader(at: firstOffset).sequence
        let most = lostBytes / UInt64(BusLayout.frameHeaderSize)
        let least = lostBytes / UInt64(BusLayout.frameHeaderSize + UInt32(BusLayout.maxFrameLength))
        if let expected = expectedSequence {
            let diff = UInt64(seqFirst &- expected)
            if diff >= least && diff <= most {
                framesLost &+= diff
                return
            }
        }
        let mean = framesReceived + ownFramesSkipped > 0
            ? max(UInt64(BusLayout.frameHeaderSize), (bytesReceived / max(framesReceived, 1)) + UInt64(BusLayout.frameHeaderSize))
            : 64
        framesLost &+= max(1, lostBytes / mean)
    }

    /// Waits until the bus is written to or the timeout passes (nil waits forever).
    /// Returns true if woken by a write. Spurious wakeups are possible: poll again.
    @discardableResult
    public func wait(timeoutMilliseconds: Int32? = nil) -> Bool {
        guard let watch else { return false }
        return watch.wait(timeoutMilliseconds: timeoutMilliseconds ?? -1)
    }

    /// Polls, and if nothing is there waits (up to the timeout) and polls again.
    @discardableResult
    public func receive(into batch: inout FrameBatch, timeoutMilliseconds: Int32? = nil) -> Int {
        watch?.drain()
        if poll(into: &batch) > 0 { return batch.count }
        let deadline = timeoutMilliseconds.map { monotonicNanoseconds() + UInt64(max(0, $0)) * 1_000_000 }
        while true {
            var remaining: Int32 = -1
            if let deadline {
                let now = monotonicNanoseconds()
                if now >= deadline { return 0 }
                remaining = Int32(min(UInt64(Int32.max), (deadline - now + 999_999) / 1_000_000))
            }
            guard let watch else { return 0 }
            watch.wait(timeoutMilliseconds: remaining)
            if poll(into: &batch) > 0 { return batch.count }
        }
    }

    /// The descriptor an event loop can watch for readability: readable after a write
    /// to the bus. Call `watch.drain()` and then `poll` when it fires.
    public var fileDescriptor: Int32 { watch?.fileDescriptor ?? -1 }
}
