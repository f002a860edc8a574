#if canImport(Glibc)
import Glibc
#endif
import RumpProtocol
import RumpVFS

/// How a kernel is booted (rump_server's options after parsing).
public struct KernelConfiguration: Sendable {
    public var components: Set<Component>
    public var ncpu: Int
    public var physmem: Int64
    public var verbose: Bool
    /// The network stack's random seed (MACs, IP ids, ephemeral ports); nil = from the host's
    /// randomness. Fixed with rump_server -S or RUMP_SEED for reproducible labs.
    public var seed: UInt64?
    public init(components: Set<Component>, ncpu: Int? = nil, physmem: Int64? = nil, verbose: Bool = false, seed: UInt64? = nil) {
        self.components = components
        self.seed = seed
        self.ncpu = ncpu ?? max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        self.physmem = physmem ?? 536_870_912
        self.verbose = verbose
    }
}

/// One open descriptor of a client: the stack's socket and the descriptor's flags.
struct Descriptor {
    var socket: SocketID
    /// File status flags (F_GETFL/F_SETFL): NetBSD's O_NONBLOCK (0x4) is the one that matters.
    var statusFlags: Int32 = 0
    /// Descriptor flags (F_GETFD/F_SETFD): FD_CLOEXEC.
    var descriptorFlags: Int32 = 0
    var nonBlocking: Bool { statusFlags & NetBSD.O_NONBLOCK != 0 }
}

/// One client connection as the kernel sees it: a process with its own descriptor table.
public final class ClientContext {
    public let id: Int
    public var name = ""
    public var pid: Int32 = 0
    /// Client descriptor number -> the stack's socket and the descriptor's flags.
    var descriptors: [Int32: Descriptor] = [:]
    /// This client's parked calls, so that leaving cancels them all.
    var parked: [ObjectIdentifier: PendingCall] = [:]
    /// Client descriptor number -> open file (Kernel+VFS.swift); numbers unique across both tables.
    var files: [Int32: OpenFile] = [:]
    /// Session number -> open capture (PacketCapturing.swift).
    var captures: [Int32: any CaptureSession] = [:]
    var alive = true

    init(id: Int) { self.id = id }

    /// fdalloc: the lowest free number, as NetBSD gives.
    func allocate(_ s: SocketID) -> Int32 {
        var fd: Int32 = 0
        while descriptors[fd] != nil || files[fd] != nil { fd += 1 }
        descriptors[fd] = Descriptor(socket: s)
        return fd
    }

    /// Open descriptors (for tests and diagnostics).
    public var descriptorCount: Int { descriptors.count }
    /// Calls of this client parked in the kernel.
    public var parkedCallCount: Int { parked.count }
}

/// A rump kernel: components, the sysctl tree, per-client descriptor tables and the network
/// stack, all owned by one event loop (see docs/kernel.md).
public final class Kernel: KernelServices {
    public let loop: EventLoop
    public let configuration: KernelConfiguration
    public var components: Set<Component> { configuration.components }
    public let sysctl = SysctlTree()
    public private(set) var stack: (any NetworkStack)?
    public internal(set) var hostname: String
    var domainname = ""
    let bootWallClock: Int
    let bootMonotonic: UInt64
    private var waits = WaitQueues()
    /// The one buffer every receive copies a datagram into (see `receive`).
    private var receiveBuffer: [UInt8] = []
    private var nextClientID = 1
    public private(set) var halted = false
    /// The file systems, when rumpvfs is loaded (Kernel+VFS.swift).
    lazy var fileSystems: VFS? = makeFileSystems()
    /// Called once when the kernel halts (by request or signal), on the loop.
    public var onHalt: (() -> Void)?

    public init(configuration: KernelConfiguration, loop: EventLoop, stackFactory: NetworkStackFactory? = nil) {
        self.loop = loop
        self.configuration = configuration
        self.hostname = Kernel.defaultHostname()
        self.bootWallClock = time(nil)
        self.bootMonotonic = loop.currentTime
        registerSysctl()
        if configuration.components.contains(.rumpnet), let f = stackFactory {
            stack = f(configuration.components)
        }
        stack?.attach(to: self, sysctl: sysctl)
    }

    /// NetBSD's rump_init: "rump-<pid, 5 digits>.<host's hostname>".
    static func defaultHostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, buf.count - 1)
        let host = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var pid = String(getpid())
        while pid.count < 5 { pid = "0" + pid }
        return "rump-\(pid).\(host)"
    }

    // MARK: KernelServices

    public func soon(_ work: @escaping () -> Void) { loop.soon(work) }

    public func now() -> UInt64 { loop.currentTime }
    public var randomSeed: UInt64? { configuration.seed }
    public func addTimer(deadline: UInt64, _ fire: @escaping () -> Void) -> EventLoop.TimerID { loop.addTimer(deadline: deadline, fire) }
    public func cancelTimer(_ id: EventLoop.TimerID) { loop.cancelTimer(id) }
    public func watch(fd: Int32, events: Int16, _ handler: @escaping (Int16) -> Void) -> EventLoop.WatchID {
        loop.watch(fd: fd, events: events, handler)
    }
    public func setEvents(_ id: EventLoop.WatchID, _ events: Int16) { loop.setEvents(id, events) }
    public func unwatch(_ id: EventLoop.WatchID) { loop.unwatch(id) }
    public func socketChanged(_ s: SocketID) {
        // Strong: the work runs this turn (a weak reference would put the kernel's reference
        // count in a side table, slowing every retain of it).
        if waits.markChanged(s) { loop.soon(wakeChangedWork) }
    }
    public func socketsChanged() {
        if waits.markAllChanged() { loop.soon(wakeChangedWork) }
    }
    /// `wakeChanged` as a closure made once (not a context allocated per socket event). It
    /// holds the kernel strongly, so work still queued when the kernel halts runs safely;
    /// `halt` breaks the cycle.
    private lazy var wakeChangedWork: () -> Void = { self.wakeChanged() }

    /// Sockets open through some client's descriptor (for tests and diagnostics).
    public private(set) var openSocketCount = 0
    /// Calls parked in the kernel now, over all clients (for tests and diagnostics).
    public var parkedCallCount: Int { waits.parkedCount }
    /// How many times parked calls were retried: a wakeup of one socket retries only its
    /// waiters, which tests check through this.
    public var parkedCallAttempts: UInt64 { waits.attempts }

    // MARK: Clients

    public func newClient() -> ClientContext {
        defer { nextClientID += 1 }
        return ClientContext(id: nextClientID)
    }

    /// A client went away (closed, died, sent garbage): drop its calls, close its sockets.
    public func clientGone(_ c: ClientContext) {
        c.alive = false
        for p in c.parked.values { finish(p) }
        c.parked.removeAll()
        closeFiles(of: c)
        closeCaptures(of: c)
        for (_, d) in c.descriptors.sorted(by: { $0.key < $1.key }) { stack?.close(d.socket) }
        openSocketCount -= c.descriptors.count
        c.descriptors.removeAll()
    }

    /// Stops the kernel: detaches the stack and calls `onHalt` (the server then exits).
    public func halt() {
        guard !halted else { return }
        halted = true
        for p in waits.all { finish(p) }
        stack?.detach()
        wakeChangedWork = {}  // the closure's reference to the kernel
        onHalt?()
    }

    // MARK: Requests

    /// Handles one request; `reply` is called exactly once, now or later (parked calls),
    /// unless the client goes away first.
    public func handle(_ request: Request, from c: ClientContext, reply: @escaping (Result<Reply, KernelError>) -> Void) {
        do throws(KernelError) {
            switch request {
            case .sysctlGet(let name): reply(.success(.sysctl(try sysctl.get(name))))
            case .sysctlList(let prefix): reply(.success(.sysctl(try sysctl.list(prefix))))
            case .sysctlSet(let name, let value):
                let (o, n) = try sysctl.set(name, text: value)
                reply(.success(.sysctlChanged(old: o, new: n)))
            case .halt:
                reply(.success(.none))
                loop.soon { self.halt() }
            case .file(let f): try handleFile(f, from: c, reply: reply)
            case .close(let fd) where c.files[fd] != nil: try closeFile(fd, of: c); reply(.success(.none))
            default:
                try handleNetwork(request, from: c, reply: reply)
            }
        } catch {
            reply(.failure(error))
        }
    }

    /// The descriptor and the stack's socket go; calls sleeping on it (another thread of the
    /// client) then fail with EBADF.
    private func closeSocket(_ c: ClientContext, _ fd: Int32, _ s: SocketID) {
        guard c.descriptors[fd]?.socket == s else { return }
        c.descriptors[fd] = nil
        openSocketCount -= 1
        stack?.close(s)
        socketChanged(s)
    }

    private func requireStack(_ needed: Component = .rumpnet_net) throws(KernelError) -> any NetworkStack {
        guard components.contains(.rumpnet) else { throw KernelError(.ENOSYS) }
        guard components.contains(needed) else { throw KernelError(.EOPNOTSUPP) }
        // Components loaded but no stack linked in (the stack lands in another branch).
        guard let stack else { throw KernelError(.EOPNOTSUPP) }
        return stack
    }

    private func socketOf(_ c: ClientContext, _ fd: Int32) throws(KernelError) -> SocketID {
        guard let d = c.descriptors[fd] else { throw KernelError(.EBADF) }
        return d.socket
    }

    /// How long a call on `fd` may sleep: not at all with O_NONBLOCK or MSG_DONTWAIT
    /// (EWOULDBLOCK at once), else the request's timeout.
    private func sleepTimeout(_ c: ClientContext, _ fd: Int32, flags: Int32, _ timeout: Int32) -> Int32 {
        if flags & NetBSD.MSG_DONTWAIT != 0 || c.descriptors[fd]?.nonBlocking == true { return 0 }
        return timeout
    }

    /// The component a socket domain needs (NetBSD attaches a domain with its component).
    static func component(forDomain d: Int32) -> Component? {
        switch UInt8(truncatingIfNeeded: d) {
        case _ where d < 0 || d > 255: return nil
        case NetBSD.AF_INET: return .rumpnet_netinet
        case NetBSD.AF_INET6: return .rumpnet_netinet6
        case NetBSD.AF_ROUTE, NetBSD.AF_LINK: return .rumpnet_net
        default: return nil
        }
    }

    /// Cloner names from the loaded components, in NetBSD's attach order.
    var componentCloners: [String] {
        var out: [String] = []
        if components.contains(.rumpnet_net) { out.append("lo") }
        if components.contains(.rumpnet_shmif) { out.append("shmif") }
        if components.contains(.rumpnet_virtif) { out.append("virt") }
        if components.contains(.rumpnet_netinet) { out.append("carp") }
        return out
    }

    private func handleNetwork(_ request: Request, from c: ClientContext, reply: @escaping (Result<Reply, KernelError>) -> Void) throws(KernelError) {
        switch request {
        case let .socket(domain, type, proto):
            guard components.contains(.rumpnet) else { throw KernelError(.ENOSYS) }
            guard let need = Self.component(forDomain: domain), components.contains(need) else { throw KernelError(.EAFNOSUPPORT) }
            let st = try requireStack(need)
            let s = try st.socket(domain: domain, type: type, protocol: proto)
            openSocketCount += 1
            reply(.success(.fd(c.allocate(s))))
        case let .bind(fd, a):
            try requireStack().bind(try socketOf(c, fd), to: a); reply(.success(.none))
        case let .listen(fd, b):
            try requireStack().listen(try socketOf(c, fd), backlog: b); reply(.success(.none))
        case let .shutdown(fd, how):
            let st = try requireStack(), s = try socketOf(c, fd)
            try st.shutdown(s, how: how)
            socketChanged(s)
            reply(.success(.none))
        case let .close(fd):
            let s = try socketOf(c, fd)
            if let st = stack, let ms = st.closeLingers(s) {
                // SO_LINGER with a time (soclose): the FIN is on its way; close returns when
                // the peer has acknowledged everything, or when the time is up.
                var closed = false
                let finish = { [unowned self] in
                    if !closed { closed = true; self.closeSocket(c, fd, s) }
                }
                park(c, on: [s], timeout: ms, reply: reply, onTimeout: { finish(); return .success(.none) }) {
                    guard st.lingerComplete(s) else { return .wait }
                    finish()
                    return .done(.success(.none))
                }
                return
            }
            closeSocket(c, fd, s)
            reply(.success(.none))
        case let .fcntl(fd, cmd, arg):
            guard var d = c.descriptors[fd] else { throw KernelError(.EBADF) }
            switch cmd {
            case NetBSD.F_GETFD: reply(.success(.value(d.descriptorFlags)))
            case NetBSD.F_SETFD:
                d.descriptorFlags = arg & NetBSD.FD_CLOEXEC
                c.descriptors[fd] = d
                reply(.success(.value(0)))
            case NetBSD.F_GETFL: reply(.success(.value(NetBSD.O_RDWR | d.statusFlags)))
            case NetBSD.F_SETFL:
                // Only the flags fcntl(2) may change (NetBSD's FCNTLFLAGS); the access mode stays.
                d.statusFlags = arg & NetBSD.fcntlSettableFlags
                c.descriptors[fd] = d
                reply(.success(.value(0)))
            default: throw KernelError(.EINVAL)
            }
        case let .setsockopt(fd, l, n, v):
            let st = try requireStack(), s = try socketOf(c, fd)
            try st.setOption(s, level: l, name: n, value: v)
            socketChanged(s)  // SO_RCVLOWAT, buffer sizes: readiness may differ
            reply(.success(.none))
        case let .getsockopt(fd, l, n, m):
            let st = try requireStack(), s = try socketOf(c, fd)
            let v = try st.getOption(s, level: l, name: n, maxLength: Int(min(m, 65536)))
            // Reading SO_ERROR clears it: POLLERR waiters see the change.
            if l == NetBSD.SOL_SOCKET && n == NetBSD.SO_ERROR { socketChanged(s) }
            reply(.success(.data(v)))
        case let .getsockname(fd): reply(.success(.address(try requireStack().localAddress(try socketOf(c, fd)))))
        case let .getpeername(fd): reply(.success(.address(try requireStack().peerAddress(try socketOf(c, fd)))))
        case let .connect(fd, a, timeout):
            let st = try requireStack(), s = try socketOf(c, fd)
            let t = sleepTimeout(c, fd, flags: 0, timeout)
            do {
                try st.connect(s, to: a)
                reply(.success(.none))
            } catch where error.errno == .EINPROGRESS && t != 0 {
                park(c, on: [s], timeout: t, reply: reply, onTimeout: { .failure(KernelError(.ETIMEDOUT)) }) {
                    let r = st.readiness(s)
                    guard r & (NetBSD.POLLOUT | NetBSD.POLLERR | NetBSD.POLLHUP) != 0 else { return .wait }
                    let so = (try? st.getOption(s, level: NetBSD.SOL_SOCKET, name: NetBSD.SO_ERROR, maxLength: 4)) ?? []
                    let e = so.count == 4 ? Int32(so[0]) | Int32(so[1]) << 8 | Int32(so[2]) << 16 | Int32(so[3]) << 24 : 0
                    return .done(e == 0 ? .success(.none) : .failure(KernelError(NetBSDErrno(rawValue: e))))
                }
            }
        case let .accept(fd, timeout):
            let st = try requireStack(), s = try socketOf(c, fd)
            park(c, on: [s], timeout: sleepTimeout(c, fd, flags: 0, timeout), reply: reply, onTimeout: { .failure(KernelError(.EAGAIN)) }) { [unowned self] in
                Self.retrying { () throws(KernelError) in
                    let (ns, peer) = try st.accept(s)
                    self.openSocketCount += 1
                    return .accepted(fd: c.allocate(ns), peer: peer)
                }
            }
        case let .send(fd, data, flags, timeout), let .sendto(fd, data, flags, _, timeout):
            var to: SocketAddress? = nil
            if case let .sendto(_, _, _, a, _) = request { to = a }
            let st = try requireStack(), s = try socketOf(c, fd)
            try sendAll(c, st, s, data, flags: flags, to: to, timeout: sleepTimeout(c, fd, flags: flags, timeout), reply: reply)
        case let .recv(fd, n, flags, timeout), let .recvfrom(fd, n, flags, timeout), let .recvmsg(fd, n, flags, timeout):
            let form: ReceiveForm
            switch request {
            case .recv: form = .data
            case .recvfrom: form = .dataFrom
            default: form = .message
            }
            let st = try requireStack(), s = try socketOf(c, fd)
            let maxLength = Int(min(n, Wire.maximumMessageSize - 1024))
            // The common case first, before forming the closures a parked call keeps (each an
            // allocation): data is there, or the call must not wait.
            let first = Self.retrying { () throws(KernelError) in try receive(st, s, maxLength: maxLength, flags: flags, form: form) }
            if case .done(let r) = first { reply(r); return }
            let t = sleepTimeout(c, fd, flags: flags, timeout)
            if t == 0 { reply(.failure(KernelError(.EAGAIN))); return }
            park(c, on: [s], timeout: t, tryFirst: false, reply: reply, onTimeout: { .failure(KernelError(.EAGAIN)) }) { [unowned self] in
                Self.retrying { () throws(KernelError) in try self.receive(st, s, maxLength: maxLength, flags: flags, form: form) }
            }
        case let .poll(items, timeout):
            let st = stack
            let check: () -> [PollItem] = {
                items.map { i in
                    var o = i
                    if let d = c.descriptors[i.fd], let st {
                        o.revents = st.readiness(d.socket) & (i.events | NetBSD.POLLERR | NetBSD.POLLHUP)
                    } else {
                        o.revents = NetBSD.POLLNVAL
                    }
                    return o
                }
            }
            var sockets: [SocketID] = []
            for i in items { if let d = c.descriptors[i.fd], !sockets.contains(d.socket) { sockets.append(d.socket) } }
            park(c, on: sockets, timeout: timeout, reply: reply, onTimeout: { .success(.poll(check())) }) {
                let r = check()
                return r.contains { $0.revents != 0 } ? .done(.success(.poll(r))) : .wait
            }

        case .ifList: reply(.success(.interfaces(try requireStack().interfaces())))
        case .ifGet(let name):
            guard let i = try requireStack().interfaces().first(where: { $0.name == name }) else { throw KernelError(.ENXIO) }
            reply(.success(.interfaces([i])))
        case .ifListCloners:
            guard components.contains(.rumpnet_net) else { throw KernelError(.EOPNOTSUPP) }
            reply(.success(.names(stack?.cloners() ?? componentCloners)))
        case .ifCreate(let name):
            guard components.contains(.rumpnet_net) else { throw KernelError(.EOPNOTSUPP) }
            // if_clone_lookup: no cloner of that name (its component not loaded) -> EINVAL.
            let cloner = String(name.prefix { !($0 >= "0" && $0 <= "9") })
            let unit = name.dropFirst(cloner.count)
            guard !cloner.isEmpty, !unit.isEmpty, unit.allSatisfy({ $0 >= "0" && $0 <= "9" }),
                  (stack?.cloners() ?? componentCloners).contains(cloner) else { throw KernelError(.EINVAL) }
            try requireStack().createInterface(name); reply(.success(.none))
        case .ifDestroy(let name): try requireStack().destroyInterface(name); reply(.success(.none))
        case let .ifSetFlags(n, s, cl): try requireStack().setInterfaceFlags(n, set: s, clear: cl); reply(.success(.none))
        case let .ifAddAddress(n, a, alias):
            let need: Component = a.address.family == .inet6 ? .rumpnet_netinet6 : .rumpnet_netinet
            guard components.contains(need) else { throw KernelError(.EAFNOSUPPORT) }
            try requireStack().addAddress(n, a, alias: alias); reply(.success(.none))
        case let .ifDeleteAddress(n, a): try requireStack().deleteAddress(n, a); reply(.success(.none))
        case let .ifSetMTU(n, m): try requireStack().setMTU(n, m); reply(.success(.none))
        case let .ifSetLinkstr(n, l): try requireStack().setLinkstr(n, l); reply(.success(.none))

        case .routeList(let f): reply(.success(.routes(try requireStack().routes(family: f))))
        case .routeAdd(let r): try requireStack().addRoute(r); reply(.success(.none))
        case .routeChange(let r): try requireStack().changeRoute(r); reply(.success(.none))
        case let .routeDelete(d, m): reply(.success(.routes([try requireStack().deleteRoute(destination: d, netmask: m)])))
        case .routeGet(let d): reply(.success(.routes([try requireStack().getRoute(destination: d)])))
        case .routeFlush(let f): reply(.success(.routes(try requireStack().flushRoutes(family: f))))

        case .arpList: reply(.success(.arp(try requireStack(.rumpnet_netinet).arpEntries())))
        case .arpSet(let e): try requireStack(.rumpnet_netinet).setArp(e); reply(.success(.none))
        case .arpDelete(let a): try requireStack(.rumpnet_netinet).deleteArp(a); reply(.success(.none))
        case .ndList: reply(.success(.neighbors(try requireStack(.rumpnet_netinet6).neighbors())))
        case .ndDelete(let a): try requireStack(.rumpnet_netinet6).deleteNeighbor(a); reply(.success(.none))
        case .ndPrefixes: reply(.success(.prefixes(try requireStack(.rumpnet_netinet6).prefixes())))
        case .ndRouters: reply(.success(.defaultRouters(try requireStack(.rumpnet_netinet6).defaultRouters())))
        case let .ndInterface(n, set, clear):
            reply(.success(.ndInterface(try requireStack(.rumpnet_netinet6).ndInterface(n, set: set, clear: clear))))
        case let .ndDefaultInterface(set, n):
            let st = try requireStack(.rumpnet_netinet6)
            if set { try st.setDefaultInterface6(n) }
            reply(.success(.names(st.defaultInterface6().map { [$0] } ?? [])))
        case .statistics: reply(.success(.counters(try requireStack().statistics())))
        case .socketList:
            _ = try requireStack(.rumpnet_netinet)
            reply(.success(.sockets(socketList())))
        case let .ifSetImpairment(n, words): try Self.impairing(requireStack()).setImpairment(n, words: words); reply(.success(.none))
        case .ifGetImpairment(let n): reply(.success(.names(try Self.impairing(requireStack()).impairment(n).map { [$0] } ?? [])))
        case .ifImpairmentCounters(let n): reply(.success(.counters(try Self.impairing(requireStack()).impairmentCounters(n))))
        case let .ifSetLinkState(n, up): try Self.impairing(requireStack()).setLinkState(n, up: up); reply(.success(.none))
        case .ifCaptureOpen(let r): try openCapture(r, stack: requireStack(), from: c, reply: reply)
        case let .ifCaptureRead(s, m, t, close): try readCapture(session: s, maxBytes: m, timeout: t, close: close, from: c, reply: reply)

        case .sysctlGet, .sysctlSet, .sysctlList, .halt, .file:
            break  // handled in handle(_:from:reply:)
        }
    }

    /// EAGAIN means "not yet": keep waiting.
    static func retrying(_ body: () throws(KernelError) -> Reply) -> PendingCall.Attempt {
        do { return .done(.success(try body())) } catch {
            return error.errno == .EAGAIN ? .wait : .done(.failure(error))
        }
    }

    enum ReceiveForm { case data, dataFrom, message }

    /// One receive into the kernel's reused buffer: the reply carries that buffer, encoded into
    /// the connection's output before the next receive, so a datagram costs no allocation.
    private func receive(_ st: any NetworkStack, _ s: SocketID, maxLength: Int, flags: Int32, form: ReceiveForm) throws(KernelError) -> Reply {
        var buffer = receiveBuffer
        receiveBuffer = []  // our reference gone: `buffer` is unique, so no copy on write
        defer { receiveBuffer = buffer }
        let r = try st.receive(s, into: &buffer, maxLength: maxLength, flags: flags)
        switch form {
        case .data: return .data(buffer)
        case .dataFrom: return .dataFrom(buffer, from: r.from ?? .unspec)
        case .message:
            if let h = r.hopLimit { return .message6(buffer, from: r.from, flags: r.flags, hopLimit: h) }
            return .message(buffer, from: r.from, flags: r.flags)
        }
    }

    /// A blocking send completes fully or fails: what the stack takes now is sent, the rest
    /// waits for room. A timeout after part was sent answers the part (as NetBSD's sosend
    /// does with SO_SNDTIMEO); before any, EWOULDBLOCK.
    private func sendAll(_ c: ClientContext, _ st: any NetworkStack, _ s: SocketID, _ data: [UInt8], flags: Int32, to: SocketAddress?,
                         timeout: Int32, reply: @escaping (Result<Reply, KernelError>) -> Void) throws(KernelError) {
        // The common case (it all fits now) without the closures and the box a parked send needs.
        // Behind a parked send nothing is tried now: its rest goes first (pipelined sends on a
        // stream would otherwise interleave when room appears between two requests).
        var sentNow = 0
        let behind = waits.hasParkedSend(s)
        if !behind, case .done(let r) = Self.sendSome(st, s, data, sent: &sentNow, flags: flags, to: to) { reply(r); return }
        if timeout == 0 {
            if behind { reply(.failure(KernelError(.EAGAIN))); return }
            reply(sentNow > 0 ? .success(.count(UInt32(sentNow))) : .failure(KernelError(.EAGAIN))); return
        }
        final class Progress { var sent: Int; init(_ n: Int) { sent = n } }
        let progress = Progress(sentNow)
        park(c, on: [s], timeout: timeout, tryFirst: false, isSend: true, reply: reply,
             onTimeout: { progress.sent > 0 ? .success(.count(UInt32(progress.sent))) : .failure(KernelError(.EAGAIN)) }) {
            Self.sendSome(st, s, data, sent: &progress.sent, flags: flags, to: to)
        }
    }

    /// Sends what the stack takes of `data[sent...]`, advancing `sent`: done when all is sent
    /// or on an error, wait when the stack has no room.
    private static func sendSome(_ st: any NetworkStack, _ s: SocketID, _ data: [UInt8], sent: inout Int, flags: Int32, to: SocketAddress?) -> PendingCall.Attempt {
        do throws(KernelError) {
            while true {
                let offset = sent
                let n = try data.withUnsafeBytes { b in
                    Result { () throws(KernelError) in try st.send(s, UnsafeRawBufferPointer(rebasing: b[offset...]), flags: flags, to: to) }
                }.get()
                sent += n
                if sent >= data.count { return .done(.success(.count(UInt32(sent)))) }
                if n == 0 { return .wait }
            }
        } catch {
            if error.errno == .EAGAIN { return .wait }
            return .done(sent > 0 ? .success(.count(UInt32(sent))) : .failure(error))
        }
    }

    /// Tries `attempt` now (unless the caller just did); if it must wait, parks it on the wait
    /// queues of `sockets` until it completes, the timeout (ms; -1 = none, 0 = do not wait)
    /// passes, or the client goes away.
    func park(_ c: ClientContext, on sockets: [SocketID], timeout: Int32, tryFirst: Bool = true, isSend: Bool = false,
              reply: @escaping (Result<Reply, KernelError>) -> Void,
              onTimeout: @escaping () -> Result<Reply, KernelError>, attempt: @escaping () -> PendingCall.Attempt) {
        if tryFirst, case .done(let r) = attempt() { reply(r); return }
        if timeout == 0 { reply(onTimeout()); return }
        let p = PendingCall(client: c, sockets: sockets, attempt: attempt, onTimeout: onTimeout, reply: reply)
        p.isSend = isSend
        if timeout > 0 {
            // Strong captures: `finish` cancels the timer, which drops this closure.
            p.timer = loop.addTimer(deadline: loop.currentTime + UInt64(timeout) * 1_000_000) { [self, p] in
                guard !p.finished else { return }
                p.timer = nil
                self.finish(p)
                p.reply(p.onTimeout())
                // Sends queued behind this one may go now.
                if p.isSend { for s in p.sockets { self.socketChanged(s) } }
            }
        }
        waits.enqueue(p)
        c.parked[ObjectIdentifier(p)] = p
    }

    /// Takes a parked call off its queues and its client, and cancels its timer.
    private func finish(_ p: PendingCall) {
        if let t = p.timer { loop.cancelTimer(t); p.timer = nil }
        waits.remove(p)
        p.client.parked[ObjectIdentifier(p)] = nil
    }

    /// Retries the waiters of every socket that changed, oldest first; a waiter that finishes
    /// leaves all its queues (a poll over several sockets answers once).
    private func wakeChanged() {
        for s in waits.takeChanged() {
            for p in waits.waiters(s) where !p.finished && p.client.alive {
                waits.countAttempt()
                if case .done(let r) = p.attempt() {
                    finish(p)
                    p.reply(r)
                }
            }
        }
    }
}
