// icmp_error: the rules of RFC 1122 3.2.2 / RFC 1812 4.3.2.7 on when never to answer, NetBSD's
// errppslimit rate limit, and the quoted header plus returndatabytes of the offending datagram.

extension NetStack {
    func icmpError(_ orig: IPv4View, ifp: NetInterface, type: UInt8, code: UInt8, mtu: Int = 0, linkBroadcast: Bool) {
        // Never about: link broadcasts/multicasts, IP broadcasts/multicasts, non-initial fragments,
        // invalid sources, ICMP errors.
        let src = orig.source, dst = orig.destination
        if linkBroadcast || dst.isMulticast || ifp.isBroadcast(dst) || orig.fragmentOffset != 0 { return }
        if src.isAny || src.isBroadcast || src.isMulticast || src.isExperimental || ifp.isBroadcast(src) { return }
        if orig.proto == IPProtocol.icmp {
            let p = orig.payload
            if p.count < 1 || ICMPType.isError(p.u8(0)) || p.u8(0) > ICMPType.maskReply {
                icmpStats.oldicmp &+= 1
                return
            }
        }
        icmpStats.error &+= 1
        // ppsratecheck: at most errppslimit per second (negative: no limit).
        let limit = sysctl.icmpErrPPSLimit
        if limit >= 0 {
            let t = clock.now
            if t >= icmpErrWindow &+ 1_000_000_000 { icmpErrWindow = t; icmpErrCount = 0 }
            if icmpErrCount >= limit { icmpStats.ratelimited &+= 1; return }
            icmpErrCount += 1
        }
        let quote = min(orig.totalLength, orig.headerLength + sysctl.icmpReturnDataBytes)
        let len = 20 + 8 + quote
        let h = NetStack.headroom
        guard h + len <= errBuf.count else { return }
        let out = UnsafeMutableRawBufferPointer(rebasing: errBuf[h..<(h + len)])
        UnsafeMutableRawBufferPointer(rebasing: out[28...]).copyMemory(from: UnsafeRawBufferPointer(rebasing: orig.bytes[0..<quote]))
        let rest: UInt32 = (type == ICMPType.unreachable && code == ICMPUnreachCode.needFrag) ? UInt32(UInt16(clamping: mtu)) : 0
        ICMPEmitter.emit(UnsafeMutableRawBufferPointer(rebasing: out[20...]), type: type, code: code, rest: rest, length: 8 + quote)
        // Source: the address it was sent to when ours, else the receiving interface's (icmp_reflect).
        var from = dst
        if !isLocalAddress(from) {
            guard let a = ifp.addresses.first?.address ?? (try? selectSource(src)) else { return }
            from = a
        }
        IPv4Emitter.emit(out, totalLength: len, id: nextIPID(), ttl: 255, proto: IPProtocol.icmp, src: from, dst: src)
        if Int(type) < icmpStats.outhist.count { icmpStats.outhist[Int(type)] &+= 1 }
        _ = ipOutput(errBuf, length: len)
    }
}
