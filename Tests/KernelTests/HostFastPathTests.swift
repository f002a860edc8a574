import Foundation
import RumpClient
import RumpProtocol
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Two kernels of one rump_host on one loop (docs/kernel.md, "A loop turn"): a pipelined sendto
/// and recvfrom of an echo to the co-hosted kernel are answered together, the recvfrom without
/// parking, both replies in the connection's one write at the end of the turn.
final class HostFastPathTests: XCTestCase {
    static let kernel = "-lrumpnet -lrumpnet_net -lrumpnet_netinet -lrumpnet_shmif"

    func tool(_ args: [String], _ socket: String) -> ProcessResult {
        runTool(args, rumpServer: "unix://" + socket, timeout: 30)
    }

    /// Two kernels of one host on one loop, on one bus, 10.0.0.1 and 10.0.0.2, ARP resolved.
    func startPair(_ dir: TemporaryDirectory) throws -> (host: Background, a: String, b: String, bus: String) {
        let a = dir.path + "/a.sock", b = dir.path + "/b.sock", bus = dir.path + "/bus"
        try "\(Self.kernel) unix://\(a)\n\(Self.kernel) unix://\(b)\n".write(toFile: dir.path + "/k", atomically: true, encoding: .utf8)
        let host = try Background(executable("rump_host"), ["-s", "-t", "1", dir.path + "/k"], environment: rumpEnvironment(server: nil))
        let deadline = Date().addingTimeInterval(10)
        while !(FileManager.default.fileExists(atPath: a) && FileManager.default.fileExists(atPath: b)) && Date() < deadline { usleep(5000) }
        for (s, ip) in [(a, "10.0.0.1"), (b, "10.0.0.2")] {
            for cmd in [["ifconfig", "shmif0", "create"], ["ifconfig", "shmif0", "linkstr", bus], ["ifconfig", "shmif0", "inet", ip + "/24"]] {
                XCTAssertEqual(tool(cmd, s).status, 0, "\(cmd)")
            }
        }
        XCTAssertEqual(tool(["ping", "-c", "1", "10.0.0.2"], a).status, 0, "ARP resolved first")
        return (host, a, b, bus)
    }

    func testCoHostedEchoRepliesLeaveInTheSameWriteAsTheSendtoReply() throws {
        let dir = TemporaryDirectory(prefix: "hfp-")
        defer { dir.remove() }
        let (host, a, b, _) = try startPair(dir)
        defer { host.kill9() }

        let client = try RumpClient(url: .unix(path: a), clientName: "hfp")
        guard case .fd(let s) = try client.call(.socket(domain: Int32(NetBSD.AF_INET), type: Int32(NetBSD.SOCK_RAW), protocol: 1)) else {
            return XCTFail("no raw socket")
        }
        let fd = client.connectionDescriptor
        var buffer = [UInt8](repeating: 0, count: 65536)
        for seq in 0..<20 {
            var echo: [UInt8] = [8, 0, 0, 0, 0x12, 0x34, 0, UInt8(seq), 1, 2, 3, 4, 5, 6, 7, 8]
            var sum: UInt32 = 0
            for i in stride(from: 0, to: echo.count, by: 2) { sum += UInt32(echo[i]) << 8 | UInt32(echo[i + 1]) }
            while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
            echo[2] = UInt8(~sum >> 8 & 0xff); echo[3] = UInt8(~sum & 0xff)
            _ = try client.submit([.sendto(fd: s, data: echo, flags: 0, address: .inet(IPv4Address(10, 0, 0, 2), port: 0), timeout: 1000),
                                   .recvfrom(fd: s, maxLength: 1500, flags: 0, timeout: 1000)])
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            XCTAssertEqual(poll(&p, 1, 5000), 1, "echo \(seq): no answer")
            // One read: what the kernel wrote in one send (a stream socket keeps it together).
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            XCTAssertGreaterThan(n, 0)
            var decoder = FrameDecoder()
            buffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<max(0, n)])) }
            var replies: [Result<Reply, KernelError>] = []
            while let body = try decoder.next() {
                if case .response(_, _, let r) = try Message.decode(body: body) { replies.append(r) }
            }
            XCTAssertEqual(replies.count, 2, "echo \(seq): the sendto's reply left alone (\(n) bytes)")
            guard replies.count == 2 else { break }
            guard case .success(.count(let sent)) = replies[0] else { return XCTFail("sendto: \(replies[0])") }
            XCTAssertEqual(sent, 16)
            guard case .success(.dataFrom(let pkt, _)) = replies[1] else { return XCTFail("recvfrom: \(replies[1])") }
            // The echo reply: IP header, then ICMP type 0 with our sequence number.
            let hlen = Int(pkt[0] & 0x0f) * 4
            XCTAssertEqual(pkt[hlen], 0, "echo \(seq): ICMP type")
            XCTAssertEqual(pkt[hlen + 7], UInt8(seq))
        }
        for s in [a, b] { XCTAssertEqual(tool(["halt"], s).status, 0) }
    }

    /// A co-hosted writer's frames are read without an fstat per poll; a bus shrunk by another
    /// process is still seen at once, by the hub's check on the file's inotify event: both
    /// kernels go link-down, keep serving, and say why.
    func testBusShrunkUnderHostedKernelsTakesTheirLinksDown() throws {
        let dir = TemporaryDirectory(prefix: "hfp-")
        defer { dir.remove() }
        let (host, a, b, bus) = try startPair(dir)
        defer { host.kill9() }
        // One page left: the header and the frames so far are still readable, so nothing but
        // the size says the bus is gone.
        XCTAssertEqual(truncate(bus, 4096), 0)
        for s in [a, b] {
            let deadline = Date().addingTimeInterval(5)
            var ifc = tool(["ifconfig", "shmif0"], s).stdout
            while ifc.contains("RUNNING") && Date() < deadline { usleep(20_000); ifc = tool(["ifconfig", "shmif0"], s).stdout }
            XCTAssertTrue(ifc.hasPrefix("shmif0: flags=0x8803<UP,BROADCAST,SIMPLEX,MULTICAST>"), "still RUNNING: \(ifc)")
            XCTAssertEqual(tool(["sysctl", "-n", "kern.ostype"], s).stdout, "NetBSD\n")
        }
        let p = tool(["ping", "-c", "1", "-w", "2", "10.0.0.2"], a)
        XCTAssertTrue(p.stderr.contains("Network is down"), "\(p)")
        for s in [a, b] { XCTAssertEqual(tool(["halt"], s).status, 0) }
        let end = Date().addingTimeInterval(5)
        while host.process.isRunning && Date() < end { usleep(5000) }
        let log = String(decoding: host.remainingErrorOutput(), as: UTF8.self)
        XCTAssertEqual(log.components(separatedBy: "bus \(bus): bus file shrank to 4096 bytes").count - 1, 2, log)
    }
}
