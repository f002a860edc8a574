// udp6_input and udp6_output (netinet6/udp6_usrreq.c, udp6_output.c): UDP over IPv6 on the
// sockets and PCB table UDP over IPv4 uses. The checksum is mandatory (RFC 8200 8.1): a zero one
// is dropped (udps_nosum) and one is always sent. A datagram for a closed port is answered by
// ICMPv6 port unreachable (RFC 4443 3.1) unless it went to a multicast address. Counters are the
// same udpstat (NetBSD keeps udp6stat apart; here `netstat -s -p udp` counts both families).

extension NetStack {
    /// One UDP datagram for us at d[offset...] (d from its IPv6 header); `esrc`/`edst` with their
    /// zones embedded.
    func udp6Input(_ d: UnsafeRawBufferPointer, offset: Int, ifp: NetInterface, esrc: IPv6Address, edst: IPv6Address,
                   linkMulticast: Bool) {
        udpStats.ipackets &+= 1
        let u: UDPView
        do {
            u = try UDPView(validating: UnsafeRawBufferPointer(rebasing: d[offset...]))
        } catch {
            switch error {
            case .tooShort: udpStats.hdrops &+= 1
            case .badLength: udpStats.badlen &+= 1
            }
            return
        }
        if u.checksum == 0 { udpStats.nosum &+= 1; return }
        let ph = InternetChecksum.pseudoHeader6(src: esrc.withoutEmbeddedScope, dst: edst.withoutEmbeddedScope,
                                                nextHeader: IPv6NextHeader.udp, length: u.length)
        if ifp.linkType != .loopback || sysctl.udpLoopbackChecksum,
           InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: d[offset..<(offset + u.length)]), initial: ph) != 0xFFFF {
            udpStats.badsum &+= 1
            return
        }
        let from = SocketEndpoint(embedded: esrc, u.sourcePort)
        let dport = u.destinationPort
        if edst.isMulticast {
            udpDeliverToAll(u.payload, to: SocketEndpoint(embedded: edst, dport), from: from, family: PCBTable.v6)
            return
        }
        let to = SocketEndpoint(embedded: edst, dport)
        var found = udpTable.lookupConnected(local: to, foreign: from)
        if found == nil {
            udpStats.pcbhashmiss &+= 1
            found = udpTable.lookupBound(to, family: PCBTable.v6)
        }
        guard let s = found else {
            udpStats.noport &+= 1
            icmp6Error(d, ifp: ifp, type: ICMPv6Type.destinationUnreachable, code: ICMPv6Code.portUnreachable,
                       param: 0, linkMulticast: linkMulticast)
            return
        }
        udpDeliver(s, u.payload, from: from)
    }

    /// udp6_output: IPv6 header, UDP header, the mandatory checksum, ip6_output with the
    /// destination's zone. Hop limit: IPV6_UNICAST_HOPS / IPV6_MULTICAST_HOPS, else the sysctls.
    func udp6Output(_ s: Socket, _ data: UnsafeRawBufferPointer, from local: SocketEndpoint,
                    to f: SocketEndpoint) throws(Errno) -> Int {
        let len = 48 + data.count
        guard 8 + data.count <= 65535 else { throw .EMSGSIZE }
        let h = NetStack.headroom
        guard h + len <= txBuf.count else { throw .EMSGSIZE }
        let out = UnsafeMutableRawBufferPointer(rebasing: txBuf[h..<(h + len)])
        if data.count > 0 { (out.baseAddress! + 48).copyMemory(from: data.baseAddress!, byteCount: data.count) }
        let src = local.ip.withoutEmbeddedScope, dst = f.ip.withoutEmbeddedScope
        let u = UnsafeMutableRawBufferPointer(rebasing: out[40...])
        u.setBE16(0, local.port)
        u.setBE16(2, f.port)
        u.setBE16(4, UInt16(8 + data.count))
        u.setBE16(6, 0)
        var c = InternetChecksum.compute(UnsafeRawBufferPointer(u), initial: InternetChecksum.pseudoHeader6(
            src: src, dst: dst, nextHeader: IPv6NextHeader.udp, length: 8 + data.count))
        if c == 0 { c = 0xFFFF }
        u.setBE16(6, c)
        let hl = f.ip.isMulticast ? (s.multicastHops6 ?? Int(ip6.sysctl.defMcastHlim)) : (s.hopLimit6 ?? Int(ip6.sysctl.hlim))
        IPv6Emitter.emit(out, payloadLength: 8 + data.count, nextHeader: IPv6NextHeader.udp, hopLimit: UInt8(clamping: hl),
                         src: src, dst: dst)
        udpStats.opackets &+= 1
        let zone = f.ip.needsScope ? Int(f.ip.embeddedScope) : 0
        if let e = ip6Output(txBuf, length: len, zone: zone) { throw e }
        return data.count
    }

    /// udp6_ctlinput: an ICMPv6 error quoting a datagram we sent (`quoted` from its IPv6 header);
    /// the connected socket with its four-tuple gets `error`. `zone`: the interface it came on.
    func udp6ControlInput(quoted: UnsafeRawBufferPointer, zone: Int, error: Errno) {
        guard quoted.count >= 48, quoted.u8(6) == IPv6NextHeader.udp else { return }
        let (src, dst) = Self.quotedAddresses6(quoted, zone: zone)
        let local = SocketEndpoint(embedded: src, quoted.be16(40))
        let foreign = SocketEndpoint(embedded: dst, quoted.be16(42))
        if let s = udpTable.lookupConnected(local: local, foreign: foreign) { setSocketError(s, error) }
    }

    /// The source and destination of a quoted IPv6 header, zones embedded for `zone`.
    static func quotedAddresses6(_ q: UnsafeRawBufferPointer, zone: Int) -> (IPv6Address, IPv6Address) {
        let s = IPv6Address(loadingFrom: q.baseAddress! + 8), d = IPv6Address(loadingFrom: q.baseAddress! + 24)
        return (s.needsScope ? s.embeddingScope(UInt16(zone)) : s, d.needsScope ? d.embeddingScope(UInt16(zone)) : d)
    }

    /// icmp6_notify's errno for an ICMPv6 error (inet6ctlerrmap): unreachable port and
    /// administratively prohibited refuse, other unreachables are EHOSTUNREACH, a parameter
    /// problem ENOPROTOOPT; packet too big EMSGSIZE; time exceeded nothing.
    static func controlError6(type: UInt8, code: UInt8) -> Errno? {
        switch type {
        case ICMPv6Type.destinationUnreachable:
            return code == ICMPv6Code.portUnreachable || code == ICMPv6Code.adminProhibited ? .ECONNREFUSED : .EHOSTUNREACH
        case ICMPv6Type.parameterProblem: return .ENOPROTOOPT
        case ICMPv6Type.packetTooBig: return .EMSGSIZE
        default: return nil
        }
    }
}

extension NetStack {
    /// An ICMPv6 error's quoted datagram to its transport (udp6_ctlinput, tcp6_ctlinput), as
    /// icmp6_notify_error passes it on. `m` is the ICMPv6 message.
    func transportControlInput6(_ m: UnsafeRawBufferPointer, ifp: NetInterface, type: UInt8, code: UInt8, word: Int) {
        guard m.count >= 8 + 48 else { return }
        let q = UnsafeRawBufferPointer(rebasing: m[8...])
        switch q.u8(6) {
        case IPv6NextHeader.tcp:
            tcp6ControlInput(quoted: q, zone: ifp.index, type: type, code: code, mtu: word)
        case IPv6NextHeader.udp:
            if let e = NetStack.controlError6(type: type, code: code), e != .EMSGSIZE {
                udp6ControlInput(quoted: q, zone: ifp.index, error: e)
            }
        default: break
        }
    }
}
