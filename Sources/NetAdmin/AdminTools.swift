// Each network utility's dispatch, once: parse the arguments, make the kernel calls, format
// the answer. The executables (Sources/Utilities/*/main.swift) run these against a kernel behind
// RUMP_SERVER; the tests run them against their kernel double. Both are AdminKernels.

/// ifconfig(8).
public enum IfconfigTool {
    public static func run(_ args: [String], kernel: some AdminKernel) -> ToolOutput {
        IfconfigCommand.parse(args).run { run($0, kernel: kernel) }
    }

    public static func run(_ cmd: IfconfigCommand, kernel: some AdminKernel) -> ToolOutput {
        switch cmd {
        case .noArguments:
            return IfconfigFormat.noArguments
        case .listCloners:
            guard let l = kernel.interfaceCloners() else { return IfconfigFormat.noArguments }
            return IfconfigFormat.cloners(l)
        case .listNames(let up, let down):
            switch kernel.interfaces() {
            case .success(let l): return IfconfigFormat.names(l, upOnly: up, downOnly: down)
            case .failure(let e): return .errx("ifconfig", "getifaddrs: \(e.strerror)")
            }
        case .waitDAD(let seconds):
            // IPv6 DAD (IPv4 addresses are never tentative here).
            kernel.waitForDAD(seconds: seconds)
            return .success
        case .statusAll(let o, let fam):
            guard kernel.hasInet else { return IfconfigFormat.socketFailed(.status) }
            switch kernel.interfaces() {
            case .success(let l): return IfconfigFormat.statusAll(l, options: o, family: fam)
            case .failure(let e): return .errx("ifconfig", "getifaddrs: \(e.strerror)")
            }
        case .status(let name, let o, let fam):
            guard kernel.hasInet else { return IfconfigFormat.socketFailed(.status) }
            switch kernel.interface(name) {
            case .success(let i): return IfconfigFormat.show(i, options: o, family: fam)
            case .failure(let e): return IfconfigFormat.statusFailed(name, e)
            }
        case .linkStatus(let name):
            switch kernel.interface(name) {
            case .success(let i): return IfconfigFormat.linkStatus(i)
            case .failure(let e): return IfconfigFormat.statusFailed(name, e)
            }
        case .configure(let name, let fam, let ops):
            // ifconfig opens a socket of the address family first (getsock).
            if fam == .inet6 && !kernel.hasInet6 { return IfconfigFormat.socketFailed(.address) }
            if !kernel.hasInet {
                let setsAddress = ops.contains { if case .setAddress = $0 { return true }; return false }
                return IfconfigFormat.socketFailed(setsAddress ? .address : .other)
            }
            var out = ToolOutput()
            for op in ops {
                guard let e = apply(op, name, kernel) else { continue }
                let isClone = op == .create || op == .destroy
                let exists = (try? kernel.interface(name).get()) != nil
                out.append(!exists && !isClone ? IfconfigFormat.noSuchInterface(e) : IfconfigFormat.operationFailed(op, e))
                if out.status != 0 { return out }
            }
            return out
        }
    }

    /// One operation as a kernel call; the errno when the kernel refuses it.
    static func apply(_ op: IfconfigOperation, _ name: String, _ kernel: some AdminKernel) -> NetBSDErrno? {
        switch op {
        case .create: return kernel.createInterface(name)
        case .destroy: return kernel.destroyInterface(name)
        case .up: return kernel.setInterfaceFlags(name, set: IFF.UP, clear: 0)
        case .down: return kernel.setInterfaceFlags(name, set: 0, clear: IFF.UP)
        case .setFlags(let f): return kernel.setInterfaceFlags(name, set: f, clear: 0)
        case .clearFlags(let f): return kernel.setInterfaceFlags(name, set: 0, clear: f)
        case .mtu(let m): return kernel.setMTU(name, m)
        case .metric(let m): return kernel.setMetric(name, m)
        case .linkstr(let s): return kernel.setLinkstr(name, s)
        case .deleteLinkstr: return kernel.setLinkstr(name, nil)
        case .setAddress(let a, let mask, let bcast, let alias):
            // No mask: NetBSD's in_ifinit picks the classful one; the kernel does that for 0.
            let ia = InterfaceAddress(address: .inet(a), netmask: .inet(mask ?? .any), broadcast: bcast.map { .inet($0) })
            return kernel.addAddress(name, ia, alias: alias)
        case .deleteAddress(let a):
            return kernel.deleteAddress(name, .inet(a))
        case .setAddress6(let a, let zone, let len, _):
            // SIOCAIFADDR_IN6 adds (an interface keeps its link-local address); a scoped address
            // belongs to the interface configured unless its zone says otherwise.
            let scope = a.needsScope ? (zone.map { kernel.scope($0, a) } ?? kernel.interfaceIndex(name)) : 0
            let ia = InterfaceAddress(address: .inet6(a, scopeID: scope), netmask: .inet6(IPv6Address.mask(prefixLength: len ?? 64)))
            return kernel.addAddress(name, ia, alias: true)
        case .deleteAddress6(let a, let zone):
            let scope = a.needsScope ? (zone.map { kernel.scope($0, a) } ?? kernel.interfaceIndex(name)) : 0
            return kernel.deleteAddress(name, .inet6(a, scopeID: scope))
        }
    }
}

/// route(8).
public enum RouteTool {
    public static func run(_ args: [String], kernel: some AdminKernel) -> ToolOutput {
        RouteCommand.parse(args).run { run($0, kernel: kernel) }
    }

    public static func run(_ cmd: RouteCommand, kernel: some AdminKernel) -> ToolOutput {
        switch cmd {
        case .show(let o, let fam):
            switch kernel.routes(family: fam) {
            case .success(let l): return RouteFormat.show(RouteInfo.tableOrder(l), options: o, family: fam)
            case .failure(let e): return .errx("route", "sysctl: \(e.strerror)")
            }
        case .monitor:
            return .success  // the kernel sends no routing messages to watch
        case .flush(let o, let fam):
            switch kernel.flushRoutes(family: fam) {
            case .success(let gone): return RouteFormat.flush(RouteInfo.tableOrder(gone), options: o)
            case .failure(let e): return .errx("route", "sysctl: \(e.strerror)")
            }
        case .get(let o, let a):
            let reply: RouteGetReply
            switch kernel.getRoute(a) {
            case .success(let r): reply = r
            case .failure(let e): return RouteFormat.socketError(e)
            }
            guard o.verbose else { return RouteFormat.get(reply) }
            let ifp = reply.interface.flatMap { try? kernel.interface($0).get() }
            return RouteFormat.getVerbose(reply, ifp: ifp.map { .link(index: $0.index, name: $0.name, address: $0.linkAddress ?? []) })
        case .add(let o, let req):
            return RouteFormat.change("add", req, options: o, error: kernel.addRoute(req))
        case .change(let o, let req):
            return RouteFormat.change("change", req, options: o, error: kernel.changeRoute(req))
        case .delete(let o, let req):
            return RouteFormat.change("delete", req, options: o, error: kernel.deleteRoute(req))
        case .inet6(let o, .add(let req)):
            return RouteFormat.change6("add", req, options: o, error: kernel.addRoute6(req))
        case .inet6(let o, .change(let req)):
            return RouteFormat.change6("change", req, options: o, error: kernel.changeRoute6(req))
        case .inet6(let o, .delete(let req)):
            return RouteFormat.change6("delete", req, options: o, error: kernel.deleteRoute6(req))
        case .inet6(_, .get(let a, let zone)):
            switch kernel.getRoute6(a, scope: kernel.scope(zone, a)) {
            case .success(let r): return RouteFormat.get(r)
            case .failure(let e): return RouteFormat.socketError(e)
            }
        }
    }
}

/// arp(8). `readFile` reads `arp -f`'s file (a host file, not the kernel's).
public enum ArpTool {
    public static func run(_ args: [String], kernel: some AdminKernel, readFile: (String) -> String?) -> ToolOutput {
        ArpCommand.parse(args).run { run($0, kernel: kernel, readFile: readFile) }
    }

    public static func run(_ cmd: ArpCommand, kernel: some AdminKernel, readFile: (String) -> String?) -> ToolOutput {
        switch cmd {
        case .showAll:
            switch kernel.arpEntries() {
            case .success(let l): return ArpFormat.all(l)
            case .failure(let e): return .errx("arp", "sysctl: \(e.strerror)")
            }
        case .show(let a, let text, _):
            let l = (try? kernel.arpEntries().get()) ?? []
            return ArpFormat.show(l.first { $0.address == a }, address: a, hostText: text)
        case .delete(let a, _):
            return kernel.deleteArp(a).map(ArpFormat.deleteFailed) ?? .success
        case .deleteAll:
            var out = ToolOutput()
            for e in (try? kernel.arpEntries().get()) ?? [] {
                if let err = kernel.deleteArp(e.address) { out.append(ArpFormat.deleteFailed(err)) }
            }
            return out
        case .set(let req):
            return set(req, kernel)
        case .file(let path):
            guard let text = readFile(path) else { return .errx("arp", "cannot open \(path): No such file or directory") }
            // Each line holds what follows `arp -s`.
            var out = ToolOutput()
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard !words.isEmpty else { continue }
                switch ArpCommand.parse(["-s"] + words) {
                case .exit(let o): out.append(o)
                case .run(.set(let req)): out.append(set(req, kernel))
                case .run: break
                }
            }
            return out
        }
    }

    static func set(_ req: ArpSetRequest, _ kernel: some AdminKernel) -> ToolOutput {
        kernel.setArp(req.entry).map { ArpFormat.setFailed(hostText: req.hostText, $0) } ?? .success
    }
}

/// netstat(1).
public enum NetstatTool {
    public static func run(_ args: [String], kernel: some AdminKernel) -> ToolOutput {
        NetstatCommand.parse(args).run { run($0, kernel: kernel) }
    }

    public static func run(_ cmd: NetstatCommand, kernel: some AdminKernel) -> ToolOutput {
        switch cmd {
        case .routes(let numeric, let fam):
            switch kernel.routes(family: fam) {
            case .success(let l): return NetstatFormat.routes(RouteInfo.tableOrder(l), numeric: numeric, family: fam)
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
            // -f inet / -f inet6 select one section; the default is both, IPv4 first.
            var out = ToolOutput()
            let socks = kernel.sockets()
            if fam == nil || fam == .inet { out = NetstatFormat.sockets(socks, all: all) }
            guard fam == nil || fam == .inet6 else { return out }
            guard kernel.hasInet6 else {
                out.append(NetstatFormat.sysctlFailed("net.inet6.udp6.pcblist", .ENOENT))
                return out
            }
            // getnameinfo names a link-local address's zone by its interface.
            var names: [UInt32: String] = [:]
            if socks.contains(where: { s in [s.local, s.foreign].contains { if case .inet6(_, _, _, let z) = $0 { z != 0 } else { false } } }),
               case .success(let ifs) = kernel.interfaces() {
                for i in ifs { names[i.index] = i.name }
            }
            out.append(NetstatFormat.sockets6(socks, all: all, zone: { names[$0] }))
            return out
        case .mbufs:
            return .errx("netstat", "kvm error: /netbsd: Function not implemented")
        }
    }
}
