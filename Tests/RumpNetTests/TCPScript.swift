// A packetdrill-like harness: ONE stack under test on a MemoryLink port, the test playing the peer.
// The peer injects Ethernet+IPv4+TCP frames built with TCPRepr (options, timestamps, SACK blocks);
// every frame the stack sends is caught by the link's tap, parsed back to a TCPRepr and payload,
// and kept with the virtual time it left. Time moves only when the script says so, and then from
// one stack deadline to the next, so a retransmission's time is exact to the nanosecond. ARP is
// filled in statically, so no ARP traffic interleaves with the segments.

import Foundation
import Testing
@testable import RumpNet

/// One segment the stack sent, as the peer sees it.
struct SentSegment: CustomStringConvertible {
    /// Nanoseconds since the script started.
    var at: UInt64
    var tcp: TCPRepr
    var payload: [UInt8]
    var source: IPv4Address, destination: IPv4Address

    var flags: TCPView.Flags { tcp.flags }
    var seq: TCPSeq { tcp.sequence }
    var ack: TCPSeq { tcp.acknowledgment }
    var window: UInt16 { tcp.window }
    /// Milliseconds since the script started.
    var ms: Double { Double(at) / 1e6 }

    var description: String {
        var f = ""
        if flags.contains(.syn) { f += "S" }
        if flags.contains(.fin) { f += "F" }
        if flags.contains(.rst) { f += "R" }
        if flags.contains(.psh) { f += "P" }
        if flags.contains(.ack) { f += "." }
        var o: [String] = []
        if let m = tcp.maxSegmentSize { o.append("mss \(m)") }
        if let w = tcp.windowScale { o.append("wscale \(w)") }
        if tcp.sackPermitted { o.append("sackOK") }
        if let t = tcp.timestamp { o.append("TS \(t.value) ecr \(t.echo)") }
        if !tcp.sackBlocks.isEmpty { o.append("sack " + tcp.sackBlocks.map { "\($0.left.raw):\($0.right.raw)" }.joined(separator: " ")) }
        return "\(ms)ms [\(f)] seq \(seq.raw) ack \(ack.raw) win \(window) len \(payload.count) <\(o.joined(separator: ","))>"
    }
}

/// The options the peer offers in its SYN and then uses.
struct PeerOptions {
    var mss: UInt16? = 1460
    var windowScale: UInt8? = nil
    var sackPermitted = false
    var timestamps = false
    static let none = PeerOptions(mss: nil)
    static let plain = PeerOptions()
    /// What NetBSD offers: MSS, window scale 3, SACK-permitted, timestamps.
    static let netbsd = PeerOptions(mss: 1460, windowScale: 3, sackPermitted: true, timestamps: true)
}

/// One connection between the stack and the scripted peer: the next sequence numbers each side
/// will use, so a test writes `conn.theirs` and `conn.ours` instead of raw numbers.
struct ScriptConnection {
    var fd: Int32
    /// Our ISS and the peer's ISN.
    var iss: TCPSeq, irs: TCPSeq
    /// The stack's next sequence number (snd_nxt as the peer has seen it).
    var ours: TCPSeq
    /// The peer's next sequence number.
    var theirs: TCPSeq
}

final class TCPScript {
    let clock = VirtualClock()
    let stack: NetStack
    let link = MemoryLink()
    let ifIndex: Int
    static let local = IPv4Address("10.0.0.1")!
    static let peer = IPv4Address("10.0.0.2")!
    let localMAC = MACAddress("b2:a0:00:00:00:01")!
    let peerMAC = MACAddress("b2:a0:00:00:00:02")!
    var localPort: UInt16 = 8080
    var peerPort: UInt16 = 40000
    let start: UInt64
    /// Segments sent and not yet taken by the test, oldest first.
    private(set) var outbox: [SentSegment] = []
    /// Frames that were not TCP/IPv4 (should stay empty: ARP is static).
    private(set) var otherFrames = 0
    /// The peer's options once the SYN went out, and its timestamp clock.
    var peerOptions = PeerOptions.plain
    var peerTSval: UInt32 = 1000
    /// The last TSval the stack sent: what the peer echoes.
    var lastTSval: UInt32 = 0
    private var frame = [UInt8](repeating: 0, count: 2048)
    /// TCPSCRIPT_TRACE=1 prints every segment both ways.
    static let trace = ProcessInfo.processInfo.environment["TCPSCRIPT_TRACE"] != nil

    init(seed: UInt64 = 7, sysctl: [(String, Int)] = []) throws {
        stack = NetStack(clock: clock, seed: seed)
        let ifp = try stack.attachInterface(name: "shmif0", driver: link.makeDriver(), mac: localMAC)
        ifIndex = ifp.index
        try stack.addAddress(name: "shmif0", TCPScript.local, netmask: IPv4Address.mask(prefixLength: 24))
        try stack.arpSet(TCPScript.peer, mac: peerMAC)
        for (name, value) in sysctl { try stack.sysctlSet(name, value) }
        start = clock.now
        link.tap = { [unowned self] f in self.record(f) }
    }

    /// Nanoseconds since the script started.
    var elapsed: UInt64 { clock.now - start }

    private func record(_ f: UnsafeRawBufferPointer) {
        guard let eh = EthernetView(f), eh.etherType == EtherType.ipv4,
              let ip = try? IPv4View(eh.payload), ip.proto == IPProtocol.tcp,
              let view = TCPView(ip.payload) else { otherFrames += 1; return }
        #expect(view.isChecksumValid(src: ip.source, dst: ip.destination), "bad TCP checksum in a segment we sent")
        guard let repr = try? TCPRepr(parsing: view) else {
            Issue.record("the stack sent a TCP header that does not parse")
            return
        }
        if let ts = repr.timestamp { lastTSval = ts.value }
        if TCPScript.trace { print("TCPScript > \(SentSegment(at: elapsed, tcp: repr, payload: [], source: ip.source, destination: ip.destination)) len \(view.payload.count)") }
        outbox.append(SentSegment(at: elapsed, tcp: repr, payload: Array(view.payload),
                                  source: ip.source, destination: ip.destination))
    }

    /// Delivers what the stack queued and runs what is due now.
    func flush() {
        var rounds = 0
        repeat {
            link.deliver()
            stack.poll()
            rounds += 1
        } while link.pending > 0 && rounds < 10_000
    }

    /// Moves virtual time forward by `seconds`, stopping at every stack deadline on the way so
    /// timers fire at their exact times.
    func advance(_ seconds: Double) {
        advance(nanoseconds: UInt64((seconds * 1e9).rounded()))
    }

    func advance(nanoseconds: UInt64) {
        let target = clock.now + nanoseconds
        flush()
        var steps = 0
        while let d = stack.nextDeadline, d <= target, steps < 1_000_000 {
            if d > clock.now { clock.now = d }
            flush()
            steps += 1
        }
        clock.now = target
        flush()
    }

    /// Advances to `ms` milliseconds after the script's start.
    func advance(toMs ms: Double) {
        let t = start + UInt64((ms * 1e6).rounded())
        if t > clock.now { advance(nanoseconds: t - clock.now) }
    }

    // MARK: the peer's segments

    /// A segment from the peer with its ports; the peer's timestamps when they were agreed.
    func segment(_ flags: TCPView.Flags, seq: TCPSeq, ack: TCPSeq = TCPSeq(0), window: UInt16 = 65535) -> TCPRepr {
        var r = TCPRepr(sourcePort: peerPort, destinationPort: localPort, sequence: seq, acknowledgment: ack,
                        flags: flags, window: window)
        if peerOptions.timestamps { r.timestamp = (peerTSval, flags.contains(.syn) && !flags.contains(.ack) ? 0 : lastTSval) }
        return r
    }

    /// Injects `repr` with `payload` as a frame from the peer (checksummed unless `badChecksum`).
    func inject(_ repr: TCPRepr, payload: [UInt8] = [], badChecksum: Bool = false) {
        if TCPScript.trace { print("TCPScript < \(SentSegment(at: elapsed, tcp: repr, payload: payload, source: TCPScript.peer, destination: TCPScript.local))") }
        let hl = repr.headerLength
        let ipLen = 20 + hl + payload.count
        frame.withUnsafeMutableBytes { p in
            EthernetEmitter.emit(p, dst: localMAC, src: peerMAC, type: EtherType.ipv4)
            let ip = UnsafeMutableRawBufferPointer(rebasing: p[14..<(14 + ipLen)])
            for (i, b) in payload.enumerated() { ip[20 + hl + i] = b }
            repr.emit(UnsafeMutableRawBufferPointer(rebasing: ip[20...]), payloadLength: payload.count,
                      src: TCPScript.peer, dst: TCPScript.local)
            if badChecksum { ip[36] ^= 0xFF }
            IPv4Emitter.emit(ip, totalLength: ipLen, id: 1, flagsFragment: IPv4Emitter.DF, ttl: 64,
                             proto: IPProtocol.tcp, src: TCPScript.peer, dst: TCPScript.local)
            stack.receive(UnsafeRawBufferPointer(rebasing: p[0..<(14 + ipLen)]), on: ifIndex)
        }
        flush()
    }

    /// Injects raw TCP header+payload bytes (anything, malformed included) inside a valid IPv4 frame.
    func injectRaw(tcp bytes: [UInt8], fixChecksum: Bool = true) {
        var b = bytes
        if fixChecksum && b.count >= 18 {
            b[16] = 0; b[17] = 0
            let c = b.withUnsafeBytes {
                InternetChecksum.compute($0, initial: InternetChecksum.pseudoHeader(
                    src: TCPScript.peer, dst: TCPScript.local, proto: IPProtocol.tcp, length: b.count))
            }
            b[16] = UInt8(c >> 8); b[17] = UInt8(c & 0xFF)
        }
        let ipLen = 20 + b.count
        frame.withUnsafeMutableBytes { p in
            EthernetEmitter.emit(p, dst: localMAC, src: peerMAC, type: EtherType.ipv4)
            let ip = UnsafeMutableRawBufferPointer(rebasing: p[14..<(14 + ipLen)])
            for (i, x) in b.enumerated() { ip[20 + i] = x }
            IPv4Emitter.emit(ip, totalLength: ipLen, id: 1, ttl: 64, proto: IPProtocol.tcp, src: TCPScript.peer, dst: TCPScript.local)
            stack.receive(UnsafeRawBufferPointer(rebasing: p[0..<(14 + ipLen)]), on: ifIndex)
        }
        flush()
    }

    /// An ICMP error from the peer (or `from`) quoting `segment`'s IP header and first 8 TCP bytes.
    func injectICMP(type: UInt8, code: UInt8, nextHopMTU: UInt16 = 0, quoting segment: SentSegment,
                    from: IPv4Address = TCPScript.peer) {
        var quoted = [UInt8](repeating: 0, count: 28)
        quoted.withUnsafeMutableBytes { q in
            IPv4Emitter.emit(q, totalLength: 20 + segment.tcp.headerLength + segment.payload.count, id: 9,
                             flagsFragment: IPv4Emitter.DF, ttl: 64, proto: IPProtocol.tcp,
                             src: segment.source, dst: segment.destination)
        }
        quoted[20] = UInt8(segment.tcp.sourcePort >> 8); quoted[21] = UInt8(segment.tcp.sourcePort & 0xFF)
        quoted[22] = UInt8(segment.tcp.destinationPort >> 8); quoted[23] = UInt8(segment.tcp.destinationPort & 0xFF)
        let seq = segment.seq.raw
        quoted[24] = UInt8(seq >> 24); quoted[25] = UInt8((seq >> 16) & 0xFF); quoted[26] = UInt8((seq >> 8) & 0xFF); quoted[27] = UInt8(seq & 0xFF)
        var icmp = [UInt8](repeating: 0, count: 8) + quoted
        icmp.withUnsafeMutableBytes { ICMPEmitter.emit($0, type: type, code: code, rest: UInt32(nextHopMTU), length: $0.count) }
        let ipLen = 20 + icmp.count
        frame.withUnsafeMutableBytes { p in
            EthernetEmitter.emit(p, dst: localMAC, src: peerMAC, type: EtherType.ipv4)
            let ip = UnsafeMutableRawBufferPointer(rebasing: p[14..<(14 + ipLen)])
            for (i, b) in icmp.enumerated() { ip[20 + i] = b }
            IPv4Emitter.emit(ip, totalLength: ipLen, id: 2, ttl: 64, proto: IPProtocol.icmp, src: from, dst: TCPScript.local)
            stack.receive(UnsafeRawBufferPointer(rebasing: p[0..<(14 + ipLen)]), on: ifIndex)
        }
        flush()
    }

    // MARK: what the stack sent

    /// The oldest segment not yet taken; records an issue when there is none.
    @discardableResult
    func take(_ what: String = "a segment", sourceLocation: SourceLocation = #_sourceLocation) -> SentSegment? {
        flush()
        guard !outbox.isEmpty else {
            Issue.record("expected \(what), the stack sent nothing", sourceLocation: sourceLocation)
            return nil
        }
        return outbox.removeFirst()
    }

    /// Every segment not yet taken.
    func takeAll() -> [SentSegment] {
        flush()
        defer { outbox.removeAll() }
        return outbox
    }

    /// Records an issue for every segment sent and not taken.
    func expectNothing(_ why: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        flush()
        for s in outbox { Issue.record("unexpected segment \(s) \(why)", sourceLocation: sourceLocation) }
        outbox.removeAll()
    }

    /// Takes one segment and checks its flags, sequence and acknowledgment numbers (and, when
    /// given, window, payload length and time in ms since the start).
    @discardableResult
    func expect(_ flags: TCPView.Flags, seq: TCPSeq? = nil, ack: TCPSeq? = nil, window: UInt16? = nil, length: Int? = nil,
                atMs: Double? = nil, sourceLocation: SourceLocation = #_sourceLocation) -> SentSegment? {
        guard let s = take("[\(flags.rawValue)]", sourceLocation: sourceLocation) else { return nil }
        #expect(s.flags == flags, "flags of \(s)", sourceLocation: sourceLocation)
        if let seq { #expect(s.seq == seq, "seq of \(s), want \(seq.raw)", sourceLocation: sourceLocation) }
        if let ack { #expect(s.ack == ack, "ack of \(s), want \(ack.raw)", sourceLocation: sourceLocation) }
        if let window { #expect(s.window == window, "window of \(s)", sourceLocation: sourceLocation) }
        if let length { #expect(s.payload.count == length, "length of \(s)", sourceLocation: sourceLocation) }
        if let atMs { #expect(abs(s.ms - atMs) < 0.0005, "time of \(s), want \(atMs) ms", sourceLocation: sourceLocation) }
        return s
    }

    // MARK: sockets

    func stream() throws -> Int32 {
        try stack.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_STREAM, protocol: 0)
    }

    func listen(port: UInt16? = nil, backlog: Int = 8) throws -> Int32 {
        let l = try stream()
        try stack.bind(l, to: SocketEndpoint(.any, port ?? localPort))
        try stack.listen(l, backlog: backlog)
        return l
    }

    /// The pending error (SO_ERROR), read and cleared.
    func soError(_ fd: Int32) throws -> Errno? {
        let e = try stack.getOption(fd, .error)
        return e == 0 ? nil : Errno(rawValue: Int32(e))
    }

    /// The connection's control block (white-box checks of cwnd, ssthresh, RTO).
    func tcb(_ fd: Int32) -> TCPControlBlock? { stack.sockets.get(fd)?.tcb }

    func state(_ fd: Int32) -> TCPState? { stack.socketList.first { $0.fd == fd }?.tcpState }

    /// The state of the connection to the peer's current port, descriptor or not (nil: none
    /// but closed ones).
    var connectionState: TCPState? {
        stack.socketList.first { $0.foreign == SocketEndpoint(TCPScript.peer, peerPort) && $0.tcpState != .listen && $0.tcpState != .closed }?.tcpState
    }

    @discardableResult
    func write(_ fd: Int32, _ data: [UInt8]) throws -> Int {
        let n = try data.withUnsafeBytes { try stack.send(fd, $0) }
        flush()
        return n
    }

    /// What is readable now: nil at end of file, [] when nothing is there.
    func read(_ fd: Int32, max: Int = 1 << 20) throws -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: max)
        do {
            let d = try buf.withUnsafeMutableBytes { try stack.receive(fd, into: $0) }
            flush()
            return d.copied == 0 ? nil : Array(buf[0..<d.copied])
        } catch let e as Errno where e == .EWOULDBLOCK {
            return []
        }
    }

    // MARK: opening connections

    /// The peer's SYN options as `segment` would put them.
    func synOptions(_ r: inout TCPRepr, _ o: PeerOptions) {
        r.maxSegmentSize = o.mss
        r.windowScale = o.windowScale
        r.sackPermitted = o.sackPermitted
        r.timestamp = o.timestamps ? (peerTSval, r.flags.contains(.ack) ? lastTSval : 0) : nil
    }

    /// Passive open: a listener on localPort, the peer's SYN, our SYN-ACK (checked), the peer's
    /// ACK, accept. Returns the accepted connection.
    func acceptConnection(_ o: PeerOptions = .plain, isn: UInt32 = 1_000_000, window: UInt16 = 65535,
                          listener: Int32? = nil, rtt: Double = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> ScriptConnection {
        let l = try listener ?? listen()
        peerOptions = o
        let irs = TCPSeq(isn)
        var syn = segment(.syn, seq: irs, window: window)
        synOptions(&syn, o)
        inject(syn)
        guard let sa = expect([.syn, .ack], ack: irs + 1, sourceLocation: sourceLocation) else {
            throw ScriptError.noSegment
        }
        if rtt > 0 { advance(rtt) }   // the SYN-ACK's round trip: srtt = rtt, RTO = max(min, 3 rtt)
        inject(segment(.ack, seq: irs + 1, ack: sa.seq + 1, window: window))
        let (fd, peer) = try stack.accept(l)
        #expect(peer == SocketEndpoint(TCPScript.peer, peerPort), sourceLocation: sourceLocation)
        if listener == nil { try stack.close(l) }
        expectNothing("after the handshake", sourceLocation: sourceLocation)
        return ScriptConnection(fd: fd, iss: sa.seq, irs: irs, ours: sa.seq + 1, theirs: irs + 1)
    }

    /// Active open: connect (EINPROGRESS), our SYN (checked), the peer's SYN-ACK with `o`, our ACK.
    func connect(_ o: PeerOptions = .plain, isn: UInt32 = 5_000_000, window: UInt16 = 65535,
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> ScriptConnection {
        let fd = try stream()
        #expect(throws: Errno.EINPROGRESS, sourceLocation: sourceLocation) {
            try self.stack.connect(fd, to: SocketEndpoint(TCPScript.peer, self.localPort))
        }
        flush()
        guard let syn = expect(.syn, sourceLocation: sourceLocation) else { throw ScriptError.noSegment }
        // Our side's ephemeral port is the source; the peer listens on localPort.
        let ourPort = syn.tcp.sourcePort
        swapPorts(ours: ourPort)
        peerOptions = o
        let irs = TCPSeq(isn)
        var sa = segment([.syn, .ack], seq: irs, ack: syn.seq + 1, window: window)
        synOptions(&sa, o)
        inject(sa)
        expect(.ack, seq: syn.seq + 1, ack: irs + 1, sourceLocation: sourceLocation)
        #expect(state(fd) == .established, sourceLocation: sourceLocation)
        return ScriptConnection(fd: fd, iss: syn.seq, irs: irs, ours: syn.seq + 1, theirs: irs + 1)
    }

    /// For active opens the stack's port is ephemeral and the peer's is the one it connected to.
    func swapPorts(ours: UInt16) {
        peerPort = localPort
        localPort = ours
    }

    enum ScriptError: Error { case noSegment }

    /// A seed whose passive ISS (default ports, SYN at time 0) lies in the upper (or lower) half
    /// of the sequence space, so a test can run on both sides of the 2^31 wrap.
    static func seed(upperISS: Bool) throws -> UInt64 {
        for seed: UInt64 in 1...256 {
            let t = try TCPScript(seed: seed)
            _ = try t.listen()
            t.inject(t.segment(.syn, seq: TCPSeq(1)))
            if let sa = t.takeAll().first, (sa.seq.raw >= 0x8000_0000) == upperISS { return seed }
        }
        throw ScriptError.noSegment
    }
}

extension Array where Element == UInt8 {
    /// `n` bytes of a pattern that differs at every offset within 251 bytes.
    static func pattern(_ n: Int, seed: Int = 0) -> [UInt8] {
        (0..<n).map { UInt8(truncatingIfNeeded: ($0 + seed) % 251) }
    }
}
