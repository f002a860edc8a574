import NetAdmin

/// A kernel double that keeps interfaces, routes and ARP entries the way NetBSD's does. The
/// utilities' own dispatch (NetAdmin's IfconfigTool, RouteTool, ArpTool, NetstatTool: parse →
/// kernel calls → format, the code the real executables run) runs against it, so replaying a
/// transcript checks parser, dispatch and formatter together against NetBSD's text.
final class FakeKernel: AdminKernel {
    /// The interface list (NetBSD's ifnet), in creation order.
    var ifnet: [InterfaceInfo] = []
    var cloners: [String]
    var hasInet: Bool
    var hasInet6 = false
    /// Link addresses to give interfaces as they are created (the recorded ones).
    var macs: [String: [UInt8]] = [:]
    var nextIndex: UInt32 = 1
    var routes: [RouteInfo] = []
    var arp: [ArpInfo] = []
    /// What netstat's socket list shows (the tests put sockets here).
    var socketTable: [SocketEntry] = []

    init(shmif: Bool = true, inet: Bool = true) {
        cloners = shmif ? ["lo", "shmif", "carp"] : ["lo", "carp"]
        hasInet = inet
        var lo = InterfaceInfo(name: "lo0", index: nextIndex, flags: IFF.UP | IFF.LOOPBACK | IFF.RUNNING | IFF.MULTICAST, mtu: 33624)
        if inet { lo.addresses = [.inet(.loopback, netmask: IPv4Address(0xff00_0000))] }
        ifnet.append(lo)
        nextIndex += 1
        if inet {
            routes.append(RouteInfo(destination: .inet(.loopback), netmask: nil, gateway: .link(index: 1, name: "lo0", address: []),
                                    flags: RTF.UP | RTF.HOST | RTF.LOCAL, mtu: 33624, interface: "lo0"))
        }
    }

    func index(_ name: String) -> Int? { ifnet.firstIndex { $0.name == name } }

    // MARK: ifconfig

    func ifconfig(_ args: [String]) -> ToolOutput { IfconfigTool.run(args, kernel: self) }

    func interfaceCloners() -> [String]? { cloners }
    func interfaces() -> Result<[InterfaceInfo], NetBSDErrno> { .success(ifnet) }
    func interface(_ name: String) -> Result<InterfaceInfo, NetBSDErrno> {
        index(name).map { .success(ifnet[$0]) } ?? .failure(.ENXIO)
    }
    func createInterface(_ name: String) -> NetBSDErrno? { apply(.create, name) }
    func destroyInterface(_ name: String) -> NetBSDErrno? { apply(.destroy, name) }
    func setInterfaceFlags(_ name: String, set: UInt32, clear: UInt32) -> NetBSDErrno? {
        if set & IFF.UP != 0, let e = apply(.up, name) { return e }
        if set & ~IFF.UP != 0, let e = apply(.setFlags(set & ~IFF.UP), name) { return e }
        if clear & IFF.UP != 0, let e = apply(.down, name) { return e }
        if clear & ~IFF.UP != 0 { return apply(.clearFlags(clear & ~IFF.UP), name) }
        return nil
    }
    func setMTU(_ name: String, _ mtu: Int) -> NetBSDErrno? { apply(.mtu(mtu), name) }
    func setMetric(_ name: String, _ metric: Int) -> NetBSDErrno? { apply(.metric(metric), name) }
    func setLinkstr(_ name: String, _ linkstr: String?) -> NetBSDErrno? { apply(linkstr.map { .linkstr($0) } ?? .deleteLinkstr, name) }
    func addAddress(_ name: String, _ address: InterfaceAddress, alias: Bool) -> NetBSDErrno? {
        if case .inet6 = address.address { return addAddress6(name, address) }
        guard case .inet(let a, _) = address.address else { return .EAFNOSUPPORT }
        // A netmask of 0.0.0.0 asks for the classful one.
        let mask = address.netmask.ipv4.flatMap { $0 == .any ? nil : $0 }
        return apply(.setAddress(a, netmask: mask, broadcast: address.broadcast?.ipv4, alias: alias), name)
    }
    func deleteAddress(_ name: String, _ address: SocketAddress) -> NetBSDErrno? {
        if case .inet6 = address { return deleteAddress6(name, address) }
        guard case .inet(let a, _) = address else { return .EAFNOSUPPORT }
        return apply(.deleteAddress(a), name)
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
            ifnet.append(ifp)
            return nil
        }
        guard let i = index(name) else { return .ENXIO }
        var ifp = ifnet[i]
        defer { if index(name) != nil { ifnet[i] = ifp } }
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
            ifnet.remove(at: i)
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

    func route(_ args: [String]) -> ToolOutput { RouteTool.run(args, kernel: self) }

    func routes(family: AddressFamily?) -> Result<[RouteInfo], NetBSDErrno> { .success(routes) }

    func flushRoutes(family: AddressFamily?) -> Result<[RouteInfo], NetBSDErrno> {
        let gone = routes.filter { $0.flags & RTF.GATEWAY != 0 }
        routes.removeAll { $0.flags & RTF.GATEWAY != 0 }
        return .success(gone)
    }

    func getRoute(_ a: IPv4Address) -> Result<RouteGetReply, NetBSDErrno> {
        guard let r = lookup(a) else { return .failure(.ESRCH) }
        let ifp = ifnet.first { $0.name == r.interface }
        let ifa = ifp?.addresses.first { $0.address.family == .inet }?.address
        return .success(RouteGetReply(routeTo: .inet(a), destination: r.destination, netmask: r.netmask,
                                      gateway: r.gateway, localAddress: ifa, interface: r.interface, flags: r.flags | RTF.DONE))
    }

    func changeRoute(_ req: RouteRequest) -> NetBSDErrno? {
        guard let i = find(req) else { return .ESRCH }
        if let gw = req.gateway { routes[i].gateway = .inet(gw) }
        return nil
    }

    func deleteRoute(_ req: RouteRequest) -> NetBSDErrno? {
        guard let i = find(req) else { return .ESRCH }
        routes.remove(at: i)
        return nil
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

    func netstat(_ args: [String]) -> ToolOutput { NetstatTool.run(args, kernel: self) }

    /// The double keeps no counters; its socket list is what a test puts there.
    func statistics() -> KernelStatistics? { nil }
    func sockets() -> [SocketEntry] { socketTable }

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

    /// arp(8); no `arp -f` file exists here.
    func arpCommand(_ args: [String]) -> ToolOutput { ArpTool.run(args, kernel: self, readFile: { _ in nil }) }

    func arpEntries() -> Result<[ArpInfo], NetBSDErrno> { .success(arp) }

    func deleteArp(_ a: IPv4Address) -> NetBSDErrno? {
        guard let i = arp.firstIndex(where: { $0.address == a }) else { return .ENOENT }
        arp.remove(at: i)
        return nil
    }

    func setArp(_ entry: ArpInfo) -> NetBSDErrno? {
        guard let via = lookup(entry.address), via.flags & RTF.CONNECTED != 0 else { return .ESRCH }
        arp.removeAll { $0.address == entry.address }
        arp.append(ArpInfo(address: entry.address, linkAddress: entry.linkAddress, interface: via.interface,
                           expire: entry.isPermanent ? nil : 1200, published: entry.published))
        return nil
    }
}
