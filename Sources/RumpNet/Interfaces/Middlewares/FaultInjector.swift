// A test middleware: wraps any device and loses or reorders frames by a seeded rule, so tests of
// retransmission and reassembly (TCP's, next) see the same faults on every run. A frame chosen
// for reordering is held and sent after the next frame in the same direction, or after
// `holdNanoseconds` when none comes. Losses are the wire's: the interface counts the frame as
// sent (opackets), as a real wire that drops it would.

import Shmif

public final class FaultInjector: DeviceMiddleware {
    public struct Directions: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let receive = Directions(rawValue: 1)
        public static let transmit = Directions(rawValue: 2)
        public static let both: Directions = [.receive, .transmit]
    }

    public let inner: NetDevice
    public let dropPercent: Double
    public let reorderPercent: Double
    public let directions: Directions
    public let holdNanoseconds: UInt64
    private var rng: SeededRandom
    public private(set) var dropped: UInt64 = 0
    public private(set) var reordered: UInt64 = 0
    /// Frames seen, per direction, dropped or not.
    public private(set) var framesReceived: UInt64 = 0
    public private(set) var framesTransmitted: UInt64 = 0

    private struct Held {
        let storage: UnsafeMutableRawBufferPointer
        var length = 0
        var deadline: UInt64? = nil
        var frame: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[0..<length]) }
    }
    private var rxHeld: Held
    private var txHeld: Held
    /// The frame list handed to the inner device (grown to the largest batch seen).
    private var out: UnsafeMutablePointer<UnsafeRawBufferPointer>
    private var outCapacity = 64

    public init(wrapping inner: NetDevice, dropPercent: Double = 0, reorderPercent: Double = 0, seed: UInt64 = 1,
                directions: Directions = .both, holdNanoseconds: UInt64 = 1_000_000) {
        self.inner = inner
        self.dropPercent = dropPercent
        self.reorderPercent = reorderPercent
        self.directions = directions
        self.holdNanoseconds = holdNanoseconds
        rng = SeededRandom(seed: seed)
        rxHeld = Held(storage: .allocate(byteCount: 65536, alignment: 16))
        txHeld = Held(storage: .allocate(byteCount: 65536, alignment: 16))
        out = .allocate(capacity: outCapacity)
    }

    deinit {
        rxHeld.storage.deallocate()
        txHeld.storage.deallocate()
        out.deallocate()
    }

    /// True with probability `percent` / 100.
    private func roll(_ percent: Double) -> Bool {
        guard percent > 0 else { return false }
        return Double(rng.next() % 1_000_000) < percent * 10_000
    }

    private static func hold(_ f: UnsafeRawBufferPointer, in h: inout Held, until deadline: UInt64) -> Bool {
        guard f.count <= h.storage.count else { return false }
        if f.count > 0 { h.storage.baseAddress!.copyMemory(from: f.baseAddress!, byteCount: f.count) }
        h.length = f.count
        h.deadline = deadline
        return true
    }

    // MARK: NetDevice

    public func receive(into batch: inout ReceiveBatch, now: UInt64) -> Int {
        releaseTransmitIfDue(now)
        _ = inner.receive(into: &batch, now: now)
        guard directions.contains(.receive) else { return batch.count }
        let heldBefore = rxHeld.deadline != nil
        var i = 0
        var released = false
        while i < batch.count {
            framesReceived &+= 1
            if roll(dropPercent) {
                dropped &+= 1
                batch.remove(at: i)
                continue
            }
            if rxHeld.deadline == nil, !released, roll(reorderPercent),
               Self.hold(batch.frame(i), in: &rxHeld, until: now + holdNanoseconds) {
                reordered &+= 1
                batch.remove(at: i)
                continue
            }
            i += 1
            // The frame held from an earlier poll goes right after the first frame that passed.
            if heldBefore, !released, rxHeld.deadline != nil, batch.append(rxHeld.frame) {
                var j = batch.count - 1
                while j > i { batch.swapAt(j, j - 1); j -= 1 }
                rxHeld.deadline = nil
                released = true
                i += 1
            }
        }
        if let d = rxHeld.deadline, d <= now, !released, batch.append(rxHeld.frame) { rxHeld.deadline = nil }
        return batch.count
    }

    public func transmit(_ frames: FrameList, now: UInt64) -> Int {
        guard directions.contains(.transmit) else { return inner.transmit(frames, now: now) }
        if frames.count + 1 > outCapacity {
            out.deallocate()
            outCapacity = frames.count + 1
            out = .allocate(capacity: outCapacity)
        }
        let heldBefore = txHeld.deadline != nil
        var released = false
        var k = 0
        for f in frames {
            framesTransmitted &+= 1
            if roll(dropPercent) { dropped &+= 1; continue }
            if txHeld.deadline == nil, !released, !heldBefore, roll(reorderPercent),
               Self.hold(f, in: &txHeld, until: now + holdNanoseconds) {
                reordered &+= 1
                continue
            }
            out[k] = f; k += 1
            if heldBefore, !released {
                out[k] = txHeld.frame; k += 1
                released = true
            }
        }
        let taken = k == 0 ? 0 : inner.transmit(FrameList(start: out, count: k), now: now)
        if released { txHeld.deadline = nil }
        return taken == k ? frames.count : taken
    }

    /// A held frame with nothing after it goes out alone at its deadline.
    private func releaseTransmitIfDue(_ now: UInt64) {
        guard let d = txHeld.deadline, d <= now else { return }
        out[0] = txHeld.frame
        _ = inner.transmit(FrameList(start: out, count: 1), now: now)
        txHeld.deadline = nil
    }

    public var nextDeadline: UInt64? {
        var best = inner.nextDeadline
        if let d = rxHeld.deadline, d < best ?? .max { best = d }
        if let d = txHeld.deadline, d < best ?? .max { best = d }
        return best
    }
    public var hasTimedWork: Bool { true }
    public func stop() {
        rxHeld.deadline = nil
        txHeld.deadline = nil
        inner.stop()
    }
}
