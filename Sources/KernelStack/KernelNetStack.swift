// The RumpNet stack plugged into a kernel: NetworkStack over NetStack. This is the only place
// that knows both sides; it translates protocol values (SocketAddress, RouteEntry, ...) to the
// stack's and back, and connects the stack to the kernel's event loop: bus descriptors are
// watched, the stack's next deadline is one loop timer, socket events wake parked calls.

import RumpKernel
import RumpNet
import RumpProtocol
import Shmif
import TapIf
import ToolSupport

/// The kernel's monotonic clock, as the stack's clock.
final class KernelClock: NetClock {
    /// unowned(unsafe): the stack reads the clock per segment, and a checked unowned reference
    /// to the kernel (which has a side table: it is weakly referenced) costs two slow atomic
    /// refcount operations per read (~8% of a receiving kernel's time). Safe: the kernel owns
    /// this KernelNetStack, which owns the NetStack, which alone holds the clock; none of them
    /// is used after the kernel's detach.
    unowned(unsafe) let kernel: any KernelServices
    init(_ kernel: any KernelServices) { self.kernel = kernel }
    var now: UInt64 { kernel.now() }
}

public final class KernelNetStack: NetworkStack {
    let components: Set<Component>
    private(set) var stack: NetStack!
    private var kernel: (any KernelServices)!
    private var watches: [Int32: EventLoop.WatchID] = [:]
    private var timer: EventLoop.TimerID?
    private var timerDeadline: UInt64 = 0
    /// Interface name -> its captures' middlewares and sessions (KernelNetStack+Capture.swift).
    var captures: [String: InterfaceCaptures] = [:]
    /// Raw AF_INET6 sockets (KernelNetStack+Inet6.swift), and whether each set IPV6_RECVHOPLIMIT.
    var inet6Sockets: [SocketID: Bool] = [:]

    /// In a kernel host: the loop's bus hub (shmif's in-process fast path, docs/kernel.md).
    let busHub: LoopBusHub?

    public init(components: Set<Component>, busHub: LoopBusHub? = nil) {
        self.components = components
        self.busHub = busHub
    }

    /// The factory rump_server passes to the kernel.
    public static func factory(_ components: Set<Component>) -> (any NetworkStack)? {
        KernelNetStack(components: components)
    }

    public func attach(to kernel: any KernelServices, sysctl: SysctlTree) {
        self.kernel = kernel
        var seed: UInt64 = kernel.randomSeed ?? 0
        if kernel.randomSeed == nil { withUnsafeMutableBytes(of: &seed) { _ = getrandomBytes($0) } }
        // Each component brings its interface kind (NetBSD's cloners); lo comes with the stack.
        var kinds: [InterfaceKind] = []
        if components.contains(.rumpnet_shmif) {
            if let busHub {
                kinds.append(.shmif(hub: busHub, wake: { [unowned self] in self.input() }))
            } else {
                kinds.append(.shmif)
            }
        }
        if components.contains(.rumpnet_virtif) { kinds.append(.virt) }
        stack = NetStack(clock: KernelClock(kernel), seed: seed, kinds: kinds)
        // lo0 comes with rumpnet_net; its 127.0.0.1/8 with rumpnet_netinet.
        if !components.contains(.rumpnet_netinet) {
            try? stack.deleteAddress(name: "lo0", .loopback)
        }
        // The stack names the socket whose readiness changed: only its waiters are retried.
        // unowned(unsafe) as in KernelClock: called per readiness change, the kernel outlives the stack.
        stack.onSocketEvent = { [unowned(unsafe) kernel] fd, _ in kernel.socketChanged(SocketID(fd)) }
        stack.log = { line in printErr(line) }
        // One batch and one bus wakeup per loop turn, however many frames the turn sent (docs/shmif.md).
        stack.coalescesWakeups = true
        // A device may take a deadline while sending (a FaultInjector holding a frame): resync the timer.
        // The deferred flush is one closure made here, not a context allocated per send.
        let flush: () -> Void = { [unowned self] in
            self.stack.flushOutput()
            self.sync(descriptors: false)
        }
        stack.onOutputPending = { [unowned kernel] in kernel.soon(flush) }
        // netinet6: ::1 and fe80::1 on lo0, link-locals as interfaces come up, net.inet6.*.
        if components.contains(.rumpnet_netinet6) { stack.enableIPv6() }
        if components.contains(.rumpnet_netinet) {
            for node in stack.sysctlList(prefix: "net") {
                if node.name == Self.congestionControlSelected {
                    registerCongestionControl(in: sysctl, description: node.description)
                } else {
                    register(node, in: sysctl)
                }
            }
        }
    }

    public func detach() {
        stack.flushOutput()
        for (_, w) in watches { kernel.unwatch(w) }
        watches.removeAll()
        if let timer { kernel.cancelTimer(timer) }
        for ifp in stack.interfaces where ifp.name != "lo0" {
            try? stack.setUp(name: ifp.name, false)
            try? stack.destroyInterface(name: ifp.name)
        }
    }

    private func register(_ node: SysctlNode, in tree: SysctlTree) {
        let name = node.name
        let setter: ((SysctlValue) throws(KernelError) -> Void)? = node.writable ? { [unowned self] v throws(KernelError) in
            let n: Int
            switch v {
            case .int(let i): n = Int(i)
            case .quad(let q): n = Int(q)
            case .bool(let b): n = b ? 1 : 0
            default: throw KernelError(.EINVAL)
            }
            do { try self.stack.sysctlSet(name, n) } catch { throw Self.kernelError(error) }
        } : nil
        tree.add(name, SysctlLeaf(kind: .int, description: node.description,
                                  get: { [unowned self] in .int(Int32(truncatingIfNeeded: (try? self.stack.sysctlGet(name)) ?? 0)) },
                                  set: setter))
    }

    static let congestionControlSelected = "net.inet.tcp.congctl.selected"

    /// NetBSD's two string nodes, in its order: `available` (read-only, the names separated by
    /// spaces) before `selected` (set by name; EINVAL for a name no algorithm has).
    private func registerCongestionControl(in tree: SysctlTree, description: String) {
        let available = NetStack.tcpCongestionControlsAvailable.joined(separator: " ")
        tree.add("net.inet.tcp.congctl.available",
                 SysctlLeaf(kind: .string, description: "Available Congestion Control Mechanisms", get: { .string(available) }))
        tree.add(Self.congestionControlSelected, SysctlLeaf(
            kind: .string, description: description,
            get: { [unowned self] in .string(self.stack.tcpCongestionControl) },
            set: { [unowned self] v throws(KernelError) in
                guard case .string(let name) = v else { throw KernelError(.EINVAL) }
                do { try self.stack.setTCPCongestionControl(name) } catch { throw KernelError(.EINVAL) }
            }))
    }

    // MARK: the loop

    /// After anything that may change the stack's descriptors or timers: watch new bus
    /// descriptors, drop old ones, and keep one loop timer at the stack's next deadline.
    private func sync(descriptors: Bool) {
        if descriptors { syncWatches() }
        syncTimer()
    }

    /// Bus descriptors change only with interface configuration (create, linkstr, up, down,
    /// destroy), never on the packet path, so only configuration calls re-list them. Every
    /// watch is made anew: a descriptor closed by its device (an interface brought down) and a
    /// new one that got the same number (brought up again) are different files to epoll, and
    /// a watch kept by number would never hear from the new one.
    private func syncWatches() {
        for (_, w) in watches { kernel.unwatch(w) }
        watches.removeAll()
        for (_, fd) in stack.inputDescriptors where watches[fd] == nil {
            watches[fd] = kernel.watch(fd: fd, events: NetBSD.POLLIN) { [unowned self] _ in self.input() }
        }
    }

    /// One loop timer at the stack's next deadline (ARP, reassembly).
    private func syncTimer() {
        let deadline = stack.nextDeadline
        if let deadline {
            if timer == nil || deadline != timerDeadline {
                if let timer { kernel.cancelTimer(timer) }
                timerDeadline = deadline
                timer = kernel.addTimer(deadline: deadline) { [unowned self] in
                    self.timer = nil
                    self.stack.poll()
                    self.sync(descriptors: false)
                }
            }
        } else if let t = timer {
            kernel.cancelTimer(t)
            timer = nil
        }
    }

    /// A device descriptor is readable: every interface takes its frames (and its wakeups).
    private func input() {
        _ = stack.pollDevices()
        // A device that lost its medium (a tap deleted on the host) dropped its descriptor.
        sync(descriptors: stack.takeDescriptorChange())
    }

    /// Frames reached the stack by a path the loop does not watch (an in-memory link that a
    /// test delivers): bring the loop's timer up to the stack's new deadline.
    public func inputDelivered() { sync(descriptors: false) }

    /// Attaches an interface on an in-memory link (embedded kernels in tests; see
    /// EmbeddedKernel). It is configured afterwards through requests like any other.
    public func attachInterface(_ name: String, on link: MemoryLink) throws(KernelError) {
        try run(configuration: true) {
            _ = try stack.attachInterface(name: name, driver: link.makeDevice())
            try applyFaults(to: name)
        }
    }

    /// Wraps interface `name`'s device in a middleware (a test's FaultInjector on an embedded
    /// kernel; rump_server's RUMPNET_FAULT does the same at create).
    public func wrapDevice(_ name: String, _ wrap: (NetDevice) -> NetDevice) throws(KernelError) {
        try run(configuration: true) { try stack.wrapDevice(name: name, wrap) }
    }

    // MARK: errors and addresses

    static func kernelError(_ e: Error) -> KernelError {
        if let e = e as? NetBSDErrno { return KernelError(e) }
        if let e = e as? KernelError { return e }
        return KernelError(.EINVAL)
    }

    static func ipv4(_ a: SocketAddress) throws(KernelError) -> IPv4Address {
        guard case .inet(let v4, _) = a else { throw KernelError(.EAFNOSUPPORT) }
        return v4
    }

    static func sockaddr(_ a: IPv4Address, port: UInt16 = 0) -> SocketAddress { .inet(a, port: port) }

    static func mask(_ m: UInt32) -> SocketAddress { sockaddr(IPv4Address(m)) }

    /// Runs a stack call, then brings the loop up to date; `configuration` calls may have
    /// changed the interfaces' bus descriptors.
    func run<T>(configuration: Bool = false, _ body: () throws -> T) throws(KernelError) -> T {
        do {
            let r = try body()
            sync(descriptors: configuration)
            return r
        } catch {
            sync(descriptors: configuration)
            throw Self.kernelError(error)
        }
    }

    // MARK: sockets

    public func socket(domain: Int32, type: Int32, protocol: Int32) throws(KernelError) -> SocketID {
        try run {
            let fd = try stack.socket(domain: domain, type: type, protocol: `protocol`)
            // The kernel decides about blocking; the stack must answer "would block".
            try stack.setOption(fd, .nonBlocking(true))
            // Raw ICMPv6 sockets take the IPv6 layer's calls (+Inet6); UDP and TCP ones the common path.
            if domain == Int32(NetBSD.AF_INET6) && type == NetBSD.SOCK_RAW { inet6Sockets[Int(fd)] = false }
            return Int(fd)
        }
    }

    /// A sockaddr_in (AF_INET socket) or sockaddr_in6 (AF_INET6 socket, sin6_scope_id kept for
    /// a scoped address) as the stack's endpoint: EAFNOSUPPORT for another family.
    static func endpoint(_ a: SocketAddress, family: Int32) throws(KernelError) -> SocketEndpoint {
        switch a {
        case .inet(let v4, let port) where family == SocketConstants.AF_INET:
            return SocketEndpoint(v4, port)
        case .inet6(let v6, let port, _, let scope) where family == SocketConstants.AF_INET6:
            return SocketEndpoint(v6, port, scopeID: scope)
        default:
            throw KernelError(.EAFNOSUPPORT)
        }
    }

    /// The endpoint as its socket's family gives it out: sockaddr_in, or sockaddr_in6 with the
    /// zone as sin6_scope_id (an IPv4 peer of a dual-stack socket as ::ffff:a.b.c.d).
    static func sockaddr(_ e: SocketEndpoint, family: Int32 = SocketConstants.AF_INET) -> SocketAddress {
        family == SocketConstants.AF_INET6 ? .inet6(e.address6, port: e.port, scopeID: e.scopeID) : sockaddr(e.address, port: e.port)
    }

    /// The socket's family (a slot lookup; no loop sync, it changes nothing).
    private func family(_ s: SocketID) throws(KernelError) -> Int32 {
        do { return try stack.family(Int32(s)) } catch { throw KernelError(error) }
    }

    public func bind(_ s: SocketID, to address: SocketAddress) throws(KernelError) {
        if inet6Sockets[s] != nil { return try bind6(s, address) }
        let e = try Self.endpoint(address, family: try family(s))
        try run { try stack.bind(Int32(s), to: e) }
    }

    /// connect(2); AF_UNSPEC dissolves the association (NetBSD's "disconnect" for datagrams).
    public func connect(_ s: SocketID, to address: SocketAddress) throws(KernelError) {
        if address == .unspec {
            try run { try stack.disconnect(Int32(s)) }
            return
        }
        if inet6Sockets[s] != nil { return try connect6(s, address) }
        let e = try Self.endpoint(address, family: try family(s))
        try run { try stack.connect(Int32(s), to: e) }
    }

    /// listen(2): EOPNOTSUPP for a datagram socket, EINVAL once connected (the stack's rules).
    public func listen(_ s: SocketID, backlog: Int32) throws(KernelError) {
        try run { try stack.listen(Int32(s), backlog: Int(backlog)) }
    }

    /// accept(2): the oldest completed connection; EAGAIN (parked by the kernel) when none.
    /// The new socket, like every socket here, answers "would block" to the kernel.
    public func accept(_ s: SocketID) throws(KernelError) -> (SocketID, SocketAddress) {
        try run {
            let (fd, peer) = try stack.accept(Int32(s))
            try stack.setOption(fd, .nonBlocking(true))
            return (Int(fd), Self.sockaddr(peer, family: try stack.family(fd)))
        }
    }

    public func send(_ s: SocketID, _ data: UnsafeRawBufferPointer, flags: Int32, to: SocketAddress?) throws(KernelError) -> Int {
        if let to, inet6Sockets[s] != nil { return try send6(s, data, to: to) }
        let dst: SocketEndpoint?
        if let to { dst = try Self.endpoint(to, family: try family(s)) } else { dst = nil }
        return try run { try stack.send(Int32(s), data, to: dst, flags: MessageFlags(rawValue: flags)) }
    }

    /// Bulk filler for growing the receive buffer (a memcpy, not a per-element loop).
    private static let zeros = [UInt8](repeating: 0, count: 65536)

    /// The most one receive takes from a stream: large reads keep the per-call cost of a
    /// transfer low; a datagram is at most 65535 bytes anyway.
    static let streamReadLimit = 262_144

    public func receive(_ s: SocketID, into buffer: inout [UInt8], maxLength: Int, flags: Int32) throws(KernelError) -> ReceivedFrom {
        // (No hashing on the IPv4 receive path while no AF_INET6 socket exists.)
        if !inet6Sockets.isEmpty, let hop = inet6Sockets[s] {
            return try receive6(s, into: &buffer, maxLength: maxLength, wantsHopLimit: hop)
        }
        let stream = (try? stack.getOption(Int32(s), .type)) == Int(SocketConstants.SOCK_STREAM)
        // A datagram socket's buffer grows only to the datagram waiting (none: nothing to grow,
        // the call parks): a ping's 84 bytes must not cost 64 KB of zeros per attempt.
        let limit = max(0, min(maxLength, stream ? Self.streamReadLimit : stack.nextDatagramLength(Int32(s)) ?? 0))
        // The data goes from the socket's queue straight into the kernel's reused buffer:
        // grow it (within its capacity after the first time) to the limit, copy, cut back.
        while buffer.count < limit { buffer.append(contentsOf: Self.zeros[0..<min(Self.zeros.count, limit - buffer.count)]) }
        let d: ReceivedDatagram
        do {
            d = try run {
                try buffer.withUnsafeMutableBytes {
                    try stack.receive(Int32(s), into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<limit]), flags: MessageFlags(rawValue: flags))
                }
            }
        } catch {
            buffer.removeAll(keepingCapacity: true)
            throw error
        }
        buffer.removeLast(buffer.count - d.copied)
        let fam = (try? stack.family(Int32(s))) ?? SocketConstants.AF_INET
        return ReceivedFrom(from: lastSource(d.from, family: fam), flags: d.truncated ? NetBSD.MSG_TRUNC : 0)
    }

    /// The source of the last datagram received as a SocketAddress, kept: a peer that sends again
    /// (the usual case) costs no new address array per datagram.
    private var lastReceivedFrom: (SocketEndpoint, Int32, SocketAddress)?

    private func lastSource(_ e: SocketEndpoint, family: Int32) -> SocketAddress {
        if let (k, f, v) = lastReceivedFrom, k == e, f == family { return v }
        let a = Self.sockaddr(e, family: family)
        lastReceivedFrom = (e, family, a)
        return a
    }

    public func shutdown(_ s: SocketID, how: Int32) throws(KernelError) {
        try run { try stack.shutdown(Int32(s), how: how) }
    }

    public func close(_ s: SocketID) {
        inet6Sockets[s] = nil
        try? stack.close(Int32(s))
    }

    /// An int option value as clients pass it: 4 bytes (an int) or 1 (IP_TTL's u_char form).
    static func int(_ v: [UInt8]) throws(KernelError) -> Int {
        guard v.count == 4 || v.count == 1 else { throw KernelError(.EINVAL) }
        if v.count == 1 { return Int(v[0]) }
        return Int(Int32(bitPattern: UInt32(v[0]) | UInt32(v[1]) << 8 | UInt32(v[2]) << 16 | UInt32(v[3]) << 24))
    }

    /// SOL_SOCKET and IPPROTO_IP options by NetBSD's numbers (the stack's SocketOptionName);
    /// ENOPROTOOPT for others.
    public func setOption(_ s: SocketID, level: Int32, name: Int32, value: [UInt8]) throws(KernelError) {
        if level == SocketLinger.level && name == SocketLinger.name {
            let linger = try Self.linger(value)
            try run { try stack.setOption(Int32(s), .linger(linger)) }
            return
        }
        if level == Self.IPPROTO_IPV6, inet6Sockets[s] != nil {
            if name == Self.IPV6_RECVHOPLIMIT { inet6Sockets[s] = try Self.int(value) != 0; return }
            return try setOption6(s, name: name, value: value)
        }
        guard let option = SocketOptionName(level: level, name: name) else { throw KernelError(.ENOPROTOOPT) }
        let v = try Self.int(value)
        try run { try stack.setOption(Int32(s), option, value: v) }
    }

    public func getOption(_ s: SocketID, level: Int32, name: Int32, maxLength: Int) throws(KernelError) -> [UInt8] {
        if level == SocketLinger.level && name == SocketLinger.name {
            guard maxLength >= 8 else { throw KernelError(.EINVAL) }
            return Self.lingerValue(try run { try stack.lingerOption(Int32(s)) })
        }
        guard let option = SocketOptionName(level: level, name: name) else { throw KernelError(.ENOPROTOOPT) }
        // sockopt_get: a buffer smaller than an int is EINVAL.
        guard maxLength >= 4 else { throw KernelError(.EINVAL) }
        let v = try run { try stack.getOption(Int32(s), option) }
        return withUnsafeBytes(of: Int32(truncatingIfNeeded: v).littleEndian) { Array($0) }
    }

    /// SO_LINGER's struct linger { int l_onoff; int l_linger; } (8 bytes, little-endian): nil
    /// when l_onoff is 0, else the seconds. EINVAL for another size.
    static func linger(_ v: [UInt8]) throws(KernelError) -> Int? {
        guard v.count == 8 else { throw KernelError(.EINVAL) }
        let onoff = try int(Array(v[0..<4])), seconds = try int(Array(v[4..<8]))
        return onoff == 0 ? nil : seconds
    }

    static func lingerValue(_ l: Int?) -> [UInt8] {
        let onoff: Int32 = l == nil ? 0 : 1, seconds = Int32(truncatingIfNeeded: l ?? 0)
        return withUnsafeBytes(of: onoff.littleEndian) { Array($0) } + withUnsafeBytes(of: seconds.littleEndian) { Array($0) }
    }

    public func localAddress(_ s: SocketID) throws(KernelError) -> SocketAddress {
        Self.sockaddr(try run { try stack.localEndpoint(Int32(s)) }, family: try family(s))
    }

    public func peerAddress(_ s: SocketID) throws(KernelError) -> SocketAddress {
        Self.sockaddr(try run { try stack.peerEndpoint(Int32(s)) }, family: try family(s))
    }

    public func closeLingers(_ s: SocketID) -> Int32? {
        guard let seconds = stack.lingerTime(Int32(s)) else { return nil }
        try? stack.shutdown(Int32(s), how: SocketConstants.SHUT_WR)
        sync(descriptors: false)
        return Int32(clamping: seconds * 1000)
    }

    public func lingerComplete(_ s: SocketID) -> Bool { stack.isDisconnected(Int32(s)) }

    public func readiness(_ s: SocketID) -> Int16 {
        let e = stack.socketEvents(Int32(s))
        var r: Int16 = 0
        if e.contains(.readable) { r |= NetBSD.POLLIN }
        if e.contains(.writable) { r |= NetBSD.POLLOUT }
        if e.contains(.error) { r |= NetBSD.POLLERR }
        if e.contains(.hangUp) { r |= NetBSD.POLLHUP }
        return r
    }

    /// Sockets the stack holds (for tests: none may outlive their descriptors).
    public var socketCount: Int { stack.socketList.count }

    // MARK: interfaces

    public func interfaces() -> [InterfaceInfo] {
        stack.interfaces.map { ifp in
            let broadcastCapable = ifp.flags.contains(.broadcast)
            return InterfaceInfo(
                name: ifp.name, index: UInt32(ifp.index), flags: ifp.flags.rawValue, mtu: UInt32(ifp.mtu),
                linkAddress: ifp.linkType == .ethernet ? ifp.linkAddress.bytes : [],
                linkstr: ifp.device.linkString,
                addresses: inet6Addresses(ifp.name) + ifp.addresses.map { a in
                    RumpProtocol.InterfaceAddress(address: Self.sockaddr(a.address), netmask: Self.mask(a.netmask),
                                     broadcast: broadcastCapable ? Self.sockaddr(a.broadcast) : nil,
                                     flags: a.detached ? 0x4 : 0)
                },
                stats: ifp.counters)
        }
    }

    /// `ifconfig -C`, in NetBSD's attach order (carp comes with netinet; we do not clone it).
    public func cloners() -> [String] {
        var out = stack.clonerFamilies
        if components.contains(.rumpnet_netinet) { out.append("carp") }
        return out
    }

    public func createInterface(_ name: String) throws(KernelError) {
        try run(configuration: true) {
            _ = try stack.createInterface(name: name)
            try applyFaults(to: name)
        }
    }

    public func destroyInterface(_ name: String) throws(KernelError) {
        try run(configuration: true) { try stack.destroyInterface(name: name) }
    }

    public func setInterfaceFlags(_ name: String, set: UInt32, clear: UInt32) throws(KernelError) {
        try run(configuration: true) {
            if set & IFF.UP != 0 { try stack.setUp(name: name, true) }
            if clear & IFF.UP != 0 { try stack.setUp(name: name, false) }
            let promisc = InterfaceFlags.promisc.rawValue
            if set & promisc != 0 { try stack.setPromiscuous(name: name, true) }
            if clear & promisc != 0 { try stack.setPromiscuous(name: name, false) }
        }
    }

    public func addAddress(_ name: String, _ address: RumpProtocol.InterfaceAddress, alias: Bool) throws(KernelError) {
        if address.address.family == .inet6 { return try addAddress6(name, address) }
        let a = try Self.ipv4(address.address)
        let m = try Self.ipv4(address.netmask)
        let b = try address.broadcast.map { (x: SocketAddress) throws(KernelError) in try Self.ipv4(x) }
        try run(configuration: true) {
            // Without `alias`, the address replaces the interface's first one (ifconfig's
            // SIOCDIFADDR before SIOCAIFADDR), unless it is the same address.
            if !alias, let ifp = stack.interface(named: name), let first = ifp.addresses.first, first.address != a {
                try stack.deleteAddress(name: name, first.address)
            }
            try stack.addAddress(name: name, a, netmask: m.value == 0 ? nil : m.value, broadcast: b)
        }
    }

    public func deleteAddress(_ name: String, _ address: SocketAddress) throws(KernelError) {
        if address.family == .inet6 { return try deleteAddress6(name, address) }
        let a = try Self.ipv4(address)
        try run(configuration: true) { try stack.deleteAddress(name: name, a) }
    }

    public func setMTU(_ name: String, _ mtu: UInt32) throws(KernelError) {
        try run { try stack.setMTU(name: name, Int(mtu)) }
    }

    public func setLinkstr(_ name: String, _ linkstr: String?) throws(KernelError) {
        try run(configuration: true) {
            if let linkstr { try stack.setLinkString(name: name, linkstr) } else { try stack.clearLinkString(name: name) }
        }
    }

    // MARK: routes

    func entry(_ r: Route) -> RouteEntry {
        let gateway: SocketAddress
        switch r.gateway {
        case .address(let g): gateway = Self.sockaddr(g)
        case .link(let idx):
            // NetBSD's sockaddr_dl names the loopback ("lo0" in route show); others print link#N.
            let ifp = stack.interface(index: idx)
            gateway = .link(index: UInt32(idx), name: ifp?.linkType == .loopback ? ifp!.name : "")
        }
        return RouteEntry(destination: Self.sockaddr(r.destination),
                          netmask: r.flags.contains(.host) ? nil : Self.mask(r.netmask),
                          gateway: gateway, flags: r.flags.rawValue,
                          interface: stack.interface(index: r.ifIndex)?.name ?? "?",
                          use: r.use, mtu: UInt32(r.mtu), localAddress: Self.sockaddr(r.localAddress))
    }

    public func routes(family: UInt8) -> [RouteEntry] {
        (family == NetBSD.AF_INET || family == NetBSD.AF_UNSPEC ? stack.routeList.map(entry) : [])
            + (family == NetBSD.AF_INET6 || family == NetBSD.AF_UNSPEC ? routes6() : [])
    }

    static func prefix(_ e: RouteEntry) throws(KernelError) -> Int {
        guard let m = e.netmask else { return 32 }
        let v = try ipv4(m).value
        guard let p = IPv4Address.prefixLength(mask: v) else { throw KernelError(.EINVAL) }
        return p
    }

    public func addRoute(_ route: RouteEntry) throws(KernelError) {
        if route.destination.family == .inet6 { return try addRoute6(route) }
        let dst = try Self.ipv4(route.destination)
        let plen = try Self.prefix(route)
        let reject = route.flags & RouteFlags.reject.rawValue != 0
        let blackhole = route.flags & RouteFlags.blackhole.rawValue != 0
        if case .inet(let gw, _) = route.gateway {
            try run { try stack.addRoute(destination: dst, prefixLength: plen, gateway: gw, reject: reject, blackhole: blackhole) }
        } else {
            var linkIndex: UInt32 = 0
            if case .link(let index, _, _, _) = route.gateway { linkIndex = index }
            let ifName = route.interface.isEmpty
                ? stack.interface(index: Int(linkIndex))?.name ?? ""
                : route.interface
            try run { try stack.addRoute(destination: dst, prefixLength: plen, interface: ifName, reject: reject, blackhole: blackhole) }
        }
    }

    public func changeRoute(_ route: RouteEntry) throws(KernelError) {
        let dst = try Self.ipv4(route.destination)
        let plen = try Self.prefix(route)
        let gw = try Self.ipv4(route.gateway)
        try run { try stack.changeRoute(destination: dst, prefixLength: plen, gateway: gw) }
    }

    public func deleteRoute(destination: SocketAddress, netmask: SocketAddress?) throws(KernelError) -> RouteEntry {
        if destination.family == .inet6 { return try deleteRoute6(destination: destination, netmask: netmask) }
        let dst = try Self.ipv4(destination)
        var plen = 32
        if let netmask {
            guard let p = IPv4Address.prefixLength(mask: try Self.ipv4(netmask).value) else { throw KernelError(.EINVAL) }
            plen = p
        }
        let existing = stack.routeList.first { $0.destination == dst && $0.prefixLength == plen }
        try run { try stack.deleteRoute(destination: dst, prefixLength: plen) }
        guard let existing else { throw KernelError(.ESRCH) }
        return entry(existing)
    }

    public func getRoute(destination: SocketAddress) throws(KernelError) -> RouteEntry {
        if destination.family == .inet6 { return try getRoute6(destination: destination) }
        let dst = try Self.ipv4(destination)
        let result = try run { try stack.getRoute(dst) }
        var e = entry(result.route)
        e.outputInterface = result.interfaceName
        return e
    }

    public func flushRoutes(family: UInt8) -> [RouteEntry] {
        guard family == NetBSD.AF_INET || family == NetBSD.AF_UNSPEC else { return [] }
        let gone = stack.flushRoutes().map(entry)
        sync(descriptors: false)
        return gone
    }

    // MARK: ARP

    public func arpEntries() -> [ArpInfo] {
        stack.arpEntries.map { e in
            ArpInfo(address: e.address, linkAddress: e.mac?.bytes, interface: e.interfaceName,
                    expire: e.permanent ? nil : e.expires.map(stack.secondsFromNow) ?? 0, published: e.published)
        }
    }

    public func setArp(_ entry: ArpInfo) throws(KernelError) {
        let a = entry.address
        guard let mac = entry.linkAddress, mac.count == 6 else { throw KernelError(.EINVAL) }
        do {
            try run { try stack.arpSet(a, mac: MACAddress(mac), permanent: entry.isPermanent, publish: entry.published) }
        } catch where error.errno == .ENETUNREACH {
            // NetBSD finds no interface route for the address: the routing socket says ESRCH.
            throw KernelError(.ESRCH)
        }
    }

    public func deleteArp(_ address: SocketAddress) throws(KernelError) {
        let a = try Self.ipv4(address)
        try run { try stack.arpDelete(a) }
    }
}

// MARK: statistics

extension KernelNetStack {
    /// The stack's counters under NetBSD's ipstat/icmpstat/arpstat names (netstat -s).
    public func statistics() -> [StatCounter] {
        guard components.contains(.rumpnet_netinet) else { return [] }
        var out: [StatCounter] = []
        func add(_ name: String, _ v: UInt64) { out.append(StatCounter(name: name, value: v)) }
        let ip = stack.ipStats
        for (n, v) in [("total", ip.total), ("badsum", ip.badsum), ("tooshort", ip.tooshort), ("toosmall", ip.toosmall),
                       ("badhlen", ip.badhlen), ("badlen", ip.badlen), ("badvers", ip.badvers), ("badaddr", ip.badaddr),
                       ("fragments", ip.fragments), ("fragdropped", ip.fragdropped), ("fragtimeout", ip.fragtimeout),
                       ("reassembled", ip.reassembled), ("forward", ip.forward), ("cantforward", ip.cantforward),
                       ("noroute", ip.noroute), ("delivered", ip.delivered), ("localout", ip.localout),
                       ("odropped", ip.odropped), ("fragmented", ip.fragmented), ("ofragments", ip.ofragments),
                       ("cantfrag", ip.cantfrag), ("noproto", ip.noproto), ("toolong", ip.toolong)] {
            add("ip." + n, v)
        }
        let icmp = stack.icmpStats
        for (n, v) in [("error", icmp.error), ("oldicmp", icmp.oldicmp), ("oldshort", icmp.oldshort), ("badcode", icmp.badcode),
                       ("tooshort", icmp.tooshort), ("checksum", icmp.checksum), ("badlen", icmp.badlen),
                       ("reflect", icmp.reflect), ("bmcastecho", icmp.bmcastecho)] {
            add("icmp." + n, v)
        }
        for (t, v) in icmp.outhist.enumerated() where v != 0 { add("icmp.outhist.\(t)", v) }
        for (t, v) in icmp.inhist.enumerated() where v != 0 { add("icmp.inhist.\(t)", v) }
        for (n, v) in stack.udpStats.named { add("udp." + n, v) }
        for (n, v) in stack.tcpStats.named { add("tcp." + n, v) }
        let arp = stack.arpStats
        for (n, v) in [("sndtotal", arp.sent), ("sndrequest", arp.sentRequests), ("sndreply", arp.sentReplies),
                       ("rcvtotal", arp.received), ("rcvrequest", arp.receivedRequests), ("rcvreply", arp.receivedReplies),
                       ("rcvbadproto", arp.badFrames), ("rcvlocalspa", arp.dupAddress), ("dfrdropped", arp.heldDropped)] {
            add("arp." + n, v)
        }
        return out + statistics6()
    }
}
