// NetBSDModels' one address model: IPv4Address (inet_pton, inet_aton, masks), the prefixes of
// both families, IPAddress, MACAddress and SocketAddress with their text forms.
import Testing
import NetAdmin

@Suite struct AddressModelTests {
    @Test func ipv4TextAndMasks() {
        // inet_pton refuses leading zeros (inet_aton reads them as octal).
        #expect(IPv4Address("10.0.0.1") == IPv4Address(10, 0, 0, 1) && IPv4Address("010.0.0.1") == nil && IPv4Address("0.0.0.0") == .any)
        #expect(IPv4Address(inetAton: "010.0.0.1") == IPv4Address(8, 0, 0, 1))
        #expect(IPv4Address(bytes: [192, 168, 1, 2]) == IPv4Address(192, 168, 1, 2) && IPv4Address(bytes: [1, 2, 3]) == nil)
        #expect(IPv4Address.mask(prefixLength: 24) == 0xffff_ff00 && IPv4Address.mask(prefixLength: 0) == 0 && IPv4Address.mask(prefixLength: 40) == .max)
        #expect(IPv4Address.netmask(prefixLength: 33) == nil && IPv4Address.netmask(prefixLength: 8) == IPv4Address(255, 0, 0, 0))
        #expect(IPv4Address.prefixLength(mask: 0xffff_0000) == 16 && IPv4Address.prefixLength(mask: 0xff00_ff00) == nil)
        // The kernel's in_ifinit guess and route(8)'s differ for class D and E.
        #expect(IPv4Address(224, 0, 0, 1).classfulMask == 0xffff_ff00 && IPv4Address(224, 0, 0, 1).networkClassMask == .broadcast)
        #expect(IPv4Address(10, 1, 2, 3).classfulMask == 0xff00_0000 && IPv4Address(172, 16, 0, 1).networkClassMask == IPv4Address(255, 255, 0, 0))
    }

    @Test func prefixes() throws {
        let p = try IPv4Prefix.parse("10.0.0.1/24").get()
        #expect(p.network == IPv4Prefix(address: IPv4Address(10, 0, 0, 0), length: 24) && p.broadcast == IPv4Address(10, 0, 0, 255))
        #expect(p.hasHostBits && p.contains(IPv4Address(10, 0, 0, 200)) && !p.contains(IPv4Address(10, 0, 1, 1)) && p.description == "10.0.0.1/24")
        #expect(IPv4Prefix.parse("10.0.0.1") == .failure(.missingLength) && IPv4Prefix.parse("10.0.0.1/33") == .failure(.badLength("33")))
        #expect(IPv4Prefix.parse("10.0.0.1/024") == .failure(.badLength("024")) && IPv4Prefix.parse("10.0.0/8") == .failure(.badAddress("10.0.0")))
        #expect(try IPv4Prefix.parse("10.0.0.9", defaultLength: 32).get().length == 32)
        let q = try IPv6Prefix.parse("2001:db8::1/64").get()
        #expect(q.network.description == "2001:db8::/64" && q.hasHostBits && q.contains(IPv6Address("2001:db8::ffff")!))
        #expect(!q.contains(IPv6Address("2001:db9::1")!) && q.mask == IPv6Address("ffff:ffff:ffff:ffff::")!)
        #expect(IPv6Prefix.parse("fe80::/129") == .failure(.badLength("129")) && IPv6Prefix.parse("fe80::1%lo0/64") == .failure(.badAddress("fe80::1%lo0")))
    }

    @Test func eitherFamily() {
        #expect(IPAddress("10.0.0.1") == .v4(IPv4Address(10, 0, 0, 1)) && IPAddress("::1") == .v6(.loopback) && IPAddress("x") == nil)
        #expect(IPAddress("fe80::1")?.family == .inet6 && IPAddress("1.2.3.4")?.ipv4 == IPv4Address(1, 2, 3, 4))
        #expect(IPAddress("255.255.255.255")! < IPAddress("::")!)
    }

    @Test func macText() {
        #expect(MACAddress("b2:a0:0:0:0:50") == MACAddress(0xb2a0_0000_0050) && MACAddress("b2:a0::0:0:50") == nil && MACAddress("b2:a0:0:0:0:500") == nil)
        #expect(MACAddress(0xb2a0_0000_0050).description == "b2:a0:00:00:00:50" && MACAddress.format([0x0a, 0xff]) == "0a:ff" && MACAddress.format([]) == "")
        #expect(MACAddress(bytes: [1, 2, 3, 4, 5, 6])?.bytes == [1, 2, 3, 4, 5, 6] && MACAddress(bytes: [1]) == nil)
    }

    @Test func socketAddressText() {
        let names: (UInt32) -> String? = { $0 == 2 ? "shmif0" : nil }
        #expect(SocketAddress.inet(IPv4Address(10, 0, 0, 1), port: 22).netstatEndpoint() == "10.0.0.1.22")
        #expect(SocketAddress.inet(.any).netstatEndpoint() == "*.*" && SocketAddress.inet6(.any, port: 53).netstatEndpoint() == "*.53")
        #expect(SocketAddress.inet6(IPv6Address("fe80::1")!, port: 22, scopeID: 2).netstatEndpoint(zone: names) == "fe80::1%shmif0.22")
        #expect(SocketAddress.inet6(IPv6Address("fe80::1")!, scopeID: 5).numericHost(zone: names) == "fe80::1%5")
        #expect(SocketAddress.link(index: 3).description == "link#3" && SocketAddress.link(index: 1, name: "lo0").description == "lo0")
        #expect(SocketAddress.link(index: 2, name: "shmif0", type: 6, address: [0xb2, 0xa0, 0, 0, 0, 1]).description == "b2:a0:00:00:00:01")
        #expect(SocketAddress(numericHost: "fe80::1%shmif0", zoneIndex: { $0 == "shmif0" ? 2 : nil }) == .inet6(IPv6Address("fe80::1")!, scopeID: 2))
        #expect(SocketAddress(numericHost: "fe80::1%7") == .inet6(IPv6Address("fe80::1")!, scopeID: 7) && SocketAddress(numericHost: "fe80::1%eth9") == nil)
        #expect(SocketAddress(numericHost: "10.0.0.1", port: 80) == .inet(IPv4Address(10, 0, 0, 1), port: 80))
        #expect(SocketAddress(numericHost: "link#4") == .link(index: 4) && SocketAddress(numericHost: "link#") == nil && SocketAddress(numericHost: "host") == nil)
        #expect(SocketAddress.inet(.loopback, port: 1).withPort(2).port == 2 && SocketAddress.link(index: 1).port == 0)
        #expect(SocketAddress.inet(IPv4Address(0xffff_ff00)).netmaskLength == 24 && SocketAddress.inet6(IPv6Address.mask(prefixLength: 64)).netmaskLength == 64)
        #expect(SocketAddress(.v6(.loopback), port: 9).ipv6 == .loopback && SocketAddress.unspec.family == .unspec && SocketAddress.unspec.ipAddress == nil)
    }
}
