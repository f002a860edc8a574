// ping6(8) (NetBSD sbin/ping6, KAME): its command line, its lines and its statistics block,
// as NetBSD-current of 2016 printed them (h-ipv6.txt): "PING6(56=40+8+8 bytes) SRC --> DST",
// replies with hlim, "(DUP!)" right after the time, "+N duplicates", a sample standard
// deviation, exit status 1 without replies.

public struct Ping6Options: Sendable, Equatable {
    /// -c; 0 pings until interrupted.
    public var count = 0
    /// -i seconds.
    public var interval = 1.0
    public var intervalGiven = false
    /// -s: ICMPv6 data bytes (DEFDATALEN 8: just the timestamp).
    public var dataLength = 8
    /// -h; nil leaves the kernel's hop limit.
    public var hopLimit: Int?
    /// -I: the outgoing interface (the zone of a scoped destination).
    public var interface: String?
    /// -S: the source address, with its zone text.
    public var source: (address: IPv6Address, zone: String?)?
    public var numeric = false, quiet = false, verbose = false, flood = false
    /// -l.
    public var preload = 0
    /// -p: the pattern bytes that fill the data after the timestamp.
    public var pattern: [UInt8]?
    /// -b: SO_SNDBUF/SO_RCVBUF; 0 keeps the default.
    public var socketBuffer = 0
    /// The host as given (printed in the statistics header).
    public var host = ""
    /// Warnings the parser has for stderr before the run ("too small interval, raised to 0.01").
    public var warnings = ""

    public init() {}

    public static func == (a: Ping6Options, b: Ping6Options) -> Bool {
        a.count == b.count && a.interval == b.interval && a.intervalGiven == b.intervalGiven && a.dataLength == b.dataLength
            && a.hopLimit == b.hopLimit && a.interface == b.interface && a.source?.address == b.source?.address
            && a.source?.zone == b.source?.zone && a.numeric == b.numeric && a.quiet == b.quiet
            && a.verbose == b.verbose && a.flood == b.flood && a.preload == b.preload && a.pattern == b.pattern
            && a.socketBuffer == b.socketBuffer && a.host == b.host && a.warnings == b.warnings
    }

    /// MAXPACKETLEN 131072 - IP6LEN 40 - ICMP6ECHOLEN 8.
    public static let maximumDataLength = 131_024

    public static let usage = """
        usage: ping6 [-dfHmnNqtvwW] [-a addrtype] [-b bufsiz] [-c count] [-g gateway]
        \t[-h hoplimit] [-I interface] [-i wait] [-l preload] [-p pattern]
        \t[-S sourceaddr] [-s packetsize] [hops ...] host

        """

    /// Parses ping6's arguments (without argv[0]). `privileged`: the caller may flood, preload
    /// and use intervals below 1 s (NetBSD checks getuid() == 0).
    public static func parse(_ args: [String], privileged: Bool = true) -> ParseOutcome<Ping6Options> {
        var g = Getopt(args, "a:b:c:dfHg:h:I:i:l:mnNp:qRS:s:tvwW")
        var o = Ping6Options()
        var warnings = ""
        func bad(_ m: String) -> ParseOutcome<Ping6Options> { .exit(ToolOutput(stderr: warnings + "ping6: \(m)\n", status: 1)) }
        while let item = g.next() {
            switch item {
            case .error(let m):
                return .exit(ToolOutput(stderr: "ping6: \(m)\n" + usage, status: 1))
            case .option(let c, let v):
                let value = v ?? ""
                switch c {
                case "b":
                    o.socketBuffer = Int(value) ?? 0
                case "c":
                    guard let n = Int(value), n > 0 else { return bad("illegal number of packets -- \(value)") }
                    o.count = n
                case "d", "H", "m": break  // SO_DEBUG, names in replies, IPV6_USE_MIN_MTU: no effect here
                case "f":
                    guard privileged else { return bad("Must be superuser to flood ping") }
                    o.flood = true
                case "h":
                    guard let n = Int(value) else { return bad("illegal hoplimit \(value)") }
                    guard (-1...255).contains(n) else { return bad("illegal hoplimit -- \(value)") }
                    o.hopLimit = n == -1 ? nil : n
                case "I":
                    o.interface = value
                case "i":
                    guard let t = Double(value), t.isFinite else { return bad("illegal timing interval \(value)") }
                    if t < 1 && !privileged { return bad("Operation not permitted: only root may use interval < 1s") }
                    guard t >= 0 else { return bad("illegal timing interval \(value)") }
                    o.interval = t
                    if t < 0.01 {
                        warnings += "ping6: too small interval, raised to 0.01\n"
                        o.interval = 0.01
                    }
                    o.intervalGiven = true
                case "l":
                    guard privileged else { return bad("Must be superuser to preload") }
                    guard let n = Int(value), n >= 0 else { return bad("illegal preload value -- \(value)") }
                    o.preload = n
                case "n": o.numeric = true
                case "p":
                    guard let bytes = patternBytes(value) else { return bad("patterns must be specified as hex digits") }
                    o.pattern = bytes
                case "q": o.quiet = true
                case "R": return bad("-R is not supported in this configuration")
                case "S":
                    guard let s = IPv6Address.parse(scoped: value) else {
                        return bad("invalid source address: \(HostResolver.noName)")
                    }
                    o.source = (s.address, s.zone.map(String.init))
                case "s":
                    guard let n = Int(value), n > 0 else { return bad("illegal datalen value -- \(value)") }
                    guard n <= maximumDataLength else { return bad("datalen value too large, maximum is \(maximumDataLength)") }
                    o.dataLength = n
                case "v": o.verbose = true
                case "g": return bad("-g: intermediate gateways are not supported against this kernel")
                default:
                    // -a, -N, -t, -w, -W: ICMPv6 node information queries, which our kernels do not answer.
                    return bad("-\(c): node information queries are not supported against this kernel")
                }
            }
        }
        let rest = g.operands
        guard let host = rest.last else { return .exit(ToolOutput(stderr: warnings + usage, status: 1)) }
        guard rest.count == 1 else { return bad("routing headers (intermediate hops) are not supported against this kernel") }
        if o.flood && o.intervalGiven { return bad("-f and -i incompatible options") }
        o.host = host
        o.warnings = warnings
        return .run(o)
    }

    /// fill(): up to 16 bytes given as hex digit pairs.
    static func patternBytes(_ s: String) -> [UInt8]? {
        guard !s.isEmpty, s.allSatisfy(\.isHexDigit) else { return nil }
        var out: [UInt8] = []
        var chars = Array(s)
        if chars.count % 2 == 1 { chars.append("0") }
        for i in stride(from: 0, to: min(chars.count, 32), by: 2) { out.append(UInt8(String(chars[i...i + 1]), radix: 16)!) }
        return out
    }
}

/// One echo reply as ping6 prints it.
public struct Ping6Reply: Sendable, Equatable {
    /// ICMPv6 bytes received (8 + data).
    public var bytes: Int
    /// The source as printed ("fd00::2", "fe80::1%shmif0").
    public var from: String
    public var sequence: Int
    public var hopLimit: Int
    /// Milliseconds; nil when the data was too short for a timestamp.
    public var rtt: Double?
    public var duplicate: Bool

    public init(bytes: Int, from: String, sequence: Int, hopLimit: Int, rtt: Double?, duplicate: Bool = false) {
        self.bytes = bytes
        self.from = from
        self.sequence = sequence
        self.hopLimit = hopLimit
        self.rtt = rtt
        self.duplicate = duplicate
    }
}

public enum Ping6Format {
    /// "PING6(56=40+8+8 bytes) fd00::1 --> fd00::2".
    public static func header(source: String, destination: String, dataLength: Int) -> String {
        "PING6(\(40 + 8 + dataLength)=40+8+\(dataLength) bytes) \(source) --> \(destination)\n"
    }

    /// An address as pr_addr prints it (getnameinfo, numeric): "%zone" on scoped addresses.
    public static func address(_ a: IPv6Address, zone: String?) -> String {
        if let zone, a.needsScope { return "\(a)%\(zone)" }
        return a.description
    }

    public static func reply(_ r: Ping6Reply) -> String {
        var s = "\(r.bytes) bytes from \(r.from), icmp_seq=\(r.sequence) hlim=\(r.hopLimit)"
        if let t = r.rtt { s += " time=" + Text.fixed(t, 3) + " ms" }
        if r.duplicate { s += "(DUP!)" }
        return s + "\n"
    }

    /// summary(): the statistics block. The deviation is the sample one over replies and
    /// duplicates (h-ipv6.txt: 10 and 0 ms give 7.071).
    public static func statistics(host: String, _ st: PingStatistics, timing: Bool) -> String {
        var s = "\n--- \(host) ping6 statistics ---\n"
        s += "\(st.transmitted) packets transmitted, \(st.received) packets received, "
        if st.repeats != 0 { s += "+\(st.repeats) duplicates, " }
        if st.transmitted > 0 {
            if st.received > st.transmitted {
                s += "-- somebody's duplicating packets!"
            } else {
                s += Text.fixed(Double(st.transmitted - st.received) * 100 / Double(st.transmitted), 1) + "% packet loss"
            }
        }
        s += "\n"
        if st.received > 0 && timing {
            let n = Double(st.received + st.repeats)
            let avg = st.rttSum / n
            let dev = n > 1 ? max(0, (st.rttSumSquares - n * avg * avg) / (n - 1)).squareRoot() : 0
            s += "round-trip min/avg/max/std-dev = " + Text.fixed(st.rttMin, 3) + "/" + Text.fixed(avg, 3) + "/"
                + Text.fixed(st.rttMax, 3) + "/" + Text.fixed(dev, 3) + " ms\n"
        }
        return s
    }

    /// exit(nreceived == 0).
    public static func exitStatus(_ st: PingStatistics) -> Int32 { st.received > 0 ? 0 : 1 }

    /// getaddrinfo failed.
    public static func cannotResolve() -> ToolOutput { .errx("ping6", HostResolver.noName) }

    /// The source lookup's connect(2) failed: "UDP connect: No route to host".
    public static func connectFailed(_ e: NetBSDErrno) -> ToolOutput { .errx("ping6", "UDP connect: \(e.strerror)") }

    public static func socketFailed(_ e: NetBSDErrno) -> ToolOutput { .errx("ping6", "socket: \(e.strerror)") }

    /// sendmsg failed: warn, then "ping6: wrote HOST N chars, ret=-1" on stdout.
    public static func sendFailed(host: String, length: Int, _ e: NetBSDErrno) -> ToolOutput {
        ToolOutput(stdout: "ping6: wrote \(host) \(length) chars, ret=-1\n", stderr: "ping6: sendmsg: \(e.strerror)\n")
    }

    /// ICMPv6 type names for -v lines (pr_icmph's first words).
    public static func icmpText(_ type: UInt8, _ code: UInt8) -> String {
        switch type {
        case 1:
            let why = ["No Route to Destination", "Administratively Prohibited", "Destination Beyond Scope",
                       "Destination Host Unreachable", "Destination Port Unreachable"]
            return Int(code) < why.count ? why[Int(code)] : "Destination Unreachable, Bad Code: \(code)"
        case 2: return "Packet too big"
        case 3: return code == 0 ? "Time to live exceeded" : code == 1 ? "Frag reassembly time exceeded" : "Time exceeded, Bad Code: \(code)"
        case 4: return "Parameter problem"
        default: return "Bad ICMP type: \(type)"
        }
    }
}
