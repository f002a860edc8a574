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
    public init(components: Set<Component>, ncpu: Int? = nil, physmem: Int64? = nil, verbose: Bool = false) {
        self.components = components
        self.ncpu = ncpu ?? max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        self.physmem = physmem ?? 536_870_912
        self.verbose = verbose
    }
}

/// One client connection as the kernel sees it: a process with its own descriptor table.
public final class ClientContext {
    public let id: Int
    public var name = ""
    public var pid: Int32 = 0
    /// Client descriptor number -> the stack's socket.
    var descriptors: [Int32: SocketID] = [:]
    /// Client descriptor number -> open file (Kernel+VFS.swift); numbers unique across both tables.
    var files: [Int32: OpenFile] = [:]
    var alive = true

    init(id: Int) { self.id = id }

    /// fdalloc: the lowest free number, as NetBSD gives.
    func allocate(_ s: SocketID) -> Int32 {
        var fd: Int32 = 0
        while descriptors[fd] != nil || files[fd] != nil { fd += 1 }
        descriptors[fd] = s
        return fd
    }
}

/// A call that could not finish at once (recv with no data, accept with no connection,
/// connect in progress, poll with nothing ready). Retried when the stack reports a change.
final class PendingCall {
    enum Attempt { case done(Result<Reply, KernelError>), wait }
    let client: ClientContext
    let attempt: () -> Attempt
    let onTimeout: () -> Result<Reply, KernelError>
    let reply: (Result<Reply, KernelError>) -> Void
    var timer: EventLoop.TimerID?
    var finished = false
    init(client: ClientContext, attempt: @escaping () -> Attempt, onTimeout: @escaping () -> Result<Reply, KernelError>,
         reply: @escaping (Result<Reply, KernelError>) -> Void) {
        self.client = client; self.attempt = attempt; self.onTimeout = onTimeout; self.reply = reply
    }
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
    private var pending: [PendingCall] = []
    private var retryScheduled = false
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
        self.bootMonotonic = EventLoop.now()
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

    public func now() -> UInt64 { EventLoop.now() }
    public func addTimer(deadline: UInt64, _ fire: @escaping () -> Void) -> EventLoop.TimerID { loop.addTimer(deadline: deadline, fire) }
    public func cancelTimer(_ id: EventLoop.TimerID) { loop.cancelTimer(id) }
    public func watch(fd: Int32, events: Int16, _ handler: @escaping (Int16) -> Void) -> EventLoop.WatchID {
        loop.watch(fd: fd, events: events, handler)
    }
    public func setEvents(_ id: EventLoop.WatchID, _ events: Int16) { loop.setEvents(id, events) }
    public func unwatch(_ id: EventLoop.WatchID) { loop.unwatch(id) }
    public func socketsChanged() {
        guard !retryScheduled else { return }
        retryScheduled = true
        loop.soon { [weak self] in self?.retryPending() }
    }

    // MARK: Clients

    public func newClient() -> ClientContext {
        defer { nextClientID += 1 }
        return ClientContext(id: nextClientID)
    }

    /// A client went away (closed, died, sent garbage): drop its calls, close its sockets.
    public func clientGone(_ c: ClientContext) {
        c.alive = false
        for p in pending where p.client === c {
            p.finished = true
            if let t = p.timer { loop.cancelTimer(t) }
        }
        pending.removeAll { $0.client === c }
        closeFiles(of: c)
        for (_, s) in c.descriptors { stack?.close(s) }
        c.descriptors.removeAll()
    }

    /// Stops the kernel: detaches the stack and calls `onHalt` (the server then exits).
    public func halt() {
        guard !halted else { return }
        halted = true
        for p in pending { if let t = p.timer { loop.cancelTimer(t) } }
        pending.removeAll()
        stack?.detach()
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
                loop.soon { [weak self] in self?.halt() }
            case .file(let f): try handleFile(f, from: c, reply: reply)
            case .close(let fd) where c.files[fd] != nil: try closeFile(fd, of: c); reply(.success(.none))
            default:
                try handleNetwork(request, from: c, reply: reply)
            }
        } catch {
            reply(.failure(error))
        }
    }

    private func requireStack(_ needed: Component = .rumpnet_net) throws(KernelError) -> any NetworkStack {
        guard components.contains(.rumpnet) else { throw KernelError(.ENOSYS) }
        guard components.contains(needed) else { throw KernelError(.EOPNOTSUPP) }
        // Components loaded but no stack linked in (the stack lands in another branch).
        guard let stack else { throw KernelError(.EOPNOTSUPP) }
        return stack
    }

    private func socketOf(_ c: ClientContext, _ fd: Int32) throws(KernelError) -> SocketID {
        guard let s = c.descriptors[fd] else { throw KernelError(.EBADF) }
        return s
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
            reply(.success(.fd(c.allocate(s))))
        case let .bind(fd, a):
            try requireStack().bind(try socketOf(c, fd), to: a); reply(.success(.none))
        case let .listen(fd, b):
            try requireStack().listen(try socketOf(c, fd), backlog: b); reply(.success(.none))
        case let .shutdown(fd, how):
            try requireStack().shutdown(try socketOf(c, fd), how: how); reply(.success(.none))
        case let .close(fd):
            let s = try socketOf(c, fd)
            c.descriptors[fd] = nil
            stack?.close(s)
            reply(.success(.none))
        case let .setsockopt(fd, l, n, v):
            try requireStack().setOption(try socketOf(c, fd), level: l, name: n, value: v); reply(.success(.none))
        case let .getsockopt(fd, l, n, m):
            reply(.success(.data(try requireStack().getOption(try socketOf(c, fd), level: l, name: n, maxLength: Int(min(m, 65536))))))
        case let .getsockname(fd): reply(.success(.address(try requireStack().localAddress(try socketOf(c, fd)))))
        case let .getpeername(fd): reply(.success(.address(try requireStack().peerAddress(try socketOf(c, fd)))))
        case let .connect(fd, a, timeout):
            let st = try requireStack(), s = try socketOf(c, fd)
            do {
                try st.connect(s, to: a)
                reply(.success(.none))
            } catch where error.errno == .EINPROGRESS && timeout != 0 {
                park(c, timeout: timeout, reply: reply, onTimeout: { .failure(KernelError(.ETIMEDOUT)) }) {
                    let r = st.readiness(s)
                    guard r & (NetBSD.POLLOUT | NetBSD.POLLERR | NetBSD.POLLHUP) != 0 else { return .wait }
                    let so = (try? st.getOption(s, level: NetBSD.SOL_SOCKET, name: NetBSD.SO_ERROR, maxLength: 4)) ?? []
                    let e = so.count == 4 ? Int32(so[0]) | Int32(so[1]) << 8 | Int32(so[2]) << 16 | Int32(so[3]) << 24 : 0
                    return .done(e == 0 ? .success(.none) : .failure(KernelError(NetBSDErrno(rawValue: e))))
                }
            }
        case let .accept(fd, timeout):
            let st = try requireStack(), s = try socketOf(c, fd)
            park(c, timeout: timeout, reply: reply, onTimeout: { .failure(KernelError(.EAGAIN)) }) {
                Self.retrying { () throws(KernelError) in
                    let (ns, peer) = try st.accept(s)
                    return .accepted(fd: c.allocate(ns), peer: peer)
                }
            }
        case let .send(fd, data, flags, timeout), let .sendto(fd, data, flags, _, timeout):
            var to: SockAddr? = nil
            if case let .sendto(_, _, _, a, _) = request { to = a }
            let st = try requireStack(), s = try socketOf(c, fd)
            let t = flags & NetBSD.MSG_DONTWAIT != 0 ? 0 : timeout
            park(c, timeout: t, reply: reply, onTimeout: { .failure(KernelError(.EAGAIN)) }) {
                Self.retrying { () throws(KernelError) in .count(UInt32(try st.send(s, data, flags: flags, to: to))) }
            }
        case let .recv(fd, n, flags, timeout), let .recvfrom(fd, n, flags, timeout):
            var from = false
            if case .recvfrom = request { from = true }
            let st = try requireStack(), s = try socketOf(c, fd)
            let t = flags & NetBSD.MSG_DONTWAIT != 0 ? 0 : timeout
            let maxLength = Int(min(n, Wire.maximumMessageSize - 1024))
            park(c, timeout: t, reply: reply, onTimeout: { .failure(KernelError(.EAGAIN)) }) {
                Self.retrying { () throws(KernelError) in
                    let (d, a) = try st.receive(s, maxLength: maxLength, flags: flags)
                    return from ? .dataFrom(d, from: a ?? SockAddr(family: NetBSD.AF_UNSPEC, address: [])) : .data(d)
                }
            }
        case let .poll(items, timeout):
            let st = stack
            let check: () -> [PollItem] = {
                items.map { i in
                    var o = i
                    if let s = c.descriptors[i.fd], let st {
                        let r = st.readiness(s)
                        o.revents = r & (i.events | NetBSD.POLLERR | NetBSD.POLLHUP)
                    } else {
                        o.revents = NetBSD.POLLNVAL
                    }
                    return o
                }
            }
            park(c, timeout: timeout, reply: reply, onTimeout: { .success(.poll(check())) }) {
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
            let need: Component = a.address.family == NetBSD.AF_INET6 ? .rumpnet_netinet6 : .rumpnet_netinet
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
        case .statistics: reply(.success(.counters(try requireStack().statistics())))

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

    /// Tries `attempt` now; if it must wait, parks it until it completes, the timeout
    /// (ms; -1 = none, 0 = do not wait) passes, or the client goes away.
    func park(_ c: ClientContext, timeout: Int32, reply: @escaping (Result<Reply, KernelError>) -> Void,
              onTimeout: @escaping () -> Result<Reply, KernelError>, attempt: @escaping () -> PendingCall.Attempt) {
        if case .done(let r) = attempt() { reply(r); return }
        if timeout == 0 { reply(onTimeout()); return }
        let p = PendingCall(client: c, attempt: attempt, onTimeout: onTimeout, reply: reply)
        if timeout > 0 {
            p.timer = loop.addTimer(deadline: EventLoop.now() + UInt64(timeout) * 1_000_000) { [weak self, weak p] in
                guard let self, let p, !p.finished else { return }
                p.finished = true
                self.pending.removeAll { $0 === p }
                p.reply(p.onTimeout())
            }
        }
        pending.append(p)
    }

    private func retryPending() {
        retryScheduled = false
        for p in pending where !p.finished && p.client.alive {
            if case .done(let r) = p.attempt() {
                p.finished = true
                if let t = p.timer { loop.cancelTimer(t) }
                p.reply(r)
            }
        }
        pending.removeAll { $0.finished }
    }
}
