import Testing
@testable import RumpNet

func v6(_ s: String) -> IPv6Address { IPv6Address(s)! }

extension Lab {
    /// A stack with IPv6 on.
    func stack6(seed: UInt64) -> NetStack {
        let s = stack(seed: seed)
        s.enableIPv6()
        return s
    }

    /// Attaches an Ethernet interface with a fixed MAC and brings it up (its link-local forms).
    @discardableResult
    func attach6(_ s: NetStack, _ l: MemoryLink, _ name: String, mac: UInt64) throws -> NetInterface {
        let ifp = try s.attachInterface(name: name, driver: l.makeDriver(), mac: MACAddress(mac))
        try s.setUp(name: name, true)
        return ifp
    }
}

enum Ping6 {
    /// An echo request (checksum left to the stack, as for any raw ICMPv6 send).
    static func request(id: UInt16 = 0x77, seq: UInt16, size: Int = 8) -> [UInt8] {
        var m = [UInt8](repeating: 0, count: 8 + size)
        m[0] = ICMPv6Type.echoRequest
        m[4] = UInt8(id >> 8); m[5] = UInt8(id & 0xFF)
        m[6] = UInt8(seq >> 8); m[7] = UInt8(seq & 0xFF)
        for i in 0..<size { m[8 + i] = UInt8(truncatingIfNeeded: i) }
        return m
    }

    static func socket(_ s: NetStack) throws -> Int32 {
        try s.socket(domain: SocketConstants.AF_INET6, type: SocketConstants.SOCK_RAW, protocol: SocketConstants.IPPROTO_ICMPV6)
    }

    static func send(_ s: NetStack, _ fd: Int32, to: IPv6Address, scope: UInt32 = 0, seq: UInt16, size: Int = 8,
                     hopLimit: Int? = nil) throws {
        let m = request(seq: seq, size: size)
        try m.withUnsafeBytes { _ = try s.sendto6(fd, $0, to: to, scopeID: scope, hopLimit: hopLimit) }
    }

    struct Got {
        var bytes: [UInt8]
        var from: IPv6Address
        var scope: UInt32
        var hopLimit: Int
        var type: UInt8 { bytes[0] }
        var code: UInt8 { bytes[1] }
        var word: UInt32 { UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 16 | UInt32(bytes[6]) << 8 | UInt32(bytes[7]) }
        var seq: UInt16 { UInt16(bytes[6]) << 8 | UInt16(bytes[7]) }
    }

    static func drain(_ s: NetStack, _ fd: Int32) -> [Got] {
        var out: [Got] = []
        var buf = [UInt8](repeating: 0, count: 70000)
        while true {
            let r = buf.withUnsafeMutableBytes { b -> ReceivedDatagram6? in try? s.recvfrom6(fd, into: b) }
            guard let r else { break }
            out.append(Got(bytes: Array(buf[0..<min(r.length, buf.count)]), from: r.from, scope: r.scopeID, hopLimit: r.hopLimit))
        }
        return out
    }
}

/// Builds IPv6 frames to inject.
enum Frame6 {
    /// Ethernet + IPv6 header + `payload` (extension headers and all), next header `nh`.
    static func make(dstMAC: MACAddress, srcMAC: MACAddress, src: IPv6Address, dst: IPv6Address, nh: UInt8,
                     hopLimit: UInt8 = 64, payload: [UInt8]) -> [UInt8] {
        var f = [UInt8](repeating: 0, count: 54)
        f.withUnsafeMutableBytes { p in
            EthernetEmitter.emit(p, dst: dstMAC, src: srcMAC, type: EtherType.ipv6)
            IPv6Emitter.emit(UnsafeMutableRawBufferPointer(rebasing: p[14...]), payloadLength: payload.count, nextHeader: nh,
                             hopLimit: hopLimit, src: src, dst: dst)
        }
        return f + payload
    }

    /// An ICMPv6 message with its checksum for (src, dst).
    static func icmp(_ m: [UInt8], src: IPv6Address, dst: IPv6Address) -> [UInt8] {
        var m = m
        m.withUnsafeMutableBytes { ICMPv6Emitter.setChecksum($0, src: src, dst: dst) }
        return m
    }

    /// A destination options (or hop-by-hop) header of `nh` with `options` (padded to 8).
    static func options(next nh: UInt8, _ options: [UInt8]) -> [UInt8] {
        var o = options
        let total = (2 + o.count + 7) / 8 * 8
        let pad = total - 2 - o.count
        if pad == 1 { o.append(0) } else if pad > 1 { o += [1, UInt8(pad - 2)] + [UInt8](repeating: 0, count: pad - 2) }
        return [nh, UInt8(total / 8 - 1)] + o
    }
}
