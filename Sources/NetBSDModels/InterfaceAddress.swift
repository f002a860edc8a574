// One address of an interface (struct in_ifaddr / in6_ifaddr): what a kernel reports
// (RumpProtocol encodes it), what ifconfig and netstat -i print, and what ifconfig asks a kernel
// to add.

public struct InterfaceAddress: Hashable, Sendable {
    public var address: SocketAddress
    public var netmask: SocketAddress
    /// Broadcast address (IFF_BROADCAST) or destination (IFF_POINTOPOINT); nil when neither.
    public var broadcast: SocketAddress?
    /// IN_IFF_* / IN6_IFF_* bits: 0x1 tentative, 0x2 duplicated, 0x4 detached. "alias" is not a
    /// flag: NetBSD's ifconfig calls every address after an interface's first one an alias.
    public var flags: UInt32

    public init(address: SocketAddress, netmask: SocketAddress, broadcast: SocketAddress? = nil, flags: UInt32 = 0) {
        self.address = address
        self.netmask = netmask
        self.broadcast = broadcast
        self.flags = flags
    }

    /// An IPv4 address with its netmask and broadcast address.
    public static func inet(_ address: IPv4Address, netmask: IPv4Address, broadcast: IPv4Address? = nil, flags: UInt32 = 0) -> Self {
        InterfaceAddress(address: .inet(address), netmask: .inet(netmask), broadcast: broadcast.map { .inet($0) }, flags: flags)
    }
}
