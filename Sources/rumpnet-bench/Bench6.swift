// IPv6 beside IPv4: the same ping-pong through two stacks and through a forwarding third, with raw
// ICMPv6 sockets, global addresses (DAD off so they are usable at once) and ND resolved in the
// warm-up. A "packet" is one frame through one stack's input path, as for IPv4.

import RumpNet

func pingPong6(forwarding: Bool, rounds: Int, size: Int) throws -> Result {
    let clock = VirtualClock()
    let a = NetStack(clock: clock, seed: 1), b = NetStack(clock: clock, seed: 2)
    var keep: [NetStack] = [a, b]
    let l1 = MemoryLink()
    var links = [l1]
    func prepare(_ s: NetStack) throws {
        s.enableIPv6()
        try s.sysctlSet("net.inet6.ip6.dad_count", 0)
    }
    try prepare(a); try prepare(b)
    try a.attachInterface(name: "mem0", driver: l1.makeDriver())
    try a.addAddress6(name: "mem0", IPv6Address("fd00:1::1")!, prefixLength: 64)
    let target: IPv6Address
    if forwarding {
        let r = NetStack(clock: clock, seed: 3)
        keep.append(r)
        try prepare(r)
        let l2 = MemoryLink()
        links.append(l2)
        try r.attachInterface(name: "mem0", driver: l1.makeDriver())
        try r.addAddress6(name: "mem0", IPv6Address("fd00:1::fe")!, prefixLength: 64)
        try r.attachInterface(name: "mem1", driver: l2.makeDriver())
        try r.addAddress6(name: "mem1", IPv6Address("fd00:2::fe")!, prefixLength: 64)
        try r.sysctlSet("net.inet6.ip6.forwarding", 1)
        try b.attachInterface(name: "mem0", driver: l2.makeDriver())
        try b.addAddress6(name: "mem0", IPv6Address("fd00:2::1")!, prefixLength: 64)
        try a.addRoute6(destination: .any, prefixLength: 0, gateway: IPv6Address("fd00:1::fe")!)
        try b.addRoute6(destination: .any, prefixLength: 0, gateway: IPv6Address("fd00:2::fe")!)
        target = IPv6Address("fd00:2::1")!
    } else {
        try b.attachInterface(name: "mem0", driver: l1.makeDriver())
        try b.addAddress6(name: "mem0", IPv6Address("fd00:1::2")!, prefixLength: 64)
        target = IPv6Address("fd00:1::2")!
    }
    let fd = try a.socket(domain: SocketConstants.AF_INET6, type: SocketConstants.SOCK_RAW, protocol: 58)
    try a.setICMP6Filter(fd, pass: [129])
    var msg = [UInt8](repeating: 0, count: 8 + size)
    msg[0] = 128
    for i in 0..<size { msg[8 + i] = UInt8(truncatingIfNeeded: i) }
    func settle() { var n = 1; while n > 0 { n = 0; for l in links { n += l.deliver() } } }
    settle()  // the join-time MLD reports
    defer { withExtendedLifetime(keep) {} }
    return try timedPingPong(name: forwarding ? "IPv6 forwarding (3 stacks)" : "IPv6 echo (2 stacks)", rounds: rounds,
                             perRound: forwarding ? 4 : 2, message: msg) { m, r in
        try a.sendto6(fd, m, to: target)
        settle()
        var got = 0
        while let _ = try? a.recvfrom6(fd, into: r) { got += 1 }
        return got
    }
}
