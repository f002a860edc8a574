// The socket system calls (uipc_socket.c / uipc_syscalls.c): what every protocol shares (so_error,
// shutdown, buffer limits, options, readiness and its reports), then a switch to the protocol's
// user requests, like NetBSD's pr_usrreqs. The stack never blocks: a receive on an empty socket is
// EWOULDBLOCK, and whether the caller sleeps is the event loop's decision, woken by `onSocketEvent`.

/// One socket as netstat -a lists it.
public struct SocketInfo: Sendable, Equatable {
    public var fd: Int32
    public var proto: SocketProtocol
    /// AF_INET or AF_INET6 (netstat's tcp/tcp6, udp/udp6): an AF_INET6 socket's endpoints are
    /// IPv6 (an IPv4 peer of one without IPV6_V6ONLY as ::ffff:a.b.c.d).
    public var family: Int32 = SocketConstants.AF_INET
    public var local: SocketEndpoint
    public var foreign: SocketEndpoint
    /// Recv-Q: bytes buffered (sb_cc: data plus 16 bytes of address per datagram).
    public var receiveQueued: Int
    /// Send-Q: always 0 for datagram sockets (they send at once).
    public var sendQueued: Int
    /// TCP: the connection's state (LISTEN for a listener, CLOSED for one never connected).
    public var tcpState: TCPState? = nil
}

extension NetStack {
    /// sb_max scaled as sbreserve scales it (262144 × 2048 / (256 + 2048)): the largest buffer limit.
    public static let maxSocketBuffer = 262_144 * 2048 / (256 + 2048)
    /// Raw sockets: 64 KiB each way (ours; NetBSD's 8 KiB would refuse ping -s 8000 without SO_RCVBUF).
    static let rawSpace = 65536

    /// socket(2): AF_INET with SOCK_RAW (any protocol) or SOCK_DGRAM (0 or IPPROTO_UDP).
    /// EAFNOSUPPORT, EPROTONOSUPPORT (SOCK_STREAM until TCP lands, other protocols), EPROTOTYPE.
    public func socket(domain: Int32, type: Int32, protocol proto: Int32) throws(Errno) -> Int32 {
        if domain == SocketConstants.AF_INET6 && ip6Enabled && type == SocketConstants.SOCK_RAW {
            return try socket6(type: type, protocol: proto)
        }
        guard domain == SocketConstants.AF_INET || (domain == SocketConstants.AF_INET6 && ip6Enabled) else { throw .EAFNOSUPPORT }
        let p: SocketProtocol
        switch type {
        case SocketConstants.SOCK_RAW:
            guard (0...255).contains(proto) else { throw .EINVAL }
            p = .raw(UInt8(proto))
        case SocketConstants.SOCK_DGRAM:
            guard proto == 0 || proto == SocketConstants.IPPROTO_UDP else { throw .EPROTONOSUPPORT }
            p = .udp
        case SocketConstants.SOCK_STREAM:
            guard proto == 0 || proto == SocketConstants.IPPROTO_TCP else { throw .EPROTONOSUPPORT }
            p = .tcp
        default:
            throw proto == 0 ? .EPROTOTYPE : .EPROTONOSUPPORT
        }
        let fd = sockets.nextFree()
        let s: Socket
        switch p {
        case .raw:
            s = Socket(fd: fd, proto: p, receiveLimit: NetStack.rawSpace, sendLimit: NetStack.rawSpace - 1)
            sockets.raw.append(s)
        case .udp:
            s = Socket(fd: fd, proto: p, receiveLimit: sysctl.udpRecvSpace, sendLimit: sysctl.udpSendSpace,
                       inet6: domain == SocketConstants.AF_INET6)
        case .tcp:
            // The datagram buffer is not used; its limit is the stream's SO_RCVBUF.
            s = Socket(fd: fd, proto: p, receiveLimit: 0, sendLimit: sysctl.tcpSendSpace)
            s.streamReceiveLimit = sysctl.tcpRecvSpace
        }
        if domain == SocketConstants.AF_INET6 {
            s.family = domain
            s.v6only = ip6.sysctl.v6only
        }
        sockets.slots[Int(fd)] = s
        return fd
    }

    /// The socket's address family (AF_INET, AF_INET6): which sockaddr its calls take and give.
    public func family(_ fd: Int32) throws(Errno) -> Int32 { try socket(fd).family }

    @inline(__always)
    func socket(_ fd: Int32) throws(Errno) -> Socket {
        guard let s = sockets.get(fd) else { throw .EBADF }
        return s
    }

    /// close(2): the socket and what it had queued are gone; its port is free at once.
    public func close(_ fd: Int32) throws(Errno) {
        let s = try socket(fd)
        switch s.proto {
        case .raw: sockets.raw.removeAll { $0 === s }
        case .udp: if s.local.port != 0 { udpTable.remove(s) }
        case .tcp:
            sockets.slots[Int(fd)] = nil
            tcpDetach(s)
            if s.tcb == nil { s.receive.deallocate() } else { s.fd = -1 }
            if !loopQueue.isEmpty { runLoopback() }
            return
        }
        s.receive.deallocate()
        sockets.slots[Int(fd)] = nil
    }

    /// bind(2). EINVAL when already bound, EADDRNOTAVAIL unless the address is ours (or a
    /// broadcast address of ours, or the wildcard), EADDRINUSE (see SO_REUSEADDR/SO_REUSEPORT in
    /// docs/stack.md), EADDRNOTAVAIL when port 0 finds no free ephemeral port.
    public func bind(_ fd: Int32, to local: SocketEndpoint) throws(Errno) {
        let s = try socket(fd)
        switch s.proto {
        case .raw:
            guard local.address.isAny || isLocalAddress(local.address) else { throw .EADDRNOTAVAIL }
            s.local.address = local.address
        case .udp:
            try udpBind(s, local)
        case .tcp:
            try tcpBind(s, local)
        }
    }

    /// bind(2) to an address with port 0 (raw sockets have no ports; UDP picks an ephemeral one).
    public func bind(_ fd: Int32, address: IPv4Address) throws(Errno) {
        try bind(fd, to: SocketEndpoint(address, 0))
    }

    /// connect(2): fixes the peer; receive then only takes datagrams from it, send needs no
    /// address, and ICMP errors about it become so_error. UDP: port 0 is EADDRNOTAVAIL; an
    /// unbound socket gets the route's source address and an ephemeral port; EADDRINUSE when
    /// another socket has the same four-tuple; EHOSTUNREACH without a route.
    public func connect(_ fd: Int32, to foreign: SocketEndpoint) throws(Errno) {
        let s = try socket(fd)
        switch s.proto {
        case .raw:
            s.foreign.address = foreign.address
            s.isConnected = !foreign.address.isAny
        case .udp:
            try udpConnect(s, foreign)
        case .tcp:
            defer { if !loopQueue.isEmpty { runLoopback() } }
            try tcpConnect(s, foreign)
        }
    }

    /// connect(2) to an address with port 0 (raw sockets).
    public func connect(_ fd: Int32, address: IPv4Address) throws(Errno) {
        try connect(fd, to: SocketEndpoint(address, 0))
    }

    /// connect(2) with AF_UNSPEC: forgets the peer (and, for UDP, the local address connect chose;
    /// the port stays). ENOTCONN when not connected.
    public func disconnect(_ fd: Int32) throws(Errno) {
        let s = try socket(fd)
        guard s.isConnected else { throw .ENOTCONN }
        switch s.proto {
        case .raw:
            s.foreign = .any
        case .udp:
            s.foreign = .any
            s.local.address = .any
        case .tcp:
            // AF_UNSPEC on a stream socket is not a disconnect (NetBSD: EAFNOSUPPORT).
            throw .EAFNOSUPPORT
        }
        s.isConnected = false
    }

    /// send(2) / sendto(2): one datagram. Returns the bytes sent. A pending so_error is returned
    /// (and cleared) first; EPIPE after SHUT_WR; EMSGSIZE past SO_SNDBUF or 65535 bytes of IP;
    /// EDESTADDRREQ unconnected without `to`, EISCONN connected with it; EACCES to a broadcast
    /// without SO_BROADCAST; EHOSTUNREACH, EHOSTDOWN, ENETDOWN from the route and the link.
    /// Raw sockets: without IP_HDRINCL `data` is the protocol message (for ICMP with the checksum
    /// the sender computed, as ping does) and the stack adds the IP header.
    @discardableResult
    public func send(_ fd: Int32, _ data: UnsafeRawBufferPointer, to: SocketEndpoint? = nil,
                     flags: MessageFlags = []) throws(Errno) -> Int {
        let s = try socket(fd)
        if let e = s.error {
            s.error = nil
            socketChanged(s)
            throw e
        }
        if case .tcp = s.proto {
            guard to == nil || s.isConnected else { throw .ENOTCONN }
            let n = try tcpSend(s, data, flags: flags)
            if !loopQueue.isEmpty { runLoopback() }
            return n
        }
        guard !s.cantSendMore else { throw .EPIPE }
        guard data.count <= s.sendLimit else { throw .EMSGSIZE }
        let n: Int
        switch s.proto {
        case .raw where s.family == SocketConstants.AF_INET6: n = try rawOutput6(s, data, to: nil, zone: 0)
        case .raw: n = try rawOutput(s, data, to: to?.address)
        case .udp: n = try udpSend(s, data, to: to)
        case .tcp: n = 0
        }
        if !loopQueue.isEmpty { runLoopback() }
        return n
    }

    /// sendto(2) with an address only (raw sockets; the port is 0).
    @discardableResult
    public func sendto(_ fd: Int32, _ data: UnsafeRawBufferPointer, to address: IPv4Address? = nil) throws(Errno) -> Int {
        try send(fd, data, to: address.map { SocketEndpoint($0, 0) })
    }

    /// recv(2) / recvfrom(2): the next datagram (raw sockets: IP header included, as BSD raw sockets
    /// deliver it), cut to `buffer` (the rest is discarded unless MSG_PEEK). A queued datagram comes
    /// before a pending so_error, which is then returned and cleared; after SHUT_RD an empty queue
    /// reads as end of file; else EWOULDBLOCK when empty.
    public func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer,
                        flags: MessageFlags = []) throws(Errno) -> ReceivedDatagram {
        let s = try socket(fd)
        if case .tcp = s.proto {
            let d = try tcpReceive(s, into: buffer, flags: flags)
            if !loopQueue.isEmpty { runLoopback() }
            return d
        }
        if let d = s.receive.take(into: buffer, remove: !flags.contains(.peek)) {
            socketChanged(s)
            return d
        }
        if let e = s.error {
            s.error = nil
            socketChanged(s)
            throw e
        }
        if s.cantReceiveMore { return .endOfFile }
        throw .EWOULDBLOCK
    }

    /// The length of the datagram a receive on `fd` would return now (FIONREAD on a datagram
    /// socket); nil for a stream socket or an empty queue. Lets a caller size its buffer to the
    /// datagram rather than to the largest one possible.
    public func nextDatagramLength(_ fd: Int32) -> Int? {
        guard let s = try? socket(fd) else { return nil }
        if case .tcp = s.proto { return nil }
        guard let length = s.receive.peekHeader()?.length else { return nil }
        // Raw ICMPv6 records carry the source's scope and hop limit before the payload.
        if case .raw = s.proto, s.family == SocketConstants.AF_INET6 { return max(0, length - NetStack.raw6Prefix) }
        return length
    }

    /// recvfrom(2) as the raw socket callers use it: the datagram's full length and its source.
    public func recvfrom(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> (length: Int, from: IPv4Address) {
        let d = try receive(fd, into: buffer)
        return (d.length, d.from.address)
    }

    /// shutdown(2): SHUT_RD drops what is queued and reads end of file from then on, SHUT_WR makes
    /// sends fail with EPIPE. EINVAL for another `how`.
    public func shutdown(_ fd: Int32, how: Int32) throws(Errno) {
        let s = try socket(fd)
        if case .tcp = s.proto {
            guard (0...2).contains(how) else { throw .EINVAL }
            try tcpShutdown(s, how: how)
            if !loopQueue.isEmpty { runLoopback() }
            return
        }
        switch how {
        case SocketConstants.SHUT_RD: s.cantReceiveMore = true; s.receive.removeAll()
        case SocketConstants.SHUT_WR: s.cantSendMore = true
        case SocketConstants.SHUT_RDWR: s.cantReceiveMore = true; s.receive.removeAll(); s.cantSendMore = true
        default: throw .EINVAL
        }
        socketChanged(s)
    }

    /// getsockname(2).
    public func localEndpoint(_ fd: Int32) throws(Errno) -> SocketEndpoint {
        let s = try socket(fd)
        if case .raw = s.proto, s.isInet6 { return SocketEndpoint(embedded: s.local6, 0) }
        return s.local
    }

    /// getpeername(2): ENOTCONN unless connected.
    public func peerEndpoint(_ fd: Int32) throws(Errno) -> SocketEndpoint {
        let s = try socket(fd)
        guard s.isConnected else { throw .ENOTCONN }
        if case .raw = s.proto, s.isInet6 { return SocketEndpoint(embedded: s.foreign6, 0) }
        return s.foreign
    }

    /// setsockopt(2) with a typed value. EINVAL for sizes below 1 and TTLs/TOS outside 0...255,
    /// ENOBUFS for buffers past `maxSocketBuffer`, ENOPROTOOPT for IP_HDRINCL on a UDP socket.
    public func setOption(_ fd: Int32, _ option: SocketOption) throws(Errno) {
        let s = try socket(fd)
        switch option {
        case .ttl(let t): s.ttl = t
        case .typeOfService(let t): s.tos = t
        case .headerIncluded(let b):
            guard case .raw = s.proto else { throw .ENOPROTOOPT }
            s.headerIncluded = b
        case .receiveBuffer(let n):
            guard n >= 1 else { throw .EINVAL }
            guard n <= NetStack.maxSocketBuffer else { throw .ENOBUFS }
            if case .tcp = s.proto { s.streamReceiveLimit = n } else { s.receive.setLimit(n) }
            s.receiveLowWater = min(s.receiveLowWater, n)
        case .sendBuffer(let n):
            guard n >= 1 else { throw .EINVAL }
            guard n <= NetStack.maxSocketBuffer else { throw .ENOBUFS }
            s.sendLimit = n
        case .receiveLowWater(let n):
            guard n >= 1 else { throw .EINVAL }
            s.receiveLowWater = min(n, max(s.receive.limit, s.streamReceiveLimit))
        case .broadcast(let b): s.broadcast = b
        case .reuseAddress(let b): s.reuseAddress = b
        case .reusePort(let b): s.reusePort = b
        case .nonBlocking(let b): s.nonBlocking = b
        case .noDelay(let b):
            guard case .tcp = s.proto else { throw .ENOPROTOOPT }
            s.noDelay = b
            if b, let tp = s.tcb { tcpOutput(s, tp) }
        case .maxSegment(let n):
            guard case .tcp = s.proto else { throw .ENOPROTOOPT }
            guard n >= 0, n <= 65535 else { throw .EINVAL }
            s.userMaxSeg = n
        case .keepAlive(let b):
            s.keepAlive = b
            if let tp = s.tcb, tp.state.haveEstablished {
                tcpSetTimer(tp, keep: b ? now + UInt64(sysctl.tcpKeepIdle) * 500_000_000 : 0)
            }
        case .linger(let l):
            guard l.map({ $0 >= 0 }) ?? true else { throw .EINVAL }
            s.linger = l
        case .sendLowWater(let n):
            guard n >= 1 else { throw .EINVAL }
            s.sendLowWater = min(n, s.sendLimit)
        }
        if case .tcp = s.proto, let tp = s.tcb {
            // SO_SNDBUF/SO_RCVBUF on a connection: the rings' limits (within their capacity).
            tp.sendBuffer?.limit = min(s.sendLimit, tp.sendBuffer?.capacity ?? 0)
            tp.receiveBuffer?.limit = min(s.streamReceiveLimit, tp.receiveBuffer?.capacity ?? 0)
        }
        socketChanged(s)
    }

    /// setsockopt(2) by name with an int value, as a client passes it. ENOPROTOOPT for the
    /// read-only SO_ERROR and SO_TYPE.
    public func setOption(_ fd: Int32, _ name: SocketOptionName, value: Int) throws(Errno) {
        let option: SocketOption
        switch name {
        case .reuseAddress: option = .reuseAddress(value != 0)
        case .reusePort: option = .reusePort(value != 0)
        case .broadcast: option = .broadcast(value != 0)
        case .sendBuffer: option = .sendBuffer(value)
        case .receiveBuffer: option = .receiveBuffer(value)
        case .receiveLowWater: option = .receiveLowWater(value)
        case .headerIncluded: option = .headerIncluded(value != 0)
        case .keepAlive: option = .keepAlive(value != 0)
        case .noDelay: option = .noDelay(value != 0)
        case .maxSegment: option = .maxSegment(value)
        case .sendLowWater: option = .sendLowWater(value)
        case .acceptConnections: throw .ENOPROTOOPT
        case .ttl:
            guard (0...255).contains(value) else { throw .EINVAL }
            option = .ttl(UInt8(value))
        case .typeOfService:
            guard (0...255).contains(value) else { throw .EINVAL }
            option = .typeOfService(UInt8(value))
        case .error, .type:
            throw .ENOPROTOOPT
        case .v6only, .unicastHops6, .multicastHops6:
            try setOption6(try socket(fd), name, value: value)
            return
        }
        try setOption(fd, option)
    }

    /// getsockopt(2). SO_ERROR returns the pending error's number (0: none) and clears it.
    public func getOption(_ fd: Int32, _ name: SocketOptionName) throws(Errno) -> Int {
        let s = try socket(fd)
        switch name {
        case .reuseAddress: return s.reuseAddress ? 1 : 0
        case .reusePort: return s.reusePort ? 1 : 0
        case .broadcast: return s.broadcast ? 1 : 0
        case .sendBuffer: return s.tcb?.sendBuffer?.limit ?? s.sendLimit
        case .receiveBuffer:
            if case .tcp = s.proto { return s.tcb?.receiveBuffer?.limit ?? s.streamReceiveLimit }
            return s.receive.limit
        case .keepAlive: return s.keepAlive ? 1 : 0
        case .acceptConnections: return s.isListening ? 1 : 0
        case .sendLowWater: return s.sendLowWater
        case .noDelay:
            guard case .tcp = s.proto else { throw .ENOPROTOOPT }
            return s.noDelay ? 1 : 0
        case .maxSegment:
            guard case .tcp = s.proto else { throw .ENOPROTOOPT }
            return s.tcb.map { $0.maxSeg } ?? (s.userMaxSeg > 0 ? s.userMaxSeg : sysctl.tcpMSSDefault)
        case .receiveLowWater: return s.receiveLowWater
        case .type: return Int(s.proto.socketType)
        case .ttl: return Int(s.ttl ?? sysctl.ttl)
        case .typeOfService: return Int(s.tos)
        case .headerIncluded:
            guard case .raw = s.proto else { throw .ENOPROTOOPT }
            return s.headerIncluded ? 1 : 0
        case .v6only:
            guard s.isInet6 else { throw .ENOPROTOOPT }
            return s.v6only ? 1 : 0
        case .unicastHops6:
            guard s.isInet6 else { throw .ENOPROTOOPT }
            return s.hopLimit6 ?? Int(ip6.sysctl.hlim)
        case .multicastHops6:
            guard s.isInet6 else { throw .ENOPROTOOPT }
            return s.multicastHops6 ?? Int(ip6.sysctl.defMcastHlim)
        case .error:
            guard let e = s.error else { return 0 }
            s.error = nil
            socketChanged(s)
            return Int(e.rawValue)
        }
    }

    public func isNonBlocking(_ fd: Int32) throws(Errno) -> Bool { try socket(fd).nonBlocking }

    /// getsockopt(SO_LINGER): nil when off, else l_linger in seconds.
    public func lingerOption(_ fd: Int32) throws(Errno) -> Int? { try socket(fd).linger }

    /// SO_LINGER's time when a close of `fd` must wait (a TCP connection with SO_LINGER > 0
    /// that has not yet had everything, its FIN included, acknowledged); else nil.
    public func lingerTime(_ fd: Int32) -> Int? {
        guard let s = sockets.get(fd), case .tcp = s.proto, let l = s.linger, l > 0, !isDisconnected(fd) else { return nil }
        guard let tp = s.tcb, tp.state.haveEstablished else { return nil }
        return l
    }

    /// soclose's wait is over: the connection is gone, or our FIN was sent and acknowledged.
    public func isDisconnected(_ fd: Int32) -> Bool {
        guard let s = sockets.get(fd), let tp = s.tcb else { return true }
        switch tp.state {
        case .closed, .finWait2, .timeWait: return true
        default: return false
        }
    }

    /// poll(2) readiness; `.error` for a descriptor that is not a socket.
    public func socketEvents(_ fd: Int32) -> SocketEvents {
        sockets.get(fd)?.events ?? .error
    }

    /// Every socket, by descriptor (netstat -a), then the TCP connections no descriptor names
    /// (embryonic, waiting to be accepted, closing, TIME_WAIT) with fd -1.
    public var socketList: [SocketInfo] {
        var list = sockets.slots.compactMap { $0 }.map { s in socketInfo(s) }
        for (_, c) in tcpConnections where c.fd < 0 { list.append(socketInfo(c)) }
        return list
    }

    func socketInfo(_ s: Socket) -> SocketInfo {
        guard case .tcp = s.proto else {
            if case .raw = s.proto, s.isInet6 {
                return SocketInfo(fd: s.fd, proto: s.proto, family: s.family, local: SocketEndpoint(embedded: s.local6, 0),
                                  foreign: SocketEndpoint(embedded: s.foreign6, 0), receiveQueued: s.receive.used, sendQueued: 0)
            }
            return SocketInfo(fd: s.fd, proto: s.proto, family: s.family, local: s.local, foreign: s.foreign,
                              receiveQueued: s.receive.used, sendQueued: 0)
        }
        let state: TCPState = s.isListening ? .listen : (s.tcb?.state ?? .closed)
        return SocketInfo(fd: s.fd, proto: s.proto, family: s.family, local: s.local, foreign: s.foreign,
                          receiveQueued: s.tcb?.receiveBuffer?.count ?? 0, sendQueued: s.tcb?.sendBuffer?.count ?? 0,
                          tcpState: state)
    }

    /// The congestion control new connections use (net.inet.tcp.congctl.selected by name).
    public var tcpCongestionControl: String {
        (CongestionAlgorithm(rawValue: sysctl.tcpCongestionControl) ?? .newreno).name
    }
    /// Selects it by NetBSD's name ("newreno", "cubic"); ENOENT for another.
    public func setTCPCongestionControl(_ name: String) throws(Errno) {
        guard let a = CongestionAlgorithm(name: name) else { throw .ENOENT }
        try sysctlSet("net.inet.tcp.congctl.selected", a.rawValue)
    }
    /// net.inet.tcp.congctl.available.
    public static var tcpCongestionControlsAvailable: [String] { CongestionAlgorithm.allCases.map(\.name) }

    /// Reports `s`'s readiness through `onSocketEvent` when it differs from what was last
    /// reported: only this socket's waiters need waking.
    @inline(__always)
    func socketChanged(_ s: Socket) {
        let e = s.events
        if e != s.reportedEvents {
            s.reportedEvents = e
            onSocketEvent?(s.fd, e)
        }
    }

    /// so_error from an ICMP error (udp_notify): readable and writable, so waiters see it.
    func setSocketError(_ s: Socket, _ e: Errno) {
        s.error = e
        socketChanged(s)
    }

    /// Puts a datagram on `s`'s receive queue (sbappendaddr + sorwakeup); false when it was full
    /// (the protocol counts that). After SHUT_RD datagrams are discarded quietly.
    @inline(__always)
    func enqueue(_ s: Socket, _ data: UnsafeRawBufferPointer, from: SocketEndpoint) -> Bool {
        if s.cantReceiveMore { s.drops &+= 1; return true }
        guard s.receive.append(data, from: from) else {
            s.drops &+= 1
            return false
        }
        socketChanged(s)
        return true
    }
}

extension NetStack {
    /// IPPROTO_IPV6 options of an AF_INET6 socket (ENOPROTOOPT on an AF_INET one). IPV6_V6ONLY
    /// is EINVAL once the socket is bound (ip6_ctloutput); hop limits are -1 (the default) or
    /// 0...255.
    func setOption6(_ s: Socket, _ name: SocketOptionName, value: Int) throws(Errno) {
        guard s.isInet6 else { throw .ENOPROTOOPT }
        switch name {
        case .v6only:
            if case .raw = s.proto { s.v6only = value != 0; return }
            guard s.local.port == 0, s.local.isAny else { throw .EINVAL }
            s.v6only = value != 0
        case .unicastHops6, .multicastHops6:
            guard (-1...255).contains(value) else { throw .EINVAL }
            let v = value == -1 ? nil : value
            if name == .unicastHops6 { s.hopLimit6 = v } else { s.multicastHops6 = v }
        default:
            throw .ENOPROTOOPT
        }
    }
}
