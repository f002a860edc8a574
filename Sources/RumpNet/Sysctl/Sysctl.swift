// The net.* sysctl nodes the stack owns, named as NetBSD names them. Values live here; the stack
// reads them through typed accessors so that a set takes effect at once.

public struct SysctlNode: Sendable {
    public let name: String
    public var value: Int
    public let writable: Bool
    public let range: ClosedRange<Int>
    public let description: String
}

public struct SysctlTable {
    var nodes: [SysctlNode]
    var index: [String: Int] = [:]

    init() {
        nodes = [
            .init(name: "net.inet.ip.forwarding", value: 0, writable: true, range: 0...1, description: "Enable forwarding of INET datagrams"),
            .init(name: "net.inet.ip.redirect", value: 1, writable: true, range: 0...1, description: "Enable sending of ICMP redirect messages"),
            .init(name: "net.inet.ip.ttl", value: 64, writable: true, range: 1...255, description: "Default TTL for an INET datagram"),
            .init(name: "net.inet.ip.directed-broadcast", value: 0, writable: true, range: 0...1, description: "Enable forwarding of broadcast datagrams"),
            .init(name: "net.inet.ip.mtudisc", value: 1, writable: true, range: 0...1, description: "Use RFC1191 Path MTU Discovery"),
            .init(name: "net.inet.ip.anonportmin", value: 49152, writable: true, range: 1...65535, description: "Lowest ephemeral port number to assign"),
            .init(name: "net.inet.ip.anonportmax", value: 65535, writable: true, range: 1...65535, description: "Highest ephemeral port number to assign"),
            .init(name: "net.inet.ip.lowportmin", value: 600, writable: true, range: 1...1023, description: "Lowest privileged ephemeral port number to assign"),
            .init(name: "net.inet.ip.lowportmax", value: 1023, writable: true, range: 1...1023, description: "Highest privileged ephemeral port number to assign"),
            .init(name: "net.inet.ip.maxfragpackets", value: 200, writable: true, range: 0...100_000, description: "Maximum number of fragments to retain for possible reassembly"),
            .init(name: "net.inet.ip.random_id", value: 0, writable: true, range: 0...1, description: "Assign random ip_id values"),
            .init(name: "net.inet.ip.dad_count", value: 0, writable: false, range: 0...0, description: "Duplicate address detection (not implemented: addresses are usable at once)"),
            .init(name: "net.inet.icmp.maskrepl", value: 0, writable: true, range: 0...1, description: "Respond to ICMP_MASKREQ messages"),
            .init(name: "net.inet.icmp.returndatabytes", value: 8, writable: true, range: 8...512, description: "Number of bytes to return in an ICMP error message"),
            .init(name: "net.inet.icmp.errppslimit", value: 100, writable: true, range: -1...1_000_000, description: "Maximum number of outgoing ICMP error messages per second"),
            .init(name: "net.inet.icmp.rediraccept", value: 1, writable: true, range: 0...1, description: "Accept ICMP_REDIRECT messages"),
            .init(name: "net.inet.icmp.redirtimeout", value: 600, writable: true, range: 0...Int(Int32.max), description: "Lifetime of ICMP_REDIRECT generated routes"),
            .init(name: "net.inet.icmp.bmcastecho", value: 0, writable: true, range: 0...1, description: "Respond to ICMP_ECHO or ICMP_TIMESTAMP message to the broadcast or multicast"),
            .init(name: "net.inet.tcp.rfc1323", value: 1, writable: true, range: 0...1, description: "Enable RFC1323 timestamps and window scaling"),
            .init(name: "net.inet.tcp.sendspace", value: 32768, writable: true, range: 1...NetStack.maxSocketBuffer, description: "Default TCP send buffer size"),
            .init(name: "net.inet.tcp.recvspace", value: 32768, writable: true, range: 1...NetStack.maxSocketBuffer, description: "Default TCP receive buffer size"),
            .init(name: "net.inet.tcp.mssdflt", value: 536, writable: true, range: 64...65495, description: "Default maximum segment size"),
            .init(name: "net.inet.tcp.syn_cache_limit", value: 10255, writable: true, range: 0...1_000_000, description: "Maximum number of entries in the TCP compressed state engine"),
            .init(name: "net.inet.tcp.init_win", value: 4, writable: true, range: 0...10, description: "Initial TCP congestion window"),
            .init(name: "net.inet.tcp.mss_ifmtu", value: 0, writable: true, range: 0...1, description: "Use interface MTU for calculating MSS"),
            .init(name: "net.inet.tcp.sack.enable", value: 1, writable: true, range: 0...1, description: "Enable RFC2018 Selective ACKnowledgement"),
            .init(name: "net.inet.tcp.sack.maxholes", value: 32, writable: true, range: 1...1024, description: "Maximum number of TCP SACK holes allowed per connection"),
            .init(name: "net.inet.tcp.win_scale", value: 1, writable: true, range: 0...1, description: "Use RFC1323 window scale options"),
            .init(name: "net.inet.tcp.timestamps", value: 1, writable: true, range: 0...1, description: "Use RFC1323 time stamp options"),
            .init(name: "net.inet.tcp.ack_on_push", value: 0, writable: true, range: 0...1, description: "Immediately return ACK when PSH is received"),
            .init(name: "net.inet.tcp.keepidle", value: 14400, writable: true, range: 1...Int(Int32.max), description: "Allowed connection idle ticks before a keepalive probe is sent"),
            .init(name: "net.inet.tcp.keepintvl", value: 150, writable: true, range: 1...Int(Int32.max), description: "Ticks before next keepalive probe is sent"),
            .init(name: "net.inet.tcp.keepcnt", value: 8, writable: true, range: 1...Int(Int32.max), description: "Number of keepalive probes to send"),
            .init(name: "net.inet.tcp.slowhz", value: 2, writable: false, range: 2...2, description: "Keepalive ticks per second"),
            .init(name: "net.inet.tcp.log_refused", value: 0, writable: true, range: 0...1, description: "Log refused TCP connections"),
            .init(name: "net.inet.tcp.rstppslimit", value: 100, writable: true, range: -1...1_000_000, description: "Maximum number of RST packets per second"),
            .init(name: "net.inet.tcp.delack_ticks", value: 20, writable: true, range: 0...1000, description: "Number of ticks to delay sending an ACK"),
            .init(name: "net.inet.tcp.do_loopback_cksum", value: 0, writable: true, range: 0...1, description: "Perform TCP checksum on loopback"),
            .init(name: "net.inet.tcp.msl", value: 30, writable: true, range: 0...Int(Int32.max), description: "Maximum Segment Life"),
            .init(name: "net.inet.tcp.minmss", value: 216, writable: true, range: 64...65495, description: "Lower limit for TCP maximum segment size"),
            .init(name: "net.inet.tcp.congctl.selected", value: 0, writable: true, range: 0...(CongestionAlgorithm.allCases.count - 1), description: "Selected Congestion Control Mechanism"),
            .init(name: "net.inet.tcp.keepinit", value: 150, writable: true, range: 1...Int(Int32.max), description: "Ticks before initial tcp connection times out"),
            .init(name: "net.inet.tcp.recvbuf_auto", value: 1, writable: true, range: 0...1, description: "Enable automatic receive buffer sizing (experimental)"),
            .init(name: "net.inet.tcp.recvbuf_inc", value: 16384, writable: true, range: 1...NetStack.maxSocketBuffer, description: "Incrementor step size of automatic receive buffer"),
            .init(name: "net.inet.tcp.recvbuf_max", value: 262144, writable: true, range: 1...NetStack.maxSocketBuffer * 16, description: "Max size of automatic receive buffer"),
            .init(name: "net.inet.tcp.sendbuf_auto", value: 1, writable: true, range: 0...1, description: "Enable automatic send buffer sizing (experimental)"),
            .init(name: "net.inet.tcp.sendbuf_inc", value: 8192, writable: true, range: 1...NetStack.maxSocketBuffer, description: "Incrementor step size of automatic send buffer"),
            .init(name: "net.inet.tcp.sendbuf_max", value: 262144, writable: true, range: 1...NetStack.maxSocketBuffer * 16, description: "Max size of automatic send buffer"),
            .init(name: "net.inet.tcp.ecn.enable", value: 0, writable: false, range: 0...0, description: "Enable TCP Explicit Congestion Notification (not implemented)"),
            .init(name: "net.inet.tcp.abc.enable", value: 1, writable: true, range: 0...1, description: "Enable RFC3465 Appropriate Byte Counting"),
            .init(name: "net.inet.tcp.mslt.enable", value: 1, writable: true, range: 0...1, description: "Enable TIME_WAIT truncation"),
            .init(name: "net.inet.tcp.mslt.loopback", value: 2, writable: true, range: 0...Int(Int32.max), description: "MSL value to use for loopback connections"),
            .init(name: "net.inet.tcp.mslt.local", value: 10, writable: true, range: 0...Int(Int32.max), description: "MSL value to use for local connections"),
            .init(name: "net.inet.tcp.mslt.remote", value: 60, writable: true, range: 0...Int(Int32.max), description: "MSL value to use for remote connections"),
            .init(name: "net.inet.tcp.rexmit_min", value: 200, writable: true, range: 1...60_000, description: "Minimum retransmission timeout in ms (FreeBSD's knob; RFC 6298 says 1 s)"),
            .init(name: "net.inet.tcp.rexmit_initial", value: 1000, writable: true, range: 1...60_000, description: "Initial retransmission timeout in ms (RFC 6298)"),
            .init(name: "net.inet.udp.checksum", value: 1, writable: true, range: 0...1, description: "Compute UDP checksums"),
            .init(name: "net.inet.udp.sendspace", value: 9216, writable: true, range: 1...NetStack.maxSocketBuffer, description: "Default UDP send buffer size"),
            .init(name: "net.inet.udp.recvspace", value: 41600, writable: true, range: 1...NetStack.maxSocketBuffer, description: "Default UDP receive buffer size"),
            .init(name: "net.inet.udp.do_loopback_cksum", value: 0, writable: true, range: 0...1, description: "Perform UDP checksum on loopback"),
            .init(name: "net.inet.arp.keep", value: 1200, writable: true, range: 1...Int(Int32.max), description: "Valid ARP entry lifetime in seconds"),
            .init(name: "net.inet.arp.down", value: 20, writable: true, range: 1...Int(Int32.max), description: "Failed ARP entry lifetime in seconds"),
            .init(name: "net.inet.arp.maxtries", value: 5, writable: true, range: 1...100, description: "Requests sent before a host is marked down"),
            .init(name: "net.inet.arp.maxhold", value: 16, writable: true, range: 0...1024, description: "Packets held per entry while resolving"),
            .init(name: "net.inet.arp.log_movements", value: 1, writable: true, range: 0...1, description: "Log ARP replies from MACs different than the one in the cache"),
            .init(name: "net.inet.arp.log_permanent_modify", value: 1, writable: true, range: 0...1, description: "Log ARP replies that would modify a permanent entry"),
        ]
        for (i, n) in nodes.enumerated() { index[n.name] = i }
        reload()
    }

    // Cached values for the packet path (a dictionary lookup per packet would be wasteful).
    var forwarding = false, ttl: UInt8 = 64, directedBroadcast = false, maxFragPackets = 200
    var icmpMaskRepl = false, icmpReturnDataBytes = 8, icmpErrPPSLimit = 100, icmpBmcastEcho = false, redirect = true
    var randomID = false, mtudisc = true
    var arpKeep: UInt64 = 1200, arpDown: UInt64 = 20, arpMaxTries = 5, arpMaxHold = 16, arpLogMovements = true
    var anonPortMin: UInt16 = 49152, anonPortMax: UInt16 = 65535
    var udpChecksum = true, udpSendSpace = 9216, udpRecvSpace = 41600, udpLoopbackChecksum = false
    var tcpTimestamps = true, tcpWindowScale = true, tcpSACK = true, tcpSACKMaxHoles = 32
    var tcpSendSpace = 32768, tcpRecvSpace = 32768, tcpMSSDefault = 536, tcpMinMSS = 216, tcpInitWin = 4
    var tcpAckOnPush = false, tcpKeepIdle = 14400, tcpKeepInterval = 150, tcpKeepCount = 8, tcpKeepInit = 150
    var tcpRSTPPSLimit = 100, tcpDelackTicks = 20, tcpLoopbackChecksum = false, tcpMSL = 30
    var tcpCongestionControl = 0, tcpSynCacheLimit = 10255
    var tcpRecvBufAuto = true, tcpRecvBufInc = 16384, tcpRecvBufMax = 262144
    var tcpSendBufAuto = true, tcpSendBufInc = 8192, tcpSendBufMax = 262144
    var tcpMSLTEnable = true, tcpMSLTLoopback = 2, tcpMSLTLocal = 10, tcpMSLTRemote = 60
    var tcpABC = true
    /// RTO bounds in ns.
    var tcpMinRTO: UInt64 = 200_000_000, tcpInitialRTO: UInt64 = 1_000_000_000

    mutating func reload() {
        func v(_ n: String) -> Int { nodes[index[n]!].value }
        forwarding = v("net.inet.ip.forwarding") != 0
        redirect = v("net.inet.ip.redirect") != 0
        ttl = UInt8(v("net.inet.ip.ttl"))
        directedBroadcast = v("net.inet.ip.directed-broadcast") != 0
        maxFragPackets = v("net.inet.ip.maxfragpackets")
        icmpMaskRepl = v("net.inet.icmp.maskrepl") != 0
        icmpReturnDataBytes = v("net.inet.icmp.returndatabytes")
        icmpErrPPSLimit = v("net.inet.icmp.errppslimit")
        icmpBmcastEcho = v("net.inet.icmp.bmcastecho") != 0
        randomID = v("net.inet.ip.random_id") != 0
        mtudisc = v("net.inet.ip.mtudisc") != 0
        arpKeep = UInt64(v("net.inet.arp.keep"))
        arpDown = UInt64(v("net.inet.arp.down"))
        arpMaxTries = v("net.inet.arp.maxtries")
        arpMaxHold = v("net.inet.arp.maxhold")
        arpLogMovements = v("net.inet.arp.log_movements") != 0
        anonPortMin = UInt16(v("net.inet.ip.anonportmin"))
        anonPortMax = UInt16(v("net.inet.ip.anonportmax"))
        udpChecksum = v("net.inet.udp.checksum") != 0
        udpSendSpace = v("net.inet.udp.sendspace")
        udpRecvSpace = v("net.inet.udp.recvspace")
        udpLoopbackChecksum = v("net.inet.udp.do_loopback_cksum") != 0
        let rfc1323 = v("net.inet.tcp.rfc1323") != 0
        tcpTimestamps = rfc1323 && v("net.inet.tcp.timestamps") != 0
        tcpWindowScale = rfc1323 && v("net.inet.tcp.win_scale") != 0
        tcpSACK = v("net.inet.tcp.sack.enable") != 0
        tcpSACKMaxHoles = v("net.inet.tcp.sack.maxholes")
        tcpSendSpace = v("net.inet.tcp.sendspace")
        tcpRecvSpace = v("net.inet.tcp.recvspace")
        tcpMSSDefault = v("net.inet.tcp.mssdflt")
        tcpMinMSS = v("net.inet.tcp.minmss")
        tcpInitWin = v("net.inet.tcp.init_win")
        tcpAckOnPush = v("net.inet.tcp.ack_on_push") != 0
        tcpKeepIdle = v("net.inet.tcp.keepidle")
        tcpKeepInterval = v("net.inet.tcp.keepintvl")
        tcpKeepCount = v("net.inet.tcp.keepcnt")
        tcpKeepInit = v("net.inet.tcp.keepinit")
        tcpRSTPPSLimit = v("net.inet.tcp.rstppslimit")
        tcpDelackTicks = v("net.inet.tcp.delack_ticks")
        tcpLoopbackChecksum = v("net.inet.tcp.do_loopback_cksum") != 0
        tcpMSL = v("net.inet.tcp.msl")
        tcpCongestionControl = v("net.inet.tcp.congctl.selected")
        tcpSynCacheLimit = v("net.inet.tcp.syn_cache_limit")
        tcpRecvBufAuto = v("net.inet.tcp.recvbuf_auto") != 0
        tcpRecvBufInc = v("net.inet.tcp.recvbuf_inc")
        tcpRecvBufMax = v("net.inet.tcp.recvbuf_max")
        tcpSendBufAuto = v("net.inet.tcp.sendbuf_auto") != 0
        tcpSendBufInc = v("net.inet.tcp.sendbuf_inc")
        tcpSendBufMax = v("net.inet.tcp.sendbuf_max")
        tcpMSLTEnable = v("net.inet.tcp.mslt.enable") != 0
        tcpMSLTLoopback = v("net.inet.tcp.mslt.loopback")
        tcpMSLTLocal = v("net.inet.tcp.mslt.local")
        tcpMSLTRemote = v("net.inet.tcp.mslt.remote")
        tcpABC = v("net.inet.tcp.abc.enable") != 0
        tcpMinRTO = UInt64(v("net.inet.tcp.rexmit_min")) * 1_000_000
        tcpInitialRTO = UInt64(v("net.inet.tcp.rexmit_initial")) * 1_000_000
    }

    /// ENOENT for an unknown name.
    public func get(_ name: String) throws(Errno) -> Int {
        guard let i = index[name] else { throw .ENOENT }
        return nodes[i].value
    }
    /// ENOENT unknown, EPERM read-only, EINVAL out of range (or, for the port ranges, a minimum
    /// not below its maximum, as sysctl_net_inet_ip_ports refuses). Returns the old value.
    @discardableResult
    public mutating func set(_ name: String, _ value: Int) throws(Errno) -> Int {
        guard let i = index[name] else { throw .ENOENT }
        guard nodes[i].writable else { throw .EPERM }
        guard nodes[i].range.contains(value) else { throw .EINVAL }
        let old = nodes[i].value
        nodes[i].value = value
        func v(_ n: String) -> Int { nodes[index[n]!].value }
        if v("net.inet.ip.anonportmin") >= v("net.inet.ip.anonportmax") || v("net.inet.ip.lowportmin") >= v("net.inet.ip.lowportmax") {
            nodes[i].value = old
            throw .EINVAL
        }
        reload()
        return old
    }
    /// All nodes in NetBSD's creation order (the order sysctl -a prints), or those under a prefix.
    public func list(prefix: String = "") -> [SysctlNode] {
        nodes.filter { prefix.isEmpty || $0.name == prefix || $0.name.hasPrefix(prefix + ".") }
    }
}
