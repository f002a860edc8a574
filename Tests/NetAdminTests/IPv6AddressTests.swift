import Testing
import NetAdmin

/// NetBSDModels' IPv6Address: inet_pton's accepted forms, inet_ntop's output (RFC 5952 with
/// NetBSD's embedded-IPv4 rule), zones, masks and the forms the stack derives.
@Suite struct IPv6AddressTests {
    @Test func formatsAsNetBSDsInetNtop() {
        let cases: [(String, String)] = [
            ("::", "::"), ("::1", "::1"), ("0:0:0:0:0:0:0:1", "::1"),
            ("FE80:0000:0000:0000:B0A0:11FF:FE7C:68F8", "fe80::b0a0:11ff:fe7c:68f8"),
            ("fd00:0:0:0:0:0:0:1", "fd00::1"), ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // one zero group is not compressed
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"), ("ff02::1:ff7c:68f8", "ff02::1:ff7c:68f8"),
            ("::ffff:10.0.0.1", "::ffff:10.0.0.1"), ("::10.0.0.1", "::10.0.0.1"),
            ("ff01:1::", "ff01:1::"), ("fe80:2::b0a0:7fff:fe87:c1ba", "fe80:2::b0a0:7fff:fe87:c1ba"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"), ("1::", "1::"), ("::2:0", "::0.2.0.0"),  // BIND's rule: six leading zero groups print a dotted quad
        ]
        for (input, output) in cases {
            let a = IPv6Address(input)
            #expect(a?.description == output, "\(input)")
            #expect(a.flatMap { IPv6Address($0.description) } == a, "round trip of \(input)")
        }
    }

    @Test func refusesMalformedText() {
        for bad in ["", ":", ":::", "1:::2", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
                    "g::1", "::1:", ":1::", "1:2:3:4:5:6:7::8", "::1.2.3", "::1.2.3.256", "1.2.3.4::",
                    "::ffff:1.2.3.4:5", "fd00::zz", " ::1", "::1 "] {
            #expect(IPv6Address(bad) == nil, "\(bad)")
        }
        #expect(IPv6Address("1:2:3:4:5:6::") != nil && IPv6Address("::2:3:4:5:6:7:8") != nil)
    }

    @Test func zones() throws {
        let scoped = try #require(IPv6Address.parse(scoped: "fe80::1%lo0"))
        #expect(scoped.address == IPv6Address(0xfe80, 0, 0, 0, 0, 0, 0, 1) && scoped.zone == "lo0")
        #expect(IPv6Address.parse(scoped: "fd00::2")?.zone == nil)
        #expect(IPv6Address.parse(scoped: "fe80::1%") == nil && IPv6Address.parse(scoped: "zz%lo0") == nil)
    }

    @Test func bytesAndWords() throws {
        let a = try #require(IPv6Address("2001:db8::8:800:200c:417a"))
        #expect(a.bytes == [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0x08, 0x08, 0, 0x20, 0x0c, 0x41, 0x7a])
        #expect(IPv6Address(bytes: a.bytes) == a && IPv6Address(bytes: [1, 2, 3]) == nil)
        #expect((0..<8).map { a.word($0) } == [0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a])
        var raw = [UInt8](repeating: 0, count: 16)
        raw.withUnsafeMutableBytes { a.store(to: $0.baseAddress!) }
        #expect(raw == a.bytes)
        #expect(raw.withUnsafeBytes { IPv6Address(loadingFrom: $0.baseAddress!) } == a)
        #expect(IPv6Address("::1")! < IPv6Address("fe80::")! && IPv6Address("fe80::1")! < IPv6Address("fe80::2")!)
    }

    @Test func masksAndPrefixes() {
        #expect(IPv6Address.mask(prefixLength: 64).description == "ffff:ffff:ffff:ffff::")
        #expect(IPv6Address.mask(prefixLength: 0) == .any && IPv6Address.mask(prefixLength: 128).prefixLength == 128)
        for n in [0, 1, 10, 32, 63, 64, 65, 100, 127, 128] { #expect(IPv6Address.mask(prefixLength: n).prefixLength == n) }
        #expect(IPv6Address("ffff:0:ffff::")!.prefixLength == nil)
        #expect(IPv6Address("fd00::1234")!.masked(prefixLength: 64).description == "fd00::")
        #expect(IPv6Address("fd01::5")!.hasPrefix(IPv6Address("fd01::")!, length: 64))
        #expect(!IPv6Address("fd02::5")!.hasPrefix(IPv6Address("fd01::")!, length: 64))
    }

    @Test func classification() {
        #expect(IPv6Address("fe80::1")!.isLinkLocal && IPv6Address("febf::1")!.isLinkLocal && !IPv6Address("fec0::1")!.isLinkLocal)
        #expect(IPv6Address("ff02::1")!.isMulticast && IPv6Address("ff02::1")!.multicastScope == 2)
        #expect(IPv6Address("ff01:1::")!.needsScope && !IPv6Address("ff05::2")!.needsScope && IPv6Address("fe80::1")!.needsScope)
        #expect(IPv6Address("fd00::1")!.isUniqueLocal && IPv6Address("fc00::")!.isUniqueLocal && !IPv6Address("fe00::")!.isUniqueLocal)
        #expect(IPv6Address.any.isUnspecified && IPv6Address.loopback.isLoopback && IPv6Address("::ffff:1.2.3.4")!.isV4Mapped)
        #expect(IPv6Address("::1.2.3.4")!.isV4Compatible && !IPv6Address.loopback.isV4Compatible)
    }

    /// What NetBSD's in6_ifattach made of shmif0's MAC in h-ipv6.txt, and the groups ND uses.
    @Test func derivedForms() {
        let mac: UInt64 = 0xb2a0_117c_68f8
        let ll = IPv6Address.linkLocal(interfaceID: IPv6Address.interfaceID(mac: mac))
        #expect(ll.description == "fe80::b0a0:11ff:fe7c:68f8")
        #expect(ll.solicitedNodeMulticast.description == "ff02::1:ff7c:68f8")
        #expect(ll.solicitedNodeMulticast.multicastMAC == 0x3333_ff7c_68f8)
        #expect(ll.embeddingScope(2).description == "fe80:2::b0a0:11ff:fe7c:68f8")
        #expect(ll.embeddingScope(2).embeddedScope == 2 && ll.embeddingScope(2).withoutEmbeddedScope == ll)
        #expect(IPv6Address("fd00::1")!.embeddingScope(2).description == "fd00::1")
        #expect(IPv6Address("ff02::")!.embeddingScope(1).description == "ff02:1::")
    }
}
