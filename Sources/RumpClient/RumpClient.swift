#if canImport(Glibc)
import Glibc
#endif
import CKernelShim
import RumpProtocol
import ToolSupport

/// Why a client could not reach or talk to its server.
public enum ClientError: Error, Sendable, CustomStringConvertible {
    /// RUMP_SERVER unset: rumpclient prints "error: RUMP_SERVER not set".
    case serverNotSet
    case badURL(ServerURL.ParseError)
    case connect(NetBSDErrno)
    case handshake(String)
    /// The connection broke or the server sent something unreadable during a call.
    case transport(String)
    /// The server accepted the connection (or the call) but did not answer within the
    /// client's timeout: a stopped process, a wedged kernel, a listener that is no kernel.
    case timedOut(seconds: Double)

    public var description: String {
        switch self {
        case .serverNotSet: return "RUMP_SERVER not set"
        case .badURL(let e): return e.messages.joined(separator: "\n")
        case .connect(let e): return "connect: \(e.strerror)\(Self.hint(e).map { " (\($0))" } ?? "")"
        case .handshake(let s): return "handshake: \(s)"
        case .transport(let s): return s
        case .timedOut(let s): return "no answer within \(Self.seconds(s)) s"
        }
    }

    /// What a connect errno means for a rump server URL, in words a user acts on.
    static func hint(_ e: NetBSDErrno) -> String? {
        switch e {
        case .ENOENT: return "no socket: is the kernel server running?"
        case .ECONNREFUSED: return "nothing listens there"
        case .EACCES, .EPERM: return "the socket's permissions do not allow it"
        case .ENAMETOOLONG: return "a unix socket path holds at most \(ServerURL.sunPathSize - 1) bytes"
        default: return nil
        }
    }

    /// Seconds with one decimal ("2.0"), or more when needed ("0.25").
    static func seconds(_ s: Double) -> String {
        let tenths = (s * 10).rounded()
        if abs(s * 10 - tenths) < 1e-9 { return "\(Int(tenths) / 10).\(Int(tenths) % 10)" }
        return "\(s)"
    }
}

/// A synchronous connection to one rump kernel: one request at a time, replies matched by id.
/// Not shared between threads (utilities are single-threaded).
///
/// Every wait has a deadline (docs/TOPOLOGY.md, "Timeouts"): connecting and the
/// hello get `timeout` seconds; a call gets `timeout` seconds beyond the time the call itself
/// asks the kernel to wait (a recvfrom with a 5 s timeout may take 5 s + `timeout`); a call
/// that asks to wait for ever is never cut. nil waits for ever everywhere.
public final class RumpClient {
    public let url: ServerURL
    public let server: ServerHello
    /// Seconds to wait for an answer beyond what a call itself waits; nil: for ever.
    public let timeout: Double?
    /// Set by `initOrExit`: a utility's call that times out is also explained on stderr
    /// (`rumpclient: URL: no answer within 10.0 s`), since the errno it reports (ENOTCONN)
    /// does not say why. A closed connection is not reported: after halt it is success.
    public var reportsTimeouts = false
    let fd: Int32
    var nextID: UInt32 = 1
    var decoder = FrameDecoder()
    /// When the bytes of the latest reply arrived (CLOCK_MONOTONIC seconds): the moment a
    /// NetBSD utility's system call would have returned, before the reply is decoded. ping
    /// takes an echo's arrival time from here, as NetBSD's ping reads the clock right after
    /// recvfrom returns.
    public private(set) var lastArrival = 0.0
    /// Reused for every read: a fresh 64 KiB buffer per reply would cost more than the reply.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    /// The environment variable that sets the utilities' timeout, in seconds (0: for ever).
    public static let timeoutVariable = "RUMPCLIENT_TIMEOUT"
    /// Without RUMPCLIENT_TIMEOUT: long enough for a kernel on a loaded machine, short
    /// enough that a stopped one is noticed.
    public static let defaultTimeout: Double = 10

    /// RUMPCLIENT_TIMEOUT if set to a number (0 or less: nil, wait for ever), else the default.
    public static func configuredTimeout() -> Double? {
        guard let v = getenv(timeoutVariable), let t = Double(String(cString: v)), t.isFinite else { return defaultTimeout }
        return t > 0 ? t : nil
    }

    /// Connects and shakes hands, each within `timeout` seconds.
    public init(url: ServerURL, clientName: String, timeout: Double? = RumpClient.configuredTimeout()) throws(ClientError) {
        ck_ignore_sigpipe()
        let deadline = Self.deadline(after: timeout)
        let fd = try Self.connect(url, deadline: deadline, timeout: timeout)
        self.fd = fd
        self.url = url
        self.timeout = timeout
        do {
            try Self.writeAll(fd, Message.clientHello(ClientHello(clientName: clientName, clientPID: getpid())).encodeFrame(), deadline: deadline, timeout: timeout)
            guard case .serverHello(let h) = try Self.readMessage(fd, &decoder, readBuffer, deadline: deadline, timeout: timeout) else {
                throw ClientError.handshake("expected a server hello")
            }
            guard h.version >= ProtocolVersion.minimum && h.version <= ProtocolVersion.maximum else {
                throw ClientError.handshake("no common protocol version (server speaks \(h.minVersion)...\(h.maxVersion))")
            }
            self.server = h
        } catch let e as ClientError {
            Glibc.close(fd)
            throw e
        } catch {
            Glibc.close(fd)
            throw .handshake("\(error)")
        }
    }

    deinit {
        Glibc.close(fd)
        readBuffer.deallocate()
    }

    /// Reads RUMP_SERVER, parses it as a client (no wildcard) and connects.
    public static func fromEnvironment(clientName: String, timeout: Double? = RumpClient.configuredTimeout()) throws(ClientError) -> RumpClient {
        guard let url = try environmentURL() else { throw .serverNotSet }
        return try RumpClient(url: url, clientName: clientName, timeout: timeout)
    }

    /// RUMP_SERVER parsed as a client address; nil if unset.
    static func environmentURL() throws(ClientError) -> ServerURL? {
        guard let env = getenv("RUMP_SERVER") else { return nil }
        let s = String(decoding: UnsafeBufferPointer(start: env, count: strlen(env)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch ServerURL.parse(s, allowWildcard: false, cwd: currentDirectory()) {
        case .failure(let e): throw .badURL(e)
        case .success(let url): return url
        }
    }

    /// What every rumpctrl utility does first: connect or print NetBSD's messages and exit 1
    /// (`error: RUMP_SERVER not set`, parse messages, then `rumpclient init failed`). NetBSD
    /// stops there; we add one line saying why the connection failed.
    public static func initOrExit(clientName: String) -> RumpClient {
        var url: ServerURL?
        do throws(ClientError) {
            url = try environmentURL()
            guard let url else { throw .serverNotSet }
            let c = try RumpClient(url: url, clientName: clientName)
            c.reportsTimeouts = true
            return c
        } catch {
            switch error {
            case .serverNotSet: printErr("error: RUMP_SERVER not set")
            case .badURL(let e): for m in e.messages { printErr(m) }
            default: break
            }
            printErr("rumpclient init failed")
            switch error {
            case .serverNotSet: break
            case .badURL(let e):
                // NetBSD says nothing for some (a path too long for sockaddr_un): say why.
                if e.messages.isEmpty {
                    printErr("rumpclient: RUMP_SERVER: \(e.errno.strerror)\(ClientError.hint(e.errno).map { " (\($0))" } ?? "")")
                }
            default: printErr("rumpclient: \(url.map { "\($0)" } ?? "RUMP_SERVER"): \(error)")
            }
            exitTool(1)
        }
    }

    /// One remote call. A kernel error comes back as `KernelError`; a broken or silent
    /// connection as `ClientError.transport` / `.timedOut` wrapped in `CallError`.
    public func call(_ request: Request) throws(CallError) -> Reply {
        let id = nextID
        nextID &+= 1
        let deadline = callDeadline(Self.ownWait(request))
        do {
            try Self.writeAll(fd, Message.request(id: id, request).encodeFrame(), deadline: deadline, timeout: timeout)
        } catch {
            throw .transport(reported(error))
        }
        return try result(of: id, deadline: deadline).get()
    }

    /// Two calls in one write, their replies read in turn: a round trip saved when the
    /// second request does not depend on the first's answer (ping's sendto, then recvfrom).
    /// The kernel serves a connection's requests in order.
    public func callPair(_ first: Request, _ second: Request) -> (Result<Reply, CallError>, Result<Reply, CallError>) {
        let a = nextID, b = nextID &+ 1
        nextID &+= 2
        let w1 = Self.ownWait(first), w2 = Self.ownWait(second)
        let deadline = callDeadline(w1 == nil || w2 == nil ? nil : w1! + w2!)
        do {
            // Both frames encoded into one buffer (one allocation), written by one send.
            var frames: [UInt8] = []
            Message.request(id: a, first).encodeFrame(appendingTo: &frames)
            Message.request(id: b, second).encodeFrame(appendingTo: &frames)
            try Self.writeAll(fd, frames, deadline: deadline, timeout: timeout)
        } catch {
            let e = reported(error)
            return (.failure(.transport(e)), .failure(.transport(e)))
        }
        let r1 = result(of: a, deadline: deadline)
        return (r1, result(of: b, deadline: deadline))
    }

    /// How long a request itself asks the kernel to wait, in seconds; nil: for ever.
    static func ownWait(_ r: Request) -> Double? {
        let ms: Int32
        switch r {
        case .connect(_, _, let t), .accept(_, let t), .send(_, _, _, let t), .sendto(_, _, _, _, let t),
             .recv(_, _, _, let t), .recvfrom(_, _, _, let t), .poll(_, let t), .ifCaptureRead(_, _, let t, _):
            ms = t
        default: return 0
        }
        return ms < 0 ? nil : Double(ms) / 1000
    }

    /// The monotonic deadline of a call whose own wait is `ownWait` (nil: none).
    func callDeadline(_ ownWait: Double?) -> Double? {
        guard let timeout, let ownWait else { return nil }
        return Self.now() + ownWait + timeout
    }

    private func reported(_ e: ClientError) -> ClientError {
        if reportsTimeouts, case .timedOut = e { printErr("rumpclient: \(url): \(e)") }
        return e
    }

    /// Reads replies until the one for `id` (skipping replies to abandoned calls).
    private func result(of id: UInt32, deadline: Double?) -> Result<Reply, CallError> {
        do {
            while true {
                let m = try Self.readMessage(fd, &decoder, readBuffer, deadline: deadline, timeout: timeout, arrival: &lastArrival)
                guard case let .response(rid, _, result) = m else { throw ClientError.transport("unexpected message from server") }
                guard rid == id else { continue }  // a stale reply to an abandoned call
                switch result {
                case .success(let r): return .success(r)
                case .failure(let e): return .failure(.kernel(e))
                }
            }
        } catch let e as ClientError {
            return .failure(.transport(reported(e)))
        } catch {
            return .failure(.transport(reported(.transport("\(error)"))))
        }
    }

    /// Sends a request and does not wait for its answer (halt: the server may be gone
    /// before replying); the write itself still has the client's deadline.
    public func send(_ request: Request) throws(ClientError) {
        let id = nextID
        nextID &+= 1
        try Self.writeAll(fd, Message.request(id: id, request).encodeFrame(), deadline: Self.deadline(after: timeout), timeout: timeout)
    }

    /// Waits until the server closes the connection or answers (after `send`).
    public func waitForClose(timeoutMilliseconds: Int32) {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        _ = Glibc.poll(&p, 1, timeoutMilliseconds)
    }

    // MARK: transport

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func deadline(after timeout: Double?) -> Double? { timeout.map { now() + $0 } }

    /// Waits until `fd` is ready for `events` or the deadline passes (then `.timedOut`).
    static func wait(_ fd: Int32, _ events: Int32, deadline: Double?, timeout: Double?) throws(ClientError) {
        while true {
            var ms: Int32 = -1
            if let deadline {
                let left = deadline - now()
                if left <= 0 { throw .timedOut(seconds: timeout ?? 0) }
                ms = Int32(min((left * 1000).rounded(.up), 600_000))
            }
            var p = pollfd(fd: fd, events: Int16(events), revents: 0)
            let r = Glibc.poll(&p, 1, ms)
            if r > 0 { return }
            if r < 0 && errno != EINTR { throw .transport("poll: \(NetBSDErrno(linux: errno).strerror)") }
        }
    }

    /// A non-blocking connect finished within the deadline: a unix socket whose backlog is
    /// full (a stopped server) or a TCP peer that never answers must not block for ever.
    static func connect(_ url: ServerURL, deadline: Double?, timeout: Double?) throws(ClientError) -> Int32 {
        switch url {
        case .unix(let path):
            var a = sockaddr_un()
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: a.sun_path) else { throw .connect(.ENAMETOOLONG) }
            a.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &a.sun_path) { p in p.copyBytes(from: bytes) }
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { throw .connect(NetBSDErrno(linux: errno)) }
            while true {
                let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
                if r == 0 { return fd }
                let e = errno
                if e == EINTR { continue }
                if e == EAGAIN {
                    // The listener's backlog is full: nobody accepts. Retry until the deadline.
                    if let deadline, now() >= deadline { Glibc.close(fd); throw .timedOut(seconds: timeout ?? 0) }
                    usleep(10_000)
                    continue
                }
                if e == EINPROGRESS { break }
                Glibc.close(fd)
                throw .connect(NetBSDErrno(linux: e))
            }
            return try finishConnect(fd, deadline: deadline, timeout: timeout)
        case .tcp(let addr, let port):
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            a.sin_addr.s_addr = UInt32(addr[0]) | UInt32(addr[1]) << 8 | UInt32(addr[2]) << 16 | UInt32(addr[3]) << 24
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { throw .connect(NetBSDErrno(linux: errno)) }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            if r == 0 { return fd }
            let e = errno
            guard e == EINPROGRESS || e == EINTR else { Glibc.close(fd); throw .connect(NetBSDErrno(linux: e)) }
            return try finishConnect(fd, deadline: deadline, timeout: timeout)
        }
    }

    static func finishConnect(_ fd: Int32, deadline: Double?, timeout: Double?) throws(ClientError) -> Int32 {
        do { try wait(fd, Int32(POLLOUT), deadline: deadline, timeout: timeout) } catch { Glibc.close(fd); throw error }
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        guard err == 0 else { Glibc.close(fd); throw .connect(NetBSDErrno(linux: err)) }
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], deadline: Double?, timeout: Double?) throws(ClientError) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { try wait(fd, Int32(POLLOUT), deadline: deadline, timeout: timeout); continue }
                throw .transport("send: \(NetBSDErrno(linux: errno).strerror)")
            }
            off += n
        }
    }

    static func readMessage(_ fd: Int32, _ decoder: inout FrameDecoder, _ buf: UnsafeMutableRawBufferPointer,
                            deadline: Double?, timeout: Double?) throws -> Message {
        var arrival = 0.0
        return try readMessage(fd, &decoder, buf, deadline: deadline, timeout: timeout, arrival: &arrival)
    }

    /// Reads until a whole message is decoded; `arrival` is set when bytes of it come in.
    static func readMessage(_ fd: Int32, _ decoder: inout FrameDecoder, _ buf: UnsafeMutableRawBufferPointer,
                            deadline: Double?, timeout: Double?, arrival: inout Double) throws -> Message {
        while true {
            if let body = try decoder.next() { return try Message.decode(body: body) }
            let n = Glibc.recv(fd, buf.baseAddress, buf.count, 0)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { try wait(fd, Int32(POLLIN), deadline: deadline, timeout: timeout); continue }
                throw ClientError.transport("recv: \(NetBSDErrno(linux: errno).strerror)")
            }
            if n == 0 { throw ClientError.transport("server closed the connection") }
            arrival = now()
            decoder.append(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
        }
    }

    static func currentDirectory() -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buf, buf.count) != nil else { return nil }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

public enum CallError: Error, Sendable {
    case kernel(KernelError)
    case transport(ClientError)

    /// The NetBSD errno to report (ENOTCONN for a broken connection).
    public var errno: NetBSDErrno {
        switch self {
        case .kernel(let e): return e.errno
        case .transport: return .ENOTCONN
        }
    }
}
