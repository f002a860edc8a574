// What ifconfig and netstat -i show of one interface (struct if_data + addresses).

/// One interface of a kernel.
public struct InterfaceInfo: Sendable, Equatable {
    public var name: String
    /// if_index: the "link#N" number of routes through this interface.
    public var index: UInt32
    /// IFF_* bits.
    public var flags: UInt32
    public var mtu: UInt32
    public var metric: Int32
    /// The link-level address; nil for interfaces without one (lo0).
    public var linkAddress: [UInt8]?
    /// shmif's bus path (SIOCGLINKSTR); nil when none is set.
    public var linkstr: String?
    /// In the kernel's order; ifconfig prints every address after the first as "alias".
    public var addresses: [InterfaceAddressInfo]
    public var counters: InterfaceCounters

    public init(name: String, index: UInt32, flags: UInt32, mtu: UInt32, metric: Int32 = 0,
                linkAddress: [UInt8]? = nil, linkstr: String? = nil,
                addresses: [InterfaceAddressInfo] = [], counters: InterfaceCounters = InterfaceCounters()) {
        self.name = name
        self.index = index
        self.flags = flags
        self.mtu = mtu
        self.metric = metric
        self.linkAddress = linkAddress
        self.linkstr = linkstr
        self.addresses = addresses
        self.counters = counters
    }

    public var isUp: Bool { flags & IFF.UP != 0 }
}

/// One address of an interface (struct in_ifaddr / in6_ifaddr).
public struct InterfaceAddressInfo: Sendable, Equatable {
    public var address: SocketAddress
    public var netmask: SocketAddress
    /// Broadcast address (IFF_BROADCAST) or destination (IFF_POINTOPOINT); nil when neither.
    public var broadcast: SocketAddress?
    /// IN_IFF_* bits (tentative, duplicated, detached). "alias" is not a flag: NetBSD's ifconfig
    /// calls every address after an interface's first one an alias.
    public var flags: UInt32

    public init(address: SocketAddress, netmask: SocketAddress, broadcast: SocketAddress? = nil, flags: UInt32 = 0) {
        self.address = address
        self.netmask = netmask
        self.broadcast = broadcast
        self.flags = flags
    }

    /// An IPv4 address with its netmask and broadcast address.
    public static func inet(_ address: IPv4Address, netmask: IPv4Address, broadcast: IPv4Address? = nil, flags: UInt32 = 0) -> Self {
        InterfaceAddressInfo(address: .inet(address), netmask: .inet(netmask), broadcast: broadcast.map { .inet($0) }, flags: flags)
    }
}
