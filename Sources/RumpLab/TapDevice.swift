#if canImport(Glibc)
import Glibc
#endif
import CShim

/// A Linux tap device opened through /dev/net/tun (IFF_TAP | IFF_NO_PI: whole Ethernet
/// frames, no packet-information header), non-blocking, by CShim's rn_tap_open as TapIf
/// opens its taps. This one is a plain descriptor for the tap-bridge process, which has
/// no stack (TapIf's TapDevice is a device of a kernel's stack). The interface lives as long as the
/// descriptor: it is created in the network namespace of the thread that opens it and
/// vanishes when the descriptor is closed, also when its process is killed.
public final class TapDevice {
    public let fileDescriptor: Int32
    public let name: String
    public static let cloneDevice = "/dev/net/tun"

    public init(name: String, device: String = TapDevice.cloneDevice) throws(LabError) {
        var actual = [CChar](repeating: 0, count: 16)
        var step: Int32 = 0
        let fd = rn_tap_open(device, name, &actual, &step)
        guard fd >= 0 else {
            let e = -fd
            if step == 1 { throw LabError(Self.openProblem(device: device, errno: e)) }
            let why: String
            switch e {
            case EPERM, EACCES: why = "\(String(cString: strerror(e))) (a tap needs root or CAP_NET_ADMIN)"
            case EBUSY, EEXIST: why = "\(String(cString: strerror(e))) (an interface of that name exists and is in use)"
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
