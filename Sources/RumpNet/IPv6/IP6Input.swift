// ip6_input: validate, embed zones, hop-by-hop options, local / forward / drop, then the
// extension header chain to the upper layer (dest6_input, route6_input, frag6_input).

extension NetStack {
    /// One IPv6 datagram from `ifp` (link header removed). `linkMulticast`: it came to a link
    /// multicast address (M_MCAST). `looped`: it came back through lo0 (our own output).
    func ip6Input(_ raw: UnsafeRawBufferPointer, ifp: NetInterface, linkMulticast: Bool, looped: Bool) {
        ip6Stats.total &+= 1
        if raw.count <= 200 { ip6Stats.m1 &+= 1 } else { ip6Stats.mext1 &+= 1 }
        let ip: IPv6View
        do {
            ip = try IPv6View(raw)
        } catch {
            switch error {
            case .tooShort: ip6Stats.toosmall &+= 1
            case .badVersion: ip6Stats.badvers &+= 1
            case .badLength: ip6Stats.tooshort &+= 1
            }
            ifp.counters.ierrors &+= 1
            return
        }
        if let x = ip6IfIfPresent(ifp.index), x.info.flags & ND6_IFF.IFDISABLED != 0 { ip6Stats.cantforward &+= 1; return }
        let d = ip.bytes
        let src = ip.source, dst = ip.destination
        // Scope rules (ip6_input): no multicast or unspecified-destination, no loopback from a
        // wire, no interface-local multicast from outside, no v4-mapped, and no bits in a
        // scoped address's zone field (KAME keeps that field for the kernel).
        if src.isMulticast || dst.isUnspecified || src.isV4Mapped || dst.isV4Mapped
            || (!looped && ifp.linkType != .loopback && (src.isLoopback || dst.isLoopback || dst.multicastScope == 1))
            || (src.needsScope && src.embeddedScope != 0) || (dst.needsScope && dst.embeddedScope != 0) {
            ip6Stats.badscope &+= 1
            return
        }
        let esrc = src.needsScope ? src.embeddingScope(UInt16(ifp.index)) : src
        let edst = dst.needsScope ? dst.embeddingScope(UInt16(ifp.index)) : dst
        // Hop-by-hop options first: routers look at them too.
        var start = 40, first = ip.nextHeader, nhField = 6, routerAlert = false
        if first == IPv6NextHeader.hopByHop {
            ip6Stats.nxthist[0] &+= 1
            switch IPv6HeaderChain.hopByHop(d) {
            case .failure(let e):
                ip6ChainFailed(e, d, ifp: ifp, dstMulticast: dst.isMulticast, linkMulticast: linkMulticast)
                return
            case .success(let h):
                nhField = 40
                first = h.next
                start = h.end
                routerAlert = h.routerAlert
            }
        }
        // Ours? A joined group, or one of our addresses (any interface: the weak host model).
        if dst.isMulticast {
            guard let x = ip6IfIfPresent(ifp.index), x.groups[edst] != nil else {
                ip6Stats.notmember &+= 1
                return
            }
        } else if let owner = ip6.local[edst] {
            if let x = ip6IfIfPresent(owner), let ia = x.addresses.first(where: { $0.address == edst }), !ia.isUsable {
                // A tentative (or duplicated) address takes nothing but ND (which goes to its
                // solicited-node group, so never here).
                ip6Stats.cantforward &+= 1
                return
            }
        } else {
            ip6Forward(d, ifp: ifp, esrc: esrc, edst: edst, linkMulticast: linkMulticast)
            return
        }
        ip6Stats.delivered &+= 1
        ip6Deliver(d, first: first, offset: start, nextHeaderField: nhField, ifp: ifp, esrc: esrc, edst: edst,
                   linkMulticast: linkMulticast, routerAlert: routerAlert)
    }

    /// The rest of the chain of a datagram for us (or a reassembled one), to the upper layer.
    func ip6Deliver(_ d: UnsafeRawBufferPointer, first: UInt8, offset: Int, nextHeaderField: Int, ifp: NetInterface,
                    esrc: IPv6Address, edst: IPv6Address, linkMulticast: Bool, routerAlert: Bool) {
        let dstMulticast = edst.isMulticast
        let chain: IPv6Chain
        switch IPv6HeaderChain.walk(d, first: first, offset: offset, nextHeaderField: nextHeaderField,
                                    limit: ip6.sysctl.hdrNestLimit) {
        case .failure(let e):
            ip6ChainFailed(e, d, ifp: ifp, dstMulticast: dstMulticast, linkMulticast: linkMulticast)
            return
        case .success(let c): chain = c
        }
        for h in chain.headers where h != IPv6NextHeader.fragment { ip6Stats.nxthist[Int(h)] &+= 1 }
        if let f = chain.fragment {
            ip6Stats.nxthist[Int(IPv6NextHeader.fragment)] &+= 1
            reassemble6(d, fragment: f, ifp: ifp, esrc: esrc, edst: edst, linkMulticast: linkMulticast)
            return
        }
        let proto = chain.upperProtocol
        ip6Stats.nxthist[Int(proto)] &+= 1
        switch proto {
        case IPv6NextHeader.icmpv6:
            icmp6Input(d, offset: chain.upperOffset, ifp: ifp, esrc: esrc, edst: edst, linkMulticast: linkMulticast,
                       routerAlert: routerAlert || chain.routerAlert)
        case IPv6NextHeader.none:
            return
        case IPv6NextHeader.udp:
            // No UDP over IPv6 sockets yet: no socket can be bound, so the port is unreachable.
            icmp6Error(d, ifp: ifp, type: ICMPv6Type.destinationUnreachable, code: ICMPv6Code.portUnreachable,
                       param: 0, linkMulticast: linkMulticast)
        case IPv6NextHeader.tcp:
            return  // no TCP over IPv6 yet: dropped
        default:
            // rip6_input finds no raw socket for it: parameter problem at the next header field.
            icmp6Error(d, ifp: ifp, type: ICMPv6Type.parameterProblem, code: ICMPv6Code.unrecognizedNextHeader,
                       param: UInt32(chain.nextHeaderFieldOffset), linkMulticast: linkMulticast)
        }
    }

    /// A refused chain: counted, and answered as RFC 8200 4.2 and 4.4 say.
    func ip6ChainFailed(_ e: IPv6ChainError, _ d: UnsafeRawBufferPointer, ifp: NetInterface, dstMulticast: Bool,
                        linkMulticast: Bool) {
        switch e {
        case .truncated:
            ip6Stats.tooshort &+= 1
        case .tooManyHeaders:
            ip6Stats.toomanyhdr &+= 1
        case .optionDiscard:
            ip6Stats.badoptions &+= 1
        case .misplacedHopByHop(let p):
            icmp6Error(d, ifp: ifp, type: ICMPv6Type.parameterProblem, code: ICMPv6Code.unrecognizedNextHeader,
                       param: UInt32(p), linkMulticast: linkMulticast)
        case .unrecognizedOption(let p, let evenIfMulticast):
            ip6Stats.badoptions &+= 1
            if !evenIfMulticast && (dstMulticast || linkMulticast) { return }
            icmp6Error(d, ifp: ifp, type: ICMPv6Type.parameterProblem, code: ICMPv6Code.unrecognizedOption,
                       param: UInt32(p), linkMulticast: linkMulticast, optionException: evenIfMulticast)
        case .erroneousField(let p):
            ip6Stats.badoptions &+= 1
            icmp6Error(d, ifp: ifp, type: ICMPv6Type.parameterProblem, code: ICMPv6Code.erroneousHeader,
                       param: UInt32(p), linkMulticast: linkMulticast)
        }
    }

    // MARK: forwarding

    /// ip6_forward: hop limit, scope, route, MTU (no fragmenting on the way: packet too big).
    func ip6Forward(_ d: UnsafeRawBufferPointer, ifp: NetInterface, esrc: IPv6Address, edst: IPv6Address,
                    linkMulticast: Bool) {
        guard ip6.sysctl.forwarding, !linkMulticast, !edst.isMulticast else { ip6Stats.cantforward &+= 1; return }
        if edst.isLinkLocal || edst.isLoopback { ip6Stats.cantforward &+= 1; return }
        if esrc.isLinkLocal || esrc.isUnspecified {
            ip6Stats.cantforward &+= 1
            ip6Stats.badscope &+= 1
            if esrc.isLinkLocal {
                icmp6Error(d, ifp: ifp, type: ICMPv6Type.destinationUnreachable, code: ICMPv6Code.beyondScope,
                           param: 0, linkMulticast: false)
            }
            return
        }
        if d.u8(7) <= 1 {
            ip6Stats.cantforward &+= 1
            icmp6Error(d, ifp: ifp, type: ICMPv6Type.timeExceeded, code: ICMPv6Code.hopLimitExceeded, param: 0,
                       linkMulticast: false)
            return
        }
        let slot = ip6.routes.cachedLookupSlot(edst)
        guard slot >= 0 else {
            ip6Stats.noroute &+= 1
            ip6Stats.cantforward &+= 1
            icmp6Error(d, ifp: ifp, type: ICMPv6Type.destinationUnreachable, code: ICMPv6Code.noRoute, param: 0,
                       linkMulticast: false)
            return
        }
        let r = ip6.routes[slot: slot]
        if r.flags.contains(.reject) || r.flags.contains(.blackhole) {
            ip6Stats.cantforward &+= 1
            if r.flags.contains(.reject) {
                icmp6Error(d, ifp: ifp, type: ICMPv6Type.destinationUnreachable, code: ICMPv6Code.noRoute, param: 0,
                           linkMulticast: false)
            }
            return
        }
        guard let out = interface(index: r.ifIndex), out.linkType == .ethernet else { ip6Stats.cantforward &+= 1; return }
        let mtu = pathMTU6(edst, route: r, ifp: out)
        if d.count > mtu {
            ip6Stats.cantfrag &+= 1
            ip6Stats.cantforward &+= 1
            icmp6Error(d, ifp: ifp, type: ICMPv6Type.packetTooBig, code: 0, param: UInt32(mtu), linkMulticast: false)
            return
        }
        let h = NetStack.headroom
        let o = UnsafeMutableRawBufferPointer(rebasing: txBuf[h..<(h + d.count)])
        o.copyMemory(from: d)
        o.setU8(7, d.u8(7) - 1)
        ip6Stats.forward &+= 1
        if let e = ip6OutputRouted(txBuf, length: d.count, edst: edst, routeSlot: slot, forwarding: true) {
            if e == .EHOSTUNREACH {
                icmp6Error(d, ifp: ifp, type: ICMPv6Type.destinationUnreachable, code: ICMPv6Code.addressUnreachable,
                           param: 0, linkMulticast: false)
            }
            return
        }
        // Back out the link it came in on, from a neighbour: tell the sender the better first
        // hop (RFC 4861 8.2), as ip6_forward does when net.inet6.ip6.redirect is 1.
        if out === ifp, ip6.sysctl.redirect, !r.flags.contains(.dynamic), let via = ip6.routes.lookup(esrc),
           !via.flags.contains(.gateway), via.ifIndex == ifp.index {
            var target = edst
            if r.flags.contains(.gateway), case .address(let gw, _) = r.gateway { target = gw }
            icmp6Redirect(d, ifp: ifp, esrc: esrc, edst: edst, target: target)
        }
    }

    /// icmp6_redirect_output: from our link-local, the target's link-layer address when known,
    /// and as much of the packet as fits in 1280 bytes in a redirected header option.
    func icmp6Redirect(_ d: UnsafeRawBufferPointer, ifp: NetInterface, esrc: IPv6Address, edst: IPv6Address,
                       target: IPv6Address) {
        guard let ll = ip6IfIfPresent(ifp.index)?.addresses.first(where: { $0.address.isLinkLocal && $0.isUsable }) else { return }
        let limit = ip6.sysctl.errPPSLimit
        if limit >= 0 {
            let t = clock.now
            if t >= ip6.errWindow &+ 1_000_000_000 { ip6.errWindow = t; ip6.errCount = 0 }
            if ip6.errCount >= limit { icmp6Stats.toofreq &+= 1; return }
            ip6.errCount += 1
        }
        var o = NDOptions()
        if let e = ip6.neighbors[ND6Key(ifIndex: Int32(ifp.index), address: target)], e.state != .incomplete,
           e.state != .noState {
            o.targetLinkAddress = e.mac
        }
        let h = NetStack.headroom
        let src = ll.address.withoutEmbeddedScope, dst = esrc.withoutEmbeddedScope
        let fixed = 40 + (o.targetLinkAddress == nil ? 0 : 8)
        let quote = min(d.count, (1280 - 40 - fixed - 8) & ~7)
        let rh = 8 + (quote + 7) & ~7
        let len = 40 + fixed + rh
        let p = UnsafeMutableRawBufferPointer(rebasing: errBuf[h..<(h + len)])
        p.initializeMemory(as: UInt8.self, repeating: 0)
        let m = UnsafeMutableRawBufferPointer(rebasing: p[40...])
        var off = 40
        if let mac = o.targetLinkAddress { NDOptions.emitLinkAddress(m, at: off, type: NDOptionType.targetLinkAddress, mac); off += 8 }
        m.setU8(off, NDOptionType.redirectedHeader)
        m.setU8(off + 1, UInt8(rh / 8))
        (m.baseAddress! + off + 8).copyMemory(from: d.baseAddress!, byteCount: quote)
        target.withoutEmbeddedScope.store(to: m.baseAddress! + 8)
        edst.withoutEmbeddedScope.store(to: m.baseAddress! + 24)
        ICMPv6Emitter.emit(m, type: ICMPv6Type.redirect, code: 0, word: 0, src: src, dst: dst)
        IPv6Emitter.emit(p, payloadLength: len - 40, nextHeader: IPv6NextHeader.icmpv6, hopLimit: 255, src: src, dst: dst)
        ip6Stats.redirectsent &+= 1
        icmp6Stats.countError(type: ICMPv6Type.redirect, code: 0)
        icmp6Stats.outhist[Int(ICMPv6Type.redirect)] &+= 1
        _ = ip6Output(errBuf, length: len, zone: dst.needsScope ? ifp.index : 0)
    }
}
