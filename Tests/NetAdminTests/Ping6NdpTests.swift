import Testing
import NetAdmin

/// ping6's lines and ndp's dispatch (Ndp.run over a kernel double) against h-ipv6.txt.
@Suite struct Ping6NdpTests {
    static func a6(_ s: String) -> IPv6Address { IPv6Address(s)! }

    static func stats(_ rtts: [Double], transmitted: Int, duplicates: [Double] = []) -> PingStatistics {
        var s = PingStatistics()
        for _ in 0..<transmitted { s.sent() }
        for (i, t) in rtts.enumerated() {
            s.record(PingReply(bytes: 16, from: .any, sequence: i, ttl: 64, rtt: t))
        }
        for t in duplicates { s.record(PingReply(bytes: 16, from: .any, sequence: 0, ttl: 64, rtt: t, duplicate: true)) }
        return s
    }

    /// A whole ping6 run's stdout from its parts, as the executable prints them.
    static func run(_ o: Ping6Options, source: String, destination: String, replies: [Ping6Reply], _ st: PingStatistics) -> ToolOutput {
        var s = Ping6Format.header(source: source, destination: destination, dataLength: o.dataLength)
        if !o.quiet { s += replies.map(Ping6Format.reply).joined() }
        s += Ping6Format.statistics(host: o.host, st, timing: o.dataLength >= 8)
        return ToolOutput(stdout: s, status: Ping6Format.exitStatus(st))
    }

    @Test func pingLines() throws {
        let e = Inet6Tests.entries.filter { $0.utility == "ping6" }
        #expect(e.count == 10)
        func opts(_ x: TranscriptEntry) throws -> Ping6Options { try #require(Ping6Options.parse(x.arguments).command) }
        func r(_ from: String, _ seq: Int, _ ms: Double, dup: Bool = false, bytes: Int = 16) -> Ping6Reply {
            Ping6Reply(bytes: bytes, from: from, sequence: seq, hopLimit: 64, rtt: ms, duplicate: dup)
        }
        let lo = try opts(e[0])
        expectSame(Self.run(lo, source: "::1", destination: "::1", replies: [r("::1", 0, 0), r("::1", 1, 0)], Self.stats([0, 0], transmitted: 2)),
                   e[0].output, e[0].command)
        let three = try opts(e[1])
        #expect(three.count == 3)
        expectSame(Self.run(three, source: "fd00::1", destination: "fd00::2", replies: (0..<3).map { r("fd00::2", $0, 0) },
                            Self.stats([0, 0, 0], transmitted: 3)), e[1].output, e[1].command)
        let n = try opts(e[2])
        #expect(n.numeric)
        expectSame(Self.run(n, source: "fd00::1", destination: "fd00::2", replies: [r("fd00::2", 0, 10), r("fd00::2", 1, 0)],
                            Self.stats([10, 0], transmitted: 2)), e[2].output, e[2].command)
        let q = try opts(e[3])
        #expect(q.quiet)
        expectSame(Self.run(q, source: "fd00::1", destination: "fd00::2", replies: [], Self.stats([0, 0, 0], transmitted: 3)),
                   e[3].output, e[3].command)
        let big = try opts(e[4])
        #expect(big.dataLength == 3000)
        expectSame(Self.run(big, source: "fd00::1", destination: "fd00::2",
                            replies: [r("fd00::2", 0, 10, bytes: 3008), r("fd00::2", 1, 0, bytes: 3008)],
                            Self.stats([10, 0], transmitted: 2)), e[4].output, e[4].command)
        let lost = try opts(e[5])
        expectSame(Self.run(lost, source: "fd00::1", destination: "fd00::99", replies: [], Self.stats([], transmitted: 2)),
                   e[5].output, e[5].command)
        let mc = try opts(e[6])
        let me = "fe80::b0a0:11ff:fe7c:68f8%shmif0", peer = "fe80::b0a0:7fff:fe87:c1ba%shmif0"
        #expect(Ping6Format.address(Self.a6("ff02::1"), zone: "shmif0") == "ff02::1%shmif0")
        #expect(Ping6Format.address(Self.a6("fd00::1"), zone: "shmif0") == "fd00::1")
        expectSame(Self.run(mc, source: me, destination: "ff02::1%shmif0", replies: [r(me, 0, 0), r(peer, 0, 0, dup: true), r(me, 1, 0)],
                            Self.stats([0, 0], transmitted: 2, duplicates: [0])), e[6].output, e[6].command)
        #expect(e[8].output == Ping6Format.connectFailed(.EHOSTUNREACH))
        #expect(e[9].output == Ping6Format.cannotResolve())
        #expect(HostResolver().resolve6("nosuchhost") == nil)
        #expect(HostResolver().resolve6("fe80::1%shmif0")! == (Self.a6("fe80::1"), "shmif0"))
    }

    @Test func pingOptions() {
        let o = Ping6Options.parse(["-c", "3", "-i", "0.5", "-s", "100", "-h", "7", "-I", "shmif0", "-S", "fd00::1", "-v", "-n", "-q", "fd00::2"]).command
        #expect(o?.count == 3 && o?.interval == 0.5 && o?.dataLength == 100 && o?.hopLimit == 7 && o?.interface == "shmif0")
        #expect(o?.source?.address == Self.a6("fd00::1") && o?.verbose == true && o?.numeric == true && o?.quiet == true && o?.host == "fd00::2")
        #expect(Ping6Options.parse(["-c", "0", "x"]).output == .errx("ping6", "illegal number of packets -- 0"))
        #expect(Ping6Options.parse(["-h", "256", "x"]).output == .errx("ping6", "illegal hoplimit -- 256"))
        #expect(Ping6Options.parse(["-h", "x1", "x"]).output == .errx("ping6", "illegal hoplimit x1"))
        #expect(Ping6Options.parse(["-s", "0", "x"]).output == .errx("ping6", "illegal datalen value -- 0"))
        #expect(Ping6Options.parse(["-s", "131025", "x"]).output == .errx("ping6", "datalen value too large, maximum is 131024"))
        #expect(Ping6Options.parse(["-i", "abc", "x"]).output == .errx("ping6", "illegal timing interval abc"))
        #expect(Ping6Options.parse(["-i", "0.5", "x"], privileged: false).output?.status == 1)
        #expect(Ping6Options.parse(["-f", "x"], privileged: false).output == .errx("ping6", "Must be superuser to flood ping"))
        #expect(Ping6Options.parse(["-f", "-i", "1", "x"]).output == .errx("ping6", "-f and -i incompatible options"))
        #expect(Ping6Options.parse(["-i", "0.001", "x"]).command?.warnings == "ping6: too small interval, raised to 0.01\n")
        #expect(Ping6Options.parse([]).output == ToolOutput(stderr: Ping6Options.usage, status: 1))
        #expect(Ping6Options.parse(["-Z", "x"]).output == ToolOutput(stderr: "ping6: unknown option -- Z\n" + Ping6Options.usage, status: 1))
        #expect(Ping6Options.parse(["-w", "x"]).output?.status == 1)
        // A short payload: no timestamp, no time.
        #expect(Ping6Format.reply(Ping6Reply(bytes: 12, from: "::1", sequence: 3, hopLimit: 64, rtt: nil)) == "12 bytes from ::1, icmp_seq=3 hlim=64\n")
        // More replies than requests.
        var s = PingStatistics()
        s.sent(); s.record(PingReply(bytes: 16, from: .any, sequence: 0, ttl: 64, rtt: 1)); s.record(PingReply(bytes: 16, from: .any, sequence: 1, ttl: 64, rtt: 1))
        #expect(Ping6Format.statistics(host: "h", s, timing: true).contains("-- somebody's duplicating packets!\n"))
        // Random argument lists: both parsers answer, neither traps.
        var state: UInt64 = 6
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33) % n
        }
        let pool = ["-c", "-i", "-s", "-h", "x", "0", "-1", "::1", "-Iq", "-S", "%", "-", "-a", "-d", "-i", "-I", "-p", "-n", "fe80::1%"]
        for _ in 0..<2000 {
            let words = (0..<next(6)).map { _ in pool[next(pool.count)] }
            _ = Ping6Options.parse(words)
            _ = NdpCommand.parse(words)
        }
    }

    // MARK: ndp

    final class NdpDouble: NdpKernel {
        var cache: [NeighborInfo]
        var prefixList: [PrefixInfo] = []
        var flags: UInt32 = ND6_IFF.PERFORMNUD | ND6_IFF.ACCEPT_RTADV | ND6_IFF.AUTO_LINKLOCAL
        var defaultIf: String?
        init(_ cache: [NeighborInfo]) { self.cache = cache }
        func neighbors() -> Result<[NeighborInfo], NetBSDErrno> { .success(cache) }
        func deleteNeighbor(_ address: IPv6Address, interfaceIndex: UInt32) -> NetBSDErrno? {
            guard let i = cache.firstIndex(where: { $0.address == address && $0.interfaceIndex == interfaceIndex }) else { return .ESRCH }
            cache.remove(at: i)
            return nil
        }
        func prefixes() -> Result<[PrefixInfo], NetBSDErrno> { .success(prefixList) }
        func defaultRouters() -> Result<[DefaultRouterInfo], NetBSDErrno> { .success([]) }
        func ndInterface(_ name: String, set: UInt32, clear: UInt32) -> Result<NDInterfaceInfo, NetBSDErrno> {
            guard name == "shmif0" else { return .failure(.ENXIO) }
            flags = (flags | set) & ~clear
            return .success(NDInterfaceInfo(maxMTU: 1500, reachableTime: 23, flags: flags))
        }
        func defaultInterface() -> Result<String?, NetBSDErrno> { .success(defaultIf) }
        func setDefaultInterface(_ name: String?) -> NetBSDErrno? { defaultIf = name; return nil }
        func interfaceIndex(_ name: String) -> UInt32 { ["lo0": 1, "shmif0": 2][name] ?? 0 }
    }

    static func neighbor(_ a: String, _ mac: [UInt8], _ state: NeighborState, _ expire: Int64?) -> NeighborInfo {
        NeighborInfo(address: a6(a), interfaceIndex: 2, interface: "shmif0", linkAddress: mac, state: state, expire: expire)
    }

    @Test func ndpReplay() {
        let me = Inet6Tests.k1mac, peer = Inet6Tests.k2mac
        let k = NdpDouble([
            Self.neighbor("fd00::1", me, .reachable, nil), Self.neighbor("fe80::b0a0:7fff:fe87:c1ba", peer, .delay, 4),
            Self.neighbor("fd00::2", peer, .reachable, 5), Self.neighbor("fe80::b0a0:11ff:fe7c:68f8", me, .reachable, nil),
        ])
        k.prefixList = [
            PrefixInfo(prefix: Self.a6("fd00::"), prefixLength: 64, interfaceIndex: 2, interface: "shmif0", references: 1),
            PrefixInfo(prefix: Self.a6("fe80::"), prefixLength: 64, interfaceIndex: 2, interface: "shmif0", raAutonomous: true),
            PrefixInfo(prefix: Self.a6("fe80::"), prefixLength: 64, interfaceIndex: 1, interface: "lo0", raAutonomous: true),
        ]
        var checked = 0
        var deleted = false
        for e in Inet6Tests.entries where e.utility == "ndp" {
            if e.command == "ndp -d fd00::2" { deleted = true }
            if deleted && e.command == "ndp -an" && k.cache.count == 3 {
                // After `ndp -d`, k1 had learned its new fd00::a (the transcript's order).
                k.cache.insert(Self.neighbor("fd00::a", me, .reachable, nil), at: 2)
            }
            expectSame(Ndp.run(e.arguments, kernel: k), e.output, "line \(e.line): \(e.command)")
            checked += 1
        }
        #expect(checked == 11)
        #expect(k.cache.isEmpty)
    }

    @Test func ndpOtherPaths() {
        let k = NdpDouble([Self.neighbor("fd00::2", Inet6Tests.k2mac, .stale, 90061)])
        #expect(Ndp.run(["-an"], kernel: k).stdout.hasSuffix("fd00::2                              b2:a0:7f:87:c1:ba shmif0 1d1h1m1s  S \n"))
        k.cache[0].isRouter = true
        k.cache[0].probes = 3
        k.cache[0].linkAddress = nil
        k.cache[0].expire = 0
        #expect(Ndp.run(["-a"], kernel: k).stdout.hasSuffix("fd00::2                              (incomplete)      shmif0 expired   S R 3\n"))
        // A long address widens its column and narrows the next, as ndp.c does.
        let long = NeighborInfo(address: Self.a6("fe80:1234:5678:9abc:def0:1234:5678:9abc"), interfaceIndex: 2, interface: "shmif0",
                                linkAddress: Inet6Tests.k1mac, state: .reachable)
        #expect(NdpFormat.row(long) == "fe80:1234:5678:9abc:def0:1234:5678:9abc%shmif0 b2:a0:11:7c:68:f8 shmif0 permanent R \n")
        #expect(Ndp.run(["-n", "fd00::9"], kernel: k) == ToolOutput(stdout: NdpFormat.header, stderr: "ndp: fd00::9 (fd00::9) -- no entry\n", status: 1))
        #expect(Ndp.run(["-d", "fd00::9"], kernel: k) == ToolOutput(stdout: "delete: cannot locate fd00::9\n"))
        #expect(Ndp.run(["-i", "shmif0", "--", "-nud", "prefer_source"], kernel: k).stdout
                == "linkmtu=0, maxmtu=1500, curhlim=64, basereachable=30s0ms, reachable=23s, retrans=1s0ms\nFlags: accept_rtadv auto_linklocal prefer_source \n")
        #expect(Ndp.run(["-i", "shmif9"], kernel: k) == .errx("ndp", "ioctl(SIOCGIFINFO_IN6): Device not configured"))
        #expect(Ndp.run(["-I", "shmif0"], kernel: k).stdout == "ND default interface = shmif0\n")
        #expect(Ndp.run(["-I", "delete"], kernel: k).stdout == "No default interface.\n")
        #expect(Ndp.run(["-I", "nope0"], kernel: k) == .errx("ndp", "invalid interface nope0"))
        #expect(Ndp.run(["-a", "-c"], kernel: k) == ToolOutput(stderr: NdpCommand.usage, status: 1))
        #expect(Ndp.run([], kernel: k) == ToolOutput(stderr: NdpCommand.usage, status: 1))
        #expect(Ndp.run(["-s", "fd00::3", "b2:a0:0:0:0:1"], kernel: k).status == 1)
        #expect(NdpFormat.routers([DefaultRouterInfo(address: Self.a6("fe80::2"), interfaceIndex: 2, interface: "shmif0",
                                                     managed: true, preference: 1, expire: 1799)]).stdout
                == "fe80::2%shmif0 if=shmif0, flags=M, pref=high, expire=29m59s\n")
        #expect(NdpFormat.prefixes([PrefixInfo(prefix: Self.a6("2001:db8::"), prefixLength: 64, interfaceIndex: 2, interface: "shmif0",
                                               raAutonomous: true, validLifetime: 2592000, preferredLifetime: 604800, expire: 2591999,
                                               routers: [PrefixRouter(address: Self.a6("fe80::2"), interfaceIndex: 2, reachability: .reachable)])]).stdout
                == "2001:db8::/64 if=shmif0\nflags=LAO vltime=2592000, pltime=604800, expire=29d23h59m59s, ref=0\n  advertised by\n    fe80::2%shmif0 (reachable)\n")
    }
}
