// shmif(4) over Sources/Shmif with NetBSD's semantics: created without a bus, `linkstr` attaches
// one (EBUSY when up or already set), up without a bus is ENXIO, own frames are filtered by the
// random 64-bit sender id. As in netbsd-10, the MAC's bytes 2..5 are the id's first 4 bytes in
// memory (little-endian) order.

import Shmif

public final class ShmifDriver: LinkDriver {
    public let senderID: UInt64
    public let macAddress: MACAddress
    unowned let clock: NetClock
    var bus: ShmifBus?
    var writer: BusWriter?
    var reader: BusReader?
    var batch = FrameBatch(capacityBytes: 64 * 1024)
    var running = false
    public private(set) var linkString: String?
    public private(set) var sendErrors: UInt64 = 0

    init(random: UInt64, clock: NetClock) {
        senderID = random
        var mac: UInt64 = 0xB2A0 << 32
        for i in 0..<4 { mac |= ((random >> UInt64(8 * i)) & 0xFF) << UInt64(8 * (3 - i)) }
        macAddress = MACAddress(mac)
        self.clock = clock
    }

    public func transmit(_ frame: UnsafeRawBufferPointer) -> Bool {
        guard running, let w = writer else { return false }
        do { try w.send(frame) } catch { sendErrors &+= 1; return false }
        return true
    }

    public func start() throws(Errno) {
        guard let bus else { throw .ENXIO }
        // shmif_init: start reading at the bus's current end.
        do { reader = try BusReader(bus: bus, ownSenderID: senderID, start: .next) } catch { throw .ENXIO }
        running = true
    }

    public func stop() { running = false }

    public func detach() {
        running = false
        reader = nil; writer = nil; bus = nil; linkString = nil
    }

    public func setLinkString(_ s: String) throws(Errno) {
        guard !running else { throw .EBUSY }
        guard bus == nil else { throw .EBUSY }
        guard !s.isEmpty else { throw .EINVAL }
        guard s.utf8.count + 1 <= 1024 else { throw .E2BIG }
        do {
            let b = try ShmifBus.attach(path: s)
            // NetBSD stamps its uptime; we stamp wall-clock time so that captures of a lab
            // show real dates (docs/shmif.md). The stamp is advisory: no receiver reads it.
            writer = BusWriter(bus: b, senderID: senderID)
            bus = b
            linkString = s
        } catch {
            throw .ENOEXEC
        }
    }

    public func clearLinkString() throws(Errno) {
        guard !running else { throw .EBUSY }
        reader = nil; writer = nil; bus = nil; linkString = nil
    }

    public func pollInput(_ stack: NetStack, ifIndex: Int) -> Int {
        guard running, let r = reader else { return 0 }
        // Drain the wakeups first: a write after this poll still wakes the event loop.
        r.watch.drain()
        // A poll stops when the batch is full; the wakeups are drained, so poll again until the
        // ring is empty (bounded: a whole ring's worth), or a burst's tail would wait for the
        // next frame to arrive.
        var total = 0
        for _ in 0..<(Int(BusLayout.dataSize) / batch.storage.count + 1) {
            let n = r.poll(into: &batch)
            for i in 0..<n { stack.receive(batch.frame(i), on: ifIndex) }
            total += n
            if batch.storage.count - batch.usedBytes >= BusLayout.maxFrameLength { break }
        }
        return total
    }

    public var fileDescriptor: Int32? { reader?.watch.fileDescriptor }
}
