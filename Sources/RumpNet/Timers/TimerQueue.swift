// The stack's timer service: an indexed binary min-heap of deadlines in clock nanoseconds. Schedule,
// move and cancel are O(log n), the next deadline is O(1), and `poll()` pops only what is due, so no
// timer work scans every ARP entry or reassembly queue. Equal deadlines fire in scheduling order.
// ARP expiry, reassembly timeouts (and TCP's timers, next issue) are events in it.

/// What a timer does when it fires; the handler looks its object up and checks it still applies.
enum TimerEvent: Equatable {
    case arpExpiry(ARPKey)
    case reassemblyTimeout(ReassKey)
    /// A TCP connection's earliest deadline (its timers are checked when it fires).
    case tcp(TCPTimerRef)
    /// IPv6: neighbour cache, reassembly, DAD, MLD, lifetimes (IPv6/).
    case ip6(IP6TimerEvent)
}

/// The connection a TCP timer belongs to, compared by identity. Unowned: a connection cancels
/// its timer before it is freed (tcpClose).
struct TCPTimerRef: Equatable {
    unowned let socket: Socket
    static func == (a: TCPTimerRef, b: TCPTimerRef) -> Bool { a.socket === b.socket }
}

/// A handle on a scheduled timer. The generation makes a handle kept past its timer's firing or
/// cancellation harmless: it no longer matches the slot's new owner.
struct TimerID: Equatable {
    var slot: Int32
    var generation: UInt32
    static let none = TimerID(slot: -1, generation: 0)
    var isNone: Bool { slot < 0 }
}

struct TimerQueue {
    private struct Slot {
        var deadline: UInt64 = 0
        var order: UInt64 = 0       // scheduling sequence: ties fire first-scheduled first
        var event: TimerEvent? = nil
        var position: Int32 = -1    // index in `heap`, -1 when free
        var generation: UInt32 = 0
    }
    private var slots: [Slot] = []
    private var heap: [Int32] = []
    private var freeSlots: [Int32] = []
    private var sequence: UInt64 = 0

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }
    /// The earliest deadline, O(1).
    var nextDeadline: UInt64? { heap.first.map { slots[Int($0)].deadline } }

    func isScheduled(_ id: TimerID) -> Bool {
        id.slot >= 0 && Int(id.slot) < slots.count && slots[Int(id.slot)].generation == id.generation
            && slots[Int(id.slot)].position >= 0
    }

    func deadline(_ id: TimerID) -> UInt64? { isScheduled(id) ? slots[Int(id.slot)].deadline : nil }

    mutating func schedule(_ event: TimerEvent, at deadline: UInt64) -> TimerID {
        let slot: Int32
        if let f = freeSlots.popLast() { slot = f } else { slots.append(Slot()); slot = Int32(slots.count - 1) }
        sequence &+= 1
        slots[Int(slot)].deadline = deadline
        slots[Int(slot)].order = sequence
        slots[Int(slot)].event = event
        slots[Int(slot)].position = Int32(heap.count)
        heap.append(slot)
        siftUp(heap.count - 1)
        return TimerID(slot: slot, generation: slots[Int(slot)].generation)
    }

    /// Moves a scheduled timer; false when `id` is no longer scheduled.
    @discardableResult
    mutating func reschedule(_ id: TimerID, at deadline: UInt64) -> Bool {
        guard isScheduled(id) else { return false }
        let s = Int(id.slot)
        guard slots[s].deadline != deadline else { return true }
        let later = deadline > slots[s].deadline
        slots[s].deadline = deadline
        sequence &+= 1
        slots[s].order = sequence
        let i = Int(slots[s].position)
        if later { siftDown(i) } else { siftUp(i) }
        return true
    }

    mutating func cancel(_ id: TimerID) {
        guard isScheduled(id) else { return }
        removeAt(Int(slots[Int(id.slot)].position))
    }

    /// The timer `id` (if still scheduled) moved to `deadline`, or a new one; cancelled when
    /// `deadline` is nil. Returns the handle to keep.
    mutating func set(_ id: TimerID, _ event: TimerEvent, at deadline: UInt64?) -> TimerID {
        guard let deadline else { cancel(id); return .none }
        if reschedule(id, at: deadline) { return id }
        return schedule(event, at: deadline)
    }

    /// The earliest timer due at `now`, taken off the queue.
    mutating func popDue(now: UInt64) -> TimerEvent? {
        guard let top = heap.first, slots[Int(top)].deadline <= now else { return nil }
        let e = slots[Int(top)].event
        removeAt(0)
        return e
    }

    // MARK: heap

    private func less(_ a: Int32, _ b: Int32) -> Bool {
        let x = slots[Int(a)], y = slots[Int(b)]
        return x.deadline < y.deadline || (x.deadline == y.deadline && x.order < y.order)
    }

    private mutating func removeAt(_ i: Int) {
        let slot = heap[i]
        let last = heap.removeLast()
        if i < heap.count {
            heap[i] = last
            slots[Int(last)].position = Int32(i)
            siftDown(i)
            siftUp(Int(slots[Int(last)].position))
        }
        slots[Int(slot)].position = -1
        slots[Int(slot)].event = nil
        slots[Int(slot)].generation &+= 1
        freeSlots.append(slot)
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(heap[i], heap[parent]) else { break }
            swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < heap.count, less(heap[l], heap[smallest]) { smallest = l }
            if r < heap.count, less(heap[r], heap[smallest]) { smallest = r }
            guard smallest != i else { break }
            swapAt(i, smallest)
            i = smallest
        }
    }

    private mutating func swapAt(_ i: Int, _ j: Int) {
        heap.swapAt(i, j)
        slots[Int(heap[i])].position = Int32(i)
        slots[Int(heap[j])].position = Int32(j)
    }
}
