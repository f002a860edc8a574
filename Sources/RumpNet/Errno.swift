// The stack's errors are NetBSD's errno values, the same type the protocol carries, so the kernel
// glue passes them through unchanged. NetBSDModels has no dependencies, so the stack stays light.
@_exported import NetBSDModels

public typealias Errno = NetBSDErrno
