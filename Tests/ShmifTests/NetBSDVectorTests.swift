import Foundation
import TestSupport
import Testing
@testable import Shmif

/// Our reader and our shmif_dumpbus against bus files written by real NetBSD rump kernels
/// and what NetBSD's own shmif_dumpbus printed and wrote for them.
@Suite struct NetBSDVectorTests {
    let netbsd = vectorsDirectory.appendingPathComponent("netbsd")

    func expected(_ name: String) throws -> String {
        try String(contentsOf: netbsd.appendingPathComponent(name), encoding: .utf8)
    }

    /// "packet N, offset 0x.., length 0x.., ts S/U" lines of NetBSD's dump.
    func netbsdFrames(_ text: String) -> [(offset: UInt32, length: UInt32, sec: UInt32, usec: UInt32)] {
        text.split(separator: "\n").filter { $0.hasPrefix("packet ") }.map { line in
            let parts = line.split(separator: " ")
            let off = UInt32(parts[3].dropFirst(2).dropLast(), radix: 16)!
            let len = UInt32(parts[5].dropFirst(2).dropLast(), radix: 16)!
            let ts = parts[7].split(separator: "/")
            return (off, len, UInt32(ts[0])!, UInt32(ts[1])!)
        }
    }

    @Test(arguments: ["ping", "tcp"])
    func readerWalksTheSameFrames(bus: String) throws {
        let dump = try BusDump(path: netbsd.appendingPathComponent("\(bus).bus").path)
        let ours = try dump.frames()
        let theirs = netbsdFrames(try expected("\(bus).dumpbus.txt"))
        #expect(ours.count == theirs.count)
        #expect(ours.count == (bus == "ping" ? 16 : 1040))
        for (a, b) in zip(ours, theirs) {
            #expect(a.payloadOffset == b.offset && a.length == b.length && a.seconds == b.sec && a.microseconds == b.usec)
        }
    }

    @Test(arguments: ["ping", "tcp"])
    func liveReaderFromOldestSeesTheSameFrames(bus: String) throws {
        // Attach our BusReader (the kernel's reader) to a copy of the NetBSD bus.
        let tmp = TemporaryDirectory()
        let copy = tmp.file("\(bus).bus")
        try FileManager.default.copyItem(atPath: netbsd.appendingPathComponent("\(bus).bus").path, toPath: copy)
        let reader = try BusReader(bus: try ShmifBus.attach(path: copy), start: .oldest)
        var batch = FrameBatch(capacityBytes: 4 * 1024 * 1024)
        reader.poll(into: &batch)
        let dump = try BusDump(path: copy)
        var expected: [[UInt8]] = []
        try dump.walk { _, bytes in expected.append(Array(bytes)) }
        #expect(batch.count == expected.count)
        for i in 0..<min(batch.count, expected.count) {
            #expect(Array(batch.frame(i)) == expected[i])
        }
        #expect(reader.framesLost == 0 && reader.malformed == 0)
    }

    func dumpbus(_ args: [String]) throws -> ProcessResult {
        try run(executable("shmif_dumpbus"), args, cwd: netbsd.path, timeout: 30)
    }

    @Test(arguments: ["ping", "tcp"])
    func dumpbusTextMatchesByteForByte(bus: String) throws {
        let tmp = TemporaryDirectory()
        let header = try dumpbus(["-h", "\(bus).bus"])
        #expect(header.stdout + header.stderr + "rc=\(header.status)\n" == (try expected("\(bus).dumpbus-h.txt")))
        let plain = try dumpbus(["\(bus).bus"])
        #expect(plain.stdout + plain.stderr + "rc=\(plain.status)\n" == (try expected("\(bus).dumpbus.txt")))
        let pcapPath = tmp.file("\(bus).pcap")
        let withPcap = try dumpbus(["-p", pcapPath, "\(bus).bus"])
        #expect(withPcap.stdout + withPcap.stderr + "rc=\(withPcap.status)\n" == (try expected("\(bus).dumpbus-p.txt")))
        let ours = try Data(contentsOf: URL(fileURLWithPath: pcapPath))
        let theirs = try Data(contentsOf: netbsd.appendingPathComponent("\(bus).pcap"))
        #expect(ours == theirs, "pcap differs from NetBSD's")
    }

    @Test(arguments: ["ping", "tcp"])
    func dumpbusPcapToStandardOutput(bus: String) throws {
        let r = try dumpbus(["-p", "-", "\(bus).bus"])
        #expect(r.status == 0)
        #expect(r.stdoutData == (try Data(contentsOf: netbsd.appendingPathComponent("\(bus).pcap"))))
        // The text goes to standard error instead.
        #expect(r.stderr + "rc=0\n" == (try expected("\(bus).dumpbus.txt")))
    }

    @Test func tcpdumpReadsOurPcap() throws {
        let tmp = TemporaryDirectory()
        let pcap = tmp.file("ping.pcap")
        _ = try dumpbus(["-p", pcap, "ping.bus"])
        let r = try run("/usr/bin/tcpdump", ["-n", "-r", pcap], timeout: 30)
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 16)
        #expect(lines.filter { $0.contains("ICMP echo request") }.count == 6)
        #expect(lines.filter { $0.contains("ICMP echo reply") }.count == 6)
        #expect(lines.filter { $0.contains("ARP") }.count == 4)
    }

    @Test func freshBusIsRefusedAsNetBSDDoes() throws {
        let r = try dumpbus(["-h", "fresh.bus"])
        #expect(r.stdout + r.stderr + "rc=\(r.status)\n" == (try expected("fresh.dumpbus-h.txt")))
    }

    @Test func garbageIsNotABus() throws {
        let r = try dumpbus(["garbage.bus"])
        #expect(r.stdout + r.stderr + "rc=\(r.status)\n" == (try expected("garbage.dumpbus.txt")))
    }

    @Test func byteSwappedBusIsReadWithSwapping() throws {
        // Build the big-endian twin of ping.bus: every header field and frame header swapped.
        var bytes = [UInt8](try Data(contentsOf: netbsd.appendingPathComponent("ping.bus")))
        let native = try BusDump(path: "ping.bus", bytes: bytes)
        func swap32(at o: Int) { bytes[o..<o + 4].reverse() }
        for o in [0, 4, 16, 20, 24, 28] { swap32(at: o) }
        bytes[8..<16].reverse()
        var hdr = Int(native.header.first == BusLayout.dataSize ? 0 : native.header.first)
        while true {
            let at = 32 + hdr
            let len = Int(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) })
            for k in [0, 4, 8] { swap32(at: at + k) }
            bytes[(at + 16)..<(at + 24)].reverse()
            if UInt32(hdr) == native.header.last { break }
            hdr += 24 + len
        }
        let swapped = try BusDump(path: "swapped.bus", bytes: bytes)
        #expect(swapped.swapped)
        #expect(swapped.headerLine == native.headerLine)
        #expect(try swapped.frames() == (try native.frames()))
    }

    @Test func version2BusUsesTwelveByteHeaders() throws {
        // A version-2 bus: header version 2, frames with {len, sec, usec} headers.
        var bytes = [UInt8](repeating: 0, count: BusLayout.fileSize)
        func put32(_ v: UInt32, at o: Int) { withUnsafeBytes(of: v) { for i in 0..<4 { bytes[o + i] = $0[i] } } }
        put32(BusLayout.magic, at: 0)
        put32(2, at: 4)
        put32(BusLayout.dataSize, at: 16)
        // dummy zero-length at 0 (12 bytes), frames at 12 and 12+12+60.
        put32(60, at: 32 + 12); put32(7, at: 32 + 16); put32(42, at: 32 + 20)
        put32(98, at: 32 + 84); put32(8, at: 32 + 88); put32(1, at: 32 + 92)
        put32(84, at: 20)
        let dump = try BusDump(path: "v2.bus", bytes: bytes)
        #expect(dump.version == 2)
        let frames = try dump.frames()
        #expect(frames.map(\.payloadOffset) == [24, 96])
        #expect(frames.map(\.length) == [60, 98])
        #expect(frames[0].line(index: 0) == "packet 0, offset 0x0018, length 0x003c, ts 7/000042")
    }
}
