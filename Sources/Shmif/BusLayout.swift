// The NetBSD shmif version 3 bus file: constants, header fields and ring arithmetic.
// Facts from NetBSD sys/rump/net/lib/libshmif/shmifvar.h 1.10 and shmif_busops.c 1.12
// (see docs/shmif.md). Every attacher of a bus agrees on this layout, so nothing here
// may change without breaking compatibility with NetBSD rump kernels.

/// Sizes and offsets of the bus file.
public enum BusLayout {
    /// `SHMIF_MAGIC`, in `shm_magic` at file offset 0.
    public static let magic: UInt32 = 0xCA11_D054
    /// `SHMIF_VERSION`; written at offset 4 by every wakeup.
    public static let version: UInt32 = 3
    /// `BUSMEM_SIZE`: the file and the mapping are exactly 1 MiB.
    public static let fileSize = 1024 * 1024
    /// `sizeof(struct shmif_mem)`: the header before the ring.
    public static let headerSize = 32
    /// `BUSMEM_DATASIZE`: the ring, file offsets 32 ..< 1 MiB.
    public static let dataSize: UInt32 = UInt32(fileSize - headerSize)  // 0xFFFE0
    /// `sizeof(struct shmif_pkthdr)` on x86_64, aarch64 and armv7 (i386 differs; unsupported).
    public static let frameHeaderSize: UInt32 = 24
    /// Version-2 buses (2010–2014) had a 12-byte frame header without a sender id.
    public static let frameHeaderSizeV2: UInt32 = 12

    /// Smallest frame a receiver accepts (`ETHER_HDR_LEN`): shorter ones are skipped.
    public static let minFrameLength = 14
    /// Largest frame on the bus (`ETHERMTU + ETHER_HDR_LEN`): DIAGNOSTIC kernels panic beyond it.
    public static let maxFrameLength = 1514

    // Field offsets in the header (struct shmif_mem).
    public static let magicOffset = 0
    public static let versionOffset = 4   // also IFMEM_WAKEUP
    public static let generationOffset = 8
    public static let firstOffset = 16
    public static let lastOffset = 20
    public static let lockOffset = 24
    /// `shm_spare[0]`: NetBSD never reads it. We record the lock holder's pid here.
    public static let holderPIDOffset = 28

    /// `shmif_advance`: ring offsets wrap byte-wise modulo the data size.
    @inline(__always)
    public static func advance(_ offset: UInt32, by delta: UInt32) -> UInt32 {
        let next = offset &+ delta
        return next >= dataSize ? next &- dataSize : next
    }
}

/// `struct shmif_pkthdr`: the 24-byte header in front of every frame on a version-3 bus.
public struct FrameHeader: Equatable, Sendable {
    /// Length of the Ethernet frame that follows (no FCS, no padding).
    public var length: UInt32
    public var seconds: UInt32
    public var microseconds: UInt32
    /// Bytes 12..<16: alignment padding in NetBSD (garbage). Our writers store a
    /// bus-wide frame sequence number here so that a lapped reader can count exactly
    /// how many frames it lost (docs/shmif.md, "What we add").
    public var sequence: UInt32
    /// Random 64-bit id of the sending interface; receivers drop their own frames.
    public var sender: UInt64

    public init(length: UInt32, seconds: UInt32, microseconds: UInt32, sequence: UInt32 = 0, sender: UInt64) {
        self.length = length
        self.seconds = seconds
        self.microseconds = microseconds
        self.sequence = sequence
        self.sender = sender
    }

    /// Decodes a header from 24 raw bytes in host byte order.
    @inline(__always)
    public init(bytes p: UnsafeRawPointer) {
        length = p.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
        seconds = p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        microseconds = p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        sequence = p.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
        sender = p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
    }

    @inline(__always)
    public func store(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: length, toByteOffset: 0, as: UInt32.self)
        p.storeBytes(of: seconds, toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: microseconds, toByteOffset: 8, as: UInt32.self)
        p.storeBytes(of: sequence, toByteOffset: 12, as: UInt32.self)
        p.storeBytes(of: sender, toByteOffset: 16, as: UInt64.self)
    }
}

/// The five header fields that describe the ring, as read at one moment.
public struct BusHeader: Equatable, Sendable {
    public var magic: UInt32
    public var version: UInt32
    public var generation: UInt64
    public var first: UInt32
    public var last: UInt32
    public var lock: UInt32
    public var spare: UInt32

    public init(magic: UInt32, version: UInt32, generation: UInt64, first: UInt32, last: UInt32, lock: UInt32, spare: UInt32) {
        self.magic = magic
        self.version = version
        self.generation = generation
        self.first = first
        self.last = last
        self.lock = lock
        self.spare = spare
    }

    /// Reads the 32-byte header in host byte order, or byte-swapped.
    public init(bytes p: UnsafeRawPointer, swapped: Bool = false) {
        func u32(_ o: Int) -> UInt32 {
            let v = p.loadUnaligned(fromByteOffset: o, as: UInt32.self)
            return swapped ? v.byteSwapped : v
        }
        let g = p.loadUnaligned(fromByteOffset: BusLayout.generationOffset, as: UInt64.self)
        self.init(magic: u32(BusLayout.magicOffset), version: u32(BusLayout.versionOffset),
                  generation: swapped ? g.byteSwapped : g,
                  first: u32(BusLayout.firstOffset), last: u32(BusLayout.lastOffset),
                  lock: u32(BusLayout.lockOffset), spare: u32(BusLayout.holderPIDOffset))
    }
}
