// NetStack: one kernel's network stack. A non-Sendable class owned by one event loop: every entry
// point runs to completion on the caller's thread, never blocks, and reads time only from its clock.
// Its hot state is @exclusivity(unchecked): the class is confined to one thread (not Sendable) and
// no code path holds an inout access to one of these properties across a call that touches it, so
// the dynamic exclusivity checks (a third of the packet path's time) prove nothing here.

public final class NetStack {
    public let clock: NetClock
    @exclusivity(unchecked) var rng: SeededRandom
    @exclusivity(unchecked) var interfaceSlots: [NetInterface?] = [nil]  // index 0 unused: ifindex starts at 1
    @exclusivity(unchecked) var routes = RouteTable()
    @exclusivity(unchecked) var arp = ARPCache()
    @exclusivity(unchecked) var reass = Reassembly()
    @exclusivity(unchecked) var timers = TimerQueue()
    @exclusivity(unchecked) var sockets = SocketTable()
    @exclusivity(unchecked) var udpTable = PCBTable()
    /// TCP's bound sockets by port (listeners, connections) and its connections by four-tuple.
    @exclusivity(unchecked) var tcpTable = PCBTable()
    @exclusivity(unchecked) var tcpConnections: [TCPFourTuple: Socket] = [:]
    @exclusivity(unchecked) var sysctl = SysctlTable()
    @exclusivity(unchecked) public internal(set) var ipStats = IPStats()
    @exclusivity(unchecked) public internal(set) var icmpStats = ICMPStats()
    @exclusivity(unchecked) public internal(set) var arpStats = ARPStats()
    @exclusivity(unchecked) public internal(set) var etherStats = EtherStats()
    @exclusivity(unchecked) public internal(set) var udpStats = UDPStats()
    @exclusivity(unchecked) public internal(set) var tcpStats = TCPStats()
    /// The IPv6 half (IPv6/): off until `enableIPv6()` (the netinet6 component).
    @exclusivity(unchecked) var ip6 = IP6State()
    public internal(set) var ip6Enabled = false
    @exclusivity(unchecked) public internal(set) var ip6Stats = IP6Stats()
    @exclusivity(unchecked) public internal(set) var icmp6Stats = ICMP6Stats()
    /// RFC 6528's secret key for initial sequence numbers (from the seeded generator).
    @exclusivity(unchecked) var issKey: (UInt64, UInt64) = (0, 0)
    /// Kernel messages (NetBSD's log()/printf): duplicate addresses, ARP moves.
    public var log: ((String) -> Void)?
    /// When true, frames for devices that prefer batches (shmif: a lock hold and a pwrite wakeup
    /// per call) wait in their interface's queue until `flushOutput()`: an event loop sets it and
    /// flushes once per loop turn, so a turn's frames cost one batch and one wakeup. Off by
    /// default: a caller that never flushes loses none.
    public var coalescesWakeups = false
    /// Called once when a frame is first queued after a flush: schedule `flushOutput()`.
    public var onOutputPending: (() -> Void)?
    @exclusivity(unchecked) var outputPending = false
    /// Called with a socket's new readiness whenever it changes (data arrived, the queue emptied,
    /// an error was set or cleared, a shutdown), for that socket only: an event loop wakes that
    /// socket's waiters here. Not called for a change a socket's own close makes. It runs in the
    /// middle of input or of a socket call: it must not call back into the stack (defer the work).
    public var onSocketEvent: ((Int32, SocketEvents) -> Void)?

    static let headroom = 64
    // Reused packet buffers; each has `headroom` bytes in front for the link header.
    let txBuf: UnsafeMutableRawBufferPointer   // locally built datagrams and forwarded copies
    let fragBuf: UnsafeMutableRawBufferPointer // one fragment at a time
    let errBuf: UnsafeMutableRawBufferPointer  // ICMP errors
    let holdBuf: UnsafeMutableRawBufferPointer // ARP packets and held datagrams on release
    @exclusivity(unchecked) var loopQueue = PacketRing(capacity: 256, slotBytes: NetStack.loopbackSlotBytes)
    @exclusivity(unchecked) var ipID: UInt16 = 1
    @exclusivity(unchecked) var icmpErrWindow: UInt64 = 0
    @exclusivity(unchecked) var icmpErrCount = 0
    @exclusivity(unchecked) var tcpRSTWindow: UInt64 = 0
    @exclusivity(unchecked) var tcpRSTCount = 0
    /// The loopback queue's slot: the largest packet lo0 carries (TCP's MSS on it follows).
    static let loopbackSlotBytes = 2048
    public private(set) var loopbackIndex = 0
    // Devices: the kinds `createInterface` can make, the one receive batch every device fills,
    // and the interfaces whose devices have deadlines.
    @exclusivity(unchecked) var kinds: [InterfaceKind] = []
    @exclusivity(unchecked) var rxBatch = ReceiveBatch(capacityBytes: 64 * 1024)
    @exclusivity(unchecked) var receiving = false
    @exclusivity(unchecked) var devicesWithDeadlines: [Int] = []
    @exclusivity(unchecked) var descriptorsChanged = false

    /// A stack with lo0 up at 127.0.0.1/8 (the inet component brings it). Besides lo, it can
    /// create the interfaces of `kinds` (shmif by default; a kernel passes its components').
    public init(clock: NetClock, seed: UInt64, kinds: [InterfaceKind] = [.shmif]) {
        self.clock = clock
        rng = SeededRandom(seed: seed)
        issKey = (rng.next(), rng.next())
        let size = 65536 + NetStack.headroom + 64
        txBuf = .allocate(byteCount: size, alignment: 16)
        fragBuf = .allocate(byteCount: size, alignment: 16)
        errBuf = .allocate(byteCount: 2048, alignment: 16)
        holdBuf = .allocate(byteCount: size, alignment: 16)
        register(loopbackKind)
        for k in kinds { register(k) }
        let lo = try! createInterface(name: "lo0")
        loopbackIndex = lo.index
        try! setUp(name: "lo0", true)
        try! addAddress(name: "lo0", IPv4Address.loopback, netmask: 0xFF00_0000)
    }

    deinit {
        for ifp in interfaceSlots.compactMap({ $0 }) { ifp.device.detach() }
        txBuf.deallocate(); fragBuf.deallocate(); errBuf.deallocate(); holdBuf.deallocate()
        loopQueue.deallocate()
        sockets.deallocateAll()
    }

    public var now: UInt64 { clock.now }

    func random64() -> UInt64 { rng.next() }

    @inline(__always)
    public func interface(index: Int) -> NetInterface? {
        index > 0 && index < interfaceSlots.count ? interfaceSlots[index] : nil
    }

    // MARK: input

    /// ether_input: one frame received on interface `ifIndex`. The frame is read in place; it may be
    /// reused by the caller as soon as this returns.
    public func receive(_ frame: UnsafeRawBufferPointer, on ifIndex: Int) {
        guard let ifp = interface(index: ifIndex) else { etherStats.noInterface &+= 1; return }
        etherInput(frame, ifp: ifp)
        if !loopQueue.isEmpty { runLoopback() }
    }

    /// Runs what is due at `clock.now`: only the timers whose deadline has come (ARP expiry,
    /// reassembly timeouts), then queued loopback.
    public func poll() {
        let t = clock.now
        while let event = timers.popDue(now: t) {
            switch event {
            case .arpExpiry(let key): arpExpire(key, now: t)
            case .reassemblyTimeout(let key): reassTimeout(key)
            case .tcp(let ref): tcpTimersFire(ref.socket)
            case .ip6(let e): ip6TimerFire(e, now: t)
            }
        }
        if !devicesWithDeadlines.isEmpty { serviceDevices(now: t) }
        if !loopQueue.isEmpty { runLoopback() }
    }

    /// When `poll()` next has work, in clock nanoseconds; nil when nothing is scheduled. O(1).
    public var nextDeadline: UInt64? {
        if !loopQueue.isEmpty { return clock.now }
        if !devicesWithDeadlines.isEmpty, let d = deviceDeadline { return min(d, timers.nextDeadline ?? .max) }
        return timers.nextDeadline
    }

    func etherInput(_ frame: UnsafeRawBufferPointer, ifp: NetInterface) {
        guard ifp.flags.contains(.up) else { etherStats.downDrops &+= 1; ifp.counters.iqdrops &+= 1; return }
        if ifp.linkType == .loopback {
            ifp.counters.ipackets &+= 1
            ifp.counters.ibytes &+= UInt64(frame.count)
            ipInput(frame, ifp: ifp, linkBroadcast: false)
            return
        }
        guard let eh = EthernetView(frame) else {
            etherStats.runts &+= 1; ifp.counters.ierrors &+= 1; return
        }
        ifp.counters.ipackets &+= 1
        ifp.counters.ibytes &+= UInt64(frame.count)
        let dst = eh.destination
        let multicast = dst.isMulticast
        // shmif/ether filter: ours, group, or promiscuous.
        if !multicast && dst != ifp.linkAddress {
            if !ifp.flags.contains(.promisc) { etherStats.notForUs &+= 1; ifp.counters.iqdrops &+= 1 }
            return  // promiscuous frames for others are seen (bpf) but not processed, as NetBSD does
        }
        if multicast { ifp.counters.imcasts &+= 1 }
        // Only untagged frames (or priority-tagged, VLAN 0) belong to this interface.
        if let vid = eh.vlanID, vid != 0 { etherStats.unknownType &+= 1; ifp.counters.noproto &+= 1; return }
        switch eh.etherType {
        case EtherType.ipv4: ipInput(eh.payload, ifp: ifp, linkBroadcast: multicast)
        case EtherType.arp: arpInput(eh.payload, ifp: ifp)
        case EtherType.ipv6 where ip6Enabled: ip6Input(eh.payload, ifp: ifp, linkMulticast: multicast, looped: false)
        default:
            etherStats.unknownType &+= 1
            ifp.counters.noproto &+= 1
        }
    }

    // MARK: sysctl

    public func sysctlGet(_ name: String) throws(Errno) -> Int {
        if ip6Enabled, name.hasPrefix("net.inet6."), let v = ip6.sysctl.get(name) { return v }
        return try sysctl.get(name)
    }
    @discardableResult
    public func sysctlSet(_ name: String, _ value: Int) throws(Errno) -> Int {
        if ip6Enabled, name.hasPrefix("net.inet6.") { return try ip6.sysctl.set(name, value) }
        let old = try sysctl.set(name, value)
        if name == "net.inet.arp.down" { arpRescheduleIncomplete() }
        return old
    }
    public func sysctlList(prefix: String = "") -> [SysctlNode] {
        let v4 = sysctl.list(prefix: prefix)
        guard ip6Enabled else { return v4 }
        return v4 + ip6.sysctl.nodes.filter { prefix.isEmpty || $0.name == prefix || $0.name.hasPrefix(prefix + ".") }
    }

    func nextIPID() -> UInt16 {
        if sysctl.randomID { return UInt16(truncatingIfNeeded: rng.next()) }
        let id = ipID
        ipID &+= 1
        return id
    }
}
