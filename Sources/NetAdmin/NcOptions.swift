// nc(1)'s command line: OpenBSD's netcat (the one NetBSD ships), the options a rump kernel's
// TCP and UDP can serve.

public struct NcOptions: Sendable, Equatable {
    /// -u: UDP instead of TCP.
    public var udp = false
    /// -l: listen (TCP: accept one connection; UDP: wait for the first datagram); -k: keep
    /// listening (TCP: accept the next connection after one ends; UDP: receive from anyone).
    public var listen = false, keepListening = false
    /// -z: scan (send probes, report, no data); -v: report on stderr; -n: no name lookups.
    public var scan = false, verbose = false, numeric = false
    /// -d: do not read stdin; -N: shutdown(SHUT_WR) after stdin's EOF; -r: random port order.
    public var noStdin = false, shutdownOnEOF = false, randomPorts = false
    /// -p: local port; -s: local address.
    public var sourcePort: Int?
    /// -p as typed, checked once the other options are known (as OpenBSD's getaddrinfo does).
    var sourcePortText: String?
    public var sourceAddress: String?
    /// -w: idle timeout (and connect timeout), milliseconds; nil: none.
    public var timeoutMilliseconds: Int?
    /// -i: seconds between lines (reads) sent.
    public var interval = 0
    /// -M: IP TTL; -I: SO_RCVBUF; -O: SO_SNDBUF; -W: quit after this many datagrams received.
    public var ttl: Int?
    public var receiveBuffer: Int?, sendBuffer: Int?
    public var receiveLimit = 0
    /// -4 (default) / -6 (refused: no IPv6 yet).
    public var inet6 = false
    /// Destination (nil: listening on every address) and the ports, ranges expanded in order.
    public var host: String?
    public var ports: [Int] = []

    public init() {}

    public static let usage = """
        usage: nc [-46DdhklNnruvz] [-I length] [-i interval] [-M ttl]
        \t  [-O length] [-p source_port] [-s source] [-W recvlimit]
        \t  [-w timeout] [destination] [port]

        """

    public static let help = usage + """
        \tCommand Summary:
        \t\t-4		Use IPv4
        \t\t-6		Use IPv6
        \t\t-D		Enable the debug socket option
        \t\t-d		Detach from stdin
        \t\t-h		This help text
        \t\t-I length	TCP receive buffer length
        \t\t-i interval	Delay interval for lines sent, ports scanned
        \t\t-k		Keep inbound sockets open for multiple connects
        \t\t-l		Listen mode, for inbound connects
        \t\t-M ttl		Outgoing TTL / Hop Limit
        \t\t-N		Shutdown the network socket after EOF on stdin
        \t\t-n		Suppress name/port resolutions
        \t\t-O length	TCP send buffer length
        \t\t-p port\t	Specify local port for remote connects
        \t\t-r		Randomize remote ports
        \t\t-s source	Local source address
        \t\t-u		UDP mode
        \t\t-v		Verbose
        \t\t-W recvlimit	Terminate after receiving a number of packets
        \t\t-w timeout	Timeout for connects and final net reads
        \t\t-z		Zero-I/O mode [used for scanning]
        \tPort numbers can be individual or ranges: lo-hi [inclusive]

        """

    static func fail(_ m: String) -> ParseOutcome<NcOptions> { .exit(.errx("nc", m)) }

    /// strtonum(3): the value, or its error word ("invalid", "too small", "too large").
    static func strtonum(_ s: String, _ lo: Int, _ hi: Int) -> (Int?, String) {
        guard let v = Int(s) else {
            // A number too long for Int is still "too large"/"too small", not "invalid".
            let digits = s.drop { $0 == "-" || $0 == "+" }
            if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) { return (nil, s.hasPrefix("-") ? "too small" : "too large") }
            return (nil, "invalid")
        }
        if v < lo { return (nil, "too small") }
        if v > hi { return (nil, "too large") }
        return (v, "")
    }

    /// strtoport(): a number 1...65535; names need the services database ("service "x" unknown").
    static func port(_ s: String) -> Result<Int, NcError> {
        let (v, err) = strtonum(s, 1, 65535)
        if let v { return .success(v) }
        if err != "invalid" { return .failure(NcError("port number \(err): \(s)")) }
        return .failure(NcError("service \"\(s)\" unknown"))
    }

    /// build_ports(): "lo-hi" (either order) or one port.
    static func ports(_ s: String) -> Result<[Int], NcError> {
        if let dash = s.firstIndex(of: "-"), s.first?.isNumber == true {
            let lo = String(s[..<dash]), hi = String(s[s.index(after: dash)...])
            let h: Int, l: Int
            switch port(hi) { case .success(let v): h = v; case .failure(let e): return .failure(e) }
            switch port(lo) { case .success(let v): l = v; case .failure(let e): return .failure(e) }
            return .success(Array(min(l, h)...max(l, h)))
        }
        return port(s).map { [$0] }
    }

    public static func parse(_ args: [String]) -> ParseOutcome<NcOptions> {
        var o = NcOptions()
        var g = Getopt(args, "46C:cDde:FH:hI:i:K:klM:m:NnO:o:P:p:R:rSs:T:tUuV:vW:w:X:x:Z:z")
        while let item = g.next() {
            switch item {
            case .error(let m):
                return .exit(ToolOutput(stderr: "nc: \(m)\n" + usage, status: 1))
            case .option(let c, let value):
                let v = value ?? ""
                switch c {
                case "4": o.inet6 = false
                case "6": o.inet6 = true
                case "D": break  // SO_DEBUG: nothing to debug in the stack
                case "d": o.noStdin = true
                case "h": return .exit(ToolOutput(stderr: help, status: 1))
                case "I":
                    let (n, e) = strtonum(v, 1, 65536 << 14)
                    guard let n else { return fail("TCP receive window \(e): \(v)") }
                    o.receiveBuffer = n
                case "i":
                    let (n, e) = strtonum(v, 0, Int(UInt32.max))
                    guard let n else { return fail("interval \(e): \(v)") }
                    o.interval = n
                case "k": o.keepListening = true
                case "l": o.listen = true
                case "M":
                    let (n, e) = strtonum(v, 0, 255)
                    guard let n else { return fail("ttl is \(e)") }
                    o.ttl = n
                case "N": o.shutdownOnEOF = true
                case "n": o.numeric = true
                case "O":
                    let (n, e) = strtonum(v, 1, 65536 << 14)
                    guard let n else { return fail("TCP send window \(e): \(v)") }
                    o.sendBuffer = n
                case "p": o.sourcePortText = v
                case "r": o.randomPorts = true
                case "s": o.sourceAddress = v
                case "u": o.udp = true
                case "v": o.verbose = true
                case "W":
                    let (n, e) = strtonum(v, 1, Int(Int32.max))
                    guard let n else { return fail("receive limit \(e): \(v)") }
                    o.receiveLimit = n
                case "w":
                    let (n, e) = strtonum(v, 0, Int(Int32.max) / 1000)
                    guard let n else { return fail("timeout \(e): \(v)") }
                    o.timeoutMilliseconds = n * 1000
                case "z": o.scan = true
                case "U": return fail("-U: unix sockets are not supported against a rump kernel")
                case "c", "C", "e", "H", "K", "o", "R", "T", "Z": return fail("-\(c): TLS is not supported")
                case "P", "X", "x": return fail("-\(c): proxies are not supported")
                case "F", "S", "t", "V", "m": return fail("-\(c): not supported against a rump kernel")
                default: return .exit(ToolOutput(stderr: usage, status: 1))
                }
            }
        }
        let rest = g.operands
        let portText: String
        switch rest.count {
        case 1:
            guard o.listen else { return .exit(ToolOutput(stderr: usage, status: 1)) }
            portText = rest[0]
        case 2:
            o.host = rest[0]; portText = rest[1]
        default:
            return .exit(ToolOutput(stderr: usage, status: 1))
        }
        if o.listen && o.sourceAddress != nil { return fail("cannot use -s and -l") }
        if o.listen && o.sourcePortText != nil { return fail("cannot use -p and -l") }
        if o.listen && o.scan { return fail("cannot use -z and -l") }
        if !o.listen && o.keepListening { return fail("must use -l with -k") }
        if o.inet6 { return fail("-6: IPv6 is not supported yet") }
        if let p = o.sourcePortText {
            switch port(p) {
            case .success(let v): o.sourcePort = v
            case .failure(let e): return fail(e.message)
            }
        }
        switch o.listen ? port(portText).map({ [$0] }) : ports(portText) {
        case .success(let l): o.ports = l
        case .failure(let e): return fail(e.message)
        }
        return .run(o)
    }

}

public struct NcError: Error, Sendable, Equatable {
    public var message: String
    public init(_ m: String) { message = m }
}

/// nc's messages on stderr (-v), in OpenBSD's wording.
public enum NcMessages {
    /// report_sock(): "Bound on HOST PORT", "Connection received on HOST PORT".
    public static func report(_ what: String, address: IPv4Address, port: UInt16) -> String {
        "\(what) on \(address) \(port)\n"
    }

    /// connection_info() after a connect (or, for UDP, a scan probe) worked.
    public static func succeeded(host: String, port: Int, udp: Bool) -> String {
        "Connection to \(host) \(port) port [\(udp ? "udp" : "tcp")/*] succeeded!\n"
    }

    /// warn() of a failed connect: "nc: connect to HOST port P (udp) failed: strerror".
    public static func connectFailed(host: String, port: Int, udp: Bool, _ e: NetBSDErrno) -> String {
        "nc: connect to \(host) port \(port) (\(udp ? "udp" : "tcp")) failed: \(e.strerror)\n"
    }
}
