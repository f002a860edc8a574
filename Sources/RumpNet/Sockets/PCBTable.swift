// A protocol's PCB table (struct inpcbtable): the bound sockets of one protocol by local port, so
// an input datagram costs one dictionary lookup and a walk over the few sockets on its port, not a
// scan of every socket. Each port's list is newest first (NetBSD's LIST_INSERT_HEAD), which decides
// ties. UDP uses it now; TCP's listen and connection lookup will use the same table.

struct PCBTable {
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

    /// in_pcblookup_connect: the connected socket with exactly this 4-tuple.
    @inline(__always)
    func lookupConnected(local: SocketEndpoint, foreign: SocketEndpoint) -> Socket? {
        guard let list = byPort[local.port] else { return nil }
        for s in list where s.isConnected && s.foreign == foreign && s.local.address == local.address { return s }
        return nil
    }

    /// in_pcblookup_bind: an unconnected socket bound to `local`, else one bound to the wildcard
    /// address on its port. The more specific wins.
    @inline(__always)
    func lookupBound(_ local: SocketEndpoint) -> Socket? {
        guard let list = byPort[local.port] else { return nil }
        var wildcard: Socket? = nil
        for s in list where !s.isConnected {
            if s.local.address == local.address { return s }
            if wildcard == nil && s.local.address.isAny { wildcard = s }
        }
        return wildcard
    }

    /// in_pcblookup_port: a socket whose binding conflicts with binding `address`:`port`. An exact
    /// match always does; with `wildcard`, so does a socket where either address is the wildcard
    /// (or that is connected). The closest match is returned.
    func conflicting(address: IPv4Address, port: UInt16, wildcard: Bool, excluding me: Socket? = nil) -> Socket? {
        guard let list = byPort[port] else { return nil }
        var best: Socket? = nil
        var bestWild = 3
        for s in list where s !== me {
            var wild = 0
            if !s.foreign.address.isAny { wild += 1 }
            if s.local.address.isAny {
                if !address.isAny { wild += 1 }
            } else if address.isAny {
                wild += 1
            } else if s.local.address != address {
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
