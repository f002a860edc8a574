import Testing
@testable import RumpNet

@Suite struct FragmentTests {
    let mac = MACAddress("b2:a0:00:00:00:01")!
    let peer = MACAddress("b2:a0:00:00:00:02")!

    func setup() throws -> (VirtualClock, NetStack, CaptureDriver) {
        let clock = VirtualClock()
        let s = NetStack(clock: clock, seed: 4)
        let cap = CaptureDriver()
        try s.attachInterface(name: "shmif0", driver: cap, mac: mac)
        try s.addAddress(name: "shmif0", IPv4Address("10.0.0.1")!, netmask: 0xFFFF_FF00)
        try s.arpSet(IPv4Address("10.0.0.2")!, mac: peer)
        cap.frames.removeAll()
        return (clock, s, cap)
    }

    /// Fragment [off, off+len) of a 3000-byte echo request from 10.0.0.2, as a frame.
    func fragment(_ off: Int, _ len: Int, more: Bool, id: UInt16 = 5) -> [UInt8] {
        let icmp = Ping.request(id: 9, seq: 1, size: 2992)
        let part = Array(icmp[off..<min(off + len, icmp.count)])
        var f = [UInt8](repeating: 0, count: 34)
        f.withUnsafeMutableBytes { p in
            EthernetEmitter.emit(p, dst: mac, src: peer, type: EtherType.ipv4)
            IPv4Emitter.emit(UnsafeMutableRawBufferPointer(rebasing: p[14...]), totalLength: 20 + part.count, id: id,
                             flagsFragment: (more ? IPv4Emitter.MF : 0) | UInt16(off / 8), ttl: 64, proto: 1,
                             src: IPv4Address("10.0.0.2")!, dst: IPv4Address("10.0.0.1")!)
        }
        return f + part
    }

    @Test func outOfOrderAndDuplicateFragmentsReassemble() throws {
        let (_, s, cap) = try setup()
        for f in [fragment(2960, 40, more: false), fragment(0, 1480, more: true), fragment(0, 1480, more: true),
                  fragment(1480, 1480, more: true)] {
            f.withUnsafeBytes { s.receive($0, on: 2) }
        }
        #expect(s.ipStats.reassembled == 1 && s.icmpStats.reflect == 1)
        #expect(cap.frames.count == 3)  // the 3008-byte reply in three fragments
        #expect(s.reass.entries.isEmpty && s.reass.bytes == 0)
    }

    @Test func overlappingFragmentDropsTheDatagram() throws {
        let (_, s, cap) = try setup()
        for f in [fragment(0, 1480, more: true), fragment(1000, 800, more: true), fragment(1480, 1480, more: true),
                  fragment(2960, 40, more: false)] {
            f.withUnsafeBytes { s.receive($0, on: 2) }
        }
        #expect(s.ipStats.fragoverlap == 1)
        #expect(s.ipStats.reassembled == 0 && cap.frames.isEmpty)
        // What came after the overlap started a new queue that never completes: it times out.
        #expect(s.reass.entries.count == 1)
    }

    @Test func reassemblyTimesOutWithTimeExceeded() throws {
        let (clock, s, cap) = try setup()
        fragment(0, 1480, more: true).withUnsafeBytes { s.receive($0, on: 2) }
        #expect(s.nextDeadline != nil)
        clock.advance(seconds: 29)
        s.poll()
        #expect(s.reass.entries.count == 1)
        clock.advance(seconds: 2)
        s.poll()
        #expect(s.reass.entries.isEmpty && s.ipStats.fragtimeout == 1)
        let f = try #require(cap.frames.last)
        #expect(f[14 + 20] == ICMPType.timeExceeded && f[14 + 21] == 1)  // "fragment reassembly time exceeded"
        // Without the first fragment nothing is sent.
        cap.frames.removeAll()
        fragment(1480, 1480, more: true, id: 6).withUnsafeBytes { s.receive($0, on: 2) }
        clock.advance(seconds: 31)
        s.poll()
        #expect(cap.frames.isEmpty)
    }

    @Test func fragmentsBeyond64KAreRefused() throws {
        let (_, s, _) = try setup()
        var f = fragment(0, 1480, more: true)
        // Offset 8184*8 = 65472: plus 1480 bytes passes 65535.
        f[20] = 0x3F; f[21] = 0xF8
        f.withUnsafeMutableBytes { IPv4Emitter.setChecksum(UnsafeMutableRawBufferPointer(rebasing: $0[14..<34]), headerLength: 20) }
        f.withUnsafeBytes { s.receive($0, on: 2) }
        #expect(s.ipStats.toolong == 1 && s.reass.entries.isEmpty)
    }
}
