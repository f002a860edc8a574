// TCP's user requests (tcp_usrreq.c: tcp_attach, tcp_bind, tcp_listen, tcp_connect, tcp_accept,
// tcp_send, tcp_rcvd, tcp_shutdown, tcp_disconnect, tcp_abort) and the stream socket's readiness.
// The stack never blocks: connect answers EINPROGRESS, accept/send/receive EWOULDBLOCK, and
// socketChanged reports when waiting is over.

extension NetStack {
    /// The connection table's entry for `s` (once it has both ends).
    @inline(__always)
    func fourTuple(_ s: Socket) -> TCPFourTuple { TCPFourTuple(local: s.local, foreign: s.foreign) }

    /// in_pcbbind for TCP (the same rules as UDP's, over TCP's port table).
    func tcpBind(_ s: Socket, _ local: SocketEndpoint) throws(Errno) {
        guard s.local.port == 0, s.local.isAny, s.tcb == nil, !s.isListening else { throw .EINVAL }
        try checkBindAddress(s, local)
        var port = local.port
        if port == 0 {
            port = try ephemeralPort(for: s, address: local, in: tcpTable)
        } else {
            let wildcard = !s.reuseAddress && !s.reusePort
            if let t = tcpTable.conflicting(address: local, port: port, families: s.accepts, wildcard: wildcard, excluding: s) {
                // SO_REUSEADDR lets a listener bind beside connections (TIME_WAIT ones included)
                // on its port, never beside another listener on the same address.
                let shared = (s.reusePort && t.reusePort) || (s.reuseAddress && !t.isListening && t.tcb != nil)
                if !shared { throw .EADDRINUSE }
            }
        }
        s.local = SocketEndpoint(embedded: local.ip, port)
        tcpTable.insert(s)
    }

    /// listen(2): EINVAL once connected; binds an ephemeral port when unbound. The backlog
    /// bounds completed plus embryonic connections (somaxconn 128 caps it, as NetBSD's
    /// SOMAXCONN does; a negative or zero backlog still admits one).
    func tcpListen(_ s: Socket, backlog: Int) throws(Errno) {
        guard s.tcb == nil else { throw .EINVAL }
        if s.local.port == 0 { try tcpBind(s, SocketEndpoint(embedded: s.local.ip, 0)) }
        s.backlog = max(1, min(backlog, NetStack.somaxconn))
        socketChanged(s)
    }

    static let somaxconn = 128

    /// accept(2): the oldest completed connection, with its peer. EINVAL unless listening,
    /// EWOULDBLOCK when none is waiting; ECONNABORTED never (a reset one leaves the queue).
    public func accept(_ fd: Int32) throws(Errno) -> (fd: Int32, peer: SocketEndpoint) {
        let s = try socket(fd)
        guard case .tcp = s.proto, s.isListening else { throw .EINVAL }
        if let e = s.error { s.error = nil; socketChanged(s); throw e }
        guard !s.acceptQueue.isEmpty else { throw .EWOULDBLOCK }
        let c = s.acceptQueue.removeFirst()
        c.tcb?.listener = nil
        let nfd = sockets.nextFree()
        c.fd = nfd
        sockets.slots[Int(nfd)] = c
        c.reportedEvents = c.events
        socketChanged(s)
        return (nfd, c.foreign)
    }

    /// listen(2) on a descriptor.
    public func listen(_ fd: Int32, backlog: Int) throws(Errno) {
        let s = try socket(fd)
        guard case .tcp = s.proto else { throw .EOPNOTSUPP }
        try tcpListen(s, backlog: backlog)
    }

    /// tcp_connect: the source address from the route, an ephemeral port, a SYN. EISCONN when
    /// connected, EALREADY while connecting, EINVAL on a listener, EADDRINUSE for a four-tuple
    /// in use, EADDRNOTAVAIL for port 0 or the wildcard, ECONNREFUSED/ETIMEDOUT later in so_error.
    func tcpConnect(_ s: Socket, _ foreign: SocketEndpoint) throws(Errno) {
        guard !s.isListening else { throw .EOPNOTSUPP }
        if let tp = s.tcb {
            throw tp.state == .synSent || tp.state == .synReceived ? .EALREADY : .EISCONN
        }
        var foreign = foreign
        if foreign.isIPv4 {
            if s.isInet6 && s.v6only { throw .EINVAL }       // in6_pcbconnect: v4-mapped with V6ONLY
            guard foreign.port != 0, !foreign.address.isAny, !foreign.address.isBroadcast, !foreign.address.isMulticast,
                  !isSubnetBroadcast(foreign.address) else { throw .EADDRNOTAVAIL }
        } else {
            guard s.isInet6 else { throw .EAFNOSUPPORT }
            guard ip6Enabled else { throw .ENETUNREACH }
            guard foreign.port != 0, !foreign.ip.isMulticast else { throw .EADDRNOTAVAIL }
            foreign.ip = try embed(foreign.ip, scopeID: UInt32(foreign.ip.embeddedScope))
        }
        let address = s.local.isAny ? try sourceAddress(toward: foreign) : s.local.ip
        if s.local.port != 0, tcpConnections[TCPFourTuple(local: SocketEndpoint(embedded: address, s.local.port), foreign: foreign)] != nil {
            throw .EADDRINUSE
        }
        if s.local.port == 0 {
            s.local.ip = address
            do {
                let port = try ephemeralPort(for: s, address: s.local, in: tcpTable)
                s.local.port = port
                tcpTable.insert(s)
            } catch {
                s.local.ip = .any
                throw error
            }
        } else {
            s.local.ip = address
        }
        s.foreign = foreign
        s.isConnected = true
        let tp = tcpNewControlBlock(s)
        tcpConnections[fourTuple(s)] = s
        tcpAllocateBuffers(s, tp)
        // The MSS our SYN offers: the route's MTU less the headers (RFC 9293 3.7.1), bounded by
        // TCP_MAXSEG; without this an active open offered the 536-byte default.
        tp.offeredMSS = min(tcpRouteMSS(foreign), s.userMaxSeg > 0 ? s.userMaxSeg : Int.max)
        tp.iss = tcpInitialSequence(s.local, s.foreign)
        tp.sndUna = tp.iss; tp.sndNxt = tp.iss; tp.sndMax = tp.iss
        tp.recover = tp.iss  // RFC 6582: "recover" starts at the ISS (0 failed for half the ISS space)
        tp.state = .synSent
        tcpStats.connattempt &+= 1
        tcpSetTimer(tp, keep: now + UInt64(sysctl.tcpKeepInit) * 500_000_000)
        tcpOutput(s, tp)
        socketChanged(s)
        throw .EINPROGRESS
    }

    /// A control block with the stack's defaults (congestion control, option choices).
    func tcpNewControlBlock(_ s: Socket) -> TCPControlBlock {
        let mss = 536
        let algorithm = CongestionAlgorithm(rawValue: sysctl.tcpCongestionControl) ?? .newreno
        let tp = TCPControlBlock(socket: s, cc: algorithm.make(smss: mss, initialWindow: tcpInitialWindow(mss)))
        tp.doTimestamps = sysctl.tcpTimestamps
        tp.doSACK = sysctl.tcpSACK
        tp.requestedRcvScale = sysctl.tcpWindowScale ? NetStack.tcpWindowScaleFor(sysctl.tcpRecvBufMax) : 0
        tp.tsOffset = UInt32(truncatingIfNeeded: random64())
        tp.lastReceived = now
        tp.rto = sysctl.tcpInitialRTO
        s.tcb = tp
        return tp
    }

    /// The smallest shift that fits `bytes` in the 16-bit window (RFC 7323 2.3), at most 14.
    static func tcpWindowScaleFor(_ bytes: Int) -> UInt8 {
        var shift: UInt8 = 0
        while shift < 14 && (65535 << Int(shift)) < bytes { shift += 1 }
        return shift
    }

    /// RFC 5681 3.1's initial window (net.inet.tcp.init_win segments, bounded by 4380 bytes'
    /// rule when it is 0, as NetBSD's TCP_INITIAL_WINDOW).
    func tcpInitialWindow(_ mss: Int) -> Int {
        let segs = sysctl.tcpInitWin
        if segs > 0 { return segs * mss }
        return min(4 * mss, max(2 * mss, 4380))
    }

    func tcpAllocateBuffers(_ s: Socket, _ tp: TCPControlBlock) {
        guard tp.sendBuffer == nil else { return }
        let sendCap = max(sysctl.tcpSendBufMax, s.sendLimit)
        let recvCap = max(sysctl.tcpRecvBufMax, s.streamReceiveLimit)
        tp.sendBuffer = StreamRing(limit: s.sendLimit, capacity: sendCap)
        tp.receiveBuffer = StreamRing(limit: s.streamReceiveLimit, capacity: recvCap)
    }

    /// tcp_send: queues what fits (a partial write when the buffer fills), then tcp_output.
    /// ENOTCONN before the connection is set up, EPIPE after SHUT_WR or once it is gone.
    func tcpSend(_ s: Socket, _ data: UnsafeRawBufferPointer, flags: MessageFlags) throws(Errno) -> Int {
        guard let tp = s.tcb, tp.state != .listen else { throw .ENOTCONN }
        if tp.state == .synSent || tp.state == .synReceived { throw .ENOTCONN }
        guard !s.cantSendMore, tp.state == .established || tp.state == .closeWait else { throw .EPIPE }
        guard var buf = tp.sendBuffer else { throw .EPIPE }
        if buf.space < data.count { tcpGrowSendBuffer(tp, &buf) }
        let n = buf.append(data)
        tp.sendBuffer = buf
        // A full buffer is no longer writable: report it, or the ACK that frees room would
        // find the readiness unchanged and wake no parked send.
        socketChanged(s)
        if n == 0 { throw .EWOULDBLOCK }
        tcpOutput(s, tp)
        return n
    }

    /// Send-buffer auto-sizing (net.inet.tcp.sendbuf_auto): a buffer the window could drain
    /// faster than it holds grows by sendbuf_inc, up to sendbuf_max.
    func tcpGrowSendBuffer(_ tp: TCPControlBlock, _ buf: inout StreamRing) {
        guard sysctl.tcpSendBufAuto, buf.limit < buf.capacity else { return }
        if buf.count >= buf.limit * 7 / 8 && min(tp.sndWnd, tp.cc.cwnd) >= buf.limit * 7 / 8 {
            buf.limit = min(buf.capacity, max(buf.limit * 2, buf.limit + sysctl.tcpSendBufInc))
        }
    }

    /// soreceive for a stream: up to buffer.count bytes (MSG_PEEK leaves them), end of file (0)
    /// after the peer's FIN, a pending error after the data; then tcp_rcvd's window update.
    func tcpReceive(_ s: Socket, into buffer: UnsafeMutableRawBufferPointer, flags: MessageFlags) throws(Errno) -> ReceivedDatagram {
        if flags.contains(.outOfBand) { throw .EINVAL }
        guard let tp = s.tcb, var buf = tp.receiveBuffer else {
            if let e = s.error { s.error = nil; socketChanged(s); throw e }
            if s.cantReceiveMore { return .endOfFile }
            throw .ENOTCONN
        }
        if !buf.isEmpty && buffer.count > 0 {
            let n = buf.read(into: buffer, remove: !flags.contains(.peek))
            tp.receiveBuffer = buf
            if !flags.contains(.peek) { tcpReceived(s, tp) }
            socketChanged(s)
            return ReceivedDatagram(copied: n, length: n, from: s.foreign)
        }
        if let e = s.error { s.error = nil; socketChanged(s); throw e }
        if s.cantReceiveMore || tp.state.haveReceivedFIN || tp.state == .closed { return .endOfFile }
        if tp.state == .synSent || tp.state == .synReceived { throw .EWOULDBLOCK }
        if buffer.count == 0 { return ReceivedDatagram(copied: 0, length: 0, from: s.foreign) }
        throw .EWOULDBLOCK
    }

    /// tcp_rcvd: the application took data; a window update goes out when the window opened
    /// by two segments or half the buffer (tcp_output decides).
    func tcpReceived(_ s: Socket, _ tp: TCPControlBlock) {
        guard tp.state.haveEstablished else { return }
        tcpOutput(s, tp)
    }

    /// shutdown(2) for TCP: SHUT_WR sends our FIN after the queued data (tcp_usrclosed).
    func tcpShutdown(_ s: Socket, how: Int32) throws(Errno) {
        guard let tp = s.tcb, tp.state != .listen, s.isConnected || tp.state != .closed else {
            if s.isListening || s.tcb == nil { throw .ENOTCONN }
            return
        }
        if how == SocketConstants.SHUT_RD || how == SocketConstants.SHUT_RDWR {
            s.cantReceiveMore = true
            tp.receiveBuffer?.removeAll()
        }
        if how == SocketConstants.SHUT_WR || how == SocketConstants.SHUT_RDWR {
            if !s.cantSendMore {
                s.cantSendMore = true
                tcpUserClosed(s, tp)
            }
        }
        socketChanged(s)
    }

    /// tcp_usrclosed: the application will send no more; the state moves toward FIN.
    func tcpUserClosed(_ s: Socket, _ tp: TCPControlBlock) {
        switch tp.state {
        case .closed, .listen, .synSent:
            tcpClose(s, tp)
            return
        case .synReceived, .established:
            tp.state = .finWait1
        case .closeWait:
            tp.state = .lastAck
        default:
            break
        }
        tcpOutput(s, tp)
    }

    /// close(2) on a TCP socket: a listener resets what waits in its queue; a connection with
    /// SO_LINGER 0 is reset (tcp_drop); else it finishes its close without a descriptor
    /// (NetBSD: soclose → tcp_disconnect → tcp_usrclosed; unread data is discarded).
    func tcpDetach(_ s: Socket) {
        if s.isListening {
            for c in s.acceptQueue {
                if let tp = c.tcb { tcpDrop(c, tp, error: .ECONNABORTED, sendReset: true) }
            }
            s.acceptQueue.removeAll()
            // Embryonic connections find their listener gone and are dropped as they progress.
            for (_, c) in tcpConnections where c.tcb?.listener === s {
                if let tp = c.tcb { tcpDrop(c, tp, error: .ECONNABORTED, sendReset: true) }
            }
            if s.local.port != 0 { tcpTable.remove(s) }
            s.backlog = -1
            return
        }
        guard let tp = s.tcb else {
            if s.local.port != 0 { tcpTable.remove(s) }
            return
        }
        s.fd = -1
        if s.linger == 0 {
            tcpDrop(s, tp, error: .ECONNABORTED, sendReset: tp.state.haveReceivedSYN)
            return
        }
        s.cantReceiveMore = true
        tp.receiveBuffer?.removeAll()
        if !s.cantSendMore {
            s.cantSendMore = true
            tcpUserClosed(s, tp)
        }
        if tp.state == .finWait2 {
            // No one will read again: FIN_WAIT_2 ends after the idle limit (tcp_maxidle).
            tcpSetTimer(tp, closeWait: now + tcpMaxIdle)
        }
    }

    /// tcp_maxidle: keepcnt × keepintvl (slow ticks of 500 ms).
    var tcpMaxIdle: UInt64 { UInt64(sysctl.tcpKeepCount) * UInt64(sysctl.tcpKeepInterval) * 500_000_000 }

    /// tcp_drop: a reset to the peer when synchronized, so_error for the owner, then tcp_close.
    func tcpDrop(_ s: Socket, _ tp: TCPControlBlock, error: Errno, sendReset: Bool = true) {
        if sendReset && tp.state.haveReceivedSYN && tp.state != .timeWait {
            tcpRespond(s, tp, seq: tp.sndNxt, ack: tp.rcvNxt, flags: [.rst, .ack])
        }
        if tp.state.haveReceivedSYN { tcpStats.drops &+= 1 } else { tcpStats.conndrops &+= 1 }
        s.error = error
        tcpClose(s, tp)
    }

    /// tcp_close: the connection is gone; its descriptor (if any) reads EOF or the error, its
    /// port is free, its buffers are released.
    func tcpClose(_ s: Socket, _ tp: TCPControlBlock) {
        if tp.state == .closed && s.tcb == nil { return }
        if tp.state.haveEstablished || tp.state == .synReceived { tcpStats.closed &+= 1 }
        tp.state = .closed
        if !tp.timer.isNone { timers.cancel(tp.timer); tp.timer = .none }
        tp.rexmtAt = 0; tp.persistAt = 0; tp.keepAt = 0; tp.closeWaitAt = 0; tp.delackAt = 0
        if let l = tp.listener {
            if let i = l.acceptQueue.firstIndex(where: { $0 === s }) { l.acceptQueue.remove(at: i) } else { l.embryonic -= 1 }
            tp.listener = nil
            socketChanged(l)
        }
        if tcpConnections[fourTuple(s)] === s { tcpConnections[fourTuple(s)] = nil }
        if s.local.port != 0 { tcpTable.remove(s) }
        s.cantSendMore = true
        s.cantReceiveMore = true
        if s.fd >= 0 {
            // The owner still reads what was received, then EOF (or the error).
            tp.sendBuffer?.deallocate(); tp.sendBuffer = nil
            socketChanged(s)
        } else {
            tp.deallocateBuffers()
            s.tcb = nil
        }
    }
}

extension Socket {
    /// sopoll for stream sockets: readable with data at the low-water mark, EOF, an error, or
    /// a connection to accept; writable when connected with send space at SO_SNDLOWAT.
    var streamEvents: SocketEvents {
        var e: SocketEvents = []
        if error != nil { e.insert([.readable, .writable, .error]) }
        if isListening {
            if !acceptQueue.isEmpty { e.insert(.readable) }
            return e
        }
        guard let tp = tcb else {
            if cantReceiveMore { e.insert(.readable) }
            if cantSendMore && cantReceiveMore { e.insert([.hangUp, .writable]) }
            return e
        }
        let queued = tp.receiveBuffer?.count ?? 0
        if queued >= receiveLowWater || (queued > 0 && tp.state.haveReceivedFIN) || cantReceiveMore
            || tp.state.haveReceivedFIN || tp.state == .closed {
            e.insert(.readable)
        }
        if tp.state == .established || tp.state == .closeWait {
            if cantSendMore { e.insert(.writable) }  // EPIPE at once
            else if let sb = tp.sendBuffer, sb.space >= min(sendLowWater, sb.limit) { e.insert(.writable) }
        } else if tp.state == .closed || tp.state.sentFIN {
            e.insert(.writable)
        }
        if tp.state == .closed || (cantSendMore && cantReceiveMore && tp.state != .synSent) { e.insert(.hangUp) }
        if tp.state == .finWait2 || tp.state == .timeWait || tp.state == .closed { e.insert(.sendDone) }
        return e
    }
}
