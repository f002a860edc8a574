// lo(4): packets sent to lo0 are queued and come back in as input on the next stack turn
// (NetBSD queues them to ipintrq too), which keeps output and input from recursing.

final class LoopbackDriver: LinkDriver {
    weak var stack: NetStack?
    var ifIndex = 0
    init(stack: NetStack) { self.stack = stack }
    func transmit(_ frame: UnsafeRawBufferPointer) -> Bool {
        stack?.loopbackEnqueue(frame, ifIndex: ifIndex) ?? false
    }
}

extension NetStack {
    public static let loopbackMTU = 33624

    func loopbackEnqueue(_ packet: UnsafeRawBufferPointer, ifIndex: Int) -> Bool {
        loopQueue.push(packet, tag: ifIndex)
    }

    /// Drains the loopback queue, answers included (bounded, so a loop of packets cannot hang a turn).
    func runLoopback() {
        var budget = 1024
        while budget > 0, !loopQueue.isEmpty {
            let (p, idx) = loopQueue.peek()
            if let ifp = interface(index: idx) {
                ifp.counters.ipackets &+= 1
                ifp.counters.ibytes &+= UInt64(p.count)
                ipInput(p, ifp: ifp, linkBroadcast: false)
            }
            loopQueue.pop()
            budget -= 1
        }
    }
}
