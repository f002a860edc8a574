// A bounded FIFO of packets in reusable buffers: the loopback queue and in-memory links use it so
// that queueing a packet costs a copy, not an allocation (each slot grows only when a bigger
// packet than it has seen arrives). A slot's buffer is made at its first use: an idle queue (the
// loopback queue of a kernel that never talks to itself) costs no memory, which matters when a
// process holds a thousand kernels.

struct PacketRing {
    private var slots: [UnsafeMutableRawBufferPointer]
    private var lengths: [Int]
    private var tags: [Int]
    private(set) var head = 0
    private(set) var count = 0
    let capacity: Int
    /// The smallest buffer a slot gets at its first use.
    let slotBytes: Int
    private(set) var drops: UInt64 = 0

    init(capacity: Int, slotBytes: Int) {
        self.capacity = capacity
        self.slotBytes = slotBytes
        slots = Array(repeating: UnsafeMutableRawBufferPointer(start: nil, count: 0), count: capacity)
        lengths = Array(repeating: 0, count: capacity)
        tags = Array(repeating: 0, count: capacity)
    }

    func deallocate() { for s in slots { s.deallocate() } }

    var isEmpty: Bool { count == 0 }

    /// Copies `packet` in; false (and a drop) when full.
    @discardableResult
    mutating func push(_ packet: UnsafeRawBufferPointer, tag: Int) -> Bool {
        guard count < capacity else { drops &+= 1; return false }
        let i = (head + count) % capacity
        if slots[i].count < packet.count || slots[i].baseAddress == nil {
            slots[i].deallocate()
            slots[i] = .allocate(byteCount: max(packet.count, slotBytes), alignment: 16)
        }
        if packet.count > 0 { slots[i].baseAddress!.copyMemory(from: packet.baseAddress!, byteCount: packet.count) }
        lengths[i] = packet.count
        tags[i] = tag
        count += 1
        return true
    }

    /// The oldest packet; valid until `pop()`. Pushing meanwhile never overwrites it.
    func peek() -> (UnsafeRawBufferPointer, Int) {
        (UnsafeRawBufferPointer(rebasing: slots[head][0..<lengths[head]]), tags[head])
    }

    mutating func pop() {
        head = (head + 1) % capacity
        count -= 1
    }
}
