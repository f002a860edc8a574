// IPv4 address values shared by the protocol's models and the utilities, with NetBSD's text
// forms (inet_ntoa, inet_aton).

/// NetBSD's address family numbers (sys/socket.h), so they can cross the protocol unchanged.
public enum AddressFamily: UInt8, Sendable, Hashable, CaseIterable {
    case unspec = 0, local = 1, inet = 2, link = 18, inet6 = 24
}

/// An IPv4 address (struct in_addr), host byte order in `value`.
public struct InAddr: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var value: UInt32
    public init(_ value: UInt32) { self.value = value }
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    public static let any = InAddr(0)
    public static let broadcast = InAddr(0xffff_ffff)
    public static let loopback = InAddr(127, 0, 0, 1)

    /// Strict dotted quad ("10.0.0.1"): what the utilities accept as a numeric address.
    /// "10.0.0.300", "10.0.0", "1.2.3.4.5" and empty parts are rejected.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let n = UInt32(p), n <= 255 else { return nil }
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
            guard let n = InAddr.parseCNumber(p), n <= 0xffff_ffff else { return nil }
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

    /// A netmask of `prefixLength` ones; nil outside 0...32.
    public static func mask(prefixLength: Int) -> InAddr? {
        guard (0...32).contains(prefixLength) else { return nil }
        return InAddr(prefixLength == 0 ? 0 : UInt32.max << UInt32(32 - prefixLength))
    }

    /// The prefix length when this is a contiguous netmask.
    public var prefixLength: Int? {
        let ones = value.leadingZeroBitCount == 0 ? (~value).leadingZeroBitCount : 0
        return InAddr.mask(prefixLength: ones) == self ? ones : nil
    }

    public var bytes: [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }

    public var description: String { "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)" }

    public static func < (a: InAddr, b: InAddr) -> Bool { a.value < b.value }

    /// The classful mask NetBSD guesses for a network number without a mask (IN_CLASSA/B/C).
    public var classfulMask: InAddr {
        if value & 0x8000_0000 == 0 { return InAddr(0xff00_0000) }
        if value & 0xc000_0000 == 0x8000_0000 { return InAddr(0xffff_0000) }
        if value & 0xe000_0000 == 0xc000_0000 { return InAddr(0xffff_ff00) }
        return InAddr(0xffff_ffff)
    }
}
