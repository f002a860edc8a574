// The kernel as the network utilities see it: a small protocol with one call per thing ifconfig,
// route, arp and netstat ask of a kernel. The utilities' dispatch (AdminTools.swift: parse,
// kernel calls, format) is written once against it; a real kernel behind RUMP_SERVER
// (UtilitySupport's Remote) and the tests' kernel double (Tests/NetAdminTests/FakeKernel.swift)
// both implement it.

/// netstat -s's counters, per protocol.
public struct KernelStatistics: Sendable {
    public var ip = IPStatistics()
    public var icmp = ICMPStatistics()
    public var arp = ARPStatistics()
    public var routing = RouteStatistics()
    /// nil when the kernel reported no udp counters (a stack without UDP): no udp section.
    public var udp: UDPStatistics?
    /// nil when the kernel reported no tcp counters: no tcp section.
    public var tcp: TCPStatistics?
    /// nil without netinet6 counters: no ip6 / icmp6 sections.
    public var ip6: IP6Statistics?
    public var icmp6: ICMP6Statistics?

    public init() {}
}

/// One kernel's network configuration and state. Calls that change something answer the errno
/// the kernel refused them with, or nil.
public protocol AdminKernel {
    /// rumpnet_netinet is loaded (AF_INET sockets exist; NetBSD's socket(2) gives EAFNOSUPPORT).
    var hasInet: Bool { get }
    /// rumpnet_netinet6 is loaded.
    var hasInet6: Bool { get }

    // MARK: interfaces (ifconfig, netstat -i)

    /// The interface cloners' names (SIOCIFGCLONERS); nil when the kernel cannot say.
    func interfaceCloners() -> [String]?
    func interfaces() -> Result<[InterfaceInfo], NetBSDErrno>
    func interface(_ name: String) -> Result<InterfaceInfo, NetBSDErrno>
    func createInterface(_ name: String) -> NetBSDErrno?
    func destroyInterface(_ name: String) -> NetBSDErrno?
    /// SIOCSIFFLAGS: the bits in `set` on, those in `clear` off.
    func setInterfaceFlags(_ name: String, set: UInt32, clear: UInt32) -> NetBSDErrno?
    func setMTU(_ name: String, _ mtu: Int) -> NetBSDErrno?
    func setMetric(_ name: String, _ metric: Int) -> NetBSDErrno?
    /// SIOCSLINKSTR; nil deletes it.
    func setLinkstr(_ name: String, _ linkstr: String?) -> NetBSDErrno?
    /// SIOCAIFADDR: a netmask of 0.0.0.0 asks for the classful one (in_ifinit); without
    /// `alias` the address replaces the interface's first one.
    func addAddress(_ name: String, _ address: InterfaceAddress, alias: Bool) -> NetBSDErrno?
    func deleteAddress(_ name: String, _ address: SocketAddress) -> NetBSDErrno?

    // MARK: routes (route, netstat -r)

    /// The routing table (family nil: all); in any order, the tools sort it.
    func routes(family: AddressFamily?) -> Result<[RouteInfo], NetBSDErrno>
    /// Removes the gateway routes of `family` (nil: all); the ones removed.
    func flushRoutes(family: AddressFamily?) -> Result<[RouteInfo], NetBSDErrno>
    /// RTM_GET: the route packets to `destination` take.
    func getRoute(_ destination: IPv4Address) -> Result<RouteGetReply, NetBSDErrno>
    func addRoute(_ request: RouteRequest) -> NetBSDErrno?
    func changeRoute(_ request: RouteRequest) -> NetBSDErrno?
    func deleteRoute(_ request: RouteRequest) -> NetBSDErrno?

    // MARK: ARP (arp)

    func arpEntries() -> Result<[ArpInfo], NetBSDErrno>
    /// `entry.expire` is nil for a permanent entry, anything else for a temporary one.
    func setArp(_ entry: ArpInfo) -> NetBSDErrno?
    func deleteArp(_ address: IPv4Address) -> NetBSDErrno?

    // MARK: netstat

    /// The protocol counters; nil when the kernel keeps none.
    func statistics() -> KernelStatistics?
    /// The TCP and UDP control blocks.
    func sockets() -> [SocketEntry]

    // MARK: IPv6 (Route6.swift's requests; ifconfig inet6 uses addAddress/deleteAddress)

    /// if_nametoindex: 0 when the kernel has no such interface.
    func interfaceIndex(_ name: String) -> UInt32
    func addRoute6(_ request: Route6Request) -> NetBSDErrno?
    func changeRoute6(_ request: Route6Request) -> NetBSDErrno?
    func deleteRoute6(_ request: Route6Request) -> NetBSDErrno?
    /// RTM_GET for an IPv6 destination (`scope`: its zone's interface index, 0 for none).
    func getRoute6(_ destination: IPv6Address, scope: UInt32) -> Result<RouteGetReply, NetBSDErrno>
    /// `ifconfig -w n`: returns once no address is tentative (DAD done), or after `seconds`.
    func waitForDAD(seconds: Int)
}

extension AdminKernel {
    public func interfaceIndex(_ name: String) -> UInt32 { (try? interface(name).get())?.index ?? 0 }

    /// The scope id of `address` written with `zone` ("fe80::1%shmif0", or a number): 0 for
    /// addresses without scope; the zone's interface index otherwise (0 if there is none).
    public func scope(_ zone: String?, _ address: IPv6Address) -> UInt32 {
        guard address.needsScope, let zone else { return 0 }
        return UInt32(zone) ?? interfaceIndex(zone)
    }

    // A kernel without IPv6 routes refuses them as a socket of the family would.
    public func addRoute6(_ request: Route6Request) -> NetBSDErrno? { .EAFNOSUPPORT }
    public func changeRoute6(_ request: Route6Request) -> NetBSDErrno? { .EAFNOSUPPORT }
    public func deleteRoute6(_ request: Route6Request) -> NetBSDErrno? { .EAFNOSUPPORT }
    public func getRoute6(_ destination: IPv6Address, scope: UInt32) -> Result<RouteGetReply, NetBSDErrno> { .failure(.EAFNOSUPPORT) }
    /// A kernel whose addresses are never tentative has nothing to wait for.
    public func waitForDAD(seconds: Int) {}
}
