// The stack's addresses are NetBSDModels' IPv4Address, IPv6Address and MACAddress (re-exported
// by Errno.swift); here only the header-field loads and stores the wire views use.

extension MACAddress {
    @inline(__always) static func load(_ p: UnsafeRawBufferPointer, _ off: Int) -> MACAddress {
        MACAddress(UInt64(p.be16(off)) << 32 | UInt64(p.be32(off + 2)))
    }
    @inline(__always) func store(_ p: UnsafeMutableRawBufferPointer, _ off: Int) {
        p.setBE16(off, UInt16(truncatingIfNeeded: value >> 32))
        p.setBE32(off + 2, UInt32(truncatingIfNeeded: value))
    }
}
