// netstat -a's socket list from the stack's sockets (NetBSD's net.inet.*.pcblist).
import RumpKernel
import RumpNet
import RumpProtocol

extension KernelNetStack: SocketListing {
    /// The TCP and UDP sockets in the stack's order (descriptors first, then the connections no
    /// descriptor names: embryonic, waiting for accept, closing, TIME_WAIT). TCP rows carry
    /// their state's name (tcpstates[]) and their send and receive queues. Raw sockets are left
    /// out: NetBSD's netstat lists only TCP and UDP control blocks.
    public func socketList() -> [SocketEntry] {
        stack.socketList.compactMap { s -> SocketEntry? in
            switch s.proto {
            case .udp:
                return SocketEntry(proto: "udp", local: Self.sockaddr(s.local), foreign: Self.sockaddr(s.foreign),
                                   receiveQueue: UInt32(clamping: s.receiveQueued), sendQueue: UInt32(clamping: s.sendQueued))
            case .tcp:
                return SocketEntry(proto: "tcp", local: Self.sockaddr(s.local), foreign: Self.sockaddr(s.foreign),
                                   receiveQueue: UInt32(clamping: s.receiveQueued), sendQueue: UInt32(clamping: s.sendQueued),
                                   state: (s.tcpState ?? .closed).description)
            case .raw:
                return nil
            }
        }
    }
}
