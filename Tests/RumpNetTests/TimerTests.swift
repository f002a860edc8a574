import Testing
@testable import RumpNet

@Suite struct TimerTests {
    /// Random schedules, moves and cancels against a plain list: the heap pops in deadline order,
    /// equal deadlines in scheduling order, and nothing cancelled ever fires.
    @Test func heapOrderMatchesAReference() {
        var q = TimerQueue()
        var rng = SeededRandom(seed: 9)
        var live: [(id: TimerID, key: UInt32, deadline: UInt64, order: Int)] = []
        var order = 0
        for step in 0..<5000 {
            let r = rng.next()
            switch r % 4 {
            case 0, 1:
                let d = 1000 + (r >> 8) % 500  // few distinct values: many ties
                let key = UInt32(step)
                let id = q.schedule(.arpExpiry(ARPKey(ifIndex: 1, address: key)), at: d)
                order += 1
                live.append((id, key, d, order))
            case 2 where !live.isEmpty:
                let i = Int((r >> 8) % UInt64(live.count))
                q.cancel(live[i].id)
                #expect(!q.isScheduled(live[i].id))
                live.remove(at: i)
            case 3 where !live.isEmpty:
                let i = Int((r >> 8) % UInt64(live.count))
                let d = 1000 + (r >> 20) % 500
                if d != live[i].deadline {
                    let moved = q.reschedule(live[i].id, at: d)
                    #expect(moved)
                    order += 1
                    live[i].deadline = d
                    live[i].order = order
                }
            default:
                break
            }
            #expect(q.count == live.count)
            #expect(q.nextDeadline == live.map(\.deadline).min())
        }
        let expected = live.sorted { ($0.deadline, $0.order) < ($1.deadline, $1.order) }.map(\.key)
        var popped: [UInt32] = []
        // Nothing is due before the first deadline.
        #expect(q.popDue(now: (live.map(\.deadline).min() ?? 1) - 1) == nil)
        while let e = q.popDue(now: .max) {
            guard case .arpExpiry(let k) = e else { Issue.record("unexpected \(e)"); break }
            popped.append(k.address)
        }
        #expect(popped == expected)
        #expect(q.isEmpty && q.nextDeadline == nil)
        // A handle kept past its timer is inert, even once its slot is reused.
        let a = q.schedule(.arpExpiry(ARPKey(ifIndex: 1, address: 1)), at: 5)
        q.cancel(a)
        let b = q.schedule(.arpExpiry(ARPKey(ifIndex: 1, address: 2)), at: 6)
        q.cancel(a)
        let movedStale = q.reschedule(a, at: 1)
        #expect(!movedStale)
        #expect(q.isScheduled(b) && q.nextDeadline == 6)
    }

    @Test func arpExpiryIsExactOnTheVirtualClock() throws {
        let lab = Lab()
        let a = lab.stack(seed: 1), b = lab.stack(seed: 2)
        let link = lab.link()
        try lab.attach(a, link, "mem0", "10.0.0.1", 24)
        try lab.attach(b, link, "mem0", "10.0.0.2", 24)
        lab.settle()
        let fd = try rawICMPSocket(a)
        try Ping.send(a, fd, to: "10.0.0.2", seq: 0)
        lab.settle()
        let learned = lab.clock.now
        let keep: UInt64 = 1200 * 1_000_000_000
        #expect(a.arpEntries.first?.expires == learned + keep)
        #expect(a.nextDeadline == learned + keep)
        #expect(a.timers.count == a.arp.entries.count)
        // A fresh reply moves the deadline; the old one does not fire early.
        lab.clock.advance(seconds: 100)
        try a.arpDelete(IPv4Address("10.0.0.2")!)
        #expect(a.timers.isEmpty && a.nextDeadline == nil)
        try Ping.send(a, fd, to: "10.0.0.2", seq: 1)
        lab.settle()
        let relearned = lab.clock.now
        #expect(a.nextDeadline == relearned + keep)
        lab.clock.now = relearned + keep - 1
        a.poll()
        #expect(a.arpEntries.count == 1)
        lab.clock.now = relearned + keep
        a.poll()
        #expect(a.arpEntries.isEmpty && a.timers.isEmpty)
        // An incomplete entry goes net.inet.arp.down after its last request; changing the sysctl moves it.
        try Ping.send(a, fd, to: "10.0.0.9", seq: 2)
        let asked = lab.clock.now
        #expect(a.nextDeadline == asked + 20_000_000_000)
        try a.sysctlSet("net.inet.arp.down", 5)
        #expect(a.nextDeadline == asked + 5_000_000_000)
        lab.clock.now = asked + 5_000_000_000
        a.poll()
        #expect(!a.arpEntries.contains { $0.address == IPv4Address("10.0.0.9")! })
        #expect(a.arpStats.heldDropped == 1)
    }

    @Test func reassemblyTimeoutIsExact() throws {
        let clock = VirtualClock()
        let s = NetStack(clock: clock, seed: 4)
        try s.attachInterface(name: "shmif0", driver: SinkDriver(), mac: MACAddress("b2:a0:00:00:00:01")!)
        try s.addAddress(name: "shmif0", IPv4Address("10.0.0.1")!, netmask: 0xFFFF_FF00)
        try s.arpSet(IPv4Address("10.0.0.2")!, mac: MACAddress("b2:a0:00:00:00:02")!)
        let start = clock.now
        for id in 0..<50 {
            FragmentTests().fragment(0, 1480, more: true, id: UInt16(id)).withUnsafeBytes { s.receive($0, on: 2) }
            clock.advance(nanoseconds: 1000)
        }
        #expect(s.reass.entries.count == 50 && s.timers.count == 50)
        #expect(s.nextDeadline == start + 30_000_000_000)
        // Each queue goes exactly 30 s after its first fragment, one by one.
        clock.now = start + 30_000_000_000 + 24_999
        s.poll()
        #expect(s.reass.entries.count == 25 && s.ipStats.fragtimeout == 25)
        #expect(s.nextDeadline == start + 30_000_000_000 + 25_000)
        clock.now = start + 31_000_000_000
        s.poll()
        #expect(s.reass.entries.isEmpty && s.timers.isEmpty && s.nextDeadline == nil)
    }
}
