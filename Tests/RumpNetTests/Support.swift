import Foundation
@testable import RumpNet

/// Several stacks on in-memory links and one virtual clock.
final class Lab {
    let clock = VirtualClock()
    var stacks: [NetStack] = []
    var links: [MemoryLink] = []
    var logs: [String] = []

    func stack(seed: UInt64) -> NetStack {
        let s = NetStack(clock: clock, seed: seed)
        s.log = { [unowned self] in self.logs.append($0) }
        stacks.append(s)
        return s
    }

    func link() -> MemoryLink {
        let l = MemoryLink()
        links.append(l)
        return l
    }

    /// Attaches `stack` to `link` as `name` with address/prefix, up.
    @discardableResult
    func attach(_ stack: NetStack, _ link: MemoryLink, _ name: String, _ addr: String, _ prefix: Int) throws -> NetInterface {
        let ifp = try stack.attachInterface(name: name, driver: link.makeDriver())
        try stack.addAddress(name: name, IPv4Address(addr)!, netmask: IPv4Address.mask(prefixLength: prefix))
        return ifp
    }

    /// Moves frames and runs due timers until nothing moves.
    func settle() {
        var rounds = 0
        while rounds < 10_000 {
            var n = 0
            for l in links { n += l.deliver() }
            for s in stacks { s.poll() }
            for l in links { n += l.pending }
            if n == 0 { break }
            rounds += 1
        }
    }

    /// Advances the clock in steps, settling after each, so every timer fires in order.
    func advance(seconds: Double, step: Double = 0.1) {
        var left = seconds
        while left > 0 {
            let d = min(step, left)
            clock.advance(seconds: d)
            settle()
            left -= d
        }
    }
}

enum Ping {
    /// An ICMP echo request (header + `size` bytes of 0, 1, 2, ...) with its checksum.
    static func request(id: UInt16, seq: UInt16, size: Int = 56) -> [UInt8] {
        var m = [UInt8](repeating: 0, count: 8 + size)
        m[0] = 8
        m[4] = UInt8(id >> 8); m[5] = UInt8(id & 0xFF)
        m[6] = UInt8(seq >> 8); m[7] = UInt8(seq & 0xFF)
        for i in 0..<size { m[8 + i] = UInt8(truncatingIfNeeded: i) }
        let c = m.withUnsafeBytes { InternetChecksum.compute($0) }
        m[2] = UInt8(c >> 8); m[3] = UInt8(c & 0xFF)
        return m
    }

    static func send(_ s: NetStack, _ fd: Int32, to: String, id: UInt16 = 0x1234, seq: UInt16, size: Int = 56) throws {
        let m = request(id: id, seq: seq, size: size)
        try m.withUnsafeBytes { _ = try s.sendto(fd, $0, to: IPv4Address(to)!) }
    }

    struct Received {
        var bytes: [UInt8]
        var from: IPv4Address
        var ttl: UInt8 { bytes[8] }
        var hl: Int { Int(bytes[0] & 0x0F) * 4 }
        var type: UInt8 { bytes[hl] }
        var code: UInt8 { bytes[hl + 1] }
        var seq: UInt16 { UInt16(bytes[hl + 6]) << 8 | UInt16(bytes[hl + 7]) }
        var icmpLength: Int { bytes.count - hl }
    }

    /// Everything queued on a raw socket.
    static func drain(_ s: NetStack, _ fd: Int32) -> [Received] {
        var out: [Received] = []
        var buf = [UInt8](repeating: 0, count: 70000)
        while true {
            let r = buf.withUnsafeMutableBytes { b -> (Int, IPv4Address)? in
                do { let x = try s.recvfrom(fd, into: b); return (x.length, x.from) } catch { return nil }
            }
            guard let (n, from) = r else { break }
            out.append(Received(bytes: Array(buf[0..<n]), from: from))
        }
        return out
    }
}

func rawICMPSocket(_ s: NetStack) throws -> Int32 {
    try s.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_RAW, protocol: SocketConstants.IPPROTO_ICMP)
}
