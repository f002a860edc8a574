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

    init(shmif: Bool = true, inet: Bool = true) {
        cloners = shmif ? ["lo", "shmif", "carp"] : ["lo", "carp"]
        hasInet = inet
        var lo = InterfaceInfo(name: "lo0", index: nextIndex, flags: IFF.UP | IFF.LOOPBACK | IFF.RUNNING | IFF.MULTICAST, mtu: 33624)
        if inet { lo.addresses = [.inet(.loopback, netmask: InAddr(0xff00_0000))] }
        interfaces.append(lo)
        nextIndex += 1
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
            let m = mask ?? a.classfulMask
            let b = bcast ?? InAddr(a.value | ~m.value)
            let entry = InterfaceAddressInfo.inet(a, netmask: m, broadcast: ifp.flags & IFF.BROADCAST != 0 ? b : nil)
            let inet = ifp.addresses.indices.filter { ifp.addresses[$0].address.family == .inet }
            if let k = ifp.addresses.firstIndex(where: { $0.address == .inet(a) }) {
                ifp.addresses[k] = entry
            } else if !alias, let first = inet.first {
                ifp.addresses[first] = entry
            } else {
                ifp.addresses.append(entry)
            }
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

func mac(_ s: String) -> [UInt8] { LinkAddress.parseEthernet(s)! }
