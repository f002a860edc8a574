// icmp6_input and icmp6_error (RFC 4443): echo answered, ND and MLD to their handlers, packet too
// big into the path MTU cache, every message to the raw ICMPv6 sockets; errors with the never-send
// rules of 2.4 (e), net.inet6.icmp6.errppslimit, and as much of the invoking packet as fits in 1280.

extension NetStack {
    func icmp6Input(_ d: UnsafeRawBufferPointer, offset: Int, ifp: NetInterface, esrc: IPv6Address, edst: IPv6Address,
                    linkMulticast: Bool, routerAlert: Bool) {
        let m = UnsafeRawBufferPointer(rebasing: d[offset...])
        guard let icmp = ICMPv6View(m) else { icmp6Stats.tooshort &+= 1; return }
        let src = esrc.withoutEmbeddedScope, dst = edst.withoutEmbeddedScope
        guard icmp.isChecksumValid(src: src, dst: dst) else { icmp6Stats.checksum &+= 1; return }
        let type = icmp.type
        icmp6Stats.inhist[Int(type)] &+= 1
        let hlim = d.u8(7)
        switch type {
        case ICMPv6Type.echoRequest:
            guard icmp.code == 0 else { icmp6Stats.badcode &+= 1; break }
            guard m.count >= 8 else { icmp6Stats.tooshort &+= 1; break }
            icmp6Echo(m, ifp: ifp, esrc: esrc, edst: edst)
        case ICMPv6Type.packetTooBig:
            guard m.count >= 8 + 40 else { icmp6Stats.tooshort &+= 1; break }
            let mtu = Int(icmp.word)
            let quotedDst = IPv6Address(loadingFrom: m.baseAddress! + 8 + 24)
            let q = quotedDst.needsScope ? quotedDst.embeddingScope(UInt16(ifp.index)) : quotedDst
            if mtu > 0 {
                if ip6.pmtu.count >= IP6State.maxPMTU { ip6.pmtu.removeAll() }
                ip6.pmtu[q] = (max(mtu, 1280), clock.now &+ 600_000_000_000)
                icmp6Stats.pmtuchg &+= 1
            }
            transportControlInput6(m, ifp: ifp, type: type, code: icmp.code, word: Int(icmp.word))
        case ICMPv6Type.destinationUnreachable, ICMPv6Type.timeExceeded, ICMPv6Type.parameterProblem:
            guard m.count >= 8 else { icmp6Stats.tooshort &+= 1; break }
            transportControlInput6(m, ifp: ifp, type: type, code: icmp.code, word: Int(icmp.word))
        case ICMPv6Type.mldQuery, ICMPv6Type.mldReport, ICMPv6Type.mldDone:
            mldInput(m, ifp: ifp, esrc: esrc, edst: edst, hopLimit: hlim)
        case ICMPv6Type.routerSolicit, ICMPv6Type.routerAdvert, ICMPv6Type.neighborSolicit,
             ICMPv6Type.neighborAdvert, ICMPv6Type.redirect:
            nd6Input(m, ifp: ifp, esrc: esrc, edst: edst, hopLimit: hlim)
        default:
            break
        }
        raw6Input(d, offset: offset, ifp: ifp, esrc: esrc, edst: edst)
    }

    /// The echo reply: same body, from the address asked (or the best source for a group), with
    /// the interface's current hop limit.
    func icmp6Echo(_ m: UnsafeRawBufferPointer, ifp: NetInterface, esrc: IPv6Address, edst: IPv6Address) {
        var from = edst
        if edst.isMulticast || localAddress6(edst).map({ !$0.addr.isUsable || $0.addr.flags & IN6_IFF.ANYCAST != 0 }) ?? true {
            guard let s = try? selectSource6(esrc) else { return }
            from = s.address
        }
        let h = NetStack.headroom
        let len = 40 + m.count
        guard len <= 65535 + 40, h + len <= txBuf.count else { return }
        let out = UnsafeMutableRawBufferPointer(rebasing: txBuf[h..<(h + len)])
        let body = UnsafeMutableRawBufferPointer(rebasing: out[40...])
        body.copyMemory(from: m)
        body.setU8(0, ICMPv6Type.echoReply)
        let src = from.withoutEmbeddedScope, dst = esrc.withoutEmbeddedScope
        ICMPv6Emitter.setChecksum(body, src: src, dst: dst)
        IPv6Emitter.emit(out, payloadLength: m.count, nextHeader: IPv6NextHeader.icmpv6,
                         hopLimit: ip6If(ifp).info.currentHopLimit, src: src, dst: dst)
        icmp6Stats.reflect &+= 1
        icmp6Stats.outhist[Int(ICMPv6Type.echoReply)] &+= 1
        _ = ip6Output(txBuf, length: len, zone: esrc.needsScope ? Int(esrc.embeddedScope) : 0)
    }

    /// icmp6_error about the datagram `orig` (wire form, from its IPv6 header) received on `ifp`.
    /// `optionException`: a parameter problem for an unrecognized option of action 10, which
    /// RFC 4443 2.4 (e.3) lets answer a multicast packet.
    func icmp6Error(_ orig: UnsafeRawBufferPointer, ifp: NetInterface, type: UInt8, code: UInt8, param: UInt32,
                    linkMulticast: Bool, optionException: Bool = false) {
        icmp6Stats.error &+= 1
        guard orig.count >= 40 else { return }
        let src = IPv6Address(loadingFrom: orig.baseAddress! + 8), dst = IPv6Address(loadingFrom: orig.baseAddress! + 24)
        // e.3/e.4: not about multicast, except packet too big and the option case.
        if (dst.isMulticast || linkMulticast) && !(type == ICMPv6Type.packetTooBig || optionException) { return }
        // e.5: only to a unicast source.
        if src.isUnspecified || src.isMulticast { return }
        // e.1/e.2: never about an ICMPv6 error or a redirect.
        if let (proto, off) = IPv6HeaderChain.upperLayer(orig, limit: ip6.sysctl.hdrNestLimit),
           proto == IPv6NextHeader.icmpv6, off < orig.count {
            let t = orig.u8(off)
            if ICMPv6Type.isError(t) || t == ICMPv6Type.redirect { icmp6Stats.canterror &+= 1; return }
        }
        // ppsratecheck: at most errppslimit a second (negative: no limit).
        let limit = ip6.sysctl.errPPSLimit
        if limit >= 0 {
            let t = clock.now
            if t >= ip6.errWindow &+ 1_000_000_000 { ip6.errWindow = t; ip6.errCount = 0 }
            if ip6.errCount >= limit { icmp6Stats.toofreq &+= 1; return }
            ip6.errCount += 1
        }
        let esrc = src.needsScope ? src.embeddingScope(UInt16(ifp.index)) : src
        let edst = dst.needsScope ? dst.embeddingScope(UInt16(ifp.index)) : dst
        var from = edst
        if dst.isMulticast || localAddress6(edst).map({ !$0.addr.isUsable }) ?? true {
            guard let s = try? selectSource6(esrc) else { return }
            from = s.address
        }
        let quote = min(orig.count, 1280 - 48)
        let len = 48 + quote
        let h = NetStack.headroom
        let out = UnsafeMutableRawBufferPointer(rebasing: errBuf[h..<(h + len)])
        UnsafeMutableRawBufferPointer(rebasing: out[48...]).copyMemory(from: UnsafeRawBufferPointer(rebasing: orig[0..<quote]))
        let s = from.withoutEmbeddedScope
        ICMPv6Emitter.emit(UnsafeMutableRawBufferPointer(rebasing: out[40...]), type: type, code: code, word: param, src: s, dst: src)
        IPv6Emitter.emit(out, payloadLength: len - 40, nextHeader: IPv6NextHeader.icmpv6, hopLimit: ip6.sysctl.hlim,
                         src: s, dst: src)
        icmp6Stats.countError(type: type, code: code)
        icmp6Stats.outhist[Int(type)] &+= 1
        _ = ip6Output(errBuf, length: len, zone: src.needsScope ? ifp.index : 0)
    }
}
