import Foundation
import TestSupport
import Testing
@testable import Shmif

/// A literal model of NetBSD's writer (shmif_busops.c + if_shmem.c shmif_start) on a byte
/// array, written independently of BusWriter: shm_last is advanced first, then buswrite
/// copies the header and the payload, each calling advancefirst before its memcpy.
struct NetBSDWriterModel {
    static let D = 0xFFFE0
    var mem = [UInt8](repeating: 0, count: 1024 * 1024)
    var straddledHeaders = 0, straddledPayloads = 0, endedExactly = 0, headerEndedExactly = 0

    init() {
        put32(0xCA11_D054, at: 0)
        first = UInt32(Self.D)
    }

    func get32(_ o: Int) -> UInt32 { mem.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt32.self) } }
    mutating func put32(_ v: UInt32, at o: Int) { mem.withUnsafeMutableBytes { $0.storeBytes(of: v, toByteOffset: o, as: UInt32.self) } }
    var gen: UInt64 {
        get { mem.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self) } }
        set { mem.withUnsafeMutableBytes { $0.storeBytes(of: newValue, toByteOffset: 8, as: UInt64.self) } }
    }
    var first: UInt32 { get { get32(16) } set { put32(newValue, at: 16) } }
    var last: UInt32 { get { get32(20) } set { put32(newValue, at: 20) } }

    func busread(_ off: Int, _ len: Int) -> [UInt8] {
        var out: [UInt8] = []
        for i in 0..<len { out.append(mem[32 + (off + i) % Self.D]) }
        return out
    }
    func nextpktoff(_ off: Int) -> Int {
        let h = busread(off == Self.D ? 0 : off, 4)
        let len = Int(h[0]) | Int(h[1]) << 8 | Int(h[2]) << 16 | Int(h[3]) << 24
        let n = off + 24 + len
        return n >= Self.D ? n - Self.D : n
    }
    mutating func advancefirst(_ off: Int, _ len: Int) {
        while off <= Int(first) + 24 && off + len > Int(first) {
            first = UInt32(nextpktoff(Int(first)))
        }
    }
    /// Returns (next offset, wrapped).
    mutating func buswrite(_ off: Int, _ data: [UInt8]) -> (Int, Bool) {
        let chunk = min(data.count, Self.D - off)
        let filled = off + chunk == Self.D
        advancefirst(off, chunk + (filled ? 1 : 0))
        for i in 0..<chunk { mem[32 + off + i] = data[i] }
        let rest = data.count - chunk
        if rest == 0 { return ((off + chunk) % Self.D, filled) }
        advancefirst(0, rest)
        for i in 0..<rest { mem[32 + i] = data[chunk + i] }
        return (rest, filled)
    }
    mutating func send(_ frame: [UInt8], sec: UInt32, usec: UInt32, sender: UInt64) {
        last = UInt32(nextpktoff(Int(last)))
        let pos = Int(last)
        var hdr = [UInt8](repeating: 0, count: 24)
        hdr.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt32(frame.count), toByteOffset: 0, as: UInt32.self)
            $0.storeBytes(of: sec, toByteOffset: 4, as: UInt32.self)
            $0.storeBytes(of: usec, toByteOffset: 8, as: UInt32.self)
            $0.storeBytes(of: sender, toByteOffset: 16, as: UInt64.self)
        }
        if pos + 24 > Self.D { straddledHeaders += 1 }
        if pos + 24 == Self.D { headerEndedExactly += 1 }
        if pos + 24 < Self.D && pos + 24 + frame.count > Self.D { straddledPayloads += 1 }
        if pos + 24 + frame.count == Self.D { endedExactly += 1 }
        let (next, w1) = buswrite(pos, hdr)
        let (_, w2) = buswrite(next, frame)
        if w1 || w2 { gen += 1 }
    }
}

@Suite struct WriterLayoutTests {
    @Test func firstFrameOnAFreshBusGoesToRingOffset24() throws {
        let tmp = TemporaryDirectory()
        let bus = try ShmifBus.attach(path: tmp.file("b"))
        let h0 = bus.header()
        #expect(h0.magic == BusLayout.magic && h0.first == BusLayout.dataSize && h0.last == 0 && h0.generation == 0 && h0.version == 0)
        let w = BusWriter(bus: bus, senderID: 7, clock: { (1, 2) })
        try w.send([UInt8](repeating: 0xAB, count: 60))
        var h = bus.header()
        // The spec's worked example: header at ring 24, data at 48..107, shm_last = 24.
        #expect(h.last == 24 && h.first == BusLayout.dataSize && h.generation == 0 && h.version == 3)
        try w.send([UInt8](repeating: 0xCD, count: 60))
        h = bus.header()
        #expect(h.last == 108)
    }

    /// A deterministic sequence of lengths that wraps the ring five times, steering the
    /// frames at each wrap so that every straddling case happens at least once.
    static func lengths() -> [Int] {
        let D = NetBSDWriterModel.D
        var out: [Int] = []
        var pos = 24  // where the next frame starts (fresh bus)
        var rng: UInt64 = 0x1234_5678
        var wrapPlan = ["exact", "headerStraddle", "payloadStraddle", "headerExact", "random", "exact"]
        var wraps = 0
        func random() -> Int {
            rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17
            return 14 + Int(rng % 1501)
        }
        while wraps < 5 {
            let remaining = D - pos
            var len = random()
            if remaining < 24 + 1514 + 24 + 1514 + 40, let plan = wrapPlan.first {
                // Steer: choose this frame so that the next one meets the end as planned.
                switch plan {
                case "exact" where remaining - 24 >= 14 && remaining - 24 <= 1514:
                    len = remaining - 24; wrapPlan.removeFirst()
                case "headerStraddle" where remaining - 24 - 10 >= 14 && remaining - 24 - 10 <= 1514:
                    len = remaining - 24 - 10; wrapPlan.removeFirst()  // leaves 10 bytes: the next header straddles
                case "payloadStraddle" where remaining - 24 - 124 >= 14 && remaining - 24 - 124 <= 1514:
                    len = remaining - 24 - 124; out.append(len); pos += 24 + len
                    len = 500; wrapPlan.removeFirst()  // header fits, payload straddles
                case "headerExact" where remaining - 24 - 24 >= 14 && remaining - 24 - 24 <= 1514:
                    len = remaining - 24 - 24; wrapPlan.removeFirst()  // next header ends exactly at the end
                case "random": wrapPlan.removeFirst()
                default: len = 14 + (remaining % 97)
                }
            }
            out.append(len)
            pos += 24 + len
            if pos >= D { pos -= D; wraps += 1 }
        }
        return out + (0..<50).map { _ in random() }
    }

    @Test func writerLeavesHeaderAndFramesWhereNetBSDsRulesPutThem() throws {
        let tmp = TemporaryDirectory()
        let path = tmp.file("b")
        let bus = try ShmifBus.attach(path: path)
        let w = BusWriter(bus: bus, senderID: 0xFEED, clock: { (3, 4) })
        var model = NetBSDWriterModel()
        let lengths = Self.lengths()
        var mismatches = 0
        for (i, len) in lengths.enumerated() {
            let frame = (0..<len).map { UInt8(truncatingIfNeeded: $0 &+ i) }
            try w.send(frame)
            model.send(frame, sec: 3, usec: 4, sender: 0xFEED)
            let h = bus.header()
            if h.first != model.first || h.last != model.last || h.generation != model.gen { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(model.gen == 5 && bus.header().generation == 5)
        #expect(model.straddledHeaders >= 1 && model.straddledPayloads >= 1 && model.endedExactly >= 1 && model.headerEndedExactly >= 1)

        // The ring bytes agree everywhere except the header padding, where we number frames.
        let ours = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var padding = Set<Int>()
        var off = Int(model.first)
        while true {
            for k in 12..<16 { padding.insert(32 + (off + k) % NetBSDWriterModel.D) }
            if off == Int(model.last) { break }
            off = model.nextpktoff(off)
        }
        var differing = 0
        for i in 32..<ours.count where ours[i] != model.mem[i] && !padding.contains(i) { differing += 1 }
        #expect(differing == 0)
        // And both dump the same frames.
        let a = try BusDump(path: "ours", bytes: ours.enumerated().map { $0.offset == 4 ? 3 : $0.element })
        var theirs = model.mem
        theirs[4] = 3
        let b = try BusDump(path: "model", bytes: theirs)
        #expect(try a.frames() == (try b.frames()))
    }

    @Test func frameLengthLimits() throws {
        let tmp = TemporaryDirectory()
        let bus = try ShmifBus.attach(path: tmp.file("b"))
        let w = BusWriter(bus: bus, senderID: 1)
        try w.send([UInt8](repeating: 0, count: 14))
        try w.send([UInt8](repeating: 0, count: 1514))
        #expect(throws: ShmifError(path: tmp.file("b"), reason: .frameLength(13))) { try w.send([UInt8](repeating: 0, count: 13)) }
        #expect(throws: ShmifError(path: tmp.file("b"), reason: .frameLength(1515))) { try w.send([UInt8](repeating: 0, count: 1515)) }
        #expect(w.framesSent == 2)
    }

    @Test func readerGetsEveryFrameOfOtherSendersButNotItsOwn() throws {
        let tmp = TemporaryDirectory()
        let bus = try ShmifBus.attach(path: tmp.file("b"))
        let me = BusWriter(bus: bus, senderID: 1), other = BusWriter(bus: bus, senderID: 2)
        let reader = try BusReader(bus: bus, ownSenderID: 1)
        var batch = FrameBatch()
        #expect(reader.poll(into: &batch) == 0)
        for i in 0..<3000 {
            let f = [UInt8](repeating: UInt8(i % 251), count: 14 + i % 1500)
            try (i % 3 == 0 ? me : other).send(f)
        }
        var got: [[UInt8]] = []
        while reader.poll(into: &batch) > 0 {
            for i in 0..<batch.count { got.append(Array(batch.frame(i))) }
        }
        // 3000 frames of ~780 bytes wrap the ring more than once: the reader, never
        // polled meanwhile, was lapped and counts exactly what it lost.
        #expect(reader.laps >= 1)
        #expect(UInt64(got.count) + reader.framesLost + reader.ownFramesSkipped == 3000)
        #expect(got.allSatisfy { f in f.allSatisfy { $0 == f[0] } })
    }

    @Test func waitTimesOutAndWakesOnWrite() throws {
        let tmp = TemporaryDirectory()
        let bus = try ShmifBus.attach(path: tmp.file("b"))
        let reader = try BusReader(bus: bus)
        var batch = FrameBatch()
        let t0 = Date()
        #expect(reader.receive(into: &batch, timeoutMilliseconds: 50) == 0)
        #expect(Date().timeIntervalSince(t0) >= 0.045)
        try BusWriter(bus: try ShmifBus.attach(path: tmp.file("b")), senderID: 9).send([UInt8](repeating: 1, count: 60))
        var p = pollfd(fd: reader.fileDescriptor, events: Int16(POLLIN), revents: 0)
        #expect(poll(&p, 1, 1000) == 1)
        #expect(reader.receive(into: &batch, timeoutMilliseconds: 1000) == 1)
    }
}
