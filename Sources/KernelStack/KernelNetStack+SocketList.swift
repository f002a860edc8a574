// netstat -a's socket list from the stack's sockets.
import RumpKernel
import RumpProtocol

extension KernelNetStack: SocketListing {
    /// The stack on this branch has raw sockets alone, and NetBSD's netstat lists only TCP and
    /// UDP control blocks: nothing to list until the socket layer with UDP is merged (then this
    /// maps `NetStack.socketList`).
    public func socketList() -> [SocketEntry] { [] }
}
