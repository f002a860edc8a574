// ip_forward: TTL decrement with incremental checksum, route, and the ICMP errors of RFC 1812.

extension NetStack {
    func ipForward(_ ip: IPv4View, ifp: NetInterface, routeSlot: Int, linkBroadcast: Bool) {
        // A host (forwarding off), a link broadcast, or an unusable destination: drop quietly.
        guard sysctl.forwarding, !linkBroadcast else { ipStats.cantforward &+= 1; return }
        let dst = ip.destination
        if dst.isAny || dst.isLoopback || dst.isExperimental { ipStats.cantforward &+= 1; return }
        if ip.ttl <= 1 {
            icmpError(ip, ifp: ifp, type: ICMPType.timeExceeded, code: 0, linkBroadcast: false)
            ipStats.cantforward &+= 1
            return
        }
        guard routeSlot >= 0 else {
            ipStats.noroute &+= 1
            ipStats.cantforward &+= 1
            icmpError(ip, ifp: ifp, type: ICMPType.unreachable, code: ICMPUnreachCode.net, linkBroadcast: false)
            return
        }
        let r = routes[slot: routeSlot]
        if r.flags.contains(.reject) || r.flags.contains(.blackhole) {
            ipStats.cantforward &+= 1
            if r.flags.contains(.reject) {
                icmpError(ip, ifp: ifp, type: ICMPType.unreachable,
                          code: r.flags.contains(.host) ? ICMPUnreachCode.host : ICMPUnreachCode.net, linkBroadcast: false)
            }
            return
        }
        // Not to a subnet broadcast of the outgoing interface unless directed broadcasts are on.
        if let out = interface(index: r.ifIndex), out.isBroadcast(dst), !sysctl.directedBroadcast {
            ipStats.cantforward &+= 1
            return
        }
        // Copy once into the transmit buffer, then TTL - 1 and fix the checksum incrementally.
        let h = NetStack.headroom
        let len = ip.totalLength
        let out = UnsafeMutableRawBufferPointer(rebasing: txBuf[h..<(h + len)])
        out.copyMemory(from: ip.bytes)
        let oldWord = out.be16(8)
        out.setU8(8, ip.ttl - 1)
        out.setBE16(10, InternetChecksum.update(out.be16(10), old: oldWord, new: out.be16(8)))
        ipStats.forward &+= 1
        let err = ipOutputRouted(txBuf, length: len, routeSlot: routeSlot, headerLength: ip.headerLength, forwarding: true)
        switch err {
        case nil: break
        case .EMSGSIZE?:
            ipStats.cantfrag &+= 1
            let mtu = interface(index: r.ifIndex)?.mtu ?? 0
            icmpError(ip, ifp: ifp, type: ICMPType.unreachable, code: ICMPUnreachCode.needFrag, mtu: mtu, linkBroadcast: false)
        case .EHOSTUNREACH?, .EHOSTDOWN?:
            icmpError(ip, ifp: ifp, type: ICMPType.unreachable, code: ICMPUnreachCode.host, linkBroadcast: false)
        case .ENETUNREACH?, .ENETDOWN?:
            icmpError(ip, ifp: ifp, type: ICMPType.unreachable, code: ICMPUnreachCode.net, linkBroadcast: false)
        default:
            break
        }
    }
}
