import Foundation
import Pcap
import TestSupport
import Testing
@testable import RumpLab

/// `rumpnet-lab capture NODE:IFACE` in real labs: rump_servers tapping their own interfaces,
/// our ping through `rumpnet-lab exec`, read back with tcpdump.
@Suite(.serialized) struct InterfaceCaptureLabTests {
    let lab = executable("rumpnet-lab")

    func topology(_ name: String) -> String {
        """
        {"name": "\(name)", "buses": {"lan0": {}},
         "nodes": {"a": {"interfaces": [{"name": "shmif0", "bus": "lan0", "addresses": ["10.0.0.1/24"]}]},
                   "b": {"interfaces": [{"name": "shmif0", "bus": "lan0", "addresses": ["10.0.0.2/24"]}]}}}
        """
    }

    /// Brings lab `name` up in `box`; `down` it with the returned closure (also on failure).
    func up(_ name: String, _ box: LabRunnerTests.Sandbox) throws -> () -> Void {
        let file = box.dir.file("\(name).json")
        try topology(name).write(toFile: file, atomically: true, encoding: .utf8)
        let up = try run(lab, ["up", file], environment: box.env, timeout: 60)
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        return {
            _ = try? run(lab, ["down", name], environment: box.env)
            #expect(box.leftovers.isEmpty)
        }
    }

    /// `rumpnet-lab capture ARGS`, returned once it says it is capturing.
    func capture(_ args: [String], _ box: LabRunnerTests.Sandbox, stdout: Pipe? = nil) throws -> Background {
        let c = try Background(lab, ["capture"] + args, environment: box.env, stdout: stdout)
        let first = c.readErrLine() ?? ""
        #expect(first.hasPrefix("capturing on \(args[0]) "), "\(first)")
        return c
    }

    /// SIGINT, as a user's ^C; returns the closing lines.
    func stop(_ c: Background) -> (Int32?, [String]) {
        kill(c.pid, SIGINT)
        let status = c.wait(timeout: 20)
        return (status, c.remainingErrLines())
    }

    func ping(_ node: String, _ args: [String], _ box: LabRunnerTests.Sandbox) throws -> ProcessResult {
        try run(lab, ["exec", node, "--", "ping"] + args, environment: box.env, timeout: 60)
    }

    func tcpdump(_ file: String, _ extra: [String] = []) throws -> [String] {
        let tcpdump = try #require(which("tcpdump"))
        let r = try run(tcpdump, ["-n", "-r", file] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.split(separator: "\n").map(String.init)
    }

    @Test func loopbackPingOnLo0() throws {
        guard which("tcpdump") != nil else { print("tcpdump missing: skipped"); return }
        let box = LabRunnerTests.Sandbox()
        let down = try up("caplo", box)
        defer { down() }
        let file = box.dir.file("lo0.pcap")
        let cap = try capture(["a:lo0", "-w", file, "-c", "4"], box)
        let p = try ping("a", ["-c", "2", "-i", "0.2", "127.0.0.1"], box)
        #expect(p.status == 0, "\(p.stdout)\(p.stderr)")
        #expect(cap.wait(timeout: 20) == 0)
        #expect(cap.remainingErrLines() == ["4 packets captured", "4 packets received by filter", "0 packets dropped by kernel"])
        let lines = try tcpdump(file)
        #expect(lines.count == 4, "\(lines)")
        for s in 0..<2 {
            #expect(lines.filter { $0.contains("IP 127.0.0.1 > 127.0.0.1: ICMP echo request") && $0.contains("seq \(s), length 64") }.count == 1, "\(lines)")
            #expect(lines.filter { $0.contains("IP 127.0.0.1 > 127.0.0.1: ICMP echo reply") && $0.contains("seq \(s), length 64") }.count == 1, "\(lines)")
        }
    }

    /// `impair a shmif0 duplicate 100`: the wire side shows each echo request twice, the stack
    /// side once; a filter keeps only what it names; pcapng carries the interface's name and the
    /// kernel's counters.
    @Test func duplicatesAfterTheImpairmentNotBeforeFilterAndPcapng() throws {
        guard which("tcpdump") != nil else { print("tcpdump missing: skipped"); return }
        let box = LabRunnerTests.Sandbox()
        let down = try up("capdup", box)
        defer { down() }
        let imp = try run(lab, ["impair", "a", "shmif0", "duplicate", "100"], environment: box.env)
        #expect(imp.status == 0, "\(imp.stderr)")
        let wireFile = box.dir.file("wire.pcap"), stackFile = box.dir.file("stack.pcap"), ngFile = box.dir.file("replies.pcapng")
        let wire = try capture(["a:shmif0", "-w", wireFile, "icmp"], box)
        let stack = try capture(["a:shmif0", "--point", "stack", "-w", stackFile, "icmp"], box)
        let replies = try capture(["a:shmif0", "--pcapng", "-w", ngFile, "icmp[icmptype] == icmp-echoreply"], box)
        let p = try ping("a", ["-c", "3", "-i", "0.2", "10.0.0.2"], box)
        #expect(p.status == 0, "\(p.stdout)\(p.stderr)")
        #expect(p.stdout.contains("+3 duplicates") || p.stdout.contains("DUP!"), "\(p.stdout)")
        usleep(300_000)  // the last duplicate replies are on their way
        for c in [wire, stack, replies] {
            let (status, lines) = stop(c)
            #expect(status == 0, "\(lines)")
            #expect(lines.last == "0 packets dropped by kernel", "\(lines)")
        }
        let w = try tcpdump(wireFile), s = try tcpdump(stackFile)
        for seq in 0..<3 {
            let request = "IP 10.0.0.1 > 10.0.0.2: ICMP echo request"
            #expect(w.filter { $0.contains(request) && $0.contains("seq \(seq),") }.count == 2, "wire side: \(w)")
            #expect(s.filter { $0.contains(request) && $0.contains("seq \(seq),") }.count == 1, "stack side: \(s)")
        }
        #expect(!w.contains { $0.contains("ARP") } && !s.contains { $0.contains("ARP") })
        // b answers every copy: 6 replies, all that the echo-reply filter let through.
        let r = try tcpdump(ngFile)
        #expect(r.count == 6 && r.allSatisfy { $0.contains("IP 10.0.0.2 > 10.0.0.1: ICMP echo reply") }, "\(r)")
        let ng = try Pcapng(path: ngFile)
        #expect(ng.interfaceNames == ["shmif0"])
        #expect(ng.packets == 6)
        #expect(ng.inbound == 6)
        #expect(ng.statistics[4].map { $0 >= 12 } == true, "isb_ifrecv: every ICMP frame was seen: \(ng.statistics)")
        #expect(ng.statistics[6] == 6, "isb_filteraccept")
        #expect(ng.statistics[7] == 0, "isb_osdrop")
        #expect(ng.statistics[8] == 6, "isb_usrdeliv")
    }

    @Test func badNodeOrInterfaceIsNamed() throws {
        let box = LabRunnerTests.Sandbox()
        let down = try up("capbad", box)
        defer { down() }
        let noIface = try run(lab, ["capture", "a:shmif9", "-w", box.dir.file("x.pcap")], environment: box.env)
        #expect(noIface.status == 1)
        #expect(noIface.stderr.contains("a:shmif9: node a has no interface shmif9 (it has lo0, shmif0)"), "\(noIface.stderr)")
        let noNode = try run(lab, ["capture", "zz:shmif0"], environment: box.env)
        #expect(noNode.status == 1)
        #expect(noNode.stderr.contains("zz:shmif0: no node zz in lab capbad"), "\(noNode.stderr)")
        let badFilter = try run(lab, ["capture", "a:shmif0", "icmp", "and"], environment: box.env)
        #expect(badFilter.status == 1 && badFilter.stderr.contains("a:shmif0: filter \"icmp and\""), "\(badFilter.stderr)")
        let badPoint = try run(lab, ["capture", "a:shmif0", "--point", "middle"], environment: box.env)
        #expect(badPoint.status == 64 && badPoint.stderr.contains("--point middle: expected wire or stack"), "\(badPoint.stderr)")
        // The bus form is still the bus capture, and refuses the interface options.
        let busOpt = try run(lab, ["capture", "lan0", "--pcapng"], environment: box.env)
        #expect(busOpt.status == 64 && busOpt.stderr.contains("lan0 is a bus"), "\(busOpt.stderr)")
        #expect(box.leftovers.count == 2)
    }

    /// A reader that stops reading costs the kernel only drops (counted); a reader killed
    /// outright leaves a kernel that goes on serving, and capturing for the next one.
    @Test func kernelServesASlowReaderAndOutlivesAKilledOne() throws {
        guard which("tcpdump") != nil else { print("tcpdump missing: skipped"); return }
        let box = LabRunnerTests.Sandbox()
        let down = try up("capslow", box)
        defer { down() }
        // Nobody reads the pipe: it fills (64 KiB), then the kernel's 16 KiB buffer.
        let pipe = Pipe()
        let slow = try capture(["a:shmif0", "-B", "16", "-w", "-"], box, stdout: pipe)
        try pipe.fileHandleForWriting.close()
        let p = try ping("a", ["-c", "100", "-i", "0.01", "-s", "1400", "10.0.0.2"], box)
        #expect(p.stdout.contains("100 packets transmitted, 100 packets received"), "\(p.stdout)")
        kill(slow.pid, SIGINT)
        let drained = pipe.fileHandleForReading.readDataToEndOfFile()
        #expect(slow.wait(timeout: 20) == 0)
        let lines = slow.remainingErrLines()
        func figure(_ suffix: String) -> Int { lines.first { $0.hasSuffix(suffix) }.flatMap { Int($0.split(separator: " ")[0]) } ?? -1 }
        let captured = figure("captured"), seen = figure("received by filter"), dropped = figure("dropped by kernel")
        #expect(dropped > 0, "\(lines)")
        #expect(captured > 0 && captured + dropped == seen && seen >= 200, "\(lines)")
        let pcap = box.dir.file("slow.pcap")
        #expect(FileManager.default.createFile(atPath: pcap, contents: drained))
        #expect(try tcpdump(pcap).count == captured)

        // SIGKILL mid-capture: the kernel drops the session with the connection.
        let killed = try capture(["a:shmif0", "-w", box.dir.file("killed.pcap")], box)
        killed.kill9()
        let after = try ping("a", ["-c", "2", "-i", "0.2", "10.0.0.2"], box)
        #expect(after.status == 0, "\(after.stdout)\(after.stderr)")
        let status = try run(lab, ["status", "capslow"], environment: box.env)
        #expect(status.stdout.components(separatedBy: " running ").count - 1 == 2, "\(status.stdout)")
        let next = try capture(["a:shmif0", "-c", "2", "-w", box.dir.file("next.pcap"), "icmp"], box)
        _ = try ping("a", ["-c", "1", "10.0.0.2"], box)
        #expect(next.wait(timeout: 20) == 0)
        let log = try String(contentsOfFile: box.dir.path + "/state/capslow/nodes/a.log", encoding: .utf8)
        #expect(log.components(separatedBy: "shmif0: capture stopped").count - 1 == 3, "\(log)")
    }
}

/// A virt interface (a Linux tap on a tap bus): the kernel's capture of r2:virt0 shows the
/// same frames as Linux's tcpdump on the tap's host side.
@Suite(.serialized) struct InterfaceCaptureVirtTests {
    let lab = executable("rumpnet-lab")

    @Test func virtCaptureMatchesLinuxTcpdumpOnTheTap() throws {
        guard let tcpdump = which("tcpdump") else { print("tcpdump missing: skipped"); return }
        let box = LinuxLabTests.LinuxSandbox("lxcapvirt")
        let file = box.write("""
        {
          "name": "lxcapvirt",
          "buses": { "br0": { "kind": "tap" } },
          "nodes": {
            "r1": { "interfaces": [ { "bus": "br0", "addresses": ["10.213.9.1/24"] } ] },
            "r2": { "interfaces": [ { "bus": "br0", "addresses": ["10.213.9.2/24"] } ] }
          }
        }
        """)
        let up = try run(lab, ["up", file], environment: box.env, timeout: 60)
        defer { _ = try? run(lab, ["down", box.labName], environment: box.env) }
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        let ours = box.dir.file("ours.pcap"), linux = box.dir.file("linux.pcap")
        let capture = try Background(lab, ["capture", "r2:virt0", "-w", ours, "-c", "4", "icmp"], environment: box.env)
        let first = capture.readErrLine() ?? ""
        #expect(first.hasPrefix("capturing on r2:virt0 (wire side), link-type EN10MB"), "\(first)")
        let onTap = try Background(LinuxLabTests.ip, ["netns", "exec", "rumpnet-lab:lxcapvirt", tcpdump, "-i", "r2.virt0", "-U", "-w", linux, "-c", "4", "icmp"])
        usleep(1_000_000)
        let ping = try run(lab, ["exec", "r1", "--", "ping", "-c", "2", "-i", "0.2", "10.213.9.2"], environment: box.env, timeout: 60)
        #expect(ping.status == 0 && ping.stdout.contains("2 packets received"), "\(ping.stdout)\(ping.stderr)")
        #expect(capture.wait(timeout: 20) == 0)
        #expect(onTap.wait(timeout: 20) == 0)
        let a = try run(tcpdump, ["-n", "-e", "-t", "-r", ours]).stdout, b = try run(tcpdump, ["-n", "-e", "-t", "-r", linux]).stdout
        #expect(a.components(separatedBy: "10.213.9.1 > 10.213.9.2: ICMP echo request").count - 1 == 2, "\(a)")
        #expect(a.components(separatedBy: "10.213.9.2 > 10.213.9.1: ICMP echo reply").count - 1 == 2, "\(a)")
        #expect(a == b, "ours:\n\(a)\nlinux:\n\(b)")
        let down = try run(lab, ["down", box.labName], environment: box.env)
        #expect(down.status == 0, "\(down.stderr)")
        try LinuxLabTests().expectNothingLeft(box, interfaces: ["r1.virt0", "r2.virt0", "br-br0"])
    }
}

/// The blocks of a pcapng file this project writes (host byte order): interface names,
/// enhanced packets with their directions, the last statistics block's options by code.
struct Pcapng {
    var interfaceNames: [String] = []
    var packets = 0
    var inbound = 0
    var statistics: [UInt16: UInt64] = [:]

    init(path: String) throws {
        let d = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u16(_ o: Int) -> UInt16 { UInt16(d[o]) | UInt16(d[o + 1]) << 8 }
        func u32(_ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(d[o + $1]) << (8 * $1) } }
        func u64(_ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(d[o + $1]) << (8 * $1) } }
        func options(_ from: Int, _ end: Int, _ each: (UInt16, Int, Int) -> Void) {
            var o = from
            while o + 4 <= end {
                let code = u16(o), len = Int(u16(o + 2))
                if code == 0 { break }
                each(code, o + 4, len)
                o += 4 + (len + 3) & ~3
            }
        }
        var off = 0
        #expect(u32(0) == 0x0A0D_0D0A && u32(8) == 0x1A2B_3C4D, "a section header first")
        while off + 12 <= d.count {
            let type = u32(off), len = Int(u32(off + 4))
            guard len >= 12, off + len <= d.count, u32(off + len - 4) == UInt32(len) else { throw PcapError("block at \(off): bad length \(len)") }
            let end = off + len - 4
            switch type {
            case 1:
                options(off + 16, end) { code, at, n in
                    if code == 2 { interfaceNames.append(String(decoding: d[at..<(at + n)], as: UTF8.self)) }
                }
            case 6:
                packets += 1
                let caplen = Int(u32(off + 20))
                options(off + 28 + (caplen + 3) & ~3, end) { code, at, _ in
                    if code == 2, u32(at) & 3 == 1 { inbound += 1 }
                }
            case 5:
                options(off + 20, end) { code, at, _ in statistics[code] = u64(at) }
            default: break
            }
            off += len
        }
    }
}
