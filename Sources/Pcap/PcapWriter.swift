#if canImport(Glibc)
import Glibc
#endif
import CPcap

public struct PcapError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Writes classic microsecond pcap files through libpcap (`pcap_open_dead` +
/// `pcap_dump_open`), the same calls NetBSD's shmif_dumpbus makes, so the bytes match.
public final class PcapWriter {
    /// NetBSD shmif_dumpbus's snap length: an Ethernet frame with a VLAN tag.
    public static let defaultSnapLength: Int32 = 1518

    private let pcap: OpaquePointer
    private let dumper: OpaquePointer
    private let flushEachPacket: Bool

    /// Opens `path` for writing; "-" means standard output. With `flushEachPacket`, every
    /// record reaches the file at once (for live capture into a pipe).
    public init(path: String, linkType: Int32 = DLT_EN10MB, snapLength: Int32 = PcapWriter.defaultSnapLength,
                flushEachPacket: Bool = false) throws {
        guard let p = pcap_open_dead(linkType, snapLength) else { throw PcapError("pcap_open_dead failed") }
        guard let d = pcap_dump_open(p, path) else {
            let msg = String(cString: pcap_geterr(p))
            pcap_close(p)
            throw PcapError("\(path): \(msg)")
        }
        pcap = p
        dumper = d
        self.flushEachPacket = flushEachPacket
    }

    /// Appends one record with the given timestamp; caplen = the frame's length, len =
    /// `originalLength` (the frame's length when not given: nothing was cut).
    public func write(_ frame: UnsafeRawBufferPointer, seconds: Int, microseconds: Int, originalLength: Int? = nil) {
        var h = pcap_pkthdr()
        h.ts.tv_sec = seconds
        h.ts.tv_usec = microseconds
        h.caplen = bpf_u_int32(frame.count)
        h.len = bpf_u_int32(max(originalLength ?? frame.count, frame.count))
        pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), &h,
                  frame.baseAddress?.assumingMemoryBound(to: UInt8.self))
        if flushEachPacket { pcap_dump_flush(dumper) }
    }

    public func flush() { pcap_dump_flush(dumper) }

    deinit {
        pcap_dump_close(dumper)
        pcap_close(pcap)
    }
}

/// A tcpdump filter expression compiled by libpcap for Ethernet frames.
public final class PcapFilter {
    private var program = bpf_program()
    public let expression: String

    public init(_ expression: String, linkType: Int32 = DLT_EN10MB, snapLength: Int32 = 65535) throws {
        self.expression = expression
        guard let p = pcap_open_dead(linkType, snapLength) else { throw PcapError("pcap_open_dead failed") }
        defer { pcap_close(p) }
        if pcap_compile(p, &program, expression, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            throw PcapError("filter \"\(expression)\": \(String(cString: pcap_geterr(p)))")
        }
    }

    /// The compiled program as `struct bpf_insn`s, 8 little-endian bytes each (code u16, jt u8,
    /// jf u8, k u32): what a kernel capture runs (`BPFProgram`, ifCaptureOpen).
    public var instructionBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Int(program.bf_len) * 8)
        for i in 0..<Int(program.bf_len) {
            let insn = program.bf_insns[i]
            withUnsafeBytes(of: insn.code.littleEndian) { out.append(contentsOf: $0) }
            out.append(insn.jt)
            out.append(insn.jf)
            withUnsafeBytes(of: UInt32(insn.k).littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    /// True if the frame passes the filter.
    public func matches(_ frame: UnsafeRawBufferPointer) -> Bool {
        var h = pcap_pkthdr()
        h.caplen = bpf_u_int32(frame.count)
        h.len = bpf_u_int32(frame.count)
        return pcap_offline_filter(&program, &h, frame.baseAddress?.assumingMemoryBound(to: UInt8.self)) != 0
    }

    deinit { pcap_freecode(&program) }
}

/// A BPF program received as `struct bpf_insn` bytes (a reader's compiled filter), checked
/// with libpcap's bpf_validate and run with its bpf_filter: what NetBSD's bpf(4) does with
/// BIOCSETF. Running it allocates nothing.
public final class BPFProgram {
    private let instructions: UnsafeMutablePointer<bpf_insn>
    public let count: Int

    /// The bytes in `instructionBytes`' layout; throws saying why they are not a program.
    public init(bytes: [UInt8]) throws(PcapError) {
        guard !bytes.isEmpty, bytes.count % 8 == 0 else { throw PcapError("a BPF program of \(bytes.count) bytes: not a whole number of 8-byte instructions") }
        let count = bytes.count / 8
        let instructions = UnsafeMutablePointer<bpf_insn>.allocate(capacity: count)
        bytes.withUnsafeBytes { b in
            for i in 0..<count {
                instructions[i] = bpf_insn(code: UInt16(littleEndian: b.loadUnaligned(fromByteOffset: i * 8, as: UInt16.self)),
                                           jt: b[i * 8 + 2], jf: b[i * 8 + 3],
                                           k: bpf_u_int32(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: i * 8 + 4, as: UInt32.self))))
            }
        }
        guard bpf_validate(instructions, Int32(count)) != 0 else {
            instructions.deallocate()
            throw PcapError("not a valid BPF program (bpf_validate refused its \(count) instructions)")
        }
        self.count = count
        self.instructions = instructions
    }

    /// How many bytes of `packet` to keep (the program's return value); 0: the packet does not match.
    @inline(__always)
    public func run(_ packet: UnsafeRawBufferPointer, wireLength: Int) -> Int {
        guard let base = packet.baseAddress else { return 0 }
        return Int(bpf_filter(instructions, base.assumingMemoryBound(to: UInt8.self), u_int(wireLength), u_int(packet.count)))
    }

    deinit { instructions.deallocate() }
}

/// Reads pcap files through libpcap (for tests and tools).
public struct PcapRecord: Equatable, Sendable {
    public var seconds: Int
    public var microseconds: Int
    public var originalLength: Int
    public var bytes: [UInt8]
}

public enum PcapReader {
    public static func readAll(path: String) throws -> (linkType: Int32, snapLength: Int32, records: [PcapRecord]) {
        var err = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let p = pcap_open_offline(path, &err) else { throw PcapError("\(path): \(String(cString: err))") }
        defer { pcap_close(p) }
        var out: [PcapRecord] = []
        var hdr: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while true {
            let r = pcap_next_ex(p, &hdr, &data)
            if r == 1, let h = hdr?.pointee, let data {
                out.append(PcapRecord(seconds: h.ts.tv_sec, microseconds: h.ts.tv_usec, originalLength: Int(h.len),
                                      bytes: Array(UnsafeBufferPointer(start: data, count: Int(h.caplen)))))
            } else if r == -2 {
                break
            } else {
                throw PcapError("\(path): \(String(cString: pcap_geterr(p)))")
            }
        }
        return (pcap_datalink(p), pcap_snapshot(p), out)
    }
}
