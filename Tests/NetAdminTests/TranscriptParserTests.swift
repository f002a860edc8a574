import Testing
import NetAdmin

@Suite struct TranscriptParserTests {
    @Test func parsesBlocks() {
        let text = """
            # header
            # [host] export RUMP_SERVER=unix:///tmp/lab/k1.sock    (kernel "k1")

            $ ifconfig shmif0 create
            [no output]
            [exit status 0]

            $ route add -net 10.2.0.0/24 192.168.99.1
            add net 10.2.0.0: gateway 192.168.99.1: Network is unreachable
            [stderr]
            route: writing to routing socket: Network is unreachable
            [exit status 1]
            # comment after

            $ ping 10.0.0.2      (SIGINT sent after 3.5 s, like ^C)
            PING 10.0.0.2 (10.0.0.2): 56 data bytes

            [exit status 130]
            """
        let e = Transcript.parse(text)
        #expect(e.count == 3)
        #expect(e[0].command == "ifconfig shmif0 create" && e[0].stdout.isEmpty && e[0].status == 0 && e[0].kernel == "k1")
        #expect(e[1].stdout == "add net 10.2.0.0: gateway 192.168.99.1: Network is unreachable\n")
        #expect(e[1].stderr == "route: writing to routing socket: Network is unreachable\n")
        #expect(e[1].status == 1)
        #expect(e[2].command == "ping 10.0.0.2" && e[2].annotation == "(SIGINT sent after 3.5 s, like ^C)")
        #expect(e[2].stdout == "PING 10.0.0.2 (10.0.0.2): 56 data bytes\n\n")
        #expect(e[2].arguments == ["10.0.0.2"] && e[2].utility == "ping")
    }

    @Test func readsEveryRecordedFile() {
        for f in ["c-ifconfig.txt", "d-ping.txt", "e-route.txt", "f-arp-netstat.txt", "g-routed-3kernels.txt"] {
            let e = Vectors.load(f)
            #expect(e.count > 10, "\(f)")
            #expect(e.allSatisfy { $0.status != nil }, "\(f)")
        }
    }
}
