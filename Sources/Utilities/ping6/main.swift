// ping6(8) against a rump kernel: a raw ICMPv6 socket in the kernel (the kernel fills in the
// checksum, as NetBSD's does for ICMPv6 raw sockets), reached through RUMP_SERVER. The source
// address comes from a connected UDP socket (getsockname), as NetBSD's ping6 finds it; the hop
// limit of each reply from recvmsg's IPV6_HOPLIMIT (IPV6_RECVHOPLIMIT set on the socket).
#if canImport(Glibc)
import Glibc
#endif
import NetAdmin
import RumpClient
import RumpProtocol
import Synchronization
import ToolSupport
import UtilitySupport

/// Set by SIGINT; the loop checks it between short waits.
let interrupted = Atomic<Bool>(false)


struct Ping6 {
    let kernel: Remote
    let options: Ping6Options
    // NetBSD numbers (netinet/in.h, netinet6/in6.h).
    static let IPPROTO_IPV6: Int32 = 41, IPPROTO_ICMPV6: Int32 = 58
    static let IPV6_UNICAST_HOPS: Int32 = 4, IPV6_MULTICAST_HOPS: Int32 = 10, IPV6_RECVHOPLIMIT: Int32 = 37
    static let SO_SNDBUF: Int32 = 0x1001, SO_RCVBUF: Int32 = 0x1002
    /// NetBSD's DUMMY_PORT for the source lookup.
    static let dummyPort: UInt16 = 10101
    static let maxWaitSlice = 0.1

    var fd: Int32 = -1
    var destination = IPv6Address.any
    var scope: UInt32 = 0
    var zone: String?
    var ident = UInt16(truncatingIfNeeded: getpid())
    var stats = PingStatistics()
    var seen = PingDuplicates()
    var lastTx = 0.0
    var interfaceNames: [UInt32: String] = [:]

    init(kernel: Remote, options: Ping6Options) {
        self.kernel = kernel
        self.options = options
    }

    var timing: Bool { options.dataLength >= 8 }

    func name(ofInterface index: UInt32) -> String? { interfaceNames[index] }

    func text(_ a: IPv6Address, _ scope: UInt32) -> String {
        Ping6Format.address(a, zone: a.needsScope ? name(ofInterface: scope) ?? (scope == 0 ? nil : String(scope)) : nil)
    }

    mutating func main() -> Never {
        if !options.warnings.isEmpty { printErr(options.warnings.dropLast().description) }
        guard let (a, z) = HostResolver().resolve6(options.host) else { emit(Ping6Format.cannotResolve()) }
        destination = a
        zone = z ?? (a.needsScope ? options.interface : nil)
        if case .success(let l) = kernel.interfaces() { for i in l { interfaceNames[i.index] = i.name } }
        if a.needsScope, let zone {
            scope = UInt32(zone) ?? kernel.interfaceIndex(zone)
            if scope == 0 { emit(Ping6Format.cannotResolve()) }
        }
        if let i = options.interface, kernel.interfaceIndex(i) == 0 { emit(.errx("ping6", "\(i): invalid interface name")) }
        switch kernel.call(.socket(domain: Int32(RumpProtocol.NetBSD.AF_INET6), type: RumpProtocol.NetBSD.SOCK_RAW,
                                   protocol: Self.IPPROTO_ICMPV6)) {
        case .success(.fd(let s)): fd = s
        case .success: emit(Ping6Format.socketFailed(.EINVAL))
        case .failure(let e): emit(Ping6Format.socketFailed(e))
        }
        var source: (IPv6Address, UInt32)
        if let s = options.source {
            let sc = kernel.scope(s.zone, s.address)
            if let e = kernel.perform(.bind(fd: fd, address: Convert.wire6(s.address, scope: sc))) { emit(.errx("ping6", "bind: \(e.strerror)")) }
            source = (s.address, sc)
        } else {
            switch sourceAddress() {
            case .success(let s): source = s
            case .failure(let e): emit(Ping6Format.connectFailed(e))
            }
        }
        if destination.isMulticast {
            let h = Int32(options.hopLimit ?? 64)
            if let e = kernel.perform(.setsockopt(fd: fd, level: Self.IPPROTO_IPV6, name: Self.IPV6_MULTICAST_HOPS, value: le32(h))) {
                emit(.errx("ping6", "IPV6_MULTICAST_HOPS: \(e.strerror)"))
            }
        }
        if let h = options.hopLimit,
           let e = kernel.perform(.setsockopt(fd: fd, level: Self.IPPROTO_IPV6, name: Self.IPV6_UNICAST_HOPS, value: le32(Int32(h)))) {
            emit(.errx("ping6", "setsockopt(IPV6_UNICAST_HOPS): \(e.strerror)"))
        }
        if options.socketBuffer > 0 {
            for o in [Self.SO_SNDBUF, Self.SO_RCVBUF] {
                if let e = kernel.perform(.setsockopt(fd: fd, level: RumpProtocol.NetBSD.SOL_SOCKET, name: o, value: le32(Int32(options.socketBuffer)))) {
                    emit(.errx("ping6", "setsockopt(\(o == Self.SO_SNDBUF ? "SO_SNDBUF" : "SO_RCVBUF")): \(e.strerror)"))
                }
            }
        }
        if let e = kernel.perform(.setsockopt(fd: fd, level: Self.IPPROTO_IPV6, name: Self.IPV6_RECVHOPLIMIT, value: le32(1))) {
            printErr("ping6: setsockopt(IPV6_RECVHOPLIMIT): \(e.strerror)")
        }
        printOut(Ping6Format.header(source: text(source.0, source.1), destination: text(destination, scope),
                                    dataLength: options.dataLength).dropLast().description)
        OutputStream.standardOutput.flush()
        signal(SIGINT) { _ in interrupted.store(true, ordering: .relaxed) }
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        loop()
        finish()
    }

    /// NetBSD's trick: connect a UDP socket to the destination and read its local address. A
    /// kernel without UDP over IPv6 answers the same question through its routing lookup.
    func sourceAddress() -> Result<(IPv6Address, UInt32), NetBSDErrno> {
        let dst = Convert.wire6(destination, scope: scope, port: Self.dummyPort)
        if case .success(.fd(let u)) = kernel.call(.socket(domain: Int32(RumpProtocol.NetBSD.AF_INET6),
                                                           type: RumpProtocol.NetBSD.SOCK_DGRAM, protocol: 0)) {
            defer { _ = kernel.perform(.close(fd: u)) }
            if let e = kernel.perform(.connect(fd: u, address: dst, timeout: 1000)) { return .failure(e) }
            if case .success(.address(let a)) = kernel.call(.getsockname(fd: u)), let s = Convert.inet6(a) { return .success(s) }
            return .failure(.EINVAL)
        }
        switch kernel.call(.routeGet(destination: dst)) {
        case .success(.routes(let l)) where !l.isEmpty:
            if destination.isLoopback || l[0].flags & RTF.REJECT != 0 && l[0].flags & RTF.BLACKHOLE == 0 {
                if destination.isLoopback { return .success((.loopback, 0)) }
                return .failure(.EHOSTUNREACH)
            }
            guard let local = l[0].localAddress.flatMap(Convert.inet6) else { return .failure(.EHOSTUNREACH) }
            return .success(local)
        case .failure(.ESRCH), .success: return .failure(.EHOSTUNREACH)
        case .failure(let e): return .failure(e)
        }
    }

    var interval: Double { options.flood && !options.intervalGiven ? 0.01 : options.interval }

    /// Send on schedule, read replies in between; after the last request wait 2 × the longest
    /// round trip (at least 1 s) if anything came back, else 10 s (MAXWAIT), as retransmit().
    mutating func loop() {
        var nextTx = monotonic()
        for _ in 0..<options.preload { send(monotonic()) }
        var lastDeadline: Double?
        while !interrupted.load(ordering: .relaxed) {
            let now = monotonic()
            var wait: Double
            if options.count == 0 || stats.transmitted < options.count {
                if now >= nextTx - 0.0001 {
                    send(now)
                    repeat { nextTx += interval } while nextTx < now - 0.1
                }
                wait = max(0, nextTx - monotonic())
            } else {
                if lastDeadline == nil {
                    let w = stats.received > 0 ? max(1, Double(Int(2 * stats.rttMax / 1000))) : 10
                    lastDeadline = lastTx + w
                }
                wait = lastDeadline! - now
                if wait <= 0 { break }
            }
            receive(timeout: min(wait, Self.maxWaitSlice))
            if options.count > 0 && stats.received >= options.count { break }
        }
    }

    mutating func send(_ now: Double) {
        let seq = UInt16(truncatingIfNeeded: stats.transmitted)
        var p = [UInt8](repeating: 0, count: 8 + options.dataLength)
        p[0] = 128
        p[4] = UInt8(ident >> 8); p[5] = UInt8(ident & 0xff)
        p[6] = UInt8(seq >> 8); p[7] = UInt8(seq & 0xff)
        let first = timing ? 8 : 0
        for i in first..<options.dataLength {
            if let pat = options.pattern, !pat.isEmpty { p[8 + i] = pat[(i - first) % pat.count] } else { p[8 + i] = UInt8(truncatingIfNeeded: 8 + i) }
        }
        if timing {
            let sec = UInt32(truncatingIfNeeded: Int(now)), usec = UInt32((now - Double(Int(now))) * 1e6)
            for k in 0..<4 {
                p[8 + k] = UInt8(truncatingIfNeeded: sec >> (24 - 8 * UInt32(k)))
                p[12 + k] = UInt8(truncatingIfNeeded: usec >> (24 - 8 * UInt32(k)))
            }
        }
        seen.sent(sequence: Int(seq))
        stats.sent(at: now)
        lastTx = now
        let r = kernel.call(.sendto(fd: fd, data: p, flags: 0, address: Convert.wire6(destination, scope: scope), timeout: 1000))
        if case .failure(let e) = r {
            let o = Ping6Format.sendFailed(host: options.host, length: p.count, e)
            printErr(o.stderr.dropLast().description)
            OutputStream.standardOutput.write(o.stdout)
        }
        if options.flood && !options.quiet { OutputStream.standardOutput.write(".") }
        OutputStream.standardOutput.flush()
    }

    mutating func receive(timeout: Double) {
        let ms = timeout <= 0 ? 0 : Int32(min((timeout * 1000).rounded(.up), 600_000))
        let result: Result<Reply, CallError>
        do { result = .success(try kernel.client.call(.recvmsg(fd: fd, maxLength: 65535, flags: 0, timeout: ms))) } catch {
            result = .failure(error)
        }
        let pkt: [UInt8], from: SocketAddress?, hopLimit: Int32
        switch result {
        case .success(.message6(let d, let f, _, let h)): pkt = d; from = f; hopLimit = h
        case .success(.message(let d, let f, _)): pkt = d; from = f; hopLimit = -1
        case .success, .failure(.kernel): return
        case .failure(let e): kernelGone("\(e)")
        }
        // When the reply reached us, as NetBSD's ping6 reads the clock as recvmsg returns.
        let now = kernel.client.lastArrival
        guard let (src, srcScope) = from.flatMap(Convert.inet6) else {
            if options.verbose { printErr("ping6: invalid peername") }
            return
        }
        guard pkt.count >= 8 else {
            if options.verbose { printErr("ping6: packet too short (\(pkt.count) bytes) from \(text(src, srcScope))") }
            return
        }
        let type = pkt[0], id = UInt16(pkt[4]) << 8 | UInt16(pkt[5])
        if type == 129 && id == ident {
            let seq = Int(UInt16(pkt[6]) << 8 | UInt16(pkt[7]))
            var rtt: Double?
            if timing && pkt.count >= 16 {
                var sec: UInt32 = 0, usec: UInt32 = 0
                for k in 0..<4 {
                    sec = sec << 8 | UInt32(pkt[8 + k])
                    usec = usec << 8 | UInt32(pkt[12 + k])
                }
                rtt = max(0, now - (Double(sec) + Double(usec) / 1e6)) * 1000
            }
            let dup = seen.received(sequence: seq)
            let r = Ping6Reply(bytes: pkt.count, from: text(src, srcScope), sequence: seq, hopLimit: Int(hopLimit), rtt: rtt, duplicate: dup)
            stats.record(PingReply(bytes: r.bytes, from: .any, sequence: seq, ttl: r.hopLimit, rtt: rtt, duplicate: dup), at: now)
            if options.quiet { return }
            if options.flood { OutputStream.standardOutput.write("\u{8}"); OutputStream.standardOutput.flush(); return }
            OutputStream.standardOutput.write(Ping6Format.reply(r))
            OutputStream.standardOutput.flush()
        } else if options.verbose && type < 128 {
            OutputStream.standardOutput.write("\(pkt.count) bytes from \(text(src, srcScope)): \(Ping6Format.icmpText(type, pkt[1]))\n")
            OutputStream.standardOutput.flush()
        }
    }

    func kernelGone(_ why: String) -> Never {
        OutputStream.standardOutput.write(Ping6Format.statistics(host: options.host, stats, timing: timing))
        OutputStream.standardOutput.flush()
        printErr("ping6: lost the rump kernel: \(why)")
        exitTool(1)
    }

    mutating func finish() -> Never {
        signal(SIGINT, SIG_IGN)
        _ = kernel.perform(.close(fd: fd))
        if options.flood { OutputStream.standardOutput.write("\n") }
        OutputStream.standardOutput.write(Ping6Format.statistics(host: options.host, stats, timing: timing))
        exitTool(Ping6Format.exitStatus(stats))
    }
}

let kernel = Remote(program: "ping6")
let options: Ping6Options
switch Ping6Options.parse(utilityArguments, privileged: getuid() == 0) {
case .exit(let o): emit(o)
case .run(let o): options = o
}
if !kernel.hasInet6 { emit(Ping6Format.socketFailed(.EAFNOSUPPORT)) }
var run = Ping6(kernel: kernel, options: options)
run.main()
