// Big-endian loads and stores on raw buffers. Callers check lengths first (views do), so these
// use unaligned loads without per-byte bounds checks.

extension UnsafeRawBufferPointer {
    @inline(__always) func be16(_ off: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: off, as: UInt16.self))
    }
    @inline(__always) func be32(_ off: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: off, as: UInt32.self))
    }
    @inline(__always) func u8(_ off: Int) -> UInt8 { load(fromByteOffset: off, as: UInt8.self) }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always) func setBE16(_ off: Int, _ v: UInt16) {
        storeBytes(of: v.bigEndian, toByteOffset: off, as: UInt16.self)
    }
    @inline(__always) func setBE32(_ off: Int, _ v: UInt32) {
        storeBytes(of: v.bigEndian, toByteOffset: off, as: UInt32.self)
    }
    @inline(__always) func setU8(_ off: Int, _ v: UInt8) { storeBytes(of: v, toByteOffset: off, as: UInt8.self) }
    @inline(__always) func be16(_ off: Int) -> UInt16 { UnsafeRawBufferPointer(self).be16(off) }
    @inline(__always) func be32(_ off: Int) -> UInt32 { UnsafeRawBufferPointer(self).be32(off) }
    @inline(__always) func u8(_ off: Int) -> UInt8 { load(fromByteOffset: off, as: UInt8.self) }
}
