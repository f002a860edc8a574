// The one IPv6 address value of the project (struct in6_addr): the stack, the protocol, the
// utilities and the lab all use it. Two 64-bit halves make compares, hashes and masks cheap;
// the text forms are NetBSD's inet_pton/inet_ntop (RFC 4291 input, RFC 5952 output with the
// BIND rule for embedded IPv4 that NetBSD's libc keeps) and `%zone` scopes.

/// An IPv6 address. `high` holds bytes 0...7 and `low` bytes 8...15, each big-endian, so the
/// integer order is the address order.
public struct IPv6Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Eight 16-bit groups, as written: `IPv6Address(0xfe80, 0, 0, 0, 0, 0, 0, 1)`.
    public init(_ w0: UInt16, _ w1: UInt16, _ w2: UInt16, _ w3: UInt16,
                _ w4: UInt16, _ w5: UInt16, _ w6: UInt16, _ w7: UInt16) {
        high = UInt64(w0) << 48 | UInt64(w1) << 32 | UInt64(w2) << 16 | UInt64(w3)
        low = UInt64(w4) << 48 | UInt64(w5) << 32 | UInt64(w6) << 16 | UInt64(w7)
    }

    /// Exactly 16 bytes in network order; nil for any other count.
    @inlinable public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0, i = 0
        for b in bytes {
            if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
            i += 1
        }
        high = h
        low = l
    }

    /// Reads 16 bytes at `pointer` (a packet header field); the caller checked the length.
    public init(loadingFrom pointer: UnsafeRawPointer) {
        high = UInt64(bigEndian: pointer.loadUnaligned(as: UInt64.self))
        low = UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    /// Writes the 16 bytes at `pointer` (an emitter's header field).
    public func store(to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: high.bigEndian, as: UInt64.self)
        pointer.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
    }

    public var bytes: [UInt8] {
        (0..<16).map { i in
            let half = i < 8 ? high : low
            return UInt8(truncatingIfNeeded: half >> UInt64(56 - 8 * (i % 8)))
        }
    }

    /// Group `index` (0...7) as a number.
    public func word(_ index: Int) -> UInt16 {
        let half = index < 4 ? high : low
        return UInt16(truncatingIfNeeded: half >> UInt64(48 - 16 * (index % 4)))
    }

    public static func < (a: IPv6Address, b: IPv6Address) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    // MARK: well-known addresses

    public static let any = IPv6Address(high: 0, low: 0)
    public static let loopback = IPv6Address(high: 0, low: 1)
    /// ff02::1, every node on the link.
    public static let linkLocalAllNodes = IPv6Address(0xff02, 0, 0, 0, 0, 0, 0, 1)
    /// ff02::2, every router on the link.
    public static let linkLocalAllRouters = IPv6Address(0xff02, 0, 0, 0, 0, 0, 0, 2)
    /// ff02::16, where MLDv2 reports go.
    public static let linkLocalAllMLDv2Routers = IPv6Address(0xff02, 0, 0, 0, 0, 0, 0, 0x16)

    // MARK: classification (RFC 4291 2.4)

    public var isUnspecified: Bool { high == 0 && low == 0 }
    public var isLoopback: Bool { high == 0 && low == 1 }
    public var isMulticast: Bool { high >> 56 == 0xff }
    /// fe80::/10.
    public var isLinkLocal: Bool { high >> 54 == 0xfe80 >> 6 }
    /// fec0::/10 (deprecated, still recognised as NetBSD does).
    public var isSiteLocal: Bool { high >> 54 == 0xfec0 >> 6 }
    /// fc00::/7 (RFC 4193).
    public var isUniqueLocal: Bool { high >> 57 == 0xfc >> 1 }
    /// ::ffff:a.b.c.d.
    public var isV4Mapped: Bool { high == 0 && low >> 32 == 0xffff }
    /// ::a.b.c.d (deprecated IPv4-compatible form; not :: and not ::1).
    public var isV4Compatible: Bool { high == 0 && low >> 32 == 0 && low > 1 }
    /// The multicast scope nibble (1 interface, 2 link, 5 site, 8 organisation, 14 global).
    public var multicastScope: UInt8? { isMulticast ? UInt8(high >> 48 & 0xf) : nil }
    /// ff01::/16 and ff02::/16 (the scopes that need an interface), what KAME calls
    /// IN6_IS_ADDR_MC_INTFACELOCAL / LINKLOCAL.
    public var isInterfaceOrLinkLocalMulticast: Bool { multicastScope == 1 || multicastScope == 2 }
    /// An address whose meaning depends on the interface: it needs a scope id (RFC 4007).
    public var needsScope: Bool { isLinkLocal || isInterfaceOrLinkLocalMulticast }

    /// The IPv4 address in the low 32 bits (mapped or compatible forms).
    public var embeddedIPv4: UInt32 { UInt32(truncatingIfNeeded: low) }

    // MARK: prefixes

    /// A mask of `prefixLength` leading ones (0...128; clamped).
    public static func mask(prefixLength: Int) -> IPv6Address {
        let n = max(0, min(128, prefixLength))
        let h: UInt64 = n >= 64 ? .max : (n == 0 ? 0 : ~(UInt64.max >> UInt64(n)))
        let l: UInt64 = n <= 64 ? 0 : (n == 128 ? .max : ~(UInt64.max >> UInt64(n - 64)))
        return IPv6Address(high: h, low: l)
    }

    /// The leading ones of a contiguous mask; nil when the mask is not contiguous.
    public var prefixLength: Int? {
        let ones = high == .max ? 64 + (~low).leadingZeroBitCount : (~high).leadingZeroBitCount
        return IPv6Address.mask(prefixLength: ones) == self ? ones : nil
    }

    /// This address with everything after the first `prefixLength` bits zeroed.
    public func masked(prefixLength: Int) -> IPv6Address {
        let m = IPv6Address.mask(prefixLength: prefixLength)
        return IPv6Address(high: high & m.high, low: low & m.low)
    }

    /// Whether the first `prefixLength` bits equal `prefix`'s.
    public func hasPrefix(_ prefix: IPv6Address, length: Int) -> Bool {
        masked(prefixLength: length) == prefix.masked(prefixLength: length)
    }

    // MARK: forms the stack derives (RFC 4291 2.5.1, 2.7.1; RFC 2464)

    /// fe80::/64 with the given interface identifier.
    public static func linkLocal(interfaceID: UInt64) -> IPv6Address {
        IPv6Address(high: 0xfe80 << 48, low: interfaceID)
    }

    /// The modified EUI-64 interface identifier of a 48-bit MAC (low 48 bits of `mac`, wire
    /// order): ff:fe in the middle and the universal/local bit inverted, as NetBSD's in6_ifattach
    /// forms it for Ethernet.
    public static func interfaceID(mac: UInt64) -> UInt64 {
        let upper = (mac >> 24) & 0xff_ffff, lower = mac & 0xff_ffff
        return (upper << 40 | 0xfffe << 24 | lower) ^ (0x02 << 56)
    }

    /// ff02::1:ffXX:XXXX, the solicited-node group of this address (RFC 4291 2.7.1).
    public var solicitedNodeMulticast: IPv6Address {
        IPv6Address(high: 0xff02 << 48, low: 0x0000_0001_ff00_0000 | (low & 0xff_ffff))
    }

    /// 33:33 and the low 32 bits: the Ethernet group address of a multicast address
    /// (RFC 2464 7), as a 48-bit value in the low bits, wire order.
    public var multicastMAC: UInt64 { 0x3333 << 32 | (low & 0xffff_ffff) }

    /// KAME's in-kernel form of a scoped address keeps the interface index in group 1
    /// (fe80:2::…); the kernel's routing and ND tables and `ndp -c` show it. Zero when none.
    public var embeddedScope: UInt16 { needsScope ? word(1) : 0 }

    /// This address with `scope` written into group 1 (only for addresses that need a scope).
    public func embeddingScope(_ scope: UInt16) -> IPv6Address {
        guard needsScope else { return self }
        return IPv6Address(high: high & ~(0xffff << 32) | UInt64(scope) << 32, low: low)
    }

    /// This address with group 1 cleared when it holds an embedded scope.
    public var withoutEmbeddedScope: IPv6Address { embeddingScope(0) }

    // MARK: text

    /// inet_pton(AF_INET6): hex groups of 1...4 digits, at most one "::", an optional trailing
    /// dotted quad in place of the last two groups. No zone (see `parse(scoped:)`).
    public init?(_ text: some StringProtocol) {
        guard let value = IPv6Address.parseNumeric(Substring(text)) else { return nil }
        self = value
    }

    /// "fe80::1%lo0": the address and the zone text after "%" (nil without one). An empty zone
    /// or a zone on an address that cannot have one is refused, as getaddrinfo does.
    public static func parse(scoped text: some StringProtocol) -> (address: IPv6Address, zone: Substring?)? {
        let s = Substring(text)
        guard let percent = s.firstIndex(of: "%") else {
            return IPv6Address(s).map { ($0, nil) }
        }
        let zone = s[s.index(after: percent)...]
        guard !zone.isEmpty, let address = IPv6Address(s[..<percent]) else { return nil }
        return (address, zone)
    }

    private static func parseNumeric(_ s: Substring) -> IPv6Address? {
        guard !s.isEmpty, s.count <= 45 else { return nil }
        var head: [UInt16] = [], tail: [UInt16] = []
        var sawDoubleColon = false
        var rest = s
        if rest.hasPrefix("::") {
            sawDoubleColon = true
            rest = rest.dropFirst(2)
            if rest.isEmpty { return .any }
        } else if rest.hasPrefix(":") {
            return nil
        }
        while !rest.isEmpty {
            let end = rest.firstIndex(of: ":") ?? rest.endIndex
            let group = rest[..<end]
            if group.contains(".") {
                // A dotted quad only as the last part.
                guard end == rest.endIndex, let v4 = parseDottedQuad(group) else { return nil }
                let pair = [UInt16(v4 >> 16), UInt16(v4 & 0xffff)]
                if sawDoubleColon { tail += pair } else { head += pair }
                rest = rest[end...]
                break
            }
            guard (1...4).contains(group.count), let v = UInt16(group, radix: 16),
                  group.allSatisfy(\.isHexDigit) else { return nil }
            if sawDoubleColon { tail.append(v) } else { head.append(v) }
            if end == rest.endIndex {
                rest = rest[end...]
                break
            }
            rest = rest[rest.index(after: end)...]
            if rest.hasPrefix(":") {
                guard !sawDoubleColon else { return nil }
                sawDoubleColon = true
                rest = rest.dropFirst()
                if rest.isEmpty { break }
            } else if rest.isEmpty {
                return nil  // a trailing single colon
            }
        }
        let count = head.count + tail.count
        if sawDoubleColon { guard count <= 7 else { return nil } } else { guard count == 8 else { return nil } }
        let words = head + Array(repeating: 0, count: 8 - count) + tail
        return IPv6Address(words[0], words[1], words[2], words[3], words[4], words[5], words[6], words[7])
    }

    private static func parseDottedQuad(_ s: Substring) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard (1...3).contains(p.count), p.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let n = UInt32(p), n <= 255 else { return nil }
            v = v << 8 | n
        }
        return v
    }

    /// inet_ntop(AF_INET6) as NetBSD's libc prints: lowercase, no leading zeros, the longest run
    /// of two or more zero groups (the first of equal runs) as "::", and a dotted quad for the
    /// IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) forms.
    public var description: String {
        var bestBase = -1, bestLength = 0, runBase = -1, runLength = 0
        for i in 0..<8 {
            if word(i) == 0 {
                if runBase < 0 { runBase = i; runLength = 1 } else { runLength += 1 }
                if runLength > bestLength { bestBase = runBase; bestLength = runLength }
            } else {
                runBase = -1
            }
        }
        if bestLength < 2 { bestBase = -1 }
        var out = ""
        var i = 0
        while i < 8 {
            if i == bestBase {
                out += "::"
                i += bestLength
                continue
            }
            if i == 6 && bestBase == 0 && (bestLength == 6 || (bestLength == 5 && word(5) == 0xffff)) {
                let v4 = embeddedIPv4
                if !out.hasSuffix(":") { out += ":" }
                out += "\(v4 >> 24).\(v4 >> 16 & 0xff).\(v4 >> 8 & 0xff).\(v4 & 0xff)"
                return out
            }
            if !out.isEmpty && !out.hasSuffix(":") { out += ":" }
            out += String(word(i), radix: 16)
            i += 1
        }
        return out
    }
}
