import Foundation
import TestSupport
import Testing
import Pcap

@Suite struct PcapTests {
    static let vectors = vectorsDirectory.appendingPathComponent("netbsd")

    @Test func readsNetBSDsPcap() throws {
        let (link, snap, records) = try PcapReader.readAll(path: Self.vectors.appendingPathComponent("ping.pcap").path)
        #expect(link == 1 && snap == 1518 && records.count == 16)
        #expect(records[0].seconds == 1 && records[0].microseconds == 20008 && records[0].bytes.count == 42)
    }

    @Test func writtenFileRoundTripsAndMatchesLibpcapsHeader() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }  // also keeps it alive to the end of the test
        let path = dir.file("test.pcap")
        let (_, _, records) = try PcapReader.readAll(path: Self.vectors.appendingPathComponent("ping.pcap").path)
        do {
            let w = try PcapWriter(path: path)
            for r in records { r.bytes.withUnsafeBytes { w.write($0, seconds: r.seconds, microseconds: r.microseconds) } }
        }
        // Same records in, same file out as NetBSD's shmif_dumpbus wrote.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == (try Data(contentsOf: Self.vectors.appendingPathComponent("ping.pcap"))))
        #expect(try PcapReader.readAll(path: path).records == records)
    }

    @Test func filtersSelectWhatTcpdumpWould() throws {
        let (_, _, records) = try PcapReader.readAll(path: Self.vectors.appendingPathComponent("ping.pcap").path)
        let icmp = try PcapFilter("icmp"), arp = try PcapFilter("arp"), reply = try PcapFilter("icmp[icmptype] == icmp-echoreply and src host 10.0.0.1")
        func count(_ f: PcapFilter) -> Int { records.filter { r in r.bytes.withUnsafeBytes { f.matches($0) } }.count }
        #expect(count(icmp) == 12 && count(arp) == 4 && count(reply) == 6)
    }

    @Test func badFilterIsAClearError() {
        #expect(throws: PcapError.self) { try PcapFilter("icmp and and") }
        do { _ = try PcapFilter("icmp and and") } catch { #expect("\(error)".hasPrefix("filter \"icmp and and\": ")) }
    }

    @Test func unwritablePathIsAClearError() {
        do {
            _ = try PcapWriter(path: "/nonexistent-dir/x.pcap")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".hasPrefix("/nonexistent-dir/x.pcap: "))
        }
    }
}
