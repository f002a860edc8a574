import Foundation
import Testing
@testable import RumpNet
import Shmif

/// A medium that records what it was given to send: each frame's 4-byte id (its first bytes) and
/// the clock time it went out.
final class RecordingDevice: NetDevice {
    var hooks = DeviceHooks(name: "rec")
    var ids: [UInt32] = []
    var times: [UInt64] = []
    var lengths: [Int] = []
    var keepBytes = false
    var frames: [[UInt8]] = []

    func transmit(_ list: FrameList, now: UInt64) -> Int {
        for f in list {
            ids.append(f.count >= 4 ? f.loadUnaligned(as: UInt32.self) : .max)
            times.append(now)
            lengths.append(f.count)
            if keepBytes { frames.append(Array(f)) }
        }
        return list.count
    }
}

/// Drives an Impairment's egress on a virtual clock: frame i goes at i * interval, and every
/// deadline the device reports is served in time order, as the stack's event loop does.
final class ImpairmentRig {
    let sink = RecordingDevice()
    let imp: Impairment
    var batch = FrameBatch(capacityBytes: 64 * 1024)
    let buffer: UnsafeMutableRawBufferPointer

    init(_ words: String, keepBytes: Bool = false) throws {
        imp = Impairment(wrapping: sink, spec: try ImpairmentSpec.parse(words))
        sink.keepBytes = keepBytes
        buffer = .allocate(byteCount: 2048, alignment: 16)
    }

    func serve(until t: UInt64) {
        while let d = imp.nextDeadline, d <= t {
            batch.removeAll()
            _ = imp.receive(into: &batch, now: d)
        }
    }

    /// Sends `count` frames of `size` bytes, `interval` ns apart, then serves what stays queued.
    func run(count: Int, size: Int = 100, interval: UInt64) {
        var p = buffer.baseAddress!
        for i in 0..<count {
            let t = UInt64(i) * interval
            serve(until: t)
            for b in 0..<size { buffer[b] = UInt8(truncatingIfNeeded: b &* 7) }
            buffer.storeBytes(of: UInt32(i), toByteOffset: 0, as: UInt32.self)
            withUnsafePointer(to: UnsafeRawBufferPointer(start: p, count: size)) { f in
                _ = imp.transmit(FrameList(start: f, count: 1), now: t)
            }
            p = buffer.baseAddress!
        }
        serve(until: .max)
    }

    deinit { buffer.deallocate() }
}

func meanAndSD(_ xs: [Double]) -> (Double, Double) {
    let m = xs.reduce(0, +) / Double(xs.count)
    let v = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)
    return (m, v.squareRoot())
}

@Suite struct NetemSpecTests {
    @Test func parsesNetemWords() throws {
        let s = try ImpairmentSpec.parse("delay 20ms 5ms 25% distribution normal loss random 10% seed 7")
        #expect(s.egress.delayNanoseconds == 20_000_000 && s.egress.jitterNanoseconds == 5_000_000)
        #expect(s.egress.delayCorrelation == 25 && s.egress.distribution == .normal)
        #expect(s.egress.loss == .random(10, 0) && s.seed == 7)
        #expect(s.text == "delay 20ms 5ms 25% distribution normal loss random 10% seed 7")
        let g = try ImpairmentSpec.parse("loss gemodel 1% 10% 70% 0.1%")
        #expect(g.egress.loss == .gemodel(p: 1, r: 10, lossBad: 70, lossGood: 0.1))
        #expect(try ImpairmentSpec.parse("loss gemodel 2%").egress.loss == .gemodel(p: 2, r: 98, lossBad: 100, lossGood: 0))
        let r = try ImpairmentSpec.parse("delay 10ms reorder 25% 50% gap 5 rate 10mbit limit 50 limit 64kb ingress delay 1s")
        #expect(r.egress.reorderPercent == 25 && r.egress.reorderCorrelation == 50 && r.egress.reorderGap == 5)
        #expect(r.egress.rateBitsPerSecond == 10_000_000 && r.egress.limitPackets == 50 && r.egress.limitBytes == 65536)
        #expect(r.ingress.delayNanoseconds == 1_000_000_000)
        // tc(8): a bare time is microseconds, a bare rate bits per second.
        #expect(try ImpairmentSpec.parse("delay 100 rate 8000").egress.delayNanoseconds == 100_000)
        #expect(try ImpairmentSpec.parse("rate 1mbps").egress.rateBitsPerSecond == 8_000_000)
        #expect(try ImpairmentSpec.parse("delay 1ms down").down)
        let slot = try ImpairmentSpec.parse("slot 20ms 10ms packets 4 bytes 8kb").egress.slot
        #expect(slot?.minNanoseconds == 20_000_000 && slot?.maxNanoseconds == 20_000_000, "tc: a maximum below the minimum is the minimum")
        #expect(slot?.packets == 4 && slot?.bytes == 8192)
        #expect(try ImpairmentSpec.parse("slot 1ms 3ms").text == "slot 1ms 3ms")
        // Round trip.
        for text in ["delay 20ms 5ms distribution pareto duplicate 1% corrupt 0.5% reorder 10% gap 3 ingress loss random 3% 25%",
                     "rate 10mbit limit 20 seed 99 down",
                     "slot 5ms 15ms packets 3 bytes 64000", "delay 1ms slot distribution pareto 10ms 2ms bytes 1514"] {
            #expect(try ImpairmentSpec.parse(try ImpairmentSpec.parse(text).text) == ImpairmentSpec.parse(text))
        }
    }

    @Test(arguments: [
        ("delay 20qs", "\"20qs\": not a time"),
        ("delay -5ms", "\"-5ms\": a time cannot be negative"),
        ("loss 120%", "\"120%\": a percentage over 100"),
        ("loss random -1%", "\"-1%\": a percentage cannot be negative"),
        ("duplicate", "\"duplicate\": expected a percentage after it"),
        ("rate 10mbitz", "\"10mbitz\": not a rate"),
        ("delay 1ms distribution gauss", "\"gauss\": unknown distribution"),
        ("reorder 10%", "reordering not possible without specifying some delay"),
        ("delay 1ms jitter 2ms", "\"jitter\": unknown word"),
        ("limit 0", "\"0\": limit must be"),
        ("delay 1ms reorder 5% gap x", "\"x\": gap must be"),
        ("seed -1", "\"-1\": seed must be"),
        ("slot", "\"slot\": expected a time"),
        ("slot 5ms packets 0", "\"0\": slot packets must be"),
        ("slot 5ms bytes 2parsecs", "\"2parsecs\": slot bytes must be"),
        ("slot distribution gauss 1ms 1ms", "\"gauss\": unknown slot distribution"),
        ("slot distribution normal 1ms", "expected the slot jitter"),
        ("slot -1ms", "\"-1ms\": a time cannot be negative"),
        ("packets 3", "\"packets\": only after slot"),
    ])
    func badWordsAreNamed(text: String, message: String) {
        #expect {
            _ = try ImpairmentSpec.parse(text)
        } throws: { e in
            (e as? ImpairmentSpec.ParseError)?.description.contains(message) == true
        }
    }
}

@Suite struct ImpairmentTests {
    /// Each distribution's mean is the delay and its spread the jitter times the distribution's
    /// standard deviation (uniform ±jitter: 1/√3; normal: 1; iproute2's pareto table: 4/3·√(3/4);
    /// paretonormal: √(1/16 + 9/16·4/3)).
    static let spreads: [(NetemSpec.Distribution, Double)] = [
        (.uniform, 0.5773502691896258), (.normal, 1), (.pareto, 1.1547005383792515), (.paretonormal, 0.9013878188659973),
    ]
    @Test(arguments: spreads)
    func delayDistributions(dist: NetemSpec.Distribution, sdFactor: Double) throws {
        let rig = try ImpairmentRig("delay 10ms 2ms distribution \(dist.rawValue) seed 3")
        let n = 40_000, interval: UInt64 = 100_000
        rig.run(count: n, interval: interval)
        #expect(rig.sink.ids.count == n)
        let delays = zip(rig.sink.ids, rig.sink.times).map { Double($1 - UInt64($0) * interval) / 1e6 }
        let (mean, sd) = meanAndSD(delays)
        let sigma = 2.0
        #expect(abs(mean - 10) < 0.05 * sigma, "\(dist): mean \(mean) ms")
        let tolerance = dist == .pareto || dist == .paretonormal ? 0.12 : 0.03
        #expect(abs(sd / (sigma * sdFactor) - 1) < tolerance, "\(dist): sd \(sd) ms")
        #expect(rig.imp.egressCounters.delayed == UInt64(n))
        // Jitter without rate reorders frames (netem's tfifo sorts by time to send).
        #expect(rig.sink.ids != rig.sink.ids.sorted())
    }

    @Test func correlatedDelayChangesSlowly() throws {
        let plain = try ImpairmentRig("delay 10ms 2ms seed 5")
        let corr = try ImpairmentRig("delay 10ms 2ms 90% seed 5")
        plain.run(count: 5000, interval: 1_000_000)
        corr.run(count: 5000, interval: 1_000_000)
        func steps(_ r: ImpairmentRig) -> Double {
            var byId = [Double](repeating: 0, count: 5000)
            for (id, t) in zip(r.sink.ids, r.sink.times) { byId[Int(id)] = Double(t - UInt64(id) * 1_000_000) }
            return zip(byId, byId.dropFirst()).map { abs($1 - $0) }.reduce(0, +) / 4999
        }
        #expect(steps(corr) < steps(plain) / 3)
    }

    @Test func randomLossWithinBinomialBounds() throws {
        let rig = try ImpairmentRig("loss random 10% seed 11")
        let n = 100_000
        rig.run(count: n, interval: 1000)
        let lost = n - rig.sink.ids.count
        // 4.5 standard deviations of Binomial(100000, 0.1): 427.
        #expect(abs(lost - 10_000) < 427, "lost \(lost)")
        #expect(rig.imp.egressCounters.dropped == UInt64(lost))
        #expect(rig.sink.ids == rig.sink.ids.sorted(), "no delay: order kept")
        #expect(rig.imp.egressCounters.delayed == 0)
    }

    /// Gilbert-Elliott with 1-h = 100 %, 1-k = 0: bursts as long as the bad state lasts, 1/r
    /// on average, and p/(p+r) of the frames lost.
    @Test func gilbertElliottBursts() throws {
        let rig = try ImpairmentRig("loss gemodel 1% 25% seed 13")
        let n = 100_000
        rig.run(count: n, interval: 1000)
        var received = [Bool](repeating: false, count: n)
        for id in rig.sink.ids { received[Int(id)] = true }
        var bursts: [Int] = []
        var run = 0
        for r in received {
            if !r { run += 1 } else if run > 0 { bursts.append(run); run = 0 }
        }
        let lossRate = Double(n - rig.sink.ids.count) / Double(n)
        let meanBurst = Double(bursts.reduce(0, +)) / Double(bursts.count)
        #expect(abs(lossRate - 0.01 / 0.26) < 0.006, "loss \(lossRate)")
        #expect(abs(meanBurst - 4) < 0.5, "mean burst \(meanBurst) over \(bursts.count) bursts")
    }

    @Test func duplicate() throws {
        let rig = try ImpairmentRig("duplicate 10% seed 17")
        let n = 100_000
        rig.run(count: n, interval: 1000)
        let dups = rig.sink.ids.count - n
        #expect(abs(dups - 10_000) < 427, "duplicates \(dups)")
        #expect(rig.imp.egressCounters.duplicated == UInt64(dups))
        var seen = [Int](repeating: 0, count: n)
        for id in rig.sink.ids { seen[Int(id)] += 1 }
        #expect(seen.allSatisfy { $0 == 1 || $0 == 2 })
        #expect(seen.filter { $0 == 2 }.count == dups)
    }

    @Test func reorderWithGap() throws {
        // netem: with gap 5, frames 1..4 of each run are delayed; from the 5th each goes at once
        // with probability 100 %, ahead of the delayed ones.
        let rig = try ImpairmentRig("delay 10ms reorder 100% gap 5 seed 19")
        rig.run(count: 20, interval: 1_000_000)
        #expect(rig.sink.ids.count == 20)
        // Every 5th frame (4, 9, 14, 19) leaves when sent, the others 10 ms later.
        for (id, t) in zip(rig.sink.ids, rig.sink.times) {
            let sent = UInt64(id) * 1_000_000
            if id % 5 == 4 { #expect(t == sent, "frame \(id)") } else { #expect(t == sent + 10_000_000, "frame \(id)") }
        }
        #expect(rig.sink.ids.firstIndex(of: 4)! < rig.sink.ids.firstIndex(of: 0)!)
        #expect(rig.imp.egressCounters.reordered == 4)
        let partial = try ImpairmentRig("delay 10ms reorder 25% seed 19")
        partial.run(count: 40_000, interval: 100_000)
        let immediate = zip(partial.sink.ids, partial.sink.times).filter { $1 == UInt64($0) * 100_000 }.count
        #expect(abs(immediate - 10_000) < 390, "immediate \(immediate)")
    }

    @Test func rateGivesThroughputAndTailDrops() throws {
        // 1 mbit/s, 1250-byte frames: 10 ms each on the wire. Offered at 2 frames per 10 ms.
        let rig = try ImpairmentRig("rate 1mbit limit 20")
        rig.run(count: 1000, size: 1250, interval: 5_000_000)
        let c = rig.imp.egressCounters
        #expect(c.rateDropped > 0 && UInt64(rig.sink.ids.count) + c.rateDropped == 1000)
        let t = rig.sink.times
        // Back to back once the queue fills: exactly one frame time apart.
        for i in 100..<t.count { #expect(t[i] - t[i - 1] == 10_000_000) }
        let span = Double(t.last! - t[100]) / 1e9
        let bits = Double((t.count - 101) * 1250 * 8)
        #expect(abs(bits / span - 1e6) < 1e3)
        // About half dropped, never more than 20 queued.
        #expect(abs(Int(c.rateDropped) - 500) < 30)
        // A byte limit drops too.
        let bytes = try ImpairmentRig("rate 1mbit limit 5kb")
        bytes.run(count: 100, size: 1250, interval: 1_000_000)
        #expect(bytes.imp.egressCounters.rateDropped > 80)
        #expect(bytes.sink.ids.prefix(4) == [0, 1, 2, 3])
    }

    @Test func sameSeedSameFrames() throws {
        let words = "delay 5ms 3ms distribution normal loss random 5% duplicate 3% corrupt 2% reorder 5% seed 23"
        let a = try ImpairmentRig(words, keepBytes: true)
        let b = try ImpairmentRig(words, keepBytes: true)
        let c = try ImpairmentRig(words.replacingOccurrences(of: "seed 23", with: "seed 24"), keepBytes: true)
        a.run(count: 5000, interval: 200_000)
        b.run(count: 5000, interval: 200_000)
        c.run(count: 5000, interval: 200_000)
        #expect(a.sink.frames == b.sink.frames && a.sink.times == b.sink.times)
        #expect(a.imp.egressCounters == b.imp.egressCounters)
        #expect(a.sink.frames != c.sink.frames)
    }

    @Test func corruptFlipsOneBit() throws {
        let rig = try ImpairmentRig("corrupt 50% seed 29", keepBytes: true)
        rig.run(count: 2000, size: 200, interval: 1000)
        var flipped = 0
        for f in rig.sink.frames {
            var diff = 0
            for b in 4..<200 { diff += (f[b] ^ UInt8(truncatingIfNeeded: b &* 7)).nonzeroBitCount }
            #expect(diff <= 1)
            flipped += diff
        }
        let c = rig.imp.egressCounters.corrupted
        #expect(abs(Int(c) - 1000) < 100)
        // A flip in the 4-byte id cannot be seen here; the rest are.
        #expect(flipped <= Int(c) && flipped > Int(c) * 9 / 10)
    }

    @Test func downDropsEverythingAndUpRestores() throws {
        let rig = try ImpairmentRig("down")
        rig.run(count: 10, interval: 1000)
        #expect(rig.sink.ids.isEmpty && rig.imp.egressCounters.downDropped == 10)
        rig.imp.isDown = false
        rig.run(count: 10, interval: 1000)
        #expect(rig.sink.ids.count == 10)
    }

    /// The distinct times frames left at (a slot's opening) and how many left at each.
    func departures(_ rig: ImpairmentRig) -> [(UInt64, Int)] {
        var out: [(UInt64, Int)] = []
        for t in rig.sink.times {
            if let last = out.last, last.0 == t { out[out.count - 1].1 += 1 } else { out.append((t, 1)) }
        }
        return out
    }

    /// netem's slot: frames leave only when a slot opens, each slot carrying what had queued by
    /// then. A frame that finds the slot stale (queued after it opened) waits a new slot delay.
    @Test func slotReleasesFramesInSlots() throws {
        let rig = try ImpairmentRig("slot 10ms")
        rig.run(count: 100, interval: 1_000_000)
        #expect(rig.sink.ids == (0..<100).map(UInt32.init), "order kept, nothing lost")
        let d = departures(rig)
        // Frame 0 found the slot open (configured at 0); frame 1 at 1 ms opened the next at 11 ms,
        // frames 1...11 left in it; frame 12 opened one at 22 ms, and so on.
        #expect(d.map(\.0) == (0..<d.count).map { UInt64($0) * 11_000_000 }, "\(d.prefix(4))")
        #expect(d.dropFirst().dropLast().allSatisfy { $0.1 == 11 }, "\(d.prefix(4))")
        #expect(rig.imp.nextDeadline == nil)

        // MIN...MAX: uniform slot delays.
        let range = try ImpairmentRig("slot 5ms 15ms seed 41")
        range.run(count: 20_000, interval: 1_000_000)
        let gaps = zip(departures(range), departures(range).dropFirst()).map { Double($1.0 - $0.0) / 1e6 }
        let (mean, _) = meanAndSD(gaps)
        // A gap is the slot delay (uniform 5...15 ms) plus the wait for the next frame (0...1 ms).
        #expect(abs(mean - 10.5) < 0.2, "mean gap \(mean) ms over \(gaps.count)")
        #expect(gaps.min()! >= 5 && gaps.max()! <= 16, "\(gaps.min()!) ... \(gaps.max()!)")
        #expect(range.sink.ids.count == 20_000)
    }

    @Test func slotPacketAndByteBudgets() throws {
        // 3 frames per slot, 10 ms apart once the queue is backed up.
        let rig = try ImpairmentRig("slot 10ms packets 3")
        rig.run(count: 60, interval: 1_000_000)
        #expect(rig.sink.ids == (0..<60).map(UInt32.init))
        let d = departures(rig)
        #expect(d.allSatisfy { $0.1 <= 3 }, "\(d)")
        #expect(d.filter { $0.1 == 3 }.count >= 15, "\(d)")
        // A full slot opens the next one 10 ms after it.
        for (a, b) in zip(d, d.dropFirst()) where a.1 == 3 { #expect(b.0 - a.0 == 10_000_000, "\(a) \(b)") }
        // bytes 250 with 100-byte frames: a slot lets frames out while it has bytes left, so 3.
        let bytes = try ImpairmentRig("slot 10ms bytes 250")
        bytes.run(count: 60, size: 100, interval: 1_000_000)
        #expect(departures(bytes).allSatisfy { $0.1 <= 3 } && departures(bytes).contains { $0.1 == 3 })
        #expect(bytes.sink.ids.count == 60)
    }

    @Test func slotDistribution() throws {
        let rig = try ImpairmentRig("slot distribution normal 10ms 2ms seed 43")
        rig.run(count: 20_000, interval: 1_000_000)
        let d = departures(rig)
        let gaps = zip(d, d.dropFirst()).map { Double($1.0 - $0.0) / 1e6 }
        let (mean, sd) = meanAndSD(gaps)
        // Normal(10, 2) plus the wait for the next frame (uniform 0...1 ms: sd 0.29).
        #expect(abs(mean - 10.5) < 0.2, "mean gap \(mean) ms over \(gaps.count) slots")
        #expect(abs(sd / (4 + 1.0 / 12).squareRoot() - 1) < 0.1, "sd \(sd)")
        #expect(rig.sink.ids.count == 20_000)
        // The same seed gives the same slots.
        let again = try ImpairmentRig("slot distribution normal 10ms 2ms seed 43")
        again.run(count: 20_000, interval: 1_000_000)
        #expect(again.sink.times == rig.sink.times)
    }

    /// rewrapped(around:) (a capture going in beneath a running impairment) keeps the frames
    /// held, the counters and the model; the held frames leave through the new device.
    @Test func rewrappedKeepsQueueAndCounters() throws {
        let rig = try ImpairmentRig("delay 10ms seed 3")
        let f = [UInt8](repeating: 7, count: 64)
        for i in 0..<5 {
            f.withUnsafeBytes { b in
                withUnsafePointer(to: b) { _ = rig.imp.transmit(FrameList(start: $0, count: 1), now: UInt64(i) * 1000) }
            }
        }
        let other = RecordingDevice()
        let moved = rig.imp.rewrapped(around: other)
        #expect(moved.queuedFrames.egress == 5 && moved.egressCounters.delayed == 5 && moved.spec == rig.imp.spec)
        var batch = FrameBatch(capacityBytes: 4096)
        _ = moved.receive(into: &batch, now: 10_004_000)
        #expect(other.times == Array(repeating: 10_004_000, count: 5), "all five were due by then")
        #expect(rig.sink.ids.isEmpty && moved.egressCounters.delivered == 5 && moved.nextDeadline == nil)
    }

    /// With a rate limit, frames that had to wait behind others are counted as rate-limited.
    @Test func rateLimitedCountsFramesThatWaited() throws {
        let idle = try ImpairmentRig("rate 1mbit")
        idle.run(count: 100, size: 1250, interval: 20_000_000)  // the link is free for each
        #expect(idle.imp.egressCounters.rateLimited == 0 && idle.imp.egressCounters.delayed == 100)
        let busy = try ImpairmentRig("rate 1mbit")
        busy.run(count: 100, size: 1250, interval: 5_000_000)  // twice what the link carries
        #expect(busy.imp.egressCounters.rateLimited == 99, "\(busy.imp.egressCounters)")
    }

    /// Two stacks; b's device impaired by `words` on ingress or egress.
    func pair(_ words: String) throws -> (Lab, NetStack, NetStack, Impairment) {
        let lab = Lab()
        let a = lab.stack(seed: 1), b = lab.stack(seed: 2)
        let link = lab.link()
        let ia = try lab.attach(a, link, "mem0", "10.0.0.1", 24)
        let ib = try lab.attach(b, link, "mem0", "10.0.0.2", 24)
        try a.arpSet(IPv4Address("10.0.0.2")!, mac: ib.linkAddress)
        try b.arpSet(IPv4Address("10.0.0.1")!, mac: ia.linkAddress)
        var imp: Impairment!
        try b.wrapDevice(name: "mem0") { d in
            imp = Impairment(wrapping: d, spec: try! ImpairmentSpec.parse(words))
            return imp
        }
        lab.settle()
        return (lab, a, b, imp)
    }

    /// Corrupted frames reach the stack, whose checksums catch them and count them.
    @Test func corruptedFramesFailChecksumsAtTheReceiver() throws {
        let (lab, a, b, imp) = try pair("ingress corrupt 100% seed 31")
        let server = try UDP.socket(b)
        try b.bind(server, to: UDP.ep("0.0.0.0", 7000))
        let client = try UDP.socket(a)
        let payload = [UInt8](repeating: 0xA5, count: 1000)
        for _ in 0..<500 {
            try UDP.send(a, client, payload, to: UDP.ep("10.0.0.2", 7000))
            lab.settle()
        }
        lab.advance(seconds: 0.01)
        var intact = 0, damaged = 0
        while let (got, _) = try? UDP.receive(b, server) { if got == payload { intact += 1 } else { damaged += 1 } }
        #expect(imp.ingressCounters.corrupted >= 500)
        // No damaged datagram gets past the checksums; a flip in a MAC address leaves it intact.
        #expect(damaged == 0)
        #expect(intact < 20)
        let caught = b.udpStats.badsum + b.ipStats.badsum
        // Flips in the Ethernet header (14 of 1042 bytes) are lost another way.
        #expect(caught > 450, "udp badsum \(b.udpStats.badsum), ip badsum \(b.ipStats.badsum)")
    }

    /// The stack serves the impairment's deadlines itself: a ping's answer is 40 ms late with
    /// 20 ms each way (b's egress and ingress).
    @Test func stackServesDelayDeadlines() throws {
        let (lab, a, b, imp) = try pair("delay 20ms ingress delay 20ms")
        let fd = try a.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_DGRAM, protocol: 0)
        try a.bind(fd, to: UDP.ep("0.0.0.0", 9000))
        let echo = try b.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_DGRAM, protocol: 0)
        try b.bind(echo, to: UDP.ep("0.0.0.0", 7))
        try UDP.send(a, fd, "ping", to: UDP.ep("10.0.0.2", 7))
        lab.settle()
        let start = lab.clock.now
        var answeredAt: UInt64?
        for _ in 0..<100 {
            lab.clock.advance(nanoseconds: 1_000_000)
            lab.settle()
            if let (q, from) = try? UDP.text(b, echo) { try UDP.send(b, echo, q, to: from) }
            if (try? UDP.text(a, fd)) != nil { answeredAt = lab.clock.now; break }
        }
        #expect(answeredAt.map { $0 - start } == 40_000_000)
        #expect(imp.egressCounters.delayed == 1, "\(imp.egressCounters)")
        #expect(imp.ingressCounters.delayed >= 1, "\(imp.ingressCounters)")
    }
}

@Suite struct ImpairedTCPTransferTests {
    /// A TCP transfer through 2 % loss and 10 ms delay each way delivers every byte in order.
    @Test(arguments: ["newreno", "cubic"])
    func transferThroughLossAndDelay(cc: String) throws {
        let p = try TCPPair(seed: 9)
        for s in [p.a, p.b] { try s.setTCPCongestionControl(cc) }
        let (c, srv) = try p.connected()
        var imps: [Impairment] = []
        for (i, s) in [p.a, p.b].enumerated() {
            try s.wrapDevice(name: "shmif0") { d in
                let imp = Impairment(wrapping: d, spec: try! ImpairmentSpec.parse("delay 10ms loss random 2% seed \(50 + i)"))
                imps.append(imp)
                return imp
            }
        }
        let data = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 9) }
        let got = try p.transfer(data, from: c, to: srv, maxSteps: 200_000)
        #expect(got.count == data.count)
        #expect(got == data)
        #expect(imps.allSatisfy { $0.egressCounters.dropped > 0 && $0.egressCounters.delayed > 0 })
        #expect(p.a.tcpStats.sndrexmitpack > 0)
    }
}
