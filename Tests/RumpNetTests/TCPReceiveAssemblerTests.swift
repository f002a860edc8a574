import Testing
@testable import RumpNet

@Suite struct ReceiveAssemblerTests {
    func held(_ a: ReceiveAssembler) -> [[Int]] { a.heldRanges.map { [$0.offset, $0.length] } }

    @Test func inOrderDataWithNothingHeld() {
        var a = ReceiveAssembler()
        #expect(a.isEmpty && a.heldBytes == 0)
        do { let r0 = a.advance(by: 1000); #expect(r0 == 0) }
        #expect(a.isEmpty)
    }

    @Test func outOfOrderDataBecomesContiguousWhenTheHoleFills() {
        var a = ReceiveAssembler()
        do { let r0 = a.insert(offset: 1000, length: 500); #expect(r0) }
        do { let r0 = a.insert(offset: 2000, length: 500); #expect(r0) }
        #expect(held(a) == [[1000, 500], [2000, 500]] && a.heldBytes == 1000)
        #expect(a.contains(offset: 1000) && !a.contains(offset: 1500) && a.contains(offset: 2499))
        // The hole [0, 1000) arrives: [1000, 1500) joins; [2000, 2500) is rebased to 500.
        do { let r0 = a.advance(by: 1000); #expect(r0 == 500) }
        #expect(held(a) == [[500, 500]] && a.heldBytes == 500)
        do { let r0 = a.advance(by: 500); #expect(r0 == 500) }
        #expect(a.isEmpty && a.heldBytes == 0)
        // In-order data that covers held data (a retransmission larger than the hole).
        do { let r0 = a.insert(offset: 100, length: 100); #expect(r0) }
        do { let r0 = a.insert(offset: 250, length: 150); #expect(r0) }
        do { let r0 = a.advance(by: 300); #expect(r0 == 100) }  // [100,200) was covered, [250,400) reaches past 300
        #expect(a.isEmpty)
        // Data at offset 0 (the caller inserted in-order data) comes back at once.
        do { let r0 = a.insert(offset: 0, length: 10); #expect(r0) }
        do { let r0 = a.advance(by: 0); #expect(r0 == 10) }
    }

    @Test func overlapsMerge() {
        var a = ReceiveAssembler()
        do { let r0 = a.insert(offset: 100, length: 100); #expect(r0) }
        do { let r0 = a.insert(offset: 150, length: 100); #expect(r0) }
        #expect(held(a) == [[100, 150]])
        do { let r0 = a.insert(offset: 250, length: 50); #expect(r0) }  // touching
        #expect(held(a) == [[100, 200]])
        do { let r0 = a.insert(offset: 120, length: 10); #expect(r0) }  // duplicate inside
        #expect(held(a) == [[100, 200]] && a.heldBytes == 200)
        do { let r0 = a.insert(offset: 500, length: 100); #expect(r0) }
        do { let r0 = a.insert(offset: 50, length: 600); #expect(r0) }  // covers everything
        #expect(held(a) == [[50, 600]] && a.heldBytes == 600)
        do { let r0 = a.insert(offset: -100, length: 160); #expect(r0) }  // the part before rcv_nxt is cut
        #expect(held(a) == [[0, 650]])
        do { let r0 = a.insert(offset: 700, length: 0); let r1 = a.insert(offset: 700, length: -5); #expect(r0 && r1) }
        #expect(held(a) == [[0, 650]])
        a.removeAll()
        #expect(a.isEmpty && a.heldBytes == 0)
    }

    @Test func boundReachedRefusesWithoutChange() {
        var a = ReceiveAssembler(maxRanges: 3)
        do { let r0 = a.insert(offset: 100, length: 10); #expect(r0) }
        do { let r0 = a.insert(offset: 300, length: 10); #expect(r0) }
        do { let r0 = a.insert(offset: 500, length: 10); #expect(r0) }
        let before = held(a)
        let blocksBefore = a.sackBlocks(rcvNxt: TCPSeq(0), max: 4)
        do { let r0 = a.insert(offset: 700, length: 10); #expect(!r0) }
        do { let r0 = a.insert(offset: 200, length: 10); #expect(!r0) }
        #expect(held(a) == before && a.heldBytes == 30)
        #expect(a.sackBlocks(rcvNxt: TCPSeq(0), max: 4) == blocksBefore)
        do { let r0 = a.insert(offset: 305, length: 20); #expect(r0) }  // overlapping needs no new range
        do { let r0 = a.insert(offset: 110, length: 190); #expect(r0) }  // bridges two: frees one
        #expect(held(a) == [[100, 225], [500, 10]])
        do { let r0 = a.insert(offset: 700, length: 10); #expect(r0) }
    }

    @Test func sackBlocksMostRecentFirst() {
        var a = ReceiveAssembler()
        let rcvNxt = TCPSeq(UInt32.max - 1500)  // blocks wrap past 2^32
        do { let r0 = a.insert(offset: 1000, length: 100); #expect(r0) }  // A
        do { let r0 = a.insert(offset: 3000, length: 100); #expect(r0) }  // B
        do { let r0 = a.insert(offset: 5000, length: 100); #expect(r0) }  // C
        func lefts(_ max: Int) -> [Int] { a.sackBlocks(rcvNxt: rcvNxt, max: max).map { $0.left - rcvNxt } }
        #expect(lefts(4) == [5000, 3000, 1000])
        #expect(a.sackBlocks(rcvNxt: rcvNxt, max: 1).first == SACKBlock(left: rcvNxt + 5000, right: rcvNxt + 5100))
        #expect(a.sackBlocks(rcvNxt: rcvNxt, max: 1).first?.right.raw == UInt32(5100 - 1501))
        do { let r0 = a.insert(offset: 1050, length: 100); #expect(r0) }  // into A again: A first
        #expect(lefts(4) == [1000, 5000, 3000])
        #expect(lefts(2) == [1000, 5000])
        #expect(lefts(0).isEmpty)
        do { let r0 = a.insert(offset: 7000, length: 10); #expect(r0) }
        do { let r0 = a.insert(offset: 9000, length: 10); #expect(r0) }
        #expect(lefts(9) == [9000, 7000, 1000, 5000])  // at most four
        do { let r0 = a.insert(offset: 3100, length: 1900); #expect(r0) }  // joins B and C: the merged range first
        #expect(lefts(4) == [3000, 9000, 7000, 1000])
        // After rcv_nxt moves the blocks follow it.
        do { let r0 = a.advance(by: 1000); #expect(r0 == 150) }
        let moved = rcvNxt + 1150
        #expect(a.sackBlocks(rcvNxt: moved, max: 4).map { $0.left - rcvNxt } == [3000, 9000, 7000])
    }

    /// Random segments against a byte map of what is held.
    @Test func randomSegmentsAgainstAByteMap() {
        var rng = SeededRandom(seed: 793)
        for _ in 0..<15 {
            var a = ReceiveAssembler(maxRanges: 8)
            var map = [Bool](repeating: false, count: 1 << 16)
            var nxt = 0  // bytes delivered in order so far (index into map)
            for _ in 0..<200 {
                let offset = Int(rng.next() % 6000)
                let length = Int(rng.next() % 700)
                if offset == 0 || rng.next() % 8 == 0 {
                    // In order: deliver `length` bytes and whatever then joins.
                    let n = max(length, 1)
                    for i in nxt..<(nxt + n) { map[i] = false }
                    var extra = 0
                    while map[nxt + n + extra] { map[nxt + n + extra] = false; extra += 1 }
                    do { let r0 = a.advance(by: n); #expect(r0 == extra) }
                    nxt += n + extra
                } else {
                    var probe = a
                    let accepted = probe.insert(offset: offset, length: length)
                    let newRanges = probe.rangeCount
                    do { let r0 = a.insert(offset: offset, length: length); #expect(accepted == r0) }
                    #expect(newRanges <= 8)
                    if accepted { for i in (nxt + offset)..<(nxt + offset + length) { map[i] = true } }
                }
                let expected = map[nxt..<(nxt + 7000)].filter { $0 }.count
                #expect(a.heldBytes == expected)
                var wrong = 0
                for probe in stride(from: 0, to: 7000, by: 37) where a.contains(offset: probe) != map[nxt + probe] {
                    wrong += 1
                }
                #expect(wrong == 0)
            }
        }
    }
}
