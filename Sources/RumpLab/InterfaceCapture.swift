// `rumpnet-lab capture NODE:IFACE`: one interface of a running node captured inside its kernel
// (ifCaptureOpen/ifCaptureRead, docs/PROTOCOL.md "Capture"). The filter is compiled here by
// libpcap for the interface's link type and run by the kernel; frames come back in batches,
// each read waiting at most `pollMilliseconds` so a stop request is seen promptly. Written as
// pcap (libpcap's dump, microseconds) or pcapng (the interface's name, nanoseconds, directions
// and, at the end, the kernel's counters in an interface statistics block).

#if canImport(Glibc)
import Glibc
#endif
import Pcap
import RumpClient
import RumpProtocol

public final class InterfaceCapture {
    public enum Format: Sendable { case pcap, pcapng }

    public struct Options: Sendable {
        public var point: CapturePoint = .wire
        public var snapLength: UInt32 = CaptureRequest.defaultSnapLength
        public var bufferBytes: UInt32 = CaptureRequest.defaultBufferBytes
        /// A tcpdump expression; nil: every frame.
        public var filter: String?
        /// Stop after this many frames written.
        public var limit: Int?
        public var format: Format = .pcap
        /// The file; "-" for standard output.
        public var output = "-"
        /// Every record reaches the output at once (a pipe).
        public var flushEachPacket = false
        public init() {}
    }

    public let node: String
    public let interface: String
    public let options: Options
    /// DLT_EN10MB (1) or DLT_NULL (0, lo).
    public let linkType: Int32
    let client: RumpClient
    let session: Int32
    private let pcap: PcapWriter?
    private let pcapng: PcapngWriter?
    private let startTime: UInt64
    public private(set) var captured = 0
    /// The kernel's counters at the last read: seen, passed the filter, dropped (buffer full).
    public private(set) var received: UInt64 = 0
    public private(set) var accepted: UInt64 = 0
    public private(set) var dropped: UInt64 = 0
    /// Why the kernel ended the capture (the interface was destroyed), if it did.
    public private(set) var endReason: String?

    /// Opens the capture: the node's kernel must be running and have `interface`. Errors name
    /// NODE:IFACE and say what is wrong.
    public init(socketPath: String, node: String, interface: String, options: Options) throws(LabError) {
        self.node = node
        self.interface = interface
        self.options = options
        let place = "\(node):\(interface)"
        let client: RumpClient
        do {
            // The utilities' timeout (10 s, RUMPCLIENT_TIMEOUT), not the lab's 2 s for control
            // calls: a capture runs long, and a loaded host may stall a kernel for a moment.
            client = try RumpClient(url: .unix(path: socketPath), clientName: "rumpnet-lab capture")
        } catch { throw LabError("\(place): node \(node) is not answering (\(socketPath)): \(error)") }
        self.client = client
        let info: InterfaceInfo
        switch Result(catching: { () throws(CallError) in try client.call(.ifGet(name: interface)) }) {
        case .success(.interfaces(let l)) where l.count == 1: info = l[0]
        case .failure(.kernel(let e)) where e.errno == .ENXIO:
            var names: [String] = []
            if case .interfaces(let l)? = try? client.call(.ifList) { names = l.map(\.name) }
            throw LabError("\(place): node \(node) has no interface \(interface)\(names.isEmpty ? "" : " (it has \(names.joined(separator: ", ")))")")
        case .failure(let e): throw LabError("\(place): \(Self.describe(e))")
        case .success(let r): throw LabError("\(place): unexpected reply \(r)")
        }
        linkType = info.flags & IFF.LOOPBACK != 0 ? 0 : 1
        var program: [UInt8] = []
        if let f = options.filter, !f.isEmpty {
            do { program = try PcapFilter(f, linkType: linkType, snapLength: Int32(clamping: options.snapLength)).instructionBytes } catch {
                throw LabError("\(place): \(error)")
            }
        }
        let request = CaptureRequest(interface: interface, point: options.point, snapLength: options.snapLength,
                                     bufferBytes: options.bufferBytes, filter: program)
        switch Result(catching: { () throws(CallError) in try client.call(.ifCaptureOpen(request)) }) {
        case .success(.capture(let b)): session = b.session
        case .failure(let e): throw LabError("\(place): capture: \(Self.describe(e))")
        case .success(let r): throw LabError("\(place): unexpected reply \(r)")
        }
        startTime = Self.wallClock()
        do {
            switch options.format {
            case .pcap:
                pcap = try PcapWriter(path: options.output, linkType: linkType, snapLength: Int32(clamping: options.snapLength),
                                      flushEachPacket: options.flushEachPacket)
                pcapng = nil
            case .pcapng:
                let w = try PcapngWriter(path: options.output, flushEachPacket: options.flushEachPacket)
                w.addInterface(name: interface, description: "node \(node), \(options.point.name) side", linkType: linkType,
                               snapLength: Int32(clamping: options.snapLength))
                pcapng = w
                pcap = nil
            }
        } catch { throw LabError("\(error)") }
    }

    static func describe(_ e: CallError) -> String {
        switch e {
        case .kernel(let k): return k.description
        case .transport(let t): return "\(t)"
        }
    }

    static func wallClock() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public var isDone: Bool { options.limit.map { captured >= $0 } ?? false }

    /// What a read asks for at most: a reply stays under the protocol's message size.
    static let readBytes = Wire.maximumMessageSize - 8192

    /// Captures until the limit, a stop request or the kernel's end of the session; then
    /// closes the session (its last frames are written too, within the limit).
    public func run(pollMilliseconds: Int32 = 100, shouldStop: () -> Bool) throws(LabError) {
        var closed = false
        while !isDone && !shouldStop() {
            let b = try read(.ifCaptureRead(session: session, maxBytes: Self.readBytes, timeout: pollMilliseconds, close: false))
            if b.closed { closed = true; endReason = b.reason; break }
        }
        if !closed {
            let b = try read(.ifCaptureRead(session: session, maxBytes: Self.readBytes, timeout: 0, close: true))
            if !b.reason.isEmpty { endReason = b.reason }
        }
        if let w = pcapng {
            w.writeStatistics(interface: 0, timeNanoseconds: Self.wallClock(), PcapngWriter.Statistics(
                start: startTime, end: Self.wallClock(), received: received, filterAccepted: accepted,
                kernelDropped: dropped, delivered: UInt64(captured)))
        }
        pcap?.flush()
        pcapng?.flush()
    }

    private func read(_ r: Request) throws(LabError) -> CaptureBatch {
        let place = "\(node):\(interface)"
        let reply: Reply
        do { reply = try client.call(r) } catch { throw LabError("\(place): capture: \(Self.describe(error))") }
        guard case .capture(let b) = reply else { throw LabError("\(place): unexpected reply \(reply)") }
        received = b.received
        accepted = b.accepted
        dropped = b.dropped
        do {
            try b.forEachRecord { rec, bytes in
                guard !isDone else { return }
                let t = rec.timeNanoseconds
                if let w = pcap {
                    w.write(bytes, seconds: Int(t / 1_000_000_000), microseconds: Int(t % 1_000_000_000 / 1000), originalLength: Int(rec.wireLength))
                } else if let w = pcapng {
                    w.write(interface: 0, bytes, originalLength: Int(rec.wireLength), timeNanoseconds: t, flags: rec.flags)
                }
                captured += 1
            }
        } catch { throw LabError("\(place): \(error)") }
        // A file reader (tail -f, a test) sees each batch without waiting for the end.
        pcap?.flush()
        pcapng?.flush()
        return b
    }

    /// tcpdump's closing lines.
    public var summary: [String] {
        func plural(_ n: UInt64) -> String { n == 1 ? "" : "s" }
        var lines = ["\(captured) packet\(captured == 1 ? "" : "s") captured",
                     "\(received) packet\(plural(received)) received by filter",
                     "\(dropped) packet\(plural(dropped)) dropped by kernel"]
        if let endReason, endReason != "closed" { lines.append("capture ended: \(endReason)") }
        return lines
    }
}
