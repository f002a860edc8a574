// Per-interface capture (docs/PROTOCOL.md, "Capture"): bpf(4)'s model over the remote-syscall
// protocol. A client opens a capture session on an interface with a BPF program it compiled
// (tcpdump's expression, by libpcap); the kernel runs the program on every frame the interface
// carries and keeps what passes in a bounded buffer, counting what did not fit; the client reads
// the buffer in batches. The kernel never sends what was not asked for, so a slow reader costs
// the kernel nothing but drops.

/// Where on an interface the frames are seen, relative to a link impairment (the device
/// middlewares, docs/stack.md).
public enum CapturePoint: UInt8, Hashable, Sendable, CaseIterable {
    /// Between the impairment and the medium: what the wire carries (duplicates, corruption and
    /// delays applied on the way out; input before the ingress impairment). The default.
    case wire = 0
    /// Between the stack and the impairment: what the stack sent and what it was given.
    case stack = 1

    public var name: String { self == .wire ? "wire" : "stack" }
    public init?(name: String) {
        guard let p = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = p
    }
}

/// `ifCaptureOpen`'s payload.
public struct CaptureRequest: Hashable, Sendable {
    public var interface: String
    public var point: CapturePoint
    /// Bytes kept of each frame (the rest is counted in the record's wire length).
    public var snapLength: UInt32
    /// The kernel's buffer for this session (BIOCSBLEN): frames that do not fit are dropped and counted.
    public var bufferBytes: UInt32
    /// A BPF program, `struct bpf_insn` after `struct bpf_insn` (code u16, jt u8, jf u8, k u32,
    /// little-endian, 8 bytes each); empty: every frame.
    public var filter: [UInt8]

    public init(interface: String, point: CapturePoint = .wire, snapLength: UInt32 = CaptureRequest.defaultSnapLength,
                bufferBytes: UInt32 = CaptureRequest.defaultBufferBytes, filter: [UInt8] = []) {
        self.interface = interface; self.point = point; self.snapLength = snapLength
        self.bufferBytes = bufferBytes; self.filter = filter
    }

    /// tcpdump's default snapshot length.
    public static let defaultSnapLength: UInt32 = 262_144
    public static let defaultBufferBytes: UInt32 = 512 * 1024
    public static let minimumBufferBytes: UInt32 = 16 * 1024
    public static let maximumBufferBytes: UInt32 = 16 * 1024 * 1024
    /// BPF_MAXINSNS.
    public static let maximumInstructions = 4096

    func encode(_ w: inout WireWriter) {
        w.string(interface); w.u8(point.rawValue); w.u32(snapLength); w.u32(bufferBytes); w.data(filter)
    }

    static func decode(_ r: inout WireReader) throws(ProtocolError) -> CaptureRequest {
        let name = try r.string()
        let p = try r.u8()
        guard let point = CapturePoint(rawValue: p) else { throw .invalidValue("capture point \(p)") }
        return CaptureRequest(interface: name, point: point, snapLength: try r.u32(), bufferBytes: try r.u32(), filter: try r.data())
    }
}

/// The `capture` reply: a session's frames since the last read and its counters so far.
public struct CaptureBatch: Hashable, Sendable {
    public var session: Int32
    /// The pcap link type (DLT_EN10MB = 1 for shmif and virt, DLT_NULL = 0 for lo).
    public var linkType: UInt32
    /// Frames the capture saw (bpf's bs_recv).
    public var received: UInt64
    /// Frames that passed the filter (bs_capt).
    public var accepted: UInt64
    /// Frames that passed but found the buffer full (bs_drop).
    public var dropped: UInt64
    /// Records back to back (`CaptureRecord`).
    public var records: [UInt8]
    /// The session is over: closed by this read, or its interface is gone (`reason`).
    public var closed: Bool
    public var reason: String

    public init(session: Int32, linkType: UInt32, received: UInt64 = 0, accepted: UInt64 = 0, dropped: UInt64 = 0,
                records: [UInt8] = [], closed: Bool = false, reason: String = "") {
        self.session = session; self.linkType = linkType; self.received = received; self.accepted = accepted
        self.dropped = dropped; self.records = records; self.closed = closed; self.reason = reason
    }

    func encode(_ w: inout WireWriter) {
        w.i32(session); w.u32(linkType); w.u64(received); w.u64(accepted); w.u64(dropped)
        w.data(records); w.bool(closed); w.string(reason)
    }

    static func decode(_ r: inout WireReader) throws(ProtocolError) -> CaptureBatch {
        CaptureBatch(session: try r.i32(), linkType: try r.u32(), received: try r.u64(), accepted: try r.u64(),
                     dropped: try r.u64(), records: try r.data(), closed: try r.bool(), reason: try r.string())
    }

    /// Calls `body` with each record in order; a record that overruns the batch throws
    /// (naming its byte offset), after the records before it.
    public func forEachRecord(_ body: (CaptureRecord, UnsafeRawBufferPointer) -> Void) throws(ProtocolError) {
        let result: ProtocolError? = records.withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                guard b.count - off >= CaptureRecord.headerSize else { return .invalidValue("capture record at byte \(off): truncated header") }
                let rec = CaptureRecord(timeNanoseconds: b.loadUnaligned(fromByteOffset: off, as: UInt64.self).littleEndian,
                                        wireLength: b.loadUnaligned(fromByteOffset: off + 8, as: UInt32.self).littleEndian,
                                        flags: b.loadUnaligned(fromByteOffset: off + 16, as: UInt32.self).littleEndian)
                let caplen = Int(b.loadUnaligned(fromByteOffset: off + 12, as: UInt32.self).littleEndian)
                let start = off + CaptureRecord.headerSize
                guard caplen <= b.count - start, caplen <= Int(rec.wireLength) else {
                    return .invalidValue("capture record at byte \(off): captured length \(caplen) beyond the batch or the frame")
                }
                body(rec, UnsafeRawBufferPointer(rebasing: b[start..<(start + caplen)]))
                off = start + caplen
            }
            return nil
        }
        if let result { throw result }
    }
}

/// One captured frame's header in a batch: u64 time (ns since the epoch), u32 wire length,
/// u32 captured length, u32 flags (pcapng's epb_flags direction: 1 inbound, 2 outbound), then
/// the captured bytes. Little-endian, unpadded.
public struct CaptureRecord: Hashable, Sendable {
    public var timeNanoseconds: UInt64
    public var wireLength: UInt32
    public var flags: UInt32
    public static let headerSize = 20
    public static let inbound: UInt32 = 1
    public static let outbound: UInt32 = 2

    public init(timeNanoseconds: UInt64, wireLength: UInt32, flags: UInt32) {
        self.timeNanoseconds = timeNanoseconds; self.wireLength = wireLength; self.flags = flags
    }

    /// Appends a record to a kernel's buffer (no allocation while `buffer` has room).
    @inline(__always)
    public static func append(to buffer: inout [UInt8], time: UInt64, wireLength: Int, flags: UInt32, bytes: UnsafeRawBufferPointer) {
        withUnsafeBytes(of: time.littleEndian) { buffer.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: wireLength).littleEndian) { buffer.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { buffer.append(contentsOf: $0) }
        withUnsafeBytes(of: flags.littleEndian) { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: bytes)
    }
}
