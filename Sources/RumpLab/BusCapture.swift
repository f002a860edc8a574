import Pcap
import Shmif

/// Live capture of a bus into pcap as a passive reader: it has no sender id, so it sees
/// every frame, and it never writes to the bus.
public final class BusCapture {
    public let reader: BusReader
    public let writer: PcapWriter
    public let filter: PcapFilter?
    /// Stop after this many frames have been written (nil: until told to stop).
    public let limit: Int?
    public private(set) var captured = 0
    /// Frames that did not pass the filter.
    public private(set) var filtered = 0

    public init(bus: ShmifBus, start: BusReader.Start, writer: PcapWriter, filter: PcapFilter?, limit: Int?) throws {
        reader = try BusReader(bus: bus, ownSenderID: nil, start: start)
        self.writer = writer
        self.filter = filter
        self.limit = limit
    }

    /// Frames overwritten before the capture could read them.
    public var framesLost: UInt64 { reader.framesLost }

    public var isDone: Bool { limit.map { captured >= $0 } ?? false }

    /// Set when the bus's ring turned out unreadable (the capture then stops): a reader
    /// would otherwise skip the damage silently, and a capture that shows nothing would
    /// look like a quiet bus.
    public private(set) var corruption: String?

    /// Why the ring described by `h` cannot be read, if it cannot: its offsets lie outside
    /// the ring (firstoff may be the ring size: nothing written yet), or the version is
    /// neither 3 nor 0 (a bus nobody has written to yet: the first wakeup writes it).
    public static func ringProblem(_ h: BusHeader) -> String? {
        if h.version != BusLayout.version && h.version != 0 { return "version \(h.version), not \(BusLayout.version)" }
        if h.first > BusLayout.dataSize { return "firstoff 0x\(String(h.first, radix: 16)) beyond the ring (size 0x\(String(BusLayout.dataSize, radix: 16)))" }
        if h.last >= BusLayout.dataSize { return "lastoff 0x\(String(h.last, radix: 16)) beyond the ring (size 0x\(String(BusLayout.dataSize, radix: 16)))" }
        return nil
    }

    /// Captures until the limit is reached or `shouldStop` returns true. It waits at most
    /// `pollMilliseconds` at a time so that a stop request is seen promptly.
    public func run(pollMilliseconds: Int32 = 100, shouldStop: () -> Bool) {
        var batch = FrameBatch()
        var malformedSeen = reader.malformed
        while !isDone && !shouldStop() {
            let n = reader.receive(into: &batch, timeoutMilliseconds: pollMilliseconds)
            if reader.malformed != malformedSeen {
                malformedSeen = reader.malformed
                if let p = Self.ringProblem(reader.bus.header()) {
                    corruption = "\(reader.bus.path): corrupt ring: \(p)"
                    break
                }
            }
            guard n > 0 else { continue }
            for k in 0..<batch.count {
                let frame = batch.frame(k)
                if let filter, !filter.matches(frame) {
                    filtered += 1
                    continue
                }
                let h = batch.entries[k].header
                writer.write(frame, seconds: Int(h.seconds), microseconds: Int(h.microseconds))
                captured += 1
                if isDone { break }
            }
            // A file reader (tail -f, a test) sees each batch without waiting for exit.
            writer.flush()
        }
        writer.flush()
    }

    /// tcpdump's closing lines: "N packets captured" and, if any, the frames lost.
    public var summary: [String] {
        var lines = ["\(captured) packet\(captured == 1 ? "" : "s") captured"]
        if framesLost > 0 { lines.append("\(framesLost) frame\(framesLost == 1 ? "" : "s") lost to lapping") }
        return lines
    }
}
