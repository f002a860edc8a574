// UDP's user requests (udp_usrreq.c: udp_bind, udp_connect, udp_disconnect, udp_send, udp_output)
// over in_pcb.c's rules: bind conflicts with SO_REUSEADDR/SO_REUSEPORT, ephemeral ports, the
// connect-time choice of source address.

extension NetStack {
    /// in_pcbbind / in6_pcbbind.
    func udpBind(_ s: Socket, _ local: SocketEndpoint) throws(Errno) {
        guard s.local.port == 0, s.local.isAny else { throw .EINVAL }
        try checkBindAddress(s, local)
        let a = local.address
        let multicast = s.isInet6 && !local.isIPv4 ? local.ip.isMulticast : a.isMulticast
        var port = local.port
        if port == 0 {
            port = try ephemeralPort(for: s, address: local, in: udpTable)
        } else {
            // in_pcbbind_port: without SO_REUSEADDR/SO_REUSEPORT any overlap (a wildcard on either
            // side) conflicts; with them only an exact match does, and that one only passes when
            // both have SO_REUSEPORT (or, on a multicast address, either reuse option).
            var reuse: (addr: Bool, port: Bool) = (false, s.reusePort)
            if multicast, s.reuseAddress || s.reusePort { reuse = (true, true) }
            let wildcard = !s.reuseAddress && !s.reusePort
            if let t = udpTable.conflicting(address: local, port: port, families: s.accepts, wildcard: wildcard, excluding: s) {
                let shared = (reuse.port && t.reusePort) || (reuse.addr && t.reuseAddress)
                if !shared { throw .EADDRINUSE }
            }
        }
        s.local = SocketEndpoint(embedded: local.ip, port)
        udpTable.insert(s)
    }

    /// in_pcbbind_addr / in6_pcbbind_addr: the wildcard, a multicast group, or an address (or, for
    /// IPv4, broadcast address) of ours. An AF_INET socket takes only IPv4; an AF_INET6 one a
    /// v4-mapped address only without IPV6_V6ONLY (EINVAL with it, as in6_pcbbind), and a scoped
    /// address only with a zone naming an interface (EINVAL).
    func checkBindAddress(_ s: Socket, _ local: SocketEndpoint) throws(Errno) {
        if local.isAny { return }
        if !s.isInet6 || local.ip.isV4Mapped {
            guard local.isIPv4 else { throw .EAFNOSUPPORT }
            if s.isInet6 && s.v6only { throw .EINVAL }
            let a = local.address
            let udp = s.proto == .udp
            guard (udp && (a.isMulticast || isSubnetBroadcast(a))) || isLocalAddress(a) else { throw .EADDRNOTAVAIL }
            return
        }
        guard ip6Enabled else { throw .EADDRNOTAVAIL }
        let e = try embed(local.ip, scopeID: UInt32(local.ip.embeddedScope))
        if e.isMulticast { guard s.proto == .udp else { throw .EADDRNOTAVAIL }; return }
        guard ip6.local[e] != nil else { throw .EADDRNOTAVAIL }
    }

    /// in_pcbsetport with the algorithm NetBSD 10 selects by default
    /// (`net.inet.ip.anonportalgo.selected = random_start`, RFC 6056 algorithm 1 as NetBSD runs
    /// it): start at a random port in net.inet.ip.anonportmin...anonportmax (from the stack's
    /// seeded generator, so a seed fixes the ports), then go up, wrapping, to the first port whose
    /// binding would not conflict. EADDRNOTAVAIL when the whole range is in use (NetBSD's
    /// random_start says EINVAL there; FreeBSD and Linux's connect say EADDRNOTAVAIL, and callers
    /// test for that).
    /// Both families draw from the same range and table (NetBSD's in6_pcbsetport walks the same
    /// inpcbtable), so an IPv4 and an IPv6 socket never get the same ephemeral port unless their
    /// bindings could not conflict.
    func ephemeralPort(for s: Socket, address: SocketEndpoint, in table: PCBTable) throws(Errno) -> UInt16 {
        let lo = Int(sysctl.anonPortMin), hi = Int(sysctl.anonPortMax)
        let count = hi - lo + 1
        let wildcard = !s.reuseAddress && !s.reusePort
        var port = lo + Int(random64() % UInt64(count))
        for _ in 0..<count {
            if table.conflicting(address: address, port: UInt16(port), families: s.accepts, wildcard: wildcard, excluding: s) == nil {
                return UInt16(port)
            }
            port = port == hi ? lo : port + 1
        }
        throw .EADDRNOTAVAIL
    }

    /// The peer in_pcbconnect ends up with: the wildcard means our first address, the limited
    /// broadcast the broadcast address of the first broadcast-capable interface. IPv6 (in6_pcbconnect):
    /// the wildcard means ::1; a scoped address needs its zone (EINVAL); v4-mapped needs a socket
    /// without IPV6_V6ONLY (EINVAL), and then goes out as IPv4.
    func udpPeer(_ s: Socket, _ foreign: SocketEndpoint) throws(Errno) -> SocketEndpoint {
        guard foreign.port != 0 else { throw .EADDRNOTAVAIL }
        var f = foreign
        if s.isInet6 {
            if f.isAny { return SocketEndpoint(embedded: .loopback, f.port) }
            if f.ip.isV4Mapped {
                guard !s.v6only else { throw .EINVAL }
            } else {
                guard ip6Enabled else { throw .ENETUNREACH }
                f.ip = try embed(f.ip, scopeID: UInt32(f.ip.embeddedScope))
                return f
            }
        } else if !f.isIPv4 {
            throw .EAFNOSUPPORT
        }
        if f.address.isAny {
            guard let a = interfaces.lazy.compactMap({ $0.addresses.first?.address }).first else { throw .EADDRNOTAVAIL }
            f.address = a
        } else if f.address.isBroadcast {
            if let ia = interfaces.first(where: { $0.flags.contains(.broadcast) && !$0.addresses.isEmpty })?.addresses.first {
                f.address = ia.broadcast
            }
        }
        return f
    }

    /// The source address toward `f` (in_pcbconnect's route lookup, in6_selectsrc for IPv6;
    /// zones embedded).
    func sourceAddress(toward f: SocketEndpoint) throws(Errno) -> IPv6Address {
        if f.isIPv4 { return SocketEndpoint.mapped(try selectSource(f.address)) }
        return try selectSource6(f.ip).address
    }

    /// in_pcbconnect: source from the route when unbound, ephemeral port when none, EADDRINUSE for
    /// a duplicate four-tuple. Returns the local endpoint without changing the socket's address
    /// (the caller decides whether the connection is kept).
    func udpResolveLocal(_ s: Socket, to f: SocketEndpoint) throws(Errno) -> SocketEndpoint {
        let address = s.local.isAny ? try sourceAddress(toward: f) : s.local.ip
        if udpTable.lookupConnected(local: SocketEndpoint(embedded: address, s.local.port), foreign: f) != nil, s.local.port != 0 {
            throw .EADDRINUSE
        }
        if s.local.port == 0 { try udpBind(s, .any) }
        return SocketEndpoint(embedded: address, s.local.port)
    }

    /// udp_connect (soconnect disconnects a connected datagram socket first).
    func udpConnect(_ s: Socket, _ foreign: SocketEndpoint) throws(Errno) {
        if s.isConnected {
            s.foreign = .any
            s.local.ip = .any
            s.isConnected = false
        }
        let f = try udpPeer(s, foreign)
        let local = try udpResolveLocal(s, to: f)
        s.local = local
        s.foreign = f
        s.isConnected = true
    }

    /// udp_send + udp_output: a temporary connect for sendto (the ephemeral port it binds stays),
    /// then header, checksum (unless net.inet.udp.checksum=0) and ip_output; IPv6 peers go to
    /// udp6Output.
    func udpSend(_ s: Socket, _ data: UnsafeRawBufferPointer, to: SocketEndpoint?) throws(Errno) -> Int {
        let local: SocketEndpoint, f: SocketEndpoint
        if let to {
            guard !s.isConnected else { throw .EISCONN }
            f = try udpPeer(s, to)
            local = try udpResolveLocal(s, to: f)
        } else {
            guard s.isConnected else { throw .EDESTADDRREQ }
            f = s.foreign
            local = s.local
        }
        if !f.isIPv4 { return try udp6Output(s, data, from: local, to: f) }
        let len = 28 + data.count
        guard len <= 65535 else { throw .EMSGSIZE }
        if !s.broadcast, f.address.isBroadcast || isSubnetBroadcast(f.address) { throw .EACCES }
        let h = NetStack.headroom
        let out = UnsafeMutableRawBufferPointer(rebasing: txBuf[h..<(h + len)])
        if data.count > 0 { (out.baseAddress! + 28).copyMemory(from: data.baseAddress!, byteCount: data.count) }
        UDPEmitter.emit(UnsafeMutableRawBufferPointer(rebasing: out[20...]), srcPort: local.port, dstPort: f.port,
                        length: len - 20, src: local.address, dst: f.address, checksum: sysctl.udpChecksum)
        IPv4Emitter.emit(out, totalLength: len, id: nextIPID(), ttl: s.ttl ?? sysctl.ttl, proto: IPProtocol.udp,
                         src: local.address, dst: f.address, tos: s.tos)
        udpStats.opackets &+= 1
        if let e = ipOutput(txBuf, length: len) { throw e }
        return data.count
    }
}
