// netstat -a's socket list: the kernel's control blocks as NetAdmin's SocketInfo.
import NetAdmin
import RumpProtocol

extension Convert {
    /// nil for an entry that is not IPv4 (netstat's Internet6 list is a separate request).
    public static func socket(_ e: SocketEntry) -> SocketInfo? {
        guard let l = e.local.ipv4, let f = e.foreign.ipv4 else { return nil }
        return SocketInfo(proto: e.proto, receiveQueue: e.receiveQueue, sendQueue: e.sendQueue, localAddress: l,
                          localPort: e.local.port, foreignAddress: f, foreignPort: e.foreign.port, state: e.state)
    }
}

extension Remote {
    /// The TCP and UDP control blocks (NetBSD's netstat lists no raw sockets); empty from a
    /// kernel that keeps none or does not know the request.
    public func sockets() -> [SocketInfo] {
        guard case .success(.sockets(let l)) = call(.socketList) else { return [] }
        return l.compactMap(Convert.socket)
    }
}
