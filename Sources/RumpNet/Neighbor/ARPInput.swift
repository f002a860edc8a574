// arpintr / in_arpinput, arpresolve, arprequest and the ARP timer.

extension NetStack {
    static let arpRetransmit: UInt64 = 1_000_000_000  // one request per second while incomplete

    // MARK: sending

    /// arprequest: who-has `tpa` tell `spa`, broadcast. A gratuitous ARP has spa == tpa.
    func arpRequest(_ ifp: NetInterface, spa: IPv4Address, tpa: IPv4Address) {
        arpSend(ifp, op: ARPView.request, dstMAC: .broadcast, sha: ifp.linkAddress, spa: spa, tha: .zero, tpa: tpa)
        arpStats.sentRequests &+= 1
    }

    func arpSend(_ ifp: NetInterface, op: UInt16, dstMAC: MACAddress, sha: MACAddress, spa: IPv4Address,
                 tha: MACAddress, tpa: IPv4Address) {
        guard ifp.isUsable, ifp.linkType == .ethernet else { return }
        let f = UnsafeMutableRawBufferPointer(rebasing: holdBuf[0..<42])
        EthernetEmitter.emit(f, dst: dstMAC, src: ifp.linkAddress, type: EtherType.arp)
        ARPEmitter.emit(UnsafeMutableRawBufferPointer(rebasing: f[14...]), op: op, sha: sha, spa: spa, tha: tha, tpa: tpa)
        arpStats.sent &+= 1
        transmitFrame(ifp, UnsafeRawBufferPointer(f), multicast: dstMAC.isMulticast)
    }

    /// Gratuitous ARP when an address is assigned or its interface comes up (NetBSD arp_ifinit).
    func announce(_ ifp: NetInterface, _ a: IPv4Address) {
        guard ifp.linkType == .ethernet, ifp.isUsable else { return }
        arpRequest(ifp, spa: a, tpa: a)
    }

    // MARK: resolution

    /// arpresolve: the MAC for `nexthop` on `ifp`, or nil when the datagram was held (or dropped)
    /// pending resolution. `packet` is the IP datagram to hold.
    @inline(__always)
    func arpResolve(_ ifp: NetInterface, nexthop: IPv4Address, packet: UnsafeRawBufferPointer) -> Result<MACAddress, Errno>? {
        let t = clock.now
        if ifp.arpHintAddress == nexthop.value, ifp.arpHintGeneration == arp.generation, t < ifp.arpHintExpires {
            return .success(ifp.arpHintMAC)
        }
        let key = ARPKey(ifIndex: Int32(ifp.index), address: nexthop.value)
        return arpResolveSlow(ifp, key: key, nexthop: nexthop, packet: packet, now: t)
    }

    func arpResolveSlow(_ ifp: NetInterface, key: ARPKey, nexthop: IPv4Address, packet: UnsafeRawBufferPointer,
                        now t: UInt64) -> Result<MACAddress, Errno>? {
        if var e = arp.entries[key] {
            switch e.state {
            case .resolved where e.permanent || t < e.expires:
                ifp.arpHintAddress = key.address
                ifp.arpHintMAC = e.mac
                ifp.arpHintExpires = e.permanent ? UInt64.max : e.expires
                ifp.arpHintGeneration = arp.generation
                return .success(e.mac)
            case .down:
                // Host marked down after unanswered requests: fail at once until arp.down passes.
                return .failure(.EHOSTDOWN)
            default:
                break
            }
            // Incomplete (or resolved but expired): hold and ask, at most once a second and
            // only when a datagram is sent, as NetBSD's arpresolve does (no timer asks for it).
            // The ask after arp.maxtries unanswered ones marks the host down for arp.down s.
            if e.state == .resolved { e.state = .incomplete; e.asked = 0 }
            if e.asked == 0 || t >= e.lastRequest &+ NetStack.arpRetransmit {
                if e.asked >= sysctl.arpMaxTries {
                    arpStats.timeouts &+= 1
                    arpStats.heldDropped &+= UInt64(e.hold.count) + 1
                    e.hold = []
                    e.state = .down
                    e.asked = 0
                    e.expires = t &+ sysctl.arpDown * 1_000_000_000
                    arpStore(key, e)
                    return .failure(.EHOSTDOWN)
                }
                hold(&e, packet)
                e.asked += 1
                e.lastRequest = t
                arpStore(key, e)
                arpRequest(ifp, spa: sourceFor(ifp, nexthop), tpa: nexthop)
            } else {
                hold(&e, packet)
                arp.entries[key] = e  // the deadline did not move
            }
            return nil
        }
        guard arp.entries.count < ARPCache.maxEntries else { arpStats.heldDropped &+= 1; return .failure(.ENOBUFS) }
        var e = ARPEntry(state: .incomplete)
        hold(&e, packet)
        e.asked = 1
        e.lastRequest = t
        arpStore(key, e)
        arpRequest(ifp, spa: sourceFor(ifp, nexthop), tpa: nexthop)
        return nil
    }

    private func hold(_ e: inout ARPEntry, _ packet: UnsafeRawBufferPointer) {
        let maxHold = sysctl.arpMaxHold
        guard maxHold > 0 else { arpStats.heldDropped &+= 1; return }
        if e.hold.count >= maxHold {
            e.hold.removeFirst()  // NetBSD drops the oldest
            arpStats.heldDropped &+= 1
        }
        e.hold.append(Array(packet))
    }

    /// Is `a` inside one of the interface's subnets? Only such senders are learned (NetBSD logs
    /// others as "not on local network").
    func onLink(_ ifp: NetInterface, _ a: IPv4Address) -> Bool {
        for x in ifp.addresses where x.address.value & x.netmask == a.value & x.netmask { return true }
        return false
    }

    /// The address to ask from: one in the target's subnet, else the interface's first.
    func sourceFor(_ ifp: NetInterface, _ target: IPv4Address) -> IPv4Address {
        for a in ifp.addresses where a.address.value & a.netmask == target.value & a.netmask { return a.address }
        return ifp.addresses.first?.address ?? .any
    }

    // MARK: input

    /// in_arpinput (RFC 826 merge): update a known sender, learn a sender that asks for us, answer
    /// requests for our addresses (and published entries), warn about duplicates.
    func arpInput(_ p: UnsafeRawBufferPointer, ifp: NetInterface) {
        arpStats.received &+= 1
        guard let a = ARPView(p) else { arpStats.badFrames &+= 1; return }
        let op = a.operation
        if op == ARPView.request { arpStats.receivedRequests &+= 1 } else if op == ARPView.reply { arpStats.receivedReplies &+= 1 }
        let sha = a.senderHardware, spa = a.senderProtocol, tpa = a.targetProtocol
        guard sha != ifp.linkAddress else { return }  // our own, looped back
        guard !sha.isMulticast else {
            log?("arp: link address is broadcast for IP address \(spa)!")
            arpStats.badFrames &+= 1
            return
        }
        var targetIsUs = ifp.hasAddress(tpa)
        var replyAs = tpa
        if ifp.hasAddress(spa) {
            arpStats.dupAddress &+= 1
            log?("duplicate IP address \(spa) sent from link address \(sha)")
            // Defend the address: answer as ourselves (NetBSD's "itaddr = myaddr").
            targetIsUs = true
            replyAs = spa
        } else if !spa.isAny, onLink(ifp, spa) {
            let key = ARPKey(ifIndex: Int32(ifp.index), address: spa.value)
            if var e = arp.entries[key] {
                if e.permanent {
                    if e.mac != sha { log?("arp: attempt to overwrite permanent entry for \(spa) by \(sha) on \(ifp.name)") }
                } else {
                    if e.state == .resolved, e.mac != sha, sysctl.arpLogMovements {
                        log?("arp info overwritten for \(spa) by \(sha)")
                    }
                    e.mac = sha
                    e.state = .resolved
                    e.expires = clock.now &+ sysctl.arpKeep * 1_000_000_000
                    e.asked = 0
                    let held = e.hold
                    e.hold = []
                    arpStore(key, e)
                    arp.invalidateHint()
                    for pkt in held { sendHeld(ifp, pkt, mac: sha) }
                }
            } else if targetIsUs, arp.entries.count < ARPCache.maxEntries {
                arpStore(key, ARPEntry(state: .resolved, mac: sha, expires: clock.now &+ sysctl.arpKeep * 1_000_000_000))
            }
        }
        guard op == ARPView.request else { return }
        if targetIsUs {
            arpSend(ifp, op: ARPView.reply, dstMAC: sha, sha: ifp.linkAddress, spa: replyAs, tha: sha, tpa: spa)
            arpStats.sentReplies &+= 1
        } else if let e = arp.entries[ARPKey(ifIndex: Int32(ifp.index), address: tpa.value)], e.published, e.state == .resolved {
            arpSend(ifp, op: ARPView.reply, dstMAC: sha, sha: e.mac, spa: tpa, tha: sha, tpa: spa)
            arpStats.sentReplies &+= 1
        } else {
            arpStats.notOurs &+= 1
        }
    }

    private func sendHeld(_ ifp: NetInterface, _ pkt: [UInt8], mac: MACAddress) {
        let h = NetStack.headroom
        pkt.withUnsafeBytes { src in
            UnsafeMutableRawBufferPointer(rebasing: holdBuf[h..<(h + src.count)]).copyMemory(from: src)
        }
        etherSend(ifp, holdBuf, length: pkt.count, dst: mac)
    }

    // MARK: timers

    /// When an entry stops being usable: resolved and down ones at `expires`, an incomplete one
    /// arp.down after the last request (nobody sent to it since); permanent ones never.
    func arpDeadline(_ e: ARPEntry) -> UInt64? {
        if e.permanent { return nil }
        return e.state == .incomplete ? e.lastRequest &+ sysctl.arpDown * 1_000_000_000 : e.expires
    }

    /// Writes an entry and keeps its timer at its deadline (the timer moves with the entry).
    func arpStore(_ key: ARPKey, _ entry: ARPEntry) {
        var e = entry
        if e.timer.isNone, let old = arp.entries[key] { e.timer = old.timer }
        e.timer = timers.set(e.timer, .arpExpiry(key), at: arpDeadline(e))
        arp.entries[key] = e
    }

    func arpRemove(_ key: ARPKey) {
        if let e = arp.entries.removeValue(forKey: key) { timers.cancel(e.timer) }
    }

    /// The entry's timer fired: forget it (with what it held) if it is past its deadline now.
    func arpExpire(_ key: ARPKey, now t: UInt64) {
        guard var e = arp.entries[key] else { return }
        e.timer = .none
        guard let d = arpDeadline(e) else { arp.entries[key] = e; return }
        if t < d { arpStore(key, e); return }
        if e.state == .incomplete { arpStats.heldDropped &+= UInt64(e.hold.count) }
        arp.entries[key] = nil
        arp.invalidateHint()
    }

    /// net.inet.arp.down changed: incomplete entries' deadlines move with it.
    func arpRescheduleIncomplete() {
        for (k, e) in arp.entries where e.state == .incomplete { arpStore(k, e) }
    }

    func arpFlush(ifIndex: Int) {
        for k in arp.entries.keys where k.ifIndex == Int32(ifIndex) { arpRemove(k) }
        arp.invalidateHint()
    }

    // MARK: arp(8)

    /// arp -a: every entry, sorted by interface and address.
    public var arpEntries: [ARPEntryInfo] {
        arp.entries.sorted { ($0.key.ifIndex, $0.key.address) < ($1.key.ifIndex, $1.key.address) }.map { k, e in
            ARPEntryInfo(address: IPv4Address(k.address), mac: e.state == .resolved ? e.mac : nil,
                         interfaceName: interface(index: Int(k.ifIndex))?.name ?? "?", state: e.state,
                         permanent: e.permanent, published: e.published, expires: e.permanent ? nil : e.expires)
        }
    }

    /// arp -s: a permanent (or `temporary`) entry, optionally published. ENETUNREACH when no
    /// interface has a subnet containing the address.
    public func arpSet(_ address: IPv4Address, mac: MACAddress, permanent: Bool = true, publish: Bool = false) throws(Errno) {
        guard let ifp = interfaces.first(where: { i in
            i.linkType == .ethernet && i.addresses.contains { $0.address.value & $0.netmask == address.value & $0.netmask }
        }) else { throw .ENETUNREACH }
        let key = ARPKey(ifIndex: Int32(ifp.index), address: address.value)
        let held = arp.entries[key]?.hold ?? []
        arpStore(key, ARPEntry(state: .resolved, mac: mac, permanent: permanent, published: publish,
                               expires: permanent ? UInt64.max : clock.now &+ sysctl.arpKeep * 1_000_000_000))
        arp.invalidateHint()
        for p in held { sendHeld(ifp, p, mac: mac) }
    }

    /// arp -d: ENOENT ("no entry") when absent.
    public func arpDelete(_ address: IPv4Address) throws(Errno) {
        let keys = arp.entries.keys.filter { $0.address == address.value }
        guard !keys.isEmpty else { throw .ENOENT }
        for k in keys { arpRemove(k) }
        arp.invalidateHint()
    }
}
