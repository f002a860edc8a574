// The raw IP socket's user requests (rip_output, rip_input): what ping and traceroute use.

extension NetStack {
    /// rip_output. With IP_HDRINCL the caller's header goes out as given (length, and an id and
    /// source when zero, filled in); else the stack builds the header for the socket's protocol.
    func rawOutput(_ s: Socket, _ data: UnsafeRawBufferPointer, to address: IPv4Address?) throws(Errno) -> Int {
        let h = NetStack.headroom
        if s.headerIncluded {
            guard data.count >= 20, data.count <= 65535 else { throw .EINVAL }
            let out = UnsafeMutableRawBufferPointer(rebasing: txBuf[h..<(h + data.count)])
            out.copyMemory(from: data)
            let hl = Int(out.u8(0) & 0x0F) * 4
            guard out.u8(0) >> 4 == 4, hl >= 20, hl <= data.count else { throw .EINVAL }
            out.setBE16(2, UInt16(data.count))
            if out.be16(4) == 0 { out.setBE16(4, nextIPID()) }
            let dst = IPv4Address(out.be32(16))
            if out.be32(12) == 0 { out.setBE32(12, try selectSource(dst).value) }
            if let e = ipOutput(txBuf, length: data.count) { throw e }
            return data.count
        }
        if address != nil && s.isConnected { throw .EISCONN }
        guard let dst = address ?? (s.isConnected ? s.foreign.address : nil) else { throw .EDESTADDRREQ }
        let len = 20 + data.count
        guard len <= 65535 else { throw .EMSGSIZE }
        // Broadcasts (limited or a subnet's) need SO_BROADCAST, as ip_output's IP_ALLOWBROADCAST check.
        if !s.broadcast, dst.isBroadcast || isSubnetBroadcast(dst) { throw .EACCES }
        let src = s.local.address.isAny ? try selectSource(dst) : s.local.address
        let out = UnsafeMutableRawBufferPointer(rebasing: txBuf[h..<(h + len)])
        UnsafeMutableRawBufferPointer(rebasing: out[20...]).copyMemory(from: data)
        let proto = s.proto.ipProtocol
        IPv4Emitter.emit(out, totalLength: len, id: nextIPID(), ttl: s.ttl ?? sysctl.ttl, proto: proto, src: src, dst: dst,
                         tos: s.tos)
        if proto == IPProtocol.icmp, data.count > 0, Int(data[0]) < icmpStats.outhist.count { icmpStats.outhist[Int(data[0])] &+= 1 }
        if let e = ipOutput(txBuf, length: len) { throw e }
        return data.count
    }

    func isSubnetBroadcast(_ a: IPv4Address) -> Bool {
        for case let ifp? in interfaceSlots where ifp.flags.contains(.broadcast) {
            for ia in ifp.addresses where ia.netmask != 0xFFFF_FFFF && ia.broadcast == a { return true }
        }
        return false
    }

    /// rip_input: a copy to every raw socket that matches; returns how many matched.
    @discardableResult
    func rawInput(_ ip: IPv4View) -> Int {
        guard !sockets.raw.isEmpty else { return 0 }
        var n = 0
        let proto = ip.proto
        for s in sockets.raw {
            guard case .raw(let p) = s.proto, s.family == SocketConstants.AF_INET else { continue }
            if p != 0 && p != proto { continue }
            if !s.local.address.isAny && s.local.address != ip.destination { continue }
            if s.isConnected && s.foreign.address != ip.source { continue }
            n += 1
            _ = enqueue(s, ip.bytes, from: SocketEndpoint(ip.source, 0))
        }
        return n
    }
}
