// NetBSD errno numbers (sys/errno.h) and strerror(3) texts (lib/libc/gen/errlist.c). One type for
// the stack, the wire protocol and the utilities: results carry NetBSD's numbers, not the host's,
// so every client prints NetBSD's wording whatever the host OS is.

/// A NetBSD errno value.
public struct NetBSDErrno: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    public static let EPERM = NetBSDErrno(1), ENOENT = NetBSDErrno(2), ESRCH = NetBSDErrno(3)
    public static let EINTR = NetBSDErrno(4), EIO = NetBSDErrno(5), ENXIO = NetBSDErrno(6)
    public static let E2BIG = NetBSDErrno(7), ENOEXEC = NetBSDErrno(8), EBADF = NetBSDErrno(9)
    public static let ENOMEM = NetBSDErrno(12), EACCES = NetBSDErrno(13), EFAULT = NetBSDErrno(14)
    public static let EBUSY = NetBSDErrno(16), EEXIST = NetBSDErrno(17), ENODEV = NetBSDErrno(19)
    public static let ENOTDIR = NetBSDErrno(20), EISDIR = NetBSDErrno(21), EINVAL = NetBSDErrno(22)
    public static let ENFILE = NetBSDErrno(23), EMFILE = NetBSDErrno(24), ENOSPC = NetBSDErrno(28)
    public static let EPIPE = NetBSDErrno(32), ERANGE = NetBSDErrno(34)
    public static let EAGAIN = NetBSDErrno(35), EWOULDBLOCK = NetBSDErrno(35)
    public static let EINPROGRESS = NetBSDErrno(36), EALREADY = NetBSDErrno(37), ENOTSOCK = NetBSDErrno(38)
    public static let EDESTADDRREQ = NetBSDErrno(39), EMSGSIZE = NetBSDErrno(40), EPROTOTYPE = NetBSDErrno(41)
    public static let ENOPROTOOPT = NetBSDErrno(42), EPROTONOSUPPORT = NetBSDErrno(43)
    public static let ESOCKTNOSUPPORT = NetBSDErrno(44), EOPNOTSUPP = NetBSDErrno(45)
    public static let EPFNOSUPPORT = NetBSDErrno(46), EAFNOSUPPORT = NetBSDErrno(47)
    public static let EADDRINUSE = NetBSDErrno(48), EADDRNOTAVAIL = NetBSDErrno(49), ENETDOWN = NetBSDErrno(50)
    public static let ENETUNREACH = NetBSDErrno(51), ENETRESET = NetBSDErrno(52), ECONNABORTED = NetBSDErrno(53)
    public static let ECONNRESET = NetBSDErrno(54), ENOBUFS = NetBSDErrno(55), EISCONN = NetBSDErrno(56)
    public static let ENOTCONN = NetBSDErrno(57), ESHUTDOWN = NetBSDErrno(58), ETIMEDOUT = NetBSDErrno(60)
    public static let ECONNREFUSED = NetBSDErrno(61), ENAMETOOLONG = NetBSDErrno(63), EHOSTDOWN = NetBSDErrno(64)
    public static let EHOSTUNREACH = NetBSDErrno(65), ENOSYS = NetBSDErrno(78), ENOTSUP = NetBSDErrno(86)

    private static let table: [Int32: (name: String, text: String)] = [
        1: ("EPERM", "Operation not permitted"), 2: ("ENOENT", "No such file or directory"),
        3: ("ESRCH", "No such process"), 4: ("EINTR", "Interrupted system call"),
        5: ("EIO", "Input/output error"), 6: ("ENXIO", "Device not configured"),
        7: ("E2BIG", "Argument list too long"), 8: ("ENOEXEC", "Exec format error"),
        9: ("EBADF", "Bad file descriptor"), 10: ("ECHILD", "No child processes"),
        11: ("EDEADLK", "Resource deadlock avoided"), 12: ("ENOMEM", "Cannot allocate memory"),
        13: ("EACCES", "Permission denied"), 14: ("EFAULT", "Bad address"),
        15: ("ENOTBLK", "Block device required"), 16: ("EBUSY", "Device busy"),
        17: ("EEXIST", "File exists"), 18: ("EXDEV", "Cross-device link"),
        19: ("ENODEV", "Operation not supported by device"), 20: ("ENOTDIR", "Not a directory"),
        21: ("EISDIR", "Is a directory"), 22: ("EINVAL", "Invalid argument"),
        23: ("ENFILE", "Too many open files in system"), 24: ("EMFILE", "Too many open files"),
        25: ("ENOTTY", "Inappropriate ioctl for device"), 26: ("ETXTBSY", "Text file busy"),
        27: ("EFBIG", "File too large"), 28: ("ENOSPC", "No space left on device"),
        29: ("ESPIPE", "Illegal seek"), 30: ("EROFS", "Read-only file system"),
        31: ("EMLINK", "Too many links"), 32: ("EPIPE", "Broken pipe"),
        33: ("EDOM", "Numerical argument out of domain"), 34: ("ERANGE", "Result too large or too small"),
        35: ("EAGAIN", "Resource temporarily unavailable"), 36: ("EINPROGRESS", "Operation now in progress"),
        37: ("EALREADY", "Operation already in progress"), 38: ("ENOTSOCK", "Socket operation on non-socket"),
        39: ("EDESTADDRREQ", "Destination address required"), 40: ("EMSGSIZE", "Message too long"),
        41: ("EPROTOTYPE", "Protocol wrong type for socket"), 42: ("ENOPROTOOPT", "Protocol option not available"),
        43: ("EPROTONOSUPPORT", "Protocol not supported"), 44: ("ESOCKTNOSUPPORT", "Socket type not supported"),
        45: ("EOPNOTSUPP", "Operation not supported"), 46: ("EPFNOSUPPORT", "Protocol family not supported"),
        47: ("EAFNOSUPPORT", "Address family not supported by protocol family"),
        48: ("EADDRINUSE", "Address already in use"), 49: ("EADDRNOTAVAIL", "Can't assign requested address"),
        50: ("ENETDOWN", "Network is down"), 51: ("ENETUNREACH", "Network is unreachable"),
        52: ("ENETRESET", "Network dropped connection on reset"),
        53: ("ECONNABORTED", "Software caused connection abort"), 54: ("ECONNRESET", "Connection reset by peer"),
        55: ("ENOBUFS", "No buffer space available"), 56: ("EISCONN", "Socket is already connected"),
        57: ("ENOTCONN", "Socket is not connected"), 58: ("ESHUTDOWN", "Can't send after socket shutdown"),
        59: ("ETOOMANYREFS", "Too many references: can't splice"), 60: ("ETIMEDOUT", "Connection timed out"),
        61: ("ECONNREFUSED", "Connection refused"), 62: ("ELOOP", "Too many levels of symbolic links"),
        63: ("ENAMETOOLONG", "File name too long"), 64: ("EHOSTDOWN", "Host is down"),
        65: ("EHOSTUNREACH", "No route to host"), 66: ("ENOTEMPTY", "Directory not empty"),
        78: ("ENOSYS", "Function not implemented"), 86: ("ENOTSUP", "Not supported"),
    ]

    /// The symbolic name ("EEXIST", or "E<number>" outside the table).
    public var name: String { Self.table[rawValue]?.name ?? "E\(rawValue)" }
    /// strerror(3) in NetBSD's wording.
    public var strerror: String { Self.table[rawValue]?.text ?? "Unknown error: \(rawValue)" }
    /// The stack's spelling of `strerror`.
    public var message: String { strerror }
    public var description: String { name }

    public init?(name: String) {
        guard let e = Self.table.first(where: { $0.value.name == name }) else { return nil }
        rawValue = e.key
    }

    /// Maps a Linux errno (from the host's own socket calls) to NetBSD's number; EIO for the rest.
    public init(linux: Int32) {
        let map: [Int32: Int32] = [
            11: 35, 115: 36, 114: 37, 88: 38, 89: 39, 90: 40, 91: 41, 92: 42, 93: 43, 94: 44,
            95: 45, 96: 46, 97: 47, 98: 48, 99: 49, 100: 50, 101: 51, 102: 52, 103: 53, 104: 54,
            105: 55, 106: 56, 107: 57, 108: 58, 110: 60, 111: 61, 36: 63, 112: 64, 113: 65, 38: 78,
        ]
        rawValue = linux < 35 ? linux : (map[linux] ?? 5)
    }
}
