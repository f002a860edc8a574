// frag6_input: fragments queued per (source, destination, identification), bounded by
// net.inet6.ip6.maxfragpackets (queues), net.inet6.ip6.maxfrags (fragments) and 4 MiB, dropped
// after 60 s (IPV6_FRAGTTL) with time exceeded in reassembly when the first fragment came.
// Overlaps discard the whole datagram (RFC 5722); an atomic fragment is processed alone (RFC 6946).

extension NetStack {
    func reassemble6(_ d: UnsafeRawBufferPointer, fragment f: IPv6FragmentHeader, ifp: NetInterface,
                     esrc: IPv6Address, edst: IPv6Address, linkMulticast: Bool) {
        ip6Stats.fragments &+= 1
        let dataStart = f.headerOffset + 8
        guard dataStart <= d.count else { ip6Stats.tooshort &+= 1; return }
        let n = d.count - dataStart
        // Every fragment but the last carries a multiple of 8 bytes (pointer: payload length).
        if f.moreFragments && (n == 0 || n % 8 != 0) {
            icmp6Error(d, ifp: ifp, type: ICMPv6Type.parameterProblem, code: ICMPv6Code.erroneousHeader, param: 4,
                       linkMulticast: linkMulticast)
            ip6Stats.fragdropped &+= 1
            return
        }
        // The reassembled payload may not pass 65535 (pointer: the fragment offset field).
        if f.headerOffset - 40 + f.offset + n > 65535 {
            icmp6Error(d, ifp: ifp, type: ICMPv6Type.parameterProblem, code: ICMPv6Code.erroneousHeader,
                       param: UInt32(f.headerOffset + 2), linkMulticast: linkMulticast)
            ip6Stats.fragdropped &+= 1
            return
        }
        if f.offset == 0 && !f.moreFragments {
            // An atomic fragment: its own datagram, the fragment header skipped.
            ip6Stats.reassembled &+= 1
            ip6Deliver(d, first: f.nextHeader, offset: dataStart, nextHeaderField: f.headerOffset, ifp: ifp,
                       esrc: esrc, edst: edst, linkMulticast: linkMulticast, routerAlert: false)
            return
        }
        let key = Reass6Key(src: esrc, dst: edst, id: f.identification)
        let e: Reass6Entry
        if let x = ip6.reass[key] {
            e = x
        } else {
            guard ip6.reass.count < ip6.sysctl.maxFragPackets else { ip6Stats.fragoverflow &+= 1; ip6Stats.fragdropped &+= 1; return }
            e = Reass6Entry()
            e.ifIndex = ifp.index
            e.timer = timers.schedule(.ip6(.reassembly(key)), at: clock.now &+ IP6State.reassTimeout)
            ip6.reass[key] = e
        }
        // The queue's buffer grows to the fragment's end: that growth is what the 4 MiB bound counts.
        let growth = max(0, f.offset + n - e.data.count)
        guard ip6.reassFragments < ip6.sysctl.maxFrags, ip6.reassBytes + growth <= IP6State.reassMaxBytes else {
            ip6Stats.fragoverflow &+= 1
            ip6Stats.fragdropped &+= 1
            return
        }
        let start = f.offset, end = f.offset + n
        for (s, x) in e.ranges where start < x && s < end {
            if s == start && x == end { ip6Stats.fragdropped &+= 1; return }  // a duplicate
            ip6Stats.fragdropped &+= UInt64(e.fragments + 1)
            reass6Drop(key)
            return
        }
        if let total = e.totalLength, end > total || (!f.moreFragments && end != total) {
            ip6Stats.fragdropped &+= UInt64(e.fragments + 1)
            reass6Drop(key)
            return
        }
        if !f.moreFragments {
            // The last fragment: nothing may lie beyond it.
            if let maxEnd = e.ranges.map(\.1).max(), maxEnd > end {
                ip6Stats.fragdropped &+= UInt64(e.fragments + 1)
                reass6Drop(key)
                return
            }
            e.totalLength = end
        }
        if start == 0 {
            // The unfragmentable part, its last next header pointing past the fragment header.
            e.head = Array(UnsafeRawBufferPointer(rebasing: d[0..<f.headerOffset]))
            e.head[f.previousNextHeaderOffset] = f.nextHeader
            e.nextHeader = f.nextHeader
            e.firstFragment = Array(d.prefix(1280 - 48))
        }
        if e.data.count < end { e.data.append(contentsOf: repeatElement(0, count: end - e.data.count)) }
        e.data.withUnsafeMutableBytes { w in
            (w.baseAddress! + start).copyMemory(from: d.baseAddress! + dataStart, byteCount: n)
        }
        ip6.reassBytes += growth
        e.bytes += growth
        ip6.reassFragments += 1
        e.fragments += 1
        e.ranges.append((start, end))
        e.ranges.sort { $0.0 < $1.0 }
        var merged: [(Int, Int)] = []
        for r in e.ranges {
            if let l = merged.last, l.1 == r.0 { merged[merged.count - 1].1 = r.1 } else { merged.append(r) }
        }
        e.ranges = merged
        guard let total = e.totalLength, !e.head.isEmpty, e.ranges.count == 1, e.ranges[0] == (0, total) else { return }
        reass6Drop(key)
        var whole = e.head
        whole.append(contentsOf: e.data)
        guard whole.count - 40 <= 65535 else { ip6Stats.fragdropped &+= UInt64(e.fragments); return }
        whole.withUnsafeMutableBytes { w in w.setBE16(4, UInt16(w.count - 40)) }
        ip6Stats.reassembled &+= 1
        let headLength = e.head.count
        let nhField = headLength == 40 ? 6 : IPv6NextHeaderFieldOffset(of: e.head)
        whole.withUnsafeBytes { w in
            ip6Deliver(w, first: e.nextHeader, offset: headLength, nextHeaderField: nhField, ifp: ifp, esrc: esrc,
                       edst: edst, linkMulticast: linkMulticast, routerAlert: false)
        }
    }

    /// Where the last header of an unfragmentable part keeps its next header field.
    private func IPv6NextHeaderFieldOffset(of head: [UInt8]) -> Int {
        var nh = head[6], off = 40, field = 6
        while off + 8 <= head.count, nh == IPv6NextHeader.hopByHop || nh == IPv6NextHeader.destination
                || nh == IPv6NextHeader.routing {
            field = off
            nh = head[off]
            off += (Int(head[off + 1]) + 1) * 8
        }
        return field
    }

    func reass6Drop(_ k: Reass6Key) {
        guard let e = ip6.reass.removeValue(forKey: k) else { return }
        timers.cancel(e.timer)
        ip6.reassBytes -= e.bytes
        ip6.reassFragments -= e.fragments
    }

    /// The 60 s ran out: count its fragments as timed out; answer time exceeded in reassembly
    /// (RFC 8200 4.5) when the first fragment arrived.
    func reass6Timeout(_ k: Reass6Key) {
        guard let e = ip6.reass[k] else { return }
        e.timer = .none
        reass6Drop(k)
        ip6Stats.fragtimeout &+= UInt64(e.fragments)
        guard !e.firstFragment.isEmpty, let ifp = interface(index: e.ifIndex) else { return }
        e.firstFragment.withUnsafeBytes { w in
            icmp6Error(w, ifp: ifp, type: ICMPv6Type.timeExceeded, code: ICMPv6Code.reassemblyTimeExceeded, param: 0,
                       linkMulticast: false)
        }
    }
}
