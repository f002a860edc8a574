// ttcp(1), the classic BRL/SGI throughput test, against a rump kernel: -t transmits (a pattern
// with -s, else stdin) to `host`, -r receives (sinks with -s, else writes stdout); TCP, or UDP
// with -u and ttcp's 4-byte start/end datagrams. Lines on stderr as ttcp prints them
// (NetAdmin's TtcpFormat).
//
// Per-call overhead stays low: the transmitter keeps a window of blocking sends in flight on
// its kernel connection (the kernel queues sends on one socket in order), the receiver a
// window of receives (whose answers come in stream order), so round trips to the kernel
// overlap with the transfer.
#if canImport(Glibc)
import Glibc
#endif
import NetAdmin
import RumpClient
import RumpProtocol
import ToolSupport
import UtilitySupport

let SO_SNDBUF: Int32 = 0x1001, SO_RCVBUF: Int32 = 0x1002, SO_REUSEADDR: Int32 = 0x0004
let IPPROTO_TCP: Int32 = 6, TCP_NODELAY: Int32 = 1
/// Calls kept in flight on the kernel connection.
let window = 8

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func say(_ s: String) {
    OutputStream.standardError.write(s)
    OutputStream.standardError.flush()
}

/// ttcp's err(): "ttcp-t: connect: Connection refused", exit 1.
func fail(_ o: TtcpOptions, _ what: String, _ e: NetBSDErrno) -> Never {
    say("ttcp\(o.transmit ? "-t" : "-r"): \(what): \(e.strerror)\n")
    exitTool(1)
}

func le32(_ v: Int) -> [UInt8] { withUnsafeBytes(of: Int32(truncatingIfNeeded: v).littleEndian) { Array($0) } }

func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
        if n < 0 { if errno == EINTR { continue }; return false }
        off += n
    }
    return true
}

let options: TtcpOptions
switch TtcpOptions.parse(utilityArguments) {
case .exit(let o): emit(o)
case .run(let o): options = o
}
signal(SIGPIPE, SIG_IGN)
let kernel = Remote(program: "ttcp")
let client = kernel.client
let side = options.transmit ? "ttcp-t: " : "ttcp-r: "

@MainActor func submit(_ r: Request) -> UInt32 {
    do { return try client.submit([r])[0] } catch { say(side + "\(error)\n"); exitTool(1) }
}
@MainActor func responses() -> [(id: UInt32, result: Result<Reply, KernelError>)] {
    do { return try client.responses(wait: true) } catch { say(side + "\(error)\n"); exitTool(1) }
}

say(TtcpFormat.header(options))
/// -6: AF_INET6 sockets and sockaddr_in6 addresses.
let domain = Int32(options.inet6 ? RumpProtocol.NetBSD.AF_INET6 : RumpProtocol.NetBSD.AF_INET)
let socketReply = kernel.call(.socket(domain: domain,
                                      type: options.udp ? RumpProtocol.NetBSD.SOCK_DGRAM : RumpProtocol.NetBSD.SOCK_STREAM,
                                      protocol: 0))
guard case .success(.fd(let s)) = socketReply else {
    if case .failure(let e) = socketReply { fail(options, "socket", e) }
    fail(options, "socket", .EINVAL)
}
say(side + "socket\n")
if let b = options.socketBufferSize {
    if let e = kernel.perform(.setsockopt(fd: s, level: RumpProtocol.NetBSD.SOL_SOCKET,
                                          name: options.transmit ? SO_SNDBUF : SO_RCVBUF, value: le32(b))) {
        fail(options, "setsockopt", e)
    }
}

var bytes: UInt64 = 0, calls: UInt64 = 0
var start = 0.0

if options.transmit {
    let peer: SocketAddress
    if options.inet6 {
        // An IPv6 address, "%zone" naming an interface of the kernel (or its index).
        let zoneIndex: (Substring) -> UInt32? = { z in UInt32(z) ?? (try? kernel.interface(String(z)).get())?.index }
        guard let a = SocketAddress(numericHost: options.host ?? "", port: UInt16(options.port), zoneIndex: zoneIndex),
              case .inet6 = a else {
            say(side + "bad hostname\n"); exitTool(1)
        }
        peer = a
    } else {
        guard let target = HostResolver().resolve(options.host ?? "") else {
            say(side + "bad hostname\n"); exitTool(1)
        }
        peer = .inet(target, port: UInt16(options.port))
    }
    if !options.udp {
        if options.noDelay, let e = kernel.perform(.setsockopt(fd: s, level: IPPROTO_TCP, name: TCP_NODELAY, value: le32(1))) {
            fail(options, "setsockopt", e)
        }
        if let e = kernel.perform(.connect(fd: s, address: peer, timeout: -1)) { fail(options, "connect", e) }
        say(side + "connect\n")
    } else if let e = kernel.perform(.connect(fd: s, address: peer, timeout: -1)) {
        fail(options, "connect", e)
    }
    start = now()
    let sentinel = [UInt8](repeating: 0, count: 4)
    var inFlight: Set<UInt32> = [], sentinels: Set<UInt32> = []
    var firstError: NetBSDErrno?
    /// The responses that came: a send that failed stops the transfer (ttcp's Nwrite < 0).
    /// The UDP sentinels are not data: neither their bytes nor their calls count.
    func take() {
        for (id, r) in responses() where inFlight.remove(id) != nil {
            let data = sentinels.remove(id) == nil
            switch r {
            case .success(.count(let n)) where data: bytes += UInt64(n); calls += 1
            case .failure(let e): firstError = firstError ?? e.errno
            default: break
            }
        }
    }
    func send(_ data: [UInt8], sentinel: Bool = false) {
        while inFlight.count >= window { take() }
        let id = submit(.send(fd: s, data: data, flags: 0, timeout: -1))
        inFlight.insert(id)
        if sentinel { sentinels.insert(id) }
    }
    if options.udp { send(sentinel, sentinel: true) }
    if options.sinkMode {
        // ttcp's pattern(): printable characters from '!' on, repeating.
        let pattern = (0..<options.bufferLength).map { UInt8(33 + $0 % 95) }
        var left = options.bufferCount
        while left > 0 && firstError == nil {
            send(pattern)
            left -= 1
        }
    } else {
        var buffer = [UInt8](repeating: 0, count: options.bufferLength)
        while firstError == nil {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, options.bufferLength) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            send(Array(buffer[0..<n]))
        }
    }
    while !inFlight.isEmpty { take() }
    if options.udp {
        for _ in 0..<4 { send(sentinel, sentinel: true) }
        while !inFlight.isEmpty { take() }
    }
    if let firstError { fail(options, "write", firstError) }
} else {
    _ = kernel.perform(.setsockopt(fd: s, level: RumpProtocol.NetBSD.SOL_SOCKET, name: SO_REUSEADDR, value: le32(1)))
    if let e = kernel.perform(.bind(fd: s, address: options.inet6 ? SocketAddress.inet6(.any, port: UInt16(options.port)) : SocketAddress.inet(.any, port: UInt16(options.port)))) { fail(options, "bind", e) }
    var fd = s
    if !options.udp {
        if let e = kernel.perform(.listen(fd: s, backlog: 0)) { fail(options, "listen", e) }
        let r = kernel.call(.accept(fd: s, timeout: -1))
        guard case .success(.accepted(let c, let from)) = r else {
            if case .failure(let e) = r { fail(options, "accept", e) }
            fail(options, "accept", .EINVAL)
        }
        // inet_ntoa's text, or getnameinfo's for a sockaddr_in6 ("fe80::2%shmif0").
        let zones = Dictionary(((try? kernel.interfaces().get()) ?? []).map { ($0.index, $0.name) }, uniquingKeysWith: { a, _ in a })
        say(side + "accept from \(options.inet6 ? from.numericHost(zone: { zones[$0] }) : (from.ipv4 ?? .any).description)\n")
        fd = c
        start = now()
    }
    // Receives in flight; their answers arrive in the stream's order.
    var inFlight: Set<UInt32> = []
    var done = false, started = !options.udp
    let request: Request = .recv(fd: fd, maxLength: UInt32(options.bufferLength), flags: 0, timeout: -1)
    while !done || !inFlight.isEmpty {
        while !done && inFlight.count < window {
            inFlight.insert(submit(request))
        }
        for (id, r) in responses() where inFlight.remove(id) != nil {
            guard !done else { continue }
            switch r {
            case .success(.data(let d)):
                if options.udp && d.count <= 4 {
                    // ttcp's sentinels: the first starts the clock, the next stops it.
                    if started { done = true } else { started = true; start = now() }
                    continue
                }
                if d.isEmpty { done = true; continue }  // the transmitter's FIN
                calls += 1
                bytes += UInt64(d.count)
                if !options.sinkMode && !writeAll(1, d) { done = true }
            case .failure(let e):
                fail(options, "read", e.errno)
            default:
                break
            }
        }
        // A UDP receiver's last receives stay parked: nothing more will come for them.
        if done && options.udp { break }
    }
}
let elapsed = now() - start
say(TtcpFormat.summary(options, bytes: bytes, seconds: elapsed, calls: calls))
exitTool(0)
