// A TCP segment's header as a parsed value (smoltcp's TcpRepr): the fields and the options the
// stack uses (MSS, window scale, SACK-permitted, SACK blocks, timestamps), read from a TCPView and
// written back by `emit`. tcp_input, tcp_output and the tests read and build the same thing. The
// options are parsed strictly (RFC 9293 3.1, RFC 7323, RFC 2018): a bad length is an error with
// its byte offset, an unknown option is skipped by its length.

public struct TCPRepr: Sendable, Equatable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequence: TCPSeq
    public var acknowledgment: TCPSeq
    public var flags: TCPView.Flags
    /// The window field as sent (unscaled).
    public var window: UInt16
    public var urgentPointer: UInt16 = 0
    public var maxSegmentSize: UInt16? = nil
    public var windowScale: UInt8? = nil
    public var sackPermitted = false
    public var sackBlocks = SACKBlocks()
    /// TSval, TSecr (RFC 7323).
    public var timestamp: (value: UInt32, echo: UInt32)? = nil

    public init(sourcePort: UInt16, destinationPort: UInt16, sequence: TCPSeq, acknowledgment: TCPSeq,
                flags: TCPView.Flags, window: UInt16) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequence = sequence
        self.acknowledgment = acknowledgment
        self.flags = flags
        self.window = window
    }

    public static func == (a: TCPRepr, b: TCPRepr) -> Bool {
        a.sourcePort == b.sourcePort && a.destinationPort == b.destinationPort && a.sequence == b.sequence
            && a.acknowledgment == b.acknowledgment && a.flags == b.flags && a.window == b.window
            && a.urgentPointer == b.urgentPointer && a.maxSegmentSize == b.maxSegmentSize
            && a.windowScale == b.windowScale && a.sackPermitted == b.sackPermitted && a.sackBlocks == b.sackBlocks
            && a.timestamp?.value == b.timestamp?.value && a.timestamp?.echo == b.timestamp?.echo
    }

    public enum ParseError: Error, Equatable, Sendable {
        /// Fewer than 20 bytes, or a data offset below 5 words or past the segment.
        case badHeaderLength
        /// An option whose length is wrong for its kind or runs past the header, at this byte
        /// offset of the TCP header.
        case badOption(kind: UInt8, offset: Int)
    }

    public static let kindEnd: UInt8 = 0, kindNop: UInt8 = 1, kindMSS: UInt8 = 2, kindWindowScale: UInt8 = 3
    public static let kindSACKPermitted: UInt8 = 4, kindSACK: UInt8 = 5, kindTimestamp: UInt8 = 8

    /// Parses the header of `view`. MSS, window scale and SACK-permitted count only on SYN
    /// segments (RFC 9293, RFC 7323 2.2, RFC 2018 2): elsewhere they are ignored.
    public init(parsing view: TCPView) throws(ParseError) {
        let b = view.bytes
        self.init(sourcePort: b.be16(0), destinationPort: b.be16(2), sequence: TCPSeq(b.be32(4)),
                  acknowledgment: TCPSeq(b.be32(8)), flags: view.flags, window: b.be16(14))
        urgentPointer = b.be16(18)
        let syn = flags.contains(.syn)
        var i = 20
        let end = view.headerLength
        while i < end {
            let kind = b.u8(i)
            if kind == TCPRepr.kindEnd { break }
            if kind == TCPRepr.kindNop { i += 1; continue }
            guard i + 1 < end else { throw .badOption(kind: kind, offset: i) }
            let len = Int(b.u8(i + 1))
            guard len >= 2, i + len <= end else { throw .badOption(kind: kind, offset: i) }
            switch kind {
            case TCPRepr.kindMSS:
                guard len == 4 else { throw .badOption(kind: kind, offset: i) }
                if syn { maxSegmentSize = b.be16(i + 2) }
            case TCPRepr.kindWindowScale:
                guard len == 3 else { throw .badOption(kind: kind, offset: i) }
                if syn { windowScale = b.u8(i + 2) }
            case TCPRepr.kindSACKPermitted:
                guard len == 2 else { throw .badOption(kind: kind, offset: i) }
                if syn { sackPermitted = true }
            case TCPRepr.kindSACK:
                guard (len - 2) % 8 == 0, len > 2 else { throw .badOption(kind: kind, offset: i) }
                var j = i + 2
                while j < i + len {
                    sackBlocks.append(SACKBlock(left: TCPSeq(b.be32(j)), right: TCPSeq(b.be32(j + 4))))
                    j += 8
                }
            case TCPRepr.kindTimestamp:
                guard len == 10 else { throw .badOption(kind: kind, offset: i) }
                timestamp = (b.be32(i + 2), b.be32(i + 6))
            default:
                break  // unknown: skipped by its length (RFC 9293 3.2)
            }
            i += len
        }
    }

    /// Header bytes with options, padded to a multiple of 4 (at most 60).
    public var headerLength: Int {
        var n = 20
        if maxSegmentSize != nil { n += 4 }
        if windowScale != nil { n += 4 }        // NOP + 3
        if timestamp != nil { n += 12 }         // NOP NOP + 10 (or SACK-permitted + 10 on SYNs)
        else if sackPermitted { n += 4 }        // NOP NOP + 2
        if !sackBlocks.isEmpty {
            let room = (60 - n - 4) / 8
            n += 4 + 8 * Swift.min(sackBlocks.count, room)
        }
        return n
    }

    /// Writes the header at offset 0 of `p` (which holds `headerLength` bytes, then the payload)
    /// and the checksum over the header, `payloadLength` bytes of payload and the pseudo-header.
    /// Returns the header length. The option layout is the one BSD sends (RFC 7323 appendix A).
    @discardableResult
    public func emit(_ p: UnsafeMutableRawBufferPointer, payloadLength: Int, src: IPv4Address, dst: IPv4Address,
                     checksum: Bool = true) -> Int {
        let hl = headerLength
        p.setBE16(0, sourcePort)
        p.setBE16(2, destinationPort)
        p.setBE32(4, sequence.raw)
        p.setBE32(8, acknowledgment.raw)
        p.setU8(12, UInt8(hl / 4) << 4)
        p.setU8(13, flags.rawValue)
        p.setBE16(14, window)
        p.setBE16(16, 0)
        p.setBE16(18, urgentPointer)
        var i = 20
        if let mss = maxSegmentSize {
            p.setU8(i, TCPRepr.kindMSS); p.setU8(i + 1, 4); p.setBE16(i + 2, mss); i += 4
        }
        if let ws = windowScale {
            p.setU8(i, TCPRepr.kindNop); p.setU8(i + 1, TCPRepr.kindWindowScale); p.setU8(i + 2, 3); p.setU8(i + 3, ws); i += 4
        }
        if sackPermitted && timestamp != nil {
            p.setU8(i, TCPRepr.kindSACKPermitted); p.setU8(i + 1, 2); i += 2
        } else if sackPermitted {
            p.setU8(i, TCPRepr.kindNop); p.setU8(i + 1, TCPRepr.kindNop)
            p.setU8(i + 2, TCPRepr.kindSACKPermitted); p.setU8(i + 3, 2); i += 4
        }
        if let ts = timestamp {
            if !sackPermitted { p.setU8(i, TCPRepr.kindNop); p.setU8(i + 1, TCPRepr.kindNop); i += 2 }
            p.setU8(i, TCPRepr.kindTimestamp); p.setU8(i + 1, 10); p.setBE32(i + 2, ts.value); p.setBE32(i + 6, ts.echo); i += 10
        }
        if !sackBlocks.isEmpty {
            let room = (60 - i - 4) / 8
            let n = Swift.min(sackBlocks.count, room)
            p.setU8(i, TCPRepr.kindNop); p.setU8(i + 1, TCPRepr.kindNop)
            p.setU8(i + 2, TCPRepr.kindSACK); p.setU8(i + 3, UInt8(2 + 8 * n)); i += 4
            for k in 0..<n {
                p.setBE32(i, sackBlocks[k].left.raw); p.setBE32(i + 4, sackBlocks[k].right.raw); i += 8
            }
        }
        while i < hl { p.setU8(i, TCPRepr.kindEnd); i += 1 }
        if checksum {
            let length = hl + payloadLength
            p.setBE16(16, InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: p[0..<length]),
                initial: InternetChecksum.pseudoHeader(src: src, dst: dst, proto: IPProtocol.tcp, length: length)))
        }
        return hl
    }

    /// The sequence space the segment occupies: its payload, plus one for SYN and one for FIN.
    @inline(__always)
    public func segmentLength(payload: Int) -> Int {
        payload + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
    }
}
