// A compact binary encoding for the models, so the remote-syscall protocol can carry them.
// Big-endian fixed-width integers, u32 length prefixes; the reader checks every length against
// the bytes left before it allocates, so malformed or hostile input throws instead of trapping.

public enum WireDecodeError: Error, Equatable, Sendable {
    /// Needed more bytes than remain.
    case truncated(needed: Int, remaining: Int)
    /// An enum tag or boolean byte with no meaning.
    case badTag(type: String, tag: UInt8)
    /// A string that is not UTF-8.
    case badString
    /// A count or value outside what the type allows.
    case badValue(type: String)
    /// Bytes left after a complete value.
    case trailingBytes(Int)
}

public struct WireWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    public init() {}

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xff)) }
    public mutating func u32(_ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
    public mutating func u64(_ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) } }
    public mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    public mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }
    public mutating func raw(_ v: [UInt8]) { u32(UInt32(v.count)); bytes.append(contentsOf: v) }
    public mutating func string(_ v: String) { raw(Array(v.utf8)) }

    public mutating func optional<T>(_ v: T?, _ body: (inout WireWriter, T) -> Void) {
        if let v { u8(1); body(&self, v) } else { u8(0) }
    }

    public mutating func array<T>(_ v: [T], _ body: (inout WireWriter, T) -> Void) {
        u32(UInt32(v.count))
        for e in v { body(&self, e) }
    }

    public mutating func value<T: WireCodable>(_ v: T) { v.encode(to: &self) }
}

public struct WireReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var remaining: Int { bytes.count - offset }

    mutating func take(_ n: Int) throws(WireDecodeError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw .truncated(needed: n, remaining: remaining) }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    public mutating func u8() throws(WireDecodeError) -> UInt8 { try take(1).first! }
    public mutating func u16() throws(WireDecodeError) -> UInt16 { try take(2).reduce(0) { $0 << 8 | UInt16($1) } }
    public mutating func u32() throws(WireDecodeError) -> UInt32 { try take(4).reduce(0) { $0 << 8 | UInt32($1) } }
    public mutating func u64() throws(WireDecodeError) -> UInt64 { try take(8).reduce(0) { $0 << 8 | UInt64($1) } }
    public mutating func i32() throws(WireDecodeError) -> Int32 { Int32(bitPattern: try u32()) }
    public mutating func i64() throws(WireDecodeError) -> Int64 { Int64(bitPattern: try u64()) }

    public mutating func bool() throws(WireDecodeError) -> Bool {
        let b = try u8()
        guard b <= 1 else { throw .badTag(type: "Bool", tag: b) }
        return b == 1
    }

    public mutating func raw() throws(WireDecodeError) -> [UInt8] {
        let n = Int(try u32())
        return Array(try take(n))
    }

    public mutating func string() throws(WireDecodeError) -> String {
        let b = try raw()
        guard let s = String(validating: b, as: UTF8.self) else { throw .badString }
        return s
    }

    public mutating func optional<T>(_ body: (inout WireReader) throws(WireDecodeError) -> T) throws(WireDecodeError) -> T? {
        let tag = try u8()
        switch tag {
        case 0: return nil
        case 1: return try body(&self)
        default: throw .badTag(type: "Optional", tag: tag)
        }
    }

    /// Reads a count and checks that `minSize` bytes per element can still follow, so a forged
    /// count cannot make us reserve or loop over billions of elements.
    public mutating func array<T>(minSize: Int, _ body: (inout WireReader) throws(WireDecodeError) -> T) throws(WireDecodeError) -> [T] {
        let n = Int(try u32())
        guard n <= remaining / max(minSize, 1) else { throw .truncated(needed: n * max(minSize, 1), remaining: remaining) }
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try body(&self)) }
        return out
    }

    public mutating func value<T: WireCodable>(_ type: T.Type = T.self) throws(WireDecodeError) -> T {
        try T(from: &self)
    }
}

/// A model with a wire form.
public protocol WireCodable: Sendable {
    func encode(to writer: inout WireWriter)
    init(from reader: inout WireReader) throws(WireDecodeError)
}

extension WireCodable {
    /// The value's bytes.
    public func encoded() -> [UInt8] {
        var w = WireWriter()
        encode(to: &w)
        return w.bytes
    }

    /// Decodes exactly one value from `bytes`; trailing bytes are an error.
    public init(decoding bytes: [UInt8]) throws(WireDecodeError) {
        var r = WireReader(bytes)
        self = try Self(from: &r)
        guard r.remaining == 0 else { throw .trailingBytes(r.remaining) }
    }
}

/// Lists of models (an `ifconfig -a` answer is `[InterfaceInfo]`).
extension Array: WireCodable where Element: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.array(self) { w, e in e.encode(to: &w) }
    }

    public init(from reader: inout WireReader) throws(WireDecodeError) {
        self = try reader.array(minSize: 1) { (r: inout WireReader) throws(WireDecodeError) in try Element(from: &r) }
    }
}
