#if canImport(Glibc)
import Glibc
#endif
import CShim

/// A Linux tap device opened through /dev/net/tun (IFF_TAP | IFF_NO_PI: whole Ethernet
/// frames, no packet-information header), non-blocking. The interface lives as long as the
/// descriptor: it is created in the network namespace of the thread that opens it and
/// vanishes when the descriptor is closed, also when its process is killed.
public final class TapDevice {
    public let fileDescriptor: Int32
    public let name: String
    public static let cloneDevice = "/dev/net/tun"

    public init(name: String, device: String = TapDevice.cloneDevice) throws(LabError) {
        let fd = open(device, O_RDWR | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw LabError(Self.openProblem(device: device, errno: errno)) }
        // struct ifreq: ifr_name[16], then ifr_flags (a short) at offset 16; 40 bytes in all.
        var ifr = [UInt8](repeating: 0, count: 40)
        for (i, b) in name.utf8.prefix(15).enumerated() { ifr[i] = b }
        let flags = UInt16(RN_IFF_TAP | RN_IFF_NO_PI)
        ifr[16] = UInt8(flags & 0xff)
        ifr[17] = UInt8(flags >> 8)
        let rc = ifr.withUnsafeMutableBytes { ioctl(fd, UInt(RN_TUNSETIFF), $0.baseAddress!) }
        guard rc == 0 else {
            let e = errno
            close(fd)
            let why: String
            switch e {
            case EPERM, EACCES: why = "\(String(cString: strerror(e))) (a tap needs root or CAP_NET_ADMIN)"
            case EBUSY: why = "\(String(cString: strerror(e))) (an interface of that name exists and is in use)"
            case EINVAL: why = "\(String(cString: strerror(e))) (an interface of that name exists and is not a tap)"
            default: why = String(cString: strerror(e))
            }
            throw LabError("tap \(name): TUNSETIFF: \(why)")
        }
        fileDescriptor = fd
        self.name = name
    }

    deinit { close(fileDescriptor) }

    /// Why /dev/net/tun could not be opened, in words a user can act on.
    public static func openProblem(device: String, errno e: Int32) -> String {
        switch e {
        case ENOENT, ENODEV, ENXIO:
            return "\(device): \(String(cString: strerror(e))) (no tun/tap driver: `modprobe tun`; in a container, pass /dev/net/tun through)"
        case EACCES, EPERM:
            return "\(device): \(String(cString: strerror(e))) (a tap needs root or CAP_NET_ADMIN)"
        default:
            return "\(device): \(String(cString: strerror(e)))"
        }
    }
}
