// Passive open: a SYN to a listener makes an embryonic connection in SYN_RCVD (NetBSD's syn_cache
// in spirit, but a full, small tcpcb without buffers). The listen queue is a bounded queue, not SYN
// cookies: embryonic plus completed connections stay under 3/2 of the backlog (BSD's qlimit rule);
// past it a SYN replaces the oldest embryo if that one has been silent for an initial RTO
// (counted in tcps_sc_overflowed), else it is dropped (its sender retries), so a SYN flood costs a bounded number of small objects and the
// listener keeps serving. Embryonic connections time out after
// net.inet.tcp.keepinit. Options negotiation for both opens is here too.

extension NetStack {
    /// The listener for `local`: bound to its address, else to the wildcard (one taking the
    /// segment's family: an AF_INET6 listener takes IPv4 only without IPV6_V6ONLY).
    func tcpListener(for local: SocketEndpoint, family: UInt8 = PCBTable.v4) -> Socket? {
        guard let list = tcpTable.sockets(onPort: local.port) else { return nil }
        var wildcard: Socket? = nil
        for s in list where s.isListening {
            if s.local.sameAddress(local) { return s }
            if wildcard == nil && s.local.isAny && s.accepts & family != 0 { wildcard = s }
        }
        return wildcard
    }

    /// A segment for a listener (RFC 9293 3.10.7.2).
    func tcpListenInput(_ l: Socket, _ seg: TCPRepr, payload: UnsafeRawBufferPointer, local: SocketEndpoint, foreign: SocketEndpoint) {
        let f = seg.flags
        if f.contains(.rst) { return }
        if f.contains(.ack) {
            tcpRespondToStray(seg, payloadLength: payload.count, local: local, foreign: foreign)
            return
        }
        guard f.contains(.syn) else { return }
        if f.contains(.fin) { tcpStats.badsyn &+= 1; return }
        if l.acceptQueue.count + l.embryonic >= (3 * l.backlog) / 2 + 1 || tcpConnections.count >= sysctl.tcpSynCacheLimit + 1_000_000 {
            tcpStats.scOverflowed &+= 1
            // Full: the oldest embryo makes room, as NetBSD's syn_cache_insert drops its oldest
            // entry, so a flood cannot lock real clients out until keepinit; with only completed
            // connections waiting (the application not accepting) the SYN is dropped.
            // Only an embryo silent for a whole initial RTO goes (a flood's are; a burst of real
            // clients completes within an RTT, and replacing one of those would reset a client
            // whose handshake is on its way): else this SYN is dropped and retried by its sender.
            guard let oldest = tcpOldestEmbryo(of: l), let otp = oldest.tcb,
                  now &- otp.lastReceived >= sysctl.tcpInitialRTO else {
                tcpStats.scDropped &+= 1
                return
            }
            tcpClose(oldest, otp)
        }
        let c = Socket(fd: -1, proto: .tcp, receiveLimit: 0, sendLimit: l.sendLimit)
        c.streamReceiveLimit = l.streamReceiveLimit
        c.family = l.family
        c.v6only = l.v6only
        c.hopLimit6 = l.hopLimit6
        c.local = local
        c.foreign = foreign
        c.isConnected = true
        c.noDelay = l.noDelay
        c.keepAlive = l.keepAlive
        c.linger = l.linger
        c.userMaxSeg = l.userMaxSeg
        c.ttl = l.ttl
        c.tos = l.tos
        c.receiveLowWater = l.receiveLowWater
        c.sendLowWater = l.sendLowWater
        let tp = tcpNewControlBlock(c)
        tp.listener = l
        l.embryonic += 1
        tcpTable.insert(c)
        tcpConnections[TCPFourTuple(local: local, foreign: foreign)] = c
        tp.irs = seg.sequence
        tp.rcvNxt = seg.sequence + 1
        tp.rcvAdv = tp.rcvNxt
        tp.iss = tcpInitialSequence(local, foreign)
        tp.sndUna = tp.iss; tp.sndNxt = tp.iss; tp.sndMax = tp.iss
        tp.recover = tp.iss  // RFC 6582: "recover" starts at the ISS (0 failed for half the ISS space)
        tp.sndWnd = Int(seg.window)  // unscaled in a SYN
        tp.sndWL1 = seg.sequence
        tp.state = .synReceived
        tcpApplySYNOptions(tp, seg, passive: true)
        if let ts = seg.timestamp, tp.doTimestamps { tp.tsRecent = ts.value; tp.tsRecentAge = now }
        tcpStats.scAdded &+= 1
        tcpSetTimer(tp, keep: now + UInt64(sysctl.tcpKeepInit) * 500_000_000)
        tcpArmTimer(c, tp)
        tcpOutput(c, tp)
    }

    /// The listener's embryonic connection set up first (the earliest keepinit deadline). A
    /// scan of the connection table: it runs only when the listen queue is full.
    func tcpOldestEmbryo(of l: Socket) -> Socket? {
        guard l.embryonic > 0 else { return nil }
        var oldest: Socket? = nil
        var deadline = UInt64.max
        for (_, c) in tcpConnections {
            guard let tp = c.tcb, tp.listener === l, tp.state == .synReceived, tp.keepAt < deadline else { continue }
            oldest = c
            deadline = tp.keepAt
        }
        return oldest
    }

    /// The options of the peer's SYN (or SYN-ACK): MSS, window scale (both sides or neither,
    /// RFC 7323 2.2), timestamps, SACK-permitted (both sides), then t_maxseg.
    func tcpApplySYNOptions(_ tp: TCPControlBlock, _ seg: TCPRepr, passive: Bool) {
        let s = tp.socket
        tp.offeredMSS = tcpRouteMSS(s.foreign)
        if let ws = seg.windowScale, sysctl.tcpWindowScale {
            tp.sndScale = min(ws, 14)
            tp.rcvScale = tp.requestedRcvScale
            tp.windowScaleAgreed = true
        } else {
            tp.sndScale = 0
            tp.rcvScale = 0
        }
        tp.doTimestamps = tp.doTimestamps && seg.timestamp != nil
        tp.doSACK = tp.doSACK && seg.sackPermitted
        // RFC 9293 3.7.1: 536 without the option; tcp_minmss bounds what a peer may ask.
        let peer = max(sysctl.tcpMinMSS, Int(seg.maxSegmentSize ?? 536))
        var mss = min(peer, tp.offeredMSS)
        if s.userMaxSeg > 0 { mss = min(mss, s.userMaxSeg) }
        if tp.doTimestamps { mss -= 12 }
        tp.maxSeg = max(64, mss)
        tp.cc.smss = tp.maxSeg
        if passive { tp.offeredMSS = min(tp.offeredMSS, s.userMaxSeg > 0 ? s.userMaxSeg : Int.max) }
    }

    /// RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), with M a
    /// 4-microsecond clock and F a keyed SipHash-2-4 whose key comes from the kernel's seeded
    /// generator (so a seed fixes every ISN, and another kernel cannot predict them).
    func tcpInitialSequence(_ local: SocketEndpoint, _ foreign: SocketEndpoint) -> TCPSeq {
        let m = UInt32(truncatingIfNeeded: now / 4000)
        // IPv4 (v4-mapped): the two addresses as before; IPv6: each address folded to 32 bits.
        func fold(_ a: IPv6Address) -> UInt64 {
            let x = a.high ^ a.low
            return a.high == 0 && a.low >> 32 == 0xffff ? a.low & 0xffff_ffff : (x ^ x >> 32) & 0xffff_ffff
        }
        let a = fold(local.ip) << 32 | fold(foreign.ip)
        let b = UInt64(local.port) << 16 | UInt64(foreign.port)
        let f = SipHash24.hash(key: issKey, a, b)
        return TCPSeq(m &+ UInt32(truncatingIfNeeded: f))
    }
}

/// SipHash-2-4 over two 64-bit words (a 16-byte message), for RFC 6528's F.
enum SipHash24 {
    @inline(__always)
    private static func rotl(_ x: UInt64, _ b: UInt64) -> UInt64 { (x << b) | (x >> (64 - b)) }

    private static func round(_ v0: inout UInt64, _ v1: inout UInt64, _ v2: inout UInt64, _ v3: inout UInt64) {
        v0 &+= v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
        v2 &+= v3; v3 = rotl(v3, 16); v3 ^= v2
        v0 &+= v3; v3 = rotl(v3, 21); v3 ^= v0
        v2 &+= v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    }

    static func hash(key: (UInt64, UInt64), _ m0: UInt64, _ m1: UInt64) -> UInt64 {
        var v0 = key.0 ^ 0x736f_6d65_7073_6575
        var v1 = key.1 ^ 0x646f_7261_6e64_6f6d
        var v2 = key.0 ^ 0x6c79_6765_6e65_7261
        var v3 = key.1 ^ 0x7465_6462_7974_6573
        for m in [m0, m1, UInt64(16) << 56] {
            v3 ^= m
            round(&v0, &v1, &v2, &v3); round(&v0, &v1, &v2, &v3)
            v0 ^= m
        }
        v2 ^= 0xff
        for _ in 0..<4 { round(&v0, &v1, &v2, &v3) }
        return v0 ^ v1 ^ v2 ^ v3
    }
}

extension NetStack {
    /// tcp_ctlinput: an ICMP error quoting one of our segments. "Fragmentation needed" lowers
    /// the connection's segment size to the next hop's MTU and resends (RFC 1191); port and
    /// protocol unreachable refuse a connection being set up; other errors are soft (kept as
    /// t_softerror while connecting, the attempt's error if it fails or after four
    /// retransmissions; NetBSD's tcp_notify leaves established connections alone).
    func tcpControlInput(quoted: UnsafeRawBufferPointer, type: UInt8, code: UInt8, nextHopMTU: Int) {
        let hl = Int(quoted.u8(0) & 0x0F) * 4
        guard hl >= 20, quoted.count >= hl + 8 else { return }
        let local = SocketEndpoint(IPv4Address(quoted.be32(12)), quoted.be16(hl))
        let foreign = SocketEndpoint(IPv4Address(quoted.be32(16)), quoted.be16(hl + 2))
        guard let s = tcpConnections[TCPFourTuple(local: local, foreign: foreign)], let tp = s.tcb else { return }
        // RFC 5927: the quoted sequence number must be one in flight.
        let seq = TCPSeq(quoted.be32(hl + 4))
        guard tp.sndUna <= seq, seq < tp.sndMax || tp.sndUna == tp.sndMax else { return }
        if type == ICMPType.unreachable && code == ICMPUnreachCode.needFrag {
            guard sysctl.mtudisc else { return }
            let mtu = nextHopMTU >= 68 ? nextHopMTU : 576
            tcpLowerSegmentSize(s, tp, to: max(sysctl.tcpMinMSS, mtu - 40 - (tp.doTimestamps ? 12 : 0)))
            return
        }
        guard let e = NetStack.controlError(type: type, code: code) else { return }
        tcpControlError(s, tp, e)
    }

    /// tcp_mtudisc: a smaller segment size from a path MTU report, and what was in flight again.
    func tcpLowerSegmentSize(_ s: Socket, _ tp: TCPControlBlock, to newSeg: Int) {
        guard newSeg < tp.maxSeg else { return }
        tp.maxSeg = newSeg
        tp.cc.smss = newSeg
        tp.sndNxt = tp.sndUna
        tcpOutput(s, tp)
    }

    /// tcp_notify: an unreachable's errno refuses a connection being set up (ECONNREFUSED, or
    /// any after four retransmissions), else it is kept as the soft error.
    func tcpControlError(_ s: Socket, _ tp: TCPControlBlock, _ e: Errno) {
        if tp.state == .synSent || tp.state == .synReceived {
            if e == .ECONNREFUSED || tp.rxtShift > 3 {
                tcpStats.scUnreach &+= tp.listener != nil ? 1 : 0
                tcpDrop(s, tp, error: e, sendReset: false)
            } else {
                tp.softError = e  // RFC 1122 4.2.3.9: a soft error MUST NOT abort the connect
            }
        }
    }
}
