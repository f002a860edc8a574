// errno values and messages as NetBSD defines them (sys/errno.h), because remote utilities print
// NetBSD's messages from the numbers the stack returns.

public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    public static let EPERM = Errno(1), ENOENT = Errno(2), ESRCH = Errno(3), EINTR = Errno(4), EIO = Errno(5)
    public static let ENXIO = Errno(6), E2BIG = Errno(7), ENOEXEC = Errno(8), EBADF = Errno(9), ENOMEM = Errno(12)
    public static let EACCES = Errno(13), EFAULT = Errno(14), EBUSY = Errno(16), EEXIST = Errno(17), ENODEV = Errno(19)
    public static let EINVAL = Errno(22), ENFILE = Errno(23), EMFILE = Errno(24), ENOSPC = Errno(28), EPIPE = Errno(32)
    public static let EAGAIN = Errno(35), EWOULDBLOCK = Errno(35), EINPROGRESS = Errno(36), EALREADY = Errno(37)
    public static let ENOTSOCK = Errno(38), EDESTADDRREQ = Errno(39), EMSGSIZE = Errno(40), EPROTOTYPE = Errno(41)
    public static let ENOPROTOOPT = Errno(42), EPROTONOSUPPORT = Errno(43), ESOCKTNOSUPPORT = Errno(44)
    public static let EOPNOTSUPP = Errno(45), EAFNOSUPPORT = Errno(47), EADDRINUSE = Errno(48), EADDRNOTAVAIL = Errno(49)
    public static let ENETDOWN = Errno(50), ENETUNREACH = Errno(51), ENOBUFS = Errno(55), EISCONN = Errno(56)
    public static let ENOTCONN = Errno(57), ETIMEDOUT = Errno(60), ECONNREFUSED = Errno(61), EHOSTDOWN = Errno(64)
    public static let EHOSTUNREACH = Errno(65)

    static let table: [Int32: (String, String)] = [
        1: ("EPERM", "Operation not permitted"), 2: ("ENOENT", "No such file or directory"),
        3: ("ESRCH", "No such process"), 4: ("EINTR", "Interrupted system call"), 5: ("EIO", "Input/output error"),
        6: ("ENXIO", "Device not configured"), 7: ("E2BIG", "Argument list too long"),
        8: ("ENOEXEC", "Exec format error"), 9: ("EBADF", "Bad file descriptor"), 12: ("ENOMEM", "Cannot allocate memory"),
        13: ("EACCES", "Permission denied"), 14: ("EFAULT", "Bad address"), 16: ("EBUSY", "Device busy"),
        17: ("EEXIST", "File exists"), 19: ("ENODEV", "Operation not supported by device"),
        22: ("EINVAL", "Invalid argument"), 23: ("ENFILE", "Too many open files in system"),
        24: ("EMFILE", "Too many open files"), 28: ("ENOSPC", "No space left on device"), 32: ("EPIPE", "Broken pipe"),
        35: ("EAGAIN", "Resource temporarily unavailable"), 36: ("EINPROGRESS", "Operation now in progress"),
        37: ("EALREADY", "Operation already in progress"), 38: ("ENOTSOCK", "Socket operation on non-socket"),
        39: ("EDESTADDRREQ", "Destination address required"), 40: ("EMSGSIZE", "Message too long"),
        41: ("EPROTOTYPE", "Protocol wrong type for socket"), 42: ("ENOPROTOOPT", "Protocol option not available"),
        43: ("EPROTONOSUPPORT", "Protocol not supported"), 44: ("ESOCKTNOSUPPORT", "Socket type not supported"),
        45: ("EOPNOTSUPP", "Operation not supported"), 47: ("EAFNOSUPPORT", "Address family not supported by protocol family"),
        48: ("EADDRINUSE", "Address already in use"), 49: ("EADDRNOTAVAIL", "Can't assign requested address"),
        50: ("ENETDOWN", "Network is down"), 51: ("ENETUNREACH", "Network is unreachable"),
        55: ("ENOBUFS", "No buffer space available"), 56: ("EISCONN", "Socket is already connected"),
        57: ("ENOTCONN", "Socket is not connected"), 60: ("ETIMEDOUT", "Connection timed out"),
        61: ("ECONNREFUSED", "Connection refused"), 64: ("EHOSTDOWN", "Host is down"),
        65: ("EHOSTUNREACH", "No route to host"),
    ]
    public var name: String { Errno.table[rawValue]?.0 ?? "E\(rawValue)" }
    /// NetBSD's strerror text.
    public var message: String { Errno.table[rawValue]?.1 ?? "Unknown error: \(rawValue)" }
    public var description: String { "\(name) (\(message))" }
}
