// A protocol's PCB table (struct inpcbtable): the bound sockets of one protocol by local port, so
// an input datagram costs one dictionary lookup and a walk over the few sockets on its port, not a
// scan of every socket. Each port's list is newest first (NetBSD's LIST_INSERT_HEAD), which decides
// ties. Both families share a protocol's table (and so its ports, as NetBSD's udbtable and tcbtable
// hold in6pcbs beside inpcbs); a socket's `accepts` bits say which lookups may find it.

struct PCBTable {
    /// Family bits of a lookup and of `Socket.accepts`: IPv4 datagrams, IPv6 datagrams.
    static let v4: UInt8 = 1, v6: UInt8 = 2
    private(set) var byPort: [UInt16: [Socket]] = [:]

    mutating func insert(_ s: Socket) {
        byPort[s.local.port, default: []].insert(s, at: 0)
    }

    mutating func remove(_ s: Socket) {
        guard var list = byPort[s.local.port] else { return }
        list.removeAll { $0 === s }
        byPort[s.local.port] = list.isEmpty ? nil : list
    }

    @inline(__always)
    func sockets(onPort port: UInt16) -> [Socket]? { byPort[port] }

    /// in_pcblookup_connect / in6_pcblookup_connect: the connected socket with exactly this
    /// 4-tuple (an IPv4 one is v4-mapped on both sides, so only sockets taking IPv4 can match).
    @inline(__always)
    func lookupConnected(local: SocketEndpoint, foreign: SocketEndpoint) -> Socket? {
        guard let list = byPort[local.port] else { return nil }
        for s in list where s.isConnected && s.foreign == foreign && s.local.sameAddress(local) { return s }
        return nil
    }

    /// in_pcblookup_bind / in6_pcblookup_bind: an unconnected socket bound to `local`, else one
    /// bound to the wildcard address on its port that takes the family (`family`: `v4` or `v6`;
    /// an AF_INET6 wildcard socket takes IPv4 only without IPV6_V6ONLY). The more specific wins.
    @inline(__always)
    func lookupBound(_ local: SocketEndpoint, family: UInt8 = PCBTable.v4) -> Socket? {
        guard let list = byPort[local.port] else { return nil }
        var wildcard: Socket? = nil
        for s in list where !s.isConnected {
            if s.local.sameAddress(local) { return s }
            if wildcard == nil && s.local.isAny && s.accepts & family != 0 { wildcard = s }
        }
        return wildcard
    }

    /// in_pcblookup_port / in6_pcblookup_port: a socket whose binding conflicts with binding
    /// `address`:`port` by a socket taking `families`. Sockets of disjoint families never
    /// conflict (an IPV6_V6ONLY socket and an AF_INET one share a port). An exact match always
    /// does; with `wildcard`, so does a socket where either address is the wildcard (or that is
    /// connected). The closest match is returned.
    func conflicting(address: SocketEndpoint, port: UInt16, families: UInt8 = PCBTable.v4, wildcard: Bool,
                     excluding me: Socket? = nil) -> Socket? {
        guard let list = byPort[port] else { return nil }
        var best: Socket? = nil
        var bestWild = 3
        for s in list where s !== me && s.accepts & families != 0 {
            var wild = 0
            if !s.foreign.isAny { wild += 1 }
            if s.local.isAny {
                if !address.isAny { wild += 1 }
            } else if address.isAny {
                wild += 1
            } else if !s.local.sameAddress(address) {
                continue
            }
            if wild > 0 && !wildcard { continue }
            if wild < bestWild {
                best = s
                bestWild = wild
                if wild == 0 { break }
            }
        }
        return best
    }
}
