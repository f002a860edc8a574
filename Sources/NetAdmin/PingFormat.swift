// ping(8)'s output lines, its statistics block and exit status. Times print with three
// decimals (NetBSD's precision for a microsecond clock); the recorded 0.000000/10.000000 came
// from the rump kernel's 100 Hz clock.

/// One echo reply as ping prints it.
public struct PingReply: Sendable, Equatable {
    /// ICMP bytes received (header included: data length + 8).
    public var bytes: Int
    public var from: IPv4Address
    public var sequence: Int
    public var ttl: Int
    /// Milliseconds; nil when the payload was too short to carry a timestamp.
    public var rtt: Double?
    public var duplicate: Bool

    public init(bytes: Int, from: IPv4Address, sequence: Int, ttl: Int, rtt: Double?, duplicate: Bool = false) {
        self.bytes = bytes
        self.from = from
        self.sequence = sequence
        self.ttl = ttl
        self.rtt = rtt
        self.duplicate = duplicate
    }
}

/// An ICMP error that arrived while pinging (time exceeded, unreachable, …).
public struct PingICMPError: Sendable, Equatable {
    /// ICMP bytes received.
    public var bytes: Int
    public var from: IPv4Address
    public var type: UInt8
    public var code: UInt8
    /// The quoted datagram: its IP header and at least 8 bytes after it.
    public var quoted: [UInt8]

    public init(bytes: Int, from: IPv4Address, type: UInt8, code: UInt8, quoted: [UInt8]) {
        self.bytes = bytes
        self.from = from
        self.type = type
        self.code = code
        self.quoted = quoted
    }

    var quotedHeaderLength: Int { quoted.isEmpty ? 0 : Int(quoted[0] & 0x0f) * 4 }
    var quotedProtocol: UInt8? { quoted.count >= 20 ? quoted[9] : nil }

    /// The ICMP echo id and sequence of the quoted request, if it is one.
    public var quotedEcho: (id: UInt16, sequence: UInt16)? {
        let h = quotedHeaderLength
        guard quotedProtocol == 1, h >= 20, quoted.count >= h + 8, quoted[h] == 8 else { return nil }
        return (UInt16(quoted[h + 4]) << 8 | UInt16(quoted[h + 5]), UInt16(quoted[h + 6]) << 8 | UInt16(quoted[h + 7]))
    }
}

/// Counters for the statistics block.
public struct PingStatistics: Sendable, Equatable {
    public var transmitted = 0, received = 0, repeats = 0
    public var rttMin = Double.infinity, rttMax = 0.0, rttSum = 0.0, rttSumSquares = 0.0
    /// Seconds of the first and last send and receive, for flood rates.
    public var firstSend: Double?, lastSend: Double?, firstReceive: Double?, lastReceive: Double?

    public init() {}

    public mutating func sent(at t: Double? = nil) {
        transmitted += 1
        if let t {
            if firstSend == nil { firstSend = t }
            lastSend = t
        }
    }

    public mutating func record(_ r: PingReply, at t: Double? = nil) {
        if r.duplicate { repeats += 1 } else { received += 1 }
        if let t {
            if firstReceive == nil { firstReceive = t }
            lastReceive = t
        }
        if let rtt = r.rtt {
            rttMin = min(rttMin, rtt)
            rttMax = max(rttMax, rtt)
            rttSum += rtt
            rttSumSquares += rtt * rtt
        }
    }
}

public enum PingFormat {
    /// "PING host (address): N data bytes".
    public static func header(host: String, address: IPv4Address, dataLength: Int) -> String {
        "PING \(host) (\(address)): \(dataLength) data bytes\n"
    }

    public static func reply(_ r: PingReply) -> String {
        var s = "\(r.bytes) bytes from \(r.from): icmp_seq=\(r.sequence) ttl=\(r.ttl)"
        if let rtt = r.rtt { s += " time=\(Text.fixed(rtt, 3)) ms" }
        if r.duplicate { s += " (DUP!)" }
        return s + "\n"
    }

    /// Flood mode prints a dot per request and backs over it per reply.
    public static let floodSent = "."
    public static let floodReceived = "\u{8}"

    /// An ICMP error. Without -v NetBSD prints only errors about our own requests, on one line;
    /// with -v it prints the error's name and a dump of the quoted datagram.
    public static func icmpError(_ e: PingICMPError, verbose: Bool) -> String {
        let text = icmpText(e.type, e.code)
        if !verbose {
            guard let echo = e.quotedEcho else { return "" }
            return "\(e.bytes) bytes from \(e.from): \(text) for icmp_seq=\(echo.sequence)\n"
        }
        return text + "\n" + quotedDump(e)
    }

    /// pr_icmph's names for ICMP types and codes.
    public static func icmpText(_ type: UInt8, _ code: UInt8) -> String {
        switch type {
        case 0: return "Echo Reply"
        case 3:
            let names = ["Destination Net Unreachable", "Destination Host Unreachable",
                         "Destination Protocol Unreachable", "Destination Port Unreachable",
                         "frag needed and DF set", "Source Route Failed", "Unreachable unknown net",
                         "Unreachable unknown host", "Unreachable host isolated", "Net prohibited access",
                         "Host prohibited access", "Bad TOS for net", "Bad TOS for host",
                         "Communication prohibited"]
            return Int(code) < names.count ? names[Int(code)] : "Destination Unreachable, Bad Code: \(code)"
        case 4: return "Source Quench"
        case 5:
            let names = ["Redirect Network", "Redirect Host", "Redirect Type of Service and Network",
                         "Redirect Type of Service and Host"]
            return Int(code) < names.count ? names[Int(code)] : "Redirect, Bad Code: \(code)"
        case 8: return "Echo Request"
        case 11:
            switch code {
            case 0: return "Time To Live exceeded"
            case 1: return "Frag reassembly time exceeded"
            default: return "Time exceeded, Bad Code: \(code)"
            }
        case 12: return "Parameter problem"
        case 13: return "Timestamp Request"
        case 14: return "Timestamp Reply"
        case 17: return "Address Mask Request"
        case 18: return "Address Mask Reply"
        default: return "Bad ICMP type: \(type)"
        }
    }

    /// pr_iph and pr_retip of the quoted datagram. NetBSD prints the 16-bit fields without
    /// byte-swapping them, so a length of 84 shows as "5400"; reproduced as recorded.
    static func quotedDump(_ e: PingICMPError) -> String {
        let q = e.quoted
        guard q.count >= 20 else { return "" }
        func raw16(_ i: Int) -> UInt16 { UInt16(q[i]) | UInt16(q[i + 1]) << 8 }
        func hex(_ v: some BinaryInteger, _ w: Int) -> String {
            let s = Text.hex(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        let off = raw16(6)
        let src = IPv4Address(q[12], q[13], q[14], q[15]), dst = IPv4Address(q[16], q[17], q[18], q[19])
        var s = " Vr HL TOS  Len   ID Flg  off TTL Pro  cks      Src\t     Dst\n"
        s += "  \(hex(q[0] >> 4, 1))  \(hex(q[0] & 0xf, 1))  \(hex(q[1], 2)) \(hex(raw16(2), 4)) \(hex(raw16(4), 4))"
        s += "   \(hex((off & 0xe000) >> 13, 1)) \(hex(off & 0x1fff, 4))"
        s += "  \(hex(q[8], 2))  \(hex(q[9], 2)) \(hex(raw16(10), 4))"
        s += " " + Text.right(src.description, 15) + "  " + dst.description + " \n"
        let h = e.quotedHeaderLength
        if q.count >= h + 8 {
            if q[9] == 17 {
                let sport = UInt16(q[h]) << 8 | UInt16(q[h + 1]), dport = UInt16(q[h + 2]) << 8 | UInt16(q[h + 3])
                s += "  UDP: from port \(sport), to port \(dport)\n"
            } else if q[9] == 1, let echo = e.quotedEcho {
                s += "  ID=\(echo.id) icmp_seq=\(echo.sequence)\n"
            }
        }
        return s
    }

    /// The block printed at the end (after -c, -w, or on SIGINT).
    public static func statistics(host: String, _ st: PingStatistics, timing: Bool, flood: Bool = false) -> String {
        var s = flood ? "\n" : ""
        s += "\n----\(host) PING Statistics----\n"
        s += "\(st.transmitted) packets transmitted, \(st.received) packets received, "
        if st.repeats > 0 { s += "+\(st.repeats) duplicates, " }
        if st.transmitted > 0 {
            if st.received > st.transmitted {
                s += "-- somebody's duplicating packets!"
            } else {
                s += Text.fixed(Double(st.transmitted - st.received) * 100 / Double(st.transmitted), 1) + "% packet loss"
            }
        }
        s += "\n"
        let n = Double(st.received + st.repeats)
        if st.received > 0 && timing && st.rttSum.isFinite {
            let avg = st.rttSum / n
            var variance = 0.0
            if n > 1 { variance = (st.rttSumSquares - n * avg * avg) / (n - 1) }
            let dev = max(variance, 0).squareRoot()
            s += "round-trip min/avg/max/stddev = \(Text.fixed(st.rttMin == .infinity ? 0 : st.rttMin, 3))/"
                + "\(Text.fixed(avg, 3))/\(Text.fixed(st.rttMax, 3))/\(Text.fixed(dev, 3)) ms\n"
        }
        if flood {
            var tx = (st.lastSend ?? 0) - (st.firstSend ?? 0)
            var rx = (st.lastReceive ?? 0) - (st.firstReceive ?? 0)
            if tx <= 0 { tx = 0.0001 }
            if rx <= 0 { rx = 0.0001 }
            s += "  \(Text.fixed(Double(st.transmitted) / tx, 1)) packets/sec sent, "
                + " \(Text.fixed(Double(st.received) / rx, 1)) packets/sec received\n"
        }
        return s
    }

    /// 0 when any reply came, 2 otherwise (also after SIGINT).
    public static func exitStatus(_ st: PingStatistics) -> Int32 { st.received > 0 ? 0 : 2 }

    /// Name lookup failed. NetBSD's resolver gives no error code for malformed numbers.
    public static func cannotResolve(_ host: String) -> ToolOutput {
        let why = HostResolver.looksNumeric(host) ? "Resolver Error 0 (no error)" : "Host name lookup failure"
        return .errx("ping", "Cannot resolve \"\(host)\" (\(why))")
    }

    /// The kernel lacks IPv4 (socket(2) failed).
    public static func cannotCreateSocket(_ e: NetBSDErrno) -> ToolOutput {
        .errx("ping", "Cannot create socket: \(e.strerror)")
    }

    /// sendto(2) failed; ping goes on and counts the request as sent.
    public static func sendFailed(_ e: NetBSDErrno) -> String { "ping: sendto: \(e.strerror)\n" }

    /// The connection to the rump kernel broke mid-run: the kernel died or was halted.
    public static func kernelGone(_ why: String) -> String { "ping: lost the rump kernel: \(why)\n" }
}
