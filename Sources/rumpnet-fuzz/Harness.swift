// libFuzzer entry point: each input is one frame (first byte: bit 0 picks the interface, bit 1
// steers a TCP segment into the connection's window, bit 2 then fixes its checksum) fed to a
// stack configured as a forwarding router with two links, with a raw socket and UDP sockets (bound
// to port 53 on any address, and one connected to 10.0.0.2:53 so ICMP errors reach so_error), and
// TCP: a listener on port 80, a connection accepted from 10.0.0.2:1234 (set up again whenever an
// input ends it) and one connecting to 10.0.0.2:80; invariants are checked after every frame.
// IPv6 is on too (fd00::1/64 and its link-local on shmif0, fd01::1/64 on shmif1, forwarding and
// accept_rtadv on, a raw ICMPv6 socket): frames of type 0x86dd reach it, and bit 3 of the first
// byte fixes an ICMPv6 message's checksum so mutated ND, MLD and echo messages get past it.

import RumpNet

final class SinkDriver: LinkDriver {
    var frames = 0
    /// Where each TCP connection to 10.0.0.2 stands, by peer port, from what our side last sent:
    /// the next sequence number and the last acknowledgment. Steering uses them so mutated
    /// segments reach the in-window paths a random 32-bit number almost never hits.
    var nextSeq: [UInt16: UInt32] = [:]
    var lastAck: [UInt16: UInt32] = [:]

    func transmit(_ frame: UnsafeRawBufferPointer) -> Bool {
        frames &+= 1
        // Ethernet + IPv4 + TCP.
        guard frame.count >= 54, frame[12] == 0x08, frame[13] == 0x00, frame[23] == 6 else { return true }
        let hl = Int(frame[14] & 0x0F) * 4
        let t = 14 + hl
        guard hl >= 20, frame.count >= t + 20 else { return true }
        func be16(_ i: Int) -> UInt16 { UInt16(frame[i]) << 8 | UInt16(frame[i + 1]) }
        func be32(_ i: Int) -> UInt32 { UInt32(be16(i)) << 16 | UInt32(be16(i + 2)) }
        let port = be16(t + 2)
        let flags = frame[t + 13]
        let payload = Int(be16(16)) - hl - Int(frame[t + 12] >> 4) * 4
        nextSeq[port] = be32(t + 4) &+ UInt32(max(0, payload)) &+ (flags & 0x02 != 0 ? 1 : 0) &+ (flags & 0x01 != 0 ? 1 : 0)
        if flags & 0x10 != 0 { lastAck[port] = be32(t + 8) }
        return true
    }
}

final class Harness {
    let clock = VirtualClock()
    let stack: NetStack
    let fd: Int32
    let udpBound: Int32, udpConnected: Int32
    let sink0 = SinkDriver()
    let tcpListener: Int32, tcpClient: Int32
    let icmp6: Int32
    var tcpServer: Int32 = -1
    static let peer = IPv4Address("10.0.0.2")!, local = IPv4Address("10.0.0.1")!
    static let peerMAC = MACAddress("b2:a0:00:00:00:99")!, localMAC = MACAddress("b2:a0:00:00:00:01")!
    var inputs = 0
    var rx = [UInt8](repeating: 0, count: 70000)
    var frame = [UInt8](repeating: 0, count: 2048)

    init() {
        stack = NetStack(clock: clock, seed: 1)
        try! stack.attachInterface(name: "shmif0", driver: sink0, mac: Harness.localMAC)
        try! stack.attachInterface(name: "shmif1", driver: SinkDriver(), mac: MACAddress("b2:a0:00:00:00:02")!)
        try! stack.addAddress(name: "shmif0", IPv4Address("10.0.0.1")!, netmask: 0xFFFF_FF00)
        try! stack.addAddress(name: "shmif1", IPv4Address("10.0.1.1")!, netmask: 0xFFFF_FF00)
        try! stack.arpSet(IPv4Address("10.0.1.7")!, mac: MACAddress("b2:a0:00:00:01:07")!)
        try! stack.addRoute(destination: .any, prefixLength: 0, gateway: IPv4Address("10.0.1.7")!)
        try! stack.sysctlSet("net.inet.ip.forwarding", 1)
        try! stack.sysctlSet("net.inet.icmp.errppslimit", -1)
        fd = try! stack.socket(domain: 2, type: 3, protocol: 0)
        udpBound = try! stack.socket(domain: 2, type: 2, protocol: 0)
        try! stack.bind(udpBound, to: SocketEndpoint(.any, 53))
        udpConnected = try! stack.socket(domain: 2, type: 2, protocol: 0)
        try! stack.connect(udpConnected, to: SocketEndpoint(IPv4Address("10.0.0.2")!, 53))
        try! stack.arpSet(Harness.peer, mac: Harness.peerMAC)
        try! stack.sysctlSet("net.inet.tcp.rstppslimit", -1)
        tcpListener = try! stack.socket(domain: 2, type: 1, protocol: 0)
        try! stack.bind(tcpListener, to: SocketEndpoint(.any, 80))
        try! stack.listen(tcpListener, backlog: 8)
        tcpClient = try! stack.socket(domain: 2, type: 1, protocol: 0)
        do { try stack.connect(tcpClient, to: SocketEndpoint(Harness.peer, 80)) } catch {}  // EINPROGRESS
        stack.enableIPv6()
        try! stack.sysctlSet("net.inet6.ip6.dad_count", 0)
        try! stack.addAddress6(name: "shmif0", IPv6Address("fd00::1")!, prefixLength: 64)
        try! stack.addAddress6(name: "shmif1", IPv6Address("fd01::1")!, prefixLength: 64)
        try! stack.sysctlSet("net.inet6.ip6.forwarding", 1)
        try! stack.sysctlSet("net.inet6.ip6.accept_rtadv", 1)
        try! stack.sysctlSet("net.inet6.icmp6.errppslimit", -1)
        try! stack.addRoute6(destination: .any, prefixLength: 0, gateway: IPv6Address("fd01::7")!)
        icmp6 = try! stack.socket(domain: 24, type: 3, protocol: 58)
        establish()
    }

    /// An IPv6 frame carrying ICMPv6 right after its header: the checksum made right.
    func fixICMPv6(_ f: UnsafeMutableRawBufferPointer) {
        guard f.count >= 58, f[12] == 0x86, f[13] == 0xDD, f[20] == 58 else { return }
        let plen = Int(f[18]) << 8 | Int(f[19])
        guard plen >= 4, 54 + plen <= f.count else { return }
        let src = IPv6Address(loadingFrom: f.baseAddress! + 22), dst = IPv6Address(loadingFrom: f.baseAddress! + 38)
        ICMPv6Emitter.setChecksum(UnsafeMutableRawBufferPointer(rebasing: f[54..<(54 + plen)]), src: src, dst: dst)
    }

    /// A TCP segment from 10.0.0.2:1234 to port 80 (Ethernet and IPv4 around it).
    func inject(_ r: TCPRepr) {
        let ipLen = 20 + r.headerLength
        frame.withUnsafeMutableBytes { p in
            EthernetEmitter.emit(p, dst: Harness.localMAC, src: Harness.peerMAC, type: EtherType.ipv4)
            let ip = UnsafeMutableRawBufferPointer(rebasing: p[14..<(14 + ipLen)])
            r.emit(UnsafeMutableRawBufferPointer(rebasing: ip[20...]), payloadLength: 0, src: Harness.peer, dst: Harness.local)
            IPv4Emitter.emit(ip, totalLength: ipLen, id: 1, ttl: 64, proto: IPProtocol.tcp, src: Harness.peer, dst: Harness.local)
            stack.receive(UnsafeRawBufferPointer(rebasing: p[0..<(14 + ipLen)]), on: 2)
        }
    }

    /// The handshake from 10.0.0.2:1234 (ISN 1000, timestamps, SACK, window scale), accepted.
    func establish() {
        if tcpServer >= 0 { try? stack.close(tcpServer); tcpServer = -1 }
        var syn = TCPRepr(sourcePort: 1234, destinationPort: 80, sequence: TCPSeq(1000), acknowledgment: TCPSeq(0),
                          flags: .syn, window: 65535)
        syn.maxSegmentSize = 1460; syn.windowScale = 3; syn.sackPermitted = true; syn.timestamp = (1, 0)
        inject(syn)
        guard let iss1 = sink0.nextSeq[1234] else { return }
        var ack = TCPRepr(sourcePort: 1234, destinationPort: 80, sequence: TCPSeq(1001), acknowledgment: TCPSeq(iss1),
                          flags: .ack, window: 65535)
        ack.timestamp = (2, 0)
        inject(ack)
        if let (fd, _) = try? stack.accept(tcpListener) { tcpServer = fd }
    }

    /// Bit 1 of the first byte: a TCP segment from 10.0.0.2 gets the sequence number its
    /// connection expects and an acknowledgment near what we sent, each moved by a signed
    /// byte of the input; bit 2: its checksum is fixed. Returns false when not steerable.
    func steer(_ f: UnsafeMutableRawBufferPointer, fixChecksum: Bool) -> Bool {
        guard f.count >= 54, f[12] == 0x08, f[13] == 0x00, f[23] == 6 else { return false }
        let hl = Int(f[14] & 0x0F) * 4
        let t = 14 + hl
        let total = Int(f[16]) << 8 | Int(f[17])
        guard hl >= 20, f.count >= t + 20, total >= hl + 20, 14 + total <= f.count else { return false }
        let port = UInt16(f[t]) << 8 | UInt16(f[t + 1])
        guard let next = sink0.nextSeq[port] else { return false }
        let expected = sink0.lastAck[port] ?? 0
        f.putBE32(t + 4, expected &+ UInt32(bitPattern: Int32(Int8(bitPattern: f[t + 7]))))
        f.putBE32(t + 8, next &+ UInt32(bitPattern: Int32(Int8(bitPattern: f[t + 11]))))
        if fixChecksum {
            f.putBE16(t + 16, 0)
            let src = IPv4Address(f.getBE32(26)), dst = IPv4Address(f.getBE32(30))
            let seg = UnsafeRawBufferPointer(rebasing: f[t..<(14 + total)])
            f.putBE16(t + 16, InternetChecksum.compute(seg, initial: InternetChecksum.pseudoHeader(
                src: src, dst: dst, proto: IPProtocol.tcp, length: total - hl)))
        }
        return true
    }

    func run(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 1 else { return }
        let ifIndex = 2 + Int(data[0] & 1)
        let body = UnsafeRawBufferPointer(rebasing: data[1...])
        if data[0] & 10 != 0, body.count <= frame.count {
            frame.withUnsafeMutableBytes { p in
                let f = UnsafeMutableRawBufferPointer(rebasing: p[0..<body.count])
                f.copyMemory(from: body)
                if data[0] & 2 != 0 { _ = steer(f, fixChecksum: data[0] & 4 != 0) }
                if data[0] & 8 != 0 { fixICMPv6(f) }
                stack.receive(UnsafeRawBufferPointer(f), on: ifIndex)
            }
        } else {
            stack.receive(body, on: ifIndex)
        }
        inputs &+= 1
        if inputs % 64 == 0 {
            clock.advance(nanoseconds: 500_000_000)
            stack.poll()
            rx.withUnsafeMutableBytes { b in
                while (try? stack.recvfrom(fd, into: b)) != nil {}
                while (try? stack.recvfrom6(icmp6, into: b)) != nil {}
                for u in [udpBound, udpConnected] {
                    // Datagrams, then a pending so_error (which the failing receive clears).
                    while (try? stack.receive(u, into: b)) != nil {}
                    precondition(stack.socketEvents(u) == .writable)
                }
                // TCP: take what arrived, send some, accept and reset what completed.
                for t in [tcpServer, tcpClient] where t >= 0 {
                    while let d = try? stack.receive(t, into: b), d.copied > 0 {}
                }
                if tcpServer >= 0 {
                    _ = try? stack.send(tcpServer, UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(b)[0..<100]))
                }
                while let (fd, _) = try? stack.accept(tcpListener) {
                    try? stack.setOption(fd, .linger(0))
                    try? stack.close(fd)
                }
            }
            let serverState = stack.socketList.first { $0.fd == tcpServer }?.tcpState
            if serverState == nil || serverState == .closed || serverState == .timeWait { establish() }
            _ = try? stack.accept(tcpListener).fd
        }
        // A listen queue is bounded (3/2 × backlog + 1) and so is every other TCP state here.
        precondition(stack.socketList.count <= 64)
        // Bounded state whatever the input.
        precondition(stack.arpEntries.count <= 4096)
        precondition(stack.neighborCount <= 4096 && stack.heldPackets6 <= 256)
        if let d = stack.nextDeadline { precondition(d >= clock.now || d + 2_000_000_000 >= clock.now) }
    }
}

// RumpNet's byte accessors are internal: the harness's own.
extension UnsafeMutableRawBufferPointer {
    func putBE16(_ i: Int, _ v: UInt16) { self[i] = UInt8(v >> 8); self[i + 1] = UInt8(v & 0xFF) }
    func putBE32(_ i: Int, _ v: UInt32) { putBE16(i, UInt16(v >> 16)); putBE16(i + 2, UInt16(v & 0xFFFF)) }
    func getBE32(_ i: Int) -> UInt32 { UInt32(self[i]) << 24 | UInt32(self[i + 1]) << 16 | UInt32(self[i + 2]) << 8 | UInt32(self[i + 3]) }
}

// The fuzzer calls in on one thread only.
nonisolated(unsafe) let harness = Harness()

@_cdecl("LLVMFuzzerTestOneInput")
public func rumpnetFuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    harness.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
