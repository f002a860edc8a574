import RumpProtocol

/// The stack's handle for one of its sockets. The kernel maps each client's descriptor
/// numbers to these (a per-connection descriptor table); the stack never sees client fds.
public typealias SocketID = Int

/// What the kernel offers the network stack. All calls happen on the event-loop thread,
/// and the stack may call these only from there (from its own callbacks).
public protocol KernelServices: AnyObject {
    /// The components this kernel was booted with.
    var components: Set<Component> { get }
    /// Monotonic time in nanoseconds (the loop's clock). The stack has no clock of its own.
    func now() -> UInt64
    /// The seed for the stack's randomness when fixed (rump_server -S); nil = choose one.
    var randomSeed: UInt64? { get }
    /// One-shot timer; returns an id for `cancelTimer`.
    func addTimer(deadline: UInt64, _ fire: @escaping () -> Void) -> EventLoop.TimerID
    func cancelTimer(_ id: EventLoop.TimerID)
    /// Watch a host descriptor (a shmif bus's inotify fd, a tap fd): `handler(revents)` runs
    /// on the loop whenever it is ready for `events` (POLLIN = 1, POLLOUT = 4).
    func watch(fd: Int32, events: Int16, _ handler: @escaping (Int16) -> Void) -> EventLoop.WatchID
    func setEvents(_ id: EventLoop.WatchID, _ events: Int16)
    func unwatch(_ id: EventLoop.WatchID)
    /// Tells the kernel that socket `s`'s readiness may have changed (data arrived, a
    /// connection completed, buffer space freed, an error): only the calls parked on `s`
    /// (recv/accept/connect/send, polls naming it) are retried, after the current callback.
    /// Cheap to call often; changes are coalesced per socket.
    func socketChanged(_ s: SocketID)
    /// As `socketChanged` for every socket with parked calls (a stack that cannot say which).
    func socketsChanged()
    /// Runs `work` at the end of the current loop turn, before the loop sleeps.
    func soon(_ work: @escaping () -> Void)
}

/// Where a received datagram came from and recvmsg's msg_flags (MSG_TRUNC).
public struct ReceivedFrom: Sendable, Equatable {
    public var from: SocketAddress?
    public var flags: Int32
    public init(from: SocketAddress?, flags: Int32 = 0) { self.from = from; self.flags = flags }
}

/// The TCP/IP stack as the kernel sees it. Implemented over RumpNet by KernelStack.KernelNetStack.
///
/// Conventions:
/// - Every call runs on the loop thread and must not block.
/// - Errors are `KernelError` with NetBSD errno numbers; the kernel forwards them as they are.
/// - `EAGAIN` from accept/receive/send means "would block": the kernel parks the client's
///   call on that socket's wait queue and retries it after `socketChanged(s)` until it
///   succeeds or its timeout passes.
///   `EINPROGRESS` from connect means the same for connection setup; the kernel waits for
///   POLLOUT|POLLERR in `readiness` and then reads SO_ERROR through `getOption`.
/// - Component checks (AF_INET without rumpnet_netinet, shmif0 without rumpnet_shmif) are
///   done by the kernel before the stack is called, so the stack need not repeat them.
public protocol NetworkStack: AnyObject {
    /// Called once at boot, before any request; register sysctl nodes and lo0 here.
    func attach(to kernel: any KernelServices, sysctl: SysctlTree)
    /// Called once at halt: release bus mappings, tap fds, watches.
    func detach()

    // Sockets
    func socket(domain: Int32, type: Int32, protocol: Int32) throws(KernelError) -> SocketID
    func bind(_ s: SocketID, to address: SocketAddress) throws(KernelError)
    func connect(_ s: SocketID, to address: SocketAddress) throws(KernelError)
    func listen(_ s: SocketID, backlog: Int32) throws(KernelError)
    func accept(_ s: SocketID) throws(KernelError) -> (SocketID, SocketAddress)
    /// Returns the bytes accepted (a datagram all or nothing; a stream may take part).
    /// `to` is nil for send(2).
    func send(_ s: SocketID, _ data: UnsafeRawBufferPointer, flags: Int32, to: SocketAddress?) throws(KernelError) -> Int
    /// Replaces `buffer`'s contents with at most `maxLength` bytes of the next datagram (or of
    /// the stream), reusing its storage. MSG_PEEK leaves the data queued; a datagram longer
    /// than `maxLength` is cut, the rest dropped, and `flags` of the result has MSG_TRUNC.
    func receive(_ s: SocketID, into buffer: inout [UInt8], maxLength: Int, flags: Int32) throws(KernelError) -> ReceivedFrom
    func shutdown(_ s: SocketID, how: Int32) throws(KernelError)
    func close(_ s: SocketID)
    /// close(2) with SO_LINGER set to a time on a connection with data or a FIN in flight:
    /// starts the orderly close and returns how long close may wait (ms); nil closes at once.
    func closeLingers(_ s: SocketID) -> Int32?
    /// The lingering close may return: everything sent was acknowledged, or the connection is gone.
    func lingerComplete(_ s: SocketID) -> Bool
    func setOption(_ s: SocketID, level: Int32, name: Int32, value: [UInt8]) throws(KernelError)
    func getOption(_ s: SocketID, level: Int32, name: Int32, maxLength: Int) throws(KernelError) -> [UInt8]
    func localAddress(_ s: SocketID) throws(KernelError) -> SocketAddress
    func peerAddress(_ s: SocketID) throws(KernelError) -> SocketAddress
    /// Current POLLIN/POLLOUT/POLLERR/POLLHUP bits of a socket.
    func readiness(_ s: SocketID) -> Int16

    // Interfaces (ifconfig)
    func interfaces() -> [InterfaceInfo]
    /// Cloner names (`ifconfig -C`: "lo shmif carp").
    func cloners() -> [String]
    func createInterface(_ name: String) throws(KernelError)
    func destroyInterface(_ name: String) throws(KernelError)
    func setInterfaceFlags(_ name: String, set: UInt32, clear: UInt32) throws(KernelError)
    func addAddress(_ name: String, _ address: InterfaceAddress, alias: Bool) throws(KernelError)
    func deleteAddress(_ name: String, _ address: SocketAddress) throws(KernelError)
    func setMTU(_ name: String, _ mtu: UInt32) throws(KernelError)
    func setLinkstr(_ name: String, _ linkstr: String?) throws(KernelError)

    // Routes (route, netstat -r)
    func routes(family: UInt8) -> [RouteEntry]
    func addRoute(_ route: RouteEntry) throws(KernelError)
    func changeRoute(_ route: RouteEntry) throws(KernelError)
    func deleteRoute(destination: SocketAddress, netmask: SocketAddress?) throws(KernelError) -> RouteEntry
    func getRoute(destination: SocketAddress) throws(KernelError) -> RouteEntry
    /// Removes every non-interface route of the family; returns what was removed.
    func flushRoutes(family: UInt8) -> [RouteEntry]

    // ARP
    func arpEntries() -> [ArpInfo]
    func setArp(_ entry: ArpInfo) throws(KernelError)
    func deleteArp(_ address: SocketAddress) throws(KernelError)

    // Statistics (netstat -s)
    /// Protocol counters by NetBSD's names ("ip.total", "icmp.outhist.0", "arp.sndtotal").
    func statistics() -> [StatCounter]
}

extension NetworkStack {
    /// A stack that keeps no counters reports none (netstat -s then prints no sections).
    public func statistics() -> [StatCounter] { [] }
    /// A stack without SO_LINGER closes at once.
    public func closeLingers(_ s: SocketID) -> Int32? { nil }
    public func lingerComplete(_ s: SocketID) -> Bool { true }
}

/// Builds the stack for a kernel's component set; nil when no networking is loaded.
/// rump_server passes `KernelNetStack.factory` (see docs/kernel.md).
public typealias NetworkStackFactory = (Set<Component>) -> (any NetworkStack)?
