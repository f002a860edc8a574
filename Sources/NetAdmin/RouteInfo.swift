// What route show / netstat -r / route get show of routes.

/// One entry of the routing table (a route dump record).
public struct RouteInfo: Sendable, Equatable {
    public var destination: SocketAddress
    /// nil for host routes (RTF_HOST); IPv4 masks are `.inet` netmasks.
    public var netmask: SocketAddress?
    /// An address for gateway routes, otherwise the interface (sockaddr_dl: "link#2" or "lo0").
    public var gateway: SocketAddress
    /// RTF_* bits.
    public var flags: UInt32
    /// nil prints "-" (the sysctl route dump of NetBSD 7.99 reports no refcount or use count).
    public var refs: UInt64?
    public var use: UInt64?
    /// rmx_mtu; 0 prints "-".
    public var mtu: UInt32
    /// RTV_MTU lock: an "L" after the MTU.
    public var mtuLocked: Bool
    /// The output interface's name.
    public var interface: String
    /// rmx_expire in seconds from now; 0 when the route does not expire.
    public var expire: Int64

    public init(destination: SocketAddress, netmask: SocketAddress?, gateway: SocketAddress, flags: UInt32,
                refs: UInt64? = nil, use: UInt64? = nil, mtu: UInt32 = 0, mtuLocked: Bool = false,
                interface: String, expire: Int64 = 0) {
        self.destination = destination
        self.netmask = netmask
        self.gateway = gateway
        self.flags = flags
        self.refs = refs
        self.use = use
        self.mtu = mtu
        self.mtuLocked = mtuLocked
        self.interface = interface
        self.expire = expire
    }

    public var family: AddressFamily { destination.family }

    /// The order NetBSD's radix tree walk lists IPv4 routes in: by destination, shorter masks
    /// first for equal destinations ("default" first, "10.0.0/24" before "10.0.0.1").
    public static func radixOrder(_ a: RouteInfo, _ b: RouteInfo) -> Bool {
        func key(_ r: RouteInfo) -> (UInt32, Int) {
            let d = r.destination.ipv4?.value ?? 0
            let len = r.netmask?.ipv4?.prefixLength ?? 32
            return (d, r.flags & RTF.HOST != 0 ? 33 : len)
        }
        return key(a) < key(b)
    }
}

/// The route metrics `route get` prints in its last two lines (struct rt_metrics).
public struct RouteMetrics: Sendable, Equatable {
    public var recvpipe: Int64 = 0, sendpipe: Int64 = 0, ssthresh: Int64 = 0, rtt: Int64 = 0
    public var rttvar: Int64 = 0, hopcount: Int64 = 0, mtu: Int64 = 0
    /// Seconds from now (negative once past, as NetBSD prints it); 0 for none.
    public var expire: Int64 = 0
    /// RTV_* lock bits: RTV_MTU 0x1, RTV_HOPCOUNT 0x2, RTV_EXPIRE 0x4, RTV_RPIPE 0x8,
    /// RTV_SPIPE 0x10, RTV_SSTHRESH 0x20, RTV_RTT 0x40, RTV_RTTVAR 0x80.
    public var locks: UInt32 = 0

    public init(recvpipe: Int64 = 0, sendpipe: Int64 = 0, ssthresh: Int64 = 0, rtt: Int64 = 0,
                rttvar: Int64 = 0, hopcount: Int64 = 0, mtu: Int64 = 0, expire: Int64 = 0, locks: UInt32 = 0) {
        self.recvpipe = recvpipe; self.sendpipe = sendpipe; self.ssthresh = ssthresh; self.rtt = rtt
        self.rttvar = rttvar; self.hopcount = hopcount; self.mtu = mtu; self.expire = expire; self.locks = locks
    }
}

/// The answer to `route get ADDRESS` (an RTM_GET reply).
public struct RouteGetReply: Sendable, Equatable {
    /// The address asked about ("route to:").
    public var routeTo: SocketAddress
    public var destination: SocketAddress
    /// nil for host routes.
    public var netmask: SocketAddress?
    /// Printed only when `flags` has RTF_GATEWAY.
    public var gateway: SocketAddress?
    /// The interface address used as source ("local addr:").
    public var localAddress: SocketAddress?
    public var interface: String?
    public var flags: UInt32
    public var metrics: RouteMetrics

    public init(routeTo: SocketAddress, destination: SocketAddress, netmask: SocketAddress?, gateway: SocketAddress?,
                localAddress: SocketAddress?, interface: String?, flags: UInt32, metrics: RouteMetrics = RouteMetrics()) {
        self.routeTo = routeTo
        self.destination = destination
        self.netmask = netmask
        self.gateway = gateway
        self.localAddress = localAddress
        self.interface = interface
        self.flags = flags
        self.metrics = metrics
    }
}
