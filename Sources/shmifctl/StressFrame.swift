/// Self-checking test frames: a broadcast Ethernet header (ethertype 0x88b5, the IEEE
/// "local experimental" type), the writer id, a sequence number, the length, a payload
/// derived from (writer, sequence), and an FNV-1a 64 checksum over everything before it.
/// A reader can tell a torn or corrupt frame, and count per-writer gaps.
enum StressFrame {
    static let etherType: UInt16 = 0x88B5
    static let minLength = 36

    static func fnv1a(_ p: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in p { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// Fills `buf` (of the frame's length) for writer `writer`, sequence `seq`.
    static func fill(_ buf: UnsafeMutableRawBufferPointer, writer: UInt32, seq: UInt64) {
        let n = buf.count
        for i in 0..<6 { buf[i] = 0xff }
        buf[6] = 0x02; buf[7] = 0; buf[8] = 0; buf[9] = 0; buf[10] = 0; buf[11] = UInt8(truncatingIfNeeded: writer)
        buf[12] = UInt8(etherType >> 8); buf[13] = UInt8(etherType & 0xff)
        buf.storeBytes(of: writer.littleEndian, toByteOffset: 14, as: UInt32.self)
        buf.storeBytes(of: seq.littleEndian, toByteOffset: 18, as: UInt64.self)
        buf.storeBytes(of: UInt16(n).littleEndian, toByteOffset: 26, as: UInt16.self)
        var x = seq &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(writer) &+ 1
        var i = 28
        while i < n - 8 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            buf[i] = UInt8(truncatingIfNeeded: x)
            i += 1
        }
        let sum = fnv1a(UnsafeRawBufferPointer(rebasing: buf[0..<(n - 8)]))
        buf.storeBytes(of: sum.littleEndian, toByteOffset: n - 8, as: UInt64.self)
    }

    struct Decoded { var writer: UInt32; var seq: UInt64 }

    /// Nil if the frame is not intact.
    static func check(_ f: UnsafeRawBufferPointer) -> Decoded? {
        let n = f.count
        guard n >= minLength, f[12] == UInt8(etherType >> 8), f[13] == UInt8(etherType & 0xff) else { return nil }
        guard Int(UInt16(littleEndian: f.loadUnaligned(fromByteOffset: 26, as: UInt16.self))) == n else { return nil }
        let sum = UInt64(littleEndian: f.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
        guard sum == fnv1a(UnsafeRawBufferPointer(rebasing: f[0..<(n - 8)])) else { return nil }
        return Decoded(writer: UInt32(littleEndian: f.loadUnaligned(fromByteOffset: 14, as: UInt32.self)),
                       seq: UInt64(littleEndian: f.loadUnaligned(fromByteOffset: 18, as: UInt64.self)))
    }

    /// Length of frame `seq` of a writer: spread over 36...1514 deterministically.
    static func length(writer: UInt32, seq: UInt64) -> Int {
        var x = (seq &+ 1) &* 0xD6E8_FEB8_6659_FD93 ^ UInt64(writer) &* 0xA076_1D64_78BD_642F
        x ^= x >> 29
        return minLength + Int(x % UInt64(1514 - minLength + 1))
    }
}
