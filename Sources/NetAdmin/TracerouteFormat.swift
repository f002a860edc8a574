// traceroute(8)'s probes, how it reads the answers (packet_ok) and what it prints, as NetBSD's
// LBL traceroute does: the header on stderr, one line per TTL with "%2d ", each new responder,
// "  %.3f ms" per answered probe, " *" per silent one, "!N"-style marks for unreachables.

/// What identifies a probe in the ICMP error it provokes: the quoted UDP ports or ICMP id/seq.
public struct TracerouteProbe: Sendable, Equatable {
    public var useICMP: Bool
    /// UDP source port / ICMP echo id (NetBSD: random | 0x8000).
    public var ident: UInt16
    /// Base UDP destination port; probe `seq` goes to port + seq.
    public var port: UInt16
    public var seq: Int

    public init(useICMP: Bool, ident: UInt16, port: UInt16, seq: Int) {
        self.useICMP = useICMP; self.ident = ident; self.port = port; self.seq = seq
    }

    public var destinationPort: UInt16 { UInt16(truncatingIfNeeded: Int(port) + seq) }

    /// The whole IP datagram (the sender's raw socket has IP_HDRINCL): header, UDP or ICMP echo
    /// header, then NetBSD's struct outdata (seq, ttl, 2 bytes of padding, tv32 sec and usec).
    /// The kernel fills in the IP checksum; the UDP checksum needs the source, so without one
    /// (`source` any) it is left 0, which RFC 768 reads as "no checksum".
    public func packet(source: IPv4Address, destination: IPv4Address, ttl: Int, length: Int, tos: Int = 0,
                       dontFragment: Bool = false, seconds: UInt32, microseconds: UInt32) -> [UInt8] {
        let length = max(length, TracerouteOptions.minimumPacket)
        var p = [UInt8](repeating: 0, count: length)
        p[0] = 0x45
        p[1] = UInt8(truncatingIfNeeded: tos)
        put16(&p, 2, UInt16(length))
        put16(&p, 4, ident &+ UInt16(truncatingIfNeeded: seq))
        if dontFragment { p[6] = 0x40 }
        p[8] = UInt8(truncatingIfNeeded: ttl)
        p[9] = useICMP ? 1 : 17
        put32(&p, 12, source.value)
        put32(&p, 16, destination.value)
        let l4 = 20, data = 28
        p[data] = UInt8(truncatingIfNeeded: seq)
        p[data + 1] = UInt8(truncatingIfNeeded: ttl)
        put32(&p, data + 4, seconds)
        put32(&p, data + 8, microseconds)
        if useICMP {
            p[l4] = 8
            put16(&p, l4 + 4, ident)
            put16(&p, l4 + 6, UInt16(truncatingIfNeeded: seq))
            var sum = Self.checksum(p[l4...], seed: 0)
            if sum == 0 { sum = 0xffff }
            put16(&p, l4 + 2, sum)
        } else {
            put16(&p, l4, ident)
            put16(&p, l4 + 2, destinationPort)
            put16(&p, l4 + 4, UInt16(length - 20))
            if source != .any {
                // Pseudo header: source, destination, protocol, UDP length.
                var seed = (source.value >> 16) + (source.value & 0xffff) + (destination.value >> 16)
                    + (destination.value & 0xffff) + 17 + UInt32(length - 20)
                seed = (seed & 0xffff) + (seed >> 16)
                var sum = Self.checksum(p[l4...], seed: seed)
                if sum == 0 { sum = 0xffff }
                put16(&p, l4 + 6, sum)
            }
        }
        return p
    }

    /// The Internet checksum of `bytes` (odd length padded), folded with `seed`.
    static func checksum(_ bytes: ArraySlice<UInt8>, seed: UInt32) -> UInt16 {
        var s = seed
        var i = bytes.startIndex
        while i + 1 < bytes.endIndex { s += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]); i += 2 }
        if i < bytes.endIndex { s += UInt32(bytes[i]) << 8 }
        while s >> 16 != 0 { s = (s & 0xffff) + (s >> 16) }
        return ~UInt16(s)
    }
}

private func put16(_ p: inout [UInt8], _ at: Int, _ v: UInt16) { p[at] = UInt8(v >> 8); p[at + 1] = UInt8(v & 0xff) }
private func put32(_ p: inout [UInt8], _ at: Int, _ v: UInt32) {
    put16(&p, at, UInt16(v >> 16)); put16(&p, at + 2, UInt16(v & 0xffff))
}

/// What an ICMP message read from the raw socket says about the current probe (packet_ok).
public enum TracerouteAnswer: Sendable, Equatable {
    /// Not about this probe (another program's, an older probe's, too short): keep waiting.
    case unrelated
    /// Time exceeded in transit: a router on the way.
    case timeExceeded
    /// The destination's echo reply (-I).
    case echoReply
    /// Destination unreachable with this code (3, port unreachable, is the destination itself).
    case unreachable(code: UInt8, nextMTU: UInt16)

    /// Classifies `packet` (IP header included, as raw sockets deliver it).
    public static func classify(_ packet: [UInt8], probe: TracerouteProbe) -> TracerouteAnswer {
        guard packet.count >= 20 else { return .unrelated }
        let hlen = Int(packet[0] & 0x0f) * 4
        guard hlen >= 20, packet.count >= hlen + 8 else { return .unrelated }
        let icmp = hlen
        let type = packet[icmp], code = packet[icmp + 1]
        let seq16 = UInt16(truncatingIfNeeded: probe.seq)
        if probe.useICMP, type == 0, be16(packet, icmp + 4) == probe.ident, be16(packet, icmp + 6) == seq16 {
            return .echoReply
        }
        guard (type == 11 && code == 0) || type == 3 else { return .unrelated }
        // The quoted datagram: its header, then at least 8 bytes of UDP or ICMP.
        let inner = icmp + 8
        guard packet.count >= inner + 20 else { return .unrelated }
        let ihl = Int(packet[inner] & 0x0f) * 4
        guard ihl >= 20, packet.count >= inner + ihl + 8 else { return .unrelated }
        let l4 = inner + ihl
        let matches: Bool
        if probe.useICMP {
            matches = packet[inner + 9] == 1 && be16(packet, l4 + 4) == probe.ident && be16(packet, l4 + 6) == seq16
        } else {
            matches = packet[inner + 9] == 17 && be16(packet, l4) == probe.ident && be16(packet, l4 + 2) == probe.destinationPort
        }
        guard matches else { return .unrelated }
        return type == 11 ? .timeExceeded : .unreachable(code: code, nextMTU: be16(packet, icmp + 6))
    }

    /// NetBSD's verbose dump of an ICMP message that was not about the probe.
    public static func verboseDump(_ packet: [UInt8], from: IPv4Address) -> String {
        guard packet.count >= 28 else { return "" }
        let hlen = Int(packet[0] & 0x0f) * 4
        let cc = packet.count - hlen
        let type = packet[hlen], code = packet[hlen + 1]
        let dst = IPv4Address(UInt32(be16(packet, 16)) << 16 | UInt32(be16(packet, 18)))
        var s = "\n\(cc) bytes from \(from) to \(dst): icmp type \(type) (\(typeName(type))) code \(code)\n"
        var i = 4
        while i < cc {
            // NetBSD prints the words as the host's u_int32_t (little-endian on x86).
            var w: UInt32 = 0
            for k in 0..<4 where hlen + 4 + (i - 4) + k < packet.count {
                w |= UInt32(packet[hlen + 4 + (i - 4) + k]) << (8 * UInt32(k))
            }
            let h = Text.hex(w)
            s += Text.right(String(i), 2) + ": x" + String(repeating: "0", count: 8 - h.count) + h + "\n"
            i += 4
        }
        return s
    }

    static func typeName(_ t: UInt8) -> String {
        let names = ["Echo Reply", "ICMP 1", "ICMP 2", "Dest Unreachable", "Source Quench", "Redirect", "ICMP 6",
                     "ICMP 7", "Echo", "ICMP 9", "ICMP 10", "Time Exceeded", "Param Problem", "Timestamp",
                     "Timestamp Reply", "Info Request", "Info Reply"]
        return Int(t) < names.count ? names[Int(t)] : "OUT-OF-RANGE"
    }
}

private func be16(_ p: [UInt8], _ at: Int) -> UInt16 { UInt16(p[at]) << 8 | UInt16(p[at + 1]) }

/// One TTL's line, built as the probes go (NetBSD prints as it learns, flushing per probe).
/// Each method returns the text to write to stdout now.
public struct TracerouteHop: Sendable {
    public let ttl: Int
    let numeric: Bool
    let showTTL: Bool
    let names: [IPv4Address: String]
    var printedTTL = false
    var lastResponder: IPv4Address?
    /// The destination answered (port unreachable, echo reply, protocol unreachable).
    public private(set) var reached = false
    /// Unreachables other than the destination's own.
    public private(set) var unreachable = 0

    /// `names`: addresses the resolver knows by name (without -n they print "name (addr)").
    public init(ttl: Int, numeric: Bool, showTTL: Bool = false, names: [IPv4Address: String] = [:]) {
        self.ttl = ttl; self.numeric = numeric; self.showTTL = showTTL; self.names = names
    }

    /// A probe went out: the "%2d " prefix the first time.
    public mutating func probeSent() -> String {
        guard !printedTTL else { return "" }
        printedTTL = true
        return Text.right(String(ttl), 2) + " "
    }

    /// A probe went unanswered within the wait.
    public func timedOut() -> String { " *" }

    /// An answer about the probe from `from`, `milliseconds` after it was sent; `replyTTL` is
    /// the answer's own IP TTL (its " !" mark: a reply that arrived with TTL ≤ 1).
    public mutating func answered(_ answer: TracerouteAnswer, from: IPv4Address, milliseconds: Double, replyTTL: Int,
                                  bytes: Int = 0, to: IPv4Address? = nil, verbose: Bool = false) -> String {
        var s = ""
        if lastResponder != from {
            if lastResponder != nil { s += "\n   " }
            s += numeric ? " \(from)" : " \(names[from] ?? from.description) (\(from))"
            if verbose, let to { s += " \(bytes) bytes to \(to)" }
            lastResponder = from
        }
        s += "  " + Text.fixed(milliseconds, 3) + " ms"
        if showTTL { s += " (ttl = \(replyTTL))" }
        switch answer {
        case .unrelated, .timeExceeded:
            break
        case .echoReply:
            if replyTTL <= 1 { s += " !" }
            reached = true
        case .unreachable(let code, let mtu):
            switch code {
            case 3:
                if replyTTL <= 1 { s += " !" }
                reached = true
            case 0: unreachable += 1; s += " !N"
            case 1: unreachable += 1; s += " !H"
            case 2: reached = true; s += " !P"
            case 4: unreachable += 1; s += " !F-\(mtu)"
            case 5: unreachable += 1; s += " !S"
            case 13: unreachable += 1; s += " !X"
            case 14: unreachable += 1; s += " !V"
            case 15: unreachable += 1; s += " !C"
            default: unreachable += 1; s += " !<\(code)>"
            }
        }
        return s
    }

    /// After the line's newline: stop when the destination answered or most probes were refused.
    public func isLast(probes: Int) -> Bool {
        reached || (unreachable > 0 && unreachable >= (probes + 1) / 2)
    }
}

public enum TracerouteFormat {
    /// The first line, on stderr: "traceroute to HOST (ADDR)[ from SRC], N hops max, L byte packets".
    public static func header(host: String, address: IPv4Address, source: String?, maxTTL: Int, packetLength: Int) -> String {
        "traceroute to \(host) (\(address))" + (source.map { " from \($0)" } ?? "")
            + ", \(maxTTL) hops max, \(packetLength) byte packets\n"
    }

    public static func unknownHost(_ name: String) -> ToolOutput { .errx("traceroute", "unknown host \(name)") }
}
