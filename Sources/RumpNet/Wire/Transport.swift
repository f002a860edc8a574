// UDP and TCP header views and emitters (behaviour arrives in later issues).

public struct UDPView {
    public static let headerLength = 8
    public let bytes: UnsafeRawBufferPointer
    /// Nil when shorter than the header or than its own length field says.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 8 else { return nil }
        let len = Int(bytes.be16(4))
        guard len >= 8, len <= bytes.count else { return nil }
        self.bytes = UnsafeRawBufferPointer(rebasing: bytes[0..<len])
    }
    public var sourcePort: UInt16 { bytes.be16(0) }
    public var destinationPort: UInt16 { bytes.be16(2) }
    public var length: Int { bytes.count }
    public var checksum: UInt16 { bytes.be16(6) }
    public var payload: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[8...]) }
    /// A zero checksum means "not computed" in IPv4.
    public func isChecksumValid(src: IPv4Address, dst: IPv4Address) -> Bool {
        checksum == 0 || InternetChecksum.sum(bytes, initial: InternetChecksum.pseudoHeader(
            src: src, dst: dst, proto: IPProtocol.udp, length: bytes.count)) == 0xFFFF
    }
}

public enum UDPEmitter {
    /// Header at offset 0 of `p`; the payload must already follow it.
    public static func emit(_ p: UnsafeMutableRawBufferPointer, srcPort: UInt16, dstPort: UInt16, length: Int,
                            src: IPv4Address, dst: IPv4Address) {
        p.setBE16(0, srcPort)
        p.setBE16(2, dstPort)
        p.setBE16(4, UInt16(length))
        p.setBE16(6, 0)
        var c = InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: p[0..<length]),
            initial: InternetChecksum.pseudoHeader(src: src, dst: dst, proto: IPProtocol.udp, length: length))
        if c == 0 { c = 0xFFFF }
        p.setBE16(6, c)
    }
}

public struct TCPView {
    public static let minHeaderLength = 20
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let fin = Flags(rawValue: 0x01), syn = Flags(rawValue: 0x02), rst = Flags(rawValue: 0x04)
        public static let psh = Flags(rawValue: 0x08), ack = Flags(rawValue: 0x10), urg = Flags(rawValue: 0x20)
    }
    public let bytes: UnsafeRawBufferPointer
    public let headerLength: Int
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 20 else { return nil }
        let off = Int(bytes.u8(12) >> 4) * 4
        guard off >= 20, off <= bytes.count else { return nil }
        self.bytes = bytes
        headerLength = off
    }
    public var sourcePort: UInt16 { bytes.be16(0) }
    public var destinationPort: UInt16 { bytes.be16(2) }
    public var sequence: UInt32 { bytes.be32(4) }
    public var acknowledgment: UInt32 { bytes.be32(8) }
    public var flags: Flags { Flags(rawValue: bytes.u8(13) & 0x3F) }
    public var window: UInt16 { bytes.be16(14) }
    public var checksum: UInt16 { bytes.be16(16) }
    public var urgentPointer: UInt16 { bytes.be16(18) }
    public var options: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[20..<headerLength]) }
    public var payload: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[headerLength...]) }
    public func isChecksumValid(src: IPv4Address, dst: IPv4Address) -> Bool {
        InternetChecksum.sum(bytes, initial: InternetChecksum.pseudoHeader(
            src: src, dst: dst, proto: IPProtocol.tcp, length: bytes.count)) == 0xFFFF
    }
}

public enum TCPEmitter {
    /// A 20-byte header without options at offset 0 of `p`; payload follows; checksum computed.
    public static func emit(_ p: UnsafeMutableRawBufferPointer, srcPort: UInt16, dstPort: UInt16, seq: UInt32, ack: UInt32,
                            flags: TCPView.Flags, window: UInt16, length: Int, src: IPv4Address, dst: IPv4Address) {
        p.setBE16(0, srcPort)
        p.setBE16(2, dstPort)
        p.setBE32(4, seq)
        p.setBE32(8, ack)
        p.setU8(12, 5 << 4)
        p.setU8(13, flags.rawValue)
        p.setBE16(14, window)
        p.setBE16(16, 0)
        p.setBE16(18, 0)
        p.setBE16(16, InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: p[0..<length]),
            initial: InternetChecksum.pseudoHeader(src: src, dst: dst, proto: IPProtocol.tcp, length: length)))
    }
}
