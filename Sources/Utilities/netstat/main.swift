// netstat(1) against a rump kernel.
import NetAdmin
import RumpProtocol
import UtilitySupport

let kernel = Remote(program: "netstat")

struct Netstat {
    let kernel: Remote

    func run(_ args: [String]) -> ToolOutput {
        let cmd: NetstatCommand
        switch NetstatCommand.parse(args) {
        case .exit(let o): return o
        case .run(let c): cmd = c
        }
        switch cmd {
        case .routes(let numeric, let fam):
            switch kernel.routes(family: fam?.rawValue ?? 0) {
            case .success(let l): return NetstatFormat.routes(l, numeric: numeric, family: fam)
            case .failure(let e): return .errx("netstat", "sysctl: \(e.strerror)")
            }
        case .routeStatistics:
            return ToolOutput(stdout: StatisticsFormat.routing(kernel.statistics()?.routing ?? RouteStatistics()))
        case .interfaces(let cols, let name, _, _):
            switch kernel.interfaces() {
            case .success(let l): return NetstatFormat.interfaces(l, columns: cols, interface: name)
            case .failure(let e): return .errx("netstat", "sysctl: \(e.strerror)")
            }
        case .statistics(let protocols, let suppressZero):
            let s = kernel.statistics()
            return ToolOutput(stdout: StatisticsFormat.report(protocols, ip: s?.ip, icmp: s?.icmp, arp: s?.arp,
                                                              udp: s?.udp, tcp: s?.tcp, ip6: s?.ip6, icmp6: s?.icmp6,
                                                              suppressZero: suppressZero))
        case .sockets(let all, _, let fam):
            // The Internet list first (tcp, udp), then netstat reads the inet6 pcblists by
            // sysctl: a kernel without netinet6 lacks them, and netstat stops there.
            var out = ToolOutput()
            if fam == nil || fam == .inet { out = NetstatFormat.sockets(kernel.sockets(), all: all) }
            if fam == nil && !kernel.hasInet6 {
                out.append(NetstatFormat.sysctlFailed("net.inet6.udp6.pcblist", .ENOENT))
            }
            return out
        case .mbufs:
            return .errx("netstat", "kvm error: /netbsd: Function not implemented")
        }
    }
}

emit(Netstat(kernel: kernel).run(utilityArguments))
