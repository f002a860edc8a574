// Ethernet II (if_ether): a view over a received frame and a header emitter.

public enum EtherType {
    public static let ipv4: UInt16 = 0x0800
    public static let arp: UInt16 = 0x0806
    public static let vlan: UInt16 = 0x8100
    public static let ipv6: UInt16 = 0x86DD
}

public struct EthernetView {
    public static let headerLength = 14
    public let bytes: UnsafeRawBufferPointer
    /// 14, or 18 with one 802.1Q tag.
    public let headerLength: Int
    public let etherType: UInt16
    /// The 802.1Q tag control field when the frame is tagged.
    public let vlanTag: UInt16?

    /// Nil when the frame is shorter than its header(s).
    @inline(__always)
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 14 else { return nil }
        self.bytes = bytes
        let t = bytes.be16(12)
        if t == EtherType.vlan {
            guard bytes.count >= 18 else { return nil }
            vlanTag = bytes.be16(14)
            etherType = bytes.be16(16)
            headerLength = 18
        } else {
            vlanTag = nil
            etherType = t
            headerLength = 14
        }
    }
    public var destination: MACAddress { MACAddress.load(bytes, 0) }
    public var source: MACAddress { MACAddress.load(bytes, 6) }
    public var vlanID: UInt16? { vlanTag.map { $0 & 0x0FFF } }
    public var payload: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[headerLength...]) }
}

public enum EthernetEmitter {
    /// Writes an untagged header at offset 0 of `p` (14 bytes).
    @inline(__always)
    public static func emit(_ p: UnsafeMutableRawBufferPointer, dst: MACAddress, src: MACAddress, type: UInt16) {
        dst.store(p, 0)
        src.store(p, 6)
        p.setBE16(12, type)
    }
}
