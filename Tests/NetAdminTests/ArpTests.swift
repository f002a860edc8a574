import Testing
import NetAdmin

@Suite struct ArpTests {
    /// The arp commands of f-arp-netstat.txt (kernel k1), with the kernel double learning the
    /// peer's address when the transcript pings it.
    @Test func replayTranscript() {
        let k1 = FakeKernel()
        k1.macs = ["shmif0": mac("b2:a0:e1:d0:5c:37")]
        var checked = 0
        for e in Vectors.load("f-arp-netstat.txt") where e.kernel == "k1" {
            switch e.utility {
            case "ifconfig" where e.arguments.count > 1:
                _ = k1.ifconfig(e.arguments)
            case "ping":
                if !k1.arp.contains(where: { $0.address == IPv4Address(10, 0, 0, 2) }) {
                    k1.arp.insert(ArpInfo(address: IPv4Address(10, 0, 0, 2), linkAddress: mac("b2:a0:9f:68:17:e1"),
                                          interface: "shmif0", expire: 1200), at: 0)
                }
            case "arp":
                expectSame(k1.arpCommand(e.arguments), e.output, "line \(e.line): \(e.command)")
                checked += 1
            case "route":
                expectSame(k1.route(e.arguments), e.output, "line \(e.line): \(e.command)")
                checked += 1
            default:
                break
            }
        }
        #expect(checked == 23)
    }

    @Test func kernelR() {
        // g-routed-3kernels.txt, kernel kR: entries in the kernel's order, not sorted.
        let e = Vectors.load("g-routed-3kernels.txt").filter { $0.command == "arp -an" }
        let out = ArpFormat.all([
            ArpInfo(address: IPv4Address(10, 0, 2, 1), linkAddress: mac("b2:a0:f2:05:ee:a7"), interface: "shmif1", expire: 1200),
            ArpInfo(address: IPv4Address(10, 0, 1, 1), linkAddress: mac("b2:a0:71:8e:0a:6c"), interface: "shmif0", expire: 1200),
        ])
        expectSame(out, e[1].output, "kR arp -an")
        let kc = ArpFormat.all([ArpInfo(address: IPv4Address(10, 0, 2, 254), linkAddress: mac("b2:a0:59:e6:41:0e"), interface: "shmif0", expire: 3)])
        expectSame(kc, e[0].output, "kC arp -an")
    }

    @Test func parsesAndFormatsEdgeCases() {
        #expect(ArpFormat.entry(ArpInfo(address: IPv4Address(10, 0, 0, 3), linkAddress: nil, interface: "shmif0", expire: 5))
                == "? (10.0.0.3) at (incomplete) on shmif0\n")
        #expect(ArpCommand.parse(["-s", "10.0.0.1", "b2:a0:00:00:00:01", "temp", "pub"]).command
                == .set(ArpSetRequest(address: IPv4Address(10, 0, 0, 1), linkAddress: mac("b2:a0:00:00:00:01"), temporary: true, published: true, hostText: "10.0.0.1")))
        #expect(ArpCommand.parse(["-x"]).output == ToolOutput(stderr: "arp: unknown option -- x\n" + ArpFormat.usage, status: 1))
        #expect(ArpCommand.parse(["-an"]).command == .showAll(numeric: true, verbose: false))
        #expect(ArpCommand.parse(["localhost"]).command == .show(.loopback, hostText: "localhost", numeric: false))
    }
}
