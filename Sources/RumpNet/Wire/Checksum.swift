// The internet checksum (RFC 1071) and its incremental update (RFC 1624).

public enum InternetChecksum {
    /// Ones-complement sum of `bytes` folded to 16 bits, in network order, not complemented.
    /// Sums native 32-bit words into 64 bits (byte order only swaps the folded result).
    @inlinable
    public static func sum(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt16 {
        var acc: UInt64 = 0
        var i = 0
        let n = bytes.count
        if let base = bytes.baseAddress {
            while i + 16 <= n {
                acc &+= UInt64(base.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                acc &+= UInt64(base.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                acc &+= UInt64(base.loadUnaligned(fromByteOffset: i + 8, as: UInt32.self))
                acc &+= UInt64(base.loadUnaligned(fromByteOffset: i + 12, as: UInt32.self))
                i += 16
            }
            while i + 4 <= n {
                acc &+= UInt64(base.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                i += 4
            }
            if i + 2 <= n {
                acc &+= UInt64(base.loadUnaligned(fromByteOffset: i, as: UInt16.self))
                i += 2
            }
            if i < n {
                // A trailing byte is the high byte of a network-order word; in native (little-endian)
                // order it is the low byte.
                let b = UInt64(base.load(fromByteOffset: i, as: UInt8.self))
                acc &+= UInt16(1).littleEndian == 1 ? b : b << 8
            }
        }
        var folded = fold(acc)
        folded = UInt16(bigEndian: folded)  // native sum -> network-order value
        return fold(UInt64(folded) &+ UInt64(initial))
    }

    @inlinable @inline(__always)
    static func fold(_ x: UInt64) -> UInt16 {
        var a = (x & 0xFFFF_FFFF) &+ (x >> 32)
        a = (a & 0xFFFF) &+ (a >> 16)
        a = (a & 0xFFFF) &+ (a >> 16)
        a = (a & 0xFFFF) &+ (a >> 16)
        return UInt16(truncatingIfNeeded: a)
    }

    /// The checksum to store: complement of the sum.
    @inlinable
    public static func compute(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt16 {
        ~sum(bytes, initial: initial)
    }

    /// Pseudo-header partial sum for UDP/TCP.
    public static func pseudoHeader(src: IPv4Address, dst: IPv4Address, proto: UInt8, length: Int) -> UInt32 {
        (src.value >> 16) + (src.value & 0xFFFF) + (dst.value >> 16) + (dst.value & 0xFFFF)
            + UInt32(proto) + UInt32(length)
    }

    /// RFC 1624 eqn. 3: new checksum after one 16-bit field changes from `old` to `new`.
    @inlinable @inline(__always)
    public static func update(_ checksum: UInt16, old: UInt16, new: UInt16) -> UInt16 {
        let s = UInt64(~checksum) &+ UInt64(~old) &+ UInt64(new)
        return ~fold(s)
    }
}
