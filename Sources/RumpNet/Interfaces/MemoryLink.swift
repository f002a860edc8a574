// An in-memory Ethernet segment for tests and benchmarks: every frame one port sends reaches every
// other port (a hub), when the owner calls `deliver()`. Frames sit in a reusable ring.

public final class MemoryLink {
    struct Port {
        // Unmanaged, not weak: a weak load costs atomics per frame. Safe because a stack's deinit
        // detaches its drivers, which clears the port before the stack is gone.
        var stack: Unmanaged<NetStack>?
        var ifIndex: Int
    }
    @exclusivity(unchecked) var ports: [Port] = []  // confined to the owner's thread, like the stacks
    @exclusivity(unchecked) var queue: PacketRing  // confined to the owner's thread
    /// Sees every frame sent on the link (for pcap captures in tests).
    public var tap: ((UnsafeRawBufferPointer) -> Void)?
    @exclusivity(unchecked) public private(set) var framesCarried: UInt64 = 0
    public var drops: UInt64 { queue.drops }

    public init(capacity: Int = 1024) {
        queue = PacketRing(capacity: capacity, slotBytes: 1536)
    }
    deinit { queue.deallocate() }

    /// A driver for one more port; pass it to `NetStack.attachInterface`.
    public func makeDriver() -> MemoryLinkDriver {
        ports.append(Port(stack: nil, ifIndex: 0))
        return MemoryLinkDriver(link: self, port: ports.count - 1)
    }

    /// Delivers queued frames (and those sent in response) until the link is quiet or `limit`
    /// frames went by. Returns the number delivered.
    @discardableResult
    public func deliver(limit: Int = 100_000) -> Int {
        var n = 0
        while !queue.isEmpty, n < limit {
            let (frame, from) = queue.peek()
            tap?(frame)
            for i in ports.indices where i != from {
                if let s = ports[i].stack { s._withUnsafeGuaranteedRef { $0.receive(frame, on: ports[i].ifIndex) } }
            }
            queue.pop()
            framesCarried &+= 1
            n += 1
        }
        return n
    }

    public var pending: Int { queue.count }
}

public final class MemoryLinkDriver: LinkDriver {
    let link: MemoryLink  // strong: the link holds only weak references to stacks, so no cycle
    let port: Int
    var running = false
    init(link: MemoryLink, port: Int) { self.link = link; self.port = port }

    public func transmit(_ frame: UnsafeRawBufferPointer) -> Bool {
        running ? link.queue.push(frame, tag: port) : false
    }
    public func start() throws(Errno) { running = true }
    public func stop() { running = false }
    public func detach() { link.ports[port].stack = nil }
    func bind(stack: NetStack, ifIndex: Int) {
        link.ports[port].stack = Unmanaged.passUnretained(stack)
        link.ports[port].ifIndex = ifIndex
    }
}
