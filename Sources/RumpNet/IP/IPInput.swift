// ip_input: validate, decide local / forward / drop, reassemble, hand to the protocol.

extension NetStack {
    /// One datagram from `ifp` (link header already removed). `linkBroadcast`: it came to a link
    /// broadcast or multicast address (M_BCAST|M_MCAST), which forbids ICMP errors about it.
    func ipInput(_ raw: UnsafeRawBufferPointer, ifp: NetInterface, linkBroadcast: Bool) {
        ipStats.total &+= 1
        let ip: IPv4View
        do {
            // Datagrams we looped back to ourselves were built here: skip their checksum.
            ip = try IPv4View(raw, verifyChecksum: ifp.linkType != .loopback)
        } catch {
            switch error {
            case .tooShort: ipStats.toosmall &+= 1
            case .badVersion: ipStats.badvers &+= 1
            case .badHeaderLength: ipStats.badhlen &+= 1
            case .badLength: ipStats.tooshort &+= 1
            case .badChecksum: ipStats.badsum &+= 1
            }
            ifp.counters.ierrors &+= 1
            return
        }
        let src = ip.source, dst = ip.destination
        // Martian sources: never accept them (RFC 1122 3.2.1.3).
        if src.isMulticast || src.isBroadcast || src.isExperimental || (src.isLoopback && ifp.linkType != .loopback) {
            ipStats.badaddr &+= 1
            return
        }
        let slot = routes.cachedLookupSlot(dst)
        var local = false
        if slot >= 0 {
            let r = routes[slot: slot]
            local = r.flags.contains(.local) && r.destination == dst
        }
        var broadcast = false
        if !local {
            if ifp.isBroadcast(dst) { local = true; broadcast = true }
            else if dst.isMulticast { ipStats.notmember &+= 1; return }  // no multicast groups yet
        }
        if !local {
            ipForward(ip, ifp: ifp, routeSlot: slot, linkBroadcast: linkBroadcast)
            return
        }
        if ip.isFragment {
            ipStats.fragments &+= 1
            reassemble(ip, ifp: ifp, linkBroadcast: linkBroadcast || broadcast)
            return
        }
        ipDeliver(ip, ifp: ifp, broadcast: linkBroadcast || broadcast)
    }

    /// Local delivery by protocol (inetsw).
    func ipDeliver(_ ip: IPv4View, ifp: NetInterface, broadcast: Bool) {
        ipStats.delivered &+= 1
        switch ip.proto {
        case IPProtocol.icmp:
            icmpInput(ip, ifp: ifp, broadcast: broadcast)
        case IPProtocol.udp:
            // As in NetBSD, UDP never reaches raw sockets.
            udpInput(ip, ifp: ifp, broadcast: broadcast)
        case IPProtocol.tcp:
            // As in NetBSD, TCP never reaches raw sockets.
            tcpInput(ip, ifp: ifp, broadcast: broadcast)
        default:
            if rawInput(ip) == 0 {
                ipStats.noproto &+= 1
                icmpError(ip, ifp: ifp, type: ICMPType.unreachable, code: ICMPUnreachCode.proto, linkBroadcast: broadcast)
            }
        }
    }
}
