// TCP over IPv6 (netinet6's tcp6 pieces of tcp_input.c / tcp_output.c / tcp_subr.c): the IPv6
// header and checksum of a segment built by tcpTransmit or tcp_respond, ip6_output with the
// peer's zone, the MSS toward an IPv6 peer (link MTU - 60: the 40-byte IPv6 header and 20 of
// TCP), and tcp6_ctlinput: ICMPv6 packet too big lowers the connection's segment size (RFC 8201),
// unreachables refuse a connection being set up as they do for IPv4.

extension NetStack {
    /// Writes the IPv6 header at out[0..<40] and the TCP checksum of the segment at out[40...]
    /// (`tcpLength` bytes, header emitted with a zero checksum). Addresses with zones embedded.
    func tcp6Header(_ out: UnsafeMutableRawBufferPointer, tcpLength: Int, local: IPv6Address, foreign: IPv6Address,
                    hopLimit: Int?) {
        let src = local.withoutEmbeddedScope, dst = foreign.withoutEmbeddedScope
        let seg = UnsafeMutableRawBufferPointer(rebasing: out[40..<(40 + tcpLength)])
        seg.setBE16(16, InternetChecksum.compute(UnsafeRawBufferPointer(seg), initial: InternetChecksum.pseudoHeader6(
            src: src, dst: dst, nextHeader: IPv6NextHeader.tcp, length: tcpLength)))
        IPv6Emitter.emit(out, payloadLength: tcpLength, nextHeader: IPv6NextHeader.tcp,
                         hopLimit: UInt8(clamping: hopLimit ?? Int(ip6.sysctl.hlim)), src: src, dst: dst)
    }

    /// ip6_output of the segment in txBuf toward `foreign` (its zone decides a scoped route).
    func tcp6Send(length: Int, foreign: IPv6Address) -> Errno? {
        ip6Output(txBuf, length: length, zone: foreign.needsScope ? Int(foreign.embeddedScope) : 0)
    }

    /// The MSS to offer toward an IPv6 peer: the path MTU (route, RA link MTU, learned path MTU,
    /// interface) less 60; loopback is held to the loopback queue's slot size. Without a route
    /// the IPv6 minimum MTU's (1280 - 60).
    func tcpRouteMSS6(_ dst: IPv6Address) -> Int {
        guard ip6Enabled, let r = ip6.routes.lookup(dst), let ifp = interface(index: r.ifIndex) else {
            return max(sysctl.tcpMinMSS, 1280 - 60)
        }
        var mtu = pathMTU6(dst, route: r, ifp: ifp)
        if ifp.linkType == .loopback || r.flags.contains(.local) { mtu = min(mtu, NetStack.loopbackSlotBytes) }
        return max(sysctl.tcpMinMSS, mtu - 60)
    }

    /// Whether `a` is on a directly attached IPv6 network (MSL truncation's "local").
    func isOnLink6(_ a: IPv6Address) -> Bool {
        guard ip6Enabled, let r = ip6.routes.lookup(a) else { return false }
        return !r.flags.contains(.gateway)
    }

    /// tcp6_ctlinput: an ICMPv6 error quoting one of our segments (`quoted` from its IPv6
    /// header; `zone` the interface it came on). Packet too big: t_maxseg from the reported MTU
    /// (at least 1280) less 60 and the timestamp option, and the lost data is resent.
    func tcp6ControlInput(quoted: UnsafeRawBufferPointer, zone: Int, type: UInt8, code: UInt8, mtu: Int) {
        guard quoted.count >= 48, quoted.u8(6) == IPv6NextHeader.tcp else { return }
        let (src, dst) = Self.quotedAddresses6(quoted, zone: zone)
        let local = SocketEndpoint(embedded: src, quoted.be16(40))
        let foreign = SocketEndpoint(embedded: dst, quoted.be16(42))
        guard let s = tcpConnections[TCPFourTuple(local: local, foreign: foreign)], let tp = s.tcb else { return }
        // RFC 5927: the quoted sequence number must be one in flight.
        let seq = TCPSeq(quoted.be32(44))
        guard tp.sndUna <= seq, seq < tp.sndMax || tp.sndUna == tp.sndMax else { return }
        if type == ICMPv6Type.packetTooBig {
            tcpLowerSegmentSize(s, tp, to: max(sysctl.tcpMinMSS, max(mtu, 1280) - 60 - (tp.doTimestamps ? 12 : 0)))
            return
        }
        guard let e = NetStack.controlError6(type: type, code: code), e != .EMSGSIZE else { return }
        tcpControlError(s, tp, e)
    }
}
