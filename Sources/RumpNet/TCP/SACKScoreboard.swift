/// The sender's SACK scoreboard and RFC 6675's loss recovery decisions (IsLost, NextSeg, pipe).
///
/// Holds the SACKed ranges above snd_una, sorted, disjoint and not touching, in an array
/// allocated once (`maxRanges` capacity) and mutated in place: no allocation per ACK. Past
/// `maxRanges` ranges the highest range is dropped: forgetting a SACK only makes the sender more
/// conservative (it counts the bytes in the pipe and may resend them), whereas merging two ranges
/// would claim the hole between them as received, which must never happen.
///
/// HighRxt convention: `highRxt` is exclusive, the first byte not yet retransmitted in this
/// recovery; start each recovery with highRxt = snd_una and move it to seq + length after each
/// retransmission NextSeg returns.
struct SACKScoreboard {
    let maxRanges: Int
    private var ranges: [SACKBlock]
    private(set) var sackedBytes = 0

    init(maxRanges: Int = 64) {
        precondition(maxRanges > 0, "SACKScoreboard needs room for one range")
        self.maxRanges = maxRanges
        ranges = []
        ranges.reserveCapacity(maxRanges + 1)
    }

    var isEmpty: Bool { ranges.isEmpty }

    /// The number of disjoint SACKed ranges held.
    var rangeCount: Int { ranges.count }

    /// The held ranges, lowest first (tests and netstat-like dumps; not for the packet path).
    var sackedRanges: [SACKBlock] { ranges }

    /// HighACK's SACK analogue: the right edge of the highest SACKed range.
    var highestSacked: TCPSeq? { ranges.last?.right }

    /// Forgets everything (after an RTO, RFC 6675 5.1; or when SACK is off).
    mutating func reset() {
        ranges.removeAll(keepingCapacity: true)
        sackedBytes = 0
    }

    /// An ACK arrived: drops what `una` covers, merges `blocks`. Blocks entirely at or below una
    /// (D-SACK, RFC 2883, or stale), inverted or empty ones, and ones reaching beyond `sndMax`
    /// (never sent) are ignored; a block straddling una counts from una. Returns bytes newly
    /// marked SACKed.
    mutating func update(una: TCPSeq, sndMax: TCPSeq, blocks: SACKBlocks) -> Int {
        trim(una: una)
        let limit = sndMax - una
        guard limit > 0 else {
            reset()
            return 0
        }
        var newlySacked = 0
        for block in blocks {
            let leftOffset = block.left - una
            let rightOffset = block.right - una
            guard rightOffset > 0, rightOffset <= limit, leftOffset < rightOffset else { continue }
            let left = leftOffset < 0 ? una : block.left
            newlySacked += merge(SACKBlock(left: left, right: block.right), una: una)
        }
        return newlySacked
    }

    /// Removes what is at or below `una` (cumulatively acknowledged now).
    private mutating func trim(una: TCPSeq) {
        var drop = 0
        while drop < ranges.count, ranges[drop].right - una <= 0 {
            sackedBytes -= ranges[drop].length
            drop += 1
        }
        if drop > 0 { ranges.removeSubrange(0..<drop) }
        if let first = ranges.first, first.left - una < 0 {
            sackedBytes -= una - first.left
            ranges[0].left = una
        }
    }

    /// Merges one valid block; returns the bytes it added (0 when it had to be dropped).
    private mutating func merge(_ block: SACKBlock, una: TCPSeq) -> Int {
        let left = block.left - una
        let right = block.right - una
        // First range that ends at or after the block's left edge (touching merges too).
        var first = 0
        while first < ranges.count, ranges[first].right - una < left { first += 1 }
        // One past the last range that starts at or before the block's right edge.
        var end = first
        while end < ranges.count, ranges[end].left - una <= right { end += 1 }
        if first == end {
            ranges.insert(block, at: first)
            sackedBytes += block.length
            if ranges.count > maxRanges {
                let dropped = ranges.removeLast()
                sackedBytes -= dropped.length
                if dropped == block { return 0 }
            }
            return block.length
        }
        var covered = 0
        for i in first..<end { covered += ranges[i].length }
        let mergedLeft = TCPSeq.min(ranges[first].left, block.left)
        let mergedRight = TCPSeq.max(ranges[end - 1].right, block.right)
        let merged = SACKBlock(left: mergedLeft, right: mergedRight)
        ranges[first] = merged
        if end - first > 1 { ranges.removeSubrange((first + 1)..<end) }
        let added = merged.length - covered
        sackedBytes += added
        return added
    }

    func isSacked(_ seq: TCPSeq) -> Bool {
        for r in ranges {
            if seq < r.left { return false }
            if seq < r.right { return true }
        }
        return false
    }

    /// RFC 6675 IsLost(seq): DupThresh discontiguous SACKed ranges above `seq`, or more than
    /// (DupThresh - 1) * SMSS bytes SACKed above it.
    func isLost(_ seq: TCPSeq, smss: Int, dupThresh: Int) -> Bool {
        var rangesAbove = 0
        var bytesAbove = 0
        for r in ranges.reversed() {
            let above = r.right - (seq + 1)
            if above <= 0 { break }
            if r.left - seq > 0 {
                rangesAbove += 1
                bytesAbove += r.length
            } else {
                bytesAbove += above
            }
            if rangesAbove >= dupThresh || bytesAbove > (dupThresh - 1) * smss { return true }
        }
        return false
    }

    /// Whether the un-SACKed bytes just below the range at `index` (the hole below it) are
    /// lost, `rangesAbove`/`bytesAbove` counting the SACKed data from `index` up. A hole has no
    /// SACKed byte inside, so IsLost is the same for every byte of it.
    private static func holeIsLost(rangesAbove: Int, bytesAbove: Int, smss: Int, dupThresh: Int) -> Bool {
        rangesAbove >= dupThresh || bytesAbove > (dupThresh - 1) * smss
    }

    /// RFC 6675 SetPipe over [una, sndMax): every un-SACKed byte counts once if not IsLost and
    /// once more if retransmitted (below `highRxt`).
    func pipe(una: TCPSeq, sndMax: TCPSeq, highRxt: TCPSeq, smss: Int, dupThresh: Int) -> Int {
        guard sndMax - una > 0 else { return 0 }
        var pipe = 0
        var rangesAbove = 0
        var bytesAbove = 0
        var holeEnd = sndMax
        // Walk the holes from the top: above the highest range nothing is SACKed (not lost).
        var i = ranges.count
        while true {
            let holeStart = i > 0 ? TCPSeq.max(ranges[i - 1].right, una) : una
            if holeEnd - holeStart > 0 {
                let lost = Self.holeIsLost(
                    rangesAbove: rangesAbove, bytesAbove: bytesAbove, smss: smss, dupThresh: dupThresh)
                if !lost { pipe += holeEnd - holeStart }
                let rxtEnd = TCPSeq.min(holeEnd, highRxt)
                if rxtEnd - holeStart > 0 { pipe += rxtEnd - holeStart }
            }
            if i == 0 { break }
            let r = ranges[i - 1]
            if r.right - una <= 0 { break }
            rangesAbove += 1
            bytesAbove += r.length
            holeEnd = r.left
            if holeEnd - una <= 0 { break }
            i -= 1
        }
        return pipe
    }

    /// RFC 6675 NextSeg(): the next range to send, at most `smss` bytes. Rule 1: the first
    /// un-SACKed byte at or above highRxt, below the highest SACKed byte, if IsLost; rule 2: new
    /// data at `sndNxt` when `newDataAvailable` > 0 (the caller counts what the peer's window
    /// allows); rule 3: rule 1's byte without IsLost. Rule 4 (the rescue retransmission) is
    /// `rescueSegment`, as it needs the caller's RescueRxt. A retransmission stops at the next
    /// SACKed range.
    ///
    /// IsLost only gets truer further down, so rule 1's smallest candidate is rule 3's too.
    func nextSegment(
        una: TCPSeq, sndNxt: TCPSeq, sndMax: TCPSeq, highRxt: TCPSeq,
        newDataAvailable: Int, smss: Int, dupThresh: Int
    ) -> (seq: TCPSeq, length: Int, retransmission: Bool)? {
        if let hole = firstHole(from: TCPSeq.max(highRxt, una)) {
            let length = min(smss, hole.end - hole.start)
            if isLost(hole.start, smss: smss, dupThresh: dupThresh) {
                return (hole.start, length, true)
            }
            if newDataAvailable > 0 {
                return (sndNxt, min(smss, newDataAvailable), false)
            }
            return (hole.start, length, true)
        }
        if newDataAvailable > 0 {
            return (sndNxt, min(smss, newDataAvailable), false)
        }
        return nil
    }

    /// RFC 6675 NextSeg() rule 4, the rescue retransmission: up to `smss` bytes ending at the
    /// highest outstanding un-SACKed byte, nil when everything outstanding is SACKed. Once per
    /// recovery: the caller asks only when rules 1-3 gave nothing and HighACK > RescueRxt (or
    /// RescueRxt is unset), then sets RescueRxt = RecoveryPoint and leaves HighRxt alone.
    func rescueSegment(una: TCPSeq, sndMax: TCPSeq, smss: Int) -> (seq: TCPSeq, length: Int)? {
        guard sndMax - una > 0, smss > 0 else { return nil }
        var end = sndMax
        var below = ranges.count - 1  // the range whose right edge starts the top hole
        if let last = ranges.last, last.right - sndMax >= 0 {
            end = last.left
            below -= 1
        }
        let holeStart = below >= 0 ? TCPSeq.max(ranges[below].right, una) : una
        guard end - holeStart > 0 else { return nil }
        let length = min(smss, end - holeStart)
        return (end - length, length)
    }

    /// The first un-SACKed range at or above `from` that lies below the highest SACKed byte.
    private func firstHole(from: TCPSeq) -> (start: TCPSeq, end: TCPSeq)? {
        var start = from
        for r in ranges {
            if r.right - start <= 0 { continue }  // entirely below
            if r.left - start > 0 { return (start, r.left) }
            start = r.right  // `start` is SACKed: skip past this range
        }
        return nil
    }
}
