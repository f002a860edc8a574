// netstat -a's socket list from the stack's sockets (NetBSD's net.inet.*.pcblist).
import RumpKernel
import RumpNet
import RumpProtocol

extension KernelNetStack: SocketListing {
    /// The TCP and UDP sockets in the stack's order (descriptors first, then the connections no
    /// descriptor names: embryonic, waiting for accept, closing, TIME_WAIT). TCP rows carry
    /// their state's name (tcpstates[]) and their send and receive queues. AF_INET6 sockets are
    /// "tcp6"/"udp6" rows with sockaddr_in6 addresses (netstat's "Active Internet6 connections"
    /// section; zones as sin6_scope_id). Raw sockets are left
    /// out: NetBSD's netstat lists only TCP and UDP control blocks.
    public func socketList() -> [SocketEntry] {
        stack.socketList.compactMap { s -> SocketEntry? in
            let v6 = s.family == SocketConstants.AF_INET6
            let local = Self.sockaddr(s.local, family: s.family), foreign = Self.sockaddr(s.foreign, family: s.family)
            switch s.proto {
            case .udp:
                return SocketEntry(proto: v6 ? "udp6" : "udp", local: local, foreign: foreign,
                                   receiveQueue: UInt32(clamping: s.receiveQueued), sendQueue: UInt32(clamping: s.sendQueued))
            case .tcp:
                return SocketEntry(proto: v6 ? "tcp6" : "tcp", local: local, foreign: foreign,
                                   receiveQueue: UInt32(clamping: s.receiveQueued), sendQueue: UInt32(clamping: s.sendQueued),
                                   state: (s.tcpState ?? .closed).description)
            case .raw:
                return nil
            }
        }
    }
}
