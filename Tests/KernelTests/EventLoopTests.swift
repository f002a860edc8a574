import XCTest
@testable import RumpKernel

/// The loop's timers and its embedded mode, on virtual time only.
final class EventLoopTests: XCTestCase {
    func testEmbeddedLoopRunsNothingUntilToldAndFiresInDeadlineOrder() {
        let loop = EventLoop(embeddedAt: 1_000)
        var fired: [(String, UInt64)] = []
        loop.addTimer(deadline: 5_000) { fired.append(("c", loop.currentTime)) }
        loop.addTimer(deadline: 2_000) { fired.append(("a", loop.currentTime)) }
        loop.addTimer(deadline: 2_000) { fired.append(("b", loop.currentTime)) }  // same deadline: insertion order
        loop.soon { fired.append(("soon", loop.currentTime)) }
        XCTAssertTrue(fired.isEmpty, "an embedded loop runs nothing by itself")
        loop.run()
        XCTAssertEqual(fired.map(\.0), ["soon"])
        loop.advanceTime(by: 999)
        XCTAssertEqual(fired.count, 1, "1999 ns: nothing due yet")
        loop.advanceTime(to: 10_000)
        XCTAssertEqual(fired.map(\.0), ["soon", "a", "b", "c"])
        XCTAssertEqual(fired.map(\.1), [1_000, 2_000, 2_000, 5_000], "each timer sees the clock at its own deadline")
        XCTAssertEqual(loop.currentTime, 10_000)
    }

    func testTimerAddedByATimerFiresInTheSameAdvance() {
        let loop = EventLoop(embeddedAt: 0)
        var times: [UInt64] = []
        loop.addTimer(deadline: 100) {
            times.append(loop.currentTime)
            loop.addTimer(deadline: loop.currentTime + 50) { times.append(loop.currentTime) }
        }
        loop.advanceTime(by: 1_000)
        XCTAssertEqual(times, [100, 150])
    }

    func testCancelledTimersNeverFireAndDoNotPileUp() {
        let loop = EventLoop(embeddedAt: 0)
        var fired = 0
        var ids: [EventLoop.TimerID] = []
        for i in 0..<10_000 { ids.append(loop.addTimer(deadline: UInt64(i % 997) + 1) { fired += 1 }) }
        for (i, id) in ids.enumerated() where i % 3 != 0 { loop.cancelTimer(id) }
        XCTAssertEqual(loop.pendingTimerCount, 3334)
        loop.cancelTimer(ids[1])  // twice: no effect
        XCTAssertEqual(loop.pendingTimerCount, 3334)
        loop.advanceTime(by: 2_000)
        XCTAssertEqual(fired, 3334)
        XCTAssertEqual(loop.pendingTimerCount, 0)
        XCTAssertNil(loop.nextTimerDeadline)
    }

    /// The heap against a sorted reference, with random inserts and cancels.
    func testHeapOrderMatchesASortedReference() {
        var heap = TimerHeap()
        var reference: [(UInt64, Int)] = []
        var rng = SystemRandomNumberGenerator()
        var order: [Int] = []
        for id in 1...2_000 {
            let d = UInt64.random(in: 0..<500, using: &rng)
            heap.insert(deadline: d, id: id) { order.append(id) }
            reference.append((d, id))
            if id % 5 == 0 {
                let victim = reference.remove(at: Int.random(in: 0..<reference.count, using: &rng))
                heap.cancel(victim.1)
            }
        }
        while let fire = heap.popDue(now: .max) { fire() }
        XCTAssertEqual(order, reference.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map(\.1))
    }

    func testRealLoopReadsItsInjectedClock() {
        let clock = ManualClock(now: 7_000_000_000)
        let loop = EventLoop(clock: clock)
        var ran = false
        // Due by the injected clock (not by CLOCK_MONOTONIC, which is far past or before it).
        loop.addTimer(deadline: 7_000_000_000) { ran = true; loop.stop() }
        loop.run()
        XCTAssertTrue(ran)
        XCTAssertEqual(loop.currentTime, 7_000_000_000)
    }
}
