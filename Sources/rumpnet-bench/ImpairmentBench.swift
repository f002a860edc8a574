// `rumpnet-bench impair`: frames per second through the Impairment middleware (issue 12) with no
// impairment set, with a delay and with a rate limit, beside the same device without it, all in
// the same run. The device is a MemoryLink port: each frame is one transmit call (as the stack
// makes for a device that does not prefer batches), the link's copy into its ring, and the other
// port's receive, which is wrapped too (an impaired interface wraps both directions). Time is
// virtual: each frame is sent 1 µs (delay) or 2 µs (rate: the link is 60 % busy) after the last,
// so delayed frames really queue (1000 of them at 1 ms) and are released by later calls.

import Glibc
import RumpNet

/// The receiving end: counts what arrives through its (possibly wrapped) device.
final class ImpairBenchSink {
    var batch = ReceiveBatch(capacityBytes: 64 * 1024)
    var received = 0
    var now: UInt64 = 0
}

struct ImpairBenchCase {
    var name: String
    /// nil: the bare device, not wrapped.
    var words: String?
    /// Virtual nanoseconds between frames.
    var step: UInt64
}

/// One case's devices, kept across the timed chunks so that a delayed queue stays at its steady
/// length and virtual time runs on.
final class ImpairBenchRig {
    let c: ImpairBenchCase
    let link = MemoryLink(capacity: 64)
    let txBare: MemoryLinkDevice, rxBare: MemoryLinkDevice
    let tx: NetDevice, rx: NetDevice
    let imp: Impairment?
    let sink = ImpairBenchSink()
    let buffer: UnsafeMutableRawBufferPointer
    var now: UInt64 = 1_000_000
    var sent = 0

    init(_ c: ImpairBenchCase, size: Int) throws {
        self.c = c
        txBare = link.makeDevice()
        rxBare = link.makeDevice()
        if let words = c.words {
            let i = Impairment(wrapping: txBare, spec: try ImpairmentSpec.parse(words))
            imp = i
            tx = i
            rx = Impairment(wrapping: rxBare, spec: ImpairmentSpec())
        } else {
            imp = nil
            tx = txBare
            rx = rxBare
        }
        try tx.start()
        try rx.start()
        let sink = self.sink, rx = self.rx
        rx.hooks = DeviceHooks(name: "rx", readable: { [unowned sink, unowned rx] in
            sink.batch.removeAll()
            sink.received += rx.receive(into: &sink.batch, now: sink.now)
        })
        buffer = .allocate(byteCount: size, alignment: 16)
        for i in 0..<size { buffer[i] = UInt8(truncatingIfNeeded: i) }
    }

    deinit { buffer.deallocate() }

    /// Sends `n` frames, one per transmit call; returns the wall-clock nanoseconds.
    func send(_ n: Int) -> UInt64 {
        var frame = UnsafeRawBufferPointer(buffer)
        let t0 = nanotime()
        withUnsafePointer(to: &frame) { f in
            for _ in 0..<n {
                now &+= c.step
                sink.now = now
                _ = tx.transmit(FrameList(start: f, count: 1), now: now)
                link.deliver()
            }
        }
        let t1 = nanotime()
        sent += n
        return t1 - t0
    }

    /// Releases what is still held and checks that every frame arrived.
    func finish() {
        var empty = ReceiveBatch(capacityBytes: 2048)
        while let d = tx.nextDeadline {
            empty.removeAll()
            sink.now = d
            _ = tx.receive(into: &empty, now: d)
            link.deliver()
        }
        precondition(sink.received == sent, "\(c.name): \(sink.received) of \(sent) frames arrived (\(imp.map { "\($0.egressCounters)" } ?? ""))")
    }
}

/// Each case's best frames/s over `rounds` chunks of `chunk` frames (per placement), the cases
/// taking turns chunk by chunk: on a loaded machine the fastest chunk is the one nothing else
/// interrupted, and each case gets the same chances.
func impairBench(_ cases: [ImpairBenchCase], size: Int, chunk: Int, rounds: Int) throws -> [Double] {
    // Two sets made in opposite orders: where a case's buffers land relative to each other (the
    // 1514-byte copies' cache and 4K-aliasing behaviour) differs by a few per cent between
    // allocations, so each case gets both placements and its better one counts.
    let first = try cases.map { try ImpairBenchRig($0, size: size) }
    let second = Array(try cases.reversed().map { try ImpairBenchRig($0, size: size) }.reversed())
    let sets = [first, second]
    for set in sets { for r in set { _ = r.send(10_000) } }  // warm up: queues at their steady length, pools grown
    var best = [UInt64](repeating: .max, count: cases.count)
    for _ in 0..<rounds {
        for set in sets { for (k, r) in set.enumerated() { best[k] = min(best[k], r.send(chunk)) } }
    }
    for set in sets { for r in set { r.finish() } }
    return best.map { Double(chunk) / (Double($0) / 1e9) }
}

func impairmentReport(frames: Int, chunk: Int) throws {
    let cases = [
        ImpairBenchCase(name: "bare", words: nil, step: 1000),
        ImpairBenchCase(name: "idle", words: "", step: 1000),
        ImpairBenchCase(name: "delay 1ms", words: "delay 1ms limit 10000", step: 1000),
        ImpairBenchCase(name: "rate 10gbit", words: "rate 10gbit", step: 2000),
    ]
    let rounds = max(1, frames / chunk / 2)
    print("rumpnet-bench impair: \(2 * rounds) chunks of \(chunk) frames per case (taking turns, two placements; the best chunk), one frame per transmit call, memory link device")
    for size in [60, 1514] {
        let med = try impairBench(cases, size: size, chunk: chunk, rounds: rounds)
        func n(_ x: Double) -> String {
            let s = String(Int(x.rounded()))
            var out = ""
            for (i, ch) in s.reversed().enumerated() { if i > 0 && i % 3 == 0 { out.append(",") }; out.append(ch) }
            return String(out.reversed())
        }
        func r(_ x: Double) -> String { String(Double(Int((x * 1000).rounded())) / 1000) }
        for k in 1..<cases.count {
            print("impairment \(cases[k].name), \(size) B frames: frames/s  \(n(med[k]))  \(n(med[0])) (same device, no middleware)  \(r(med[k] / med[0]))")
        }
        print("idle middleware, \(size) B frames: \(r((med[0] / med[1] - 1) * 100)) % more time per frame than the bare device (goal: under 10 %)")
    }
}
