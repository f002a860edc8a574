// traceroute(8) against a rump kernel, as NetBSD's: two raw sockets in the kernel, one
// (IPPROTO_RAW, IP_HDRINCL) sending probes whose IP header we write (TTL, id, UDP to
// port + seq or ICMP echo), one (IPPROTO_ICMP) reading the time-exceeded, unreachable and
// echo-reply answers. Each probe is one sendto and its first recvfrom in one write.
#if canImport(Glibc)
import Glibc
#endif
import NetAdmin
import RumpProtocol
import ToolSupport
import UtilitySupport

let IPPROTO_IP: Int32 = 0, IPPROTO_ICMP: Int32 = 1, IPPROTO_RAW: Int32 = 255, IP_HDRINCL: Int32 = 2

func le32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

func monotonic() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func out(_ s: String) {
    guard !s.isEmpty else { return }
    OutputStream.standardOutput.write(s)
    OutputStream.standardOutput.flush()
}

// rumpctrl's tools connect first; NetBSD's traceroute opens its sockets and reads
// net.inet.ip.ttl (the default max ttl) before it parses the options.
let kernel = Remote(program: "traceroute")
@MainActor func openRaw(_ proto: Int32, _ what: String) -> Int32 {
    switch kernel.call(.socket(domain: Int32(RumpProtocol.NetBSD.AF_INET), type: RumpProtocol.NetBSD.SOCK_RAW, protocol: proto)) {
    case .success(.fd(let fd)): return fd
    case .success: emit(.errx("traceroute", "\(what): \(NetBSDErrno.EINVAL.strerror)"))
    case .failure(let e): emit(.errx("traceroute", "\(what): \(e.strerror)"))
    }
}
let icmpSocket = openRaw(IPPROTO_ICMP, "icmp socket")
let sendSocket = openRaw(IPPROTO_RAW, "raw socket")
var defaultMaxTTL = 30
if case .success(.sysctl(let l)) = kernel.call(.sysctlGet(name: "net.inet.ip.ttl")), case .int(let v)? = l.first?.value {
    defaultMaxTTL = Int(v)
}

let options: TracerouteOptions
switch TracerouteOptions.parse(utilityArguments, defaultMaxTTL: defaultMaxTTL) {
case .exit(let o): emit(o)
case .run(let o): options = o
}
let resolver = HostResolver()
guard let target = resolver.resolve(options.host) else { emit(TracerouteFormat.unknownHost(options.host)) }
if !options.gateways.isEmpty {
    // The stack sends no IP options, so loose source routes cannot be honoured.
    emit(.errx("traceroute", "-g: IP options are not supported by this kernel"))
}
if let e = kernel.perform(.setsockopt(fd: sendSocket, level: IPPROTO_IP, name: IP_HDRINCL, value: le32(1))) {
    emit(.errx("traceroute", "IP_HDRINCL: \(e.strerror)"))
}

/// The interfaces' addresses (up, not loopback): NetBSD's ifaddrlist().
@MainActor func interfaceAddresses() -> [(IPv4Address, String)] {
    guard case .success(let ifs) = kernel.interfaces() else { return [] }
    var l: [(IPv4Address, String)] = []
    for i in ifs where i.isUp && i.flags & IFF.LOOPBACK == 0 {
        for a in i.addresses { if case .inet(let v, _) = a.address { l.append((v, i.name)) } }
    }
    return l
}

// Our source address: -s, else the address the route to the target leaves from (NetBSD asks a
// connected UDP socket; the route's local address is the same answer).
var source = IPv4Address.any
if let s = options.source {
    guard let a = resolver.resolve(s) else { emit(TracerouteFormat.unknownHost(s)) }
    source = a
} else {
    let addrs = interfaceAddresses()
    if addrs.isEmpty { emit(.errx("traceroute", "Can't find any network interfaces")) }
    source = addrs[0].0
    var found = false
    if case .success(.routes(let r)) = kernel.call(.routeGet(destination: SocketAddress.inet(target))),
       let local = r.first?.localAddress?.ipv4, local != .any {
        source = local
        found = true
    }
    if addrs.count > 1 && !found {
        OutputStream.standardError.write("traceroute: Multiple interfaces found; using \(addrs[0].0) @ \(addrs[0].1)\n")
    }
}

OutputStream.standardError.write(TracerouteFormat.header(host: options.host, address: target, source: options.source,
                                                          maxTTL: options.maxTTL, packetLength: options.length))
OutputStream.standardError.flush()

let ident = UInt16.random(in: 0...0xffff) | 0x8000
let destination = SocketAddress.inet(target)
var seq = 0

/// Sends one probe and waits for its answer; prints as NetBSD does.
@MainActor func probe(ttl: Int, hop: inout TracerouteHop) {
    if !options.useICMP && UInt16(truncatingIfNeeded: options.port + seq + 1) == 0 { seq += 1 }
    seq += 1
    let id = TracerouteProbe(useICMP: options.useICMP, ident: ident, port: UInt16(options.port), seq: seq)
    var wall = timespec()
    clock_gettime(CLOCK_REALTIME, &wall)
    let packet = id.packet(source: source, destination: target, ttl: ttl, length: options.length, tos: options.tos ?? 0,
                           dontFragment: options.dontFragment, seconds: UInt32(truncatingIfNeeded: wall.tv_sec),
                           microseconds: UInt32(wall.tv_nsec / 1000))
    let sent = monotonic()
    let deadline = sent + Double(options.waitSeconds)
    let send = Request.sendto(fd: sendSocket, data: packet, flags: 0, address: destination, timeout: 1000)
    func receive(_ ms: Int32) -> Request { .recvfrom(fd: icmpSocket, maxLength: 512, flags: 0, timeout: ms) }
    let (sendResult, first) = kernel.callPair(send, receive(Int32(options.waitSeconds * 1000)))
    if case .failure(let e) = sendResult {
        OutputStream.standardError.write("traceroute: sendto: \(e.strerror)\n")
        out("traceroute: wrote \(options.host) \(packet.count) chars, ret=-1\n")
    }
    out(hop.probeSent())
    var result = first
    while true {
        guard case .success(.dataFrom(let pkt, let from)) = result else { break }
        let now = monotonic()
        if now - sent > Double(options.waitSeconds) + 1 { break }  // NetBSD's extra termination check
        let answer = TracerouteAnswer.classify(pkt, probe: id)
        if answer == .unrelated {
            if options.verbose { out(TracerouteAnswer.verboseDump(pkt, from: from.ipv4 ?? .any)) }
            let left = deadline - monotonic()
            guard left > 0 else { break }
            result = kernel.call(receive(Int32((left * 1000).rounded(.up))))
            continue
        }
        let src = from.ipv4 ?? IPv4Address(pkt[12], pkt[13], pkt[14], pkt[15])
        let to = IPv4Address(pkt[16], pkt[17], pkt[18], pkt[19])
        out(hop.answered(answer, from: src, milliseconds: (now - sent) * 1000, replyTTL: Int(pkt[8]),
                         bytes: pkt.count - Int(pkt[0] & 0x0f) * 4, to: to, verbose: options.verbose))
        return
    }
    out(hop.timedOut())
}

var sentFirst = false
var names: [IPv4Address: String] = [:]
for (name, a) in resolver.hosts { names[a] = name }
for ttl in options.firstTTL...options.maxTTL {
    var hop = TracerouteHop(ttl: ttl, numeric: options.numeric, showTTL: options.showTTL, names: names)
    for _ in 0..<options.probes {
        if sentFirst && options.pauseMilliseconds > 0 { usleep(UInt32(options.pauseMilliseconds) * 1000) }
        sentFirst = true
        probe(ttl: ttl, hop: &hop)
    }
    out("\n")
    if hop.isLast(probes: options.probes) { break }
}
_ = kernel.perform(.close(fd: sendSocket))
_ = kernel.perform(.close(fd: icmpSocket))
exitTool(0)
