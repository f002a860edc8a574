import Testing
import NetAdmin

/// The configuration and listing commands of d-ping.txt and g-routed-3kernels.txt replayed
/// through the kernel double (pings, sysctl and ARP learning are covered by their own tests).
@Suite struct ReplayTests {
    static let macs: [String: [String: [String: [UInt8]]]] = [
        "d-ping.txt": ["k1": ["shmif0": mac("b2:a0:b0:28:0f:fb")]],
        "g-routed-3kernels.txt": ["kR": ["shmif0": mac("b2:a0:d3:82:2a:4d"), "shmif1": mac("b2:a0:59:e6:41:0e")]],
    ]

    @Test(arguments: ["d-ping.txt", "g-routed-3kernels.txt", "f-arp-netstat.txt"])
    func replay(file: String) {
        var kernels: [String: FakeKernel] = [:]
        var checked = 0
        for e in Vectors.load(file) {
            guard let name = e.kernel else { continue }
            let k = kernels[name] ?? {
                let k = FakeKernel(inet: !(file == "d-ping.txt" && name == "k3"))
                k.macs = Self.macs[file]?[name] ?? [:]
                kernels[name] = k
                return k
            }()
            // f's kernels have netinet6: their listings are built from models in NetstatInet6Tests.
            let listing = e.arguments.count <= 1 || e.command == "netstat -rn"
            if file == "f-arp-netstat.txt" && listing { continue }
            switch e.utility {
            case "ifconfig", "route":
                expectSame(k.run(e), IfconfigTests.withoutTentative(e.output), "\(file) line \(e.line): \(e.command)")
                checked += 1
            case "netstat" where e.arguments == ["-rn"]:
                expectSame(k.run(e), e.output, "\(file) line \(e.line): \(e.command)")
                checked += 1
            default:
                continue
            }
        }
        #expect(checked == ["d-ping.txt": 8, "g-routed-3kernels.txt": 19, "f-arp-netstat.txt": 7][file])
    }
}
