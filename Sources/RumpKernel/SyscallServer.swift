#if canImport(Glibc)
import Glibc
#endif
import CKernelShim
import RumpProtocol
import ToolSupport

/// Accepts clients on the listening socket and runs the protocol for each: hello, then
/// requests in, responses out. All on the kernel's event loop. A connection that breaks
/// the protocol (garbage, an oversized length, a bad hello) or goes away is closed and its
/// state dropped; nothing else is affected.
///
/// What a hostile or careless client cannot do (docs/kernel.md, "What a server survives"):
/// connect as another user (the peer's uid must be the server's or root's), hold a
/// descriptor without saying hello for longer than `ServerLimits.helloTimeout`, open more
/// than `ServerLimits.maximumConnections` connections, or make the accept loop spin when
/// the process is out of descriptors (the listener pauses for `acceptBackoff`).
public final class SyscallServer {
    public let kernel: Kernel
    public let url: ServerURL
    let listenFD: Int32
    private var listenWatch: EventLoop.WatchID?
    private var connections: [Int: Connection] = [:]
    public let limits: ServerLimits
    /// Accepts refused (another uid, over the cap) and connections closed for saying no hello.
    public private(set) var refusedPeers = 0
    public private(set) var refusedOverCap = 0
    public private(set) var helloTimeouts = 0
    /// Times the listener paused because accept ran out of descriptors.
    public private(set) var acceptBackoffs = 0
    private var acceptPaused = false
    private let ownerUID = geteuid()
    /// Bytes a client may leave unread before we give up on it.
    static let maximumOutputBacklog = 16 << 20
    /// Every connection's reads go through this one buffer (one loop thread, one read at a
    /// time); the server lives as long as the process, so it is never freed.
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    /// Connections with replies to write at the end of this loop turn.
    private var unflushed: [Connection] = []
    private let gather = GatherWriter()

    final class Connection {
        let fd: Int32
        let client: ClientContext
        var watch: EventLoop.WatchID = 0
        var decoder = FrameDecoder()
        var output: [UInt8] = []
        var greeted = false
        var closeAfterFlush = false
        var flushScheduled = false
        var helloTimer: EventLoop.TimerID?
        init(fd: Int32, client: ClientContext) { self.fd = fd; self.client = client }
    }

    /// Binds and listens. A stale unix socket file (nobody accepting on it) is replaced;
    /// a live one gives EADDRINUSE.
    public init(kernel: Kernel, url: ServerURL, limits: ServerLimits = ServerLimits()) throws(KernelError) {
        self.kernel = kernel
        self.url = url
        self.limits = limits
        var fd: Int32
        switch url {
        case .unix(let path):
            fd = ck_listen_unix(path, 64)
            if fd == -EADDRINUSE {
                let probe = ck_connect_unix(path)
                if probe >= 0 { Glibc.close(probe) } else if probe == -ECONNREFUSED {
                    unlink(path)
                    fd = ck_listen_unix(path, 64)
                }
            }
        case .tcp(let a, let port):
            let be = UInt32(a[0]) | UInt32(a[1]) << 8 | UInt32(a[2]) << 16 | UInt32(a[3]) << 24
            fd = ck_listen_tcp(be, port, 64)
        }
        guard fd >= 0 else { throw KernelError(NetBSDErrno(linux: -fd)) }
        listenFD = fd
    }

    /// Starts accepting on the kernel's loop.
    public func start() {
        listenWatch = kernel.loop.watch(fd: listenFD, events: Int16(POLLIN)) { [unowned self] _ in self.acceptAll() }
    }

    /// Closes every connection and the listening socket; removes the unix socket file.
    public func shutdown() {
        for c in Array(connections.values) {
            flush(c)
            close(c)
        }
        if let w = listenWatch { kernel.loop.unwatch(w) }
        Glibc.close(listenFD)
        if case .unix(let path) = url { unlink(path) }
    }

    private func acceptAll() {
        // Bounded per wakeup, so a connect flood cannot starve the connections we have.
        for _ in 0..<64 {
            let fd = ck_accept(listenFD)
            if fd < 0 {
                if fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM { pauseAccepting(errno: -fd) }
                return  // EAGAIN, ECONNABORTED: the next wakeup
            }
            guard admit(fd) else { Glibc.close(fd); continue }
            let c = Connection(fd: fd, client: kernel.newClient())
            connections[c.client.id] = c
            c.watch = kernel.loop.watch(fd: fd, events: Int16(POLLIN)) { [unowned self, unowned c] revents in
                self.ready(c, revents)
            }
            c.helloTimer = kernel.loop.addTimer(deadline: kernel.now() &+ limits.helloTimeoutNanoseconds) { [unowned self, weak c] in
                guard let c, !c.greeted else { return }
                c.helloTimer = nil
                self.helloTimeouts += 1
                self.close(c)
            }
        }
    }

    /// The owner check and the cap, at accept (docs/kernel.md, "Who may connect").
    private func admit(_ fd: Int32) -> Bool {
        if connections.count >= limits.maximumConnections {
            refusedOverCap += 1
            if refusedOverCap == 1 || refusedOverCap % 100 == 0 {
                printErr("rump_server: \(connections.count) connections open, the most allowed: refusing \(Self.describe(fd)) (\(refusedOverCap) refused)")
            }
            return false
        }
        var pid: Int32 = 0
        let uid = ck_peer_uid(fd, &pid)
        if uid == Int(CK_PEER_REMOTE) {
            // Listening beyond loopback was asked for explicitly (RUMPNET_ALLOW_REMOTE).
            return true
        }
        if uid >= 0 && (uid_t(uid) == ownerUID || uid == 0) { return true }
        refusedPeers += 1
        let who = uid >= 0 ? "uid \(uid)" : "an unknown user"
        let allowed = ownerUID == 0 ? "only root" : "only uid \(ownerUID) or root"
        printErr("rump_server: refused connection from \(who) (\(Self.describe(fd))): \(allowed) may use this kernel")
        return false
    }

    private static func describe(_ fd: Int32) -> String {
        var buf = [CChar](repeating: 0, count: 96)
        ck_peer_describe(fd, &buf, Int32(buf.count))
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Out of descriptors: poll would report the pending connection again at once, so stop
    /// watching the listener for a while instead of spinning on EMFILE.
    private func pauseAccepting(errno e: Int32) {
        guard !acceptPaused, let w = listenWatch else { return }
        acceptPaused = true
        acceptBackoffs += 1
        if acceptBackoffs == 1 || acceptBackoffs % 100 == 0 {
            printErr("rump_server: accept: \(NetBSDErrno(linux: e).strerror); not accepting for \(limits.acceptBackoffNanoseconds / 1_000_000) ms (\(acceptBackoffs) times)")
        }
        kernel.loop.setEvents(w, 0)
        _ = kernel.loop.addTimer(deadline: kernel.now() &+ limits.acceptBackoffNanoseconds) { [weak self] in
            guard let self, self.acceptPaused, let w = self.listenWatch else { return }
            self.acceptPaused = false
            self.kernel.loop.setEvents(w, Int16(POLLIN))
        }
    }

    private func ready(_ c: Connection, _ revents: Int16) {
        if revents & Int16(POLLOUT) != 0 { flush(c) }
        if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { readInput(c) }
    }

    private func readInput(_ c: Connection) {
        let buf = readBuffer
        // A bounded number of reads per wakeup, so one flooding client cannot starve the
        // others: poll is level-triggered and brings us back.
        for _ in 0..<8 where c.client.alive {
            let n = Glibc.read(c.fd, buf.baseAddress, buf.count)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return }
                close(c); return
            }
            if n == 0 { close(c); return }
            c.decoder.append(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
            do {
                var first = true
                while c.client.alive, !c.closeAfterFlush, let body = try c.decoder.next() {
                    // What a request set going runs before the next request of the same read,
                    // as a system call's work is done before the next call: a sendto's frame
                    // reaches a co-hosted kernel and its answer comes back before the recvfrom
                    // pipelined behind it, which then finds the reply instead of parking.
                    if !first { kernel.loop.runDeferredWork() }
                    first = false
                    process(c, body)
                }
            } catch {
                close(c); return
            }
            if c.closeAfterFlush { return }
            // A short read emptied the socket: another read would only say EAGAIN (a system
            // call per request); poll is level-triggered and brings us back for more.
            if n < buf.count { return }
        }
    }

    private func process(_ c: Connection, _ body: [UInt8]) {
        let m: Message
        do {
            m = try Message.decode(body: body)
        } catch let e as RequestDecodingError where c.greeted {
            // The frame was intact, so the stream is still in step: answer and carry on.
            let errno: NetBSDErrno = if case .unknownOpcode = e.error { .ENOSYS } else { .EINVAL }
            send(c, .response(id: e.id, opcode: e.opcode, result: .failure(KernelError(errno, message: e.error.description))))
            return
        } catch {
            close(c); return
        }
        switch m {
        case .clientHello(let h) where !c.greeted:
            let lo = max(h.minVersion, ProtocolVersion.minimum), hi = min(h.maxVersion, ProtocolVersion.maximum)
            let version: UInt16 = lo <= hi ? hi : 0
            c.client.name = h.clientName
            c.client.pid = h.clientPID
            send(c, .serverHello(ServerHello(version: version, identity: "rumpnet-lab rump_server (NetBSD \(Kernel.osrelease))",
                                             hostname: kernel.hostname, serverPID: getpid(),
                                             components: kernel.components.sorted().map(\.rawValue))))
            if version == 0 { c.closeAfterFlush = true; flush(c) } else { c.greeted = true }
            if let t = c.helloTimer { kernel.loop.cancelTimer(t); c.helloTimer = nil }
        case .request(let id, let q) where c.greeted:
            let op = q.opcode.rawValue
            // Strong captures: a reply closure lives only as long as its call (a parked call
            // goes when its client does), and weak references would move the server's and the
            // connection's reference counts to a side table, slowing every retain on this path.
            kernel.handle(q, from: c.client) { result in
                guard c.client.alive else { return }
                self.send(c, .response(id: id, opcode: op, result: result))
            }
        default:
            close(c)  // out of order: requests before hello, a second hello, server messages
        }
    }

    /// Replies whose bulk data is at least this long leave by their own gather `sendmsg`
    /// (no copy into the output); smaller ones are appended to the connection's output and
    /// leave together at the end of the loop turn: one system call for a turn's replies.
    static let gatherThreshold = 512
    /// Output past this is written at once rather than at the end of the turn.
    static let coalesceLimit = 64 * 1024

    private func send(_ c: Connection, _ m: Message) {
        guard c.client.alive else { return }
        if m.bulkLength >= Self.gatherThreshold {
            // Received bytes go out without a copy into the output when nothing is queued before them.
            if !c.output.isEmpty { flush(c) }
            if c.output.isEmpty, gather.write(m, to: c.fd, output: &c.output) {
                if !c.output.isEmpty { flush(c) }
                return
            }
        }
        m.encodeFrame(appendingTo: &c.output)
        if c.output.count > Self.maximumOutputBacklog { close(c); return }
        if c.output.count >= Self.coalesceLimit { flush(c); return }
        scheduleFlush(c)
    }

    /// One flush at the end of the loop turn, however many replies the turn produced: after the
    /// turn's deferred work, so a reply to a send and the answer that the send brought back in
    /// the same turn (a co-hosted kernel's echo reply to a parked recvfrom) leave in one write
    /// and wake the client once.
    private func scheduleFlush(_ c: Connection) {
        guard !c.flushScheduled else { return }
        c.flushScheduled = true
        // A strong capture: a server removed in this turn (its kernel halted) still flushes.
        if unflushed.isEmpty { kernel.loop.atTurnEnd { self.flushTurn() } }
        unflushed.append(c)
    }

    /// The turn's end: every connection with replies queued in it, in the order they came.
    private func flushTurn() {
        var cs = spareUnflushed
        spareUnflushed = []
        swap(&cs, &unflushed)
        for c in cs {
            c.flushScheduled = false
            flush(c)
        }
        cs.removeAll(keepingCapacity: true)
        spareUnflushed = cs
    }
    private var spareUnflushed: [Connection] = []

    private func flush(_ c: Connection) {
        guard c.client.alive else { return }
        var off = 0
        while off < c.output.count {
            let n = c.output.withUnsafeBytes { Glibc.send(c.fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                close(c); return
            }
            off += n
        }
        c.output.removeFirst(off)
        if c.output.isEmpty && c.closeAfterFlush { close(c); return }
        kernel.loop.setEvents(c.watch, Int16(c.output.isEmpty ? POLLIN : POLLIN | POLLOUT))
    }

    private func close(_ c: Connection) {
        guard c.client.alive else { return }
        kernel.clientGone(c.client)
        kernel.loop.unwatch(c.watch)
        if let t = c.helloTimer { kernel.loop.cancelTimer(t); c.helloTimer = nil }
        Glibc.close(c.fd)
        connections[c.client.id] = nil
    }

    /// Open client connections (for tests and diagnostics).
    public var connectionCount: Int { connections.count }
}

/// The server's bounds on its clients (docs/kernel.md, "What a server survives").
public struct ServerLimits: Sendable {
    /// A connection that has not said hello by then is closed (10 s; RUMPNET_HELLO_TIMEOUT,
    /// in seconds, changes it).
    public var helloTimeoutNanoseconds: UInt64 = 10_000_000_000
    /// Connections open at once; more are accepted and closed at once, with a log line.
    public var maximumConnections = 256
    /// How long the listener rests after accept ran out of descriptors (EMFILE, ENFILE).
    public var acceptBackoffNanoseconds: UInt64 = 100_000_000

    public init() {}

    /// The defaults, with RUMPNET_HELLO_TIMEOUT (seconds, a decimal) and
    /// RUMPNET_MAX_CONNECTIONS (1...65536) from the environment when they parse; a value
    /// that does not parse is reported (the message names the variable) and not used.
    public static func fromEnvironment(program: String) -> (ServerLimits, [String]) {
        var l = ServerLimits()
        var warnings: [String] = []
        if let v = getenv("RUMPNET_HELLO_TIMEOUT").map({ String(cString: $0) }) {
            if let s = Double(v), s > 0, s <= 86_400 { l.helloTimeoutNanoseconds = UInt64(s * 1e9) }
            else { warnings.append("\(program): RUMPNET_HELLO_TIMEOUT=\(v): expected seconds in (0, 86400]; using 10") }
        }
        if let v = getenv("RUMPNET_MAX_CONNECTIONS").map({ String(cString: $0) }) {
            if let n = Int(v), n >= 1, n <= 65536 { l.maximumConnections = n }
            else { warnings.append("\(program): RUMPNET_MAX_CONNECTIONS=\(v): expected 1...65536; using 256") }
        }
        return (l, warnings)
    }
}
