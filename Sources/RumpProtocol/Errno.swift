// NetBSDErrno lives in NetBSDModels, shared with the stack and the utilities.
@_exported import NetBSDModels

/// An operation's failure: a NetBSD errno, optionally with a detail for the caller
/// (e.g. which level of a sysctl name was not found).
public struct KernelError: Error, Hashable, Sendable, CustomStringConvertible {
    public var errno: NetBSDErrno
    public var detail: UInt32
    public var message: String
    public init(_ errno: NetBSDErrno, detail: UInt32 = 0, message: String = "") {
        self.errno = errno
        self.detail = detail
        self.message = message
    }
    public var description: String { message.isEmpty ? errno.strerror : "\(message): \(errno.strerror)" }
}
