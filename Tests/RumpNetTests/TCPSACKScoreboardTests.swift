import Testing
@testable import RumpNet

@Suite struct SACKScoreboardTests {
    /// snd_una just below the wrap, so every test crosses 2^32.
    let una = TCPSeq(UInt32.max - 4_500)
    func at(_ offset: Int) -> TCPSeq { una + offset }
    func block(_ l: Int, _ r: Int) -> SACKBlock { SACKBlock(left: at(l), right: at(r)) }
    func blocks(_ list: [(Int, Int)]) -> SACKBlocks { SACKBlocks(list.map { block($0.0, $0.1) }) }
    func offsets(_ sb: SACKScoreboard) -> [[Int]] { sb.sackedRanges.map { [$0.left - una, $0.right - una] } }

    @Test func mergesOverlappingTouchingAndDuplicateBlocks() {
        var sb = SACKScoreboard()
        #expect(sb.isEmpty && sb.highestSacked == nil)
        let sndMax = at(20_000)
        do { let r0 = sb.update(una: una, sndMax: sndMax, blocks: blocks([(3000, 4000), (5000, 6000)])); #expect(r0 == 2000) }
        #expect(offsets(sb) == [[3000, 4000], [5000, 6000]])
        do { let r0 = sb.update(una: una, sndMax: sndMax, blocks: blocks([(4000, 5000)])); #expect(r0 == 1000) }  // touches both
        #expect(offsets(sb) == [[3000, 6000]])
        do { let r0 = sb.update(una: una, sndMax: sndMax, blocks: blocks([(3500, 5500), (3000, 6000)])); #expect(r0 == 0) }
        do { let r0 = sb.update(una: una, sndMax: sndMax, blocks: blocks([(2500, 3500)])); #expect(r0 == 500) }
        do { let r0 = sb.update(una: una, sndMax: sndMax, blocks: blocks([(8000, 9000), (1000, 2000), (7000, 8500)])); #expect(r0 == 3000) }
        #expect(offsets(sb) == [[1000, 2000], [2500, 6000], [7000, 9000]])
        // One block spanning several ranges and the holes between them.
        do { let r0 = sb.update(una: una, sndMax: sndMax, blocks: blocks([(1500, 7500)])); #expect(r0 == 1500) }
        #expect(offsets(sb) == [[1000, 9000]])
        #expect(sb.sackedBytes == 8000 && sb.highestSacked == at(9000))
        #expect(sb.isSacked(at(1000)) && sb.isSacked(at(8999)))
        #expect(!sb.isSacked(at(999)) && !sb.isSacked(at(9000)) && !sb.isSacked(una))
    }

    @Test func cumulativeAckTrimsAndDrops() {
        var sb = SACKScoreboard()
        let sndMax = at(20_000)
        _ = sb.update(una: una, sndMax: sndMax, blocks: blocks([(1000, 2000), (3000, 5000), (6000, 7000)]))
        // una moves into the middle range: the first goes, the second is cut.
        let una2 = at(4000)
        do { let r0 = sb.update(una: una2, sndMax: sndMax, blocks: SACKBlocks()); #expect(r0 == 0) }
        #expect(sb.sackedRanges == [SACKBlock(left: at(4000), right: at(5000)), block(6000, 7000)])
        #expect(sb.sackedBytes == 2000)
        do { let r0 = sb.update(una: at(7000), sndMax: sndMax, blocks: SACKBlocks()); #expect(r0 == 0) }
        #expect(sb.isEmpty && sb.sackedBytes == 0 && sb.highestSacked == nil)
        _ = sb.update(una: at(7000), sndMax: sndMax, blocks: blocks([(8000, 9000)]))
        sb.reset()
        #expect(sb.isEmpty && sb.sackedBytes == 0)
    }

    @Test func hostileBlocksAreIgnored() {
        var sb = SACKScoreboard()
        let sndMax = at(10_000)
        let hostile = SACKBlocks([
            block(3000, 2000),                               // inverted
            block(4000, 4000),                               // empty
            block(9000, 10_001),                             // past snd_max
            SACKBlock(left: una - 3000, right: una - 1000),  // below una: D-SACK (RFC 2883)
        ])
        do { let r0 = sb.update(una: una, sndMax: sndMax, blocks: hostile); #expect(r0 == 0) }
        #expect(sb.isEmpty)
        let wild = SACKBlocks([
            SACKBlock(left: una + 3_000_000_000, right: una + 3_000_001_000),  // "below" una mod 2^32
            SACKBlock(left: una + 1_000, right: una + 2_500_000_000),          // right wraps behind una
            SACKBlock(left: una + 2_000_000_000, right: una + 2_000_001_000),  // far past snd_max
        ])
        do { let r0 = sb.update(una: una, sndMax: sndMax, blocks: wild); #expect(r0 == 0) }
        #expect(sb.isEmpty)
        // A block straddling una counts from una; one ending at snd_max is fine.
        do { let r0 = sb.update(una: una, sndMax: sndMax, blocks: blocks([(-500, 500), (9000, 10_000)])); #expect(r0 == 1500) }
        #expect(offsets(sb) == [[0, 500], [9000, 10_000]])
        // Nothing outstanding: nothing can be SACKed.
        do { let r0 = sb.update(una: sndMax, sndMax: sndMax, blocks: blocks([(9000, 10_000)])); #expect(r0 == 0) }
        #expect(sb.isEmpty)
    }

    @Test func boundedStorageNeverClaimsHoles() {
        var up = SACKScoreboard(maxRanges: 4)
        var down = SACKScoreboard(maxRanges: 4)
        let sndMax = at(100_000)
        var addedUp = 0
        var addedDown = 0
        for i in 0..<6 {
            addedUp += up.update(una: una, sndMax: sndMax, blocks: blocks([(i * 2000 + 1000, i * 2000 + 2000)]))
            let j = 5 - i
            addedDown += down.update(una: una, sndMax: sndMax, blocks: blocks([(j * 2000 + 1000, j * 2000 + 2000)]))
        }
        // The highest ranges are the ones forgotten, whichever order they came in.
        let lowestFour = [[1000, 2000], [3000, 4000], [5000, 6000], [7000, 8000]]
        #expect(offsets(up) == lowestFour && offsets(down) == lowestFour)
        #expect(up.sackedBytes == 4000 && down.sackedBytes == 4000)
        #expect(addedUp == 4000)
        #expect(!up.isSacked(at(2500)) && !up.isSacked(at(9500)) && !up.isSacked(at(11_500)))
        // A block bridging two ranges frees a slot.
        do { let r0 = up.update(una: una, sndMax: sndMax, blocks: blocks([(2000, 3000), (9000, 10_000)])); #expect(r0 == 2000) }
        #expect(offsets(up) == [[1000, 4000], [5000, 6000], [7000, 8000], [9000, 10_000]])
    }

    /// Random SACK streams against a byte map: with room enough the scoreboard is exact; with
    /// four ranges it only ever under-reports.
    @Test func randomBlocksAgainstAByteMap() {
        var rng = SeededRandom(seed: 2018)
        for round in 0..<25 {
            let window = 12_000
            var exact = SACKScoreboard(maxRanges: 64)
            var small = SACKScoreboard(maxRanges: 4)
            var received = [Bool](repeating: false, count: window)
            var unaOffset = 0
            for _ in 0..<60 {
                var list = SACKBlocks()
                for _ in 0..<Int(rng.next() % 5) {
                    let l = unaOffset - 3000 + Int(rng.next() % UInt64(window - unaOffset + 3000))
                    let len = Int(rng.next() % 4000) - 200  // some inverted/empty ones
                    list.append(block(l, l + len))
                }
                if rng.next() % 4 == 0 { unaOffset = min(window, unaOffset + Int(rng.next() % 600)) }
                // Reference: what a careful sender marks.
                var expectedNew = 0
                for b in list {
                    let l = max(b.left - una, unaOffset)
                    let r = b.right - una
                    guard r > unaOffset, r <= window, b.right - b.left > 0 else { continue }
                    for i in l..<r where !received[i] {
                        received[i] = true
                        expectedNew += 1
                    }
                }
                let u = at(unaOffset)
                let newExact = exact.update(una: u, sndMax: at(window), blocks: list)
                _ = small.update(una: u, sndMax: at(window), blocks: list)
                #expect(newExact == expectedNew, "round \(round)")
                let expectedBytes = received[unaOffset...].filter { $0 }.count
                #expect(exact.sackedBytes == expectedBytes)
                #expect(small.rangeCount <= 4 && small.sackedBytes <= expectedBytes)
                var wrong = 0, claimed = 0
                for probe in stride(from: unaOffset, to: window, by: 31) {
                    if exact.isSacked(at(probe)) != received[probe] { wrong += 1 }
                    if small.isSacked(at(probe)) && !received[probe] { claimed += 1 }
                }
                #expect(wrong == 0 && claimed == 0, "round \(round)")
                var bytes = 0
                for r in small.sackedRanges { bytes += r.right - r.left }
                #expect(bytes == small.sackedBytes)
            }
        }
    }

    @Test func isLostCountsRangesAndBytesAbove() {
        var sb = SACKScoreboard()
        let sndMax = at(20_000)
        _ = sb.update(una: una, sndMax: sndMax, blocks: blocks([(1000, 2000), (3000, 4000), (5000, 6000)]))
        #expect(sb.isLost(una, smss: 1000, dupThresh: 3))            // three discontiguous ranges above
        #expect(!sb.isLost(at(2000), smss: 1000, dupThresh: 3))      // two, 2000 bytes: not more than 2*SMSS
        #expect(sb.isLost(at(2000), smss: 1000, dupThresh: 2))
        #expect(!sb.isLost(at(6000), smss: 1000, dupThresh: 1))      // nothing above
        #expect(sb.isLost(at(4999), smss: 1000, dupThresh: 1))

        var bytes = SACKScoreboard()
        _ = bytes.update(una: una, sndMax: sndMax, blocks: blocks([(1000, 3000)]))
        #expect(!bytes.isLost(una, smss: 1000, dupThresh: 3))        // exactly (DupThresh-1)*SMSS
        _ = bytes.update(una: una, sndMax: sndMax, blocks: blocks([(3000, 3001)]))
        #expect(bytes.isLost(una, smss: 1000, dupThresh: 3))         // one byte more
        #expect(!bytes.isLost(at(1001), smss: 1000, dupThresh: 3))   // bytes above 1001 only: 2000
        #expect(bytes.isLost(at(999), smss: 1000, dupThresh: 3))
    }

    @Test func pipeCountsUnsackedNotLostAndRetransmitted() {
        var sb = SACKScoreboard()
        let sndMax = at(10_000)
        #expect(sb.pipe(una: una, sndMax: sndMax, highRxt: una, smss: 1000, dupThresh: 3) == 10_000)
        _ = sb.update(una: una, sndMax: sndMax, blocks: blocks([(2000, 3000), (4000, 5000), (6000, 7000)]))
        // Holes: [0,2000) lost (3 ranges above), [3000,4000) and [5000,6000) not, [7000,10000) not.
        #expect(sb.pipe(una: una, sndMax: sndMax, highRxt: una, smss: 1000, dupThresh: 3) == 5000)
        #expect(sb.pipe(una: una, sndMax: sndMax, highRxt: at(1000), smss: 1000, dupThresh: 3) == 6000)
        #expect(sb.pipe(una: una, sndMax: sndMax, highRxt: at(3500), smss: 1000, dupThresh: 3) == 7500)
        // Lower DupThresh: [3000,4000) is lost too.
        #expect(sb.pipe(una: una, sndMax: sndMax, highRxt: una, smss: 1000, dupThresh: 2) == 4000)
        // Brute force over bytes with IsLost itself.
        for highRxt in [0, 1500, 4500, 8000] {
            var expected = 0
            for i in 0..<10_000 where !sb.isSacked(at(i)) {
                if !sb.isLost(at(i), smss: 1000, dupThresh: 3) { expected += 1 }
                if i < highRxt { expected += 1 }
            }
            #expect(sb.pipe(una: una, sndMax: sndMax, highRxt: at(highRxt), smss: 1000, dupThresh: 3) == expected)
        }
        #expect(sb.pipe(una: sndMax, sndMax: sndMax, highRxt: una, smss: 1000, dupThresh: 3) == 0)
    }

    @Test func nextSegmentRuleOrder() {
        var sb = SACKScoreboard()
        let sndMax = at(10_000)
        _ = sb.update(una: una, sndMax: sndMax, blocks: blocks([(2000, 3000), (4000, 5000), (6000, 7000)]))
        func next(_ highRxt: Int, newData: Int) -> [Int]? {
            guard let n = sb.nextSegment(
                una: una, sndNxt: sndMax, sndMax: sndMax, highRxt: at(highRxt),
                newDataAvailable: newData, smss: 1000, dupThresh: 3) else { return nil }
            return [n.seq - una, n.length, n.retransmission ? 1 : 0]
        }
        // Rule 1 before new data: the lost hole from highRxt.
        #expect(next(0, newData: 5000) == [0, 1000, 1])
        #expect(next(1000, newData: 5000) == [1000, 1000, 1])
        #expect(next(1500, newData: 5000) == [1500, 500, 1])  // stops at the SACKed range
        // [3000,4000) is not lost: rule 2 (new data) first, rule 3 when there is none.
        #expect(next(2000, newData: 5000) == [10_000, 1000, 0])
        #expect(next(2000, newData: 300) == [10_000, 300, 0])
        #expect(next(2000, newData: 0) == [3000, 1000, 1])
        #expect(next(3000, newData: 0) == [3000, 1000, 1])
        #expect(next(5500, newData: 0) == [5500, 500, 1])
        // Nothing un-SACKed below the highest SACK: new data or nothing.
        #expect(next(7000, newData: 0) == nil)
        #expect(next(6500, newData: 2000) == [10_000, 1000, 0])
        // Without any SACK: only new data.
        sb.reset()
        #expect(next(0, newData: 0) == nil)
        #expect(next(0, newData: 1) == [10_000, 1, 0])
    }

    @Test func rescueRetransmissionEndsAtTheHighestUnsackedByte() {
        var sb = SACKScoreboard()
        let sndMax = at(10_000)
        func rescue() -> [Int]? {
            sb.rescueSegment(una: una, sndMax: sndMax, smss: 1000).map { [$0.seq - una, $0.length] }
        }
        #expect(rescue() == [9000, 1000])  // nothing SACKed: the last segment
        do { let r0 = sb.update(una: una, sndMax: sndMax, blocks: blocks([(2000, 3000), (9500, 10_000)])); #expect(r0 == 1500) }
        #expect(rescue() == [8500, 1000])  // below the top range
        do { let r0 = sb.update(una: una, sndMax: sndMax, blocks: blocks([(3400, 9500)])); #expect(r0 == 6100) }
        #expect(rescue() == [3000, 400])   // a hole shorter than SMSS
        do { let r0 = sb.update(una: una, sndMax: sndMax, blocks: blocks([(3000, 3400)])); #expect(r0 == 400) }
        #expect(rescue() == [1000, 1000])
        do { let r0 = sb.update(una: at(1500), sndMax: sndMax, blocks: SACKBlocks()); #expect(r0 == 0) }
        #expect(sb.rescueSegment(una: at(1500), sndMax: sndMax, smss: 1000).map { [$0.seq - una, $0.length] } == [1500, 500])
        do { let r0 = sb.update(una: at(1500), sndMax: sndMax, blocks: blocks([(1500, 2000)])); #expect(r0 == 500) }
        #expect(sb.rescueSegment(una: at(1500), sndMax: sndMax, smss: 1000) == nil)  // all SACKed
        #expect(sb.rescueSegment(una: sndMax, sndMax: sndMax, smss: 1000) == nil)
    }
}
