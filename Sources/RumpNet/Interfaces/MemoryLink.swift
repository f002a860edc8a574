// An in-memory Ethernet segment for tests and benchmarks: every frame one port sends reaches every
// other port (a hub), when the owner calls `deliver()`. Frames sit in a reusable ring. Each port
// is a NetDevice like any other: `deliver()` offers a frame to a port and says so through its
// hooks (`readable`), and the port's stack takes it with `receive(into:)`.

public final class MemoryLink {
    // Unowned, not weak: a weak load costs atomics per frame. Safe because a stack's deinit
    // detaches its devices, which takes the port off the link before the device is gone.
    @exclusivity(unchecked) var ports: [Unmanaged<MemoryLinkDevice>?] = []  // confined to the owner's thread, like the stacks
    @exclusivity(unchecked) var queue: PacketRing  // confined to the owner's thread
    /// Sees every frame sent on the link (for pcap captures in tests).
    public var tap: ((UnsafeRawBufferPointer) -> Void)?
    @exclusivity(unchecked) public private(set) var framesCarried: UInt64 = 0
    public var drops: UInt64 { queue.drops }

    public init(capacity: Int = 1024) {
        queue = PacketRing(capacity: capacity, slotBytes: 1536)
    }
    deinit { queue.deallocate() }

    /// A device for one more port; pass it to `NetStack.attachInterface`.
    public func makeDevice() -> MemoryLinkDevice {
        let d = MemoryLinkDevice(link: self, port: ports.count)
        ports.append(Unmanaged.passUnretained(d))
        return d
    }

    /// The same as `makeDevice()` (the name the stack's tests use).
    public func makeDriver() -> MemoryLinkDevice { makeDevice() }

    /// Delivers queued frames (and those sent in response) until the link is quiet or `limit`
    /// frames went by. Returns the number delivered.
    @discardableResult
    public func deliver(limit: Int = 100_000) -> Int {
        var n = 0
        while !queue.isEmpty, n < limit {
            let (frame, from) = queue.peek()
            tap?(frame)
            for i in ports.indices where i != from {
                guard let p = ports[i] else { continue }
                p._withUnsafeGuaranteedRef { $0.offer(frame) }
            }
            queue.pop()
            framesCarried &+= 1
            n += 1
        }
        return n
    }

    public var pending: Int { queue.count }
}

public final class MemoryLinkDevice: NetDevice {
    let link: MemoryLink  // strong: the link holds only unretained references to devices, so no cycle
    let port: Int
    var running = false
    /// The frame `deliver()` is offering, during its `readable` call.
    private var offered: UnsafeRawBufferPointer?
    public var hooks = DeviceHooks(name: "mem")

    init(link: MemoryLink, port: Int) { self.link = link; self.port = port }

    deinit { if link.ports[port]?.toOpaque() == Unmanaged.passUnretained(self).toOpaque() { link.ports[port] = nil } }

    func offer(_ frame: UnsafeRawBufferPointer) {
        offered = frame
        hooks.readable()
        offered = nil
    }

    public func receive(into batch: inout ReceiveBatch, now: UInt64) -> Int {
        guard let f = offered else { return 0 }
        offered = nil
        return batch.append(f) ? 1 : 0
    }

    public func transmit(_ frames: FrameList, now: UInt64) -> Int {
        guard running else { return 0 }
        var n = 0
        for f in frames {
            guard link.queue.push(f, tag: port) else { break }
            n += 1
        }
        return n
    }
    public func start() throws(Errno) { running = true }
    public func stop() { running = false }
    public func detach() {
        running = false
        link.ports[port] = nil
    }
}
