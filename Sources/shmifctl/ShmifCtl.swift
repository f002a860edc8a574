// shmifctl: a tool for shmif bus files: create, send, watch, the roles the bus tests run
// as real processes (stress writers and readers, a lock holder), and the bus benchmark.
#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Shmif
import ToolSupport

@main
struct ShmifCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shmifctl",
        abstract: "Work with shmif bus files.",
        subcommands: [Create.self, Header.self, Send.self, Watch.self, StressWriter.self, StressReader.self,
                      HoldLock.self, Bench.self, BenchReader.self])
}

func attachOrExit(_ path: String) -> ShmifBus {
    do { return try ShmifBus.attach(path: path) } catch { errx(1, "shmifctl", "\(error)") }
}

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create (or attach to) a bus file and print its header.")
    @Argument var bus: String
    func run() {
        let b = attachOrExit(bus)
        printOut(describe(b.header()))
        exitTool(0)
    }
}

func describe(_ h: BusHeader) -> String {
    "magic 0x\(String(h.magic, radix: 16)) version \(h.version) generation \(h.generation) first 0x\(String(h.first, radix: 16)) last 0x\(String(h.last, radix: 16)) lock \(h.lock) holder \(h.spare)"
}

struct Header: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a bus header, read under the lock.")
    @Argument var bus: String
    func run() {
        printOut(describe(attachOrExit(bus).header()))
        exitTool(0)
    }
}

struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send test frames (broadcast, ethertype 0x88b5).")
    @Argument var bus: String
    @Option(help: "Frames to send.") var count = 1
    @Option(help: "Frame length, 36...1514.") var size = 64
    @Option(help: "Sender id (default random).") var sender: UInt64?
    @Option(help: "Writer number carried in the frames.") var writer: UInt32 = 0
    func run() throws {
        guard (StressFrame.minLength...BusLayout.maxFrameLength).contains(size) else {
            errx(1, "shmifctl", "--size \(size): must be \(StressFrame.minLength)...\(BusLayout.maxFrameLength)")
        }
        let w = BusWriter(bus: attachOrExit(bus), senderID: sender ?? UInt64.random(in: 1...UInt64.max))
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        for seq in 0..<UInt64(count) {
            StressFrame.fill(buf, writer: writer, seq: seq)
            try w.send(UnsafeRawBufferPointer(buf))
        }
        exitTool(0)
    }
}

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print frames as they appear on a bus.")
    @Argument var bus: String
    @Option(help: "Stop after this many frames.") var count: Int?
    @Option(help: "Stop after this many milliseconds without a frame.") var idle: Int32 = 5000
    @Flag(help: "Start at the oldest frame on the bus instead of the next one.") var oldest = false
    func run() throws {
        let b = attachOrExit(bus)
        let r = try BusReader(bus: b, start: oldest ? .oldest : .next)
        var batch = FrameBatch()
        var seen = 0
        while count.map({ seen < $0 }) ?? true {
            if r.receive(into: &batch, timeoutMilliseconds: idle) == 0 { break }
            for i in 0..<batch.count {
                let h = batch.entries[i].header
                let f = batch.frame(i)
                let dst = (0..<6).map { hexByte(f[$0]) }.joined(separator: ":")
                let src = (6..<12).map { hexByte(f[$0]) }.joined(separator: ":")
                let type = hexByte(f[12]) + hexByte(f[13])
                printOut("\(h.seconds).\(pad6(h.microseconds)) \(src) > \(dst) type 0x\(type) length \(h.length) sender \(String(h.sender, radix: 16))")
                seen += 1
                if let count, seen >= count { break }
            }
            OutputStream.standardOutput.flush()
        }
        printOut("frames \(r.framesReceived) lost \(r.framesLost) laps \(r.laps)")
        exitTool(0)
    }
}

func hexByte(_ b: UInt8) -> String { (b < 16 ? "0" : "") + String(b, radix: 16) }
func pad6(_ v: UInt32) -> String { let s = String(v); return String(repeating: "0", count: max(0, 6 - s.count)) + s }

struct StressWriter: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Test role: send self-checking frames of varied lengths.")
    @Argument var bus: String
    @Option var writer: UInt32
    @Option var count: UInt64
    @Option(help: "Frames per send call (one wakeup each).") var batch = 16
    func run() throws {
        let w = BusWriter(bus: attachOrExit(bus), senderID: 0x5757_0000 | UInt64(writer))
        let bufs = (0..<batch).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: BusLayout.maxFrameLength, alignment: 8) }
        var seq: UInt64 = 0
        var frames: [UnsafeRawBufferPointer] = []
        frames.reserveCapacity(batch)
        while seq < count {
            frames.removeAll(keepingCapacity: true)
            for b in bufs where seq < count {
                let n = StressFrame.length(writer: writer, seq: seq)
                let f = UnsafeMutableRawBufferPointer(rebasing: b[0..<n])
                StressFrame.fill(f, writer: writer, seq: seq)
                frames.append(UnsafeRawBufferPointer(f))
                seq += 1
            }
            try w.send(batch: frames)
        }
        printOut("writer=\(writer) sent=\(w.framesSent) steals=\(w.bus.lockSteals)")
        exitTool(0)
    }
}

struct StressReader: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Test role: check every frame, count per-writer gaps.")
    @Argument var bus: String
    @Option(help: "Writer numbers to expect (comma separated).") var writers: String
    @Option(help: "Frames each writer sends.") var count: UInt64
    @Option(help: "Give up after this many milliseconds.") var timeout = 60_000
    @Option(help: "Sleep this many microseconds after each poll (a slow reader).") var slow: UInt32 = 0
    @Option(help: "Batch capacity in bytes.") var batchBytes = 256 * 1024
    @Option(help: "A writer number whose frame marks the end: every writer has finished.") var endWriter: UInt32 = 999
    func run() throws {
        let ids = writers.split(separator: ",").compactMap { UInt32($0) }
        let b = attachOrExit(bus)
        let r = try BusReader(bus: b)
        printOut("ready")
        OutputStream.standardOutput.flush()
        var batch = FrameBatch(capacityBytes: batchBytes)
        var next: [UInt32: UInt64] = [:]
        var received: [UInt32: UInt64] = [:]
        var gaps: UInt64 = 0, corrupt = 0, reordered = 0, foreign = 0
        let deadline = monotonicMilliseconds() + UInt64(timeout)
        var sawEnd = false
        func done() -> Bool { sawEnd || ids.allSatisfy { next[$0] == count } }
        while !done() && monotonicMilliseconds() < deadline {
            if r.receive(into: &batch, timeoutMilliseconds: 200) == 0 { continue }
            for i in 0..<batch.count {
                guard let d = StressFrame.check(batch.frame(i)) else { corrupt += 1; continue }
                if d.writer == endWriter { sawEnd = true; continue }
                guard ids.contains(d.writer) else { foreign += 1; continue }
                let expected = next[d.writer] ?? 0
                if d.seq < expected { reordered += 1; continue }
                gaps += d.seq - expected
                next[d.writer] = d.seq + 1
                received[d.writer, default: 0] += 1
            }
            if slow > 0 { usleep(slow) }
        }
        // Frames at a writer's tail that were overwritten before we got there (only the
        // end marker, written after every writer finished, tells us they are not coming).
        if sawEnd { for id in ids { gaps += count - (next[id] ?? 0) } }
        let complete = sawEnd || ids.allSatisfy { next[$0] == count }
        let total = received.values.reduce(0, +)
        printOut("received=\(total) gaps=\(gaps) lost=\(r.framesLost) laps=\(r.laps) corrupt=\(corrupt) reordered=\(reordered) foreign=\(foreign) complete=\(complete) malformed=\(r.malformed) steals=\(b.lockSteals)")
        exitTool(corrupt == 0 && reordered == 0 && complete ? 0 : 1)
    }
}

func monotonicMilliseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
}

struct HoldLock: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Test role: take the bus lock and keep it until killed.")
    @Argument var bus: String
    func run() {
        let b = attachOrExit(bus)
        b.acquireLock()
        printOut("locked \(getpid())")
        OutputStream.standardOutput.flush()
        while true { pause() }
    }
}
