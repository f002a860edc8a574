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

    /// %.Nf as printf rounds: to nearest by the exact binary value, ties to even.
    static func fixed(_ v: Double, _ decimals: Int) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        let d = max(0, min(decimals, 9))
        var scale: Double = 1
        for _ in 0..<d { scale *= 10 }
        let negative = v.sign == .minus
        let a = abs(v)
        let product = a * scale
        // Beyond 2^63 the value has no meaningful fraction digits anyway.
        guard product < 9.2e18 else { return (negative ? "-" : "") + String(Int64(min(a, 9.2e18))) }
        var n = product.rounded(.down)
        let frac = product - n
        // The product was rounded; its exact error decides values that land on a half.
        let error = (-product).addingProduct(a, scale)
        if frac > 0.5 || (frac == 0.5 && (error > 0 || (error == 0 && n.truncatingRemainder(dividingBy: 2) == 1))) {
            n += 1
        }
        let i = UInt64(n)
        let p = UInt64(scale)
        let whole = i / p, rest = i % p
        var s = (negative && i != 0 ? "-" : "") + String(whole)
        if d > 0 {
            let f = String(rest)
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
