// traceroute(8)'s command line (NetBSD usr.sbin/traceroute, the LBL traceroute).

public struct TracerouteOptions: Sendable, Equatable {
    /// The target as typed.
    public var host = ""
    /// The optional second operand: total IP packet length (default: the minimum, 40).
    public var packetLength: Int?
    /// -f: TTL of the first probes.
    public var firstTTL = 1
    /// -m: the last TTL tried; by default the kernel's net.inet.ip.ttl, as NetBSD reads it
    /// before parsing (LBL's 30 when the kernel does not answer).
    public var maxTTL = 30
    /// -p: base UDP destination port; probe n goes to port + n.
    public var port = 33434
    /// -q: probes per hop.
    public var probes = 3
    /// -w: seconds to wait for each probe's answer.
    public var waitSeconds = 5
    /// -s: source address of the probes.
    public var source: String?
    /// -t: IP TOS byte.
    public var tos: Int?
    /// -z: pause between probes, milliseconds.
    public var pauseMilliseconds = 0
    /// -g: loose source route gateways (parsed; the stack sends no IP options).
    public var gateways: [String] = []
    /// -i: the interface to send from (parsed; the route decides).
    public var interface: String?
    /// -A: AS lookup server (-a, -A: parsed, no whois lookups).
    public var asServer: String?
    /// -I ICMP echo probes instead of UDP, -n numeric, -v verbose, -l show reply TTLs,
    /// -F don't fragment, -P path MTU discovery, -d SO_DEBUG, -D dump, -M MPLS, -r dontroute,
    /// -x toggle checksums, -a AS path.
    public var useICMP = false, numeric = false, verbose = false, showTTL = false, dontFragment = false
    public var mtuDiscovery = false, debug = false, dump = false, mpls = false, dontRoute = false
    public var noChecksums = false, asPath = false

    public init(host: String = "") { self.host = host }

    public static let port0 = 33434
    /// IP header + struct outdata (seq, ttl, 2 bytes pad, tv32) + UDP or ICMP header.
    public static let minimumPacket = 20 + 12 + 8
    public static let maximumPacket = 32 * 1024

    /// The packet length probes are sent with.
    public var length: Int { packetLength ?? Self.minimumPacket }

    public static let usage = "Version 1.4a12+NetBSD\n"
        + "Usage: traceroute [-adDFPIlMnrvx] [-g gateway] [-i iface] [-f first_ttl]\n"
        + "\t[-m max_ttl] [-p port] [-q nqueries] [-s src_addr] [-t tos]\n"
        + "\t[-w waittime] [-z pausemsecs] [-A as_server] host [packetlen]\n"

    static var usageOutput: ToolOutput { ToolOutput(stderr: usage, status: 1) }

    /// str2val(): decimal or 0x hex, within [min, max] (a negative bound is open), NetBSD's messages.
    static func value(_ text: String, _ what: String, _ min: Int, _ max: Int) -> ParseOutcome<Int> {
        let parsed: Int?
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            parsed = Int(text.dropFirst(2), radix: 16)
        } else {
            parsed = Int(text)
        }
        guard let v = parsed, !text.isEmpty else {
            return .exit(.errx("traceroute", "\"\(text)\" bad value for \(what)"))
        }
        if v < min && min >= 0 {
            return .exit(.errx("traceroute", min == 0 ? "\(what) must be >= \(min)" : "\(what) must be > \(min - 1)"))
        }
        if v > max && max >= 0 { return .exit(.errx("traceroute", "\(what) must be <= \(max)")) }
        return .run(v)
    }

    /// `defaultMaxTTL`: the kernel's net.inet.ip.ttl, which NetBSD reads before the options.
    public static func parse(_ args: [String], defaultMaxTTL: Int = 30) -> ParseOutcome<TracerouteOptions> {
        var o = TracerouteOptions()
        o.maxTTL = defaultMaxTTL
        var g = Getopt(args, "aA:dDFPIMnlrvxf:g:i:m:p:q:s:t:w:z:")
        while let item = g.next() {
            switch item {
            case .error:
                return .exit(usageOutput)  // NetBSD sets opterr = 0: only the usage is printed
            case .option(let c, let value):
                let v = value ?? ""
                var failed: ToolOutput?
                func number(_ what: String, _ lo: Int, _ hi: Int) -> Int {
                    switch Self.value(v, what, lo, hi) {
                    case .run(let n): return n
                    case .exit(let out): failed = out; return 0
                    }
                }
                switch c {
                case "a": o.asPath = true
                case "A": o.asPath = true; o.asServer = v
                case "d": o.debug = true
                case "D": o.dump = true
                case "f": o.firstTTL = number("first ttl", 1, 255)
                case "F": o.dontFragment = true
                case "g": o.gateways.append(v)
                case "i": o.interface = v
                case "I": o.useICMP = true
                case "l": o.showTTL = true
                case "m": o.maxTTL = number("max ttl", 1, 255)
                case "M": o.mpls = true
                case "n": o.numeric = true
                case "p": o.port = number("port", 1, 65535)
                case "q": o.probes = number("nprobes", 1, -1)
                case "r": o.dontRoute = true
                case "s": o.source = v
                case "t": o.tos = number("tos", 0, 255)
                case "v": o.verbose = true
                case "x": o.noChecksums.toggle()
                case "w": o.waitSeconds = number("wait time", 2, 24 * 60 * 60)
                case "z":
                    // NetBSD's -z case falls through into -P (a missing break): -z also turns on
                    // path MTU discovery there. We keep the two apart.
                    o.pauseMilliseconds = number("pause msecs", 0, 60 * 60 * 1000)
                case "P": o.dontFragment = true; o.mtuDiscovery = true
                default: return .exit(usageOutput)
                }
                if let failed { return .exit(failed) }
            }
        }
        let operands = g.operands
        switch operands.count {
        case 2:
            switch Self.value(operands[1], "packet length", minimumPacket, maximumPacket) {
            case .run(let n): o.packetLength = n
            case .exit(let out): return .exit(out)
            }
            o.host = operands[0]
        case 1:
            o.host = operands[0]
        default:
            return .exit(usageOutput)
        }
        if o.firstTTL > o.maxTTL {
            return .exit(.errx("traceroute", "first ttl (\(o.firstTTL)) may not be greater than max ttl (\(o.maxTTL))"))
        }
        return .run(o)
    }
}
