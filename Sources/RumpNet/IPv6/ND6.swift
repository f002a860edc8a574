// Neighbor Discovery (RFC 4861) as NetBSD's nd6.c / nd6_nbr.c / nd6_rtr.c do it: the neighbour
// cache states INCOMPLETE, REACHABLE, STALE, DELAY, PROBE with their timers on the stack's queue,
// NS/NA with link-layer options, a bounded hold queue, NUD to unreachable; DAD (RFC 4862) with
// net.inet6.ip6.dad_count probes; RAs (prefix list, default routers) when
// net.inet6.ip6.accept_rtadv is 1.

extension NetStack {
    static let ndGCTime: UInt64 = 86_400_000_000_000  // nd6_gctimer: a STALE entry lives a day

    // MARK: cache

    func nd6Store(_ key: ND6Key, _ entry: ND6Entry) {
        var e = entry
        if let old = ip6.neighbors[key] {
            if e.timer.isNone { e.timer = old.timer }
            if e.serial == 0 { e.serial = old.serial }
        }
        if e.serial == 0 { e.serial = ip6.nextSerial() }
        e.timer = timers.set(e.timer, .ip6(.neighbor(key)), at: e.permanent ? nil : e.expires)
        nd6Set(key, e)
    }

    /// Writes an entry, keeping the count of held datagrams (all entries together) true.
    func nd6Set(_ key: ND6Key, _ e: ND6Entry) {
        ip6.heldPackets += e.hold.count - (ip6.neighbors[key]?.hold.count ?? 0)
        ip6.neighbors[key] = e
    }

    func nd6Remove(_ key: ND6Key) {
        if let e = ip6.neighbors.removeValue(forKey: key) {
            timers.cancel(e.timer)
            ip6.heldPackets -= e.hold.count
        }
    }

    func ms(_ v: UInt64) -> UInt64 { v * 1_000_000 }

    /// nd6_resolve: the MAC for `nexthop` (embedded) on `ifp`, or nil when held (or dropped)
    /// while resolving.
    func nd6Resolve(_ ifp: NetInterface, nexthop: IPv6Address, packet: UnsafeRawBufferPointer) -> Result<MACAddress, Errno>? {
        let key = ND6Key(ifIndex: Int32(ifp.index), address: nexthop)
        let t = clock.now
        let x = ip6If(ifp)
        if var e = ip6.neighbors[key] {
            switch e.state {
            case .reachable, .delay, .probe:
                return .success(e.mac)
            case .stale:
                // First use of a stale entry: DELAY, then probe unless traffic confirms it.
                e.state = .delay
                e.expires = t &+ ip6.sysctl.ndDelay * 1_000_000_000
                nd6Store(key, e)
                return .success(e.mac)
            case .incomplete, .noState, .waitDelete, .unreachable, .purge:  // the last three: never set here
                if e.hold.count >= IP6State.maxHold || ip6.heldPackets >= IP6State.maxHeldTotal {
                    guard !e.hold.isEmpty else { ip6Stats.odropped &+= 1; return .failure(.ENOBUFS) }
                    e.hold.removeFirst()
                    ip6Stats.odropped &+= 1
                }
                e.hold.append(Array(packet))
                nd6Set(key, e)
                return nil
            }
        }
        guard ip6.neighbors.count < IP6State.maxNeighbors else { return .failure(.ENOBUFS) }
        var e = ND6Entry(state: .incomplete)
        if ip6.heldPackets < IP6State.maxHeldTotal { e.hold = [Array(packet)] } else { ip6Stats.odropped &+= 1 }
        e.asked = 1
        e.expires = t &+ ms(UInt64(x.info.retransmitTimer))
        nd6Store(key, e)
        nd6SendNS(ifp, target: nexthop, unicastTo: nil, dad: false)
        return nil
    }

    /// The entry's timer fired (nd6_llinfo_timer).
    func nd6Timer(_ key: ND6Key, now t: UInt64) {
        guard var e = ip6.neighbors[key], let ifp = interface(index: Int(key.ifIndex)) else { return }
        e.timer = .none
        if t < e.expires { nd6Store(key, e); return }
        let x = ip6If(ifp)
        switch e.state {
        case .incomplete, .noState, .waitDelete, .unreachable, .purge:
            if e.asked < ip6.sysctl.ndMMaxTries {
                e.asked += 1
                e.expires = t &+ ms(UInt64(x.info.retransmitTimer))
                nd6Store(key, e)
                nd6SendNS(ifp, target: key.address, unicastTo: nil, dad: false)
            } else {
                // Unreachable: the held datagrams' senders hear address unreachable.
                nd6Remove(key)
                for p in e.hold.suffix(1) {
                    p.withUnsafeBytes { w in
                        icmp6Error(w, ifp: ifp, type: ICMPv6Type.destinationUnreachable,
                                   code: ICMPv6Code.addressUnreachable, param: 0, linkMulticast: false)
                    }
                }
                ip6Stats.odropped &+= UInt64(e.hold.count)
            }
        case .reachable:
            e.state = .stale
            e.expires = t &+ NetStack.ndGCTime
            nd6Store(key, e)
        case .stale:
            nd6Remove(key)
        case .delay:
            e.state = .probe
            e.asked = 1
            e.expires = t &+ ms(UInt64(x.info.retransmitTimer))
            nd6Store(key, e)
            nd6SendNS(ifp, target: key.address, unicastTo: e.mac, dad: false)
        case .probe:
            if e.asked < ip6.sysctl.ndUMaxTries {
                e.asked += 1
                e.expires = t &+ ms(UInt64(x.info.retransmitTimer))
                nd6Store(key, e)
                nd6SendNS(ifp, target: key.address, unicastTo: e.mac, dad: false)
            } else {
                nd6Remove(key)  // NUD failed: the neighbour is unreachable
            }
        }
    }

    /// nd6_cache_lladdr: what an NS, RS, RA or redirect with a source link-layer option teaches.
    func nd6CacheLinkAddress(_ ifp: NetInterface, _ a: IPv6Address, _ mac: MACAddress, isRouter: Bool? = nil) {
        let key = ND6Key(ifIndex: Int32(ifp.index), address: a)
        if var e = ip6.neighbors[key] {
            if e.permanent { return }
            let changed = e.mac != mac
            if e.state == .incomplete || e.state == .noState || changed {
                let held = e.hold
                e.hold = []
                e.mac = mac
                e.state = .stale
                e.expires = clock.now &+ NetStack.ndGCTime
                if let r = isRouter { e.isRouter = r }
                nd6Store(key, e)
                for p in held { sendHeld6(ifp, p, mac: mac) }
            } else if let r = isRouter {
                e.isRouter = r
                nd6Set(key, e)
            }
            return
        }
        guard ip6.neighbors.count < IP6State.maxNeighbors else { return }
        nd6Store(key, ND6Entry(state: .stale, mac: mac, isRouter: isRouter ?? false, expires: clock.now &+ NetStack.ndGCTime))
    }

    func sendHeld6(_ ifp: NetInterface, _ pkt: [UInt8], mac: MACAddress) {
        let h = NetStack.headroom
        pkt.withUnsafeBytes { src in
            UnsafeMutableRawBufferPointer(rebasing: holdBuf[h..<(h + src.count)]).copyMemory(from: src)
        }
        etherSend(ifp, holdBuf, length: pkt.count, dst: mac, type: EtherType.ipv6)
    }

    // MARK: output

    /// nd6_ns_output: to the target's solicited-node group (or unicast to `unicastTo` for NUD),
    /// from a usable address of the interface with our link-layer address, or from :: without
    /// one for DAD.
    func nd6SendNS(_ ifp: NetInterface, target: IPv6Address, unicastTo: MACAddress?, dad: Bool) {
        guard ifp.isUsable, ifp.linkType == .ethernet else { return }
        let t = target.withoutEmbeddedScope
        let dst = unicastTo == nil ? t.solicitedNodeMulticast : t
        var src = IPv6Address.any
        if !dad {
            // The source: the one the held packet came from would do; NetBSD prefers an address
            // of the interface in the target's prefix, else the link-local.
            let x = ip6If(ifp)
            let usable = x.addresses.filter(\.isUsable)
            src = (usable.first { t.hasPrefix($0.address.withoutEmbeddedScope, length: $0.prefixLength) && !$0.address.needsScope }
                   ?? usable.first { $0.address.isLinkLocal } ?? usable.first)?.address.withoutEmbeddedScope ?? .any
            if src.isUnspecified { return }  // no usable address yet
        }
        var o = NDOptions()
        if !dad { o.sourceLinkAddress = ifp.linkAddress }
        nd6Send(ifp, .neighborSolicit(target: t, options: o), src: src, dst: dst,
                mac: unicastTo ?? MACAddress(dst.multicastMAC))
    }

    /// nd6_na_output.
    func nd6SendNA(_ ifp: NetInterface, target: IPv6Address, to dst: IPv6Address, mac: MACAddress?, solicited: Bool,
                   override: Bool) {
        let t = target.withoutEmbeddedScope
        guard let src = (try? selectSource6(dst.needsScope ? dst.embeddingScope(UInt16(ifp.index)) : dst))?.address else { return }
        var o = NDOptions()
        o.targetLinkAddress = ifp.linkAddress
        nd6Send(ifp, .neighborAdvert(router: ip6.sysctl.forwarding, solicited: solicited, override: override, target: t,
                                     options: o),
                src: localAddress6(t.embeddingScope(UInt16(ifp.index))) != nil ? t : src.withoutEmbeddedScope, dst: dst, mac: mac)
    }

    /// Builds an ND message in the hold buffer (hop limit 255) and sends it straight to `mac`, or
    /// through ip6_output (resolving `dst`) without one.
    func nd6Send(_ ifp: NetInterface, _ msg: NDMessage, src: IPv6Address, dst: IPv6Address, mac: MACAddress?) {
        let h = NetStack.headroom
        let p = UnsafeMutableRawBufferPointer(rebasing: holdBuf[(h + 40)..<(h + 40 + 256)])
        let n = msg.emit(p, src: src, dst: dst)
        let ip = UnsafeMutableRawBufferPointer(rebasing: holdBuf[h..<(h + 40)])
        IPv6Emitter.emit(ip, payloadLength: n, nextHeader: IPv6NextHeader.icmpv6, hopLimit: 255, src: src, dst: dst)
        icmp6Stats.outhist[Int(p.u8(0))] &+= 1
        guard let mac else {
            _ = ip6Output(holdBuf, length: 40 + n, zone: dst.needsScope ? ifp.index : 0, loop: false)
            return
        }
        ip6Stats.localout &+= 1
        etherSend(ifp, holdBuf, length: 40 + n, dst: mac, type: EtherType.ipv6)
    }

    // MARK: input

    /// nd6_ns_input, nd6_na_input, nd6_rs_input, nd6_ra_input, icmp6_redirect_input.
    func nd6Input(_ m: UnsafeRawBufferPointer, ifp: NetInterface, esrc: IPv6Address, edst: IPv6Address, hopLimit: UInt8) {
        guard ifp.linkType == .ethernet else { return }
        let msg: NDMessage
        do {
            msg = try NDMessage.parse(m)
        } catch {
            if case .badOptions(.tooMany) = error { icmp6Stats.nd_toomanyopt &+= 1 }
            if case .badOptions = error { icmp6Stats.nd_badopt &+= 1 }
            countBadND(m.u8(0))
            return
        }
        // RFC 4861 7.1: hop limit 255 (nobody off-link sent it).
        guard hopLimit == 255 else { countBadND(m.u8(0)); return }
        switch msg {
        case .neighborSolicit(let target, let o):
            nd6NSInput(ifp, target: target, options: o, esrc: esrc, edst: edst)
        case .neighborAdvert(let r, let s, let ov, let target, let o):
            nd6NAInput(ifp, router: r, solicited: s, override: ov, target: target, options: o, edst: edst)
        case .routerAdvert(let hl, let mf, let of, let life, let reach, let retrans, let o):
            guard esrc.isLinkLocal else { icmp6Stats.badra &+= 1; return }
            nd6RAInput(ifp, esrc: esrc, curHopLimit: hl, flags: (mf ? 0x80 : 0) | (of ? 0x40 : 0), lifetime: life,
                       reachable: reach, retrans: retrans, options: o)
        case .routerSolicit(let o):
            // A host ignores RSs (we do not advertise); the sender is still learned.
            if !esrc.isUnspecified, let mac = o.sourceLinkAddress { nd6CacheLinkAddress(ifp, esrc, mac) }
        case .redirect(let target, let destination, let o):
            guard esrc.isLinkLocal, ip6.sysctl.redirAccept, !ip6.sysctl.forwarding else { icmp6Stats.badredirect &+= 1; return }
            let t = target.needsScope ? target.embeddingScope(UInt16(ifp.index)) : target
            let d = destination.needsScope ? destination.embeddingScope(UInt16(ifp.index)) : destination
            // Only from the current first hop for that destination.
            guard let r = ip6.routes.lookup(d), case .address(let gw, _) = r.gateway, gw == esrc, !d.isMulticast else {
                icmp6Stats.badredirect &+= 1
                return
            }
            if let mac = o.targetLinkAddress { nd6CacheLinkAddress(ifp, t, mac, isRouter: t != d) }
            // A better router: a host route through it; the destination itself on the link: a
            // host route straight onto the link (KAME's on-link redirect makes a neighbour entry,
            // which its routing table holds as one).
            if let old = ip6.routes.exact(d, prefixLength: 128), !old.flags.contains(.dynamic) { return }
            _ = try? ip6.routes.remove(d, prefixLength: 128)
            try? ip6.routes.insert(R6(destination: d, prefixLength: 128, gateway: t != d ? .address(t, scopeID: 0) : .link(ifp.index),
                                      ifIndex: ifp.index, flags: t != d ? [.up, .gateway, .host, .dynamic] : [.up, .host, .dynamic],
                                      mtu: 0, localAddress: r.localAddress))
        }
    }

    private func countBadND(_ type: UInt8) {
        switch type {
        case ICMPv6Type.neighborSolicit: icmp6Stats.badns &+= 1
        case ICMPv6Type.neighborAdvert: icmp6Stats.badna &+= 1
        case ICMPv6Type.routerSolicit: icmp6Stats.badrs &+= 1
        case ICMPv6Type.routerAdvert: icmp6Stats.badra &+= 1
        default: icmp6Stats.badredirect &+= 1
        }
    }

    func nd6NSInput(_ ifp: NetInterface, target: IPv6Address, options o: NDOptions, esrc: IPv6Address, edst: IPv6Address) {
        guard !target.isMulticast else { icmp6Stats.badns &+= 1; return }
        let dad = esrc.isUnspecified
        // DAD probes go to the solicited-node group and carry no source link-layer option.
        if dad && (!edst.withoutEmbeddedScope.isSolicitedNode || o.sourceLinkAddress != nil) { icmp6Stats.badns &+= 1; return }
        let et = target.needsScope ? target.embeddingScope(UInt16(ifp.index)) : target
        guard let owner = ip6.local[et], owner == ifp.index, let x = ip6IfIfPresent(owner),
              let i = x.addresses.firstIndex(where: { $0.address == et }) else { return }  // not for us
        let ia = x.addresses[i]
        if ia.flags & IN6_IFF.TENTATIVE != 0 {
            // Someone else probes the address we probe: a duplicate (RFC 4862 5.4.3). An NS from
            // a unicast source for a tentative address is not answered.
            if dad { dadDuplicated(ifp, et) }
            return
        }
        if dad {
            // Answer a DAD probe for an address we hold, to all nodes.
            nd6SendNA(ifp, target: target, to: .linkLocalAllNodes, mac: MACAddress(IPv6Address.linkLocalAllNodes.multicastMAC),
                      solicited: false, override: ia.flags & IN6_IFF.ANYCAST == 0)
            return
        }
        if let mac = o.sourceLinkAddress { nd6CacheLinkAddress(ifp, esrc, mac) }
        // Without a source link-layer option (a unicast NUD probe) the answer goes out like any
        // datagram: through the neighbour cache, resolving the asker when it must.
        var mac: MACAddress? = o.sourceLinkAddress
        if mac == nil, let e = ip6.neighbors[ND6Key(ifIndex: Int32(ifp.index), address: esrc)],
           e.state != .incomplete && e.state != .noState { mac = e.mac }
        nd6SendNA(ifp, target: target, to: esrc.withoutEmbeddedScope, mac: mac, solicited: true,
                  override: ia.flags & IN6_IFF.ANYCAST == 0)
    }

    func nd6NAInput(_ ifp: NetInterface, router: Bool, solicited: Bool, override: Bool, target: IPv6Address,
                    options o: NDOptions, edst: IPv6Address) {
        guard !target.isMulticast, !(solicited && edst.isMulticast) else { icmp6Stats.badna &+= 1; return }
        let et = target.needsScope ? target.embeddingScope(UInt16(ifp.index)) : target
        if let owner = ip6.local[et], let x = ip6IfIfPresent(owner), let ia = x.addresses.first(where: { $0.address == et }) {
            if ia.flags & IN6_IFF.TENTATIVE != 0 {
                dadDuplicated(interface(index: owner) ?? ifp, et)
            } else if let mac = o.targetLinkAddress, mac != ifp.linkAddress {
                log?("nd6_na_input: duplicate IP6 address \(target)")
            }
            return
        }
        let key = ND6Key(ifIndex: Int32(ifp.index), address: et)
        guard var e = ip6.neighbors[key], !e.permanent else { return }
        let t = clock.now
        let x = ip6If(ifp)
        if e.state == .incomplete || e.state == .noState {
            guard let mac = o.targetLinkAddress else { return }
            e.mac = mac
            if solicited {
                e.state = .reachable
                e.expires = t &+ ms(x.reachableMs)
            } else {
                e.state = .stale
                e.expires = t &+ NetStack.ndGCTime
            }
            e.isRouter = router
            let held = e.hold
            e.hold = []
            e.asked = 0
            nd6Store(key, e)
            for p in held { sendHeld6(ifp, p, mac: mac) }
            return
        }
        let changed = o.targetLinkAddress.map { $0 != e.mac } ?? false
        if !override && changed {
            // A different address without override: only a reachable entry gets suspicious.
            if e.state == .reachable { e.state = .stale; e.expires = t &+ NetStack.ndGCTime; nd6Store(key, e) }
            return
        }
        if let mac = o.targetLinkAddress { e.mac = mac }
        if solicited {
            e.state = .reachable
            e.expires = t &+ ms(x.reachableMs)
            e.asked = 0
        } else if changed {
            e.state = .stale
            e.expires = t &+ NetStack.ndGCTime
        }
        if e.isRouter && !router {
            // No longer a router: drop it from the default router list.
            ip6.routers.removeAll { $0.ifIndex == ifp.index && $0.address == et }
            updateDefaultRoute6()
        }
        e.isRouter = router
        nd6Store(key, e)
    }

    // MARK: DAD (RFC 4862 5.4)

    func startDAD(_ ifp: NetInterface, _ a: IPv6Address, delay: Bool) {
        guard let x = ip6IfIfPresent(ifp.index), let i = x.addresses.firstIndex(where: { $0.address == a }) else { return }
        let n = ip6.sysctl.dadCount
        guard n > 0, ifp.linkType == .ethernet else { x.addresses[i].flags &= ~IN6_IFF.TENTATIVE; return }
        x.addresses[i].flags |= IN6_IFF.TENTATIVE
        x.addresses[i].flags &= ~IN6_IFF.DUPLICATED
        x.addresses[i].dadLeft = n
        // The first probe after a random delay of up to MAX_RTR_SOLICITATION_DELAY (1 s) when
        // the interface just came up (RFC 4862 5.4.2), at once for an address set by hand.
        let wait: UInt64 = delay ? random64() % 1_000_000_000 : 0
        x.addresses[i].dadTimer = timers.set(x.addresses[i].dadTimer, .ip6(.dad(ifIndex: ifp.index, address: a)),
                                             at: clock.now &+ wait)
    }

    func dadTimer(ifIndex: Int, address a: IPv6Address) {
        guard let ifp = interface(index: ifIndex), let x = ip6IfIfPresent(ifIndex),
              let i = x.addresses.firstIndex(where: { $0.address == a }),
              x.addresses[i].flags & IN6_IFF.TENTATIVE != 0 else { return }
        x.addresses[i].dadTimer = .none
        if x.addresses[i].dadLeft > 0 {
            x.addresses[i].dadLeft -= 1
            nd6SendNS(ifp, target: a, unicastTo: nil, dad: true)
            x.addresses[i].dadTimer = timers.schedule(.ip6(.dad(ifIndex: ifIndex, address: a)),
                                                      at: clock.now &+ ms(UInt64(x.info.retransmitTimer)))
            return
        }
        // RetransTimer after the last probe with no answer: the address is ours.
        x.addresses[i].flags &= ~IN6_IFF.TENTATIVE
        log?("\(ifp.name): DAD complete for \(a.withoutEmbeddedScope) - no duplicates found")
    }

    /// nd6_dad_duplicated: the address is marked duplicated and never used.
    func dadDuplicated(_ ifp: NetInterface, _ a: IPv6Address) {
        guard let x = ip6IfIfPresent(ifp.index), let i = x.addresses.firstIndex(where: { $0.address == a }) else { return }
        timers.cancel(x.addresses[i].dadTimer)
        x.addresses[i].dadTimer = .none
        x.addresses[i].flags &= ~IN6_IFF.TENTATIVE
        x.addresses[i].flags |= IN6_IFF.DUPLICATED
        log?("\(ifp.name): DAD detected duplicate IPv6 address \(a.withoutEmbeddedScope): NS in/out=1/1, NA in=0")
        log?("\(ifp.name): DAD complete for \(a.withoutEmbeddedScope) - duplicate found")
        log?("\(ifp.name): manual intervention required")
        // RFC 4862 5.4.5: a duplicate of the link-local made from our MAC means the hardware
        // address is taken: IPv6 on the interface stops (ND6_IFF_IFDISABLED), as NetBSD does.
        if a.isLinkLocal, a.low == IPv6Address.interfaceID(mac: ifp.linkAddress.value) {
            x.info.flags |= ND6_IFF.IFDISABLED
            log?("\(ifp.name): possible hardware address duplication detected, disable IPv6")
        }
    }

    // MARK: router advertisements (RFC 4861 6.3.4, RFC 4862 5.5.3)

    func nd6RAInput(_ ifp: NetInterface, esrc: IPv6Address, curHopLimit: UInt8, flags: UInt8, lifetime: UInt16,
                    reachable: UInt32, retrans: UInt32, options o: NDOptions) {
        let x = ip6If(ifp)
        guard ip6.sysctl.acceptRtadv, x.info.flags & ND6_IFF.ACCEPT_RTADV != 0, !ip6.sysctl.forwarding else { return }
        let t = clock.now
        if curHopLimit != 0 { x.info.currentHopLimit = curHopLimit }
        if reachable != 0, reachable != x.info.baseReachableTime, reachable <= 3_600_000 {
            x.info.baseReachableTime = reachable
            x.reachableMs = computeReachable(UInt64(reachable))
        }
        if retrans != 0 { x.info.retransmitTimer = retrans }
        if let m = o.mtu, m >= 1280, Int(m) <= ifp.mtu { x.info.linkMTU = m }
        if let mac = o.sourceLinkAddress { nd6CacheLinkAddress(ifp, esrc, mac, isRouter: true) }
        // The default router list.
        if let i = ip6.routers.firstIndex(where: { $0.ifIndex == ifp.index && $0.address == esrc }) {
            timers.cancel(ip6.routers[i].timer)
            if lifetime == 0 { ip6.routers.remove(at: i) } else {
                ip6.routers[i].lifetime = lifetime
                ip6.routers[i].flags = flags
                ip6.routers[i].expires = t &+ UInt64(lifetime) * 1_000_000_000
                ip6.routers[i].timer = timers.schedule(.ip6(.defaultRouter(ifIndex: ifp.index, address: esrc)),
                                                       at: ip6.routers[i].expires)
            }
        } else if lifetime > 0, ip6.routers.count < 64 {
            var r = DefaultRouter(ifIndex: ifp.index, address: esrc, flags: flags, lifetime: lifetime,
                                  expires: t &+ UInt64(lifetime) * 1_000_000_000)
            r.timer = timers.schedule(.ip6(.defaultRouter(ifIndex: ifp.index, address: esrc)), at: r.expires)
            ip6.routers.append(r)
        }
        updateDefaultRoute6()
        for pi in o.prefixes { prefixInput(ifp, pi, router: esrc) }
    }

    /// prelist_update: on-link prefixes get a route, autonomous ones an address (SLAAC).
    func prefixInput(_ ifp: NetInterface, _ pi: NDPrefixInformation, router: IPv6Address) {
        guard !pi.prefix.isLinkLocal, !pi.prefix.isMulticast, (1...128).contains(pi.prefixLength),
              pi.preferredLifetime <= pi.validLifetime else { return }
        let t = clock.now
        let p = pi.prefix.masked(prefixLength: pi.prefixLength)
        let inf: UInt32 = 0xFFFF_FFFF
        let exp: UInt64? = pi.validLifetime == inf ? nil : t &+ UInt64(pi.validLifetime) * 1_000_000_000
        if let i = ip6.prefixes.firstIndex(where: { $0.ifIndex == ifp.index && $0.prefix == p && $0.length == pi.prefixLength }) {
            ip6.prefixes[i].validLifetime = pi.validLifetime == inf ? nil : pi.validLifetime
            ip6.prefixes[i].preferredLifetime = pi.preferredLifetime == inf ? nil : pi.preferredLifetime
            ip6.prefixes[i].expires = exp
            if !ip6.prefixes[i].routers.contains(router) { ip6.prefixes[i].routers.append(router) }
            ip6.prefixes[i].timer = timers.set(ip6.prefixes[i].timer,
                                               .ip6(.prefix(ifIndex: ifp.index, prefix: p, length: pi.prefixLength)), at: exp)
        } else {
            guard pi.validLifetime > 0, ip6.prefixes.count < 64 else { return }
            var np = Prefix6(ifIndex: ifp.index, prefix: p, length: pi.prefixLength, onLink: pi.onLink,
                             autonomous: pi.autonomous, validLifetime: pi.validLifetime == inf ? nil : pi.validLifetime,
                             preferredLifetime: pi.preferredLifetime == inf ? nil : pi.preferredLifetime, expires: exp,
                             routers: [router], serial: ip6.nextSerial())
            np.timer = timers.set(.none, .ip6(.prefix(ifIndex: ifp.index, prefix: p, length: pi.prefixLength)), at: exp)
            ip6.prefixes.append(np)
            if pi.onLink {
                try? ip6.routes.insert(R6(destination: p, prefixLength: pi.prefixLength, gateway: .link(ifp.index),
                                          ifIndex: ifp.index, flags: [.up, .cloning], mtu: 0, localAddress: .any))
            }
        }
        // SLAAC: an EUI-64 address in a /64 autonomous prefix.
        if pi.autonomous && pi.prefixLength == 64 && pi.validLifetime > 0 {
            let a = IPv6Address(high: p.high, low: IPv6Address.interfaceID(mac: ifp.linkAddress.value))
            try? addAddress6(name: ifp.name, a, prefixLength: 64, flags: IN6_IFF.AUTOCONF,
                             validLifetime: pi.validLifetime, preferredLifetime: pi.preferredLifetime)
        }
    }

    /// defrouter_select: the first router in the list is the default route (UG, ::/0).
    func updateDefaultRoute6() {
        if let r = ip6.routes.exact(.any, prefixLength: 0), !r.flags.contains(.static) {
            _ = try? ip6.routes.remove(.any, prefixLength: 0)
        }
        guard ip6.routes.exact(.any, prefixLength: 0) == nil, let d = ip6.routers.first else { return }
        try? ip6.routes.insert(R6(destination: .any, prefixLength: 0, gateway: .address(d.address, scopeID: 0),
                                  ifIndex: d.ifIndex, flags: [.up, .gateway], mtu: 0, localAddress: .any))
    }

    // MARK: ndp(8)

    /// Seconds from now until `deadline` (clock ns), rounded up, 0 once past: the `expire` of
    /// arp's and ndp's models (the protocol carries seconds, the stack's timers clock ns).
    public func secondsFromNow(_ deadline: UInt64) -> Int64 {
        let now = clock.now
        return deadline > now ? Int64((deadline - now + 999_999_999) / 1_000_000_000) : 0
    }

    /// ndp -a: own (permanent, `expire` nil) entries and learned ones, oldest first.
    public var neighbors: [NeighborInfo] {
        ip6.neighbors.sorted { $0.value.serial < $1.value.serial }.map { k, e in
            NeighborInfo(address: k.address.withoutEmbeddedScope, interfaceIndex: UInt32(k.ifIndex),
                         interface: interface(index: Int(k.ifIndex))?.name ?? "?",
                         linkAddress: e.state == .incomplete || e.state == .noState ? nil : e.mac.bytes,
                         state: e.state, expire: e.permanent ? nil : secondsFromNow(e.expires), isRouter: e.isRouter)
        }
    }

    /// Entries in the neighbour cache (cheap: for bounds checks).
    public var neighborCount: Int { ip6.neighbors.count }
    /// Datagrams held while resolving, all entries together.
    public var heldPackets6: Int { ip6.heldPackets }

    /// ndp -d: ESRCH when no such entry.
    public func deleteNeighbor(_ address: IPv6Address, scopeID: UInt32 = 0) throws(Errno) {
        let a = try embed(address, scopeID: scopeID)
        let keys = ip6.neighbors.keys.filter { $0.address == a }
        guard !keys.isEmpty else { throw .ESRCH }
        for k in keys { nd6Remove(k) }
    }

    /// ndp -c: every entry, in `neighbors` order.
    @discardableResult
    public func flushNeighbors() -> [NeighborInfo] {
        let all = neighbors
        for k in Array(ip6.neighbors.keys) { nd6Remove(k) }
        return all
    }

    /// ndp -p: newest first, as NetBSD lists them; the interface prefixes of our addresses too.
    public var prefixes: [PrefixInfo] {
        var out: [PrefixInfo] = []
        var seen = Set<String>()
        for p in ip6.prefixes.sorted(by: { $0.serial > $1.serial }) {
            let name = interface(index: p.ifIndex)?.name ?? "?"
            seen.insert("\(p.prefix)/\(p.length)")
            out.append(PrefixInfo(prefix: p.prefix.withoutEmbeddedScope, prefixLength: p.length,
                                  interfaceIndex: UInt32(p.ifIndex), interface: name,
                                  raOnLink: p.onLink, raAutonomous: p.autonomous,
                                  onLink: ip6.routes.exact(p.prefix, prefixLength: p.length) != nil,
                                  validLifetime: p.validLifetime, preferredLifetime: p.preferredLifetime,
                                  expire: p.expires.map(secondsFromNow),
                                  references: ip6IfIfPresent(p.ifIndex)?.addresses.filter {
                                      $0.address.hasPrefix(p.prefix, length: p.length) }.count ?? 0,
                                  routers: p.routers.map {
                                      PrefixRouter(address: $0.withoutEmbeddedScope, interfaceIndex: UInt32($0.embeddedScope),
                                                   reachability: .reachable) }))
        }
        // NetBSD 7.99 keeps a prefix for each manually added address too (flags LO, or LAO for
        // link-locals), newest interface first.
        for ifp in interfaces.reversed() where ifp.linkType == .ethernet || ifp.index == loopbackIndex {
            guard let x = ip6IfIfPresent(ifp.index) else { continue }
            for a in x.addresses.reversed() where a.prefixLength < 128 && !a.address.isLoopback {
                let p = a.address.masked(prefixLength: a.prefixLength)
                guard seen.insert("\(p)/\(a.prefixLength)").inserted else { continue }
                let ll = p.isLinkLocal
                out.append(PrefixInfo(prefix: p.withoutEmbeddedScope, prefixLength: a.prefixLength,
                                      interfaceIndex: UInt32(ifp.index), interface: ifp.name, raOnLink: true,
                                      raAutonomous: ll, onLink: true, validLifetime: a.validLifetime,
                                      preferredLifetime: a.preferredLifetime, expire: a.validExpires.map(secondsFromNow),
                                      references: ll ? 0 : x.addresses.filter { $0.address.hasPrefix(p, length: a.prefixLength) }.count))
            }
        }
        return out
    }

    /// ndp -r.
    public var defaultRouters: [DefaultRouterInfo] {
        ip6.routers.map { r in
            // The RA's flags byte: M 0x80, O 0x40, preference in bits 3-4.
            DefaultRouterInfo(address: r.address.withoutEmbeddedScope, interfaceIndex: UInt32(r.address.embeddedScope),
                              interface: interface(index: r.ifIndex)?.name ?? "?", managed: r.flags & 0x80 != 0,
                              other: r.flags & 0x40 != 0, preference: r.flags >> 3 & 3, expire: secondsFromNow(r.expires))
        }
    }

    // MARK: timers

    func ip6TimerFire(_ e: IP6TimerEvent, now t: UInt64) {
        switch e {
        case .neighbor(let k): nd6Timer(k, now: t)
        case .reassembly(let k): reass6Timeout(k)
        case .dad(let i, let a): dadTimer(ifIndex: i, address: a)
        case .mldReport(let i, let g): mldTimer(ifIndex: i, group: g)
        case .addressLifetime(let i, let a): addressLifetimeTimer(ifIndex: i, address: a, now: t)
        case .defaultRouter(let i, let a):
            if let j = ip6.routers.firstIndex(where: { $0.ifIndex == i && $0.address == a }), ip6.routers[j].expires <= t {
                ip6.routers.remove(at: j)
                updateDefaultRoute6()
            }
        case .prefix(let i, let p, let l):
            if let j = ip6.prefixes.firstIndex(where: { $0.ifIndex == i && $0.prefix == p && $0.length == l }),
               let exp = ip6.prefixes[j].expires, exp <= t {
                ip6.prefixes.remove(at: j)
                if let r = ip6.routes.exact(p, prefixLength: l), !r.flags.contains(.static), r.localAddress.isUnspecified {
                    _ = try? ip6.routes.remove(p, prefixLength: l)
                }
            }
        }
    }

    func addressLifetimeTimer(ifIndex: Int, address a: IPv6Address, now t: UInt64) {
        guard let ifp = interface(index: ifIndex), let x = ip6IfIfPresent(ifIndex),
              let i = x.addresses.firstIndex(where: { $0.address == a }) else { return }
        if let v = x.addresses[i].validExpires, v <= t {
            try? deleteAddress6(name: ifp.name, a.withoutEmbeddedScope)
            return
        }
        if let p = x.addresses[i].preferredExpires, p <= t { x.addresses[i].flags |= IN6_IFF.DEPRECATED }
        if let next = [x.addresses[i].validExpires, x.addresses[i].preferredExpires].compactMap({ $0 }).filter({ $0 > t }).min() {
            _ = timers.schedule(.ip6(.addressLifetime(ifIndex: ifIndex, address: a)), at: next)
        }
    }
}

extension IPv6Address {
    /// ff02::1:ffXX:XXXX.
    var isSolicitedNode: Bool { high == 0xff02 << 48 && low >> 24 == 0x0000_0001_ff }
}
