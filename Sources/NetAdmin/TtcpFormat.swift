// ttcp's report lines, as the classic ttcp.c prints them (rates by 1024, two decimals).

#if canImport(Glibc)
import Glibc
#endif

public enum TtcpFormat {
    static func fixed2(_ x: Double) -> String {
        var buf = [CChar](repeating: 0, count: 64)
        _ = withVaList([x]) { vsnprintf(&buf, 64, "%.2f", $0) }
        return String(cString: buf)
    }

    /// "-t" or "-r".
    static func side(_ o: TtcpOptions) -> String { o.transmit ? "-t" : "-r" }

    /// The first line: "ttcp-t: buflen=8192, nbuf=2048, align=16384/0, port=5001  tcp  -> host".
    public static func header(_ o: TtcpOptions) -> String {
        var s = "ttcp\(side(o)): buflen=\(o.bufferLength), nbuf=\(o.bufferCount), align=\(o.alignment)/\(o.alignmentOffset), port=\(o.port)"
        if let b = o.socketBufferSize { s += ", sockbufsize=\(b)" }
        s += "  \(o.udp ? "udp" : "tcp")"
        if o.transmit, let h = o.host { s += "  -> \(h)" }
        return s + "\n"
    }

    /// outfmt(): a rate in the -f unit, by powers of 1024.
    public static func rate(_ bytesPerSecond: Double, format: Character) -> String {
        let k = 1024.0
        switch format {
        case "k": return fixed2(bytesPerSecond * 8 / k) + " Kbit"
        case "m": return fixed2(bytesPerSecond * 8 / k / k) + " Mbit"
        case "g": return fixed2(bytesPerSecond * 8 / k / k / k) + " Gbit"
        case "M": return fixed2(bytesPerSecond / k / k) + " MB"
        case "G": return fixed2(bytesPerSecond / k / k / k) + " GB"
        default: return fixed2(bytesPerSecond / k) + " KB"
        }
    }

    /// The result lines: bytes and seconds with the rate, then the I/O call figures. A time of
    /// zero counts as 1 ms, as ttcp does.
    public static func summary(_ o: TtcpOptions, bytes: UInt64, seconds: Double, calls: UInt64) -> String {
        let t = seconds > 0 ? seconds : 0.001
        let p = "ttcp\(side(o)): "
        var s = p + "\(bytes) bytes in \(fixed2(t)) real seconds = \(rate(Double(bytes) / t, format: o.format))/sec +++\n"
        let perCall = calls > 0 ? 1024.0 * t / Double(calls) : 0
        s += p + "\(calls) I/O calls, msec/call = \(fixed2(perCall)), calls/sec = \(fixed2(Double(calls) / t))\n"
        return s
    }
}
