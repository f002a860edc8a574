// A Linux tap as a NetDevice: /dev/net/tun with IFF_TAP|IFF_NO_PI, as NetBSD's virtif_user.c
// opens it, but non-blocking and read in the kernel's event loop instead of by a thread of its
// own: one readable descriptor, read until EAGAIN into the stack's batch, one write(2) per
// whole frame. The host interface exists while the descriptor is open (never persistent), so
// closing it — destroy, halt, or the process dying — makes it disappear.
//
// Naming: virtN opens host tunN (NetBSD's standard build), unless `linkstr NAME` chose another
// name first (NetBSD's RUMP_VIF_LINKSTR build has linkstr; ours opens at linkstr rather than at
// create, so kernels that all create virt0 do not fight over tun0).

#if canImport(Glibc)
import Glibc
#endif
import CShim
import RumpNet
import Shmif

public final class TapDevice: NetDevice {
    public let unit: Int
    public var hooks: DeviceHooks
    /// The clone device: /dev/net/tun, or $RUMPNET_TUN_PATH (a test hook for a missing device).
    public let clonePath: String
    private var fd: Int32 = -1
    /// The host interface's name while it is open.
    public private(set) var hostName: String?
    /// The name `linkstr` asked for.
    private var requestedName: String?
    private var running = false
    /// The host interface went away under the open descriptor: the next start opens it again.
    private var lost = false
    public private(set) var readErrors: UInt64 = 0
    public private(set) var writeErrors: UInt64 = 0
    /// Frames longer than an Ethernet frame with a VLAN tag (the host side's MTU is larger).
    public private(set) var oversized: UInt64 = 0

    /// Longest frame read: 1518 bytes, plus one to tell a longer frame that read(2) cut short.
    static let readLength = NetStack.largestFrame + 1

    public init(unit: Int, name: String, clonePath: String? = nil) {
        self.unit = unit
        hooks = DeviceHooks(name: name)
        self.clonePath = clonePath ?? TapDevice.defaultClonePath
    }

    deinit { close() }

    public static var defaultClonePath: String {
        if let p = getenv("RUMPNET_TUN_PATH"), p.pointee != 0 { return String(cString: p) }
        return "/dev/net/tun"
    }

    /// The host name virtN opens when no linkstr was given (virt.4: "Interface number <n>
    /// always corresponds with the host tap interface", named tunN on Linux).
    public var defaultHostName: String { "tun\(unit)" }

    // MARK: opening and closing

    /// Opens the host tap `name`, or answers the errno and logs why (the reason a user needs).
    public func open(_ name: String) throws(Errno) {
        var actual = [CChar](repeating: 0, count: 16)
        var step: Int32 = 0
        let r = rn_tap_open(clonePath, name, &actual, &step)
        guard r >= 0 else {
            let e = TapError(name: name, clonePath: clonePath, step: step == 1 ? .open : .setInterface, errno: -r)
            hooks.log("\(hooks.name): \(e.description)")
            throw e.netbsdErrno
        }
        fd = r
        hostName = String(decoding: actual.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func close() {
        lost = false
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
        hostName = nil
    }

    /// An interface name Linux accepts: 1...15 bytes, no '/', ':' or white space, not "." or "..".
    static func validHostName(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard !b.isEmpty, b.count < 16, s != ".", s != ".." else { return false }
        return !b.contains { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 <= 0x20 || $0 >= 0x7F }
    }

    // MARK: NetDevice

    public var linkString: String? { requestedName ?? hostName }

    public func setLinkString(_ s: String) throws(Errno) {
        guard !running else { throw .EBUSY }
        guard Self.validHostName(s) else {
            hooks.log("\(hooks.name): linkstr \"\(s)\": not a host interface name (1 to 15 characters, no '/', ':' or spaces)")
            throw .EINVAL
        }
        close()
        requestedName = nil
        try open(s)
        requestedName = s
    }

    public func clearLinkString() throws(Errno) {
        guard !running else { throw .EBUSY }
        close()
        requestedName = nil
    }

    public func start() throws(Errno) {
        if lost {
            close()
            lost = false
        }
        if fd < 0 { try open(requestedName ?? defaultHostName) }
        running = true
    }

    /// if_stop: input stops (the descriptor leaves the loop); the host interface stays.
    public func stop() { running = false }

    public func detach() {
        running = false
        close()
        requestedName = nil
    }

    public var fileDescriptor: Int32? { running && fd >= 0 ? fd : nil }

    public func receive(into batch: inout ReceiveBatch, now: UInt64) -> Int {
        guard running, fd >= 0 else { return 0 }
        var failure: Int32 = 0
        while true {
            var long = false
            let got = batch.appendInPlace(maxLength: Self.readLength) { space in
                let n = read(fd, space.baseAddress, space.count)
                if n < 0 { failure = errno; return nil }
                if n >= Self.readLength { long = true; return nil }
                return n
            }
            if long { oversized &+= 1; continue }
            if got == nil { break }
        }
        if failure != 0 && failure != EAGAIN && failure != EINTR {
            readErrors &+= 1
            // EBADFD / EIO: the host interface was deleted under us.
            if failure == EBADFD || failure == EIO || failure == ENODEV {
                running = false
                lost = true
                hooks.linkDown("tap \(hostName ?? "?"): read: \(String(cString: strerror(failure)))")
            }
        }
        return batch.count
    }

    public func transmit(_ frames: FrameList, now: UInt64) -> Int {
        guard running, fd >= 0 else { return 0 }
        for (i, f) in frames.enumerated() {
            let n = write(fd, f.baseAddress, f.count)
            if n != f.count {
                writeErrors &+= 1
                return i
            }
        }
        return frames.count
    }
}
