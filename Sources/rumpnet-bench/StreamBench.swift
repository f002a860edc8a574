// The TCP stream figure of rumpnet-bench (see main.swift for the others).

import CMallocCount
import Glibc
import RumpNet

/// TCP bulk transfer between two stacks on a memory link (MTU 1500): A writes 64 KiB chunks as
/// fast as its send buffer takes them, the link carries segments and ACKs, B reads into a 64 KiB
/// buffer. The figure is payload bytes per second app to app, both stacks' whole paths included;
/// allocations are counted per data segment.
struct StreamResult {
    var bytes: Int
    var ns: UInt64
    var segments: UInt64
    var allocs: UInt64
    var mbps: Double { Double(bytes) / (Double(ns) / 1e9) / 1e6 }
}

final class StreamBench {
    let clock = VirtualClock()
    let a: NetStack, b: NetStack
    let link = MemoryLink()
    var c: Int32 = -1, s: Int32 = -1
    var sent = 0, got = 0
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 64)
    let rx = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 64)

    init() throws {
        a = NetStack(clock: clock, seed: 1)
        b = NetStack(clock: clock, seed: 2)
        try a.attachInterface(name: "mem0", driver: link.makeDriver())
        try a.addAddress(name: "mem0", IPv4Address("10.0.1.1")!, netmask: 0xFFFF_FF00)
        try b.attachInterface(name: "mem0", driver: link.makeDriver())
        try b.addAddress(name: "mem0", IPv4Address("10.0.1.2")!, netmask: 0xFFFF_FF00)
        let l = try b.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_STREAM, protocol: 0)
        try b.bind(l, to: SocketEndpoint(.any, 5001))
        try b.listen(l, backlog: 1)
        c = try a.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_STREAM, protocol: 0)
        _ = try? a.connect(c, to: SocketEndpoint(IPv4Address("10.0.1.2")!, 5001))  // EINPROGRESS
        link.deliver()
        s = try b.accept(l).fd
        for i in 0..<chunk.count { chunk[i] = UInt8(truncatingIfNeeded: i) }
    }
    deinit { chunk.deallocate(); rx.deallocate() }

    func pump(until limit: Int) {
        while got < limit {
            var moved = false
            while sent < limit {
                guard let n = try? a.send(c, UnsafeRawBufferPointer(rebasing: chunk[0..<min(chunk.count, limit - sent)])), n > 0 else { break }
                sent += n
                moved = true
            }
            if link.deliver() > 0 { moved = true }
            while let d = try? b.receive(s, into: rx), d.copied > 0 { got += d.copied; moved = true }
            if link.deliver() > 0 { moved = true }
            if !moved {
                clock.advance(seconds: 0.001)  // a delayed ACK's turn
                a.poll(); b.poll()
            }
        }
    }
}

func tcpStream(bytes total: Int) throws -> StreamResult {
    let t = try StreamBench()
    t.pump(until: 16 << 20)  // warm up: the windows open, the buffers grow
    let seg0 = t.a.tcpStats.sndpack
    let base = t.got
    t.sent = t.got
    let a0 = malloc_count_calls()
    let t0 = nanotime()
    t.pump(until: base + total)
    let t1 = nanotime()
    let a1 = malloc_count_calls()
    return StreamResult(bytes: t.got - base, ns: t1 - t0, segments: t.a.tcpStats.sndpack - seg0, allocs: a1 - a0)
}

/// memcpy of the same number of bytes in 64 KiB pieces (the baseline of the stream figure).
func memcpyStream(bytes total: Int) -> Double {
    let n = 65536
    let src = UnsafeMutableRawBufferPointer.allocate(byteCount: n, alignment: 64)
    let dst = UnsafeMutableRawBufferPointer.allocate(byteCount: n, alignment: 64)
    for i in 0..<n { src[i] = UInt8(truncatingIfNeeded: i) }
    let t0 = nanotime()
    var done = 0
    while done < total {
        memcpy(dst.baseAddress!, src.baseAddress!, n)
        src[done & (n - 1)] = dst[(done >> 3) & (n - 1)]
        done += n
    }
    let t1 = nanotime()
    src.deallocate(); dst.deallocate()
    return Double(total) / (Double(t1 - t0) / 1e9) / 1e6
}


func streamReport(runs: Int) throws -> String {
    let streamBytes = 256 << 20
    var mbps: [Double] = [], mem: [Double] = [], allocs: [Double] = []
    for _ in 0..<runs {
        let r = try tcpStream(bytes: streamBytes)
        mbps.append(r.mbps)
        allocs.append(Double(r.allocs) / Double(max(r.segments, 1)))
        mem.append(memcpyStream(bytes: streamBytes))
    }
    mbps.sort(); mem.sort()
    let m = mbps[mbps.count / 2], b = mem[mem.count / 2]
    let ratio = (m / b * 10000).rounded() / 10000
    let al = ((allocs.max() ?? 0) * 1000).rounded() / 1000
    return "tcp stream, stack to stack (MTU 1500)  \(Int(m)) MB/s  \(Int(b)) MB/s (memcpy)  \(ratio)\n"
        + "tcp stream allocations per data segment  \(al)  0 (goal)  -"
}
