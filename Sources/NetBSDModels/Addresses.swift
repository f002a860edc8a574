// The one IPv4 address, the prefixes of both families, the family-neutral `IPAddress` and the
// Ethernet address: the values the stack, the protocol, the utilities and the lab share, with
// NetBSD's text forms (inet_pton, inet_aton, inet_ntoa, ether_aton/ether_ntoa). IPv6 addresses
// are in IPv6Address.swift, socket addresses in SocketAddress.swift.

/// NetBSD's address family numbers (sys/socket.h), so they can cross the protocol unchanged.
public enum AddressFamily: UInt8, Sendable, Hashable, CaseIterable {
    case unspec = 0, local = 1, inet = 2, link = 18, inet6 = 24
}

// MARK: - IPv4

/// An IPv4 address (struct in_addr), host byte order in `value`: cheap to compare, hash, store
/// and mask on the packet path.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt32
    @inlinable public init(_ value: UInt32) { self.value = value }
    @inlinable public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }
    /// Exactly 4 bytes in network order; nil for any other count. Inlinable so that callers in
    /// other modules get it specialised (the generic form costs a metadata lookup per call).
    @inlinable public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 else { return nil }
        var v: UInt32 = 0
        for b in bytes { v = v << 8 | UInt32(b) }
        value = v
    }

    public static let any = IPv4Address(0)
    public static let broadcast = IPv4Address(0xFFFF_FFFF)
    public static let loopback = IPv4Address(127, 0, 0, 1)

    @inlinable public var isAny: Bool { value == 0 }
    @inlinable public var isBroadcast: Bool { value == 0xFFFF_FFFF }
    @inlinable public var isMulticast: Bool { value >> 28 == 0xE }
    @inlinable public var isLoopback: Bool { value >> 24 == 127 }
    /// Class E and 0/8 sources are never valid unicast sources.
    @inlinable public var isExperimental: Bool { value >> 28 == 0xF }

    public var bytes: [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }

    /// inet_ntoa(3): "10.0.0.1".
    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    @inlinable public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }

    // MARK: text

    /// inet_pton(AF_INET), as NetBSD's libc: exactly four decimal parts 0...255, no leading zeros
    /// (which inet_aton would read as octal), nothing else. "10.0.0.300", "10.0.0", "1.2.3.4.5",
    /// "010.0.0.1" and empty parts are rejected.
    public init?(_ text: some StringProtocol) {
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

    /// inet_aton(3): one to four parts, each decimal, octal (leading 0) or hex (0x); the last
    /// part fills the remaining bytes. Used for netmasks and other places NetBSD uses inet_aton.
    public init?(inetAton text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var nums: [UInt64] = []
        for p in parts {
            guard let n = IPv4Address.parseCNumber(p), n <= 0xffff_ffff else { return nil }
            nums.append(n)
        }
        var v: UInt64 = 0
        for (i, n) in nums.enumerated() {
            if i < nums.count - 1 {
                guard n <= 255 else { return nil }
                v |= n << UInt64(8 * (3 - i))
            } else {
                let bits = 8 * (4 - i)
                guard bits >= 64 || n < (UInt64(1) << UInt64(bits)) else { return nil }
                v |= n
            }
        }
        value = UInt32(truncatingIfNeeded: v)
    }

    /// strtoul(…, 0): decimal, 0-prefixed octal or 0x hex; nil on junk or overflow.
    public static func parseCNumber(_ s: some StringProtocol) -> UInt64? {
        var t = Substring(s)
        var radix = 10
        if t.hasPrefix("0x") || t.hasPrefix("0X") {
            radix = 16
            t = t.dropFirst(2)
        } else if t.count > 1 && t.hasPrefix("0") {
            radix = 8
            t = t.dropFirst()
        }
        guard !t.isEmpty, t.count <= 20 else { return nil }
        return UInt64(t, radix: radix)
    }

    // MARK: masks

    /// The netmask word for a prefix length (clamped to 0...32).
    @inlinable public static func mask(prefixLength: Int) -> UInt32 {
        prefixLength <= 0 ? 0 : (prefixLength >= 32 ? 0xFFFF_FFFF : ~(0xFFFF_FFFF >> UInt32(prefixLength)))
    }
    /// The prefix length of a contiguous mask, nil when it is not contiguous.
    @inlinable public static func prefixLength(mask: UInt32) -> Int? {
        let ones = mask.nonzeroBitCount
        return IPv4Address.mask(prefixLength: ones) == mask ? ones : nil
    }
    /// A netmask of `prefixLength` ones as an address; nil outside 0...32.
    public static func netmask(prefixLength: Int) -> IPv4Address? {
        guard (0...32).contains(prefixLength) else { return nil }
        return IPv4Address(mask(prefixLength: prefixLength))
    }
    /// The prefix length when this address is a contiguous netmask.
    public var prefixLength: Int? { IPv4Address.prefixLength(mask: value) }

    /// The classful default mask NetBSD's kernel applies to an interface address given without
    /// one (in_ifinit: IN_CLASSA, IN_CLASSB, else IN_CLASSC).
    public var classfulMask: UInt32 {
        if value >> 31 == 0 { return 0xFF00_0000 }
        if value >> 30 == 0b10 { return 0xFFFF_0000 }
        return 0xFFFF_FF00
    }

    /// The mask route(8) guesses for a network number given without one: class A, B or C, and
    /// all ones for class D and E (which have no network part).
    public var networkClassMask: IPv4Address {
        if value & 0x8000_0000 == 0 { return IPv4Address(0xff00_0000) }
        if value & 0xc000_0000 == 0x8000_0000 { return IPv4Address(0xffff_0000) }
        if value & 0xe000_0000 == 0xc000_0000 { return IPv4Address(0xffff_ff00) }
        return IPv4Address(0xffff_ffff)
    }
}

// MARK: - prefixes

/// Why a prefix's text ("10.0.0.1/24", "2001:db8::/32") was refused.
public enum PrefixParseError: Error, Equatable, Sendable {
    case missingLength, badAddress(String), badLength(String)
}

/// Parses "address/len" for either family: the length decimal digits within 0...`maximum`;
/// with `defaultLength`, a bare address too.
private func parsePrefix<A, P>(_ text: String, maximum: Int, defaultLength: Int?, address parse: (Substring) -> A?,
                               _ make: (A, Int) -> P) -> Result<P, PrefixParseError> {
    let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
    guard let address = parse(parts[0]) else { return .failure(.badAddress(String(parts[0]))) }
    guard parts.count == 2 else {
        if let d = defaultLength { return .success(make(address, d)) }
        return .failure(.missingLength)
    }
    let l = parts[1]
    guard !l.isEmpty, l.count <= String(maximum).count, l.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(l), n <= maximum else {
        return .failure(.badLength(String(l)))
    }
    return .success(make(address, n))
}

/// An IPv4 address with its prefix length: an interface address (host bits set) or a network
/// (host bits clear), "10.0.0.1/24".
public struct IPv4Prefix: Hashable, Sendable, CustomStringConvertible {
    public var address: IPv4Address
    public var length: Int
    public init(address: IPv4Address, length: Int) {
        self.address = address
        self.length = length
    }

    public typealias ParseError = PrefixParseError

    /// Parses "a.b.c.d/len" (inet_pton's address); with `defaultLength`, a bare address too.
    public static func parse(_ text: String, defaultLength: Int? = nil) -> Result<IPv4Prefix, ParseError> {
        parsePrefix(text, maximum: 32, defaultLength: defaultLength, address: { IPv4Address($0) }) { IPv4Prefix(address: $0, length: $1) }
    }

    public var mask: UInt32 { IPv4Address.mask(prefixLength: length) }
    public var netmask: IPv4Address { IPv4Address(mask) }
    public var network: IPv4Prefix { IPv4Prefix(address: IPv4Address(address.value & mask), length: length) }
    public var broadcast: IPv4Address { IPv4Address(address.value | ~mask) }
    public var hasHostBits: Bool { address.value & ~mask != 0 }
    public func contains(_ a: IPv4Address) -> Bool { a.value & mask == address.value & mask }
    public var description: String { "\(address)/\(length)" }
}

/// An IPv6 address with its prefix length, "2001:db8::1/64" (an interface address) or
/// "fe80::/10" (a network).
public struct IPv6Prefix: Hashable, Sendable, CustomStringConvertible {
    public var address: IPv6Address
    public var length: Int
    public init(address: IPv6Address, length: Int) {
        self.address = address
        self.length = length
    }

    public typealias ParseError = PrefixParseError

    /// Parses "addr/len" (inet_pton's address, no zone); with `defaultLength`, a bare address too.
    public static func parse(_ text: String, defaultLength: Int? = nil) -> Result<IPv6Prefix, ParseError> {
        parsePrefix(text, maximum: 128, defaultLength: defaultLength, address: { IPv6Address($0) }) { IPv6Prefix(address: $0, length: $1) }
    }

    public var mask: IPv6Address { IPv6Address.mask(prefixLength: length) }
    public var network: IPv6Prefix { IPv6Prefix(address: address.masked(prefixLength: length), length: length) }
    public var hasHostBits: Bool { address.masked(prefixLength: length) != address }
    public func contains(_ a: IPv6Address) -> Bool { a.hasPrefix(address, length: length) }
    public var description: String { "\(address)/\(length)" }
}

// MARK: - either family

/// An address of either family, where code handles both (a lab's addresses, a utility's target).
public enum IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// inet_pton for AF_INET, then AF_INET6; no zone.
    public init?(_ text: some StringProtocol) {
        if let a = IPv4Address(text) { self = .v4(a) } else if let a = IPv6Address(text) { self = .v6(a) } else { return nil }
    }

    public var family: AddressFamily {
        switch self {
        case .v4: return .inet
        case .v6: return .inet6
        }
    }

    public var ipv4: IPv4Address? { if case .v4(let a) = self { return a } else { return nil } }
    public var ipv6: IPv6Address? { if case .v6(let a) = self { return a } else { return nil } }

    public var description: String {
        switch self {
        case .v4(let a): return a.description
        case .v6(let a): return a.description
        }
    }

    /// IPv4 before IPv6, then address order.
    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)): return x < y
        case (.v6(let x), .v6(let y)): return x < y
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        }
    }
}

// MARK: - Ethernet

/// A 48-bit Ethernet address, stored in the low 48 bits in wire order.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt64
    @inlinable public init(_ value: UInt64) { self.value = value & 0xFFFF_FFFF_FFFF }
    public init(_ b: [UInt8]) {
        precondition(b.count == 6)
        var v: UInt64 = 0
        for x in b { v = v << 8 | UInt64(x) }
        value = v
    }
    /// Exactly 6 bytes; nil for any other count.
    @inlinable public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 6 else { return nil }
        var v: UInt64 = 0
        for b in bytes { v = v << 8 | UInt64(b) }
        value = v
    }
    /// ether_aton(3): six colon-separated hex bytes of one or two digits; nil otherwise.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var v: UInt64 = 0
        for p in parts {
            guard (1...2).contains(p.count), p.allSatisfy(\.isHexDigit), let n = UInt8(p, radix: 16) else { return nil }
            v = v << 8 | UInt64(n)
        }
        value = v
    }
    public static let broadcast = MACAddress(0xFFFF_FFFF_FFFF)
    public static let zero = MACAddress(0)
    @inlinable public var isBroadcast: Bool { value == 0xFFFF_FFFF_FFFF }
    /// Group bit: multicast, including broadcast (ETHER_IS_MULTICAST).
    @inlinable public var isMulticast: Bool { (value >> 40) & 1 == 1 }
    public var bytes: [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: value >> UInt64(40 - 8 * $0)) } }
    /// ether_ntoa(3): "b2:a0:ae:53:15:fd".
    public var description: String { MACAddress.format(bytes) }

    /// A link-level address of any length as ifconfig, arp and netstat print it: two lowercase
    /// hex digits per byte, colon-separated ("b2:a0:ae:53:15:fd"); empty for no bytes.
    public static func format(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        return bytes.map { b in String([digits[Int(b >> 4)], digits[Int(b & 0xf)]]) }.joined(separator: ":")
    }
}
