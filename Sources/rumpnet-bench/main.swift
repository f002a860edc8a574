// rumpnet-bench: echo request -> reply through two stacks on an in-memory link (and through a
// forwarding third stack), UDP echo between two stacks' sockets (64 and 1472 bytes of payload),
// beside a plain memcpy of the same frames, with heap allocations per packet counted by the
// CMallocCount interposer. `rumpnet-bench impair`: the impairment middleware's frames per second
// (ImpairmentBench.swift).

import CMallocCount
import Glibc
import RumpNet

func nanotime() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func echoRequest(size: Int) -> [UInt8] {
    var m = [UInt8](repeating: 0, count: 8 + size)
    m[0] = 8
    m[4] = 0x12; m[5] = 0x34
    for i in 0..<size { m[8 + i] = UInt8(truncatingIfNeeded: i) }
    let c = m.withUnsafeBytes { InternetChecksum.compute($0) }
    m[2] = UInt8(c >> 8); m[3] = UInt8(c & 0xFF)
    return m
}

struct Result {
    var name: String
    var packets: Int
    var ns: UInt64
    var allocs: UInt64
    var nsPerPacket: Double { Double(ns) / Double(packets) }
    var pps: Double { Double(packets) / (Double(ns) / 1e9) }
    var allocsPerPacket: Double { Double(allocs) / Double(packets) }
}

/// Ping-pong: sendto on A, the link carries request and reply, recvfrom on A. A "packet" is one
/// frame through one stack's input path, so each round trip counts 2 on two stacks, 4 via a router.
func pingPong(forwarding: Bool, rounds: Int, size: Int) throws -> Result {
    let clock = VirtualClock()
    let a = NetStack(clock: clock, seed: 1), b = NetStack(clock: clock, seed: 2)
    var keep: [NetStack] = [a, b]
    let l1 = MemoryLink()
    var links = [l1]
    try a.attachInterface(name: "mem0", driver: l1.makeDriver())
    try a.addAddress(name: "mem0", IPv4Address("10.0.1.1")!, netmask: 0xFFFF_FF00)
    let target: IPv4Address
    if forwarding {
        let r = NetStack(clock: clock, seed: 3)
        keep.append(r)
        let l2 = MemoryLink()
        links.append(l2)
        try r.attachInterface(name: "mem0", driver: l1.makeDriver())
        try r.addAddress(name: "mem0", IPv4Address("10.0.1.254")!, netmask: 0xFFFF_FF00)
        try r.attachInterface(name: "mem1", driver: l2.makeDriver())
        try r.addAddress(name: "mem1", IPv4Address("10.0.2.254")!, netmask: 0xFFFF_FF00)
        try r.sysctlSet("net.inet.ip.forwarding", 1)
        try b.attachInterface(name: "mem0", driver: l2.makeDriver())
        try b.addAddress(name: "mem0", IPv4Address("10.0.2.1")!, netmask: 0xFFFF_FF00)
        try a.addRoute(destination: .any, prefixLength: 0, gateway: IPv4Address("10.0.1.254")!)
        try b.addRoute(destination: .any, prefixLength: 0, gateway: IPv4Address("10.0.2.254")!)
        target = IPv4Address("10.0.2.1")!
    } else {
        try b.attachInterface(name: "mem0", driver: l1.makeDriver())
        try b.addAddress(name: "mem0", IPv4Address("10.0.1.2")!, netmask: 0xFFFF_FF00)
        target = IPv4Address("10.0.1.2")!
    }
    let fd = try a.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_RAW, protocol: 1)
    let msg = echoRequest(size: size)
    var rx = [UInt8](repeating: 0, count: 2048)
    func settle() { var n = 1; while n > 0 { n = 0; for l in links { n += l.deliver() } } }
    var got = 0
    func round(_ m: UnsafeRawBufferPointer, _ r: UnsafeMutableRawBufferPointer) throws {
        try a.sendto(fd, m, to: target)
        settle()
        while let _ = try? a.recvfrom(fd, into: r) { got += 1 }
    }
    try msg.withUnsafeBytes { m in
        try rx.withUnsafeMutableBytes { r in
            for _ in 0..<1000 { try round(m, r) }  // warm up: ARP resolved, buffers grown
            got = 0
            let a0 = malloc_count_calls()
            let t0 = nanotime()
            for _ in 0..<rounds { try round(m, r) }
            let t1 = nanotime()
            let a1 = malloc_count_calls()
            precondition(got == rounds, "lost replies: \(got) of \(rounds)")
            _ = keep
            let perRound = forwarding ? 4 : 2
            result = Result(name: forwarding ? "forwarding (3 stacks)" : "echo (2 stacks)", packets: rounds * perRound,
                            ns: t1 - t0, allocs: a1 - a0)
        }
    }
    return result!
}
nonisolated(unsafe) var result: Result?

/// UDP echo: A's connected socket sends a datagram to B's port 7, B receives it and sends it back
/// to its source, A receives the echo. A "packet" is one datagram from one socket to another (two
/// per round), so the figure is datagrams/s app to app, both stacks' send and receive included.
func udpEcho(rounds: Int, payload: Int) throws -> Result {
    let clock = VirtualClock()
    let a = NetStack(clock: clock, seed: 1), b = NetStack(clock: clock, seed: 2)
    let link = MemoryLink()
    try a.attachInterface(name: "mem0", driver: link.makeDriver())
    try a.addAddress(name: "mem0", IPv4Address("10.0.1.1")!, netmask: 0xFFFF_FF00)
    try b.attachInterface(name: "mem0", driver: link.makeDriver())
    try b.addAddress(name: "mem0", IPv4Address("10.0.1.2")!, netmask: 0xFFFF_FF00)
    let server = try b.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_DGRAM, protocol: 0)
    try b.bind(server, to: SocketEndpoint(.any, 7))
    let client = try a.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_DGRAM, protocol: 0)
    try a.connect(client, to: SocketEndpoint(IPv4Address("10.0.1.2")!, 7))
    let msg = [UInt8](repeating: 0x42, count: payload)
    var rx = [UInt8](repeating: 0, count: 2048)
    var echoed = 0
    func round(_ m: UnsafeRawBufferPointer, _ r: UnsafeMutableRawBufferPointer) throws {
        try a.send(client, m)
        link.deliver()
        while let d = try? b.receive(server, into: r) {
            try b.send(server, UnsafeRawBufferPointer(rebasing: r[0..<d.copied]), to: d.from)
        }
        link.deliver()
        while let d = try? a.receive(client, into: r) { precondition(d.length == payload); echoed += 1 }
    }
    var out: Result?
    try msg.withUnsafeBytes { m in
        try rx.withUnsafeMutableBytes { r in
            for _ in 0..<1000 { try round(m, r) }  // warm up: ARP resolved, buffers grown
            echoed = 0
            let a0 = malloc_count_calls()
            let t0 = nanotime()
            for _ in 0..<rounds { try round(m, r) }
            let t1 = nanotime()
            let a1 = malloc_count_calls()
            precondition(echoed == rounds, "lost echoes: \(echoed) of \(rounds)")
            out = Result(name: "udp echo \(payload) B (datagrams)", packets: rounds * 2, ns: t1 - t0, allocs: a1 - a0)
        }
    }
    withExtendedLifetime((a, b, link)) {}
    return out!
}

/// The same frames copied with memcpy, as many times as the stacks handle them.
func memcpyBaseline(packets: Int, size: Int) -> Result {
    let frameLen = 14 + 20 + 8 + size
    let src = UnsafeMutableRawBufferPointer.allocate(byteCount: frameLen * 2, alignment: 16)
    let dst = UnsafeMutableRawBufferPointer.allocate(byteCount: frameLen * 2, alignment: 16)
    for i in 0..<src.count { src[i] = UInt8(truncatingIfNeeded: i) }
    let a0 = malloc_count_calls()
    let t0 = nanotime()
    for i in 0..<packets {
        let off = (i & 1) * frameLen
        memcpy(dst.baseAddress! + off, src.baseAddress! + off, frameLen)
        // Keep the copy observable so it is not optimised away.
        src[off] = dst[off &+ (i & 7)]
    }
    let t1 = nanotime()
    let a1 = malloc_count_calls()
    return Result(name: "memcpy of the same frames", packets: packets, ns: t1 - t0, allocs: a1 - a0)
}

let args = CommandLine.arguments
if args.count > 1 && args[1] == "impair" {
    // rumpnet-bench impair [FRAMES [CHUNK]]: the impairment middleware (ImpairmentBench.swift).
    try impairmentReport(frames: args.count > 2 ? Int(args[2]) ?? 2_000_000 : 2_000_000, chunk: args.count > 3 ? Int(args[3]) ?? 2000 : 2000)
    exit(0)
}
let rounds = args.count > 1 ? Int(args[1]) ?? 200_000 : 200_000
let size = args.count > 2 ? Int(args[2]) ?? 56 : 56
let runs = args.count > 3 ? Int(args[3]) ?? 5 : 5

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
print("rumpnet-bench: \(rounds) round trips x \(runs) runs, ICMP payload \(size) bytes (frame \(14 + 28 + size) bytes)")
var echo: [Result] = [], fwd: [Result] = [], udpSmall: [Result] = [], udpLarge: [Result] = [], mem: [Result] = []
for _ in 0..<runs {
    echo.append(try pingPong(forwarding: false, rounds: rounds, size: size))
    fwd.append(try pingPong(forwarding: true, rounds: rounds, size: size))
    udpSmall.append(try udpEcho(rounds: rounds, payload: 64))
    udpLarge.append(try udpEcho(rounds: rounds, payload: 1472))
    mem.append(memcpyBaseline(packets: rounds * 2, size: size))
}
let memNs = median(mem.map(\.nsPerPacket))
for rs in [echo, fwd, udpSmall, udpLarge, mem] {
    let ns = median(rs.map(\.nsPerPacket))
    let pps = median(rs.map(\.pps))
    let al = rs.map(\.allocsPerPacket).max()!
    func f(_ x: Double, _ d: Int) -> String {
        let m = (0..<d).reduce(1.0) { r, _ in r * 10 }
        let v = (x * m).rounded() / m
        var t = "\(v)"
        if d == 0 { t = "\(Int(v))" }
        return t
    }
    func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
        s.count >= n ? s : (left ? s + String(repeating: " ", count: n - s.count) : String(repeating: " ", count: n - s.count) + s)
    }
    print(pad(rs[0].name, 28, left: true) + pad(f(pps, 0), 12) + " packets/s" + pad(f(ns, 1), 9) + " ns/packet"
          + pad(f(al, 3), 8) + " allocs/packet (" + String(rs.map(\.allocs).max()!) + " in run)" + pad(f(ns / memNs, 1), 8) + "x memcpy")
}

print(try streamReport(runs: runs))
