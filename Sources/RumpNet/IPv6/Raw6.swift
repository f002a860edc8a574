// Raw ICMPv6 sockets (rip6_input / rip6_output with IPPROTO_ICMPV6): what ping6 uses. A socket
// receives the ICMPv6 message without the IPv6 header (as AF_INET6 raw sockets deliver it), with
// its sender, zone and hop limit; it sends a message the stack checksums (RFC 3542 3.1: the kernel
// always computes ICMPv6 checksums) and puts an IPv6 header on.
//
// In the socket's receive buffer each record is the message behind a 24-byte prefix (source 16,
// scope id 4, hop limit 4); `recvfrom6` takes it apart. sb_cc counts the prefix too.

public struct ReceivedDatagram6: Sendable, Equatable {
    public var length: Int
    public var from: IPv6Address
    public var scopeID: UInt32
    public var hopLimit: Int
}

extension NetStack {
    static let raw6Prefix = 24

    /// socket(AF_INET6, SOCK_RAW, proto). Only ICMPv6 reaches raw sockets; SOCK_DGRAM and
    /// SOCK_STREAM over IPv6 are the common socket layer's (`socket(domain:type:protocol:)`).
    func socket6(type: Int32, protocol proto: Int32) throws(Errno) -> Int32 {
        guard type == SocketConstants.SOCK_RAW else { throw .EPROTONOSUPPORT }
        guard (0...255).contains(proto) else { throw .EINVAL }
        let fd = sockets.nextFree()
        let s = Socket(fd: fd, proto: .raw(UInt8(proto)), receiveLimit: NetStack.rawSpace, sendLimit: NetStack.rawSpace - 1)
        s.family = SocketConstants.AF_INET6
        s.headerIncluded = false
        sockets.raw.append(s)
        sockets.slots[Int(fd)] = s
        return fd
    }

    func socket6(_ fd: Int32) throws(Errno) -> Socket {
        let s = try socket(fd)
        guard s.family == SocketConstants.AF_INET6 else { throw .EAFNOSUPPORT }
        return s
    }

    /// sendto(2) on a raw IPv6 socket: `data` is the ICMPv6 message (its checksum is filled in).
    /// EHOSTUNREACH without a route (ping6's "No route to host"), EINVAL for a scoped address
    /// without a zone, EMSGSIZE past 65535.
    @discardableResult
    public func sendto6(_ fd: Int32, _ data: UnsafeRawBufferPointer, to address: IPv6Address, scopeID: UInt32 = 0,
                        hopLimit: Int? = nil) throws(Errno) -> Int {
        let s = try socket6(fd)
        if let e = s.error { s.error = nil; socketChanged(s); throw e }
        guard !s.cantSendMore else { throw .EPIPE }
        guard data.count <= s.sendLimit else { throw .EMSGSIZE }
        let dst = try embed(address, scopeID: scopeID)
        let n = try rawOutput6(s, data, to: dst, zone: dst.needsScope ? Int(dst.embeddedScope) : 0, hopLimit: hopLimit)
        if !loopQueue.isEmpty { runLoopback() }
        return n
    }

    func rawOutput6(_ s: Socket, _ data: UnsafeRawBufferPointer, to address: IPv6Address?, zone: Int,
                    hopLimit: Int? = nil) throws(Errno) -> Int {
        guard let dst = address ?? (s.isConnected ? s.foreign6 : nil) else { throw .EDESTADDRREQ }
        guard 40 + data.count <= 65535 + 40 else { throw .EMSGSIZE }
        let src: IPv6Address
        if s.local6.isUnspecified { src = try selectSource6(dst).address } else { src = s.local6 }
        let h = NetStack.headroom
        let len = 40 + data.count
        let out = UnsafeMutableRawBufferPointer(rebasing: txBuf[h..<(h + len)])
        let body = UnsafeMutableRawBufferPointer(rebasing: out[40...])
        body.copyMemory(from: data)
        guard case .raw(let proto) = s.proto else { throw .EINVAL }
        let p = proto == 0 ? IPv6NextHeader.icmpv6 : proto
        let wsrc = src.withoutEmbeddedScope, wdst = dst.withoutEmbeddedScope
        if p == IPv6NextHeader.icmpv6 {
            guard data.count >= 4 else { throw .EINVAL }
            ICMPv6Emitter.setChecksum(body, src: wsrc, dst: wdst)
            icmp6Stats.outhist[Int(data[0])] &+= 1
        }
        let hl: Int
        if let x = hopLimit { hl = x } else if dst.isMulticast { hl = s.multicastHops6 ?? Int(ip6.sysctl.defMcastHlim) } else {
            hl = s.hopLimit6 ?? Int(ip6.sysctl.hlim)
        }
        IPv6Emitter.emit(out, payloadLength: data.count, nextHeader: p, hopLimit: UInt8(clamping: hl), src: wsrc, dst: wdst)
        ip6Stats.rawout &+= 1
        let z = zone != 0 ? zone : (dst.needsScope ? Int(dst.embeddedScope) : 0)
        if let e = ip6Output(txBuf, length: len, zone: z) { throw e }
        return data.count
    }

    /// recvfrom(2) on a raw IPv6 socket: the message (cut to `buffer`; `length` is its full size),
    /// its sender with zone, and the hop limit it arrived with. EWOULDBLOCK when empty.
    public func recvfrom6(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> ReceivedDatagram6 {
        let s = try socket6(fd)
        guard let (length, _) = s.receive.peekHeader() else {
            if let e = s.error { s.error = nil; socketChanged(s); throw e }
            throw .EWOULDBLOCK
        }
        if ip6.scratch.count < length { ip6.scratch = [UInt8](repeating: 0, count: length) }
        ip6.scratch.withUnsafeMutableBytes { w in
            _ = s.receive.take(into: UnsafeMutableRawBufferPointer(rebasing: w[0..<length]), remove: true)
        }
        socketChanged(s)
        let n = length - NetStack.raw6Prefix
        return ip6.scratch.withUnsafeBytes { w in
            let from = IPv6Address(loadingFrom: w.baseAddress!)
            let scope = w.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
            let hl = w.loadUnaligned(fromByteOffset: 20, as: UInt32.self)
            let c = min(n, buffer.count)
            if c > 0 { buffer.baseAddress!.copyMemory(from: w.baseAddress! + NetStack.raw6Prefix, byteCount: c) }
            return ReceivedDatagram6(length: n, from: from, scopeID: scope, hopLimit: Int(hl))
        }
    }

    /// bind(2): one of our addresses (or ::). EADDRNOTAVAIL otherwise.
    public func bind6(_ fd: Int32, _ address: IPv6Address, scopeID: UInt32 = 0) throws(Errno) {
        let s = try socket6(fd)
        let a = try embed(address, scopeID: scopeID)
        guard a.isUnspecified || ip6.local[a] != nil else { throw .EADDRNOTAVAIL }
        s.local6 = a
    }

    /// connect(2): only from this peer, and sends go to it.
    public func connect6(_ fd: Int32, _ address: IPv6Address, scopeID: UInt32 = 0) throws(Errno) {
        let s = try socket6(fd)
        s.foreign6 = try embed(address, scopeID: scopeID)
        s.isConnected = !address.isUnspecified
    }

    /// ICMP6_FILTER: the ICMPv6 types that pass (nil: all, ICMP6_FILTER_SETPASSALL).
    public func setICMP6Filter(_ fd: Int32, pass types: Set<UInt8>?) throws(Errno) {
        let s = try socket6(fd)
        guard let types else { s.icmp6Filter = nil; return }
        var bits = [UInt64](repeating: 0, count: 4)
        for t in types { bits[Int(t) >> 6] |= 1 << UInt64(t & 63) }
        s.icmp6Filter = bits
    }

    /// IPV6_UNICAST_HOPS / IPV6_MULTICAST_HOPS (-1: the default).
    public func setHopLimit6(_ fd: Int32, unicast: Int? = nil, multicast: Int? = nil) throws(Errno) {
        let s = try socket6(fd)
        for v in [unicast, multicast].compactMap({ $0 }) where v < -1 || v > 255 { throw .EINVAL }
        if let u = unicast { s.hopLimit6 = u == -1 ? nil : u }
        if let m = multicast { s.multicastHops6 = m == -1 ? nil : m }
    }

    /// rip6_input for ICMPv6: a copy to every raw IPv6 socket whose protocol, filter, bound and
    /// connected addresses match.
    func raw6Input(_ d: UnsafeRawBufferPointer, offset: Int, ifp: NetInterface, esrc: IPv6Address, edst: IPv6Address) {
        guard !sockets.raw.isEmpty else { return }
        let m = UnsafeRawBufferPointer(rebasing: d[offset...])
        guard !m.isEmpty else { return }
        let type = m.u8(0)
        var built = false
        for s in sockets.raw where s.family == SocketConstants.AF_INET6 {
            guard case .raw(let p) = s.proto, p == 0 || p == IPv6NextHeader.icmpv6 else { continue }
            if let f = s.icmp6Filter, f[Int(type) >> 6] & (1 << UInt64(type & 63)) == 0 { continue }
            if !s.local6.isUnspecified && s.local6 != edst { continue }
            if s.isConnected && s.foreign6 != esrc { continue }
            let n = NetStack.raw6Prefix + m.count
            if !built {
                if ip6.scratch.count < n { ip6.scratch = [UInt8](repeating: 0, count: max(n, 2048)) }
                ip6.scratch.withUnsafeMutableBytes { w in
                    esrc.withoutEmbeddedScope.store(to: w.baseAddress!)
                    w.storeBytes(of: esrc.needsScope ? UInt32(esrc.embeddedScope) : 0, toByteOffset: 16, as: UInt32.self)
                    w.storeBytes(of: UInt32(d.u8(7)), toByteOffset: 20, as: UInt32.self)
                    (w.baseAddress! + NetStack.raw6Prefix).copyMemory(from: m.baseAddress!, byteCount: m.count)
                }
                built = true
            }
            ip6.scratch.withUnsafeBytes { w in
                _ = enqueue(s, UnsafeRawBufferPointer(rebasing: w[0..<n]), from: .any)
            }
        }
    }
}
