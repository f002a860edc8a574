// IPv4 addresses and prefixes as topology files write them. RumpLab keeps its own small
// type rather than depend on the whole stack (RumpNet) for one struct.

public struct IPv4: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt32
    public init(_ value: UInt32) { self.value = value }

    /// Strict dotted quad: four decimal parts 0...255, no leading zeros (which some
    /// parsers read as octal), nothing else.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }),
                  p.count == 1 || p.first != "0", let n = UInt32(p), n <= 255 else { return nil }
            v = v << 8 | n
        }
        value = v
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 255).\(value >> 8 & 255).\(value & 255)"
    }

    public static func < (a: IPv4, b: IPv4) -> Bool { a.value < b.value }

    public static func mask(_ prefixLength: Int) -> UInt32 {
        prefixLength <= 0 ? 0 : UInt32.max << UInt32(32 - min(prefixLength, 32))
    }
}

/// An address with its prefix length: an interface address (host bits set) or a network
/// (host bits clear), "10.0.0.1/24".
public struct IPv4Prefix: Hashable, Sendable, CustomStringConvertible {
    public var address: IPv4
    public var length: Int
    public init(address: IPv4, length: Int) {
        self.address = address
        self.length = length
    }

    public enum ParseError: Error, Equatable, Sendable {
        case missingLength, badAddress(String), badLength(String)
    }

    /// Parses "a.b.c.d/len"; with `defaultLength`, a bare address is accepted too.
    public static func parse(_ text: String, defaultLength: Int? = nil) -> Result<IPv4Prefix, ParseError> {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let a = IPv4(String(parts[0])) else { return .failure(.badAddress(String(parts[0]))) }
        guard parts.count == 2 else {
            if let d = defaultLength { return .success(IPv4Prefix(address: a, length: d)) }
            return .failure(.missingLength)
        }
        let l = parts[1]
        guard !l.isEmpty, l.count <= 2, l.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(l), n <= 32 else {
            return .failure(.badLength(String(l)))
        }
        return .success(IPv4Prefix(address: a, length: n))
    }

    public var mask: UInt32 { IPv4.mask(length) }
    public var network: IPv4Prefix { IPv4Prefix(address: IPv4(address.value & mask), length: length) }
    public var broadcast: IPv4 { IPv4(address.value | ~mask) }
    public var hasHostBits: Bool { address.value & ~mask != 0 }
    public func contains(_ a: IPv4) -> Bool { a.value & mask == address.value & mask }
    public var description: String { "\(address)/\(length)" }
}
