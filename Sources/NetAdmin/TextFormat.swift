// printf-like helpers without Foundation: the formatters need exact widths and decimals, and
// String(format:) would pull Foundation into every utility.

enum Text {
    /// %-Ns (or %-N.Ns when `truncate`).
    static func left(_ s: String, _ width: Int, truncate: Bool = false) -> String {
        var t = s
        if truncate && t.count > width { t = String(t.prefix(width)) }
        return t.count >= width ? t : t + String(repeating: " ", count: width - t.count)
    }

    /// %Ns (or %N.Ns when `truncate`).
    static func right(_ s: String, _ width: Int, truncate: Bool = false) -> String {
        var t = s
        if truncate && t.count > width { t = String(t.prefix(width)) }
        return t.count >= width ? t : String(repeating: " ", count: width - t.count) + t
    }

    static func right<T: BinaryInteger>(_ v: T, _ width: Int) -> String { right(String(v), width) }

    /// %.Nf with round-half-away-from-zero on the decimal value (what printf does for the values
    /// ping prints); non-finite values print like printf does.
    static func fixed(_ v: Double, _ decimals: Int) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        let d = max(0, min(decimals, 9))
        var scale: Double = 1
        for _ in 0..<d { scale *= 10 }
        let negative = v < 0
        let scaled = (abs(v) * scale).rounded(.toNearestOrAwayFromZero)
        // Beyond 2^63 the value has no meaningful fraction digits anyway.
        guard scaled < 9.2e18 else { return (negative ? "-" : "") + String(Int64(min(abs(v), 9.2e18))) }
        let n = UInt64(scaled)
        let p = UInt64(scale)
        let whole = n / p, frac = n % p
        var s = (negative && n != 0 ? "-" : "") + String(whole)
        if d > 0 {
            let f = String(frac)
            s += "." + String(repeating: "0", count: d - f.count) + f
        }
        return s
    }

    /// Two lowercase hex digits per byte (NetBSD prints link addresses with "%02x").
    static func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 0xf)]])
    }

    static func hex<T: BinaryInteger>(_ v: T) -> String { String(v, radix: 16) }

    /// NetBSD's "%s" plural helper: "" for 1, "s" otherwise.
    static func plural<T: BinaryInteger>(_ n: T) -> String { n == 1 ? "" : "s" }

    /// Plural "es" form for words such as "match".
    static func plurales<T: BinaryInteger>(_ n: T) -> String { n == 1 ? "" : "es" }
}
