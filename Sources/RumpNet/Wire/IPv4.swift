// IPv4 header (RFC 791): a validated view and an emitter. Options are skipped, never interpreted.

public enum IPProtocol {
    public static let icmp: UInt8 = 1
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
}

public struct IPv4View {
    public static let minHeaderLength = 20
    /// Why a datagram was refused; each maps to a NetBSD ipstat counter.
    public enum Failure: Error, Equatable { case tooShort, badVersion, badHeaderLength, badLength, badChecksum }

    public let bytes: UnsafeRawBufferPointer  // the datagram, trimmed to totalLength
    public let headerLength: Int

    /// Checks version, header length, total length (trims link padding) and, unless told not to,
    /// the header checksum.
    @inline(__always)
    public init(_ raw: UnsafeRawBufferPointer, verifyChecksum: Bool = true) throws(Failure) {
        guard raw.count >= 20 else { throw .tooShort }
        let vhl = raw.u8(0)
        guard vhl >> 4 == 4 else { throw .badVersion }
        let hl = Int(vhl & 0x0F) * 4
        guard hl >= 20, hl <= raw.count else { throw .badHeaderLength }
        let total = Int(raw.be16(2))
        guard total >= hl, total <= raw.count else { throw .badLength }
        if verifyChecksum {
            guard InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: raw[0..<hl])) == 0xFFFF else { throw .badChecksum }
        }
        bytes = total == raw.count ? raw : UnsafeRawBufferPointer(rebasing: raw[0..<total])
        headerLength = hl
    }

    public var tos: UInt8 { bytes.u8(1) }
    public var totalLength: Int { bytes.count }
    public var identification: UInt16 { bytes.be16(4) }
    public var flagsFragment: UInt16 { bytes.be16(6) }
    public var dontFragment: Bool { flagsFragment & 0x4000 != 0 }
    public var moreFragments: Bool { flagsFragment & 0x2000 != 0 }
    /// Fragment offset in bytes.
    public var fragmentOffset: Int { Int(flagsFragment & 0x1FFF) * 8 }
    public var isFragment: Bool { flagsFragment & 0x3FFF != 0 }
    public var ttl: UInt8 { bytes.u8(8) }
    public var proto: UInt8 { bytes.u8(9) }
    public var checksum: UInt16 { bytes.be16(10) }
    public var source: IPv4Address { IPv4Address(bytes.be32(12)) }
    public var destination: IPv4Address { IPv4Address(bytes.be32(16)) }
    public var options: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[20..<headerLength]) }
    public var payload: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[headerLength...]) }
}

public enum IPv4Emitter {
    public static let DF: UInt16 = 0x4000
    public static let MF: UInt16 = 0x2000
    /// Writes a 20-byte header without options at offset 0 of `p`, checksum included.
    @inline(__always)
    public static func emit(_ p: UnsafeMutableRawBufferPointer, totalLength: Int, id: UInt16, flagsFragment: UInt16 = 0,
                            ttl: UInt8, proto: UInt8, src: IPv4Address, dst: IPv4Address, tos: UInt8 = 0) {
        p.setU8(0, 0x45)
        p.setU8(1, tos)
        p.setBE16(2, UInt16(totalLength))
        p.setBE16(4, id)
        p.setBE16(6, flagsFragment)
        p.setU8(8, ttl)
        p.setU8(9, proto)
        p.setBE16(10, 0)
        p.setBE32(12, src.value)
        p.setBE32(16, dst.value)
        setChecksum(p, headerLength: 20)
    }
    @inline(__always)
    public static func setChecksum(_ p: UnsafeMutableRawBufferPointer, headerLength: Int) {
        p.setBE16(10, 0)
        p.setBE16(10, InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: p[0..<headerLength])))
    }
}
