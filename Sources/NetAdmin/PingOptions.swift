// ping(8)'s command line (NetBSD sbin/ping).

public struct PingOptions: Sendable, Equatable {
    /// -c: stop after this many requests; nil pings until interrupted.
    public var count: Int?
    /// -i: seconds between requests (flood mode sends as fast as replies come).
    public var interval: Double = 1
    /// -s: ICMP payload bytes; replies carry a timestamp (and show a time) from 8 bytes up.
    public var dataLength = 56
    /// -T: IP TTL; nil uses the kernel's default.
    public var ttl: Int?
    /// -t: IP TOS byte.
    public var tos: Int?
    /// -w: give up this many seconds after the start.
    public var maxWait: Double?
    /// -l: requests sent at once before the regular ones.
    public var preload = 0
    /// -p: payload fill bytes.
    public var pattern: [UInt8]?
    /// -I: source address.
    public var source: String?
    /// -g: loose source route gateway; -h: the target as an option.
    public var gateway: String?
    public var quiet = false, numeric = false, verbose = false, flood = false
    public var audible = false, dontFragment = false, debug = false, noLoop = false
    public var once = false, recordRoute = false, bypassRoute = false, compat = false
    /// The target as typed.
    public var host = ""

    /// ICMP payload limit: IP_MAXPACKET minus the largest IP header and the ICMP header.
    public static let maxDataLength = 65535 - 60 - 8

    public init(host: String = "") { self.host = host }

    /// Replies show a round-trip time only when the payload can hold the send timestamp.
    public var timing: Bool { dataLength >= 8 }

    public static let usage = "usage: \nping [-aCDdfLnoPQqRrv] [-c count] [-g gateway] [-h host] [-I addr] [-i interval]\n"
        + "     [-l preload] [-p pattern] [-s size] [-T ttl] [-t tos] [-w maxwait] \n"
        + "     [-E policy] host\n"

    public static func parse(_ args: [String]) -> ParseOutcome<PingOptions> {
        var o = PingOptions()
        var g = Getopt(args, "ac:CDdfg:h:I:i:Ll:nop:PQqRrs:T:t:vw:E:")
        var hostOption: String?
        func bad(_ m: String) -> ParseOutcome<PingOptions> { .exit(.errx("ping", m)) }
        while let item = g.next() {
            switch item {
            case .error(let m):
                return .exit(ToolOutput(stderr: "ping: \(m)\n" + usage, status: 1))
            case .option(let c, let value):
                let v = value ?? ""
                switch c {
                case "a": o.audible = true
                case "C": o.compat = true
                case "D": o.dontFragment = true
                case "d": o.debug = true
                case "f": o.flood = true
                case "L": o.noLoop = true
                case "n": o.numeric = true
                case "o": o.once = true
                case "q": o.quiet = true
                case "R": o.recordRoute = true
                case "r": o.bypassRoute = true
                case "v": o.verbose = true
                case "P", "Q", "E": break // IPsec policy and quieter variants: nothing to model
                case "c":
                    guard let n = Int(v), n > 0 else { return bad("Bad/invalid number of packets: \(v)") }
                    o.count = n
                case "g": o.gateway = v
                case "h": hostOption = v
                case "I": o.source = v
                case "i":
                    guard let d = Double(v), d.isFinite, d >= 0 else { return bad("Bad/invalid interval \(v)") }
                    o.interval = d
                case "l":
                    guard let n = Int(v), n >= 0 else { return bad("Bad/invalid preload value \(v)") }
                    o.preload = n
                case "p":
                    guard let p = parsePattern(v) else { return bad("Pattern must be specified as hex digits") }
                    o.pattern = p
                case "s":
                    guard let n = Int(v), n >= 0 else { return bad("Bad/invalid packet size \(v)") }
                    guard n <= maxDataLength else { return bad("packet size is too large") }
                    o.dataLength = n
                case "T":
                    guard let n = Int(v), (1...255).contains(n) else { return bad("ttl out of range: \(v)") }
                    o.ttl = n
                case "t":
                    guard let n = Int(v), (0...255).contains(n) else { return bad("bad tos value: \(v)") }
                    o.tos = n
                case "w":
                    guard let d = Double(v), d.isFinite, d > 0 else { return bad("Bad/invalid maxwait time \(v)") }
                    o.maxWait = d
                default: break
                }
            }
        }
        let rest = g.operands
        if let h = hostOption, rest.isEmpty {
            o.host = h
        } else if rest.count == 1, hostOption == nil {
            o.host = rest[0]
        } else {
            return .exit(ToolOutput(stderr: usage, status: 1))
        }
        return .run(o)
    }

    /// Up to 16 bytes given as hex digits ("ff00").
    static func parsePattern(_ s: String) -> [UInt8]? {
        let chars = Array(s)
        guard !chars.isEmpty, chars.count <= 32, chars.allSatisfy({ $0.isHexDigit }) else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            let end = min(i + 2, chars.count)
            guard let b = UInt8(String(chars[i..<end]), radix: 16) else { return nil }
            out.append(b)
            i = end
        }
        return out
    }
}
