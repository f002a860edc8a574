#if canImport(Glibc)
import Glibc
#endif
import CKernelShim
import RumpProtocol

/// Accepts clients on the listening socket and runs the protocol for each: hello, then
/// requests in, responses out. All on the kernel's event loop. A connection that breaks
/// the protocol (garbage, an oversized length, a bad hello) or goes away is closed and its
/// state dropped; nothing else is affected.
public final class SyscallServer {
    public let kernel: Kernel
    public let url: ServerURL
    let listenFD: Int32
    private var listenWatch: EventLoop.WatchID?
    private var connections: [Int: Connection] = [:]
    /// Bytes a client may leave unread before we give up on it.
    static let maximumOutputBacklog = 16 << 20
    /// Every connection's reads go through this one buffer (one loop thread, one read at a
    /// time); the server lives as long as the process, so it is never freed.
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    private let gather = GatherWriter()

    final class Connection {
        let fd: Int32
        let client: ClientContext
        var watch: EventLoop.WatchID = 0
        var decoder = FrameDecoder()
        var output: [UInt8] = []
        var greeted = false
        var closeAfterFlush = false
        init(fd: Int32, client: ClientContext) { self.fd = fd; self.client = client }
    }

    /// Binds and listens. A stale unix socket file (nobody accepting on it) is replaced;
    /// a live one gives EADDRINUSE.
    public init(kernel: Kernel, url: ServerURL) throws(KernelError) {
        self.kernel = kernel
        self.url = url
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
        while true {
            let fd = ck_accept(listenFD)
            if fd < 0 { return }  // EAGAIN, or a transient error (EMFILE, ECONNABORTED): try again on the next wakeup
            let c = Connection(fd: fd, client: kernel.newClient())
            connections[c.client.id] = c
            c.watch = kernel.loop.watch(fd: fd, events: Int16(POLLIN)) { [unowned self, unowned c] revents in
                self.ready(c, revents)
            }
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
                while c.client.alive, !c.closeAfterFlush, let body = try c.decoder.next() {
                    process(c, body)
                }
            } catch {
                close(c); return
            }
            if c.closeAfterFlush { return }
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
        case .request(let id, let q) where c.greeted:
            let op = q.opcode.rawValue
            kernel.handle(q, from: c.client) { [weak self, weak c] result in
                guard let self, let c, c.client.alive else { return }
                self.send(c, .response(id: id, opcode: op, result: result))
            }
        default:
            close(c)  // out of order: requests before hello, a second hello, server messages
        }
    }

    private func send(_ c: Connection, _ m: Message) {
        // Received bytes go out without a copy into the output when nothing is queued before them.
        if c.output.isEmpty, c.client.alive, gather.write(m, to: c.fd, output: &c.output) {
            if !c.output.isEmpty { flush(c) }
            return
        }
        m.encodeFrame(appendingTo: &c.output)
        if c.output.count > Self.maximumOutputBacklog { close(c); return }
        flush(c)
    }

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
        Glibc.close(c.fd)
        connections[c.client.id] = nil
    }

    /// Open client connections (for tests and diagnostics).
    public var connectionCount: Int { connections.count }
}
