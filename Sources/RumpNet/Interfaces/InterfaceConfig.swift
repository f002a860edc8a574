// The ifconfig side of the stack: clone/destroy, linkstr, up/down, mtu, addresses. Errors are
// the errno values NetBSD's ioctls return for the same requests.

extension NetStack {
    /// Cloner families `ifconfig -C` lists: the registered kinds, in registration order.
    public var clonerFamilies: [String] { kinds.map(\.family) }

    /// Registers an interface kind (a component's cloner); one of the same family is replaced.
    public func register(_ kind: InterfaceKind) {
        if let i = kinds.firstIndex(where: { $0.family == kind.family }) { kinds[i] = kind } else { kinds.append(kind) }
    }

    public var interfaces: [NetInterface] { interfaceSlots.compactMap { $0 } }

    public func interface(named name: String) -> NetInterface? {
        interfaceSlots.first { $0?.name == name } ?? nil
    }

    func require(_ name: String) throws(Errno) -> NetInterface {
        guard let ifp = interface(named: name) else { throw .ENXIO }
        return ifp
    }

    private static func splitName(_ name: String) -> (String, Int)? {
        guard let i = name.firstIndex(where: { $0.isNumber }), let unit = Int(name[i...]), unit >= 0, unit < 32768,
              String(unit) == name[i...] else { return nil }
        return (String(name[..<i]), unit)
    }

    private func nextIndex() -> Int {
        // NetBSD reuses the lowest free if_index.
        if let i = interfaceSlots.indices.dropFirst().first(where: { interfaceSlots[$0] == nil }) { return i }
        interfaceSlots.append(nil)
        return interfaceSlots.count - 1
    }

    /// SIOCIFCREATE: "lo1", "shmif0", "virt0": made by the registered kind of that family.
    /// EEXIST if present, EINVAL for an unknown family, the kind's errno when it cannot make one.
    @discardableResult
    public func createInterface(name: String) throws(Errno) -> NetInterface {
        guard interface(named: name) == nil else { throw .EEXIST }
        guard let (family, unit) = NetStack.splitName(name), let kind = kinds.first(where: { $0.family == family }) else {
            throw .EINVAL
        }
        let idx = nextIndex()
        let made = try kind.make(InterfaceRequest(name: name, unit: unit, index: idx, random: random64(), clock: clock))
        let ifp = NetInterface(name: name, index: idx, flags: kind.flags, mtu: kind.mtu, maxMTU: kind.maxMTU,
                               linkAddress: made.linkAddress, linkType: kind.linkType, device: made.device,
                               cloneFamily: family, destroyable: kind.destroyable(name))
        ifp.busyWhileUp = kind.busyWhileUp
        interfaceSlots[idx] = ifp
        installDevice(made.device, on: ifp)
        return ifp
    }

    /// Attaches an Ethernet interface over any device (an in-memory link in tests). The MAC is
    /// b2:a0 plus four random bytes unless given.
    @discardableResult
    public func attachInterface(name: String, driver device: NetDevice, mac: MACAddress? = nil, mtu: Int = 1500) throws(Errno) -> NetInterface {
        guard interface(named: name) == nil else { throw .EEXIST }
        let idx = nextIndex()
        let lladdr = mac ?? MACAddress(0xB2A0 << 32 | (random64() & 0xFFFF_FFFF))
        let ifp = NetInterface(name: name, index: idx, flags: [.broadcast, .simplex, .multicast], mtu: mtu, maxMTU: 1500,
                               linkAddress: lladdr, linkType: .ethernet, device: device, cloneFamily: "",
                               destroyable: true)
        interfaceSlots[idx] = ifp
        installDevice(device, on: ifp)
        return ifp
    }

    /// SIOCIFDESTROY. ENXIO if absent, EPERM for lo0, EBUSY for an up interface of a kind that
    /// says so (virt).
    public func destroyInterface(name: String) throws(Errno) {
        let ifp = try require(name)
        guard ifp.destroyable else { throw .EPERM }
        guard !(ifp.busyWhileUp && ifp.flags.contains(.up)) else { throw .EBUSY }
        if ifp.flags.contains(.up) { try? setUp(name: name, false) }
        for a in ifp.addresses { removeAddressRoutes(ifp, a) }
        if ip6Enabled { ip6Detach(ifp) }
        for r in routes.all where r.ifIndex == ifp.index { _ = try? routes.remove(r.destination, prefixLength: r.prefixLength) }
        arpFlush(ifIndex: ifp.index)
        ifp.outQueue?.removeAll()
        ifp.device.detach()
        interfaceSlots[ifp.index] = nil
        devicesWithDeadlines.removeAll { $0 == ifp.index }
    }

    /// SIOCSLINKSTR. EBUSY while up or when a link is set; ENXIO unknown interface.
    public func setLinkString(name: String, _ link: String) throws(Errno) {
        let ifp = try require(name)
        guard !ifp.flags.contains(.up) else { throw .EBUSY }
        try ifp.device.setLinkString(link)
    }

    /// SIOCSLINKSTR with IFLINKSTR_UNSET.
    public func clearLinkString(name: String) throws(Errno) {
        let ifp = try require(name)
        guard !ifp.flags.contains(.up) else { throw .EBUSY }
        try ifp.device.clearLinkString()
    }

    /// SIOCGLINKSTR: ENOENT when none.
    public func linkString(name: String) throws(Errno) -> String {
        let ifp = try require(name)
        guard let s = ifp.device.linkString else { throw .ENOENT }
        return s
    }

    /// SIOCSIFFLAGS up/down. As in NetBSD, IFF_UP stays set when the driver's init fails.
    public func setUp(name: String, _ up: Bool) throws(Errno) {
        let ifp = try require(name)
        if up {
            ifp.flags.insert(.up)
            if !ifp.flags.contains(.running) {
                try ifp.device.start()
                ifp.flags.insert(.running)
                for i in ifp.addresses.indices { ifp.addresses[i].detached = false }
                for a in ifp.addresses { announce(ifp, a.address) }
                if ip6Enabled { ip6InterfaceUp(ifp) }
            }
        } else {
            guard ifp.flags.contains(.up) else { return }
            ifp.flags.remove([.up, .running])
            flushInterface(ifp)
            ifp.device.stop()
            for i in ifp.addresses.indices { ifp.addresses[i].detached = true }
            arpFlush(ifIndex: ifp.index)
            if ip6Enabled { ip6InterfaceDown(ifp) }
        }
    }

    /// SIOCSIFMTU: EINVAL outside 576...9000 for Ethernet (shmif refuses jumbo), 576...65535 on lo.
    public func setMTU(name: String, _ mtu: Int) throws(Errno) {
        let ifp = try require(name)
        guard mtu >= 68, mtu <= ifp.maxMTU else { throw .EINVAL }
        ifp.mtu = mtu
    }

    /// SIOCSIFFLAGS promisc.
    public func setPromiscuous(name: String, _ on: Bool) throws(Errno) {
        let ifp = try require(name)
        if on { ifp.flags.insert(.promisc) } else { ifp.flags.remove(.promisc) }
    }

    /// SIOCAIFADDR: adds (or updates) an address. A missing netmask takes the classful default,
    /// a missing broadcast the subnet's. Brings the interface up first, as NetBSD's in_ifinit does:
    /// ENXIO (with IFF_UP left set) when the driver cannot start.
    public func addAddress(name: String, _ address: IPv4Address, netmask: UInt32? = nil,
                           broadcast: IPv4Address? = nil) throws(Errno) {
        let ifp = try require(name)
        let mask = netmask ?? address.classfulMask
        guard IPv4Address.prefixLength(mask: mask) != nil else { throw .EINVAL }
        guard !address.isAny, !address.isMulticast, !address.isBroadcast else { throw .EINVAL }
        let bcast = broadcast ?? IPv4Address(address.value | ~mask)
        if !ifp.flags.contains(.running) || !ifp.flags.contains(.up) { try setUp(name: name, true) }
        if let i = ifp.addresses.firstIndex(where: { $0.address == address }) {
            removeAddressRoutes(ifp, ifp.addresses[i])
            ifp.addresses.remove(at: i)
        }
        // Another interface already owns it: EEXIST (NetBSD refuses duplicate local routes).
        if interfaces.contains(where: { $0 !== ifp && $0.hasAddress(address) }) { throw .EEXIST }
        let ia = InterfaceAddress(address: address, netmask: mask, broadcast: bcast)
        ifp.addresses.append(ia)
        addAddressRoutes(ifp, ia)
        announce(ifp, address)
    }

    /// SIOCDIFADDR: EADDRNOTAVAIL when the interface does not have it.
    public func deleteAddress(name: String, _ address: IPv4Address) throws(Errno) {
        let ifp = try require(name)
        guard let i = ifp.addresses.firstIndex(where: { $0.address == address }) else { throw .EADDRNOTAVAIL }
        let ia = ifp.addresses.remove(at: i)
        removeAddressRoutes(ifp, ia)
    }

    /// The connected (net) route and the local host route of an address (in_addprefix, in_ifaddlocal).
    func addAddressRoutes(_ ifp: NetInterface, _ ia: InterfaceAddress) {
        let lo = loopbackIndex == 0 ? ifp.index : loopbackIndex
        if ifp.linkType == .loopback {
            try? routes.insert(Route(destination: ia.address, prefixLength: 32, gateway: .link(ifp.index), ifIndex: ifp.index,
                                     flags: [.up, .host, .local], localAddress: ia.address, mtu: ifp.mtu))
            return
        }
        if ia.netmask != 0xFFFF_FFFF {
            // Several addresses in one subnet share the first one's route.
            try? routes.insert(Route(destination: IPv4Address(ia.network), prefixLength: ia.prefixLength,
                                     gateway: .link(ifp.index), ifIndex: ifp.index, flags: [.up, .cloning],
                                     localAddress: ia.address))
        }
        try? routes.insert(Route(destination: ia.address, prefixLength: 32, gateway: .link(ifp.index), ifIndex: lo,
                                 flags: [.up, .host, .local], localAddress: ia.address))
    }

    func removeAddressRoutes(_ ifp: NetInterface, _ ia: InterfaceAddress) {
        _ = try? routes.remove(ia.address, prefixLength: 32)
        guard ifp.linkType != .loopback, ia.netmask != 0xFFFF_FFFF else { return }
        if let r = routes.exact(IPv4Address(ia.network), prefixLength: ia.prefixLength),
           r.flags.contains(.cloning), r.localAddress == ia.address {
            _ = try? routes.remove(IPv4Address(ia.network), prefixLength: ia.prefixLength)
            // Hand the subnet to another address in it, if one is left.
            for other in interfaces {
                if let o = other.addresses.first(where: { $0.address != ia.address && $0.network == ia.network && $0.netmask == ia.netmask }) {
                    addAddressRoutes(other, o)
                    break
                }
            }
        }
    }
}
