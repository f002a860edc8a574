// MLDv1 (RFC 2710) as NetBSD's mld6.c sends it: a report when a group is joined and one more
// after a random delay (up to the unsolicited report interval, 10 s), reports to queries after a
// random delay up to the query's maximum, suppressed when another node reports first, a Done to
// ff02::2 on leave when we reported last. Never for ff02::1 or interface-local groups. Every
// message with hop limit 1 and a hop-by-hop Router Alert.

extension NetStack {
    static let mldUnsolicitedInterval: UInt64 = 10_000_000_000

    func mldReportable(_ g: IPv6Address) -> Bool {
        let p = g.withoutEmbeddedScope
        return p != .linkLocalAllNodes && (p.multicastScope ?? 0) > 1
    }

    /// mld_start_listening.
    func mldStartListening(_ ifp: NetInterface, _ g: IPv6Address) {
        guard mldReportable(g), ifp.linkType == .ethernet, ifp.isUsable, let x = ip6IfIfPresent(ifp.index) else { return }
        mldReport(ifp, g)
        let delay = random64() % NetStack.mldUnsolicitedInterval
        let old = x.groups[g]?.timer ?? .none
        let id = timers.set(old, .ip6(.mldReport(ifIndex: ifp.index, group: g)), at: clock.now &+ delay)
        x.groups[g]?.timer = id
    }

    func mldReport(_ ifp: NetInterface, _ g: IPv6Address) {
        guard mldReportable(g) else { return }
        mldSend(ifp, type: ICMPv6Type.mldReport, group: g.withoutEmbeddedScope, to: g.withoutEmbeddedScope)
        ip6IfIfPresent(ifp.index)?.groups[g]?.lastReporter = true
    }

    func mldDone(_ ifp: NetInterface, _ g: IPv6Address) {
        guard mldReportable(g) else { return }
        mldSend(ifp, type: ICMPv6Type.mldDone, group: g.withoutEmbeddedScope, to: .linkLocalAllRouters)
    }

    func mldTimer(ifIndex: Int, group g: IPv6Address) {
        guard let ifp = interface(index: ifIndex), let x = ip6IfIfPresent(ifIndex), x.groups[g] != nil else { return }
        x.groups[g]!.timer = .none
        mldReport(ifp, g)
    }

    /// The message: IPv6 header, hop-by-hop with Router Alert and PadN, 24 bytes of MLD; from the
    /// interface's link-local, or from :: while it has none usable (RFC 3590).
    func mldSend(_ ifp: NetInterface, type: UInt8, group: IPv6Address, to dst: IPv6Address) {
        guard ifp.isUsable, ifp.linkType == .ethernet else { return }
        let src = ip6IfIfPresent(ifp.index)?.addresses.first { $0.address.isLinkLocal && $0.isUsable }?.address.withoutEmbeddedScope ?? .any
        let h = NetStack.headroom
        let len = 40 + 8 + MLDMessage.length
        let p = UnsafeMutableRawBufferPointer(rebasing: holdBuf[h..<(h + len)])
        IPv6Emitter.emit(p, payloadLength: 8 + MLDMessage.length, nextHeader: IPv6NextHeader.hopByHop, hopLimit: 1,
                         src: src, dst: dst)
        p.setU8(40, IPv6NextHeader.icmpv6)
        p.setU8(41, 0)
        p.setU8(42, IPv6HeaderChain.routerAlertOption); p.setU8(43, 2); p.setBE16(44, 0)  // RA: MLD
        p.setU8(46, IPv6HeaderChain.padN); p.setU8(47, 0)
        MLDMessage(type: type, group: group).emit(UnsafeMutableRawBufferPointer(rebasing: p[48...]), src: src, dst: dst)
        icmp6Stats.outhist[Int(type)] &+= 1
        ip6Stats.localout &+= 1
        etherSend(ifp, holdBuf, length: len, dst: MACAddress(dst.multicastMAC), type: EtherType.ipv6)
    }

    /// mld_input: queries schedule reports, others' reports suppress ours.
    func mldInput(_ m: UnsafeRawBufferPointer, ifp: NetInterface, esrc: IPv6Address, edst: IPv6Address, hopLimit: UInt8) {
        guard let msg = MLDMessage(m), let x = ip6IfIfPresent(ifp.index) else { icmp6Stats.tooshort &+= 1; return }
        // RFC 2710 5: from a link-local source with hop limit 1; others are ignored.
        guard esrc.isLinkLocal || esrc.isUnspecified, hopLimit == 1 else { return }
        let g = msg.group.needsScope ? msg.group.embeddingScope(UInt16(ifp.index)) : msg.group
        switch msg.type {
        case ICMPv6Type.mldQuery:
            let maxDelay = UInt64(msg.maxDelay) * 1_000_000
            let t = clock.now
            for (k, e) in x.groups where mldReportable(k) && (msg.group.isUnspecified || k == g) {
                let at = t &+ (maxDelay == 0 ? 0 : random64() % maxDelay)
                if let d = timers.deadline(e.timer), d <= at { continue }
                x.groups[k]!.timer = timers.set(e.timer, .ip6(.mldReport(ifIndex: ifp.index, group: k)), at: at)
            }
        case ICMPv6Type.mldReport:
            if let e = x.groups[g] {
                timers.cancel(e.timer)
                x.groups[g]!.timer = .none
                x.groups[g]!.lastReporter = false
            }
        default:
            break
        }
    }
}
