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
    /// The medium, possibly wrapped in middlewares (`NetStack.wrapDevice`).
    @exclusivity(unchecked) public internal(set) var device: NetDevice
    /// Where `ifconfig -C` families come from and whether destroy is allowed (lo0 cannot be).
    public let cloneFamily: String
    let destroyable: Bool
    var busyWhileUp = false
    let maxMTU: Int
    /// A loop turn's output for a device that `prefersBatches`, sent at `flushOutput()`.
    @exclusivity(unchecked) var outQueue: TransmitQueue?
    /// A one-frame list for frames sent at once (no queue): reused, so a send allocates nothing.
    let single: UnsafeMutablePointer<UnsafeRawBufferPointer>

    init(name: String, index: Int, flags: InterfaceFlags, mtu: Int, maxMTU: Int, linkAddress: MACAddress, linkType: LinkType,
         device: NetDevice, cloneFamily: String, destroyable: Bool) {
        self.name = name
        self.index = index
        self.flags = flags
        self.mtu = mtu
        self.maxMTU = maxMTU
        self.linkAddress = linkAddress
        self.linkType = linkType
        self.device = device
        self.cloneFamily = cloneFamily
        self.destroyable = destroyable
        single = .allocate(capacity: 1)
        single.initialize(to: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    deinit {
        outQueue?.deallocate()
        single.deallocate()
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
