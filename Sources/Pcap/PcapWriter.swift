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

    /// Appends one record with the given timestamp; caplen = len = the frame's length.
    public func write(_ frame: UnsafeRawBufferPointer, seconds: Int, microseconds: Int) {
        var h = pcap_pkthdr()
        h.ts.tv_sec = seconds
        h.ts.tv_usec = microseconds
        h.caplen = bpf_u_int32(frame.count)
        h.len = bpf_u_int32(frame.count)
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

    /// True if the frame passes the filter.
    public func matches(_ frame: UnsafeRawBufferPointer) -> Bool {
        var h = pcap_pkthdr()
        h.caplen = bpf_u_int32(frame.count)
        h.len = bpf_u_int32(frame.count)
        return pcap_offline_filter(&program, &h, frame.baseAddress?.assumingMemoryBound(to: UInt8.self)) != 0
    }

    deinit { pcap_freecode(&program) }
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
