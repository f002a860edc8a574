// The raw IP socket (rip_usrreq, rip_input, rip_output): what ping uses.

extension NetStack {
    /// socket(2). AF_INET + SOCK_RAW only for now: EAFNOSUPPORT, EPROTONOSUPPORT otherwise.
    public func socket(domain: Int32, type: Int32, protocol proto: Int32) throws(Errno) -> Int32 {
        guard domain == SocketConstants.AF_INET else { throw .EAFNOSUPPORT }
        guard type == SocketConstants.SOCK_RAW else { throw .EPROTONOSUPPORT }
        guard (0...255).contains(proto) else { throw .EINVAL }
        sockets.rawCount += 1
        return sockets.allocate(RawSocket(proto: UInt8(proto)))
    }

    public func close(_ fd: Int32) throws(Errno) {
        guard let s = sockets.get(fd) else { throw .EBADF }
        s.queue.deallocate()
        sockets.slots[Int(fd)] = nil
        sockets.rawCount -= 1
    }

    /// bind(2): EADDRNOTAVAIL unless the address is ours (or any).
    public func bind(_ fd: Int32, address: IPv4Address) throws(Errno) {
        guard let s = sockets.get(fd) else { throw .EBADF }
        guard address.isAny || isLocalAddress(address) else { throw .EADDRNOTAVAIL }
        s.local = address
    }

    /// connect(2): fixes the peer; receive then only takes datagrams from it.
    public func connect(_ fd: Int32, address: IPv4Address) throws(Errno) {
        guard let s = sockets.get(fd) else { throw .EBADF }
        s.foreign = address
    }

    public func setOption(_ fd: Int32, _ option: SocketOption) throws(Errno) {
        guard let s = sockets.get(fd) else { throw .EBADF }
        switch option {
        case .ttl(let t): s.ttl = t
        case .headerIncluded(let b): s.headerIncluded = b
        case .receiveBuffer(let n): guard n > 0 else { throw .EINVAL }; s.receiveBuffer = n
        case .broadcast(let b): s.broadcast = b
        case .nonBlocking(let b): s.nonBlocking = b
        }
    }

    public func isNonBlocking(_ fd: Int32) throws(Errno) -> Bool {
        guard let s = sockets.get(fd) else { throw .EBADF }
        return s.nonBlocking
    }

    /// poll(2) readiness.
    public func socketEvents(_ fd: Int32) -> SocketEvents {
        guard let s = sockets.get(fd) else { return .error }
        return s.queue.isEmpty ? .writable : [.readable, .writable]
    }

    /// sendto(2) / send(2). Without IP_HDRINCL `data` is the protocol message (for ICMP, with the
    /// checksum the sender computed, as ping does); the stack adds the IP header. Errors:
    /// EDESTADDRREQ, EMSGSIZE, EHOSTUNREACH (no route), EADDRNOTAVAIL, EACCES (broadcast without
    /// SO_BROADCAST), ENETDOWN, EHOSTDOWN.
    @discardableResult
    public func sendto(_ fd: Int32, _ data: UnsafeRawBufferPointer, to address: IPv4Address? = nil) throws(Errno) -> Int {
        guard let s = sockets.get(fd) else { throw .EBADF }
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
        guard let dst = address ?? (s.foreign.isAny ? nil : s.foreign) else { throw .EDESTADDRREQ }
        let len = 20 + data.count
        guard len <= 65535 else { throw .EMSGSIZE }
        // Broadcasts (limited or a subnet's) need SO_BROADCAST, as ip_output's IP_ALLOWBROADCAST check.
        if !s.broadcast, dst.isBroadcast || isSubnetBroadcast(dst) { throw .EACCES }
        let src = s.local.isAny ? try selectSource(dst) : s.local
        let out = UnsafeMutableRawBufferPointer(rebasing: txBuf[h..<(h + len)])
        UnsafeMutableRawBufferPointer(rebasing: out[20...]).copyMemory(from: data)
        IPv4Emitter.emit(out, totalLength: len, id: nextIPID(), ttl: s.ttl ?? sysctl.ttl, proto: s.proto, src: src, dst: dst)
        if Int(s.proto) == 1, data.count > 0, Int(data[0]) < icmpStats.outhist.count { icmpStats.outhist[Int(data[0])] &+= 1 }
        if let e = ipOutput(txBuf, length: len) { throw e }
        if !loopQueue.isEmpty { runLoopback() }
        return data.count
    }

    /// recvfrom(2): copies the next datagram, IP header included (as BSD raw sockets deliver it),
    /// truncated to `buffer`; returns its full length and source. EWOULDBLOCK when empty.
    public func recvfrom(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> (length: Int, from: IPv4Address) {
        guard let s = sockets.get(fd) else { throw .EBADF }
        guard !s.queue.isEmpty else { throw .EWOULDBLOCK }
        let (p, tag) = s.queue.peek()
        let n = min(p.count, buffer.count)
        if n > 0 { buffer.baseAddress!.copyMemory(from: p.baseAddress!, byteCount: n) }
        let full = p.count
        s.queuedBytes -= full
        s.queue.pop()
        return (full, IPv4Address(UInt32(truncatingIfNeeded: tag)))
    }

    func isSubnetBroadcast(_ a: IPv4Address) -> Bool {
        for case let ifp? in interfaceSlots where ifp.flags.contains(.broadcast) {
            for ia in ifp.addresses where ia.netmask != 0xFFFF_FFFF && ia.broadcast == a { return true }
        }
        return false
    }

    /// rip_input: a copy to every raw socket that matches; returns how many took it.
    @discardableResult
    func rawInput(_ ip: IPv4View) -> Int {
        guard sockets.rawCount > 0 else { return 0 }
        var n = 0
        let proto = ip.proto
        for (fd, slot) in sockets.slots.enumerated() {
            guard let s = slot else { continue }
            if s.proto != 0 && s.proto != proto { continue }
            if !s.local.isAny && s.local != ip.destination { continue }
            if !s.foreign.isAny && s.foreign != ip.source { continue }
            n += 1
            guard s.queuedBytes + ip.totalLength <= s.receiveBuffer, s.queue.push(ip.bytes, tag: Int(ip.source.value)) else {
                s.drops &+= 1
                continue
            }
            s.queuedBytes += ip.totalLength
            onSocketEvent?(Int32(fd), [.readable, .writable])
        }
        return n
    }
}
