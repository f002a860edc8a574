/// NetBSD errno numbers (sys/errno.h) and the texts NetBSD's strerror prints. Results on the
/// wire carry these numbers, not the host's, so a client prints what NetBSD prints whatever
/// the host is.
public struct NetBSDErrno: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let EPERM = NetBSDErrno(rawValue: 1)
    public static let ENOENT = NetBSDErrno(rawValue: 2)
    public static let ESRCH = NetBSDErrno(rawValue: 3)
    public static let EINTR = NetBSDErrno(rawValue: 4)
    public static let EIO = NetBSDErrno(rawValue: 5)
    public static let ENXIO = NetBSDErrno(rawValue: 6)
    public static let E2BIG = NetBSDErrno(rawValue: 7)
    public static let EBADF = NetBSDErrno(rawValue: 9)
    public static let ENOMEM = NetBSDErrno(rawValue: 12)
    public static let EACCES = NetBSDErrno(rawValue: 13)
    public static let EFAULT = NetBSDErrno(rawValue: 14)
    public static let EBUSY = NetBSDErrno(rawValue: 16)
    public static let EEXIST = NetBSDErrno(rawValue: 17)
    public static let ENODEV = NetBSDErrno(rawValue: 19)
    public static let ENOTDIR = NetBSDErrno(rawValue: 20)
    public static let EISDIR = NetBSDErrno(rawValue: 21)
    public static let EINVAL = NetBSDErrno(rawValue: 22)
    public static let EMFILE = NetBSDErrno(rawValue: 24)
    public static let ENOSPC = NetBSDErrno(rawValue: 28)
    public static let EPIPE = NetBSDErrno(rawValue: 32)
    public static let ERANGE = NetBSDErrno(rawValue: 34)
    public static let EAGAIN = NetBSDErrno(rawValue: 35)
    public static let EINPROGRESS = NetBSDErrno(rawValue: 36)
    public static let EALREADY = NetBSDErrno(rawValue: 37)
    public static let ENOTSOCK = NetBSDErrno(rawValue: 38)
    public static let EDESTADDRREQ = NetBSDErrno(rawValue: 39)
    public static let EMSGSIZE = NetBSDErrno(rawValue: 40)
    public static let EPROTOTYPE = NetBSDErrno(rawValue: 41)
    public static let ENOPROTOOPT = NetBSDErrno(rawValue: 42)
    public static let EPROTONOSUPPORT = NetBSDErrno(rawValue: 43)
    public static let ESOCKTNOSUPPORT = NetBSDErrno(rawValue: 44)
    public static let EOPNOTSUPP = NetBSDErrno(rawValue: 45)
    public static let EPFNOSUPPORT = NetBSDErrno(rawValue: 46)
    public static let EAFNOSUPPORT = NetBSDErrno(rawValue: 47)
    public static let EADDRINUSE = NetBSDErrno(rawValue: 48)
    public static let EADDRNOTAVAIL = NetBSDErrno(rawValue: 49)
    public static let ENETDOWN = NetBSDErrno(rawValue: 50)
    public static let ENETUNREACH = NetBSDErrno(rawValue: 51)
    public static let ENETRESET = NetBSDErrno(rawValue: 52)
    public static let ECONNABORTED = NetBSDErrno(rawValue: 53)
    public static let ECONNRESET = NetBSDErrno(rawValue: 54)
    public static let ENOBUFS = NetBSDErrno(rawValue: 55)
    public static let EISCONN = NetBSDErrno(rawValue: 56)
    public static let ENOTCONN = NetBSDErrno(rawValue: 57)
    public static let ESHUTDOWN = NetBSDErrno(rawValue: 58)
    public static let ETIMEDOUT = NetBSDErrno(rawValue: 60)
    public static let ECONNREFUSED = NetBSDErrno(rawValue: 61)
    public static let ENAMETOOLONG = NetBSDErrno(rawValue: 63)
    public static let EHOSTDOWN = NetBSDErrno(rawValue: 64)
    public static let EHOSTUNREACH = NetBSDErrno(rawValue: 65)
    public static let ENOSYS = NetBSDErrno(rawValue: 78)
    public static let ENOTSUP = NetBSDErrno(rawValue: 86)

    static let table: [Int32: (String, String)] = [
        1: ("EPERM", "Operation not permitted"),
        2: ("ENOENT", "No such file or directory"),
        3: ("ESRCH", "No such process"),
        4: ("EINTR", "Interrupted system call"),
        5: ("EIO", "Input/output error"),
        6: ("ENXIO", "Device not configured"),
        7: ("E2BIG", "Argument list too long"),
        9: ("EBADF", "Bad file descriptor"),
        12: ("ENOMEM", "Cannot allocate memory"),
        13: ("EACCES", "Permission denied"),
        14: ("EFAULT", "Bad address"),
        16: ("EBUSY", "Device busy"),
        17: ("EEXIST", "File exists"),
        19: ("ENODEV", "Operation not supported by device"),
        20: ("ENOTDIR", "Not a directory"),
        21: ("EISDIR", "Is a directory"),
        22: ("EINVAL", "Invalid argument"),
        24: ("EMFILE", "Too many open files"),
        28: ("ENOSPC", "No space left on device"),
        32: ("EPIPE", "Broken pipe"),
        34: ("ERANGE", "Result too large"),
        35: ("EAGAIN", "Resource temporarily unavailable"),
        36: ("EINPROGRESS", "Operation now in progress"),
        37: ("EALREADY", "Operation already in progress"),
        38: ("ENOTSOCK", "Socket operation on non-socket"),
        39: ("EDESTADDRREQ", "Destination address required"),
        40: ("EMSGSIZE", "Message too long"),
        41: ("EPROTOTYPE", "Protocol wrong type for socket"),
        42: ("ENOPROTOOPT", "Protocol option not available"),
        43: ("EPROTONOSUPPORT", "Protocol not supported"),
        44: ("ESOCKTNOSUPPORT", "Socket type not supported"),
        45: ("EOPNOTSUPP", "Operation not supported"),
        46: ("EPFNOSUPPORT", "Protocol family not supported"),
        47: ("EAFNOSUPPORT", "Address family not supported by protocol family"),
        48: ("EADDRINUSE", "Address already in use"),
        49: ("EADDRNOTAVAIL", "Can't assign requested address"),
        50: ("ENETDOWN", "Network is down"),
        51: ("ENETUNREACH", "Network is unreachable"),
        52: ("ENETRESET", "Network dropped connection on reset"),
        53: ("ECONNABORTED", "Software caused connection abort"),
        54: ("ECONNRESET", "Connection reset by peer"),
        55: ("ENOBUFS", "No buffer space available"),
        56: ("EISCONN", "Socket is already connected"),
        57: ("ENOTCONN", "Socket is not connected"),
        58: ("ESHUTDOWN", "Can't send after socket shutdown"),
        60: ("ETIMEDOUT", "Connection timed out"),
        61: ("ECONNREFUSED", "Connection refused"),
        63: ("ENAMETOOLONG", "File name too long"),
        64: ("EHOSTDOWN", "Host is down"),
        65: ("EHOSTUNREACH", "No route to host"),
        78: ("ENOSYS", "Function not implemented"),
        86: ("ENOTSUP", "Not supported"),
    ]

    /// The symbolic name, e.g. "ENOENT" (or "E<number>" for numbers outside the table).
    public var name: String { Self.table[rawValue]?.0 ?? "E\(rawValue)" }
    /// What NetBSD's strerror(3) prints.
    public var strerror: String { Self.table[rawValue]?.1 ?? "Unknown error: \(rawValue)" }
    public var description: String { name }

    public init?(name: String) {
        guard let e = Self.table.first(where: { $0.value.0 == name }) else { return nil }
        rawValue = e.key
    }

    /// Maps a Linux errno (from the host's own socket calls) to NetBSD's number.
    public init(linux: Int32) {
        let map: [Int32: Int32] = [
            11: 35, 115: 36, 114: 37, 88: 38, 89: 39, 90: 40, 91: 41, 92: 42, 93: 43, 94: 44,
            95: 45, 96: 46, 97: 47, 98: 48, 99: 49, 100: 50, 101: 51, 102: 52, 103: 53, 104: 54,
            105: 55, 106: 56, 107: 57, 108: 58, 110: 60, 111: 61, 36: 63, 112: 64, 113: 65, 38: 78,
        ]
        rawValue = linux < 35 ? linux : (map[linux] ?? 5)
    }
}

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
