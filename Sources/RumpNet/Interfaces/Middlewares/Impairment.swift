// A link impairment: netem's model (tc-netem(8), Linux's sch_netem.c) as a middleware around any
// device, egress and ingress each with their own `NetemSpec`. Time is only the `now` the stack
// passes, so it runs on the kernel's clock and on virtual time in tests. A frame that has to wait
// (delay, rate) is copied into a slot of a pool that grows to the queue limit and no further, and
// queued by its time to send; the device's `nextDeadline` makes the stack call back then. Frames
// due at once with nothing queued before them go through without a copy. A frame's fate follows
// netem's order: loss, duplicate, corrupt, queue limit, then its time (reorder, delay, rate).

import Shmif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct ImpairmentCounters: Equatable, Sendable {
    /// Frames that came to the impairment.
    public var frames: UInt64 = 0
    /// Lost by the loss model.
    public var dropped: UInt64 = 0
    /// Held for a later time.
    public var delayed: UInt64 = 0
    public var duplicated: UInt64 = 0
    public var corrupted: UInt64 = 0
    /// Sent ahead of frames queued before them (reorder).
    public var reordered: UInt64 = 0
    /// Tail drops at the queue limit.
    public var rateDropped: UInt64 = 0
    /// Held by the rate limit behind frames still on the wire (the link was busy).
    public var rateLimited: UInt64 = 0
    /// Lost because the link was down.
    public var downDropped: UInt64 = 0
    /// Frames passed on to the medium or the stack.
    public var delivered: UInt64 = 0

    public init() {}

    public var fields: [(String, UInt64)] {
        [("frames", frames), ("dropped", dropped), ("delayed", delayed), ("duplicated", duplicated),
         ("corrupted", corrupted), ("reordered", reordered), ("rate_dropped", rateDropped), ("rate_limited", rateLimited),
         ("down_dropped", downDropped), ("delivered", delivered)]
    }
}

/// The held frames in time order: an array read from `head`, so taking the head costs O(1)
/// (Array's removeFirst would move every frame behind it); compacted once half is taken.
struct TimeQueue {
    private var items: [ImpairedPath.Queued] = []
    private var head = 0
    var isEmpty: Bool { head == items.count }
    var count: Int { items.count - head }
    var first: ImpairedPath.Queued? { head < items.count ? items[head] : nil }
    subscript(i: Int) -> ImpairedPath.Queued { items[head + i] }
    var all: ArraySlice<ImpairedPath.Queued> { items[head...] }
    mutating func reserveCapacity(_ n: Int) { items.reserveCapacity(n) }
    mutating func insert(_ e: ImpairedPath.Queued, at i: Int) {
        if i == 0 && head > 0 {
            head -= 1
            items[head] = e
        } else {
            items.insert(e, at: head + i)
        }
    }
    mutating func removeFirst() -> ImpairedPath.Queued {
        let e = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 256 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return e
    }
    mutating func removeAll(keepingCapacity: Bool) {
        items.removeAll(keepingCapacity: keepingCapacity)
        head = 0
    }
}

/// One direction's model and queue. Like the device it belongs to, it is used only on its
/// stack's event loop thread, so the per-frame state skips Swift's dynamic exclusivity checks
/// (`@exclusivity(unchecked)`: no access can overlap another on one thread here).
final class ImpairedPath {
    private(set) var spec: NetemSpec
    @exclusivity(unchecked) var counters = ImpairmentCounters()
    private var rng: SeededRandom

    // netem's correlated random state, per parameter.
    private var lastDelay = 0.0, lastLoss = 0.0, lastDuplicate = 0.0, lastCorrupt = 0.0, lastReorder = 0.0
    private var geBad = false
    private var reorderCounter = 0
    /// When the last queued frame goes out (the rate limit's tail).
    private var lastSend: UInt64 = 0
    /// netem's slot: when the next one opens (0 with none yet: open) and what it may still let out.
    private var slotNext: UInt64 = 0
    private var slotPacketsLeft = Int.max, slotBytesLeft = Int.max

    static let slotBytes = 1536
    private var pool: UnsafeMutableRawBufferPointer
    private var poolSlots = 0
    private var freeSlots: [Int32] = []
    struct Queued { var time: UInt64; var slot: Int32; var length: Int32 }
    /// Ordered by time (equal times in arrival order).
    @exclusivity(unchecked) private(set) var queue = TimeQueue()
    @exclusivity(unchecked) private(set) var queuedBytes = 0

    init(spec: NetemSpec, seed: UInt64) {
        self.spec = spec
        isIdentity = spec.isIdentity
        rng = SeededRandom(seed: seed)
        pool = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        queue.reserveCapacity(min(spec.limitPackets, 1024))
        setSpec(spec)
    }

    deinit { if pool.baseAddress != nil { pool.deallocate() } }

    /// The spec changes nothing (kept with the spec, so the idle path reads one Bool).
    @exclusivity(unchecked) private(set) var isIdentity: Bool
    var isIdle: Bool { isIdentity && queue.isEmpty }

    /// When the head of the queue may go: its time, or the slot's opening if later.
    var nextTime: UInt64? {
        guard let q = queue.first else { return nil }
        guard spec.slot != nil else { return q.time }
        refreshSlot()
        return max(q.time, slotNext)
    }

    func setSpec(_ s: NetemSpec) {
        spec = s
        isIdentity = s.isIdentity
        if s.rateBitsPerSecond == 0 { lastSend = 0 }
        if let slot = s.slot {
            slotPacketsLeft = slot.packets > 0 ? slot.packets : .max
            slotBytesLeft = slot.bytes > 0 ? slot.bytes : .max
        } else {
            slotNext = 0
        }
    }

    func clear() {
        for q in queue.all { freeSlots.append(q.slot) }
        queue.removeAll(keepingCapacity: true)
        queuedBytes = 0
        lastSend = 0
    }

    // MARK: randomness (sch_netem.c's get_crandom and tabledist)

    private func uniform() -> Double { Double(rng.next() >> 11) * 0x1p-53 }

    /// A uniform value correlated with the last one by `rho` percent.
    private func correlated(_ last: inout Double, _ rho: Double) -> Double {
        let u = uniform()
        guard rho > 0 else { return u }
        let r = rho / 100
        last = u * (1 - r) + last * r
        return last
    }

    private func roll(_ percent: Double, _ last: inout Double, _ rho: Double) -> Bool {
        guard percent > 0 else { return false }
        return correlated(&last, rho) * 100 < percent
    }

    /// The standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9).
    static func normalQuantile(_ p0: Double) -> Double {
        let p = min(max(p0, 1e-300), 1 - 1e-16)
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549671348605180e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p > 1 - low {
            let q = (-2 * log(1 - p)).squareRoot()
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let q = p - 0.5, r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }

    /// iproute2's pareto table: (u^(-1/3) - 1.5) * 4/3, Pareto with alpha 3 shifted to mean 0.
    static func paretoValue(_ u: Double) -> Double {
        (pow(max(1 - u, 1e-12), -1.0 / 3.0) - 1.5) * (4.0 / 3.0)
    }

    /// The frame's delay in nanoseconds: delay plus jitter drawn from the distribution.
    private func sampleDelay() -> UInt64 {
        guard spec.jitterNanoseconds > 0 else { return spec.delayNanoseconds }
        let u = correlated(&lastDelay, spec.delayCorrelation)
        return Self.tabledist(mu: spec.delayNanoseconds, sigma: spec.jitterNanoseconds, spec.distribution, u, uniform())
    }

    /// mu plus sigma times the distribution's value at `u` (`u2`: paretonormal's normal part),
    /// never below 0.
    static func tabledist(mu: UInt64, sigma: UInt64, _ dist: NetemSpec.Distribution, _ u: Double, _ u2: Double) -> UInt64 {
        let mu = Double(mu), sigma = Double(sigma)
        let x: Double
        switch dist {
        case .uniform: x = (2 * u - 1) * sigma
        case .normal: x = Self.normalQuantile(u) * sigma
        case .pareto: x = Self.paretoValue(u) * sigma
        // iproute2's paretonormal table: a quarter normal, three quarters pareto.
        case .paretonormal: x = (0.25 * Self.normalQuantile(u2) + 0.75 * Self.paretoValue(u)) * sigma
        }
        return UInt64(max(0, mu + x).rounded())
    }

    // MARK: slots (sch_netem.c's get_slot_next)

    /// Opens the next slot `from` a time: MIN...MAX uniform, or DELAY ± JITTER from a distribution.
    private func nextSlot(from t: UInt64) {
        guard let s = spec.slot else { return }
        let d: UInt64
        if let dist = s.distribution {
            d = Self.tabledist(mu: s.minNanoseconds, sigma: s.jitterNanoseconds, dist, uniform(), uniform())
        } else {
            d = s.minNanoseconds + UInt64(uniform() * Double(s.maxNanoseconds - s.minNanoseconds))
        }
        slotNext = t &+ d
        slotPacketsLeft = s.packets > 0 ? s.packets : .max
        slotBytesLeft = s.bytes > 0 ? s.bytes : .max
    }

    /// A head frame queued after the slot opened waits for a new slot from its own time (netem:
    /// a slot carries what had accumulated when it opened).
    private func refreshSlot() {
        if let q = queue.first, slotNext < q.time { nextSlot(from: q.time) }
    }

    /// How many frames from the head may go now (at most `limit`): due, and within the slot.
    func releasable(now: UInt64, limit: Int) -> Int {
        guard !queue.isEmpty else { return 0 }
        guard spec.slot != nil else {
            var k = 0
            while k < queue.count, k < limit, queue[k].time <= now { k += 1 }
            return k
        }
        refreshSlot()
        guard slotNext <= now else { return 0 }
        var k = 0, packets = slotPacketsLeft, bytes = slotBytesLeft
        while k < queue.count, k < limit, queue[k].time <= slotNext, packets > 0, bytes > 0 {
            packets -= 1
            bytes -= Int(queue[k].length)
            k += 1
        }
        return k
    }

    private func lost() -> Bool {
        switch spec.loss {
        case .none: return false
        case .random(let p, let c): return roll(p, &lastLoss, c)
        case .gemodel(let p, let r, let lossBad, let lossGood):
            // sch_netem.c's order: the transition, then the loss by the state the frame found.
            if geBad {
                if uniform() * 100 < r { geBad = false }
                return uniform() * 100 < lossBad
            }
            if uniform() * 100 < p { geBad = true }
            return uniform() * 100 < lossGood
        }
    }

    // MARK: the path

    /// Decides one frame. `emit` takes frames that go at once (no copy); the rest are queued.
    @inline(__always)
    func process(_ frame: UnsafeRawBufferPointer, now: UInt64, down: Bool, emit: (UnsafeRawBufferPointer) -> Void) {
        counters.frames &+= 1
        if down { counters.downDropped &+= 1; return }
        if isIdentity && queue.isEmpty {
            counters.delivered &+= 1
            emit(frame)
            return
        }
        if lost() { counters.dropped &+= 1; return }
        var copies = 1
        if roll(spec.duplicatePercent, &lastDuplicate, spec.duplicateCorrelation) {
            copies = 2
            counters.duplicated &+= 1
        }
        let corruptFirst = frame.count > 0 && roll(spec.corruptPercent, &lastCorrupt, spec.corruptCorrelation)
        for copy in 0..<copies { enqueue(frame, now: now, corrupt: corruptFirst && copy == 0, emit: emit) }
    }

    private func enqueue(_ frame: UnsafeRawBufferPointer, now: UInt64, corrupt: Bool, emit: (UnsafeRawBufferPointer) -> Void) {
        if queue.count >= spec.limitPackets || (spec.limitBytes > 0 && queuedBytes + frame.count > spec.limitBytes)
            || frame.count > Self.slotBytes {
            counters.rateDropped &+= 1
            return
        }
        var time = now
        var reorderNow = false
        if spec.reorderGap == 0 || reorderCounter < spec.reorderGap - 1
            || !roll(spec.reorderPercent, &lastReorder, spec.reorderCorrelation) {
            var delay = sampleDelay()
            if spec.rateBitsPerSecond > 0 {
                // sch_netem.c: the frame starts after the last queued one, then takes its time on the wire.
                if lastSend > now &+ delay { counters.rateLimited &+= 1 }
                let start = max(now &+ delay, lastSend)
                delay = start - now + UInt64((Double(frame.count) * 8e9 / Double(spec.rateBitsPerSecond)).rounded())
                lastSend = now &+ delay
            }
            time = now &+ delay
            reorderCounter += 1
        } else {
            reorderCounter = 0
            reorderNow = true
        }
        if corrupt { counters.corrupted &+= 1 }
        if time <= now && queue.isEmpty && !corrupt && spec.slot == nil {
            if reorderNow { counters.reordered &+= 1 }
            counters.delivered &+= 1
            emit(frame)
            return
        }
        let slot = takeSlot()
        let dst = pool.baseAddress! + Int(slot) * Self.slotBytes
        if frame.count > 0 { dst.copyMemory(from: frame.baseAddress!, byteCount: frame.count) }
        if corrupt {
            // One bit of one byte, as sch_netem.c does.
            let at = Int(rng.next() % UInt64(frame.count))
            dst.storeBytes(of: dst.load(fromByteOffset: at, as: UInt8.self) ^ (1 << UInt8(rng.next() % 8)), toByteOffset: at, as: UInt8.self)
        }
        let entry = Queued(time: time, slot: slot, length: Int32(frame.count))
        if reorderNow {
            if !queue.isEmpty { counters.reordered &+= 1 }
            queue.insert(entry, at: 0)
        } else {
            if time > now { counters.delayed &+= 1 }
            var at = queue.count
            while at > 0 && queue[at - 1].time > time { at -= 1 }
            queue.insert(entry, at: at)
        }
        queuedBytes += frame.count
    }

    private func takeSlot() -> Int32 {
        if let s = freeSlots.popLast() { return s }
        if poolSlots == pool.count / Self.slotBytes {
            // Grow by doubling up to the limit: no allocation once the queue has been as long.
            let grown = min(max(poolSlots * 2, 16), max(spec.limitPackets, poolSlots + 1))
            let p = UnsafeMutableRawBufferPointer.allocate(byteCount: grown * Self.slotBytes, alignment: 16)
            if let old = pool.baseAddress {
                p.baseAddress!.copyMemory(from: old, byteCount: pool.count)
                pool.deallocate()
            }
            pool = p
            freeSlots.reserveCapacity(grown)
        }
        poolSlots += 1
        return Int32(poolSlots - 1)
    }

    /// The i-th queued frame.
    func frame(_ i: Int) -> UnsafeRawBufferPointer {
        let q = queue[i]
        return UnsafeRawBufferPointer(start: pool.baseAddress! + Int(q.slot) * Self.slotBytes, count: Int(q.length))
    }

    /// The frame at the head of the queue, if it may go now.
    func dueFrame(now: UInt64) -> UnsafeRawBufferPointer? {
        guard releasable(now: now, limit: 1) == 1 else { return nil }
        return frame(0)
    }

    /// Removes the head (after `dueFrame`'s frame was passed on, or refused: `delivered` says).
    func popHead(delivered: Bool, now: UInt64) {
        let q = queue.removeFirst()
        freeSlots.append(q.slot)
        queuedBytes -= Int(q.length)
        if delivered { counters.delivered &+= 1 }
        if spec.slot != nil {
            slotPacketsLeft -= 1
            slotBytesLeft -= Int(q.length)
            if slotPacketsLeft <= 0 || slotBytesLeft <= 0 { nextSlot(from: now) }
        }
    }
}

public final class Impairment: DeviceMiddleware {
    /// A `let`: a `var` costs a retain and release of the device per frame (the idle path 25 %
    /// slower in `rumpnet-bench impair`). A capture goes in beneath a running impairment with
    /// `rewrapped(around:)`, which keeps its model, queues and counters.
    public let inner: NetDevice
    public private(set) var spec: ImpairmentSpec
    let egress: ImpairedPath
    let ingress: ImpairedPath
    /// `link NODE IFACE down`: every frame both ways is lost.
    @exclusivity(unchecked) public var isDown: Bool { didSet { recomputePass() } }  // the event loop's thread only, as the paths
    /// True while that direction has nothing set, nothing queued and the link is up: then the
    /// idle path is this one stored flag, two counters and the inner device's call.
    @exclusivity(unchecked) private var egressPass = false
    @exclusivity(unchecked) private var ingressPass = false

    private var out: UnsafeMutablePointer<UnsafeRawBufferPointer>
    private var outCapacity = 64
    private var outCount = 0

    public init(wrapping inner: NetDevice, spec: ImpairmentSpec) {
        self.inner = inner
        self.spec = spec
        isDown = spec.down
        egress = ImpairedPath(spec: spec.egress, seed: spec.seed)
        ingress = ImpairedPath(spec: spec.ingress, seed: spec.seed ^ 0x5DEE_CE66_D1CE_4E5B)
        out = .allocate(capacity: outCapacity)
        recomputePass()
    }

    /// The same impairment (model, random streams, queued frames, counters: shared, not
    /// copied) around another device; this one is not to be used after.
    public func rewrapped(around device: NetDevice) -> Impairment {
        Impairment(wrapping: device, sharing: self)
    }

    private init(wrapping inner: NetDevice, sharing old: Impairment) {
        self.inner = inner
        spec = old.spec
        isDown = old.isDown
        egress = old.egress
        ingress = old.ingress
        out = .allocate(capacity: outCapacity)
        recomputePass()
    }

    deinit { out.deallocate() }

    private func recomputePass() {
        egressPass = egress.isIdle && !isDown
        ingressPass = ingress.isIdle && !isDown
    }

    /// A new model for both directions; frames already queued keep their times. The random
    /// streams go on (a new seed takes a new Impairment).
    public func update(_ s: ImpairmentSpec) {
        spec = s
        isDown = s.down
        egress.setSpec(s.egress)
        ingress.setSpec(s.ingress)
        recomputePass()
    }

    public var egressCounters: ImpairmentCounters { egress.counters }
    public var ingressCounters: ImpairmentCounters { ingress.counters }
    public var queuedFrames: (egress: Int, ingress: Int) { (egress.queue.count, ingress.queue.count) }

    // MARK: NetDevice

    private func ensureOut(_ n: Int) {
        guard n > outCapacity else { return }
        out.deallocate()
        outCapacity = max(n, outCapacity * 2)
        out = .allocate(capacity: outCapacity)
    }

    /// Sends the egress frames due now, in batches of the output list. Their slots stay theirs
    /// until the medium has copied them.
    private func releaseEgress(_ now: UInt64) {
        while true {
            let k = egress.releasable(now: now, limit: outCapacity)
            guard k > 0 else { break }
            for i in 0..<k { out[i] = egress.frame(i) }
            let taken = inner.transmit(FrameList(start: out, count: k), now: now)
            for i in 0..<k { egress.popHead(delivered: i < taken, now: now) }
        }
        recomputePass()
    }

    public func receive(into batch: inout ReceiveBatch, now: UInt64) -> Int {
        if !egressPass && !egress.queue.isEmpty { releaseEgress(now) }
        _ = inner.receive(into: &batch, now: now)
        if ingressPass {
            ingress.counters.frames &+= UInt64(batch.count)
            ingress.counters.delivered &+= UInt64(batch.count)
            return batch.count
        }
        // Decide every arrived frame: those due at once stay in the batch, in order.
        var i = 0
        while i < batch.count {
            var kept = false
            var extra = false
            let f = batch.frame(i)
            ingress.process(f, now: now, down: isDown) { g in
                if !kept, g.baseAddress == f.baseAddress { kept = true } else { extra = true }
            }
            if kept { i += 1 } else { batch.remove(at: i) }
            // A duplicate due at once (rare: duplicate with no delay) is queued copy-free as the
            // frame itself once more.
            if extra, kept, batch.append(f) {
                var j = batch.count - 1
                while j > i { batch.swapAt(j, j - 1); j -= 1 }
                i += 1
            }
        }
        while let f = ingress.dueFrame(now: now) {
            guard batch.append(f) else { break }
            ingress.popHead(delivered: true, now: now)
        }
        recomputePass()
        return batch.count
    }

    public func transmit(_ frames: FrameList, now: UInt64) -> Int {
        if egressPass {
            egress.counters.frames &+= UInt64(frames.count)
            let taken = inner.transmit(frames, now: now)
            egress.counters.delivered &+= UInt64(taken)
            return taken
        }
        return transmitImpaired(frames, now: now)
    }

    private func transmitImpaired(_ frames: FrameList, now: UInt64) -> Int {
        if !egress.queue.isEmpty { releaseEgress(now) }
        if egress.isIdle && !isDown {
            egress.counters.frames &+= UInt64(frames.count)
            let taken = inner.transmit(frames, now: now)
            egress.counters.delivered &+= UInt64(taken)
            return taken
        }
        ensureOut(2 * frames.count)
        outCount = 0
        for f in frames {
            egress.process(f, now: now, down: isDown) { g in
                out[outCount] = g
                outCount += 1
            }
        }
        if outCount > 0 {
            let taken = inner.transmit(FrameList(start: out, count: outCount), now: now)
            if taken < outCount { egress.counters.delivered &-= UInt64(outCount - taken) }
        }
        if !egress.queue.isEmpty { releaseEgress(now) }
        // What the impairment took is the wire's: lost or held frames count as sent, as netem's.
        return frames.count
    }

    public var nextDeadline: UInt64? {
        var best = inner.nextDeadline
        if let d = egress.nextTime, d < best ?? .max { best = d }
        if let d = ingress.nextTime, d < best ?? .max { best = d }
        return best
    }
    public var hasTimedWork: Bool { true }

    public func stop() {
        egress.clear()
        ingress.clear()
        recomputePass()
        inner.stop()
    }
}

