// Link and IPv4 addresses as plain integers: cheap to compare, hash and store.

/// An IPv4 address in host byte order.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt32
    public init(_ value: UInt32) { self.value = value }
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }
    /// Parses dotted-quad text ("10.0.0.1"); nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard let n = UInt8(p) else { return nil }
            v = v << 8 | UInt32(n)
        }
        value = v
    }
    public static let any = IPv4Address(0)
    public static let broadcast = IPv4Address(0xFFFF_FFFF)
    public static let loopback = IPv4Address(127, 0, 0, 1)
    public var isAny: Bool { value == 0 }
    public var isBroadcast: Bool { value == 0xFFFF_FFFF }
    public var isMulticast: Bool { value >> 28 == 0xE }
    public var isLoopback: Bool { value >> 24 == 127 }
    /// Class E and 0/8 sources are never valid unicast sources.
    public var isExperimental: Bool { value >> 28 == 0xF }
    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }
    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }

    /// The netmask for a prefix length 0...32.
    public static func mask(prefixLength: Int) -> UInt32 {
        prefixLength <= 0 ? 0 : (prefixLength >= 32 ? 0xFFFF_FFFF : ~(0xFFFF_FFFF >> UInt32(prefixLength)))
    }
    /// The prefix length of a contiguous mask, nil when it is not contiguous.
    public static func prefixLength(mask: UInt32) -> Int? {
        let ones = mask.nonzeroBitCount
        return IPv4Address.mask(prefixLength: ones) == mask ? ones : nil
    }
    /// The classful default mask NetBSD's ifconfig applies when none is given.
    public var classfulMask: UInt32 {
        if value >> 31 == 0 { return 0xFF00_0000 }
        if value >> 30 == 0b10 { return 0xFFFF_0000 }
        return 0xFFFF_FF00
    }
}

/// A 48-bit Ethernet address, stored in the low 48 bits in wire order.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value & 0xFFFF_FFFF_FFFF }
    public init(_ b: [UInt8]) {
        precondition(b.count == 6)
        var v: UInt64 = 0
        for x in b { v = v << 8 | UInt64(x) }
        value = v
    }
    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 6 else { return nil }
        var v: UInt64 = 0
        for p in parts {
            guard p.count <= 2, let n = UInt8(p, radix: 16) else { return nil }
            v = v << 8 | UInt64(n)
        }
        value = v
    }
    public static let broadcast = MACAddress(0xFFFF_FFFF_FFFF)
    public static let zero = MACAddress(0)
    public var isBroadcast: Bool { value == 0xFFFF_FFFF_FFFF }
    /// Group bit: multicast, including broadcast (ETHER_IS_MULTICAST).
    public var isMulticast: Bool { (value >> 40) & 1 == 1 }
    public var bytes: [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: value >> UInt64(40 - 8 * $0)) } }
    public var description: String {
        bytes.map { b in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined(separator: ":")
    }

    @inline(__always) static func load(_ p: UnsafeRawBufferPointer, _ off: Int) -> MACAddress {
        MACAddress(UInt64(p.be16(off)) << 32 | UInt64(p.be32(off + 2)))
    }
    @inline(__always) func store(_ p: UnsafeMutableRawBufferPointer, _ off: Int) {
        p.setBE16(off, UInt16(truncatingIfNeeded: value >> 32))
        p.setBE32(off + 2, UInt32(truncatingIfNeeded: value))
    }
}
