// netstat(1)'s command line, as NetBSD's usr.bin/netstat main.c decides what to show.

/// Protocols `netstat -s` / `-p` know, in the order NetBSD prints them.
public enum NetstatProtocol: String, Sendable, CaseIterable {
    case tcp, udp, ip, icmp, igmp, carp, ip6, icmp6, tcp6, udp6, pim6, rip6, arp

    public var family: AddressFamily {
        switch self {
        case .tcp, .udp, .ip, .icmp, .igmp, .carp: return .inet
        case .ip6, .icmp6, .tcp6, .udp6, .pim6, .rip6: return .inet6
        case .arp: return .link
        }
    }
}

/// How `netstat -i` prints counters.
public enum NetstatInterfaceColumns: Sendable, Equatable {
    /// Ipkts Ierrs Opkts Oerrs Colls.
    case packets
    /// -b: Ibytes Obytes.
    case bytes
    /// -d: packets plus Idrops and Odrops.
    case drops
}

public enum NetstatCommand: Sendable, Equatable {
    /// -r [-n] [-f af].
    case routes(numeric: Bool, family: AddressFamily?)
    /// -rs.
    case routeStatistics
    /// -i / -I name.
    case interfaces(columns: NetstatInterfaceColumns, interface: String?, numeric: Bool, multicast: Bool)
    /// -s (twice: -ss suppresses zero counters): the protocols to show, in order.
    case statistics([NetstatProtocol], suppressZero: Bool)
    /// Default: active sockets (-a adds listening ones).
    case sockets(all: Bool, numeric: Bool, family: AddressFamily?)
    /// -m.
    case mbufs

    public static let usage = """
        usage: netstat [-Aan] [-f address_family[,family ...]] [-M core] [-N system]
               netstat [-bdgiLmnqrsSv] [-f address_family[,family ...]] [-M core] [-N system]
               netstat [-dn] [-I interface] [-M core] [-N system] [-w wait]
               netstat [-p protocol] [-M core] [-N system]
               netstat [-p protocol] [-M core] [-N system] -P pcbaddr
               netstat [-p protocol] [-i] [-I Interface] \n\
               netstat [-s] [-f address_family[,family ...]] [-i] [-I Interface]
               netstat [-s] [-B] [-I interface]

        """

    public static func parse(_ args: [String]) -> ParseOutcome<NetstatCommand> {
        var g = Getopt(args, "AabBdf:ghI:iLlM:mN:nP:p:qrsStuvw:")
        var all = false, bytes = false, drops = false, ifaces = false, numeric = false
        var routes = false, mbufs = false, kvmOnly = false
        var stats = 0
        var ifname: String?
        var families: [AddressFamily]?
        var proto: NetstatProtocol?
        while let item = g.next() {
            switch item {
            case .error(let m):
                return .exit(ToolOutput(stderr: "netstat: \(m)\n" + usage, status: 1))
            case .option(let c, let v):
                switch c {
                case "a": all = true
                case "b": bytes = true
                case "B": return .exit(.errx("netstat", "-B: not available in this build (nbtools)"))
                case "d": drops = true
                case "f":
                    var fams: [AddressFamily] = []
                    for name in (v ?? "").split(separator: ",", omittingEmptySubsequences: false) {
                        switch name {
                        case "inet": fams.append(.inet)
                        case "inet6": fams.append(.inet6)
                        case "local", "unix": fams.append(.local)
                        case "arp": fams.append(.link)
                        default:
                            // NetBSD warns and exits 0 here.
                            return .exit(.warnx("netstat", "\(name): unknown address family"))
                        }
                    }
                    families = fams
                case "g", "q": kvmOnly = true
                case "I": ifname = v; ifaces = true
                case "i": ifaces = true
                case "m": mbufs = true
                case "n": numeric = true
                case "p":
                    guard let p = NetstatProtocol(rawValue: v ?? "") else {
                        return .exit(.errx("netstat", "\(v ?? ""): unknown or uninstrumented protocol"))
                    }
                    proto = p
                case "r": routes = true
                case "s": stats += 1
                case "u": families = [.local]
                case "v": break
                case "w", "P", "M", "N":
                    // Interval display, PCB dumps and crash dumps read kernel memory or loop forever.
                    return .exit(.errx("netstat", "-\(c): not supported against a rump kernel"))
                default: break // -A -h -L -l -S -t: accepted, nothing to change
                }
            }
        }
        guard g.operands.isEmpty else { return .exit(ToolOutput(stderr: usage, status: 1)) }
        // netstat reads these through kvm(3), which a remote kernel does not offer.
        if kvmOnly { return .exit(.errx("netstat", "kvm error: /netbsd: Function not implemented")) }
        let family = families?.first
        if stats > 0 {
            if routes { return .run(.routeStatistics) }
            var list = NetstatProtocol.allCases
            if let proto { list = [proto] } else if let families { list = list.filter { families.contains($0.family) } }
            return .run(.statistics(list, suppressZero: stats > 1))
        }
        if routes { return .run(.routes(numeric: numeric, family: family)) }
        if ifaces {
            let cols: NetstatInterfaceColumns = bytes ? .bytes : drops ? .drops : .packets
            return .run(.interfaces(columns: cols, interface: ifname, numeric: numeric, multicast: all))
        }
        if mbufs { return .run(.mbufs) }
        return .run(.sockets(all: all, numeric: numeric, family: family))
    }
}
