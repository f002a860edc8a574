import Testing
import NetAdmin

@Suite struct IfconfigTests {
    /// By-nature difference: NetBSD 7.99 marks new IPv4 addresses tentative during DAD; ours
    /// are usable at once, so the expected text loses the mark.
    static func withoutTentative(_ o: ToolOutput) -> ToolOutput {
        var o = o
        o.stdout = o.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix(" tentative") ? String($0.dropLast(" tentative".count)) : String($0) }
            .joined(separator: "\n")
        return o
    }

    /// Every command of c-ifconfig.txt through parser, kernel double and formatter.
    @Test func replayTranscript() {
        let k1 = FakeKernel()
        k1.macs = ["shmif0": mac("b2:a0:ae:53:15:fd"), "shmif1": mac("b2:a0:c6:e0:b2:88")]
        let kernels = ["k1": k1, "k2": FakeKernel(shmif: false), "k3": FakeKernel(inet: false)]
        let entries = Vectors.load("c-ifconfig.txt")
        #expect(entries.count == 69)
        for e in entries {
            guard e.utility == "ifconfig", let k = kernels[e.kernel ?? ""] else {
                Issue.record("unexpected entry \(e.command)")
                continue
            }
            expectSame(k.ifconfig(e.arguments), Self.withoutTentative(e.output), "line \(e.line): \(e.command)")
        }
    }

    @Test func parsesOperations() {
        #expect(IfconfigCommand.parse(["shmif0", "inet", "10.0.0.1/24", "up"]).command
                == .configure("shmif0", family: .inet, operations: [.up, .setAddress(IPv4Address(10, 0, 0, 1), netmask: IPv4Address(0xffff_ff00), broadcast: nil, alias: false)]))
        #expect(IfconfigCommand.parse(["shmif0", "inet", "10.0.0.10", "netmask", "255.255.255.0", "alias"]).command
                == .configure("shmif0", family: .inet, operations: [.setAddress(IPv4Address(10, 0, 0, 10), netmask: IPv4Address(0xffff_ff00), broadcast: nil, alias: true)]))
        #expect(IfconfigCommand.parse(["shmif0", "inet", "10.0.0.9", "delete"]).command
                == .configure("shmif0", family: .inet, operations: [.deleteAddress(IPv4Address(10, 0, 0, 9))]))
        #expect(IfconfigCommand.parse(["shmif0", "10.0.0.1", "netmask", "0xffffff00"]).command
                == .configure("shmif0", family: .inet, operations: [.setAddress(IPv4Address(10, 0, 0, 1), netmask: IPv4Address(0xffff_ff00), broadcast: nil, alias: false)]))
        #expect(IfconfigCommand.parse(["-lu"]).command == .listNames(upOnly: true, downOnly: false))
        #expect(IfconfigCommand.parse(["-a", "inet"]).command == .statusAll(IfconfigOptions.allInterfaces, family: .inet))
        #expect(IfconfigCommand.parse(["shmif0", "mtu"]).output?.status == 1)
        #expect(IfconfigCommand.parse(["-w"]).output?.stderr.hasPrefix("ifconfig: option requires an argument -- w\nusage: ") == true)
    }

    @Test func formatsFlagsAndAddresses() {
        let p2p = InterfaceInfo(name: "tun0", index: 5, flags: IFF.UP | IFF.POINTOPOINT | IFF.RUNNING, mtu: 1500, metric: 2,
                                addresses: [.inet(IPv4Address(10, 9, 0, 1), netmask: IPv4Address(0xffff_ffff), broadcast: IPv4Address(10, 9, 0, 2))])
        #expect(IfconfigFormat.status(p2p) == "tun0: flags=0x51<UP,POINTOPOINT,RUNNING> metric 2 mtu 1500\n\tinet 10.9.0.1 -> 10.9.0.2 netmask 0xffffffff\n")
        let none = InterfaceInfo(name: "x0", index: 6, flags: 0, mtu: 0)
        #expect(IfconfigFormat.status(none) == "x0: flags=0x0\n")
        var c = InterfaceCounters()
        c.ipackets = 1; c.ibytes = 1; c.ierrors = 2; c.opackets = 3; c.obytes = 4; c.collisions = 1
        #expect(IfconfigFormat.counters(c) == "\tinput: 1 packet, 1 byte, 2 errors\n\toutput: 3 packets, 4 bytes, 1 collision\n")
        let v6 = InterfaceInfo(name: "shmif0", index: 2, flags: IFF.UP, mtu: 1500, addresses: [
            InterfaceAddressInfo(address: .inet6(IPv6Address("fe80::b0a0:9fff:fe68:17e1")!, scopeID: 2),
                                 netmask: .inet6(IPv6Address.mask(prefixLength: 64))),
        ])
        #expect(IfconfigFormat.status(v6) == "shmif0: flags=0x1<UP> mtu 1500\n\tinet6 fe80::b0a0:9fff:fe68:17e1%shmif0 prefixlen 64 scopeid 0x2\n")
    }
}

extension IfconfigOptions {
    static var allInterfaces: IfconfigOptions {
        var o = IfconfigOptions()
        o.all = true
        return o
    }
}
