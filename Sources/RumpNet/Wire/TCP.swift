// The TCP header view and emitter (TCP behaviour arrives with the next issue). UDP is in UDP.swift.

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
