// icmp_input: answer echo (and mask, when enabled) by reflecting, pass everything else to raw
// sockets, count by type.

extension NetStack {
    func icmpInput(_ ip: IPv4View, ifp: NetInterface, broadcast: Bool) {
        let p = ip.payload
        guard let icmp = ICMPView(p) else { icmpStats.tooshort &+= 1; return }
        guard icmp.isChecksumValid else { icmpStats.checksum &+= 1; return }
        let type = icmp.type
        if Int(type) < icmpStats.inhist.count { icmpStats.inhist[Int(type)] &+= 1 }
        switch type {
        case ICMPType.echo:
            if broadcast && !sysctl.icmpBmcastEcho { icmpStats.bmcastecho &+= 1; return }
            icmpReflect(ip, ifp: ifp, newType: ICMPType.echoReply, broadcast: broadcast)
            return  // answered requests do not go to raw sockets (as in NetBSD)
        case ICMPType.maskRequest where sysctl.icmpMaskRepl && p.count >= 12:
            icmpReflect(ip, ifp: ifp, newType: ICMPType.maskReply, broadcast: broadcast)
            return
        case ICMPType.unreachable, ICMPType.parameterProblem:
            // pr_ctlinput of the protocol the quoted datagram belongs to, then raw sockets too
            // (traceroute reads these).
            let quoted = icmp.data
            if quoted.count >= 28, quoted.u8(9) == IPProtocol.udp,
               let e = NetStack.controlError(type: type, code: icmp.code) {
                udpControlInput(quoted: quoted, error: e)
            }
            if quoted.count >= 28, quoted.u8(9) == IPProtocol.tcp {
                tcpControlInput(quoted: quoted, type: type, code: icmp.code, nextHopMTU: Int(icmp.bytes.be16(6)))
            }
        default:
            break
        }
        rawInput(ip)
    }

    /// icmp_reflect: turn the message around in the transmit buffer (IP options dropped),
    /// source = the address it was sent to when ours, TTL = MAXTTL (255) as NetBSD does.
    func icmpReflect(_ ip: IPv4View, ifp: NetInterface, newType: UInt8, broadcast: Bool) {
        let h = NetStack.headroom
        let icmpLen = ip.payload.count
        let len = 20 + icmpLen
        guard len <= 65535 else { return }
        var src = ip.destination
        if broadcast || !isLocalAddress(src) {
            // To a broadcast: answer from the receiving interface's address in that subnet.
            guard let a = ifp.addresses.first(where: { $0.broadcast == ip.destination }) ?? ifp.addresses.first else { return }
            src = a.address
        }
        let out = UnsafeMutableRawBufferPointer(rebasing: txBuf[h..<(h + len)])
        let body = UnsafeMutableRawBufferPointer(rebasing: out[20...])
        body.copyMemory(from: ip.payload)
        let oldWord = body.be16(0)
        body.setU8(0, newType)
        if newType == ICMPType.maskReply, let a = ifp.addresses.first(where: { $0.address == src }) {
            body.setBE16(2, 0)
            body.setBE32(8, a.netmask)
            body.setBE16(2, InternetChecksum.compute(UnsafeRawBufferPointer(body)))
        } else {
            body.setBE16(2, InternetChecksum.update(body.be16(2), old: oldWord, new: body.be16(0)))
        }
        IPv4Emitter.emit(out, totalLength: len, id: ip.identification, flagsFragment: ip.flagsFragment & IPv4Emitter.DF,
                         ttl: 255, proto: IPProtocol.icmp, src: src, dst: ip.source, tos: ip.tos)
        icmpStats.reflect &+= 1
        if Int(newType) < icmpStats.outhist.count { icmpStats.outhist[Int(newType)] &+= 1 }
        _ = ipOutput(txBuf, length: len)
    }

    @inline(__always)
    func isLocalAddress(_ a: IPv4Address) -> Bool {
        let s = routes.cachedLookupSlot(a)
        guard s >= 0 else { return false }
        let r = routes[slot: s]
        return r.flags.contains(.local) && r.destination == a
    }
}
