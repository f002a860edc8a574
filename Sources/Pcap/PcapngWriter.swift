// pcapng (draft-ietf-opsawg-pcapng) for what classic pcap cannot say: the interface's name and
// what the capture dropped. libpcap reads pcapng but does not write it, so this is a small
// writer of the four blocks a capture needs: a section header, interface descriptions,
// enhanced packets (with their direction) and interface statistics. Host byte order, as the
// section's byte-order magic says; nanosecond timestamps (if_tsresol 9).

#if canImport(Glibc)
import Glibc
#endif

public final class PcapngWriter {
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let flushEachPacket: Bool
    private var buffer: [UInt8] = []
    public private(set) var interfaces = 0

    enum BlockType: UInt32 {
        case sectionHeader = 0x0A0D_0D0A, interfaceDescription = 1, interfaceStatistics = 5, enhancedPacket = 6
    }

    /// Opens `path` for writing ("-": standard output) and writes the section header, naming
    /// `application` (shb_userappl).
    public init(path: String, application: String = "rumpnet-lab", flushEachPacket: Bool = false) throws(PcapError) {
        if path == "-" {
            fd = 1
            ownsDescriptor = false
        } else {
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw PcapError("\(path): \(String(cString: strerror(errno)))") }
            ownsDescriptor = true
        }
        self.flushEachPacket = flushEachPacket
        buffer.reserveCapacity(64 * 1024)
        block(.sectionHeader) { b in
            b.u32(0x1A2B_3C4D)
            b.u16(1); b.u16(0)
            b.u64(UInt64.max)  // section length: not given
            b.option(4, Array(application.utf8))  // shb_userappl
        }
        flush()
    }

    deinit {
        flush()
        if ownsDescriptor { close(fd) }
    }

    /// Describes an interface (if_name, if_description, if_tsresol 9); returns its id for
    /// the packets and statistics that follow.
    @discardableResult
    public func addInterface(name: String, description: String? = nil, linkType: Int32, snapLength: Int32) -> UInt32 {
        block(.interfaceDescription) { b in
            b.u16(UInt16(truncatingIfNeeded: linkType)); b.u16(0)
            b.u32(UInt32(truncatingIfNeeded: snapLength))
            b.option(2, Array(name.utf8))
            if let description { b.option(3, Array(description.utf8)) }
            b.option(9, [9])  // nanoseconds
        }
        interfaces += 1
        return UInt32(interfaces - 1)
    }

    /// One enhanced packet block: the captured bytes, the frame's length on the wire, the
    /// time in nanoseconds since the epoch, and epb_flags (1 inbound, 2 outbound; nil: not said).
    public func write(interface: UInt32, _ frame: UnsafeRawBufferPointer, originalLength: Int, timeNanoseconds: UInt64, flags: UInt32?) {
        block(.enhancedPacket) { b in
            b.u32(interface)
            b.u32(UInt32(truncatingIfNeeded: timeNanoseconds >> 32)); b.u32(UInt32(truncatingIfNeeded: timeNanoseconds))
            b.u32(UInt32(frame.count)); b.u32(UInt32(truncatingIfNeeded: max(originalLength, frame.count)))
            b.bytes(frame)
            b.pad()
            if let flags { withUnsafeBytes(of: flags) { b.option(2, $0) } }
        }
        if flushEachPacket { flush() }
    }

    /// The counters at the end of a capture (isb_*; nil ones are left out).
    public struct Statistics: Sendable {
        public var start: UInt64?
        public var end: UInt64?
        /// isb_ifrecv: frames the capture saw.
        public var received: UInt64?
        /// isb_ifdrop: frames the interface dropped.
        public var interfaceDropped: UInt64?
        /// isb_filteraccept.
        public var filterAccepted: UInt64?
        /// isb_osdrop: frames the kernel could not keep (its buffer full).
        public var kernelDropped: UInt64?
        /// isb_usrdeliv: frames written.
        public var delivered: UInt64?
        public init(start: UInt64? = nil, end: UInt64? = nil, received: UInt64? = nil, interfaceDropped: UInt64? = nil,
                    filterAccepted: UInt64? = nil, kernelDropped: UInt64? = nil, delivered: UInt64? = nil) {
            self.start = start; self.end = end; self.received = received; self.interfaceDropped = interfaceDropped
            self.filterAccepted = filterAccepted; self.kernelDropped = kernelDropped; self.delivered = delivered
        }
    }

    /// An interface statistics block, timed at `timeNanoseconds`.
    public func writeStatistics(interface: UInt32, timeNanoseconds: UInt64, _ s: Statistics) {
        block(.interfaceStatistics) { b in
            b.u32(interface)
            b.u32(UInt32(truncatingIfNeeded: timeNanoseconds >> 32)); b.u32(UInt32(truncatingIfNeeded: timeNanoseconds))
            func timestamp(_ code: UInt16, _ t: UInt64?) {
                guard let t else { return }
                let v = [UInt32(truncatingIfNeeded: t >> 32), UInt32(truncatingIfNeeded: t)]
                v.withUnsafeBytes { b.option(code, $0) }
            }
            func counter(_ code: UInt16, _ v: UInt64?) {
                guard let v else { return }
                withUnsafeBytes(of: v) { b.option(code, $0) }
            }
            timestamp(2, s.start); timestamp(3, s.end)
            counter(4, s.received); counter(5, s.interfaceDropped); counter(6, s.filterAccepted)
            counter(7, s.kernelDropped); counter(8, s.delivered)
        }
        flush()
    }

    /// Writes what is buffered.
    public func flush() {
        var off = 0
        buffer.withUnsafeBytes { b in
            while off < b.count {
                let n = Glibc.write(fd, b.baseAddress! + off, b.count - off)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }  // a closed pipe: the rest is lost, as with pcap_dump
                off += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    // MARK: blocks

    struct Block {
        var bytes: [UInt8]
        var hasOptions = false
        mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) } }
        mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) } }
        mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) } }
        mutating func bytes(_ b: UnsafeRawBufferPointer) { bytes.append(contentsOf: b) }
        mutating func pad() { while bytes.count % 4 != 0 { bytes.append(0) } }
        mutating func option(_ code: UInt16, _ value: [UInt8]) { value.withUnsafeBytes { option(code, $0) } }
        mutating func option(_ code: UInt16, _ value: UnsafeRawBufferPointer) {
            u16(code); u16(UInt16(value.count)); bytes(value); pad()
            hasOptions = true
        }
    }

    /// Type, total length, body, opt_endofopt when there were options, total length again:
    /// appended to the output buffer in place.
    private func block(_ type: BlockType, _ body: (inout Block) -> Void) {
        var b = Block(bytes: buffer)
        buffer = []  // the block holds the only reference: appends do not copy
        let start = b.bytes.count
        b.u32(type.rawValue)
        b.u32(0)
        body(&b)
        if b.hasOptions { b.u16(0); b.u16(0) }
        let length = UInt32(b.bytes.count - start + 4)
        b.u32(length)
        withUnsafeBytes(of: length) { l in
            for i in 0..<4 { b.bytes[start + 4 + i] = l[i] }
        }
        buffer = b.bytes
    }
}
