// The wire forms of NetBSDModels' Neighbor Discovery values (docs/PROTOCOL.md, "IPv6 Neighbor
// Discovery"): ndp's requests 0x43-0x48 answer with these. Addresses travel as 16 bytes
// without an embedded scope; the interface index is the zone.

extension WireWriter {
    mutating func ipv6(_ a: IPv6Address) { for b in a.bytes { u8(b) } }
    mutating func optionalI64(_ v: Int64?) {
        if let v { bool(true); i64(v) } else { bool(false) }
    }
    mutating func optionalU32(_ v: UInt32?) {
        if let v { bool(true); u32(v) } else { bool(false) }
    }
}

extension WireReader {
    mutating func ipv6() throws(ProtocolError) -> IPv6Address {
        var b: [UInt8] = []
        b.reserveCapacity(16)
        for _ in 0..<16 { b.append(try u8()) }
        return IPv6Address(bytes: b)!
    }
    mutating func optionalI64() throws(ProtocolError) -> Int64? { try bool() ? try i64() : nil }
    mutating func optionalU32() throws(ProtocolError) -> UInt32? { try bool() ? try u32() : nil }
}

extension NeighborInfo {
    /// 16 address + 4 index + name + link + state + flags + expire: at least 32 bytes.
    static let minimumSize = 32

    func encode(_ w: inout WireWriter) {
        w.ipv6(address); w.u32(interfaceIndex); w.string(interface)
        if let l = linkAddress { w.bool(true); w.data(l) } else { w.bool(false) }
        w.u8(UInt8(bitPattern: state.rawValue))
        w.u8((isRouter ? 1 : 0) | (proxy ? 2 : 0) | (isStatic ? 4 : 0))
        w.optionalI64(expire); w.u32(UInt32(clamping: probes))
    }

    static func decode(_ r: inout WireReader) throws(ProtocolError) -> NeighborInfo {
        let a = try r.ipv6(), index = try r.u32(), name = try r.string()
        let link: [UInt8]? = try r.bool() ? try r.data() : nil
        if let link, link.count > 64 { throw .invalidValue("link address of \(link.count) bytes") }
        let raw = Int8(bitPattern: try r.u8())
        guard let state = NeighborState(rawValue: raw) else { throw .invalidValue("neighbor state \(raw)") }
        let f = try r.u8()
        return NeighborInfo(address: a, interfaceIndex: index, interface: name, linkAddress: link, state: state,
                            expire: try r.optionalI64(), isRouter: f & 1 != 0, proxy: f & 2 != 0,
                            isStatic: f & 4 != 0, probes: Int(try r.u32()))
    }
}

extension PrefixInfo {
    static let minimumSize = 32

    func encode(_ w: inout WireWriter) {
        w.ipv6(prefix); w.u8(UInt8(clamping: prefixLength)); w.u32(interfaceIndex); w.string(interface)
        w.u8((raOnLink ? 1 : 0) | (raAutonomous ? 2 : 0) | (onLink ? 4 : 0) | (detached ? 8 : 0) | (home ? 16 : 0))
        w.optionalU32(validLifetime); w.optionalU32(preferredLifetime); w.optionalI64(expire)
        w.u32(UInt32(clamping: references))
        w.array(routers) { w, p in w.ipv6(p.address); w.u32(p.interfaceIndex); w.u8(p.reachability.rawValue) }
    }

    static func decode(_ r: inout WireReader) throws(ProtocolError) -> PrefixInfo {
        let p = try r.ipv6(), len = Int(try r.u8())
        guard len <= 128 else { throw .invalidValue("prefix length \(len)") }
        let index = try r.u32(), name = try r.string(), f = try r.u8()
        let vl = try r.optionalU32(), pl = try r.optionalU32(), ex = try r.optionalI64(), refs = Int(try r.u32())
        let routers = try r.array(minimumElementSize: 21) { (r: inout WireReader) throws(ProtocolError) -> PrefixRouter in
            let a = try r.ipv6(), i = try r.u32(), raw = try r.u8()
            guard let s = PrefixRouter.Reachability(rawValue: raw) else { throw .invalidValue("router state \(raw)") }
            return PrefixRouter(address: a, interfaceIndex: i, reachability: s)
        }
        return PrefixInfo(prefix: p, prefixLength: len, interfaceIndex: index, interface: name,
                          raOnLink: f & 1 != 0, raAutonomous: f & 2 != 0, onLink: f & 4 != 0, detached: f & 8 != 0,
                          home: f & 16 != 0, validLifetime: vl, preferredLifetime: pl, expire: ex,
                          references: refs, routers: routers)
    }
}

extension DefaultRouterInfo {
    static let minimumSize = 27

    func encode(_ w: inout WireWriter) {
        w.ipv6(address); w.u32(interfaceIndex); w.string(interface)
        w.u8((managed ? 1 : 0) | (other ? 2 : 0)); w.u8(preference & 3); w.optionalI64(expire)
    }

    static func decode(_ r: inout WireReader) throws(ProtocolError) -> DefaultRouterInfo {
        let a = try r.ipv6(), index = try r.u32(), name = try r.string(), f = try r.u8(), pref = try r.u8()
        guard pref <= 3 else { throw .invalidValue("router preference \(pref)") }
        return DefaultRouterInfo(address: a, interfaceIndex: index, interface: name, managed: f & 1 != 0,
                                 other: f & 2 != 0, preference: pref, expire: try r.optionalI64())
    }
}

extension NDInterfaceInfo {
    func encode(_ w: inout WireWriter) {
        w.u32(linkMTU); w.u32(maxMTU); w.u8(currentHopLimit); w.u32(baseReachableTime); w.u32(reachableTime)
        w.u32(retransmitTimer); w.u32(flags)
    }

    static func decode(_ r: inout WireReader) throws(ProtocolError) -> NDInterfaceInfo {
        NDInterfaceInfo(linkMTU: try r.u32(), maxMTU: try r.u32(), currentHopLimit: try r.u8(),
                        baseReachableTime: try r.u32(), reachableTime: try r.u32(), retransmitTimer: try r.u32(),
                        flags: try r.u32())
    }
}
