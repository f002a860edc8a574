// struct ifnet: one network interface. Owned by its stack's interface table.

public struct InterfaceFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    // NetBSD's IFF_* values (sys/net/if.h), so `flags=0x8843` prints the same.
    public static let up = InterfaceFlags(rawValue: 0x1)
    public static let broadcast = InterfaceFlags(rawValue: 0x2)
    public static let debug = InterfaceFlags(rawValue: 0x4)
    public static let loopback = InterfaceFlags(rawValue: 0x8)
    public static let pointToPoint = InterfaceFlags(rawValue: 0x10)
    public static let running = InterfaceFlags(rawValue: 0x40)
    public static let noARP = InterfaceFlags(rawValue: 0x80)
    public static let promisc = InterfaceFlags(rawValue: 0x100)
    public static let allMulti = InterfaceFlags(rawValue: 0x200)
    public static let simplex = InterfaceFlags(rawValue: 0x800)
    public static let multicast = InterfaceFlags(rawValue: 0x8000)

    /// Names in NetBSD's printb order: `<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>`.
    public var names: [String] {
        let all: [(InterfaceFlags, String)] = [(.up, "UP"), (.broadcast, "BROADCAST"), (.debug, "DEBUG"),
            (.loopback, "LOOPBACK"), (.pointToPoint, "POINTOPOINT"), (.running, "RUNNING"), (.noARP, "NOARP"),
            (.promisc, "PROMISC"), (.allMulti, "ALLMULTI"), (.simplex, "SIMPLEX"), (.multicast, "MULTICAST")]
        return all.filter { contains($0.0) }.map(\.1)
    }
}

/// struct in_ifaddr: one IPv4 address of an interface.
public struct InterfaceAddress: Sendable, Equatable {
    public var address: IPv4Address
    public var netmask: UInt32
    public var broadcast: IPv4Address
    public var prefixLength: Int { netmask.nonzeroBitCount }
    public var network: UInt32 { address.value & netmask }
    /// IN_IFF_DETACHED: the interface is down, so the address is not used.
    public var detached = false
}

public enum LinkType: Sendable { case ethernet, loopback }

/// A driver moves frames between an interface and its medium. Transmit copies: the caller's
/// buffer is reused at once.
public protocol LinkDriver: AnyObject {
    /// Sends one frame; false when the medium refused it (counted as an output error).
    func transmit(_ frame: UnsafeRawBufferPointer) -> Bool
    /// if_init: bring the link up (ENXIO when there is no medium yet).
    func start() throws(Errno)
    /// if_stop.
    func stop()
    /// Interface destroyed: release the medium.
    func detach()
    /// Feeds waiting input frames to the stack; returns how many. For drivers that are polled.
    func pollInput(_ stack: NetStack, ifIndex: Int) -> Int
    var linkString: String? { get }
    func setLinkString(_ s: String) throws(Errno)
    func clearLinkString() throws(Errno)
    /// A descriptor an event loop can wait on for input, if any.
    var fileDescriptor: Int32? { get }
    /// Ends a batch of transmits: a driver that holds back its wakeup (shmif, when the stack
    /// `coalescesWakeups`) gives it now.
    func flushOutput()
}

extension LinkDriver {
    public func start() throws(Errno) {}
    public func stop() {}
    public func detach() {}
    public func pollInput(_ stack: NetStack, ifIndex: Int) -> Int { 0 }
    public func flushOutput() {}
    public var linkString: String? { nil }
    public func setLinkString(_ s: String) throws(Errno) { throw .EINVAL }
    public func clearLinkString() throws(Errno) { throw .EINVAL }
    public var fileDescriptor: Int32? { nil }
}

public final class NetInterface {
    public let name: String
    public let index: Int
    @exclusivity(unchecked) public internal(set) var flags: InterfaceFlags
    @exclusivity(unchecked) public internal(set) var mtu: Int
    @exclusivity(unchecked) public internal(set) var linkAddress: MACAddress
    public let linkType: LinkType
    @exclusivity(unchecked) public internal(set) var addresses: [InterfaceAddress] = []
    // Unchecked for the same reason as NetStack's state: confined to the stack's thread.
    @exclusivity(unchecked) public internal(set) var counters = InterfaceCounters()
    // The last ARP resolution on this interface: a ping-pong or a forwarded flow hits it every time.
    @exclusivity(unchecked) var arpHintAddress: UInt32 = 0
    @exclusivity(unchecked) var arpHintMAC = MACAddress.zero
    @exclusivity(unchecked) var arpHintExpires: UInt64 = 0
    @exclusivity(unchecked) var arpHintGeneration: UInt64 = 0
    public let driver: LinkDriver
    /// Where `ifconfig -C` families come from and whether destroy is allowed (lo0 cannot be).
    public let cloneFamily: String
    let destroyable: Bool

    init(name: String, index: Int, flags: InterfaceFlags, mtu: Int, linkAddress: MACAddress, linkType: LinkType,
         driver: LinkDriver, cloneFamily: String, destroyable: Bool) {
        self.name = name
        self.index = index
        self.flags = flags
        self.mtu = mtu
        self.linkAddress = linkAddress
        self.linkType = linkType
        self.driver = driver
        self.cloneFamily = cloneFamily
        self.destroyable = destroyable
    }

    public var isUsable: Bool { flags.contains(.up) && flags.contains(.running) }

    /// Is `a` one of this interface's broadcast addresses (subnet, limited, or the all-zeros forms)?
    @inline(__always)
    func isBroadcast(_ a: IPv4Address) -> Bool {
        if a.value == 0xFFFF_FFFF || a.value == 0 { return true }
        for ia in addresses where ia.netmask != 0xFFFF_FFFF {
            if a == ia.broadcast || a.value == ia.network { return true }
        }
        return false
    }

    @inline(__always)
    func hasAddress(_ a: IPv4Address) -> Bool {
        for ia in addresses where ia.address == a { return true }
        return false
    }
}
