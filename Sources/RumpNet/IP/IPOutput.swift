// ip_output: route, fragment, resolve, transmit. Datagrams are built at `headroom` in one of the
// stack's buffers so the Ethernet header goes in front without a copy.

extension NetStack {
    /// Sends the datagram at buf[headroom..<headroom+length] (header complete but for its checksum).
    /// Returns nil or the errno a socket caller sees.
    func ipOutput(_ buf: UnsafeMutableRawBufferPointer, length: Int) -> Errno? {
        let h = NetStack.headroom
        let dst = IPv4Address(buf.be32(h + 16))
        let slot = routes.cachedLookupSlot(dst)
        guard slot >= 0 else { ipStats.noroute &+= 1; return .EHOSTUNREACH }
        ipStats.localout &+= 1
        let hl = Int(buf.u8(h) & 0x0F) * 4
        IPv4Emitter.setChecksum(UnsafeMutableRawBufferPointer(rebasing: buf[h..<(h + hl)]), headerLength: hl)
        return ipOutputRouted(buf, length: length, routeSlot: slot, headerLength: hl, forwarding: false)
    }

    func ipOutputRouted(_ buf: UnsafeMutableRawBufferPointer, length: Int, routeSlot: Int, headerLength hl: Int,
                        forwarding: Bool) -> Errno? {
        let h = NetStack.headroom
        routes.countUse(slot: routeSlot)
        let r = routes[slot: routeSlot]
        if r.flags.contains(.blackhole) { return nil }
        if r.flags.contains(.reject) { return r.flags.contains(.host) ? .EHOSTUNREACH : .ENETUNREACH }
        guard let ifp = interface(index: r.ifIndex) else { ipStats.noroute &+= 1; return .EHOSTUNREACH }
        guard ifp.flags.contains(.up) else { ipStats.odropped &+= 1; return .ENETDOWN }
        let dst = IPv4Address(buf.be32(h + 16))
        var nexthop = dst
        if r.flags.contains(.gateway), case .address(let gw) = r.gateway { nexthop = gw }
        let mtu = r.mtu > 0 ? min(r.mtu, ifp.mtu) : ifp.mtu
        if length <= mtu {
            return linkOutput(ifp, buf, length: length, nexthop: nexthop)
        }
        // Too big: fragment unless DF.
        if buf.be16(h + 6) & IPv4Emitter.DF != 0 {
            if !forwarding { ipStats.cantfrag &+= 1 }
            return .EMSGSIZE
        }
        return fragmentOutput(ifp, buf, length: length, headerLength: hl, mtu: mtu, nexthop: nexthop)
    }

    /// ip_fragment: 8-byte aligned pieces, each with the original header (options not copied:
    /// we never emit copy-flagged options, and forwarded ones are rare enough to send only first).
    private func fragmentOutput(_ ifp: NetInterface, _ buf: UnsafeMutableRawBufferPointer, length: Int,
                                headerLength hl: Int, mtu: Int, nexthop: IPv4Address) -> Errno? {
        let h = NetStack.headroom
        let maxData = (mtu - hl) & ~7  // the first fragment carries the options too
        guard maxData >= 8 else { ipStats.cantfrag &+= 1; return .EMSGSIZE }
        let origOff = buf.be16(h + 6)
        let baseOffset = Int(origOff & 0x1FFF) * 8
        let origMF = origOff & IPv4Emitter.MF
        let dataLen = length - hl
        var off = 0
        ipStats.fragmented &+= 1
        while off < dataLen {
            let n = min(maxData, dataLen - off)
            let last = off + n == dataLen
            let fhl = off == 0 ? hl : 20
            let f = UnsafeMutableRawBufferPointer(rebasing: fragBuf[h..<(h + fhl + n)])
            // Header: the original's (first fragment keeps the options).
            f.baseAddress!.copyMemory(from: buf.baseAddress! + h, byteCount: 20)
            if fhl > 20 { (f.baseAddress! + 20).copyMemory(from: buf.baseAddress! + h + 20, byteCount: fhl - 20) }
            f.setU8(0, 0x40 | UInt8(fhl / 4))
            (f.baseAddress! + fhl).copyMemory(from: buf.baseAddress! + h + hl + off, byteCount: n)
            f.setBE16(2, UInt16(fhl + n))
            let mf: UInt16 = (!last || origMF != 0) ? IPv4Emitter.MF : 0
            f.setBE16(6, (origOff & IPv4Emitter.DF) | mf | UInt16((baseOffset + off) / 8))
            IPv4Emitter.setChecksum(UnsafeMutableRawBufferPointer(rebasing: f[0..<fhl]), headerLength: fhl)
            ipStats.ofragments &+= 1
            if let e = linkOutput(ifp, fragBuf, length: fhl + n, nexthop: nexthop) { return e }
            off += n
        }
        return nil
    }

    /// ether_output / looutput for one datagram at buf[headroom...].
    func linkOutput(_ ifp: NetInterface, _ buf: UnsafeMutableRawBufferPointer, length: Int, nexthop: IPv4Address) -> Errno? {
        let h = NetStack.headroom
        let packet = UnsafeRawBufferPointer(rebasing: buf[h..<(h + length)])
        if ifp.linkType == .loopback {
            return transmitFrame(ifp, packet, multicast: false) ? nil : .ENOBUFS
        }
        guard ifp.isUsable else { ipStats.odropped &+= 1; return .ENETDOWN }
        let dst = IPv4Address(buf.be32(h + 16))
        if ifp.isBroadcast(nexthop) || ifp.isBroadcast(dst) {
            // IFF_SIMPLEX: the interface does not hear itself, so the stack loops a copy in.
            _ = loopbackEnqueue(packet, ifIndex: ifp.index)
            etherSend(ifp, buf, length: length, dst: .broadcast)
            return nil
        }
        switch arpResolve(ifp, nexthop: nexthop, packet: packet) {
        case .success(let mac)?:
            etherSend(ifp, buf, length: length, dst: mac)
            return nil
        case .failure(let e)?:
            ipStats.odropped &+= 1
            return e
        case nil:
            return nil  // held until ARP completes, as NetBSD reports success
        }
    }

    /// Puts the Ethernet header in the headroom and transmits.
    @inline(__always)
    func etherSend(_ ifp: NetInterface, _ buf: UnsafeMutableRawBufferPointer, length: Int, dst: MACAddress,
                   type: UInt16 = EtherType.ipv4) {
        let h = NetStack.headroom
        let start = h - EthernetView.headerLength
        let f = UnsafeMutableRawBufferPointer(rebasing: buf[start..<(h + length)])
        EthernetEmitter.emit(f, dst: dst, src: ifp.linkAddress, type: type)
        transmitFrame(ifp, UnsafeRawBufferPointer(f), multicast: dst.isMulticast)
    }
}
