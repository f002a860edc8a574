// ip6_output: route (zones first), multicast with the loop-back copy, the local loop, path MTU,
// fragmentation at the source (RFC 8200 4.5), Neighbor Discovery, the link.

extension NetStack {
    /// Sends the datagram at buf[headroom..<headroom+length], header complete, addresses in wire
    /// form. `zone` is the interface of a scoped destination (link-local, ff02::, ff01::) or of a
    /// multicast send; `loop`: a copy of multicast for a group we joined comes back to us.
    func ip6Output(_ buf: UnsafeMutableRawBufferPointer, length: Int, zone: Int = 0, loop: Bool = true) -> Errno? {
        let h = NetStack.headroom
        let dst = IPv6Address(loadingFrom: buf.baseAddress! + h + 24)
        ip6Stats.localout &+= 1
        if dst.needsScope && zone == 0 { ip6Stats.noroute &+= 1; return .EHOSTUNREACH }
        let edst = dst.needsScope ? dst.withoutEmbeddedScope.embeddingScope(UInt16(zone)) : dst
        if dst.isMulticast {
            let out: NetInterface?
            if zone != 0 { out = interface(index: zone) } else { out = ip6.routes.lookup(edst).flatMap { interface(index: $0.ifIndex) } }
            guard let ifp = out else { ip6Stats.noroute &+= 1; return .EHOSTUNREACH }
            if loop, ifp.linkType != .loopback, let x = ip6IfIfPresent(ifp.index), x.groups[edst] != nil {
                _ = loopbackEnqueue(UnsafeRawBufferPointer(rebasing: buf[h..<(h + length)]), ifIndex: ifp.index | NetStack.loopedIP6Tag)
            }
            let mtu = ifp.mtu
            if length > mtu { return fragment6(ifp, buf, length: length, mtu: mtu, nexthop: edst) }
            return link6Output(ifp, buf, length: length, nexthop: edst)
        }
        let slot = ip6.routes.cachedLookupSlot(edst)
        guard slot >= 0 else { ip6Stats.noroute &+= 1; return .EHOSTUNREACH }
        return ip6OutputRouted(buf, length: length, edst: edst, routeSlot: slot, forwarding: false)
    }

    func ip6OutputRouted(_ buf: UnsafeMutableRawBufferPointer, length: Int, edst: IPv6Address, routeSlot: Int,
                         forwarding: Bool) -> Errno? {
        let h = NetStack.headroom
        ip6.routes.countUse(slot: routeSlot)
        let r = ip6.routes[slot: routeSlot]
        if r.flags.contains(.blackhole) { return nil }
        if r.flags.contains(.reject) { return r.flags.contains(.host) ? .EHOSTUNREACH : .ENETUNREACH }
        guard let ifp = interface(index: r.ifIndex) else { ip6Stats.noroute &+= 1; return .EHOSTUNREACH }
        guard ifp.flags.contains(.up) else { ip6Stats.odropped &+= 1; return .ENETDOWN }
        let packet = UnsafeRawBufferPointer(rebasing: buf[h..<(h + length)])
        if ifp.linkType == .loopback {
            // Our own address (or ::1): it comes back in on the interface that owns it.
            let owner = ip6.local[edst] ?? ifp.index
            let tag = owner == ifp.index ? ifp.index : owner | NetStack.loopedIP6Tag
            ifp.counters.opackets &+= 1
            ifp.counters.obytes &+= UInt64(length)
            return loopbackEnqueue(packet, ifIndex: tag) ? nil : .ENOBUFS
        }
        var nexthop = edst
        if r.flags.contains(.gateway), case .address(let gw, _) = r.gateway { nexthop = gw }
        let mtu = pathMTU6(edst, route: r, ifp: ifp)
        if length > mtu {
            if forwarding { return .EMSGSIZE }
            return fragment6(ifp, buf, length: length, mtu: mtu, nexthop: nexthop)
        }
        return link6Output(ifp, buf, length: length, nexthop: nexthop)
    }

    /// The MTU towards `edst`: the smallest of a learned path MTU, the route's and the RA's link
    /// MTU (none below IPv6's minimum, 1280), never above the interface's own.
    func pathMTU6(_ edst: IPv6Address, route r: R6, ifp: NetInterface) -> Int {
        var mtu = Int.max
        if r.mtu > 0 { mtu = r.mtu }
        if let x = ip6IfIfPresent(ifp.index), x.info.linkMTU > 0 { mtu = min(mtu, Int(x.info.linkMTU)) }
        if let (p, exp) = ip6.pmtu[edst] {
            if clock.now < exp { mtu = min(mtu, p) } else { ip6.pmtu[edst] = nil }
        }
        return min(max(mtu, 1280), ifp.mtu)
    }

    /// nd6_output / ether_output for one datagram at buf[headroom...].
    func link6Output(_ ifp: NetInterface, _ buf: UnsafeMutableRawBufferPointer, length: Int, nexthop: IPv6Address) -> Errno? {
        let h = NetStack.headroom
        let packet = UnsafeRawBufferPointer(rebasing: buf[h..<(h + length)])
        if ifp.linkType == .loopback {
            return transmitFrame(ifp, packet, multicast: false) ? nil : .ENOBUFS
        }
        guard ifp.isUsable else { ip6Stats.odropped &+= 1; return .ENETDOWN }
        if let x = ip6IfIfPresent(ifp.index), x.info.flags & ND6_IFF.IFDISABLED != 0 { ip6Stats.odropped &+= 1; return .ENETDOWN }
        if nexthop.isMulticast {
            etherSend(ifp, buf, length: length, dst: MACAddress(nexthop.multicastMAC), type: EtherType.ipv6)
            return nil
        }
        switch nd6Resolve(ifp, nexthop: nexthop, packet: packet) {
        case .success(let mac)?:
            etherSend(ifp, buf, length: length, dst: mac, type: EtherType.ipv6)
            return nil
        case .failure(let e)?:
            ip6Stats.odropped &+= 1
            return e
        case nil:
            return nil  // held until ND completes
        }
    }

    /// ip6_fragment: the unfragmentable part (the IPv6 header and a hop-by-hop header) on every
    /// fragment, then a fragment header and 8-byte aligned data.
    func fragment6(_ ifp: NetInterface, _ buf: UnsafeMutableRawBufferPointer, length: Int, mtu: Int,
                   nexthop: IPv6Address) -> Errno? {
        let h = NetStack.headroom
        let p = UnsafeRawBufferPointer(rebasing: buf[h..<(h + length)])
        var unfrag = 40
        var nhField = 6
        if p.u8(6) == IPv6NextHeader.hopByHop, p.count >= 48 {
            nhField = 40
            unfrag = 40 + (Int(p.u8(41)) + 1) * 8
        }
        let maxData = (mtu - unfrag - 8) & ~7
        guard maxData >= 8, unfrag < length else { ip6Stats.cantfrag &+= 1; return .EMSGSIZE }
        let nextHeader = p.u8(nhField)
        ip6.fragID = UInt32(truncatingIfNeeded: random64())
        let id = ip6.fragID
        let dataLen = length - unfrag
        var off = 0
        ip6Stats.fragmented &+= 1
        while off < dataLen {
            let n = min(maxData, dataLen - off)
            let last = off + n == dataLen
            let f = UnsafeMutableRawBufferPointer(rebasing: fragBuf[h..<(h + unfrag + 8 + n)])
            f.baseAddress!.copyMemory(from: p.baseAddress!, byteCount: unfrag)
            f.setU8(nhField, IPv6NextHeader.fragment)
            f.setBE16(4, UInt16(unfrag - 40 + 8 + n))
            f.setU8(unfrag, nextHeader)
            f.setU8(unfrag + 1, 0)
            f.setBE16(unfrag + 2, UInt16(off) | (last ? 0 : 1))
            f.setBE32(unfrag + 4, id)
            (f.baseAddress! + unfrag + 8).copyMemory(from: p.baseAddress! + unfrag + off, byteCount: n)
            ip6Stats.ofragments &+= 1
            if let e = link6Output(ifp, fragBuf, length: unfrag + 8 + n, nexthop: nexthop) { return e }
            off += n
        }
        return nil
    }
}
