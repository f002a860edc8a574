// arp(8)'s command line (NetBSD usr.sbin/arp).

/// `arp -s host ether_addr [temp] [pub [proxy]]`.
public struct ArpSetRequest: Sendable, Equatable {
    public var address: IPv4Address
    public var linkAddress: [UInt8]
    /// `temp`: the entry expires like a learned one; otherwise it is permanent.
    public var temporary: Bool
    /// `pub`: answer ARP requests for this address (proxy ARP).
    public var published: Bool
    /// The host as typed, for messages.
    public var hostText: String

    public init(address: IPv4Address, linkAddress: [UInt8], temporary: Bool = false, published: Bool = false, hostText: String) {
        self.address = address
        self.linkAddress = linkAddress
        self.temporary = temporary
        self.published = published
        self.hostText = hostText
    }

    /// The entry the kernel is asked to make: permanent unless `temp`.
    public var entry: ArpInfo {
        ArpInfo(address: address, linkAddress: linkAddress, interface: "", expire: temporary ? 0 : nil, published: published)
    }
}

public enum ArpCommand: Sendable, Equatable {
    /// `arp [-n] host`.
    case show(IPv4Address, hostText: String, numeric: Bool)
    /// `arp -a [-n] [-v]`.
    case showAll(numeric: Bool, verbose: Bool)
    /// `arp -d host`.
    case delete(IPv4Address, hostText: String)
    /// `arp -d -a`.
    case deleteAll
    case set(ArpSetRequest)
    /// `arp -f file`: `-s` lines read from a file (the wiring reads it).
    case file(String)

    public static func parse(_ args: [String], resolver: HostResolver = HostResolver()) -> ParseOutcome<ArpCommand> {
        var g = Getopt(args, "adfnsv")
        var all = false, delete = false, file = false, numeric = false, set = false, verbose = false
        while let item = g.next() {
            switch item {
            case .error(let m): return .exit(ToolOutput(stderr: "arp: \(m)\n" + ArpFormat.usage, status: 1))
            case .option(let c, _):
                switch c {
                case "a": all = true
                case "d": delete = true
                case "f": file = true
                case "n": numeric = true
                case "s": set = true
                default: verbose = true
                }
            }
        }
        let rest = g.operands
        let usage = ParseOutcome<ArpCommand>.exit(ToolOutput(stderr: ArpFormat.usage, status: 1))
        func host(_ text: String) -> IPv4Address? { resolver.resolve(text) }
        func unknownHost(_ text: String) -> ParseOutcome<ArpCommand> {
            .exit(.errx("arp", "\(text): Host name lookup failure"))
        }
        if delete {
            if all { return rest.isEmpty ? .run(.deleteAll) : usage }
            guard let h = rest.first, rest.count <= 3 else { return usage }
            guard let a = host(h) else { return unknownHost(h) }
            return .run(.delete(a, hostText: h))
        }
        if set {
            guard rest.count >= 2 && rest.count <= 4 else { return usage }
            guard let a = host(rest[0]) else { return unknownHost(rest[0]) }
            guard let mac = MACAddress(rest[1])?.bytes else {
                // NetBSD warns and still exits 0 here.
                return .exit(.warnx("arp", "invalid link-level address '\(rest[1])'"))
            }
            var req = ArpSetRequest(address: a, linkAddress: mac, hostText: rest[0])
            for w in rest.dropFirst(2) {
                switch w {
                case "temp": req.temporary = true
                case "pub": req.published = true
                case "proxy": req.published = true
                default: return usage
                }
            }
            return .run(.set(req))
        }
        if file {
            guard rest.count == 1 else { return usage }
            return .run(.file(rest[0]))
        }
        if all { return rest.isEmpty ? .run(.showAll(numeric: numeric, verbose: verbose)) : usage }
        guard rest.count == 1 else { return usage }
        guard let a = host(rest[0]) else { return unknownHost(rest[0]) }
        return .run(.show(a, hostText: rest[0], numeric: numeric))
    }
}
