// The ifconfig inet6 side: turning IPv6 on, addresses (in6_update_ifa, in6_purgeaddr), link-local
// formation (in6_ifattach: ::1 and fe80::1 on lo0, fe80::EUI-64 on Ethernet), the routes NetBSD
// installs for them, joined groups and the Ethernet multicast filter, ND info.

extension NetStack {
    static let loopedIP6Tag = 1 << 24

    /// The netinet6 component: lo0 gets ::1/128 and fe80::1%lo0/64, every interface that is up
    /// its link-local. Once on, stays on.
    public func enableIPv6() {
        guard !ip6Enabled else { return }
        ip6Enabled = true
        for ifp in interfaces where ifp.isUsable { ip6InterfaceUp(ifp) }
    }

    func ip6If(_ ifp: NetInterface) -> IP6Interface {
        while ip6.interfaces.count <= ifp.index { ip6.interfaces.append(nil) }
        if let x = ip6.interfaces[ifp.index] { return x }
        let base: UInt32 = 30_000
        let info = NDInterfaceInfo(linkMTU: 0, maxMTU: UInt32(clamping: ifp.mtu), currentHopLimit: ip6.sysctl.hlim,
                                   baseReachableTime: base, reachableTime: 0, retransmitTimer: 1000,
                                   flags: ND6_IFF.PERFORMNUD | ND6_IFF.ACCEPT_RTADV
                                       | (ip6.sysctl.autoLinkLocal ? ND6_IFF.AUTO_LINKLOCAL : 0))
        let x = IP6Interface(info: info, reachableMs: computeReachable(UInt64(base)))
        ip6.interfaces[ifp.index] = x
        return x
    }

    @inline(__always)
    func ip6IfIfPresent(_ index: Int) -> IP6Interface? {
        index < ip6.interfaces.count ? ip6.interfaces[index] : nil
    }

    /// ND_COMPUTE_RTIME: base × a random factor in [0.5, 1.5), in ms.
    func computeReachable(_ base: UInt64) -> UInt64 {
        (base * (512 + random64() % 1024)) >> 10
    }

    // MARK: interface events

    /// in6_ifattach / in6_if_up: form the link-local (once), join the all-nodes groups, restart
    /// DAD on addresses that need it.
    func ip6InterfaceUp(_ ifp: NetInterface) {
        let x = ip6If(ifp)
        if ifp.linkType == .loopback {
            guard !x.attached, ifp.index == loopbackIndex else { return }
            x.attached = true
            joinGroup(ifp, IPv6Address(0xff01, 0, 0, 0, 0, 0, 0, 1))
            joinGroup(ifp, .linkLocalAllNodes)
            try? addAddress6(name: ifp.name, .loopback, prefixLength: 128)
            try? addAddress6(name: ifp.name, IPv6Address(0xfe80, 0, 0, 0, 0, 0, 0, 1), prefixLength: 64)
            // ff01::/32 and ff02::/32 towards ::1, as NetBSD's in6_ifattach_loopback leaves them.
            let gw = Route6.Gateway.address(.loopback, scopeID: 0)
            for g: UInt16 in [0xff01, 0xff02] {
                try? ip6.routes.insert(R6(destination: IPv6Address(g, 0, 0, 0, 0, 0, 0, 0).embeddingScope(UInt16(ifp.index)),
                                          prefixLength: 32, gateway: gw, ifIndex: ifp.index, flags: [.up, .cloning],
                                          mtu: ifp.mtu, localAddress: .loopback))
            }
            return
        }
        guard ifp.linkType == .ethernet else { return }
        if !x.attached {
            x.attached = true
            joinGroup(ifp, IPv6Address(0xff01, 0, 0, 0, 0, 0, 0, 1))
            joinGroup(ifp, .linkLocalAllNodes)
            for g: UInt16 in [0xff01, 0xff02] {
                try? ip6.routes.insert(R6(destination: IPv6Address(g, 0, 0, 0, 0, 0, 0, 0).embeddingScope(UInt16(ifp.index)),
                                          prefixLength: 32, gateway: .link(ifp.index), ifIndex: ifp.index,
                                          flags: [.up, .cloning], mtu: 0, localAddress: .any))
            }
            if x.info.flags & ND6_IFF.AUTO_LINKLOCAL != 0 {
                let ll = IPv6Address.linkLocal(interfaceID: IPv6Address.interfaceID(mac: ifp.linkAddress.value))
                try? addAddress6(name: ifp.name, ll, prefixLength: 64, dadDelay: true)
            }
        } else {
            // Back up: every address is probed again (in6_if_up).
            for a in x.addresses where a.flags & (IN6_IFF.NODAD | IN6_IFF.ANYCAST) == 0 {
                startDAD(ifp, a.address, delay: true)
            }
            for (g, _) in x.groups { mldReport(ifp, g) }
        }
    }

    /// in6_if_down: the neighbour cache of the interface goes.
    func ip6InterfaceDown(_ ifp: NetInterface) {
        for k in ip6.neighbors.keys where k.ifIndex == Int32(ifp.index) { nd6Remove(k) }
    }

    /// The interface is being destroyed: its addresses, routes, groups and neighbours go.
    func ip6Detach(_ ifp: NetInterface) {
        guard let x = ip6IfIfPresent(ifp.index) else { return }
        for a in x.addresses { try? deleteAddress6(name: ifp.name, a.address.withoutEmbeddedScope) }
        for r in ip6.routes.all where r.ifIndex == ifp.index || r.gateway == .link(ifp.index) {
            _ = try? ip6.routes.remove(r.destination, prefixLength: r.prefixLength)
        }
        for (_, g) in x.groups { timers.cancel(g.timer) }
        ip6InterfaceDown(ifp)
        ip6.routers.removeAll { $0.ifIndex == ifp.index }
        ip6.prefixes.removeAll { $0.ifIndex == ifp.index }
        ip6.interfaces[ifp.index] = nil
    }

    // MARK: addresses

    /// SIOCAIFADDR_IN6 (in6_update_ifa): adds or updates an address (see docs/stack.md, IPv6).
    public func addAddress6(name: String, _ address: IPv6Address, prefixLength: Int = 64, flags: UInt32 = 0,
                            validLifetime: UInt32? = nil, preferredLifetime: UInt32? = nil) throws(Errno) {
        try addAddress6(name: name, address, prefixLength: prefixLength, flags: flags, validLifetime: validLifetime,
                        preferredLifetime: preferredLifetime, dadDelay: false)
    }

    func addAddress6(name: String, _ address: IPv6Address, prefixLength: Int, flags: UInt32 = 0,
                     validLifetime: UInt32? = nil, preferredLifetime: UInt32? = nil, dadDelay: Bool) throws(Errno) {
        guard ip6Enabled else { throw .EAFNOSUPPORT }
        let ifp = try require(name)
        guard (0...128).contains(prefixLength) else { throw .EINVAL }
        guard !address.isUnspecified, !address.isMulticast, !address.isV4Mapped else { throw .EINVAL }
        if address.isLinkLocal && prefixLength != 64 { throw .EINVAL }
        if address.isLoopback && ifp.linkType != .loopback { throw .EINVAL }
        if let v = validLifetime, let p = preferredLifetime, p > v { throw .EINVAL }
        let a = address.withoutEmbeddedScope.embeddingScope(UInt16(ifp.index))
        if let owner = ip6.local[a], owner != ifp.index { throw .EEXIST }
        // Bring the interface up first, as SIOCINITIFADDR does; that forms the link-local.
        if !ifp.isUsable { try setUp(name: name, true) }
        let x = ip6If(ifp)
        let t = clock.now
        var f = flags & (IN6_IFF.ANYCAST | IN6_IFF.NODAD | IN6_IFF.AUTOCONF | IN6_IFF.TEMPORARY | IN6_IFF.DEPRECATED)
        let probes = ifp.linkType == .ethernet && f & (IN6_IFF.NODAD | IN6_IFF.ANYCAST) == 0 && ip6.sysctl.dadCount > 0
        if let i = x.addresses.firstIndex(where: { $0.address == a }) {
            // An update: new prefix length and lifetimes; DAD state kept.
            removeAddress6Routes(ifp, x.addresses[i])
            x.addresses[i].prefixLength = prefixLength
            x.addresses[i].flags = x.addresses[i].flags & (IN6_IFF.TENTATIVE | IN6_IFF.DUPLICATED) | f
            setLifetimes(&x.addresses[i], valid: validLifetime, preferred: preferredLifetime, now: t, ifIndex: ifp.index)
            addAddress6Routes(ifp, x.addresses[i])
            return
        }
        if probes { f |= IN6_IFF.TENTATIVE }
        var ia = IP6IfAddr(address: a, prefixLength: prefixLength, flags: f)
        setLifetimes(&ia, valid: validLifetime, preferred: preferredLifetime, now: t, ifIndex: ifp.index)
        x.addresses.append(ia)
        ip6.local[a] = ifp.index
        addAddress6Routes(ifp, ia)
        if ifp.linkType == .ethernet {
            // The permanent entry `ndp -a` lists for our own address.
            nd6Store(ND6Key(ifIndex: Int32(ifp.index), address: a),
                     ND6Entry(state: .reachable, mac: ifp.linkAddress, permanent: true, serial: ip6.nextSerial()))
            joinGroup(ifp, a.withoutEmbeddedScope.solicitedNodeMulticast)
        }
        if probes { startDAD(ifp, a, delay: dadDelay) }
    }

    private func setLifetimes(_ ia: inout IP6IfAddr, valid: UInt32?, preferred: UInt32?, now t: UInt64, ifIndex: Int) {
        let inf: UInt32 = 0xFFFF_FFFF
        ia.validLifetime = valid == inf ? nil : valid
        ia.preferredLifetime = preferred == inf ? nil : preferred
        ia.validExpires = ia.validLifetime.map { t &+ UInt64($0) * 1_000_000_000 }
        ia.preferredExpires = ia.preferredLifetime.map { t &+ UInt64($0) * 1_000_000_000 }
        if ia.preferredLifetime == 0 { ia.flags |= IN6_IFF.DEPRECATED }
        if let d = [ia.validExpires, ia.preferredExpires].compactMap({ $0 }).min() {
            _ = timers.schedule(.ip6(.addressLifetime(ifIndex: ifIndex, address: ia.address)), at: d)
        }
    }

    /// SIOCDIFADDR_IN6: EADDRNOTAVAIL when the interface does not have it.
    public func deleteAddress6(name: String, _ address: IPv6Address) throws(Errno) {
        guard ip6Enabled else { throw .EAFNOSUPPORT }
        let ifp = try require(name)
        let a = address.withoutEmbeddedScope.embeddingScope(UInt16(ifp.index))
        guard let x = ip6IfIfPresent(ifp.index), let i = x.addresses.firstIndex(where: { $0.address == a }) else {
            throw .EADDRNOTAVAIL
        }
        let ia = x.addresses.remove(at: i)
        timers.cancel(ia.dadTimer)
        ip6.local[a] = nil
        removeAddress6Routes(ifp, ia)
        nd6Remove(ND6Key(ifIndex: Int32(ifp.index), address: a))
        if ifp.linkType == .ethernet { leaveGroup(ifp, a.withoutEmbeddedScope.solicitedNodeMulticast) }
    }

    /// ifconfig's order: as added (the link-local, formed at up, comes first).
    public func addresses6(name: String) throws(Errno) -> [IPv6InterfaceAddress] {
        let ifp = try require(name)
        guard let x = ip6IfIfPresent(ifp.index) else { return [] }
        return x.addresses.map { a in
            IPv6InterfaceAddress(address: a.address.withoutEmbeddedScope, prefixLength: a.prefixLength, flags: a.flags,
                                 scopeID: a.address.needsScope ? UInt32(ifp.index) : 0,
                                 validLifetime: a.validLifetime, preferredLifetime: a.preferredLifetime,
                                 validExpires: a.validExpires, preferredExpires: a.preferredExpires)
        }
    }

    /// The prefix route (in6_addprefix) and the local host route (in6_ifaddlocal), as NetBSD
    /// shows them in h-ipv6.txt.
    func addAddress6Routes(_ ifp: NetInterface, _ ia: IP6IfAddr) {
        let lo = loopbackIndex
        if ifp.linkType == .loopback {
            if ia.prefixLength == 128 {
                try? ip6.routes.insert(R6(destination: ia.address, prefixLength: 128, gateway: .address(ia.address, scopeID: 0),
                                          ifIndex: ifp.index, flags: [.up, .host], mtu: ifp.mtu, localAddress: ia.address))
                return
            }
            try? ip6.routes.insert(R6(destination: ia.address, prefixLength: ia.prefixLength,
                                      gateway: .address(ia.address, scopeID: UInt32(ifp.index)), ifIndex: ifp.index,
                                      flags: [.up], mtu: 0, localAddress: ia.address))
            try? ip6.routes.insert(R6(destination: ia.address, prefixLength: 128, gateway: .link(ifp.index), ifIndex: ifp.index,
                                      flags: [.up, .host, .local], mtu: 0, localAddress: ia.address))
            return
        }
        if ia.prefixLength < 128 {
            // Several addresses in one prefix share the first one's route.
            try? ip6.routes.insert(R6(destination: ia.address, prefixLength: ia.prefixLength, gateway: .link(ifp.index),
                                      ifIndex: ifp.index, flags: [.up, .cloning], mtu: 0, localAddress: ia.address))
        }
        try? ip6.routes.insert(R6(destination: ia.address, prefixLength: 128, gateway: .link(ifp.index), ifIndex: lo,
                                  flags: [.up, .host, .local], mtu: 0, localAddress: ia.address))
    }

    func removeAddress6Routes(_ ifp: NetInterface, _ ia: IP6IfAddr) {
        if let r = ip6.routes.exact(ia.address, prefixLength: 128), r.localAddress == ia.address {
            _ = try? ip6.routes.remove(ia.address, prefixLength: 128)
        }
        guard ia.prefixLength < 128 else { return }
        if let r = ip6.routes.exact(ia.address, prefixLength: ia.prefixLength), r.localAddress == ia.address,
           !r.flags.contains(.gateway) {
            _ = try? ip6.routes.remove(ia.address, prefixLength: ia.prefixLength)
            // Hand the prefix to another address in it, if one is left.
            if let x = ip6IfIfPresent(ifp.index),
               let o = x.addresses.first(where: { $0.address != ia.address && $0.prefixLength == ia.prefixLength
                   && $0.address.hasPrefix(ia.address, length: ia.prefixLength) }) {
                addAddress6Routes(ifp, o)
            }
        }
    }

    /// The usable address of ours `a` (embedded) belongs to, if any.
    @inline(__always)
    func localAddress6(_ a: IPv6Address) -> (ifIndex: Int, addr: IP6IfAddr)? {
        guard let i = ip6.local[a], let x = ip6IfIfPresent(i), let ia = x.addresses.first(where: { $0.address == a }) else {
            return nil
        }
        return (i, ia)
    }

    // MARK: groups

    /// in6_addmulti: refcounted; a new group joins the Ethernet filter and is reported (MLD).
    func joinGroup(_ ifp: NetInterface, _ group: IPv6Address) {
        let x = ip6If(ifp)
        let g = group.embeddingScope(UInt16(ifp.index))
        if x.groups[g] != nil { x.groups[g]!.refs += 1; return }
        x.groups[g] = IP6Group()
        let mac = MACAddress(group.multicastMAC)
        x.multicastMACs[mac, default: 0] += 1
        mldStartListening(ifp, g)
    }

    func leaveGroup(_ ifp: NetInterface, _ group: IPv6Address) {
        guard let x = ip6IfIfPresent(ifp.index) else { return }
        let g = group.embeddingScope(UInt16(ifp.index))
        guard var e = x.groups[g] else { return }
        e.refs -= 1
        if e.refs > 0 { x.groups[g] = e; return }
        timers.cancel(e.timer)
        x.groups[g] = nil
        let mac = MACAddress(group.multicastMAC)
        if let n = x.multicastMACs[mac] { x.multicastMACs[mac] = n > 1 ? n - 1 : nil }
        if e.lastReporter { mldDone(ifp, g) }
    }

    /// The groups `ifp` has joined (no embedded scope), sorted.
    public func joinedGroups6(name: String) throws(Errno) -> [IPv6Address] {
        let ifp = try require(name)
        return (ip6IfIfPresent(ifp.index)?.groups.keys.map(\.withoutEmbeddedScope) ?? []).sorted()
    }

    /// The Ethernet multicast filter (ether_multi) IPv6 put on `ifp`: 33:33:… addresses.
    public func multicastFilter(name: String) throws(Errno) -> [MACAddress] {
        let ifp = try require(name)
        return (ip6IfIfPresent(ifp.index)?.multicastMACs.keys.map { $0 } ?? []).sorted { $0.value < $1.value }
    }

    // MARK: ND info

    public func ndInfo(name: String) throws(Errno) -> NDInterfaceInfo {
        let ifp = try require(name)
        guard ip6Enabled else { throw .EAFNOSUPPORT }
        var i = ip6If(ifp).info
        i.maxMTU = UInt32(clamping: ifp.mtu)
        return i
    }

    /// ndp -i IF [-]nud ...: sets ND6_IFF_* (the other fields are the kernel's).
    public func setNDFlags(name: String, _ flags: UInt32) throws(Errno) {
        let ifp = try require(name)
        guard ip6Enabled else { throw .EAFNOSUPPORT }
        ip6If(ifp).info.flags = flags
    }

    /// ndp -I: none (NetBSD's default).
    public var defaultInterface6: Int? { nil }
}
