#if canImport(Glibc)
import Glibc
#endif

/// Post-mortem reading of a bus file, as NetBSD's `shmif_dumpbus` does it: no lock, the
/// header read once, frames walked from `shm_first` (or 0 if the ring never wrapped)
/// through `shm_last` in ring order. Byte-swapped buses (written on a host of the other
/// byte order) and version-2 buses (12-byte frame headers) are read too.
///
/// Where NetBSD asserts, this reports an error naming the file and the ring offset.
public struct BusDump {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// open(2) or read(2) failed: NetBSD prints `open bus: <strerror>`.
        case open(path: String, errno: Int32)
        case isDirectory(path: String)
        /// NetBSD: "<path> not a shmif bus".
        case notAShmifBus(path: String)
        /// NetBSD: "bus version <v>, program 3".
        case version(Int)
        case wrongSize(path: String, size: Int)
        case corrupt(path: String, ringOffset: UInt32, what: String)

        /// The message after "shmif_dumpbus: ", NetBSD's where NetBSD has one.
        public var description: String {
            switch self {
            case let .open(path, e): return "open bus \(path): \(String(cString: strerror(e)))"
            case let .isDirectory(path): return "open bus \(path): Is a directory"
            case let .notAShmifBus(path): return "\(path) not a shmif bus"
            case let .version(v): return "bus version \(v), program \(BusLayout.version)"
            case let .wrongSize(path, size): return "\(path): bus file is \(size) bytes; a shmif bus is \(BusLayout.fileSize) bytes"
            case let .corrupt(path, off, what): return "\(path): corrupt bus at ring offset 0x\(String(off, radix: 16)): \(what)"
            }
        }
    }

    public struct Frame: Equatable, Sendable {
        /// Ring offset of the payload (what shmif_dumpbus prints as "offset").
        public var payloadOffset: UInt32
        public var length: UInt32
        public var seconds: UInt32
        public var microseconds: UInt32
        /// 0 on version-2 buses.
        public var sender: UInt64
    }

    public let path: String
    public let header: BusHeader
    public let version: Int
    public let swapped: Bool
    private let bytes: [UInt8]

    public init(path: String) throws(Failure) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .open(path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .open(path: path, errno: errno) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw .isDirectory(path: path) }
        var data = [UInt8](repeating: 0, count: Int(st.st_size))
        var got = 0
        while got < data.count {
            let n = data.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, $0.count - got) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .open(path: path, errno: errno) }
            if n == 0 { break }
            got += n
        }
        data.removeSubrange(got...)
        try self.init(path: path, bytes: data)
    }

    public init(path: String, bytes: [UInt8]) throws(Failure) {
        self.path = path
        self.bytes = bytes
        guard bytes.count >= 4 else { throw .notAShmifBus(path: path) }
        let magic = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        if magic == BusLayout.magic {
            swapped = false
        } else if magic == BusLayout.magic.byteSwapped {
            swapped = true
        } else {
            throw .notAShmifBus(path: path)
        }
        guard bytes.count >= BusLayout.headerSize else { throw .wrongSize(path: path, size: bytes.count) }
        let sw = swapped
        header = bytes.withUnsafeBytes { BusHeader(bytes: $0.baseAddress!, swapped: sw) }
        switch header.version {
        case 3: version = 3
        case 2: version = 2
        default: throw .version(Int(Int32(bitPattern: header.version)))
        }
        guard bytes.count == BusLayout.fileSize else { throw .wrongSize(path: path, size: bytes.count) }
    }

    /// NetBSD's header line.
    public var headerLine: String {
        "bus version \(Int32(bitPattern: header.version)), lock: \(Int32(bitPattern: header.lock)), generation: \(header.generation), firstoff: \(hex4(header.first)), lastoff: \(hex4(header.last))"
    }

    /// Walks the frames in NetBSD's order, handing each header and its bytes to `body`.
    public func walk(_ body: (Frame, UnsafeRawBufferPointer) throws -> Void) throws {
        let d = BusLayout.dataSize
        let hsize = version == 3 ? BusLayout.frameHeaderSize : BusLayout.frameHeaderSizeV2
        var cur = header.first
        let last = header.last
        guard cur <= d else { throw Failure.corrupt(path: path, ringOffset: cur, what: "firstoff beyond the ring") }
        guard last < d else { throw Failure.corrupt(path: path, ringOffset: last, what: "lastoff beyond the ring") }
        if cur == d { cur = 0 }
        var bonus = last < cur
        var walked: UInt64 = 0
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        try bytes.withUnsafeBytes { raw in
            let ring = raw.baseAddress! + BusLayout.headerSize
            // shmif_busread, on the snapshot: returns the next offset and whether it wrapped.
            func busread(_ off: UInt32, _ len: UInt32, into dst: UnsafeMutableRawPointer) -> (UInt32, Bool) {
                let chunk = min(len, d - off)
                dst.copyMemory(from: ring + Int(off), byteCount: Int(chunk))
                let wrap = off + chunk == d
                let rest = len - chunk
                if rest == 0 { return ((off + chunk) % d, wrap) }
                (dst + Int(chunk)).copyMemory(from: ring, byteCount: Int(rest))
                return (rest, wrap)
            }
            func u32(_ v: UInt32) -> UInt32 { swapped ? v.byteSwapped : v }
            try scratch.withUnsafeMutableBytes { buf in
                let dst = buf.baseAddress!
                while cur <= last || bonus {
                    let at = cur
                    let (next, wrap) = busread(cur, hsize, into: dst)
                    cur = next
                    if wrap { bonus = false }
                    let len = u32(dst.loadUnaligned(as: UInt32.self))
                    let sec = u32(dst.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
                    let usec = u32(dst.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
                    let sender: UInt64 = version == 3 ? dst.loadUnaligned(fromByteOffset: 16, as: UInt64.self) : 0
                    walked += UInt64(hsize) + UInt64(len)
                    if len == 0 { continue }
                    guard len <= UInt32(buf.count), len < d / 2 else {
                        throw Failure.corrupt(path: path, ringOffset: at, what: "frame length \(len)")
                    }
                    guard walked <= 2 * UInt64(d) else {
                        throw Failure.corrupt(path: path, ringOffset: at, what: "frames do not lead from firstoff to lastoff")
                    }
                    let frame = Frame(payloadOffset: cur, length: len, seconds: sec, microseconds: usec,
                                      sender: swapped ? sender.byteSwapped : sender)
                    let (after, wrap2) = busread(cur, len, into: dst)
                    cur = after
                    if wrap2 { bonus = false }
                    try body(frame, UnsafeRawBufferPointer(start: dst, count: Int(len)))
                }
            }
        }
    }

    /// All frames, for tests and small tools.
    public func frames() throws -> [Frame] {
        var out: [Frame] = []
        try walk { f, _ in out.append(f) }
        return out
    }
}

/// `%04x` with a "0x" prefix, as NetBSD prints offsets.
func hex4(_ v: UInt32) -> String {
    let h = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 4 - h.count)) + h
}

extension BusDump.Frame {
    /// NetBSD's per-frame line: `packet N, offset 0x...., length 0x...., ts S/UUUUUU`.
    public func line(index: Int) -> String {
        let us = String(Int32(bitPattern: microseconds))
        let usPadded = us.hasPrefix("-") ? us : String(repeating: "0", count: max(0, 6 - us.count)) + us
        return "packet \(index), offset \(hex4(payloadOffset)), length \(hex4(length)), ts \(Int32(bitPattern: seconds))/\(usPadded)"
    }
}
