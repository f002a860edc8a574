// tcp_output: what may be sent now (the send window, the congestion window, Nagle, SWS
// avoidance, delayed and forced ACKs, window updates, SYN and FIN), SACK recovery's pipe-driven
// retransmissions (RFC 6675), and the segment itself: headers and options written into the
// stack's transmit buffer, the payload copied from the send ring, the checksum, ip_output.
// tcp_respond for RSTs and keepalives without data.

extension NetStack {
    /// Sends what the connection's state allows, as many segments as the windows admit.
    func tcpOutput(_ s: Socket, _ tp: TCPControlBlock) {
        switch tp.state {
        case .closed, .listen: return
        default: break
        }
        // RFC 5681 4.1: after an idle RTO, restart from the restart window.
        if tp.sndMax == tp.sndUna, tp.lastSent != 0, tp.state.haveEstablished, now &- tp.lastSent > tp.rto,
           tp.flightSize == 0, (tp.sendBuffer?.count ?? 0) > 0 {
            tp.cc.onIdleRestart(restartWindow: tcpInitialWindow(tp.maxSeg), now: now)
            tp.lastSent = now
        }
        if tp.inRecovery && tp.doSACK { tcpSACKRecoveryOutput(s, tp) }
        // Nagle's "idle" is judged once per call, as BSD's tcp_output does before its `again`
        // loop: a write on an idle connection goes out whole, its short tail included.
        let idle = tp.sndMax == tp.sndUna
        var budget = 1024  // segments per call: a window is at most 4 MiB / MSS
        while budget > 0 && tcpOutputOne(s, tp, idle: idle) { budget -= 1 }
    }

    /// One pass of tcp_output's decision: sends at most one segment; true when another may follow.
    private func tcpOutputOne(_ s: Socket, _ tp: TCPControlBlock, idle: Bool) -> Bool {
        let buffered = tp.sendBuffer?.count ?? 0
        var flags: TCPView.Flags
        switch tp.state {
        case .synSent: flags = [.syn]
        case .synReceived: flags = [.syn, .ack]
        case .established, .closeWait, .finWait2, .timeWait: flags = [.ack]
        case .finWait1, .closing, .lastAck: flags = [.fin, .ack]
        case .closed, .listen: return false
        }
        // SYN segments: only while our SYN is not yet acknowledged, from iss.
        if flags.contains(.syn) {
            if tp.sndNxt != tp.iss { flags.remove(.syn) }
        }
        if flags.contains(.syn) {
            tcpTransmit(s, tp, seq: tp.iss, length: 0, flags: flags, retransmission: tp.sndMax != tp.iss)
            return false
        }
        if tp.state == .synSent { return false }  // our SYN is out; nothing else until it is answered
        let off = tp.sndNxt - tp.sndUna
        var win = min(tp.sndWnd, tp.cc.cwnd)
        if !tp.inRecovery && tp.dupAcks > 0 && tp.dupAcks < 3 {
            win = min(tp.sndWnd, tp.cc.cwnd + tp.dupAcks * tp.maxSeg)  // RFC 3042 limited transmit
        }
        if tp.forceOne && win == 0 { win = 1 }
        var len = min(buffered, win) - off
        if tp.inRecovery && tp.doSACK { len = min(len, 0) }  // new data goes out through the pipe
        if len < 0 {
            len = 0
            if win == 0 && tp.sndWnd == 0 {
                // A closed window: pull back and wait for the persist timer.
                tp.rexmtAt = 0
                tp.sndNxt = tp.sndUna
            }
        }
        var more = false
        if len > tp.maxSeg { len = tp.maxSeg; more = true }
        // FIN only with the last of the data, and once (unless retransmitting).
        if flags.contains(.fin) {
            if tp.sndNxt - tp.sndUna + len < buffered { flags.remove(.fin) }
            if tp.finSent && tp.sndNxt == tp.sndMax { flags.remove(.fin) }
        }
        var send = false
        if len > 0 {
            if len == tp.maxSeg { send = true }
            else if (idle || s.noDelay) && off + len >= buffered { send = true }  // Nagle
            else if tp.forceOne { send = true }
            else if tp.maxSndWnd > 0 && len >= tp.maxSndWnd / 2 { send = true }
            else if tp.sndNxt < tp.sndMax { send = true }
        }
        // A window update worth sending (SWS avoidance, RFC 9293 3.8.6.2.2).
        if !send && tp.state.haveEstablished && !tp.state.haveReceivedFIN, let ring = tp.receiveBuffer {
            let space = min(ring.space, 65535 << Int(tp.rcvScale))
            let adv = space - max(0, tp.rcvAdv - tp.rcvNxt)
            if adv >= 2 * tp.maxSeg || 2 * adv >= ring.limit { send = true }
        }
        if tp.ackNow { send = true }
        if flags.contains(.fin) { send = true }
        if !send {
            // Data waits behind a closed or too small window (sender SWS avoidance) with no
            // timer running: the persist timer probes it, as BSD does; RFC 1122 4.2.3.4's
            // override timeout, without which a small window that never grows stalls the data.
            if buffered > off && tp.rexmtAt == 0 && tp.persistAt == 0 {
                tcpSetPersist(s, tp)
            }
            return false
        }
        if tp.forceOne && len > 0 { tcpStats.sndprobe &+= 1 }
        tcpTransmit(s, tp, seq: tp.sndNxt, length: len, flags: flags, retransmission: tp.sndNxt < tp.sndMax)
        return more || (len > 0 && tp.sndNxt - tp.sndUna < min(buffered, win))
    }

    /// RFC 6675 5 (the loop while cwnd - pipe >= 1 SMSS): retransmissions and new data chosen by NextSeg.
    private func tcpSACKRecoveryOutput(_ s: Socket, _ tp: TCPControlBlock) {
        let dupThresh = 3
        var budget = 256
        while budget > 0 {
            budget -= 1
            let pipe = tp.scoreboard.pipe(una: tp.sndUna, sndMax: tp.sndMax, highRxt: tp.highRxt, smss: tp.maxSeg, dupThresh: dupThresh)
            guard tp.cc.cwnd - pipe >= tp.maxSeg else { return }
            let buffered = tp.sendBuffer?.count ?? 0
            let unsent = min(buffered, tp.sndWnd) - (tp.sndNxt - tp.sndUna)
            guard let next = tp.scoreboard.nextSegment(una: tp.sndUna, sndNxt: tp.sndNxt, sndMax: tp.sndMax, highRxt: tp.highRxt,
                                                       newDataAvailable: max(0, unsent), smss: tp.maxSeg, dupThresh: dupThresh) else { return }
            let offset = next.seq - tp.sndUna
            let len = min(next.length, buffered - offset)
            var flags: TCPView.Flags = [.ack]
            if tp.state.sentFIN && offset + len == buffered && (tp.finSent ? next.seq + len < tp.sndMax : true) { flags.insert(.fin) }
            guard len > 0 || flags.contains(.fin) else { return }
            if next.retransmission {
                tcpStats.sackRexmitSegs &+= 1
                tcpStats.sackRexmitBytes &+= UInt64(len)
                tcpTransmit(s, tp, seq: next.seq, length: len, flags: flags, retransmission: true)
                tp.highRxt = max(tp.highRxt, next.seq + max(len, 1))
                if next.seq == tp.sndUna { tp.unaRetransmittedAt = now }
            } else {
                tcpTransmit(s, tp, seq: tp.sndNxt, length: len, flags: flags, retransmission: false)
            }
        }
    }

    /// The persist timer (TCPT_PERSIST): from the RTO, backed off, between 5 and 60 seconds.
    func tcpSetPersist(_ s: Socket, _ tp: TCPControlBlock) {
        let base = max(tp.srtt.map { $0 + 4 * tp.rttvar } ?? tp.rto, 1)
        let t = min(60_000_000_000, max(5_000_000_000, base << UInt64(min(tp.persistShift, 12))))
        tp.persistAt = now + t
        tcpArmTimer(s, tp)
    }

    /// The options of a segment we send: on SYNs what we offer (or answer), else timestamps and
    /// SACK blocks as negotiated.
    @inline(__always)
    private func tcpOptions(_ tp: TCPControlBlock, _ repr: inout TCPRepr, syn: Bool, passive: Bool) {
        if syn {
            repr.maxSegmentSize = UInt16(clamping: tp.offeredMSS)
            if passive {
                if tp.windowScaleAgreed { repr.windowScale = tp.rcvScale }
                repr.sackPermitted = tp.doSACK
                if tp.doTimestamps { repr.timestamp = (tcpTimestampNow(tp), tp.tsRecent) }
            } else {
                if sysctl.tcpWindowScale { repr.windowScale = tp.requestedRcvScale }
                repr.sackPermitted = tp.doSACK
                if tp.doTimestamps { repr.timestamp = (tcpTimestampNow(tp), 0) }
            }
            return
        }
        if tp.doTimestamps { repr.timestamp = (tcpTimestampNow(tp), tp.tsRecent) }
        if tp.doSACK && !tp.assembler.isEmpty {
            repr.sackBlocks = tp.assembler.sackBlocks(rcvNxt: tp.rcvNxt, max: tp.doTimestamps ? 3 : 4)
            tcpStats.sackSendBlocks &+= UInt64(repr.sackBlocks.count)
        }
    }

    /// Our TSval: a millisecond clock with the connection's random offset (RFC 7323 5.4).
    @inline(__always)
    func tcpTimestampNow(_ tp: TCPControlBlock) -> UInt32 {
        UInt32(truncatingIfNeeded: now / 1_000_000) &+ tp.tsOffset
    }

    /// Builds and sends one segment of the connection: `length` bytes of the send buffer from
    /// `seq`, with `flags`; advances snd_nxt/snd_max, times it, starts the retransmission timer.
    func tcpTransmit(_ s: Socket, _ tp: TCPControlBlock, seq: TCPSeq, length: Int, flags: TCPView.Flags, retransmission: Bool) {
        let syn = flags.contains(.syn)
        var needsLossProbe = false
        var f = flags
        if length > 0 && tp.sendBuffer.map({ seq - tp.sndUna + length >= $0.count }) == true { f.insert(.psh) }
        let window = tcpReceiveWindow(s, tp)
        var repr = TCPRepr(sourcePort: s.local.port, destinationPort: s.foreign.port, sequence: seq,
                           acknowledgment: f.contains(.ack) ? tp.rcvNxt : TCPSeq(0), flags: f,
                           window: syn ? UInt16(min(window, 65535)) : UInt16(min(window >> Int(tp.rcvScale), 65535)))
        tcpOptions(tp, &repr, syn: syn, passive: tp.state == .synReceived)
        let hl = repr.headerLength
        let v4 = s.foreign.isIPv4
        let ih = v4 ? 20 : 40
        let ipLen = ih + hl + length
        let h = NetStack.headroom
        let out = UnsafeMutableRawBufferPointer(rebasing: txBuf[h..<(h + ipLen)])
        if length > 0, let ring = tp.sendBuffer {
            ring.copy(from: seq - tp.sndUna, length: length, into: out.baseAddress! + ih + hl)
        }
        if v4 {
            repr.emit(UnsafeMutableRawBufferPointer(rebasing: out[20...]), payloadLength: length, src: s.local.address, dst: s.foreign.address)
            IPv4Emitter.emit(out, totalLength: ipLen, id: nextIPID(), flagsFragment: IPv4Emitter.DF, ttl: s.ttl ?? sysctl.ttl,
                             proto: IPProtocol.tcp, src: s.local.address, dst: s.foreign.address, tos: s.tos)
        } else {
            repr.emit(UnsafeMutableRawBufferPointer(rebasing: out[40...]), payloadLength: length, src: .any, dst: .any, checksum: false)
            tcp6Header(out, tcpLength: hl + length, local: s.local.ip, foreign: s.foreign.ip, hopLimit: s.hopLimit6)
        }
        // Counters (tcps_snd*).
        tcpStats.sndtotal &+= 1
        if length > 0 {
            if retransmission {
                tcpStats.sndrexmitpack &+= 1
                tcpStats.sndrexmitbyte &+= UInt64(length)
            } else {
                tcpStats.sndpack &+= 1
                tcpStats.sndbyte &+= UInt64(length)
            }
        } else if f.contains(.syn) || f.contains(.fin) || f.contains(.rst) {
            tcpStats.sndctrl &+= 1
        } else if tp.ackNow || tp.delackAt != 0 {
            tcpStats.sndacks &+= 1
        } else {
            tcpStats.sndwinup &+= 1
        }
        // Sequence space.
        let segLen = length + (syn ? 1 : 0) + (f.contains(.fin) ? 1 : 0)
        if f.contains(.fin) { tp.finSent = true }
        let end = seq + segLen
        if segLen > 0 {
            if seq == tp.sndNxt || end > tp.sndNxt { tp.sndNxt = max(tp.sndNxt, end) }
            if end > tp.sndMax {
                if length > 0 && !tp.inRecovery && tp.lossProbeAt == 0 { needsLossProbe = true }
                if tp.rttSeq == nil && !retransmission {
                    tp.rttSeq = seq
                    tp.rttStart = now
                    tcpStats.segstimed &+= 1
                }
                tp.sndMax = end
            }
            if tp.rexmtAt == 0 && tp.persistAt == 0 && tp.sndNxt != tp.sndUna {
                tp.rexmtAt = now + tcpCurrentRTO(tp)
                tcpArmTimer(s, tp)
            }
            tp.lastSent = now
        }
        if f.contains(.ack) {
            tp.lastAckSent = tp.rcvNxt
            tp.ackNow = false
            tp.unackedSegments = 0
            if tp.delackAt != 0 { tp.delackAt = 0; tcpArmTimer(s, tp) }
            let edge = tp.rcvNxt + (syn ? window : (Int(repr.window) << Int(tp.rcvScale)))
            if edge > tp.rcvAdv { tp.rcvAdv = edge }
        }
        if v4 { _ = ipOutput(txBuf, length: ipLen) } else { _ = tcp6Send(length: ipLen, foreign: s.foreign.ip) }
        if needsLossProbe { tcpArmLossProbe(s, tp) }
    }

    /// tcp_respond for a connection: a segment without data (RST, keepalive probe) with the
    /// connection's addresses; `bareReset` leaves out the options.
    func tcpRespond(_ s: Socket, _ tp: TCPControlBlock, seq: TCPSeq, ack: TCPSeq, flags: TCPView.Flags, bareReset: Bool = false) {
        if flags.contains(.rst) { guard tcpRSTAllowed() else { return } }
        var repr = TCPRepr(sourcePort: s.local.port, destinationPort: s.foreign.port, sequence: seq, acknowledgment: ack,
                           flags: flags, window: bareReset ? 0 : UInt16(min(tcpReceiveWindow(s, tp) >> Int(tp.rcvScale), 65535)))
        if !bareReset && tp.doTimestamps { repr.timestamp = (tcpTimestampNow(tp), tp.tsRecent) }
        tcpEmitBare(repr, src: s.local, dst: s.foreign, ttl: s.ttl ?? sysctl.ttl, hopLimit: s.hopLimit6)
    }

    /// A segment to a four-tuple with no connection (RFC 9293 3.10.7.1): RST for anything but a
    /// RST, <SEQ=SEG.ACK> when it carried an ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN>.
    func tcpRespondToStray(_ seg: TCPRepr, payloadLength: Int, local: SocketEndpoint, foreign: SocketEndpoint) {
        guard !seg.flags.contains(.rst), tcpRSTAllowed() else { return }
        let repr: TCPRepr
        if seg.flags.contains(.ack) {
            repr = TCPRepr(sourcePort: local.port, destinationPort: foreign.port, sequence: seg.acknowledgment,
                           acknowledgment: TCPSeq(0), flags: [.rst], window: 0)
        } else {
            repr = TCPRepr(sourcePort: local.port, destinationPort: foreign.port, sequence: TCPSeq(0),
                           acknowledgment: seg.sequence + seg.segmentLength(payload: payloadLength), flags: [.rst, .ack], window: 0)
        }
        tcpEmitBare(repr, src: local, dst: foreign, ttl: sysctl.ttl, hopLimit: nil)
    }

    private func tcpEmitBare(_ repr: TCPRepr, src: SocketEndpoint, dst: SocketEndpoint, ttl: UInt8, hopLimit: Int?) {
        let hl = repr.headerLength
        let h = NetStack.headroom
        tcpStats.sndtotal &+= 1
        tcpStats.sndctrl &+= 1
        guard dst.isIPv4 else {
            // tcp_respond for IPv6 (tcp6 input's strays and a connection's RST or probe).
            let out = UnsafeMutableRawBufferPointer(rebasing: txBuf[h..<(h + 40 + hl)])
            repr.emit(UnsafeMutableRawBufferPointer(rebasing: out[40...]), payloadLength: 0, src: .any, dst: .any, checksum: false)
            tcp6Header(out, tcpLength: hl, local: src.ip, foreign: dst.ip, hopLimit: hopLimit)
            _ = tcp6Send(length: 40 + hl, foreign: dst.ip)
            return
        }
        let out = UnsafeMutableRawBufferPointer(rebasing: txBuf[h..<(h + 20 + hl)])
        repr.emit(UnsafeMutableRawBufferPointer(rebasing: out[20...]), payloadLength: 0, src: src.address, dst: dst.address)
        IPv4Emitter.emit(out, totalLength: 20 + hl, id: nextIPID(), flagsFragment: IPv4Emitter.DF, ttl: ttl,
                         proto: IPProtocol.tcp, src: src.address, dst: dst.address)
        _ = ipOutput(txBuf, length: 20 + hl)
    }

    /// net.inet.tcp.rstppslimit: RSTs (and challenge ACKs) per second, -1 unlimited.
    func tcpRSTAllowed() -> Bool {
        let limit = sysctl.tcpRSTPPSLimit
        if limit < 0 { return true }
        let t = now
        if t >= tcpRSTWindow &+ 1_000_000_000 { tcpRSTWindow = t; tcpRSTCount = 0 }
        guard tcpRSTCount < limit else { return false }
        tcpRSTCount += 1
        return true
    }

    /// The MSS to offer toward `dst` of either family (tcp_mss_to_advmss).
    func tcpRouteMSS(_ dst: SocketEndpoint) -> Int {
        dst.isIPv4 ? tcpRouteMSS(dst.address) : tcpRouteMSS6(dst.ip)
    }

    /// The MSS to offer toward `dst`: the route's MTU (its interface's, or rmx_mtu) less the
    /// IP and TCP headers; loopback is held to the loopback queue's slot size.
    func tcpRouteMSS(_ dst: IPv4Address) -> Int {
        let slot = routes.cachedLookupSlot(dst)
        guard slot >= 0 else { return sysctl.tcpMSSDefault }
        let r = routes[slot: slot]
        guard let ifp = interface(index: r.ifIndex) else { return sysctl.tcpMSSDefault }
        var mtu = r.mtu > 0 ? min(r.mtu, ifp.mtu) : ifp.mtu
        if ifp.linkType == .loopback || r.flags.contains(.local) { mtu = min(mtu, NetStack.loopbackSlotBytes) }
        return max(sysctl.tcpMinMSS, mtu - 40)
    }

    /// Whether `a` is on a directly attached network (MSL truncation's "local").
    func isOnLink(_ a: IPv4Address) -> Bool {
        let slot = routes.cachedLookupSlot(a)
        guard slot >= 0 else { return false }
        return !routes[slot: slot].flags.contains(.gateway)
    }
}
