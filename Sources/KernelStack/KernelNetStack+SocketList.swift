// netstat -a's socket list from the stack's sockets (NetBSD's net.inet.*.pcblist).
import RumpKernel
import RumpNet
import RumpProtocol

extension KernelNetStack: SocketListing {
    /// The UDP sockets in descriptor order (TCP's join with TCP). Raw sockets are left out:
    /// NetBSD's netstat lists only TCP and UDP control blocks.
    public func socketList() -> [SocketEntry] {
        stack.socketList.compactMap { s -> SocketEntry? in
            guard case .udp = s.proto else { return nil }
            return SocketEntry(proto: "udp", local: Self.sockaddr(s.local), foreign: Self.sockaddr(s.foreign),
                               receiveQueue: UInt32(clamping: s.receiveQueued), sendQueue: UInt32(clamping: s.sendQueued))
        }
    }
}
