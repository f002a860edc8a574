/// The receive side's out-of-order bookkeeping (smoltcp's Assembler in spirit): which byte ranges
/// beyond rcv_nxt are held in the receive buffer (the data itself lives in the caller's ring, at
/// offset `offset` from rcv_nxt). Bounded: at most `maxRanges` ranges, in arrays allocated once
/// and mutated in place.
///
/// Ranges are kept sorted, disjoint and not touching (touching ones merge). Each remembers when
/// data last landed in it, for RFC 2018 4's order of SACK blocks.
struct ReceiveAssembler {
    struct HeldRange: Equatable {
        /// [start, end) relative to rcv_nxt.
        var start: Int
        var end: Int
        /// The insertion count when a segment last landed in this range.
        var lastInsert: UInt64
        var length: Int { end - start }
    }

    let maxRanges: Int
    private var ranges: [HeldRange]
    private var insertions: UInt64 = 0
    private(set) var heldBytes = 0

    init(maxRanges: Int = 32) {
        precondition(maxRanges > 0, "ReceiveAssembler needs room for one range")
        self.maxRanges = maxRanges
        ranges = []
        ranges.reserveCapacity(maxRanges)
    }

    var isEmpty: Bool { ranges.isEmpty }

    /// The number of disjoint ranges held.
    var rangeCount: Int { ranges.count }

    /// The held ranges as (offset, length), lowest first (tests; not for the packet path).
    var heldRanges: [(offset: Int, length: Int)] { ranges.map { ($0.start, $0.length) } }

    /// Whether the byte at `offset` from rcv_nxt is held.
    func contains(offset: Int) -> Bool {
        for r in ranges {
            if offset < r.start { return false }
            if offset < r.end { return true }
        }
        return false
    }

    /// Records [offset, offset+length) relative to rcv_nxt (offset > 0 for out-of-order data;
    /// overlapping, duplicate and touching ranges merge; a part before rcv_nxt is cut off).
    /// false when it would need more than maxRanges ranges (the caller drops the segment;
    /// nothing changes).
    mutating func insert(offset: Int, length: Int) -> Bool {
        let start = max(offset, 0)
        let end = offset + length
        guard end > start else { return true }
        var first = 0
        while first < ranges.count, ranges[first].end < start { first += 1 }
        var last = first
        while last < ranges.count, ranges[last].start <= end { last += 1 }
        insertions += 1
        if first == last {
            guard ranges.count < maxRanges else {
                insertions -= 1
                return false
            }
            ranges.insert(HeldRange(start: start, end: end, lastInsert: insertions), at: first)
            heldBytes += end - start
            return true
        }
        var covered = 0
        for i in first..<last { covered += ranges[i].length }
        let merged = HeldRange(
            start: min(start, ranges[first].start), end: max(end, ranges[last - 1].end),
            lastInsert: insertions)
        ranges[first] = merged
        if last - first > 1 { ranges.removeSubrange((first + 1)..<last) }
        heldBytes += merged.length - covered
        return true
    }

    /// rcv_nxt moved forward by `n` bytes of in-order data; returns how many more bytes beyond
    /// became contiguous (to advance rcv_nxt by too), removing those ranges; offsets of the rest
    /// are rebased on the new rcv_nxt (moved by n + the result).
    mutating func advance(by n: Int) -> Int {
        var front = max(n, 0)
        var drop = 0
        while drop < ranges.count, ranges[drop].start <= front {
            front = max(front, ranges[drop].end)
            heldBytes -= ranges[drop].length
            drop += 1
        }
        if drop > 0 { ranges.removeSubrange(0..<drop) }
        for i in ranges.indices {
            ranges[i].start -= front
            ranges[i].end -= front
        }
        return front - max(n, 0)
    }

    /// RFC 2018 4: up to `max` SACK blocks relative to `rcvNxt`, the block holding the most
    /// recently inserted segment first, then the others most recent first.
    func sackBlocks(rcvNxt: TCPSeq, max: Int) -> SACKBlocks {
        var blocks = SACKBlocks()
        let wanted = Swift.min(max, SACKBlocks.capacity, ranges.count)
        var below = UInt64.max  // pick the most recent range older than the last one taken
        while blocks.count < wanted {
            var best = -1
            for i in ranges.indices where ranges[i].lastInsert < below {
                if best < 0 || ranges[i].lastInsert > ranges[best].lastInsert { best = i }
            }
            guard best >= 0 else { break }
            let r = ranges[best]
            blocks.append(SACKBlock(left: rcvNxt + r.start, right: rcvNxt + r.end))
            below = r.lastInsert
        }
        return blocks
    }

    mutating func removeAll() {
        ranges.removeAll(keepingCapacity: true)
        heldBytes = 0
    }
}
