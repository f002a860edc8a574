// ping(8) against a rump kernel: a raw ICMP socket in the kernel, reached through
// RUMP_SERVER. One sendto and (when the reply comes before the next send is due) one
// recvfrom per echo; the socket stays open for the whole run.
#if canImport(Glibc)
import Glibc
#endif
import NetAdmin
import RumpClient
import RumpProtocol
import Synchronization
import ToolSupport
import UtilitySupport

/// Set by SIGINT; the loop checks it between short waits (a signal handler may touch only this).
let interrupted = Atomic<Bool>(false)



struct Ping {
    let kernel: Remote
    let options: PingOptions
    // NetBSD numbers (netinet/in.h, sys/socket.h).
    static let IPPROTO_ICMP: Int32 = 1, IPPROTO_IP: Int32 = 0, IP_TTL: Int32 = 4, SO_BROADCAST: Int32 = 0x20
    /// recvfrom waits at most this long at a time, so SIGINT is seen promptly.
    static let maxWaitSlice = 0.1

    var fd: Int32 = -1
    var target = IPv4Address.any
    var ident: UInt16 = UInt16(truncatingIfNeeded: getpid())
    var stats = PingStatistics()
    var seen = PingDuplicates()  // sequence numbers answered (DUP! detection)
    var sentPacket: [UInt8] = []
    var lastTx = 0.0
    var lastAnswered = false
    /// An echo request built but not yet sent: it goes out in one write with the recvfrom
    /// that follows it (`Remote.callPair`), a round trip to the kernel saved per echo. Its time
    /// stamp and checksum are written as it goes (`outgoing`), as NetBSD's pinger stamps the
    /// packet just before its sendto.
    var pendingPacket: [UInt8]?
    var lastStamp = 0.0
    var start = 0.0
    // Flood mode's dots (NetBSD's jiggle): a count of dots owed minus replies, flushed when quiet.
    var jiggleCount = 0, jiggleTotal = 0, jiggleDirection = -1
    var jiggleTime = 0.0

    init(kernel: Remote, options: PingOptions) {
        self.kernel = kernel
        self.options = options
    }

    var interval: Double {
        // -f without -i: NetBSD's FLOOD_INTVL.
        options.flood && options.interval == 1 ? 0.01 : options.interval
    }

    mutating func main() -> Never {
        guard let a = HostResolver().resolve(options.host) else { emit(PingFormat.cannotResolve(options.host)) }
        target = a
        if options.interval < 1 && getuid() != 0 {
            emit(.errx("ping", "Must be superuser to use -i with a value less than 1"))
        }
        switch kernel.call(.socket(domain: Int32(RumpProtocol.NetBSD.AF_INET), type: RumpProtocol.NetBSD.SOCK_RAW,
                                   protocol: Self.IPPROTO_ICMP)) {
        case .success(.fd(let s)): fd = s
        case .success: emit(PingFormat.cannotCreateSocket(.EINVAL))
        case .failure(let e): emit(PingFormat.cannotCreateSocket(e))
        }
        // NetBSD's ping writes its own IP header, so broadcasts need no SO_BROADCAST there.
        _ = kernel.perform(.setsockopt(fd: fd, level: RumpProtocol.NetBSD.SOL_SOCKET, name: Self.SO_BROADCAST, value: le32(1)))
        if let ttl = options.ttl {
            if let e = kernel.perform(.setsockopt(fd: fd, level: Self.IPPROTO_IP, name: Self.IP_TTL, value: le32(Int32(ttl)))) {
                emit(.errx("ping", "Can't set time-to-live: \(e.strerror)"))
            }
        }
        if let src = options.source {
            guard let a = HostResolver().resolve(src) else { emit(.errx("ping", "Cannot resolve \"\(src)\" (Host name lookup failure)")) }
            if let e = kernel.perform(.bind(fd: fd, address: SocketAddress.inet(a))) { emit(.errx("ping", "bind: \(e.strerror)")) }
        }
        printOut(PingFormat.header(host: options.host, address: target, dataLength: options.dataLength).dropLast().description)
        OutputStream.standardOutput.flush()
        signal(SIGINT) { _ in interrupted.store(true, ordering: .relaxed) }
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        loop()
        finish()
    }

    /// NetBSD's doit(): send on schedule, read replies until the next send is due; after the
    /// last request wait max(2 × the longest round trip, 10 × the interval) for stragglers.
    mutating func loop() {
        start = monotonic()
        let deadline = options.maxWait.map { start + $0 }
        var nextTx = start
        for _ in 0..<options.preload { send(monotonic()) }
        while !interrupted.load(ordering: .relaxed) {
            var now = monotonic()
            if let deadline, now >= deadline { break }
            var wait: Double
            if options.count == nil || stats.transmitted < options.count! {
                if now >= nextTx - 0.0001 || (lastAnswered && options.flood) {
                    send(now)
                    // Keep the schedule; if more than 100 ms late, skip rather than burst.
                    if nextTx - now <= interval {
                        repeat { nextTx += interval } while nextTx - now < -0.1
                    }
                    now = monotonic()
                }
                wait = max(0, nextTx - now)
            } else {
                wait = max(2 * stats.rttMax / 1000, 10 * interval) - (now - lastTx)
                if wait <= 0 { break }
            }
            if let deadline { wait = min(wait, deadline - now) }
            let outstanding = stats.transmitted - stats.received > 0
            if !outstanding && !options.flood && options.count.map({ stats.transmitted < $0 }) ?? true {
                // Everything answered: sleep until the next send without asking the kernel.
                flushPendingSend()
                sleep(wait)
                continue
            }
            receive(timeout: min(wait, Self.maxWaitSlice))
            if let c = options.count, stats.received >= c { break }
            if options.once && stats.received > 0 { break }
        }
        flushPendingSend()
    }

    func sleep(_ seconds: Double) {
        guard seconds > 0 else { return }
        var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        nanosleep(&ts, nil)  // SIGINT cuts it short (EINTR), which is what we want
    }

    /// One echo request: ICMP header, an 8-byte timestamp (NetBSD's tv32), the fill pattern.
    mutating func send(_ now: Double) {
        let seq = UInt16(truncatingIfNeeded: stats.transmitted)
        let dataLength = max(options.dataLength, 8)
        var p = [UInt8](repeating: 0, count: 8 + dataLength)
        p[0] = 8
        p[4] = UInt8(ident >> 8); p[5] = UInt8(ident & 0xff)
        p[6] = UInt8(seq >> 8); p[7] = UInt8(seq & 0xff)
        let phdr = options.timing ? 8 : 0
        if let pat = options.pattern, !pat.isEmpty {
            for i in phdr..<dataLength { p[8 + i] = pat[(i - phdr) % pat.count] }
        } else {
            for i in phdr..<dataLength { p[8 + i] = UInt8(truncatingIfNeeded: i) }
        }
        seen.sent(sequence: Int(seq))
        flushPendingSend()
        pendingPacket = p
        stats.sent(at: now)
        lastTx = now
        lastAnswered = false
        if options.flood { jiggle(1, now: now) }
    }

    /// Sends a request still waiting for its recvfrom companion.
    mutating func flushPendingSend() {
        guard let request = outgoing() else { return }
        let result = Self.call(kernel, request)
        sendDone(checked(result))
    }

    /// The pending echo request as a sendto, stamped now (NetBSD's tv32) and checksummed.
    mutating func outgoing() -> Request? {
        guard var p = pendingPacket else { return nil }
        pendingPacket = nil
        if options.timing {
            let now = monotonic()
            lastStamp = now
            let sec = UInt32(truncatingIfNeeded: Int(now)), usec = UInt32((now - Double(Int(now))) * 1e6)
            for k in 0..<4 {
                p[8 + k] = UInt8(truncatingIfNeeded: sec >> (24 - 8 * UInt32(k)))
                p[12 + k] = UInt8(truncatingIfNeeded: usec >> (24 - 8 * UInt32(k)))
            }
        }
        let sum = checksum(p)
        p[2] = UInt8(sum >> 8); p[3] = UInt8(sum & 0xff)
        return .sendto(fd: fd, data: p, flags: 0, address: SocketAddress.inet(target), timeout: 1000)
    }

    /// A call's result with a broken connection handled: the kernel died (or was halted)
    /// under us, which no retry can mend, so ping says so and stops.
    mutating func checked(_ result: Result<Reply, CallError>) -> Result<Reply, NetBSDErrno> {
        switch result {
        case .success(let r): return .success(r)
        case .failure(.kernel(let e)): return .failure(e.errno)
        case .failure(let e):
            if case .transport(let c) = e { kernelGone(c.description) }
            kernelGone("\(e)")
        }
    }

    static func call(_ kernel: Remote, _ request: Request) -> Result<Reply, CallError> {
        do { return .success(try kernel.client.call(request)) } catch { return .failure(error) }
    }

    /// The statistics so far, then NetBSD's err(3)-style line and status 1.
    mutating func kernelGone(_ why: String) -> Never {
        jiggleFlush(newline: true)
        var st = stats
        if options.flood && st.firstReceive == nil { st.firstReceive = st.firstSend }
        OutputStream.standardOutput.write(PingFormat.statistics(host: options.host, st, timing: options.timing,
                                                                flood: options.flood))
        OutputStream.standardOutput.flush()
        printErr(PingFormat.kernelGone(why).dropLast().description)
        exitTool(1)
    }

    mutating func sendDone(_ result: Result<Reply, NetBSDErrno>) {
        if case .failure(let e) = result {
            jiggleFlush(newline: true)
            OutputStream.standardOutput.flush()
            printErr(PingFormat.sendFailed(e).dropLast().description)
        }
    }

    func checksum(_ b: [UInt8]) -> UInt16 {
        var s: UInt32 = 0
        var i = 0
        while i + 1 < b.count { s += UInt32(b[i]) << 8 | UInt32(b[i + 1]); i += 2 }
        if i < b.count { s += UInt32(b[i]) << 8 }
        while s >> 16 != 0 { s = (s & 0xffff) + (s >> 16) }
        return ~UInt16(s)
    }

    /// One recvfrom; prints what came (a reply, an ICMP error about our requests).
    mutating func receive(timeout: Double) {
        let ms = timeout <= 0 ? 0 : Int32(min((timeout * 1000).rounded(.up), 600_000))
        let recv = Request.recvfrom(fd: fd, maxLength: 65535, flags: 0, timeout: ms)
        let result: Result<Reply, NetBSDErrno>
        if let request = outgoing() {
            let (sent, received) = kernel.client.callPair(request, recv)
            sendDone(checked(sent))
            result = checked(received)
        } else {
            let received = Self.call(kernel, recv)
            result = checked(received)
        }
        guard case .success(.dataFrom(let pkt, let from)) = result else { return }
        // When the reply reached us, as NetBSD's ping reads the clock as recvfrom returns.
        let now = kernel.client.lastArrival
        guard pkt.count >= 20 else { return }
        let hlen = Int(pkt[0] & 0x0f) * 4
        guard pkt.count >= hlen + 8 else {
            if options.verbose { printOut("packet too short (\(pkt.count) bytes) from \(from.ipv4 ?? .any)") }
            return
        }
        let icmp = pkt[hlen...]
        let type = icmp[hlen], id = UInt16(icmp[hlen + 4]) << 8 | UInt16(icmp[hlen + 5])
        let src = from.ipv4 ?? IPv4Address(pkt[12], pkt[13], pkt[14], pkt[15])
        if type == 0 && id == ident {
            let seq = UInt16(icmp[hlen + 6]) << 8 | UInt16(icmp[hlen + 7])
            if seq == UInt16(truncatingIfNeeded: stats.transmitted - 1) { lastAnswered = true }
            var rtt: Double?
            if options.timing && icmp.count >= 16 {
                var sec: UInt32 = 0, usec: UInt32 = 0
                for k in 0..<4 {
                    sec = sec << 8 | UInt32(icmp[hlen + 8 + k])
                    usec = usec << 8 | UInt32(icmp[hlen + 12 + k])
                }
                let sent = Double(sec) + Double(usec) / 1e6
                rtt = max(0, now - sent) * 1000
            }
            let dup = seen.received(sequence: Int(seq))
            let r = PingReply(bytes: icmp.count, from: src, sequence: Int(seq), ttl: Int(pkt[8]), rtt: rtt, duplicate: dup)
            stats.record(r, at: now)
            if options.quiet { return }
            if options.flood {
                jiggle(-1, now: now)
                return
            }
            if options.audible && !dup { OutputStream.standardError.write("\u{7}"); OutputStream.standardError.flush() }
            OutputStream.standardOutput.write(PingFormat.reply(r))
            OutputStream.standardOutput.flush()
        } else if [3, 4, 5, 11, 12].contains(type) {
            let e = PingICMPError(bytes: icmp.count, from: src, type: type, code: icmp[hlen + 1], quoted: Array(icmp.dropFirst(8)))
            // Only errors about our own requests, unless -v.
            if !options.verbose, e.quotedEcho?.id != ident { return }
            jiggleFlush(newline: true)
            OutputStream.standardOutput.write(PingFormat.icmpError(e, verbose: options.verbose))
            OutputStream.standardOutput.flush()
        }
    }

    mutating func jiggle(_ delta: Int, now: Double) {
        if options.quiet { return }
        if jiggleTotal + jiggleCount + delta < 0 { return }  // never back up into other output
        jiggleCount += delta
        let dt = lastTx - jiggleTime
        if dt > 0.2 || (dt >= 0.15 && delta * jiggleDirection < 0) { jiggleFlush(newline: false, now: now) }
    }

    mutating func jiggleFlush(newline: Bool, now: Double? = nil) {
        var s = ""
        if jiggleCount > 0 {
            jiggleTotal += jiggleCount
            jiggleDirection = 1
            s += String(repeating: ".", count: jiggleCount)
        } else if jiggleCount < 0 {
            jiggleTotal -= jiggleCount
            jiggleDirection = -1
            s += String(repeating: "\u{8}", count: -jiggleCount)
        }
        jiggleCount = 0
        if newline {
            if jiggleTotal != 0 { s += "\n" }
            jiggleTotal = 0
            jiggleDirection = -1
        }
        if !s.isEmpty {
            OutputStream.standardOutput.write(s)
            OutputStream.standardOutput.flush()
        }
        jiggleTime = now ?? monotonic()
    }

    /// The statistics block; exit 0 with any reply, 2 without (after -c, -w or SIGINT).
    mutating func finish() -> Never {
        signal(SIGINT, SIG_IGN)
        // Flood mode: dots still owed are dropped and the newline comes with
        // PingFormat.statistics(flood:), as NetBSD's output shows (".\n\n----").
        if !options.flood { jiggleFlush(newline: true) }
        _ = kernel.perform(.close(fd: fd))
        var st = stats
        if options.flood && st.firstReceive == nil { st.firstReceive = st.firstSend }
        OutputStream.standardOutput.write(PingFormat.statistics(host: options.host, st, timing: options.timing,
                                                                flood: options.flood))
        exitTool(PingFormat.exitStatus(stats))
    }
}

// rumpctrl's tools connect before main runs, so a missing server wins over bad arguments.
let kernel = Remote(program: "ping")
let options: PingOptions
switch PingOptions.parse(utilityArguments) {
case .exit(let o): emit(o)
case .run(let o): options = o
}
var run = Ping(kernel: kernel, options: options)
run.main()
