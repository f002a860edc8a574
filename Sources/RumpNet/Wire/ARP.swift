// ARP for IPv4 over Ethernet (RFC 826): view and emitter.

public struct ARPView {
    public static let length = 28
    public static let request: UInt16 = 1
    public static let reply: UInt16 = 2
    public let bytes: UnsafeRawBufferPointer

    /// Nil unless it is Ethernet/IPv4 ARP with the right address lengths.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 28, bytes.be16(0) == 1, bytes.be16(2) == EtherType.ipv4,
              bytes.u8(4) == 6, bytes.u8(5) == 4 else { return nil }
        self.bytes = bytes
    }
    public var operation: UInt16 { bytes.be16(6) }
    public var senderHardware: MACAddress { MACAddress.load(bytes, 8) }
    public var senderProtocol: IPv4Address { IPv4Address(bytes.be32(14)) }
    public var targetHardware: MACAddress { MACAddress.load(bytes, 18) }
    public var targetProtocol: IPv4Address { IPv4Address(bytes.be32(24)) }
}

public enum ARPEmitter {
    /// Writes a 28-byte ARP packet at offset 0 of `p`.
    public static func emit(_ p: UnsafeMutableRawBufferPointer, op: UInt16, sha: MACAddress, spa: IPv4Address,
                            tha: MACAddress, tpa: IPv4Address) {
        p.setBE16(0, 1)
        p.setBE16(2, EtherType.ipv4)
        p.setU8(4, 6)
        p.setU8(5, 4)
        p.setBE16(6, op)
        sha.store(p, 8)
        p.setBE32(14, spa.value)
        tha.store(p, 18)
        p.setBE32(24, tpa.value)
    }
}
