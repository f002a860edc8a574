/// Views of the bus header fields and byte-wise ring copies (`shmif_busread`,
/// `shmif_buswrite` without their side effects). Callers hold the bus lock: fields are
/// plain loads and stores, ordered by the lock's acquire and release.
struct BusRing {
    let base: UnsafeMutableRawPointer
    var data: UnsafeMutableRawPointer { base + BusLayout.headerSize }

    var magic: UInt32 {
        get { base.load(fromByteOffset: BusLayout.magicOffset, as: UInt32.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: BusLayout.magicOffset, as: UInt32.self) }
    }
    var generation: UInt64 {
        get { base.load(fromByteOffset: BusLayout.generationOffset, as: UInt64.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: BusLayout.generationOffset, as: UInt64.self) }
    }
    var first: UInt32 {
        get { base.load(fromByteOffset: BusLayout.firstOffset, as: UInt32.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: BusLayout.firstOffset, as: UInt32.self) }
    }
    var last: UInt32 {
        get { base.load(fromByteOffset: BusLayout.lastOffset, as: UInt32.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: BusLayout.lastOffset, as: UInt32.self) }
    }

    /// Copies `count` bytes out of the ring starting at `offset`, continuing at 0 past the
    /// end. Returns the offset after the copy. `count` must be < dataSize / 2.
    @inline(__always)
    func read(at offset: UInt32, into dst: UnsafeMutableRawPointer, count: UInt32) -> UInt32 {
        let chunk = min(count, BusLayout.dataSize - offset)
        dst.copyMemory(from: data + Int(offset), byteCount: Int(chunk))
        let rest = count - chunk
        if rest == 0 { return BusLayout.advance(offset, by: chunk) }
        (dst + Int(chunk)).copyMemory(from: data, byteCount: Int(rest))
        return rest
    }

    /// Copies `count` bytes into the ring at `offset`, continuing at 0 past the end.
    @inline(__always)
    func write(at offset: UInt32, from src: UnsafeRawPointer, count: UInt32) -> UInt32 {
        let chunk = min(count, BusLayout.dataSize - offset)
        (data + Int(offset)).copyMemory(from: src, byteCount: Int(chunk))
        let rest = count - chunk
        if rest == 0 { return BusLayout.advance(offset, by: chunk) }
        data.copyMemory(from: src + Int(chunk), byteCount: Int(rest))
        return rest
    }

    /// The frame header at a ring offset (possibly straddling the ring's end).
    @inline(__always)
    func frameHeader(at offset: UInt32) -> FrameHeader {
        if offset &+ BusLayout.frameHeaderSize <= BusLayout.dataSize {
            return FrameHeader(bytes: data + Int(offset))
        }
        var raw = (UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &raw) { buf in
            _ = read(at: offset, into: buf.baseAddress!, count: BusLayout.frameHeaderSize)
            return FrameHeader(bytes: buf.baseAddress!)
        }
    }

    /// Largest `sp_len` that ring arithmetic can survive (NetBSD asserts < dataSize and
    /// copies assert < dataSize / 2); anything larger means the ring is corrupt.
    static let maxSaneLength = BusLayout.dataSize / 2 - BusLayout.frameHeaderSize

    /// `shmif_nextpktoff`, or nil if the header there has an impossible length.
    @inline(__always)
    func nextFrameOffset(_ offset: UInt32) -> UInt32? {
        let len = frameLength(at: offset)
        guard len <= Self.maxSaneLength else { return nil }
        return BusLayout.advance(offset, by: BusLayout.frameHeaderSize + len)
    }

    @inline(__always)
    func frameLength(at offset: UInt32) -> UInt32 {
        if offset &+ 4 <= BusLayout.dataSize {
            return (data + Int(offset)).loadUnaligned(as: UInt32.self)
        }
        var v: UInt32 = 0
        withUnsafeMutableBytes(of: &v) { _ = read(at: offset, into: $0.baseAddress!, count: 4) }
        return v
    }
}
