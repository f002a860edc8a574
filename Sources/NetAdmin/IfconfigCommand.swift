// ifconfig's command line (NetBSD sbin/ifconfig), parsed into what to do.

/// Display options of `ifconfig [-a] [-u] [-d] [-v] [-z] …`.
public struct IfconfigOptions: Sendable, Equatable {
    public var all = false, upOnly = false, downOnly = false, verbose = false, zeroCounters = false
    public var brief = false, media = false, human = false, lifetimes = false
    public init() {}
}

/// One change `ifconfig IF …` asks for, in command-line order.
public enum IfconfigOperation: Sendable, Equatable {
    case create
    case destroy
    /// `inet ADDR[/len] [netmask M] [broadcast B] [alias]`: without `alias` the interface's
    /// first address is replaced. `netmask` nil lets the kernel choose (NetBSD: classful).
    case setAddress(IPv4Address, netmask: IPv4Address?, broadcast: IPv4Address?, alias: Bool)
    /// `inet ADDR -alias` / `inet ADDR delete`.
    case deleteAddress(IPv4Address)
    /// `inet6 ADDR[/len]` (kept as text until the IPv6 step).
    case setAddress6(String, prefixLength: Int?, alias: Bool)
    case deleteAddress6(String)
    case up
    case down
    case mtu(Int)
    case metric(Int)
    case linkstr(String)
    case deleteLinkstr
    /// arp/-arp, debug/-debug, link0..2/-link0..2: IFF_* bits to set or clear.
    case setFlags(UInt32)
    case clearFlags(UInt32)
}

public enum IfconfigCommand: Sendable, Equatable {
    /// `-l [-u] [-d]`: interface names on one line.
    case listNames(upOnly: Bool, downOnly: Bool)
    /// `-C`: interface cloners.
    case listCloners
    /// `-w n`: wait for DAD to finish (no-op for us: IPv4 addresses are never tentative).
    case waitDAD(seconds: Int)
    /// `-a [af]`.
    case statusAll(IfconfigOptions, family: AddressFamily?)
    /// `IF [af]`.
    case status(String, IfconfigOptions, family: AddressFamily?)
    /// `-s IF`: exit status tells whether the link is up; prints nothing.
    case linkStatus(String)
    /// `IF [af] operations…`.
    case configure(String, family: AddressFamily, operations: [IfconfigOperation])
    /// Bare `ifconfig`: NetBSD 7.99 fails with "status: getifinfo: Device not configured".
    case noArguments

    /// Parses ifconfig's arguments (without argv[0]).
    public static func parse(_ args: [String]) -> ParseOutcome<IfconfigCommand> {
        var g = Getopt(args, "AabCdhLlmsuvw:z")
        var o = IfconfigOptions()
        var list = false, cloners = false, linkState = false
        var wait: Int?
        while let item = g.next() {
            switch item {
            case .error(let message):
                return .exit(ToolOutput(stderr: "ifconfig: \(message)\n" + IfconfigFormat.usage, status: 1))
            case .option(let c, let value):
                switch c {
                case "a": o.all = true
                case "b": o.brief = true
                case "C": cloners = true
                case "d": o.downOnly = true
                case "h": o.human = true
                case "L": o.lifetimes = true
                case "l": list = true
                case "m": o.media = true
                case "s": linkState = true
                case "u": o.upOnly = true
                case "v": o.verbose = true
                case "z": o.zeroCounters = true
                case "w":
                    guard let n = Int(value ?? ""), n >= 0 else { return usage() }
                    wait = n
                default: break // -A: accepted, nothing to do
                }
            }
        }
        var rest = g.operands
        if cloners { return rest.isEmpty && !list && !o.all ? .run(.listCloners) : usage() }
        if let wait { return rest.isEmpty ? .run(.waitDAD(seconds: wait)) : usage() }
        if list {
            return rest.isEmpty && !o.all ? .run(.listNames(upOnly: o.upOnly, downOnly: o.downOnly)) : usage()
        }
        if o.all {
            guard rest.count <= 1 else { return usage() }
            guard let af = rest.first else { return .run(.statusAll(o, family: nil)) }
            guard let fam = family(af) else { return usage() }
            return .run(.statusAll(o, family: fam))
        }
        guard !rest.isEmpty else { return .run(.noArguments) }
        let name = rest.removeFirst()
        if linkState { return rest.isEmpty ? .run(.linkStatus(name)) : usage() }
        var fam: AddressFamily?
        if let first = rest.first, let f = family(first) {
            fam = f
            rest.removeFirst()
        }
        if rest.isEmpty { return .run(.status(name, o, family: fam)) }
        return parseOperations(name, fam ?? .inet, rest)
    }

    static func family(_ word: String) -> AddressFamily? {
        switch word {
        case "inet": return .inet
        case "inet6": return .inet6
        case "link", "ether", "lladdr": return .link
        default: return nil
        }
    }

    static func usage() -> ParseOutcome<IfconfigCommand> {
        .exit(ToolOutput(stderr: IfconfigFormat.usage, status: 1))
    }

    private static let flagWords: [String: UInt32] = [
        "debug": IFF.DEBUG, "link0": IFF.LINK0, "link1": IFF.LINK1, "link2": IFF.LINK2,
    ]

    private static func parseOperations(_ name: String, _ fam: AddressFamily, _ words: [String]) -> ParseOutcome<IfconfigCommand> {
        var ops: [IfconfigOperation] = []
        // The address operand and the modifiers that apply to it, gathered over the whole line.
        var addr: IPv4Address?
        var addr6: String?
        var prefix: Int?
        var netmask: IPv4Address?
        var broadcast: IPv4Address?
        var alias = false, remove = false
        var i = 0
        func arg() -> String? {
            i += 1
            return i < words.count ? words[i] : nil
        }
        while i < words.count {
            let w = words[i]
            switch w {
            case "create": ops.append(.create)
            case "destroy": ops.append(.destroy)
            case "up": ops.append(.up)
            case "down": ops.append(.down)
            case "alias", "add": alias = true
            case "-alias", "delete", "remove": remove = true
            case "-linkstr": ops.append(.deleteLinkstr)
            case "arp": ops.append(.clearFlags(IFF.NOARP))
            case "-arp": ops.append(.setFlags(IFF.NOARP))
            case "mtu", "metric":
                guard let v = arg(), let n = Int(v) else { return usage() }
                ops.append(w == "mtu" ? .mtu(n) : .metric(n))
            case "linkstr":
                guard let v = arg() else { return usage() }
                ops.append(.linkstr(v))
            case "netmask":
                guard let v = arg(), let m = IPv4Address(inetAton: v) else { return usage() }
                netmask = m
            case "broadcast":
                guard let v = arg(), let b = IPv4Address(v) else { return usage() }
                broadcast = b
            case "prefixlen":
                guard let v = arg(), let n = Int(v) else { return usage() }
                prefix = n
            default:
                if let bit = flagWords[w] {
                    ops.append(.setFlags(bit))
                } else if w.hasPrefix("-"), let bit = flagWords[String(w.dropFirst())] {
                    ops.append(.clearFlags(bit))
                } else if addr == nil && addr6 == nil {
                    // The first other word is the address ("af address" in the usage text).
                    var text = Substring(w)
                    if let slash = w.firstIndex(of: "/") {
                        text = w[..<slash]
                        guard let n = Int(w[w.index(after: slash)...]) else { return usage() }
                        prefix = n
                    }
                    if fam == .inet6 {
                        guard text.contains(":") else { return usage() }
                        addr6 = String(text)
                    } else {
                        guard fam == .inet, let a = IPv4Address(text) else { return usage() }
                        addr = a
                    }
                } else {
                    return usage()
                }
            }
            i += 1
        }
        if let p = prefix {
            let maxLen = fam == .inet6 ? 128 : 32
            guard (0...maxLen).contains(p) else {
                let afNumber = fam == .inet6 ? 24 : 2
                return .exit(.errx("ifconfig", "paddr_match: prefixlen_to_mask(\(afNumber), \(p)): Invalid argument"))
            }
        }
        if fam == .inet, netmask == nil, let p = prefix { netmask = IPv4Address.netmask(prefixLength: p) }
        if addr == nil && addr6 == nil && (netmask != nil || broadcast != nil || alias || remove) {
            // Modifiers without an address change nothing we model; NetBSD needs an address too.
            return usage()
        }
        var op: IfconfigOperation?
        if let a = addr {
            op = remove ? .deleteAddress(a) : .setAddress(a, netmask: netmask, broadcast: broadcast, alias: alias)
        } else if let a6 = addr6 {
            op = remove ? .deleteAddress6(a6) : .setAddress6(a6, prefixLength: prefix, alias: alias)
        }
        // NetBSD's ifconfig runs the other parameters as it matches them and commits the address
        // last (af_addr_commit): "inet A up" sets IFF_UP first, so a failing up leaves no address.
        if let op { ops.append(op) }
        return .run(.configure(name, family: fam, operations: ops))
    }
}
