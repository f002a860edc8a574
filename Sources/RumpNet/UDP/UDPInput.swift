// udp_input and udp_ctlinput: validate, find the socket(s) by port (connected four-tuple first,
// then the bound address, then the wildcard), queue, or answer port unreachable; ICMP errors about
// our datagrams become so_error on the connected socket they concern.

extension NetStack {
    /// `broadcast`: it came to a link or IP broadcast (M_BCAST/M_MCAST), which forbids an ICMP
    /// answer; whether it goes to one socket or to all on the port depends on the IP destination.
    func udpInput(_ ip: IPv4View, ifp: NetInterface, broadcast: Bool) {
        udpStats.ipackets &+= 1
        let u: UDPView
        do {
            u = try UDPView(validating: ip.payload)
        } catch {
            switch error {
            case .tooShort: udpStats.hdrops &+= 1
            case .badLength: udpStats.badlen &+= 1
            }
            return
        }
        let src = ip.source, dst = ip.destination
        if u.checksum == 0 {
            udpStats.nosum &+= 1
        } else if ifp.linkType != .loopback || sysctl.udpLoopbackChecksum, !u.isChecksumValid(src: src, dst: dst) {
            // Looped-back datagrams were built here: checked only with net.inet.udp.do_loopback_cksum.
            udpStats.badsum &+= 1
            return
        }
        let from = SocketEndpoint(src, u.sourcePort)
        let dport = u.destinationPort
        if dst.isMulticast || (broadcast && ifp.isBroadcast(dst)) {
            udpDeliverToAll(u.payload, to: SocketEndpoint(dst, dport), from: from, family: PCBTable.v4)
            return
        }
        let to = SocketEndpoint(dst, dport)
        var found = udpTable.lookupConnected(local: to, foreign: from)
        if found == nil {
            udpStats.pcbhashmiss &+= 1  // no connected socket: the bind lookup follows
            found = udpTable.lookupBound(to)
        }
        guard let s = found else {
            // A unicast address in a link broadcast frame: counted as a broadcast, never answered.
            if broadcast { udpStats.noportbcast &+= 1; return }
            udpStats.noport &+= 1
            icmpError(ip, ifp: ifp, type: ICMPType.unreachable, code: ICMPUnreachCode.port, linkBroadcast: false)
            return
        }
        udpDeliver(s, u.payload, from: from)
    }

    /// A broadcast or multicast datagram (udp4_realinput / udp6_realinput): every socket on the
    /// port that takes the family, bound to the wildcard or the destination, connected (if at
    /// all) to the sender, until one without SO_REUSEADDR/SO_REUSEPORT. None: `noportbcast`.
    func udpDeliverToAll(_ payload: UnsafeRawBufferPointer, to: SocketEndpoint, from: SocketEndpoint, family: UInt8) {
        var delivered = 0
        if let list = udpTable.sockets(onPort: to.port) {
            for s in list where s.accepts & family != 0 {
                if !s.local.isAny && !s.local.sameAddress(to) { continue }
                if s.isConnected && s.foreign != from { continue }
                udpDeliver(s, payload, from: from)
                delivered += 1
                if !s.reuseAddress && !s.reusePort { break }
            }
        }
        if delivered == 0 { udpStats.noportbcast &+= 1 }
    }

    @inline(__always)
    func udpDeliver(_ s: Socket, _ payload: UnsafeRawBufferPointer, from: SocketEndpoint) {
        if !enqueue(s, payload, from: from) { udpStats.fullsock &+= 1 }
    }

    /// udp_ctlinput / in_pcbnotify: `quoted` is the IP header and first 8 bytes of a datagram we
    /// sent, as an ICMP error carries it. The connected socket with that four-tuple gets `error`.
    func udpControlInput(quoted: UnsafeRawBufferPointer, error: Errno) {
        guard quoted.count >= 20 else { return }
        let hl = Int(quoted.u8(0) & 0x0F) * 4
        guard hl >= 20, quoted.count >= hl + 8 else { return }
        let local = SocketEndpoint(IPv4Address(quoted.be32(12)), quoted.be16(hl))
        let foreign = SocketEndpoint(IPv4Address(quoted.be32(16)), quoted.be16(hl + 2))
        if let s = udpTable.lookupConnected(local: local, foreign: foreign) { setSocketError(s, error) }
    }

    /// inetctlerrmap: the errno an ICMP error means for the transport it concerns (nil: none).
    static func controlError(type: UInt8, code: UInt8) -> Errno? {
        switch type {
        case ICMPType.unreachable:
            switch code {
            case ICMPUnreachCode.proto, ICMPUnreachCode.port: return .ECONNREFUSED
            case ICMPUnreachCode.needFrag: return .EMSGSIZE
            case 0...15: return .EHOSTUNREACH
            default: return nil
            }
        case ICMPType.parameterProblem: return .ENOPROTOOPT
        default: return nil  // time exceeded, source quench: no error for the socket
        }
    }
}
