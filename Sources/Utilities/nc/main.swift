// nc(1) (OpenBSD's netcat, as NetBSD ships it) against a rump kernel: TCP (client and -l
// server, half-close with -N) and UDP (-u).
//
// How it waits without spinning: stdin is a host descriptor, the socket lives in the kernel.
// One thread, one host poll(2) over stdin and the kernel connection. The socket's waits are
// recv calls parked in the kernel (a few kept in flight); when data arrives the kernel answers
// one, so the connection becomes readable and poll returns. Data read from stdin goes out as
// a blocking send whose answer comes back the same way; the kernel keeps sends on one socket
// in order. Nothing is polled on a timer; -w is poll's timeout, as in OpenBSD's readwrite().
#if canImport(Glibc)
import Glibc
#endif
import NetAdmin
import RumpClient
import RumpProtocol
import ToolSupport
import UtilitySupport

let IPPROTO_UDP: Int32 = 17, IPPROTO_TCP: Int32 = 6, IPPROTO_IP: Int32 = 0, IP_TTL: Int32 = 4
let SO_REUSEPORT: Int32 = 0x200, SO_SNDBUF: Int32 = 0x1001, SO_RCVBUF: Int32 = 0x1002
let SHUT_WR: Int32 = 1
/// OpenBSD's BUFSIZE: one stdin read, one datagram, one stream read.
let bufferSize = 16384
/// Calls kept in flight: enough to keep both ends busy, few enough to keep order simple.
let receiveWindow = 4, sendWindow = 8

func le32(_ v: Int) -> [UInt8] { withUnsafeBytes(of: Int32(truncatingIfNeeded: v).littleEndian) { Array($0) } }

func warn(_ s: String) {
    OutputStream.standardError.write(s)
    OutputStream.standardError.flush()
}

func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
        if n < 0 { if errno == EINTR { continue }; return false }
        off += n
    }
    return true
}

let kernel = Remote(program: "nc")
let options: NcOptions
switch NcOptions.parse(utilityArguments) {
case .exit(let o): emit(o)
case .run(let o): options = o
}
let resolver = HostResolver()
signal(SIGPIPE, SIG_IGN)

@MainActor func resolve(_ name: String, port: Int) -> IPv4Address {
    guard let a = resolver.resolve(name) else {
        emit(.errx("nc", "getaddrinfo for host \"\(name)\" port \(port): hostname nor servname provided, or not known"))
    }
    return a
}

/// A TCP or (-u) UDP socket with -I/-O/-M applied (set_common_sockopts); the errno if
/// socket() fails.
@MainActor func netSocket() -> Result<Int32, NetBSDErrno> {
    let r = options.udp
        ? kernel.call(.socket(domain: Int32(RumpProtocol.NetBSD.AF_INET), type: RumpProtocol.NetBSD.SOCK_DGRAM, protocol: IPPROTO_UDP))
        : kernel.call(.socket(domain: Int32(RumpProtocol.NetBSD.AF_INET), type: RumpProtocol.NetBSD.SOCK_STREAM, protocol: IPPROTO_TCP))
    guard case .success(.fd(let s)) = r else {
        if case .failure(let e) = r { return .failure(e) }
        return .failure(.EINVAL)
    }
    if let n = options.receiveBuffer,
       let e = kernel.perform(.setsockopt(fd: s, level: RumpProtocol.NetBSD.SOL_SOCKET, name: SO_RCVBUF, value: le32(n))) {
        emit(.errx("nc", "set TCP receive buffer size: \(e.strerror)"))
    }
    if let n = options.sendBuffer,
       let e = kernel.perform(.setsockopt(fd: s, level: RumpProtocol.NetBSD.SOL_SOCKET, name: SO_SNDBUF, value: le32(n))) {
        emit(.errx("nc", "set TCP send buffer size: \(e.strerror)"))
    }
    if let t = options.ttl, let e = kernel.perform(.setsockopt(fd: s, level: IPPROTO_IP, name: IP_TTL, value: le32(t))) {
        emit(.errx("nc", "set IP TTL: \(e.strerror)"))
    }
    return .success(s)
}

/// OpenBSD's readwrite(): stdin to the socket, the socket to stdout, until both directions are
/// done, -w passes idle, or -W datagrams came. `pending` is data already received (the
/// listener's first datagram) to write first. On a stream an empty read is the peer's FIN;
/// stdin's end sends ours with -N (after every queued send), as OpenBSD's shutdown(SHUT_WR).
@MainActor func readwrite(_ s: Int32, connected: Bool, pending: [UInt8]? = nil) {
    let client = kernel.client
    let stream = !options.udp
    var stdinOpen = !options.noStdin, netOutOpen = true, netInOpen = true, stdoutOpen = true
    var receives: Set<UInt32> = [], sends: Set<UInt32> = []
    var received = 0
    // -N: the shutdown waits for the sends before it (a parked send still has data to queue).
    var shutdownPending = !stdinOpen && options.shutdownOnEOF
    var buffer = [UInt8](repeating: 0, count: bufferSize)
    if let pending {
        if !writeAll(1, pending) { stdoutOpen = false }
        received += 1
        if options.receiveLimit > 0 && received >= options.receiveLimit { netInOpen = false; stdinOpen = false }
    }
    func submit(_ r: Request) -> UInt32? {
        do { return try client.submit([r])[0] } catch { emit(.errx("nc", "\(error)")) }
    }
    defer {
        // Sends already submitted complete before the socket is closed.
        while !sends.isEmpty, let answers = try? client.responses(wait: true) {
            for a in answers { sends.remove(a.id) }
        }
    }
    while true {
        if shutdownPending && sends.isEmpty, let id = submit(.shutdown(fd: s, how: SHUT_WR)) {
            sends.insert(id)
            shutdownPending = false
        }
        // OpenBSD's three ways out.
        if !stdinOpen && !netInOpen && sends.isEmpty && !shutdownPending { return }
        if !netOutOpen && !stdoutOpen { return }
        if options.listen && !netInOpen && sends.isEmpty { return }
        if stdoutOpen && netInOpen {
            while receives.count < receiveWindow {
                let r: Request = connected
                    ? .recv(fd: s, maxLength: UInt32(bufferSize), flags: 0, timeout: -1)
                    : .recvfrom(fd: s, maxLength: UInt32(bufferSize), flags: 0, timeout: -1)
                if let id = submit(r) { receives.insert(id) }
            }
        }
        if options.interval > 0 { sleep(UInt32(options.interval)) }
        let readStdin = stdinOpen && netOutOpen && sends.count < sendWindow
        var fds = [pollfd(fd: client.connectionDescriptor, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: readStdin ? 0 : -1, events: Int16(POLLIN), revents: 0)]
        let n = Glibc.poll(&fds, 2, Int32(options.timeoutMilliseconds ?? -1))
        if n < 0 {
            if errno == EINTR { continue }
            emit(.errx("nc", "polling error: \(NetBSDErrno(linux: errno).strerror)"))
        }
        if n == 0 { return }  // -w: idle for that long
        if fds[1].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, bufferSize) }
            if got > 0 {
                let data = Array(buffer[0..<got])
                if let id = submit(.send(fd: s, data: data, flags: 0, timeout: -1)) { sends.insert(id) }
            } else if got == 0 || (errno != EINTR && errno != EAGAIN) {
                stdinOpen = false
                if options.shutdownOnEOF { shutdownPending = true }
                netOutOpen = false  // stdin gone: nothing more to send
            }
        }
        guard fds[0].revents != 0 else { continue }
        let answers: [(id: UInt32, result: Result<Reply, KernelError>)]
        do { answers = try client.responses(wait: false) } catch { emit(.errx("nc", "\(error)")) }
        for (id, result) in answers {
            if receives.remove(id) != nil {
                switch result {
                case .success(.data(let d)) where stream && d.isEmpty:
                    netInOpen = false  // the peer's FIN: end of file
                case .success(.data(let d)), .success(.dataFrom(let d, _)):
                    guard netInOpen else { continue }  // a datagram past -W: dropped, as after SHUT_RD
                    if !writeAll(1, d) { stdoutOpen = false; netInOpen = false }
                    received += 1
                    if options.receiveLimit > 0 && received >= options.receiveLimit {
                        netInOpen = false; stdinOpen = false
                    }
                case .failure(let e) where e.errno == .EAGAIN || e.errno == .EINTR:
                    break
                default:
                    netInOpen = false  // ECONNREFUSED (the peer's port unreachable) and the like
                }
            } else if sends.remove(id) != nil {
                if case .failure(let e) = result {
                    // OpenBSD stops writing silently; saying why (EMSGSIZE: a read larger than
                    // SO_SNDBUF, see -O) saves a lab user the guess. A refused port stays quiet.
                    if e.errno != .ECONNREFUSED, netOutOpen { warn("nc: write failed: \(e.errno.strerror)\n") }
                    netOutOpen = false; stdinOpen = false
                }
            }
        }
    }
}

/// udptest(): in scan mode (or with a terminal on stdin) four "X" datagrams; a port
/// unreachable turns a later one into ECONNREFUSED. Our ICMP crosses a bus between kernels,
/// so we also give it up to the -w timeout (at most 1 s) to come back on the socket.
/// 1: open, 0: not tested, -1: refused.
@MainActor func udptest(_ s: Int32) -> Int {
    guard options.scan || isatty(0) != 0 else { return 0 }
    var ret = 1
    for _ in 0...3 {
        if case .failure = kernel.call(.send(fd: s, data: [0x58], flags: 0, timeout: -1)) { ret = -1 }
    }
    if ret == 1 {
        let wait = Int32(min(options.timeoutMilliseconds ?? 1000, 1000))
        if case .failure(let e) = kernel.call(.recv(fd: s, maxLength: 1, flags: 0, timeout: wait)), e == .ECONNREFUSED {
            ret = -1
        }
    }
    return ret
}

if options.listen {
    let port = options.ports[0]
    let bindAddress = options.host.map { resolve($0, port: port) } ?? .any
    let s: Int32
    switch netSocket() {
    case .success(let fd): s = fd
    case .failure(let e): emit(.errx("nc", e.strerror))
    }
    _ = kernel.perform(.setsockopt(fd: s, level: RumpProtocol.NetBSD.SOL_SOCKET, name: SO_REUSEPORT, value: le32(1)))
    if let e = kernel.perform(.bind(fd: s, address: SocketAddress.inet(bindAddress, port: UInt16(port)))) {
        emit(.errx("nc", e.strerror))
    }
    // OpenBSD's listen(s, 1): one connection at a time.
    if !options.udp, let e = kernel.perform(.listen(fd: s, backlog: 1)) { emit(.errx("nc", "listen: \(e.strerror)")) }
    if options.verbose, case .success(.address(let a)) = kernel.call(.getsockname(fd: s)) {
        warn(NcMessages.report(options.udp ? "Bound" : "Listening", address: a.ipv4 ?? .any, port: a.port))
    }
    if !options.udp {
        // Accept one connection and talk to it; with -k the next one after it ends.
        repeat {
            let r = kernel.call(.accept(fd: s, timeout: -1))
            guard case .success(.accepted(let c, let from)) = r else {
                if case .failure(let e) = r { emit(.errx("nc", "accept: \(e.strerror)")) }
                emit(.errx("nc", "accept: \(NetBSDErrno.EINVAL.strerror)"))
            }
            if options.verbose {
                warn(NcMessages.report("Connection received", address: from.ipv4 ?? .any, port: from.port))
            }
            readwrite(c, connected: true)
            _ = kernel.perform(.close(fd: c))
        } while options.keepListening
    } else if options.keepListening {
        readwrite(s, connected: false)
    } else {
        // Wait for the first caller, then talk to it alone. OpenBSD peeks (MSG_PEEK) and reads
        // the datagram again after connect; we keep the one we read and write it first.
        let first = kernel.call(.recvfrom(fd: s, maxLength: UInt32(bufferSize), flags: 0, timeout: -1))
        guard case .success(.dataFrom(let data, let from)) = first else {
            if case .failure(let e) = first { emit(.errx("nc", "recvfrom: \(e.strerror)")) }
            emit(.errx("nc", "recvfrom: \(NetBSDErrno.EINVAL.strerror)"))
        }
        if let e = kernel.perform(.connect(fd: s, address: from, timeout: -1)) { emit(.errx("nc", "connect: \(e.strerror)")) }
        if options.verbose {
            warn(NcMessages.report("Connection received", address: from.ipv4 ?? .any, port: from.port))
        }
        readwrite(s, connected: true, pending: data)
    }
    _ = kernel.perform(.close(fd: s))
    exitTool(0)
}

// Client: each port in turn (a range with -z scans).
let host = options.host ?? ""
let target = resolve(host, port: options.ports[0])
var status: Int32 = 1
var ports = options.ports
if options.randomPorts { ports.shuffle() }
for port in ports {
    let s: Int32
    switch netSocket() {
    case .success(let fd): s = fd
    case .failure: continue
    }
    defer { _ = kernel.perform(.close(fd: s)) }
    if options.sourceAddress != nil || options.sourcePort != nil {
        let local = options.sourceAddress.map { resolve($0, port: options.sourcePort ?? 0) } ?? .any
        if let e = kernel.perform(.bind(fd: s, address: SocketAddress.inet(local, port: UInt16(options.sourcePort ?? 0)))) {
            emit(.errx("nc", "bind failed: \(e.strerror)"))
        }
    }
    if let e = kernel.perform(.connect(fd: s, address: SocketAddress.inet(target, port: UInt16(port)),
                                       timeout: Int32(options.timeoutMilliseconds ?? -1))) {
        if options.verbose { warn(NcMessages.connectFailed(host: host, port: port, udp: options.udp, e)) }
        continue
    }
    status = 0
    if !options.udp {
        if options.verbose || options.scan { warn(NcMessages.succeeded(host: host, port: port, udp: false)) }
    } else if options.verbose || options.scan {
        let tested = udptest(s)
        if tested == -1 { status = 1; continue }
        if tested == 1 { warn(NcMessages.succeeded(host: host, port: port, udp: true)) }
    }
    if !options.scan { readwrite(s, connected: true) }
    if options.interval > 0 && options.scan { sleep(UInt32(options.interval)) }
}
exitTool(status)
