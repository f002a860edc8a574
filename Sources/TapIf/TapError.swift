// Why a tap could not be opened, in words a user can act on, and the errno the ioctl answers
// (NetBSD's virtif returns the host's errno; Linux's and NetBSD's agree below 35).

#if canImport(Glibc)
import Glibc
#endif
import RumpNet

public struct TapError: Error, CustomStringConvertible, Equatable {
    public enum Step: Sendable { case open, setInterface }
    public var name: String
    public var clonePath: String
    public var step: Step
    public var errno: Int32

    private var text: String { String(cString: strerror(errno)) }

    public var description: String {
        switch (step, errno) {
        case (.open, ENOENT), (.open, ENODEV), (.open, ENXIO):
            return "cannot open \(clonePath): \(text) (no tun/tap driver on this host: modprobe tun)"
        case (.open, EACCES), (.open, EPERM), (.setInterface, EPERM), (.setInterface, EACCES):
            return "tap \(name): \(text): a tap needs root or CAP_NET_ADMIN"
        case (.open, _):
            return "cannot open \(clonePath): \(text)"
        case (.setInterface, EBUSY), (.setInterface, EEXIST):
            return "tap \(name): \(text): name in use (another process holds that tap)"
        case (.setInterface, EINVAL) where if_nametoindex(name) != 0:
            return "tap \(name): \(text): name in use by a host interface that is not a tap"
        case (.setInterface, _):
            return "tap \(name): TUNSETIFF: \(text)"
        }
    }

    /// What SIOCSLINKSTR / SIOCSIFFLAGS answer.
    public var netbsdErrno: Errno {
        errno > 0 && errno < 35 ? Errno(errno) : .EIO
    }
}
