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

/// Frames per second (wall clock) for `frames` frames of `size` bytes through one case.
func impairBenchRun(_ c: ImpairBenchCase, frames: Int, size: Int) throws -> Double {
    let link = MemoryLink(capacity: 64)
    let txBare = link.makeDevice(), rxBare = link.makeDevice()
    let tx: NetDevice, rx: NetDevice
    var imp: Impairment?
    if let words = c.words {
        imp = Impairment(wrapping: txBare, spec: try ImpairmentSpec.parse(words))
        tx = imp!
        rx = Impairment(wrapping: rxBare, spec: ImpairmentSpec())
    } else {
        tx = txBare
        rx = rxBare
    }
    try tx.start()
    try rx.start()
    let sink = ImpairBenchSink()
    rx.hooks = DeviceHooks(name: "rx", readable: { [unowned sink] in
        sink.batch.removeAll()
        sink.received += rx.receive(into: &sink.batch, now: sink.now)
    })
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
    defer { buffer.deallocate() }
    for i in 0..<size { buffer[i] = UInt8(truncatingIfNeeded: i) }
    var frame = UnsafeRawBufferPointer(buffer)
    var now: UInt64 = 1_000_000
    func send(_ n: Int) {
        withUnsafePointer(to: &frame) { f in
            for _ in 0..<n {
                now &+= c.step
                sink.now = now
                _ = tx.transmit(FrameList(start: f, count: 1), now: now)
                link.deliver()
            }
        }
    }
    send(10_000)  // warm up: the queue at its steady length, the pool grown
    let before = sink.received
    let t0 = nanotime()
    send(frames)
    let t1 = nanotime()
    // Drain what is still held, so every frame is accounted for.
    var empty = ReceiveBatch(capacityBytes: 2048)
    while let d = tx.nextDeadline {
        empty.removeAll()
        sink.now = d
        _ = tx.receive(into: &empty, now: d)
        link.deliver()
    }
    let got = sink.received - before
    precondition(sink.received == frames + 10_000, "\(c.name): \(sink.received) of \(frames + 10_000) frames arrived (\(imp.map { "\($0.egressCounters)" } ?? ""))")
    withExtendedLifetime((link, txBare, rxBare, imp)) {}
    return Double(got) / (Double(t1 - t0) / 1e9)
}

func impairmentReport(frames: Int, runs: Int) throws {
    let cases = [
        ImpairBenchCase(name: "bare", words: nil, step: 1000),
        ImpairBenchCase(name: "idle", words: "", step: 1000),
        ImpairBenchCase(name: "delay 1ms", words: "delay 1ms limit 10000", step: 1000),
        ImpairBenchCase(name: "rate 10gbit", words: "rate 10gbit", step: 2000),
    ]
    print("rumpnet-bench impair: \(frames) frames x \(runs) runs per case, one frame per transmit call, memory link device")
    for size in [60, 1514] {
        var fps = [[Double]](repeating: [], count: cases.count)
        for _ in 0..<runs {
            for (k, c) in cases.enumerated() { fps[k].append(try impairBenchRun(c, frames: frames, size: size)) }
        }
        let med = fps.map { median($0) }
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
