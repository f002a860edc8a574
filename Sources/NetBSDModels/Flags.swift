// NetBSD's flag values and the names/letters NetBSD's utilities print for them: shared by the
// kernel glue, the lab and the formatters, so each bit is defined once.

/// Interface flags (sys/net/if.h IFF_*), as `InterfaceInfo.flags` carries them.
public enum IFF {
    public static let UP: UInt32 = 0x1
    public static let BROADCAST: UInt32 = 0x2
    public static let DEBUG: UInt32 = 0x4
    public static let LOOPBACK: UInt32 = 0x8
    public static let POINTOPOINT: UInt32 = 0x10
    public static let NOTRAILERS: UInt32 = 0x20
    public static let RUNNING: UInt32 = 0x40
    public static let NOARP: UInt32 = 0x80
    public static let PROMISC: UInt32 = 0x100
    public static let ALLMULTI: UInt32 = 0x200
    public static let OACTIVE: UInt32 = 0x400
    public static let SIMPLEX: UInt32 = 0x800
    public static let LINK0: UInt32 = 0x1000
    public static let LINK1: UInt32 = 0x2000
    public static let LINK2: UInt32 = 0x4000
    public static let MULTICAST: UInt32 = 0x8000

    /// Bit names in the order ifconfig's snprintb prints them.
    public static let names: [(UInt32, String)] = [
        (UP, "UP"), (BROADCAST, "BROADCAST"), (DEBUG, "DEBUG"), (LOOPBACK, "LOOPBACK"),
        (POINTOPOINT, "POINTOPOINT"), (NOTRAILERS, "NOTRAILERS"), (RUNNING, "RUNNING"), (NOARP, "NOARP"),
        (PROMISC, "PROMISC"), (ALLMULTI, "ALLMULTI"), (OACTIVE, "OACTIVE"), (SIMPLEX, "SIMPLEX"),
        (LINK0, "LINK0"), (LINK1, "LINK1"), (LINK2, "LINK2"), (MULTICAST, "MULTICAST"),
    ]
}

/// Per-address flags of IPv4 addresses (netinet/in_var.h IN_IFF_*).
///
/// Our stack makes IPv4 addresses usable at once (no IPv4 DAD; net.inet.ip.dad_count is 0 by
/// default), so kernels normally never set TENTATIVE; the flag exists so a kernel that does
/// DAD can report it and ifconfig prints "tentative" like NetBSD 7.99.
public enum IN_IFF {
    public static let TENTATIVE: UInt32 = 0x01
    public static let DUPLICATED: UInt32 = 0x02
    public static let DETACHED: UInt32 = 0x04
    public static let TRYTENTATIVE: UInt32 = 0x08
}

/// Route flags (sys/net/route.h RTF_*) of NetBSD 7.99.
public enum RTF {
    public static let UP: UInt32 = 0x1
    public static let GATEWAY: UInt32 = 0x2
    public static let HOST: UInt32 = 0x4
    public static let REJECT: UInt32 = 0x8
    public static let DYNAMIC: UInt32 = 0x10
    public static let MODIFIED: UInt32 = 0x20
    public static let DONE: UInt32 = 0x40
    public static let MASK: UInt32 = 0x80
    public static let CONNECTED: UInt32 = 0x100
    public static let XRESOLVE: UInt32 = 0x200
    public static let LLINFO: UInt32 = 0x400
    public static let STATIC: UInt32 = 0x800
    public static let BLACKHOLE: UInt32 = 0x1000
    public static let CLONED: UInt32 = 0x2000
    public static let PROTO2: UInt32 = 0x4000
    public static let PROTO1: UInt32 = 0x8000
    public static let SRC: UInt32 = 0x10000
    public static let ANNOUNCE: UInt32 = 0x20000
    public static let LOCAL: UInt32 = 0x40000
    public static let BROADCAST: UInt32 = 0x80000

    /// Names `route get` prints in "flags: <…>" (route.c's routeflags bit string).
    public static let names: [(UInt32, String)] = [
        (UP, "UP"), (GATEWAY, "GATEWAY"), (HOST, "HOST"), (REJECT, "REJECT"), (DYNAMIC, "DYNAMIC"),
        (MODIFIED, "MODIFIED"), (DONE, "DONE"), (MASK, "MASK_PRESENT"), (CONNECTED, "CONNECTED"),
        (XRESOLVE, "XRESOLVE"), (LLINFO, "LLINFO"), (STATIC, "STATIC"), (BLACKHOLE, "BLACKHOLE"),
        (CLONED, "CLONED"), (PROTO2, "PROTO2"), (PROTO1, "PROTO1"), (SRC, "SRC"), (ANNOUNCE, "ANNOUNCE"),
        (LOCAL, "LOCAL"), (BROADCAST, "BROADCAST"),
    ]

    /// Letters `netstat -r` prints. The order is the one the recorded netstat used: B comes
    /// before S ("UGBS"), l and b last.
    public static let netstatLetters: [(UInt32, Character)] = [
        (UP, "U"), (GATEWAY, "G"), (HOST, "H"), (REJECT, "R"), (DYNAMIC, "D"), (MODIFIED, "M"),
        (DONE, "d"), (MASK, "m"), (CONNECTED, "C"), (XRESOLVE, "X"), (LLINFO, "L"), (BLACKHOLE, "B"),
        (STATIC, "S"), (PROTO1, "1"), (PROTO2, "2"), (CLONED, "c"), (SRC, "s"), (ANNOUNCE, "p"),
        (LOCAL, "l"), (BROADCAST, "b"),
    ]

    /// Letters `route show` prints: route(8)'s own table of that date knows neither C, S, B nor L
    /// (the transcripts show "U" where netstat shows "UC", "UG" where it shows "UGBS").
    public static let routeShowLetters: [(UInt32, Character)] = [
        (UP, "U"), (GATEWAY, "G"), (HOST, "H"), (REJECT, "R"), (DYNAMIC, "D"), (MODIFIED, "M"),
        (DONE, "d"), (MASK, "m"), (XRESOLVE, "X"), (PROTO1, "1"), (PROTO2, "2"), (CLONED, "c"),
        (SRC, "s"), (ANNOUNCE, "p"), (LOCAL, "l"), (BROADCAST, "b"),
    ]
}

/// Per-address flags of IPv6 addresses (netinet6/in6_var.h IN6_IFF_*), as inet6 entries of
/// `InterfaceInfo.addresses` carry them (IPv4 entries carry IN_IFF_* bits).
public enum IN6_IFF {
    public static let ANYCAST: UInt32 = 0x01
    public static let TENTATIVE: UInt32 = 0x02
    public static let DUPLICATED: UInt32 = 0x04
    public static let DETACHED: UInt32 = 0x08
    public static let DEPRECATED: UInt32 = 0x10
    public static let NODAD: UInt32 = 0x20
    public static let AUTOCONF: UInt32 = 0x40
    public static let TEMPORARY: UInt32 = 0x80

    /// The words ifconfig prints after "prefixlen N", in its order.
    public static let names: [(UInt32, String)] = [
        (ANYCAST, "anycast"), (TENTATIVE, "tentative"), (DUPLICATED, "duplicated"), (DETACHED, "detached"),
        (DEPRECATED, "deprecated"), (AUTOCONF, "autoconf"), (TEMPORARY, "temporary"),
    ]
}

/// Neighbor Discovery per-interface flags (netinet6/nd6.h ND6_IFF_*), `ndp -i`.
public enum ND6_IFF {
    public static let PERFORMNUD: UInt32 = 0x01
    public static let ACCEPT_RTADV: UInt32 = 0x02
    public static let PREFER_SOURCE: UInt32 = 0x04
    public static let IFDISABLED: UInt32 = 0x08
    public static let OVERRIDE_RTADV: UInt32 = 0x10
    public static let AUTO_LINKLOCAL: UInt32 = 0x20

    /// ndp -i's flag words, in the order it prints them.
    public static let names: [(UInt32, String)] = [
        (PERFORMNUD, "nud"), (IFDISABLED, "disabled"), (ACCEPT_RTADV, "accept_rtadv"),
        (OVERRIDE_RTADV, "override_rtadv"), (AUTO_LINKLOCAL, "auto_linklocal"), (PREFER_SOURCE, "prefer_source"),
    ]
}
