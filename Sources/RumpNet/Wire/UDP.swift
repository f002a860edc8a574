// UDP (RFC 768): the 8-byte header as a parsed value, a view over a received datagram, the
// pseudo-header checksum, and an emitter for datagrams built in place.

/// A UDP header's fields.
public struct UDPHeader: Sendable, Equatable {
    public static let length = 8
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// Header plus data, in bytes.
    public var length: Int
    /// 0: the sender computed none (allowed in IPv4).
    public var checksum: UInt16
    public init(sourcePort: UInt16, destinationPort: UInt16, length: Int, checksum: UInt16) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.length = length
        self.checksum = checksum
    }
}

public struct UDPView {
    public static let headerLength = 8
    /// Why a datagram was refused, each one of NetBSD's udpstat counters.
    public enum Failure: Error, Equatable {
        /// Shorter than the header (udps_hdrops).
        case tooShort
        /// The length field is below 8 or past the IP payload (udps_badlen).
        case badLength
    }

    /// The datagram, trimmed to its length field (bytes past it, within the IP payload, are ignored).
    public let bytes: UnsafeRawBufferPointer

    /// Checks the header and the length field against the IP payload it came in.
    @inline(__always)
    public init(validating payload: UnsafeRawBufferPointer) throws(Failure) {
        guard payload.count >= 8 else { throw .tooShort }
        let len = Int(payload.be16(4))
        guard len >= 8, len <= payload.count else { throw .badLength }
        bytes = len == payload.count ? payload : UnsafeRawBufferPointer(rebasing: payload[0..<len])
    }

    /// Nil when shorter than the header or than its own length field says.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard let v = try? UDPView(validating: bytes) else { return nil }
        self = v
    }

    public var sourcePort: UInt16 { bytes.be16(0) }
    public var destinationPort: UInt16 { bytes.be16(2) }
    public var length: Int { bytes.count }
    public var checksum: UInt16 { bytes.be16(6) }
    public var header: UDPHeader {
        UDPHeader(sourcePort: sourcePort, destinationPort: destinationPort, length: length, checksum: checksum)
    }
    public var payload: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[8...]) }
    /// A zero checksum means "not computed" in IPv4 and is accepted.
    @inline(__always)
    public func isChecksumValid(src: IPv4Address, dst: IPv4Address) -> Bool {
        checksum == 0 || InternetChecksum.sum(bytes, initial: InternetChecksum.pseudoHeader(
            src: src, dst: dst, proto: IPProtocol.udp, length: bytes.count)) == 0xFFFF
    }
}

public enum UDPEmitter {
    /// Header at offset 0 of `p`; the payload must already follow it. With `checksum` false the
    /// field is 0 (net.inet.udp.checksum=0); a computed 0 goes out as 0xFFFF (RFC 768).
    @inline(__always)
    public static func emit(_ p: UnsafeMutableRawBufferPointer, srcPort: UInt16, dstPort: UInt16, length: Int,
                            src: IPv4Address, dst: IPv4Address, checksum: Bool = true) {
        p.setBE16(0, srcPort)
        p.setBE16(2, dstPort)
        p.setBE16(4, UInt16(length))
        p.setBE16(6, 0)
        guard checksum else { return }
        var c = InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: p[0..<length]),
            initial: InternetChecksum.pseudoHeader(src: src, dst: dst, proto: IPProtocol.udp, length: length))
        if c == 0 { c = 0xFFFF }
        p.setBE16(6, c)
    }
}
