import Testing
import NetAdmin

@Suite struct RouteTests {
    /// Recording artefacts and timing, not NetBSD behaviour: the first `route show` of a fresh
    /// kernel printed an uninitialised MTU lock ("33624L"); `route get` of a connected route
    /// printed the seconds left of its ARP-driven expiry ("-6").
    static func normalized(_ o: ToolOutput) -> ToolOutput {
        var o = o
        o.stdout = o.stdout.replacing("33624L lo0", with: "33624  lo0")
            .replacing("       0        -6 \n", with: "       0         0 \n")
        return o
    }

    /// Every command of e-route.txt.
    @Test func replayTranscript() {
        let k1 = FakeKernel()
        k1.macs = ["shmif0": mac("b2:a0:2e:8f:e5:d4")]
        let kernels = ["k1": k1, "k2": FakeKernel()]
        var checked = 0
        for e in Vectors.load("e-route.txt") {
            guard let k = kernels[e.kernel ?? ""] else { Issue.record("no kernel for \(e.command)"); continue }
            expectSame(k.run(e), Self.normalized(e.output), "line \(e.line): \(e.command)")
            checked += 1
        }
        #expect(checked == 53)
    }

    @Test func parsesRequests() {
        let r = RouteCommand.parse(["add", "-net", "10.4.0.0", "-netmask", "255.255.0.0", "10.0.0.2"]).command
        #expect(r == .add(RouteOptions(), RouteRequest(destination: IPv4Address(10, 4, 0, 0), netmask: IPv4Address(0xffff_0000), isHost: false,
                                                        gateway: IPv4Address(10, 0, 0, 2), flags: RTF.UP | RTF.STATIC | RTF.GATEWAY,
                                                        destinationText: "10.4.0.0", gatewayText: "10.0.0.2")))
        // Without -net/-host an address with host bits is a host route.
        if case .add(_, let h)? = RouteCommand.parse(["add", "10.3.0.7", "10.0.0.2"]).command {
            #expect(h.isHost && h.netmask == nil && h.flags & RTF.HOST != 0)
        } else { Issue.record("not an add") }
        #expect(RouteCommand.parse(["add", "-net", "10.0.0.0/24", "localhost"]).command != nil)
        #expect(RouteCommand.parse(["-x"]).output == ToolOutput(stderr: "route: unknown option -- x\n" + RouteFormat.usage, status: 1))
        #expect(RouteCommand.parse(["add", "-bogus", "10.0.0.0/8", "10.0.0.1"]).output?.stderr.hasPrefix("route: botched keyword: bogus\n") == true)
    }

    @Test func formatsFlushLinesAndLocks() {
        let r = RouteInfo(destination: .inet(IPv4Address(192, 168, 1, 0)), netmask: .inet(IPv4Address(0xffff_ff00)),
                          gateway: .inet(IPv4Address(10, 0, 0, 2)), flags: RTF.UP | RTF.GATEWAY | RTF.STATIC, interface: "shmif0")
        #expect(RouteFormat.flushed(r) == "192.168.1/0          10.0.0.2             done\n")
        var m = RouteMetrics()
        m.mtu = 1400
        m.locks = 0x1
        let reply = RouteGetReply(routeTo: .inet(IPv4Address(10, 0, 0, 5)), destination: .inet(IPv4Address(10, 0, 0, 5)), netmask: nil,
                                  gateway: nil, localAddress: nil, interface: nil, flags: RTF.UP | RTF.HOST, metrics: m)
        #expect(RouteFormat.get(reply).stdout.hasSuffix("       0      1400L        0 \n"))
    }
}
