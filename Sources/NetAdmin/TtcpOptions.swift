// ttcp's command line (the classic BRL/SGI ttcp.c): -t host or -r, and its tuning options.

public struct TtcpOptions: Sendable, Equatable {
    /// -t transmits to `host`; -r receives.
    public var transmit = false
    public var host: String?
    /// -l: bytes per read or write (default 8192; UDP needs more than the 4-byte sentinel).
    public var bufferLength = 8192
    /// -n: buffers the transmitter sources in sink mode (default 2048: 16 MiB).
    public var bufferCount = 2048
    /// -A / -O: buffer alignment modulus and offset (printed as ttcp prints them).
    public var alignment = 16384, alignmentOffset = 0
    /// -p: port to send to or listen at.
    public var port = 5001
    /// -u: UDP instead of TCP.
    public var udp = false
    /// -s: source a pattern (-t) / sink the data (-r) instead of stdin/stdout.
    public var sinkMode = false
    /// -D: TCP_NODELAY; -b: socket buffer size; -v: verbose; -d: SO_DEBUG.
    public var noDelay = false, socketBufferSize: Int?, verbose = false, debug = false
    /// -f: rate unit (k, K, m, M, g, G).
    public var format: Character = "K"
    /// -4 (default) / -6: an AF_INET6 socket; the host is IPv6 text with an optional "%zone"
    /// (an interface name of the kernel or a number), as nc -6 takes it.
    public var inet6 = false

    public init() {}

    public static let usage = """
        Usage: ttcp -t [-options] host [ < in ]
               ttcp -r [-options > out]
        Common options:
        \t-l ##\tlength of bufs read from or written to network (default 8192)
        \t-u\tuse UDP instead of TCP
        \t-p ##\tport number to send to or listen at (default 5001)
        \t-s\t-t: source a pattern to network
        \t\t-r: sink (discard) all data from network
        \t-A\talign the start of buffers to this modulus (default 16384)
        \t-O\tstart buffers at this offset from the modulus (default 0)
        \t-v\tverbose: print more statistics
        \t-d\tset SO_DEBUG socket option
        \t-b ##\tset socket buffer size (if supported)
        \t-f X\tformat for rate: k,K = kilo{bit,byte}; m,M = mega; g,G = giga
        \t-4\tuse IPv4 (AF_INET, the default)
        \t-6\tuse IPv6 (AF_INET6; host may be ADDR%zone)
        Options specific to -t:
        \t-n##\tnumber of source bufs written to network (default 2048)
        \t-D\tdon't buffer TCP writes (sets TCP_NODELAY socket option)

        """

    public static func parse(_ args: [String]) -> ParseOutcome<TtcpOptions> {
        var o = TtcpOptions()
        var g = Getopt(args, "46drstuvDb:f:l:n:p:A:O:")
        func usageExit(_ line: String? = nil) -> ParseOutcome<TtcpOptions> {
            .exit(ToolOutput(stderr: (line.map { "ttcp: \($0)\n" } ?? "") + usage, status: 1))
        }
        while let item = g.next() {
            switch item {
            case .error(let m): return usageExit(m)
            case .option(let c, let value):
                let v = value ?? ""
                // ttcp's atoi accepts anything; a clear error naming the option is kinder.
                func number(_ min: Int, _ max: Int) -> Int? {
                    guard let n = Int(v), n >= min, n <= max else { return nil }
                    return n
                }
                switch c {
                case "t": o.transmit = true
                case "4": o.inet6 = false
                case "6": o.inet6 = true
                case "r": o.transmit = false
                case "s": o.sinkMode.toggle()
                case "u": o.udp = true
                case "v": o.verbose = true
                case "d": o.debug = true
                case "D": o.noDelay = true
                case "l":
                    guard let n = number(1, 1 << 20) else { return usageExit("-l \(v): buffer length must be 1..1048576") }
                    o.bufferLength = n
                case "n":
                    guard let n = number(0, Int(Int32.max)) else { return usageExit("-n \(v): count must be a number >= 0") }
                    o.bufferCount = n
                case "p":
                    guard let n = number(1, 65535) else { return usageExit("-p \(v): port must be 1..65535") }
                    o.port = n
                case "A":
                    guard let n = number(0, 1 << 20) else { return usageExit("-A \(v): bad alignment") }
                    o.alignment = n
                case "O":
                    guard let n = number(0, 1 << 20) else { return usageExit("-O \(v): bad offset") }
                    o.alignmentOffset = n
                case "b":
                    guard let n = number(1, 1 << 24) else { return usageExit("-b \(v): bad socket buffer size") }
                    o.socketBufferSize = n
                case "f":
                    guard let f = v.first, v.count == 1, "kKmMgG".contains(f) else { return usageExit("-f \(v): format must be one of k K m M g G") }
                    o.format = f
                default: return usageExit()
                }
            }
        }
        let rest = g.operands
        if o.transmit {
            guard rest.count == 1 else { return usageExit() }
            o.host = rest[0]
        } else if !rest.isEmpty {
            return usageExit()
        }
        if args.isEmpty { return usageExit() }
        // ttcp: UDP buffers must be longer than the 4-byte start/end sentinel.
        if o.udp && o.bufferLength < 5 { o.bufferLength = 5 }
        return .run(o)
    }
}
