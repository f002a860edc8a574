#if canImport(Glibc)
import Glibc
#endif
import Shmif

/// Moves frames between a shmif bus and a Linux tap, both ways, in one process
/// (`rumpnet-lab tap-bridge`; docs/TOPOLOGY.md, "Who moves the frames"). To the bus it is
/// one more attached interface with a sender id of its own: what it reads from the tap
/// goes onto the bus as a batch (one lock hold, one wakeup per batch), and every frame on
/// the bus but its own is written to the tap, so Linux sees each node of the bus as a
/// neighbour on that tap. The tap lives as long as this process: when it dies, however it
/// dies, the interface goes with it.
public final class TapBridge {
    public let tap: TapDevice
    public let bus: ShmifBus
    let reader: BusReader
    let writer: BusWriter
    /// Reused for every turn: frames read from the tap, back to back.
    let tapFrames: UnsafeMutableRawBufferPointer
    public static let framesPerTurn = 64
    /// What the process prints once its tap exists (`up` waits for it in the log).
    public static let readyLine = "bridging frames (tap-bridge ready)"

    public private(set) var framesToBus: UInt64 = 0
    public private(set) var framesToTap: UInt64 = 0
    /// Frames the tap would not take (its queue full: Linux drops then too).
    public private(set) var tapDrops: UInt64 = 0

    public init(busPath: String, tapName: String) throws {
        tap = try TapDevice(name: tapName)
        bus = try ShmifBus.attach(path: busPath)
        var id: UInt64 = 0
        while id == 0 { id = UInt64.random(in: 1...UInt64.max) }
        writer = BusWriter(bus: bus, senderID: id)
        reader = try BusReader(bus: bus, ownSenderID: id, start: .next)
        tapFrames = .allocate(byteCount: Self.framesPerTurn * BusLayout.maxFrameLength, alignment: 16)
    }

    deinit { tapFrames.deallocate() }

    /// Runs until `shouldStop` returns true (checked at least every 100 ms).
    public func run(shouldStop: () -> Bool) throws {
        var batch = FrameBatch()
        var lengths = [Int](repeating: 0, count: Self.framesPerTurn)
        var fds = [pollfd(fd: tap.fileDescriptor, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: reader.fileDescriptor, events: Int16(POLLIN), revents: 0)]
        while !shouldStop() {
            if poll(&fds, 2, 100) < 0 && errno != EINTR { throw LabError("poll: \(String(cString: strerror(errno)))") }
            try tapToBus(&lengths)
            reader.watch?.drain()
            while reader.poll(into: &batch) > 0 {
                for k in 0..<batch.count {
                    let f = batch.frame(k)
                    if write(tap.fileDescriptor, f.baseAddress, f.count) == f.count { framesToTap &+= 1 } else { tapDrops &+= 1 }
                }
            }
        }
    }

    /// Every frame the tap holds now, onto the bus in batches of `framesPerTurn`.
    func tapToBus(_ lengths: inout [Int]) throws {
        while true {
            var count = 0
            while count < Self.framesPerTurn {
                let slot = tapFrames.baseAddress! + count * BusLayout.maxFrameLength
                let r = read(tap.fileDescriptor, slot, BusLayout.maxFrameLength)
                if r < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN { break }
                    throw LabError("tap \(tap.name): read: \(String(cString: strerror(errno)))")
                }
                // Runts cannot be Ethernet frames; the bus refuses them too.
                if r >= BusLayout.minFrameLength { lengths[count] = r; count += 1 }
            }
            if count == 0 { return }
            let base = tapFrames.baseAddress!, sizes = lengths
            let frames = (0..<count).lazy.map { UnsafeRawBufferPointer(start: base + $0 * BusLayout.maxFrameLength, count: sizes[$0]) }
            try writer.send(batch: frames)
            framesToBus &+= UInt64(count)
            if count < Self.framesPerTurn { return }
        }
    }
}
