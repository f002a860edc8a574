// route(8)'s command line: `route [-dfLnqSsTtv] cmd [[-<qualifers>] args]`.

/// Global flags of route(8).
public struct RouteOptions: Sendable, Equatable {
    public var numeric = false, quiet = false, verbose = false, debug = false, flushFirst = false
    public init() {}
}

/// `route add|change|delete`: what to send in the routing message.
public struct RouteRequest: Sendable, Equatable {
    public var destination: IPv4Address
    /// nil for host routes.
    public var netmask: IPv4Address?
    public var isHost: Bool
    /// The gateway address (or, with -iface, the address of the interface to use).
    public var gateway: IPv4Address?
    /// RTF_* bits to set: UP and STATIC always, GATEWAY unless -iface, HOST, REJECT, BLACKHOLE.
    public var flags: UInt32
    /// rmx_mtu from `-mtu`, 0 for none.
    public var mtu: UInt32
    /// `-ifp name`: the interface to use.
    public var interface: String?
    /// The destination and gateway as route(8) echoes them ("10.1.0.0", "default").
    public var destinationText: String
    public var gatewayText: String?

    public init(destination: IPv4Address, netmask: IPv4Address?, isHost: Bool, gateway: IPv4Address?, flags: UInt32,
                mtu: UInt32 = 0, interface: String? = nil, destinationText: String, gatewayText: String?) {
        self.destination = destination
        self.netmask = netmask
        self.isHost = isHost
        self.gateway = gateway
        self.flags = flags
        self.mtu = mtu
        self.interface = interface
        self.destinationText = destinationText
        self.gatewayText = gatewayText
    }
}

public enum RouteCommand: Sendable, Equatable {
    case show(RouteOptions, family: AddressFamily?)
    case flush(RouteOptions, family: AddressFamily?)
    case add(RouteOptions, RouteRequest)
    case change(RouteOptions, RouteRequest)
    case delete(RouteOptions, RouteRequest)
    case get(RouteOptions, IPv4Address)
    case monitor(RouteOptions)

    public static func parse(_ args: [String], resolver: HostResolver = HostResolver()) -> ParseOutcome<RouteCommand> {
        var g = Getopt(args, "dfLnqSsTtv")
        var o = RouteOptions()
        while let item = g.next() {
            switch item {
            case .error(let m): return .exit(ToolOutput(stderr: "route: \(m)\n" + RouteFormat.usage, status: 1))
            case .option(let c, _):
                switch c {
                case "n": o.numeric = true
                case "q": o.quiet = true
                case "v": o.verbose = true
                case "d": o.debug = true
                case "f": o.flushFirst = true
                default: break // -L -S -s -T -t: accepted; nothing they change applies here
                }
            }
        }
        var rest = g.operands
        guard !rest.isEmpty else { return .exit(ToolOutput(stderr: RouteFormat.usage, status: 1)) }
        let cmd = rest.removeFirst()
        switch cmd {
        case "show", "flush":
            var fam: AddressFamily?
            for w in rest {
                switch w {
                case "-inet": fam = .inet
                case "-inet6": fam = .inet6
                case "-link": fam = .link
                default: return botched(String(w.drop(while: { $0 == "-" })))
                }
            }
            return .run(cmd == "show" ? .show(o, family: fam) : .flush(o, family: fam))
        case "monitor":
            return .run(.monitor(o))
        case "get":
            var target: String?
            for w in rest {
                if w == "-inet" || w == "-host" || w == "-net" { continue }
                if w.hasPrefix("-") { return botched(String(w.dropFirst())) }
                if target != nil { return botched(w) }
                target = w
            }
            guard let t = target else { return .exit(ToolOutput(stderr: RouteFormat.usage, status: 1)) }
            let host = t.split(separator: "/").first.map(String.init) ?? t
            guard let a = host == "default" ? IPv4Address.any : resolver.resolve(host) else { return badValue(t) }
            return .run(.get(o, a))
        case "add", "change", "delete":
            return parseChange(cmd, o, rest, resolver)
        default:
            return botched(cmd)
        }
    }

    static func botched(_ word: String) -> ParseOutcome<RouteCommand> {
        .exit(ToolOutput(stderr: "route: botched keyword: \(word)\n" + RouteFormat.usage, status: 1))
    }

    static func badValue(_ word: String) -> ParseOutcome<RouteCommand> {
        .exit(.errx("route", "\(word): bad value"))
    }

    private static func parseChange(_ cmd: String, _ o: RouteOptions, _ words: [String], _ resolver: HostResolver) -> ParseOutcome<RouteCommand> {
        var forceHost = false, forceNet = false, iface = false
        var flags = RTF.UP | RTF.STATIC
        var netmask: IPv4Address?
        var mtu: UInt32 = 0
        var ifp: String?
        var positional: [String] = []
        var i = 0
        func arg() -> String? {
            i += 1
            return i < words.count ? words[i] : nil
        }
        while i < words.count {
            let w = words[i]
            if w.hasPrefix("-") && w.count > 1 {
                switch w.dropFirst() {
                case "net": forceNet = true
                case "host": forceHost = true
                case "inet": break
                case "iface", "interface": iface = true
                case "reject": flags |= RTF.REJECT
                case "blackhole": flags |= RTF.BLACKHOLE
                case "static": flags |= RTF.STATIC
                case "nostatic": flags &= ~RTF.STATIC
                case "proto1": flags |= RTF.PROTO1
                case "proto2": flags |= RTF.PROTO2
                case "llinfo": flags |= RTF.LLINFO
                case "netmask":
                    guard let v = arg() else { return .exit(ToolOutput(stderr: RouteFormat.usage, status: 1)) }
                    guard let m = IPv4Address(inetAton: v) else { return badValue(v) }
                    netmask = m
                    forceNet = true
                case "prefixlen":
                    guard let v = arg() else { return .exit(ToolOutput(stderr: RouteFormat.usage, status: 1)) }
                    guard let n = Int(v), let m = IPv4Address.netmask(prefixLength: n) else { return badValue(v) }
                    netmask = m
                    forceNet = true
                case "mtu":
                    guard let v = arg() else { return .exit(ToolOutput(stderr: RouteFormat.usage, status: 1)) }
                    guard let n = UInt32(v) else { return badValue(v) }
                    mtu = n
                case "ifp":
                    guard let v = arg() else { return .exit(ToolOutput(stderr: RouteFormat.usage, status: 1)) }
                    ifp = v
                default:
                    return botched(String(w.dropFirst()))
                }
            } else {
                positional.append(w)
            }
            i += 1
        }
        guard let dstWord = positional.first else { return .exit(ToolOutput(stderr: RouteFormat.usage, status: 1)) }
        guard positional.count <= 2 else { return botched(positional[2]) }
        // route(8) cuts "/len" off its argument in place, so it echoes "10.1.0.0".
        var dstText = dstWord
        var dst: IPv4Address
        if dstWord == "default" {
            dst = .any
            netmask = IPv4Address.any
            forceNet = true
        } else {
            if let slash = dstWord.firstIndex(of: "/") {
                dstText = String(dstWord[..<slash])
                guard let n = Int(dstWord[dstWord.index(after: slash)...]), let m = IPv4Address.netmask(prefixLength: n) else {
                    return badValue(dstWord)
                }
                netmask = m
                forceNet = !forceHost
            }
            guard let a = resolver.resolve(dstText) ?? IPv4Address(inetAton: dstText) else { return badValue(dstText) }
            dst = a
        }
        var isHost = forceHost
        if !forceHost && !forceNet {
            // Like inet_makenetandmask: an address with host bits beyond its class is a host.
            isHost = dst.value & ~dst.networkClassMask.value != 0
        }
        if isHost {
            netmask = nil
            flags |= RTF.HOST
        } else if netmask == nil {
            netmask = dst.networkClassMask
        }
        var gateway: IPv4Address?
        var gwText: String?
        if positional.count == 2 {
            gwText = positional[1]
            guard let gw = resolver.resolve(positional[1]) else { return badValue(positional[1]) }
            gateway = gw
        } else if cmd != "delete" {
            return .exit(.errx("route", "missing gateway specification"))
        }
        if !iface && gateway != nil { flags |= RTF.GATEWAY }
        let req = RouteRequest(destination: dst, netmask: netmask, isHost: isHost, gateway: gateway, flags: flags,
                               mtu: mtu, interface: ifp, destinationText: dstText, gatewayText: gwText)
        switch cmd {
        case "add": return .run(.add(o, req))
        case "change": return .run(.change(o, req))
        default: return .run(.delete(o, req))
        }
    }
}
