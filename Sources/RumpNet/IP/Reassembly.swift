// ip_reass: fragments queued per (src, dst, id, proto), bounded in count (net.inet.ip.maxfragpackets)
// and in bytes, dropped after 30 s (IPFRAGTTL). Overlaps are not merged: a fragment that overlaps
// data already received, except an exact duplicate, discards the whole datagram (the safe rule of
// RFC 5722, which closes the overlapping-fragment attacks on IPv4 too).

struct ReassKey: Hashable {
    var src: UInt32, dst: UInt32, id: UInt16, proto: UInt8
}

final class ReassEntry {
    var data: [UInt8] = []         // payload bytes at their offsets
    var header: [UInt8] = []       // the first fragment's header
    var ranges: [(Int, Int)] = []  // received [start, end), sorted, disjoint
    var totalLength: Int?          // payload length, once the last fragment is seen
    let expires: UInt64
    let created: UInt64
    var broadcast = false
    /// Its timeout in the stack's timer queue.
    var timer = TimerID.none
    init(expires: UInt64, created: UInt64) { self.expires = expires; self.created = created }

    var isComplete: Bool {
        guard let t = totalLength, !header.isEmpty, ranges.count == 1 else { return false }
        return ranges[0] == (0, t)
    }
}

struct Reassembly {
    static let timeout: UInt64 = 30_000_000_000
    static let maxBytes = 4 * 1024 * 1024
    var entries: [ReassKey: ReassEntry] = [:]
    var bytes = 0

    mutating func drop(_ k: ReassKey) -> ReassEntry? {
        guard let e = entries.removeValue(forKey: k) else { return nil }
        bytes -= e.data.count
        return e
    }
}

extension NetStack {
    func reassemble(_ ip: IPv4View, ifp: NetInterface, linkBroadcast: Bool) {
        let off = ip.fragmentOffset
        let payload = ip.payload
        let n = payload.count
        let mf = ip.moreFragments
        // Every fragment but the last carries a multiple of 8 bytes; none may pass 65535.
        guard n > 0 || !mf, !mf || n % 8 == 0 else { ipStats.fragdropped &+= 1; return }
        guard off + n + ip.headerLength <= 65535 else { ipStats.toolong &+= 1; ipStats.fragdropped &+= 1; return }
        let key = ReassKey(src: ip.source.value, dst: ip.destination.value, id: ip.identification, proto: ip.proto)
        let t = clock.now
        let e: ReassEntry
        if let x = reass.entries[key] {
            e = x
        } else {
            guard reass.entries.count < sysctl.maxFragPackets else { ipStats.fragdropped &+= 1; return }
            e = ReassEntry(expires: t &+ Reassembly.timeout, created: t)
            e.timer = timers.schedule(.reassemblyTimeout(key), at: e.expires)
            reass.entries[key] = e
        }
        e.broadcast = e.broadcast || linkBroadcast
        let end = off + n
        // Overlap check against received ranges.
        for (s, x) in e.ranges where off < x && s < end {
            if s == off && x == end {
                // An exact duplicate: keep what we have, ignore this one.
                return
            }
            ipStats.fragoverlap &+= 1
            ipStats.fragdropped &+= 1 + UInt64(e.ranges.count)
            reassDrop(key)
            return
        }
        if let total = e.totalLength {
            if end > total || (!mf && end != total) {
                ipStats.fragdropped &+= 1 + UInt64(e.ranges.count)
                reassDrop(key)
                return
            }
        } else if !mf {
            if let last = e.ranges.last, last.1 > end {
                ipStats.fragdropped &+= 1 + UInt64(e.ranges.count)
                reassDrop(key)
                return
            }
            e.totalLength = end
        }
        // Memory bound: growing this entry must stay within the budget.
        if end > e.data.count {
            let grow = end - e.data.count
            if reass.bytes + grow > Reassembly.maxBytes {
                ipStats.fragdropped &+= 1 + UInt64(e.ranges.count)
                reassDrop(key)
                return
            }
            e.data.append(contentsOf: repeatElement(0, count: grow))
            reass.bytes += grow
        }
        if n > 0 {
            e.data.withUnsafeMutableBytes { d in
                UnsafeMutableRawBufferPointer(rebasing: d[off..<end]).copyMemory(from: payload)
            }
        }
        if off == 0 { e.header = Array(UnsafeRawBufferPointer(rebasing: ip.bytes[0..<ip.headerLength])) }
        // Insert the range and merge neighbours.
        var i = e.ranges.firstIndex { $0.0 > off } ?? e.ranges.count
        e.ranges.insert((off, end), at: i)
        if i > 0, e.ranges[i - 1].1 == off { e.ranges[i - 1].1 = end; e.ranges.remove(at: i); i -= 1 }
        if i + 1 < e.ranges.count, e.ranges[i].1 == e.ranges[i + 1].0 {
            e.ranges[i].1 = e.ranges[i + 1].1
            e.ranges.remove(at: i + 1)
        }
        guard e.isComplete, let total = e.totalLength else { return }
        // Whole: header + payload, fragment fields cleared, checksum redone.
        let hl = e.header.count
        var whole = [UInt8](repeating: 0, count: hl + total)
        reassDrop(key)
        ipStats.reassembled &+= 1
        whole.withUnsafeMutableBytes { w in
            e.header.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: w[0..<hl]).copyMemory(from: $0) }
            e.data.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: w[hl...]).copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<total])) }
            w.setBE16(2, UInt16(hl + total))
            w.setBE16(6, 0)
            IPv4Emitter.setChecksum(UnsafeMutableRawBufferPointer(rebasing: w[0..<hl]), headerLength: hl)
            if let v = try? IPv4View(UnsafeRawBufferPointer(w), verifyChecksum: false) {
                ipDeliver(v, ifp: ifp, broadcast: e.broadcast)
            }
        }
    }

    /// Drops a queue and its timer.
    func reassDrop(_ k: ReassKey) {
        if let e = reass.drop(k) { timers.cancel(e.timer) }
    }

    /// The queue's 30 s ran out: count its fragments as timed out and, when the first fragment
    /// arrived, answer time exceeded in reassembly (RFC 792).
    func reassTimeout(_ k: ReassKey) {
        guard let e = reass.drop(k) else { return }
        ipStats.fragtimeout &+= UInt64(e.ranges.count)
        guard !e.header.isEmpty, !e.broadcast, let ifp = interfaces.first(where: { $0.hasAddress(IPv4Address(k.dst)) }) else { return }
        var first = e.header
        first.append(contentsOf: e.data.prefix(8))
        first.withUnsafeMutableBytes { w in
            w.setBE16(2, UInt16(w.count))
            IPv4Emitter.setChecksum(UnsafeMutableRawBufferPointer(rebasing: w[0..<e.header.count]), headerLength: e.header.count)
            if let v = try? IPv4View(UnsafeRawBufferPointer(w), verifyChecksum: false) {
                icmpError(v, ifp: ifp, type: ICMPType.timeExceeded, code: 1, linkBroadcast: false)
            }
        }
    }
}
