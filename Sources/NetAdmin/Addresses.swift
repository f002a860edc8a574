// Address values the models carry, with NetBSD's text forms (inet_ntoa, link_ntoa-like MACs).

/// A socket address as the routing socket carries it: the gateway of a route can be an IPv4
/// address, or an interface (struct sockaddr_dl: index, name, link-level address).
public enum SockAddr: Hashable, Sendable {
    case inet(InAddr)
    /// 16 address bytes and the scope (interface index) of link-local addresses.
    case inet6([UInt8], scopeID: UInt32)
    /// sockaddr_dl; NetBSD prints it as the name, the address, or "link#index" when both are empty.
    case link(index: UInt32, name: String, address: [UInt8])

    public var family: AddressFamily {
        switch self {
        case .inet: return .inet
        case .inet6: return .inet6
        case .link: return .link
        }
    }

    /// The IPv4 address, if this is one.
    public var inAddr: InAddr? {
        if case .inet(let a) = self { return a }
        return nil
    }
}

/// Text forms of link-level (MAC) addresses.
public enum LinkAddress {
    /// "b2:a0:ae:53:15:fd": two lowercase hex digits per byte, as ifconfig, arp and netstat print.
    public static func format(_ bytes: [UInt8]) -> String {
        bytes.map { Text.hex2($0) }.joined(separator: ":")
    }

    /// ether_aton-like: six colon-separated hex bytes of one or two digits; nil otherwise.
    public static func parseEthernet(_ text: some StringProtocol) -> [UInt8]? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard (1...2).contains(p.count), let b = UInt8(p, radix: 16) else { return nil }
            out.append(b)
        }
        return out
    }
}

/// IPv6 text (RFC 5952 zero compression), ready for the IPv6 step.
public enum Inet6Text {
    public static func format(_ bytes: [UInt8]) -> String {
        guard bytes.count == 16 else { return "?" }
        var words: [UInt16] = []
        for i in stride(from: 0, to: 16, by: 2) { words.append(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])) }
        // The longest run of two or more zero words is written "::".
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if words[i] == 0 {
                var j = i
                while j < 8 && words[j] == 0 { j += 1 }
                if j - i > bestLen && j - i >= 2 { bestStart = i; bestLen = j - i }
                i = j
            } else { i += 1 }
        }
        var s = ""
        var k = 0
        while k < 8 {
            if k == bestStart {
                s += "::"
                k += bestLen
                continue
            }
            if !s.isEmpty && !s.hasSuffix(":") { s += ":" }
            s += Text.hex(words[k])
            k += 1
        }
        return s
    }
}
