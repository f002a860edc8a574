import RumpProtocol

/// A stack that can list its TCP and UDP control blocks (`netstat -a`). A separate protocol
/// rather than a NetworkStack requirement: stacks without transport sockets need not answer,
/// and the kernel then lists none, as NetBSD lists no raw sockets.
public protocol SocketListing: AnyObject {
    /// Every TCP and UDP socket, in the stack's order (NetBSD: the pcb table's).
    func socketList() -> [SocketEntry]
}

extension Kernel {
    /// `.socketList`: what the stack lists, or nothing when it keeps no transport sockets.
    func socketList() -> [SocketEntry] {
        (stack as? any SocketListing)?.socketList() ?? []
    }
}
