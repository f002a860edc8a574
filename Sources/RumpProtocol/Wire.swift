/// Why a message could not be decoded. Decoding never traps: every read is bounds-checked
/// and every count is checked against the bytes left before anything is allocated.
public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(needed: Int, available: Int)
    case invalidValue(String)
    case trailingBytes(Int)
    case messageTooLarge(UInt32)
    case badMagic
    case unexpectedMessage(UInt8)
    case unknownOpcode(UInt16)
    case versionMismatch(clientMin: UInt16, clientMax: UInt16)

    public var description: String {
        switch self {
        case .truncated(let n, let a): return "truncated message: needed \(n) bytes, \(a) available"
        case .invalidValue(let s): return "invalid value: \(s)"
        case .trailingBytes(let n): return "\(n) unexpected bytes after the message"
        case .messageTooLarge(let n): return "announced length \(n) exceeds the maximum \(Wire.maximumMessageSize)"
        case .badMagic: return "bad magic (not a rump remote-syscall peer)"
        case .unexpectedMessage(let t): return "unexpected message type \(t)"
        case .unknownOpcode(let o): return "unknown opcode \(o)"
        case .versionMismatch(let a, let b): return "no common protocol version (peer speaks \(a)...\(b))"
        }
    }
}

public enum Wire {
    /// Largest body a frame may announce. A larger length prefix ends the connection.
    public static let maximumMessageSize: UInt32 = 1 << 20
    /// Bytes of the length prefix.
    public static let prefixSize = 4
}

/// Little-endian encoder. Strings and byte strings carry a u32 length; arrays a u32 count.
/// Fixed-size fields are stored whole (not byte by byte), byte strings with one bulk copy;
/// `init(reusing:)` appends to a buffer the caller keeps, so a frame is built in place.
public struct WireWriter: Sendable {
    public var bytes: [UInt8]
    public init() { bytes = [] }
    /// An encoder whose buffer has room for `capacity` bytes (no regrowth below that).
    public init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }
    /// Appends to `buffer` (take it back from `bytes`): no new allocation when it has room.
    public init(reusing buffer: [UInt8]) { bytes = buffer }

    public var count: Int { bytes.count }

    @inline(__always) private mutating func fixed<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    public mutating func u16(_ v: UInt16) { fixed(v) }
    public mutating func u32(_ v: UInt32) { fixed(v) }
    public mutating func u64(_ v: UInt64) { fixed(v) }
    public mutating func i32(_ v: Int32) { fixed(v) }
    public mutating func i64(_ v: Int64) { fixed(v) }
    public mutating func data(_ v: [UInt8]) { u32(UInt32(v.count)); bytes.append(contentsOf: v) }
    public mutating func data(_ v: UnsafeRawBufferPointer) { u32(UInt32(v.count)); bytes.append(contentsOf: v) }
    public mutating func string(_ v: String) {
        var s = v
        s.withUTF8 { u32(UInt32($0.count)); bytes.append(contentsOf: $0) }
    }
    public mutating func optionalString(_ v: String?) {
        if let v { bool(true); string(v) } else { bool(false) }
    }
    public mutating func array<T>(_ v: [T], _ each: (inout WireWriter, T) -> Void) {
        u32(UInt32(v.count))
        for e in v { each(&self, e) }
    }
    public mutating func raw(_ v: [UInt8]) { bytes.append(contentsOf: v) }
    /// Overwrites a u32 written earlier at `offset` (a frame's length prefix).
    public mutating func patchU32(at offset: Int, _ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { src in
            bytes.withUnsafeMutableBytes { dst in
                UnsafeMutableRawBufferPointer(rebasing: dst[offset..<offset + 4]).copyMemory(from: src)
            }
        }
    }
}

/// Bounds-checked little-endian decoder over a byte array.
public struct WireReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    private mutating func need(_ n: Int) throws(ProtocolError) {
        guard n >= 0, remaining >= n else { throw .truncated(needed: n, available: remaining) }
    }

    public mutating func u8() throws(ProtocolError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }
    public mutating func bool() throws(ProtocolError) -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        case let v: throw .invalidValue("boolean \(v)")
        }
    }
    @inline(__always) private mutating func fixed<T: FixedWidthInteger>(_: T.Type) throws(ProtocolError) -> T {
        let n = MemoryLayout<T>.size
        try need(n)
        let o = offset
        offset += n
        return T(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: T.self) })
    }
    public mutating func u16() throws(ProtocolError) -> UInt16 { try fixed(UInt16.self) }
    public mutating func u32() throws(ProtocolError) -> UInt32 { try fixed(UInt32.self) }
    public mutating func u64() throws(ProtocolError) -> UInt64 { try fixed(UInt64.self) }
    public mutating func i32() throws(ProtocolError) -> Int32 { Int32(bitPattern: try u32()) }
    public mutating func i64() throws(ProtocolError) -> Int64 { Int64(bitPattern: try u64()) }
    public mutating func data() throws(ProtocolError) -> [UInt8] {
        let n = Int(try u32())
        try need(n)
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }
    /// A length-prefixed run of bytes as a slice of the message (no copy, no allocation): for
    /// values decoded on the spot, such as a socket address's bytes.
    public mutating func dataSlice() throws(ProtocolError) -> ArraySlice<UInt8> {
        let n = Int(try u32())
        try need(n)
        defer { offset += n }
        return bytes[offset..<offset + n]
    }
    public mutating func string() throws(ProtocolError) -> String {
        let d = try data()
        // Reject invalid UTF-8 rather than repairing it: names must round-trip exactly.
        guard let s = String(validating: d, as: UTF8.self) else { throw .invalidValue("string is not UTF-8") }
        return s
    }
    public mutating func optionalString() throws(ProtocolError) -> String? {
        try bool() ? try string() : nil
    }
    /// An array whose elements each take at least `minimumElementSize` bytes: the count is
    /// checked against the bytes left, so a forged count cannot make us allocate.
    public mutating func array<T>(minimumElementSize: Int = 1, _ each: (inout WireReader) throws(ProtocolError) -> T) throws(ProtocolError) -> [T] {
        let n = Int(try u32())
        guard n <= remaining / max(1, minimumElementSize) else { throw .truncated(needed: n * max(1, minimumElementSize), available: remaining) }
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try each(&self)) }
        return out
    }
    public func finish() throws(ProtocolError) {
        if remaining != 0 { throw .trailingBytes(remaining) }
    }
}
