// lo(4): packets sent to lo0 are queued and come back in as input on the next stack turn
// (NetBSD queues them to ipintrq too), which keeps output and input from recursing. The queue
// is the stack's (it drains it in place, no copy); the device only knows how to reach it.

final class LoopbackDevice: LinkDriver {
    let enqueue: (UnsafeRawBufferPointer) -> Bool
    init(enqueue: @escaping (UnsafeRawBufferPointer) -> Bool) { self.enqueue = enqueue }
    func transmit(_ frame: UnsafeRawBufferPointer) -> Bool { enqueue(frame) }
}

extension NetStack {
    public static let loopbackMTU = 33624

    /// The lo kind (rumpnet_net): every unit loops into the stack's one queue, tagged by ifindex.
    var loopbackKind: InterfaceKind {
        InterfaceKind(family: "lo", linkType: .loopback, flags: [.loopback, .running, .multicast],
                      mtu: NetStack.loopbackMTU, maxMTU: 65535, destroyable: { $0 != "lo0" }) { [unowned self] r throws(Errno) in
            let idx = r.index
            return MadeDevice(device: LoopbackDevice { [unowned self] p in self.loopbackEnqueue(p, ifIndex: idx) },
                              linkAddress: .zero)
        }
    }

    func loopbackEnqueue(_ packet: UnsafeRawBufferPointer, ifIndex: Int) -> Bool {
        loopQueue.push(packet, tag: ifIndex)
    }

    /// Drains the loopback queue, answers included (bounded, so a loop of packets cannot hang a turn).
    func runLoopback() {
        var budget = 1024
        while budget > 0, !loopQueue.isEmpty {
            let (p, tag) = loopQueue.peek()
            if tag & NetStack.loopedIP6Tag != 0 {
                // An IPv6 packet looped for one of our addresses (or a joined group) of another
                // interface: it arrives on that interface (its zone), counted on lo0.
                if let lo = interface(index: loopbackIndex), let ifp = interface(index: tag & ~NetStack.loopedIP6Tag) {
                    lo.counters.ipackets &+= 1
                    lo.counters.ibytes &+= UInt64(p.count)
                    ip6Input(p, ifp: ifp, linkMulticast: false, looped: true)
                }
            } else if let ifp = interface(index: tag) {
                ifp.counters.ipackets &+= 1
                ifp.counters.ibytes &+= UInt64(p.count)
                if ip6Enabled, p.count > 0, p.u8(0) >> 4 == 6 {
                    ip6Input(p, ifp: ifp, linkMulticast: false, looped: true)
                } else {
                    ipInput(p, ifp: ifp, linkBroadcast: false)
                }
            }
            loopQueue.pop()
            budget -= 1
        }
    }
}
