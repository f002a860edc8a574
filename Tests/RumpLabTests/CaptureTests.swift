import Foundation
import TestSupport
import Testing
import Shmif
@testable import RumpLab

/// Real Ethernet frames for the bus: ARP requests and ICMP echo requests, built by hand.
enum Frames {
    static let macA: [UInt8] = [0xb2, 0xa0, 0, 0, 0, 1], macB: [UInt8] = [0xb2, 0xa0, 0, 0, 0, 2]
    static let ipA: [UInt8] = [10, 0, 0, 1], ipB: [UInt8] = [10, 0, 0, 2]

    static func checksum(_ b: ArraySlice<UInt8>) -> UInt16 {
        var sum: UInt32 = 0
        var i = b.startIndex
        while i + 1 < b.endIndex { sum += UInt32(b[i]) << 8 | UInt32(b[i + 1]); i += 2 }
        if i < b.endIndex { sum += UInt32(b[i]) << 8 }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }

    static func arpRequest() -> [UInt8] {
        var f = [UInt8](repeating: 0xff, count: 6) + macA + be16(0x0806)
        f += be16(1) + be16(0x0800) + [6, 4] + be16(1) + macA + ipA + [0, 0, 0, 0, 0, 0] + ipB
        return f + [UInt8](repeating: 0, count: 60 - f.count)
    }

    static func icmpEcho(sequence: UInt16, payload: Int = 56) -> [UInt8] {
        var icmp: [UInt8] = [8, 0, 0, 0] + be16(0x1234) + be16(sequence) + (0..<payload).map { UInt8($0 & 0xff) }
        let c = checksum(icmp[...])
        icmp[2] = UInt8(c >> 8); icmp[3] = UInt8(c & 0xff)
        var ip: [UInt8] = [0x45, 0] + be16(UInt16(20 + icmp.count)) + be16(sequence) + [0x40, 0, 64, 1, 0, 0] + ipA + ipB
        let ic = checksum(ip[...])
        ip[10] = UInt8(ic >> 8); ip[11] = UInt8(ic & 0xff)
        return macB + macA + be16(0x0800) + ip + icmp
    }
}

/// `rumpnet-lab capture` as a real process on a real bus, its pcap read by real tcpdump.
@Suite(.serialized) struct CaptureTests {
    let lab = executable("rumpnet-lab")

    func startCapture(_ args: [String], stdout: Pipe? = nil) throws -> Background {
        let c = try Background(lab, ["capture"] + args, stdout: stdout)
        let first = c.readErrLine() ?? ""
        #expect(first.hasPrefix("capturing on "), "\(first)")
        return c
    }

    @Test func filteredCaptureToAFileStopsAfterCount() throws {
        guard let tcpdump = which("tcpdump") else { print("tcpdump missing: skipped"); return }
        let tmp = TemporaryDirectory()
        let busPath = tmp.file("lan0.bus"), pcap = tmp.file("icmp.pcap")
        let bus = try ShmifBus.attach(path: busPath)
        let writer = BusWriter(bus: bus, senderID: 42)
        try writer.send(Frames.icmpEcho(sequence: 99))  // before the capture: not seen (starts at .next)
        let cap = try startCapture([busPath, "-w", pcap, "-c", "3", "icmp"])
        for s in 0..<4 {
            try writer.send(Frames.arpRequest())
            try writer.send(Frames.icmpEcho(sequence: UInt16(s)))
        }
        #expect(cap.wait(timeout: 20) == 0)
        #expect(cap.remainingErrLines() == ["3 packets captured"])
        let r = try run(tcpdump, ["-n", "-r", pcap])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 3, "\(r.stdout)")
        for (s, l) in lines.enumerated() {
            #expect(l.contains("IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 4660, seq \(s), length 64"), "\(l)")
        }
        #expect(try run(tcpdump, ["-n", "-r", pcap, "arp"]).stdout.isEmpty)
    }

    @Test func captureToStandardOutputThroughAPipeIntoTcpdump() throws {
        guard let tcpdump = which("tcpdump") else { print("tcpdump missing: skipped"); return }
        let tmp = TemporaryDirectory()
        let busPath = tmp.file("lan0.bus")
        let bus = try ShmifBus.attach(path: busPath)
        let writer = BusWriter(bus: bus, senderID: 7)
        // `rumpnet-lab capture BUS -w - -c 2 arp | tcpdump -n -r -`, both processes ours to clean up.
        let pipe = Pipe()
        let cap = try startCapture([busPath, "-w", "-", "-c", "2", "arp"], stdout: pipe)
        let dump = try Background(tcpdump, ["-n", "-r", "-"], stdin: pipe)
        // Only the two processes may hold the pipe, so tcpdump sees its end when capture exits.
        try pipe.fileHandleForWriting.close()
        try pipe.fileHandleForReading.close()
        for s in 0..<3 {
            try writer.send(Frames.icmpEcho(sequence: UInt16(s)))
            try writer.send(Frames.arpRequest())
        }
        #expect(cap.wait(timeout: 20) == 0)
        #expect(dump.wait(timeout: 20) == 0)
        let out = String(decoding: dump.remainingOutput(), as: UTF8.self).split(separator: "\n")
        #expect(out.count == 2, "\(out)")
        #expect(out.allSatisfy { $0.contains("ARP, Request who-has 10.0.0.2 tell 10.0.0.1") }, "\(out)")
        #expect(cap.remainingErrLines() == ["2 packets captured"])
    }

    /// A capture that cannot keep up (stopped while 2 MiB go by on a 1 MiB ring) says how
    /// many frames it lost, and captured + lost is every frame sent.
    @Test func lappedCaptureReportsLostFrames() throws {
        let tmp = TemporaryDirectory()
        let busPath = tmp.file("lan0.bus"), pcap = tmp.file("all.pcap")
        let bus = try ShmifBus.attach(path: busPath)
        let writer = BusWriter(bus: bus, senderID: 9)
        let cap = try startCapture([busPath, "-w", pcap])
        // Stop it outside the bus lock (it takes the lock only briefly, to poll).
        var stopped = false
        for _ in 0..<50 {
            kill(cap.pid, SIGSTOP)
            usleep(5000)
            if bus.header().lock == 0 { stopped = true; break }
            kill(cap.pid, SIGCONT)
        }
        #expect(stopped)
        let total = 2000
        for s in 0..<total { try writer.send(Frames.icmpEcho(sequence: UInt16(s), payload: 1000)) }
        kill(cap.pid, SIGCONT)
        // Wait until the capture has caught up with the end of the ring, then stop it.
        var captured = 0
        for _ in 0..<200 {
            usleep(20_000)
            captured = (try? PcapCount.records(pcap)) ?? 0
            if captured > 0, (try? PcapCount.records(pcap)) == captured { usleep(100_000); if (try? PcapCount.records(pcap)) == captured { break } }
        }
        kill(cap.pid, SIGINT)
        #expect(cap.wait(timeout: 20) == 0)
        let lines = cap.remainingErrLines()
        #expect(lines.count == 2, "\(lines)")
        let n = Int(lines.first?.split(separator: " ").first ?? "") ?? -1
        let lost = Int(lines.last?.split(separator: " ").first ?? "") ?? -1
        #expect(lines.first == "\(n) packets captured")
        #expect(lines.last == "\(lost) frames lost to lapping")
        #expect(lost > 0 && n > 0)
        #expect(n + lost == total, "\(lines)")
        #expect(try PcapCount.records(pcap) == n)
    }

    @Test func refusesWhatItCannotDo() throws {
        let tmp = TemporaryDirectory()
        let missing = try run(lab, ["capture", tmp.file("nope.bus"), "-c", "1"])
        #expect(missing.status == 1 && missing.stderr.contains("no such bus"))
        #expect(!FileManager.default.fileExists(atPath: tmp.file("nope.bus")), "a capture must not create a bus")
        _ = try ShmifBus.attach(path: tmp.file("b.bus"))
        let badFilter = try run(lab, ["capture", tmp.file("b.bus"), "-c", "1", "icmp", "and"])
        #expect(badFilter.status == 1 && badFilter.stderr.contains("filter"))
        // --lab resolves the bus inside the lab's state directory.
        let state = try LabState(lab: "q", base: tmp.path + "/state")
        try state.create()
        let noLab = try run(lab, ["capture", "lan0", "--lab", "q", "-c", "1"])
        #expect(noLab.status == 1 && noLab.stderr.contains("no such bus"))
    }

    @Test func labBusByName() throws {
        let tmp = TemporaryDirectory()
        let state = try LabState(lab: "q", base: tmp.path)
        try state.create()
        let bus = try ShmifBus.attach(path: state.busPath(named: "lan0"))
        let pcap = tmp.file("x.pcap")
        setenv("RUMPNET_LAB_STATE", tmp.path, 1)
        defer { unsetenv("RUMPNET_LAB_STATE") }
        let cap = try startCapture(["lan0", "--lab", "q", "-w", pcap, "-c", "1"])
        try BusWriter(bus: bus, senderID: 1).send(Frames.arpRequest())
        #expect(cap.wait(timeout: 20) == 0)
        #expect(try PcapCount.records(pcap) == 1)
    }
}

import Pcap
enum PcapCount {
    static func records(_ path: String) throws -> Int { try PcapReader.readAll(path: path).records.count }
}
