// UDP's user requests (udp_usrreq.c: udp_bind, udp_connect, udp_disconnect, udp_send, udp_output)
// over in_pcb.c's rules: bind conflicts with SO_REUSEADDR/SO_REUSEPORT, ephemeral ports, the
// connect-time choice of source address.

extension NetStack {
    /// in_pcbbind.
    func udpBind(_ s: Socket, _ local: SocketEndpoint) throws(Errno) {
        guard s.local.port == 0, s.local.address.isAny else { throw .EINVAL }
        let a = local.address
        // in_pcbbind_addr: the wildcard, a multicast group, or an address (or broadcast address) of ours.
        guard a.isAny || a.isMulticast || isLocalAddress(a) || isSubnetBroadcast(a) else { throw .EADDRNOTAVAIL }
        var port = local.port
        if port == 0 {
            port = try ephemeralPort(for: s, address: a, in: udpTable)
        } else {
            // in_pcbbind_port: without SO_REUSEADDR/SO_REUSEPORT any overlap (a wildcard on either
            // side) conflicts; with them only an exact match does, and that one only passes when
            // both have SO_REUSEPORT (or, on a multicast address, either reuse option).
            var reuse: (addr: Bool, port: Bool) = (false, s.reusePort)
            if a.isMulticast, s.reuseAddress || s.reusePort { reuse = (true, true) }
            let wildcard = !s.reuseAddress && !s.reusePort
            if let t = udpTable.conflicting(address: a, port: port, wildcard: wildcard, excluding: s) {
                let shared = (reuse.port && t.reusePort) || (reuse.addr && t.reuseAddress)
                if !shared { throw .EADDRINUSE }
            }
        }
        s.local = SocketEndpoint(a, port)
        udpTable.insert(s)
    }

    /// in_pcbsetport with the algorithm NetBSD 10 selects by default
    /// (`net.inet.ip.anonportalgo.selected = random_start`, RFC 6056 algorithm 1 as NetBSD runs
    /// it): start at a random port in net.inet.ip.anonportmin...anonportmax (from the stack's
    /// seeded generator, so a seed fixes the ports), then go up, wrapping, to the first port whose
    /// binding would not conflict. EADDRNOTAVAIL when the whole range is in use (NetBSD's
    /// random_start says EINVAL there; FreeBSD and Linux's connect say EADDRNOTAVAIL, and callers
    /// test for that).
    func ephemeralPort(for s: Socket, address: IPv4Address, in table: PCBTable) throws(Errno) -> UInt16 {
        let lo = Int(sysctl.anonPortMin), hi = Int(sysctl.anonPortMax)
        let count = hi - lo + 1
        let wildcard = !s.reuseAddress && !s.reusePort
        var port = lo + Int(random64() % UInt64(count))
        for _ in 0..<count {
            if table.conflicting(address: address, port: UInt16(port), wildcard: wildcard, excluding: s) == nil {
                return UInt16(port)
            }
            port = port == hi ? lo : port + 1
        }
        throw .EADDRNOTAVAIL
    }

    /// The peer in_pcbconnect ends up with: the wildcard means our first address, the limited
    /// broadcast the broadcast address of the first broadcast-capable interface.
    func udpPeer(_ foreign: SocketEndpoint) throws(Errno) -> SocketEndpoint {
        guard foreign.port != 0 else { throw .EADDRNOTAVAIL }
        var f = foreign
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

    /// in_pcbconnect: source from the route when unbound, ephemeral port when none, EADDRINUSE for
    /// a duplicate four-tuple. Returns the local endpoint without changing the socket's address
    /// (the caller decides whether the connection is kept).
    func udpResolveLocal(_ s: Socket, to f: SocketEndpoint) throws(Errno) -> SocketEndpoint {
        let address = s.local.address.isAny ? try selectSource(f.address) : s.local.address
        if udpTable.lookupConnected(local: SocketEndpoint(address, s.local.port), foreign: f) != nil, s.local.port != 0 {
            throw .EADDRINUSE
        }
        if s.local.port == 0 { try udpBind(s, .any) }
        return SocketEndpoint(address, s.local.port)
    }

    /// udp_connect (soconnect disconnects a connected datagram socket first).
    func udpConnect(_ s: Socket, _ foreign: SocketEndpoint) throws(Errno) {
        if s.isConnected {
            s.foreign = .any
            s.local.address = .any
            s.isConnected = false
        }
        let f = try udpPeer(foreign)
        let local = try udpResolveLocal(s, to: f)
        s.local = local
        s.foreign = f
        s.isConnected = true
    }

    /// udp_send + udp_output: a temporary connect for sendto (the ephemeral port it binds stays),
    /// then header, checksum (unless net.inet.udp.checksum=0) and ip_output.
    func udpSend(_ s: Socket, _ data: UnsafeRawBufferPointer, to: SocketEndpoint?) throws(Errno) -> Int {
        let local: SocketEndpoint, f: SocketEndpoint
        if let to {
            guard !s.isConnected else { throw .EISCONN }
            f = try udpPeer(to)
            local = try udpResolveLocal(s, to: f)
        } else {
            guard s.isConnected else { throw .EDESTADDRREQ }
            f = s.foreign
            local = s.local
        }
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
