#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Shmif
import ToolSupport

/// The bus benchmark: one writer process (this one) and one reader process (a child
/// running `bench-reader`), frames of 64 and 1514 bytes, beside memcpy of the same frames
/// measured in the same run. Medians of `runs` runs.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark the bus: frames/s, MB/s, one-frame latency, beside memcpy.")
    @Option(help: "Directory for the bus file.") var directory = "/tmp"
    @Option(help: "Runs per figure (the median is printed).") var runs = 3
    @Option(help: "Frames per throughput run at 64 bytes.") var smallFrames = 3_000_000
    @Option(help: "Frames per throughput run at 1514 bytes.") var largeFrames = 600_000
    @Option(help: "Frames per latency run.") var latencyFrames = 5_000
    @Option(help: "Frames per send call.") var batch = 32

    func run() throws {
        var rows: [(String, Double, Double, String)] = []
        for (size, count) in [(64, smallFrames), (1514, largeFrames)] {
            var rates: [Double] = [], mbs: [Double] = [], losses: [Double] = [], sendRates: [Double] = []
            for _ in 0..<runs {
                let r = try throughputRun(size: size, count: count)
                rates.append(r.framesPerSecond)
                mbs.append(r.framesPerSecond * Double(size) / 1e6)
                losses.append(r.lossPercent)
                sendRates.append(r.sendRate)
            }
            let base = memcpyRate(size: size)
            rows.append(("\(size) B frames/s received", median(rates), base.framesPerSecond, "frames/s"))
            rows.append(("\(size) B MB/s received", median(mbs), base.framesPerSecond * Double(size) / 1e6, "MB/s"))
            rows.append(("\(size) B frames/s sent", median(sendRates), base.framesPerSecond, "frames/s"))
            rows.append(("\(size) B frames lost to lapping %", median(losses), 0, "%"))
        }
        var p50s: [Double] = [], p99s: [Double] = []
        for _ in 0..<runs {
            let (p50, p99) = try latencyRun(size: 64, count: latencyFrames)
            p50s.append(p50)
            p99s.append(p99)
        }
        var pipe50: [Double] = [], pipe99: [Double] = []
        for _ in 0..<runs {
            let (p50, p99) = try pipeLatencyRun(count: latencyFrames)
            pipe50.append(p50)
            pipe99.append(p99)
        }
        rows.append(("64 B latency p50 (us)", median(p50s) / 1000, median(pipe50) / 1000, "us"))
        rows.append(("64 B latency p99 (us)", median(p99s) / 1000, median(pipe99) / 1000, "us"))

        printOut("shmif bus benchmark: 1 writer process, 1 reader process, batches of \(batch), median of \(runs) runs")
        printOut("baselines, same run: memcpy of the same frames into a 1 MiB ring in one process (rates);")
        printOut("  a 64-byte write(2) to a pipe read by a blocked process, 200 us apart (latency)")
        printOut(pad("figure", 34) + pad("value", 16) + pad("baseline", 16) + "ratio")
        for (name, v, b, _) in rows {
            let ratio = b > 0 ? fmt(v / b, 3) : "-"
            printOut(pad(name, 34) + pad(fmt(v, v < 100 ? 2 : 0), 16) + pad(b > 0 ? fmt(b, b < 100 ? 3 : 0) : "-", 16) + ratio)
        }
        exitTool(0)
    }

    struct Throughput { var framesPerSecond: Double; var lossPercent: Double; var sendRate: Double }

    func busPath() -> String { "\(directory)/shmif-bench-\(getpid()).bus" }

    func throughputRun(size: Int, count: Int) throws -> Throughput {
        let path = busPath()
        unlink(path)
        defer { unlink(path) }
        let bus = try ShmifBus.attach(path: path)
        let child = try Child.spawn(["bench-reader", path, "--mode", "throughput"])
        guard child.readLine() == "ready" else { throw ValidationError("bench reader did not start") }
        let writer = BusWriter(bus: bus, senderID: 1)
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buf.deallocate() }
        StressFrame.fill(buf, writer: 1, seq: 0)
        let frames = [UnsafeRawBufferPointer](repeating: UnsafeRawBufferPointer(buf), count: batch)
        let start = monotonicNanoseconds()
        var sent = 0
        while sent < count {
            try writer.send(batch: frames)
            sent += batch
        }
        let sendElapsed = monotonicNanoseconds() - start
        // The end marker: another ethertype, sent until the reader has seen it.
        let end = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
        defer { end.deallocate() }
        end.initializeMemory(as: UInt8.self, repeating: 0xEE)
        try writer.send(UnsafeRawBufferPointer(end))
        let result = child.readLine() ?? ""
        child.wait()
        let f = fields(result)
        let received = f["received"] ?? 0, elapsed = f["elapsed_ns"] ?? 1
        return Throughput(framesPerSecond: received / (elapsed / 1e9),
                          lossPercent: 100 * (Double(sent) - received) / Double(sent),
                          sendRate: Double(sent) / (Double(sendElapsed) / 1e9))
    }

    func latencyRun(size: Int, count: Int) throws -> (Double, Double) {
        let path = busPath()
        unlink(path)
        defer { unlink(path) }
        let bus = try ShmifBus.attach(path: path)
        let child = try Child.spawn(["bench-reader", path, "--mode", "latency", "--count", String(count)])
        guard child.readLine() == "ready" else { throw ValidationError("bench reader did not start") }
        let writer = BusWriter(bus: bus, senderID: 1)
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buf.deallocate() }
        StressFrame.fill(buf, writer: 1, seq: 0)
        for _ in 0..<count {
            buf.storeBytes(of: monotonicNanoseconds(), toByteOffset: 28, as: UInt64.self)
            try writer.send(UnsafeRawBufferPointer(buf))
            // 200 us apart, so each frame is a lone wakeup, as a ping is.
            usleep(200)
        }
        let f = fields(child.readLine() ?? "")
        child.wait()
        return (f["p50_ns"] ?? 0, f["p99_ns"] ?? 0)
    }

    /// The kernel's own floor for waking another process with one message.
    func pipeLatencyRun(count: Int) throws -> (Double, Double) {
        let child = try Child.spawn(["bench-reader", "-", "--mode", "pipe", "--count", String(count)], stdinPipe: true)
        guard child.readLine() == "ready" else { throw ValidationError("bench reader did not start") }
        var msg = [UInt8](repeating: 0, count: 64)
        for _ in 0..<count {
            msg.withUnsafeMutableBytes { $0.storeBytes(of: monotonicNanoseconds(), as: UInt64.self) }
            _ = msg.withUnsafeBytes { write(child.input, $0.baseAddress, 64) }
            usleep(200)
        }
        close(child.input)
        let f = fields(child.readLine() ?? "")
        child.wait()
        return (f["p50_ns"] ?? 0, f["p99_ns"] ?? 0)
    }

    func memcpyRate(size: Int) -> (framesPerSecond: Double, unused: Int) {
        let ring = UnsafeMutableRawPointer.allocate(byteCount: BusLayout.fileSize, alignment: 64)
        defer { ring.deallocate() }
        let src = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { src.deallocate() }
        memset(src, 0x5A, size)
        memset(ring, 0, BusLayout.fileSize)
        var rates: [Double] = []
        for _ in 0..<runs {
            let n = 4_000_000
            var off = 0
            let start = monotonicNanoseconds()
            for _ in 0..<n {
                if off + size > BusLayout.fileSize { off = 0 }
                memcpy(ring + off, src, size)
                off += size + 24
            }
            let elapsed = monotonicNanoseconds() - start
            rates.append(Double(n) / (Double(elapsed) / 1e9))
        }
        return (median(rates), 0)
    }
}

struct BenchReader: ParsableCommand {
    static let configuration = CommandConfiguration(shouldDisplay: false)
    @Argument var bus: String
    @Option var mode: String
    @Option var count = 0

    func run() throws {
        if mode == "pipe" {
            printOut("ready")
            OutputStream.standardOutput.flush()
            var samples: [UInt64] = []
            var msg = [UInt8](repeating: 0, count: 64)
            while samples.count < count {
                var got = 0
                while got < 64 {
                    let n = msg.withUnsafeMutableBytes { read(0, $0.baseAddress! + got, 64 - got) }
                    if n <= 0 { break }
                    got += n
                }
                if got < 64 { break }
                let now = monotonicNanoseconds()
                samples.append(now &- msg.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
            }
            printPercentiles(&samples)
            exitTool(0)
        }
        let b = attachOrExit(bus)
        let r = try BusReader(bus: b)
        var batch = FrameBatch(capacityBytes: 256 * 1024)
        printOut("ready")
        OutputStream.standardOutput.flush()
        if mode == "latency" {
            var samples: [UInt64] = []
            samples.reserveCapacity(count)
            while samples.count < count {
                if r.receive(into: &batch, timeoutMilliseconds: 5000) == 0 { break }
                let now = monotonicNanoseconds()
                for i in 0..<batch.count {
                    let sent = batch.frame(i).loadUnaligned(fromByteOffset: 28, as: UInt64.self)
                    samples.append(now &- sent)
                }
            }
            printPercentiles(&samples)
        } else {
            var received = 0
            var first: UInt64 = 0, last: UInt64 = 0
            outer: while true {
                if r.receive(into: &batch, timeoutMilliseconds: 10_000) == 0 { break }
                let now = monotonicNanoseconds()
                if first == 0 { first = now }
                for i in 0..<batch.count {
                    if batch.frame(i)[12] == 0xEE { last = now; break outer }
                    received += 1
                }
                last = now
            }
            printOut("received=\(received) lost=\(r.framesLost) laps=\(r.laps) elapsed_ns=\(last - first)")
        }
        exitTool(0)
    }
}

func printPercentiles(_ samples: inout [UInt64]) {
    samples.sort()
    let p50 = samples.isEmpty ? 0 : samples[samples.count / 2]
    let p99 = samples.isEmpty ? 0 : samples[min(samples.count - 1, samples.count * 99 / 100)]
    printOut("samples=\(samples.count) p50_ns=\(p50) p99_ns=\(p99)")
}

func fields(_ line: String) -> [String: Double] {
    var out: [String: Double] = [:]
    for part in line.split(separator: " ") {
        let kv = part.split(separator: "=", maxSplits: 1)
        if kv.count == 2, let v = Double(kv[1]) { out[String(kv[0])] = v }
    }
    return out
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? 0 : s[s.count / 2]
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }

func fmt(_ v: Double, _ decimals: Int) -> String {
    if decimals == 0 {
        let i = Int(v.rounded())
        var s = String(i), out = ""
        while s.count > 3 { out = "," + s.suffix(3) + out; s.removeLast(3) }
        return s + out
    }
    var p = 1.0
    for _ in 0..<decimals { p *= 10 }
    let r = (v * p).rounded() / p
    return String(r)
}

@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// A child process running this same executable, with its standard output on a pipe.
final class Child {
    let pid: pid_t
    let out: Int32
    /// The write end of the child's standard input, if asked for (else -1).
    let input: Int32
    private var pending: [UInt8] = []

    private init(pid: pid_t, out: Int32, input: Int32) {
        self.pid = pid
        self.out = out
        self.input = input
    }

    static func spawn(_ args: [String], stdinPipe: Bool = false) throws -> Child {
        var fds: [Int32] = [0, 0]
        var ins: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw ValidationError("pipe failed") }
        if stdinPipe { guard pipe(&ins) == 0 else { throw ValidationError("pipe failed") } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        if stdinPipe {
            posix_spawn_file_actions_adddup2(&actions, ins[0], 0)
            posix_spawn_file_actions_addclose(&actions, ins[1])
        }
        let exe = "/proc/self/exe"
        let argv = ([exe] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, nil, argv, environ)
        posix_spawn_file_actions_destroy(&actions)
        close(fds[1])
        if stdinPipe { close(ins[0]) }
        guard rc == 0 else { close(fds[0]); throw ValidationError("posix_spawn failed: \(rc)") }
        return Child(pid: pid, out: fds[0], input: ins[1])
    }

    func readLine() -> String? {
        var byte: UInt8 = 0
        while true {
            let n = read(out, &byte, 1)
            if n <= 0 { return pending.isEmpty ? nil : String(decoding: pending, as: UTF8.self) }
            if byte == 10 {
                defer { pending.removeAll() }
                return String(decoding: pending, as: UTF8.self)
            }
            pending.append(byte)
        }
    }

    func wait() {
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(out)
    }
}
