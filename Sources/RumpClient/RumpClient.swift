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

    public var description: String {
        switch self {
        case .serverNotSet: return "RUMP_SERVER not set"
        case .badURL(let e): return e.messages.joined(separator: "\n")
        case .connect(let e): return "connect: \(e.strerror)"
        case .handshake(let s): return "handshake: \(s)"
        case .transport(let s): return s
        }
    }
}

/// A synchronous connection to one rump kernel: one request at a time, replies matched by id.
/// Not shared between threads (utilities are single-threaded).
public final class RumpClient {
    public let url: ServerURL
    public let server: ServerHello
    let fd: Int32
    var nextID: UInt32 = 1
    var decoder = FrameDecoder()
    /// Reused for every read: a fresh 64 KiB buffer per reply would cost more than the reply.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    /// Connects and shakes hands.
    public init(url: ServerURL, clientName: String) throws(ClientError) {
        ck_ignore_sigpipe()
        let fd: Int32
        switch url {
        case .unix(let path): fd = ck_connect_unix(path)
        case .tcp(let a, let port):
            let be = UInt32(a[0]) | UInt32(a[1]) << 8 | UInt32(a[2]) << 16 | UInt32(a[3]) << 24
            fd = ck_connect_tcp(be, port)
        }
        guard fd >= 0 else { throw .connect(NetBSDErrno(linux: -fd)) }
        self.fd = fd
        self.url = url
        do {
            try Self.writeAll(fd, Message.clientHello(ClientHello(clientName: clientName, clientPID: getpid())).encodeFrame())
            guard case .serverHello(let h) = try Self.readMessage(fd, &decoder, readBuffer) else {
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
    public static func fromEnvironment(clientName: String) throws(ClientError) -> RumpClient {
        guard let env = getenv("RUMP_SERVER") else { throw .serverNotSet }
        let s = String(decoding: UnsafeBufferPointer(start: env, count: strlen(env)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch ServerURL.parse(s, allowWildcard: false, cwd: currentDirectory()) {
        case .failure(let e): throw .badURL(e)
        case .success(let url): return try RumpClient(url: url, clientName: clientName)
        }
    }

    /// What every rumpctrl utility does first: connect or print NetBSD's messages and exit 1
    /// (`error: RUMP_SERVER not set`, parse messages, then `rumpclient init failed`).
    public static func initOrExit(clientName: String) -> RumpClient {
        do {
            return try fromEnvironment(clientName: clientName)
        } catch {
            switch error {
            case .serverNotSet: printErr("error: RUMP_SERVER not set")
            case .badURL(let e): for m in e.messages { printErr(m) }
            default: break
            }
            printErr("rumpclient init failed")
            exitTool(1)
        }
    }

    /// One remote call. A kernel error comes back as `KernelError`; a broken connection
    /// as `ClientError.transport` wrapped in `CallError`.
    public func call(_ request: Request) throws(CallError) -> Reply {
        let id = nextID
        nextID &+= 1
        do {
            try Self.writeAll(fd, Message.request(id: id, request).encodeFrame())
        } catch {
            throw .transport(error)
        }
        return try result(of: id).get()
    }

    /// Two calls in one write, their replies read in turn: a round trip saved when the
    /// second request does not depend on the first's answer (ping's sendto, then recvfrom).
    /// The kernel serves a connection's requests in order.
    public func callPair(_ first: Request, _ second: Request) -> (Result<Reply, CallError>, Result<Reply, CallError>) {
        let a = nextID, b = nextID &+ 1
        nextID &+= 2
        do {
            try Self.writeAll(fd, Message.request(id: a, first).encodeFrame() + Message.request(id: b, second).encodeFrame())
        } catch {
            return (.failure(.transport(error)), .failure(.transport(error)))
        }
        let r1 = result(of: a)
        return (r1, result(of: b))
    }

    /// Reads replies until the one for `id` (skipping replies to abandoned calls).
    private func result(of id: UInt32) -> Result<Reply, CallError> {
        do {
            while true {
                let m = try Self.readMessage(fd, &decoder, readBuffer)
                guard case let .response(rid, _, result) = m else { throw ClientError.transport("unexpected message from server") }
                guard rid == id else { continue }  // a stale reply to an abandoned call
                switch result {
                case .success(let r): return .success(r)
                case .failure(let e): return .failure(.kernel(e))
                }
            }
        } catch let e as ClientError {
            return .failure(.transport(e))
        } catch {
            return .failure(.transport(.transport("\(error)")))
        }
    }

    /// Sends a request and does not wait (halt: the server may be gone before replying).
    public func send(_ request: Request) throws(ClientError) {
        let id = nextID
        nextID &+= 1
        try Self.writeAll(fd, Message.request(id: id, request).encodeFrame())
    }

    /// Waits until the server closes the connection or answers (after `send`).
    public func waitForClose(timeoutMilliseconds: Int32) {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        _ = Glibc.poll(&p, 1, timeoutMilliseconds)
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(ClientError) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .transport("send: \(NetBSDErrno(linux: errno).strerror)")
            }
            off += n
        }
    }

    static func readMessage(_ fd: Int32, _ decoder: inout FrameDecoder, _ buf: UnsafeMutableRawBufferPointer) throws -> Message {
        while true {
            if let body = try decoder.next() { return try Message.decode(body: body) }
            let n = Glibc.recv(fd, buf.baseAddress, buf.count, 0)
            if n < 0 {
                if errno == EINTR { continue }
                throw ClientError.transport("recv: \(NetBSDErrno(linux: errno).strerror)")
            }
            if n == 0 { throw ClientError.transport("server closed the connection") }
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
