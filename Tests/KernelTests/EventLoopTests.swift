import XCTest
#if canImport(Glibc)
import Glibc
#endif
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

    /// A turn: deferred work (and what it defers) first, then the turn's end work in the order
    /// added, with work the end work defers run before the loop looks at anything else.
    func testTurnEndWorkRunsAfterEveryDeferredWorkOfTheTurn() {
        let loop = EventLoop(embeddedAt: 0)
        var order: [String] = []
        loop.soon {
            order.append("a")
            loop.atTurnEnd { order.append("end1") }
            loop.soon {
                order.append("b")
                loop.soon { order.append("c") }
            }
        }
        loop.atTurnEnd {
            order.append("end0")
            loop.soon { order.append("after-end0") }
            loop.atTurnEnd { order.append("end2") }
        }
        loop.run()
        XCTAssertEqual(order, ["a", "b", "c", "end0", "end1", "after-end0", "end2"])
        order.removeAll()
        loop.run()
        XCTAssertEqual(order, [], "each piece of work runs once")
    }

    /// `runDeferredWork` settles what was deferred so far, in the middle of a callback; what it
    /// runs may defer more, which it runs too, and turn-end work still waits for the turn's end.
    func testRunDeferredWorkSettlesTheQueueMidCallback() {
        let loop = EventLoop(embeddedAt: 0)
        var order: [String] = []
        loop.soon {
            order.append("request 1")
            loop.atTurnEnd { order.append("flush") }
            loop.soon {
                order.append("frame out")
                loop.soon { order.append("answer back") }
            }
            loop.runDeferredWork()
            order.append("request 2")
        }
        loop.run()
        XCTAssertEqual(order, ["request 1", "frame out", "answer back", "request 2", "flush"])
    }

    /// Many turns of deferred work (its buffers are reused, not reallocated): nothing is lost
    /// or run twice.
    func testDeferredWorkOverManyTurnsRunsExactlyOnce() {
        let loop = EventLoop(embeddedAt: 0)
        var count = 0, ends = 0
        var expected = 0
        for turn in 0..<1_000 {
            for i in 0..<(turn % 7) {
                expected += i % 2 == 0 ? 2 : 1
                loop.soon { count += 1; if i % 2 == 0 { loop.soon { count += 1 } } }
            }
            loop.atTurnEnd { ends += 1 }
            loop.run()
            XCTAssertEqual(count, expected, "turn \(turn)")
        }
        XCTAssertEqual(ends, 1_000)
    }

    /// Descriptors in epoll, level-triggered: a pipe's read end fires while data waits, two
    /// watches on one descriptor each get their own events, an unwatched descriptor is silent,
    /// and a new file that got a closed one's number is heard (the watch was made anew).
    func testDescriptorsAreLevelTriggeredPerWatchAndSurviveNumberReuse() {
        let loop = EventLoop(embeddedAt: 0)
        var p = [Int32](repeating: 0, count: 2)
        XCTAssertEqual(pipe(&p), 0)
        var reads = 0, writes = 0
        let r = loop.watch(fd: p[0], events: Int16(POLLIN)) { _ in reads += 1 }
        let w = loop.watch(fd: p[1], events: Int16(POLLOUT)) { _ in writes += 1 }
        let w2 = loop.watch(fd: p[1], events: 0) { _ in XCTFail("no events asked, no error: never called") }
        loop.run()
        XCTAssertEqual(reads, 0)
        XCTAssertGreaterThan(writes, 0, "an empty pipe is writable")
        loop.unwatch(w)
        loop.unwatch(w2)
        var byte: UInt8 = 7
        XCTAssertEqual(write(p[1], &byte, 1), 1)
        loop.run()
        XCTAssertGreaterThan(reads, 0, "data waits: readable")
        let before = reads
        loop.run()
        XCTAssertGreaterThan(reads, before, "level-triggered: still readable while undrained")
        XCTAssertEqual(read(p[0], &byte, 1), 1)
        reads = 0
        loop.run()
        XCTAssertEqual(reads, 0, "drained: quiet")
        // The read end goes (unwatched, closed); a new pipe takes the number.
        loop.unwatch(r)
        let old = p[0]
        close(p[0]); close(p[1])
        XCTAssertEqual(pipe(&p), 0)
        XCTAssertEqual(p[0], old, "the lowest free number is reused")
        var heard = 0
        loop.watch(fd: p[0], events: Int16(POLLIN)) { _ in heard += 1 }
        XCTAssertEqual(write(p[1], &byte, 1), 1)
        loop.run()
        XCTAssertGreaterThan(heard, 0)
        close(p[0]); close(p[1])
    }

    /// A regular file, which epoll refuses, is reported ready every turn, as poll(2) does.
    func testRegularFileIsAlwaysReady() {
        let loop = EventLoop(embeddedAt: 0)
        let path = "/tmp/eventloop-\(getpid()).file"
        let fd = open(path, O_RDWR | O_CREAT, 0o600)
        defer { close(fd); unlink(path) }
        var n = 0
        let id = loop.watch(fd: fd, events: Int16(POLLIN)) { revents in
            XCTAssertEqual(revents, Int16(POLLIN))
            n += 1
        }
        loop.run()
        XCTAssertGreaterThan(n, 0)
        loop.unwatch(id)
        n = 0
        loop.run()
        XCTAssertEqual(n, 0)
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
