import NetAdmin

/// A kernel double that keeps interfaces, routes and ARP entries the way NetBSD's does, and
/// wires each utility the way the real mains will (parse → kernel calls → format). Replaying a
/// transcript through it checks parser and formatter together against NetBSD's text.
final class FakeKernel {
    var interfaces: [InterfaceInfo] = []
    var cloners: [String]
    var hasInet: Bool
    var hasInet6 = false
    /// Link addresses to give interfaces as they are created (the recorded ones).
    var macs: [String: [UInt8]] = [:]
    var nextIndex: UInt32 = 1
    var routes: [RouteInfo] = []
    var arp: [ArpInfo] = []

    init(shmif: Bool = true, inet: Bool = true) {
        cloners = shmif ? ["lo", "shmif", "carp"] : ["lo", "carp"]
        hasInet = inet
        var lo = InterfaceInfo(name: "lo0", index: nextIndex, flags: IFF.UP | IFF.LOOPBACK | IFF.RUNNING | IFF.MULTICAST, mtu: 33624)
        if inet { lo.addresses = [.inet(.loopback, netmask: IPv4Address(0xff00_0000))] }
        interfaces.append(lo)
        nextIndex += 1
        if inet {
            routes.append(RouteInfo(destination: .inet(.loopback), netmask: nil, gateway: .link(index: 1, name: "lo0", address: []),
                                    flags: RTF.UP | RTF.HOST | RTF.LOCAL, mtu: 33624, interface: "lo0"))
        }
    }

    func index(_ name: String) -> Int? { interfaces.firstIndex { $0.name == name } }

    // MARK: ifconfig

    func ifconfig(_ args: [String]) -> ToolOutput {
        let cmd: IfconfigCommand
        switch IfconfigCommand.parse(args) {
        case .exit(let o): return o
        case .run(let c): cmd = c
        }
        switch cmd {
        case .noArguments:
            return IfconfigFormat.noArguments
        case .listCloners:
            return IfconfigFormat.cloners(cloners)
        case .listNames(let up, let down):
            return IfconfigFormat.names(interfaces, upOnly: up, downOnly: down)
        case .waitDAD:
            return .success
        case .statusAll(let o, let fam):
            guard hasInet else { return IfconfigFormat.socketFailed(.status) }
            return IfconfigFormat.statusAll(interfaces, options: o, family: fam)
        case .status(let name, let o, let fam):
            guard hasInet else { return IfconfigFormat.socketFailed(.status) }
            guard let i = index(name) else { return IfconfigFormat.statusFailed(name, .ENXIO) }
            return IfconfigFormat.show(interfaces[i], options: o, family: fam)
        case .linkStatus(let name):
            guard let i = index(name) else { return IfconfigFormat.statusFailed(name, .ENXIO) }
            return IfconfigFormat.linkStatus(interfaces[i])
        case .configure(let name, let fam, let ops):
            if fam == .inet6 && !hasInet6 { return IfconfigFormat.socketFailed(.address) }
            if !hasInet {
                let setsAddress = ops.contains { if case .setAddress = $0 { return true }; return false }
                return IfconfigFormat.socketFailed(setsAddress ? .address : .other)
            }
            var out = ToolOutput()
            for op in ops {
                if let e = apply(op, name) {
                    let isCreate = op == .create || op == .destroy
                    out.append(index(name) == nil && !isCreate ? IfconfigFormat.noSuchInterface(e)
                                                               : IfconfigFormat.operationFailed(op, e))
                    if out.status != 0 { return out }
                }
            }
            return out
        }
    }

    /// One operation; the errno the kernel would return.
    func apply(_ op: IfconfigOperation, _ name: String) -> NetBSDErrno? {
        if case .create = op {
            guard index(name) == nil else { return .EEXIST }
            let unit = String(name.drop(while: { !$0.isNumber }))
            let cloner = String(name.prefix(name.count - unit.count))
            guard cloners.contains(cloner), !unit.isEmpty else { return .EINVAL }
            var ifp: InterfaceInfo
            if cloner == "lo" {
                ifp = InterfaceInfo(name: name, index: nextIndex, flags: IFF.LOOPBACK | IFF.RUNNING | IFF.MULTICAST, mtu: 33624)
            } else {
                ifp = InterfaceInfo(name: name, index: nextIndex, flags: IFF.BROADCAST | IFF.SIMPLEX | IFF.MULTICAST,
                                    mtu: 1500, linkAddress: macs[name] ?? [0xb2, 0xa0, 0, 0, 0, UInt8(nextIndex)])
            }
            nextIndex += 1
            interfaces.append(ifp)
            return nil
        }
        guard let i = index(name) else { return .ENXIO }
        var ifp = interfaces[i]
        defer { if index(name) != nil { interfaces[i] = ifp } }
        let isShmif = name.hasPrefix("shmif")
        func bringUp() -> NetBSDErrno? {
            ifp.flags |= IFF.UP
            if isShmif && ifp.linkstr == nil { return .ENXIO }
            ifp.flags |= IFF.RUNNING
            for k in ifp.addresses.indices { ifp.addresses[k].flags &= ~IN_IFF.DETACHED }
            return nil
        }
        switch op {
        case .create:
            return nil
        case .destroy:
            if name == "lo0" { return .EPERM }
            interfaces.remove(at: i)
            return nil
        case .up:
            return bringUp()
        case .down:
            ifp.flags &= ~(IFF.UP | IFF.RUNNING)
            for k in ifp.addresses.indices { ifp.addresses[k].flags |= IN_IFF.DETACHED }
            return nil
        case .mtu(let m):
            guard (68...(isShmif ? 1500 : 65535)).contains(m) else { return .EINVAL }
            ifp.mtu = UInt32(m)
            return nil
        case .metric(let m):
            ifp.metric = Int32(m)
            return nil
        case .linkstr(let s):
            if ifp.flags & IFF.RUNNING != 0 { return .EBUSY }
            ifp.linkstr = s
            return nil
        case .deleteLinkstr:
            if ifp.flags & IFF.RUNNING != 0 { return .EBUSY }
            ifp.linkstr = nil
            return nil
        case .setFlags(let f):
            ifp.flags |= f
            return nil
        case .clearFlags(let f):
            ifp.flags &= ~f
            return nil
        case .setAddress(let a, let mask, let bcast, let alias):
            if let e = bringUp() { return e }
            let m = mask ?? a.networkClassMask
            let b = bcast ?? IPv4Address(a.value | ~m.value)
            let entry = InterfaceAddressInfo.inet(a, netmask: m, broadcast: ifp.flags & IFF.BROADCAST != 0 ? b : nil)
            let inet = ifp.addresses.indices.filter { ifp.addresses[$0].address.family == .inet }
            if let k = ifp.addresses.firstIndex(where: { $0.address == .inet(a) }) {
                ifp.addresses[k] = entry
            } else if !alias, let first = inet.first {
                ifp.addresses[first] = entry
            } else {
                ifp.addresses.append(entry)
            }
            routes.removeAll { $0.destination == .inet(a) || ($0.netmask == .inet(m) && $0.destination == .inet(IPv4Address(a.value & m.value))) }
            routes.append(RouteInfo(destination: .inet(IPv4Address(a.value & m.value)), netmask: .inet(m),
                                    gateway: .link(index: ifp.index, name: "", address: []), flags: RTF.UP | RTF.CONNECTED, interface: name))
            routes.append(RouteInfo(destination: .inet(a), netmask: nil, gateway: .link(index: ifp.index, name: "", address: []),
                                    flags: RTF.UP | RTF.HOST | RTF.LOCAL, interface: "lo0"))
            if isShmif {
                // The gratuitous ARP request that announces the address.
                ifp.counters.opackets += 1
                ifp.counters.obytes += 42
            }
            return nil
        case .deleteAddress(let a):
            guard let k = ifp.addresses.firstIndex(where: { $0.address == .inet(a) }) else { return .EADDRNOTAVAIL }
            ifp.addresses.remove(at: k)
            return nil
        case .setAddress6, .deleteAddress6:
            return .EAFNOSUPPORT
        }
    }
}

func mac(_ s: String) -> [UInt8] { MACAddress(s)!.bytes }

extension FakeKernel {
    // MARK: route

    func route(_ args: [String]) -> ToolOutput {
        let cmd: RouteCommand
        switch RouteCommand.parse(args) {
        case .exit(let o): return o
        case .run(let c): cmd = c
        }
        switch cmd {
        case .show(let o, let fam):
            return RouteFormat.show(sortedRoutes, options: o, family: fam)
        case .monitor:
            return .success
        case .flush(let o, _):
            let gone = sortedRoutes.filter { $0.flags & RTF.GATEWAY != 0 }
            routes.removeAll { $0.flags & RTF.GATEWAY != 0 }
            return RouteFormat.flush(gone, options: o)
        case .get(let o, let a):
            guard let r = lookup(a) else { return RouteFormat.socketError(.ESRCH) }
            let ifp = interfaces.first { $0.name == r.interface }
            let ifa = ifp?.addresses.first { $0.address.family == .inet }?.address
            let reply = RouteGetReply(routeTo: .inet(a), destination: r.destination, netmask: r.netmask,
                                      gateway: r.gateway, localAddress: ifa, interface: r.interface, flags: r.flags | RTF.DONE)
            guard o.verbose else { return RouteFormat.get(reply) }
            return RouteFormat.getVerbose(reply, ifp: ifp.map { .link(index: $0.index, name: $0.name, address: $0.linkAddress ?? []) })
        case .add(let o, let req):
            return RouteFormat.change("add", req, options: o, error: addRoute(req))
        case .change(let o, let req):
            guard let i = find(req) else { return RouteFormat.change("change", req, options: o, error: .ESRCH) }
            if let gw = req.gateway { routes[i].gateway = .inet(gw) }
            return RouteFormat.change("change", req, options: o)
        case .delete(let o, let req):
            guard let i = find(req) else { return RouteFormat.change("delete", req, options: o, error: .ESRCH) }
            routes.remove(at: i)
            return RouteFormat.change("delete", req, options: o)
        }
    }

    var sortedRoutes: [RouteInfo] { routes.sorted(by: RouteInfo.radixOrder) }

    func find(_ req: RouteRequest) -> Int? {
        routes.firstIndex { $0.destination == .inet(req.destination) && $0.netmask == req.netmask.map { .inet($0) } }
    }

    func lookup(_ a: IPv4Address) -> RouteInfo? {
        routes.filter { r in
            guard let d = r.destination.ipv4 else { return false }
            let m = r.netmask?.ipv4?.value ?? 0xffff_ffff
            return a.value & m == d.value
        }.max { ($0.netmask?.ipv4?.prefixLength ?? 32) < ($1.netmask?.ipv4?.prefixLength ?? 32) }
    }

    func addRoute(_ req: RouteRequest) -> NetBSDErrno? {
        guard let gw = req.gateway, let via = lookup(gw), via.flags & RTF.GATEWAY == 0 else { return .ENETUNREACH }
        if find(req) != nil { return .EEXIST }
        routes.append(RouteInfo(destination: .inet(req.destination), netmask: req.netmask.map { .inet($0) },
                                gateway: .inet(gw), flags: req.flags, interface: via.interface))
        return nil
    }

    // MARK: netstat

    func netstat(_ args: [String]) -> ToolOutput {
        let cmd: NetstatCommand
        switch NetstatCommand.parse(args) {
        case .exit(let o): return o
        case .run(let c): cmd = c
        }
        switch cmd {
        case .routes(let numeric, let fam):
            return NetstatFormat.routes(sortedRoutes, numeric: numeric, family: fam)
        case .interfaces(let cols, let name, _, _):
            return NetstatFormat.interfaces(interfaces, columns: cols, interface: name)
        default:
            return ToolOutput(stderr: "not in the kernel double\n", status: 99)
        }
    }

    /// Runs one transcript command line against this kernel.
    func run(_ e: TranscriptEntry) -> ToolOutput {
        switch e.utility {
        case "ifconfig": return ifconfig(e.arguments)
        case "route": return route(e.arguments)
        case "netstat": return netstat(e.arguments)
        default: return ToolOutput(stderr: "no \(e.utility) in the kernel double\n", status: 99)
        }
    }
}

extension FakeKernel {
    // MARK: arp

    func arpCommand(_ args: [String]) -> ToolOutput {
        let cmd: ArpCommand
        switch ArpCommand.parse(args) {
        case .exit(let o): return o
        case .run(let c): cmd = c
        }
        switch cmd {
        case .showAll:
            return ArpFormat.all(arp)
        case .show(let a, let text, _):
            return ArpFormat.show(arp.first { $0.address == a }, address: a, hostText: text)
        case .delete(let a, _):
            guard let i = arp.firstIndex(where: { $0.address == a }) else { return ArpFormat.deleteFailed(.ENOENT) }
            arp.remove(at: i)
            return .success
        case .deleteAll:
            arp.removeAll()
            return .success
        case .set(let req):
            guard let via = lookup(req.address), via.flags & RTF.CONNECTED != 0 else {
                return ArpFormat.setFailed(hostText: req.hostText, .ESRCH)
            }
            arp.removeAll { $0.address == req.address }
            arp.append(ArpInfo(address: req.address, linkAddress: req.linkAddress, interface: via.interface,
                               expire: req.temporary ? 1200 : nil, published: req.published))
            return .success
        case .file:
            return .success
        }
    }
}
