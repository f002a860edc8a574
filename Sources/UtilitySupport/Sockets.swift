// netstat -a's socket list.
import NetAdmin
import RumpProtocol

extension Remote {
    /// The TCP and UDP control blocks (NetBSD's netstat lists no raw sockets); empty from a
    /// kernel that keeps none or does not know the request.
    public func sockets() -> [SocketEntry] {
        guard case .success(.sockets(let l)) = call(.socketList) else { return [] }
        return l
    }
}
