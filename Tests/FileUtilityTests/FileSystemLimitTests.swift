import Foundation
import RumpClient
import RumpProtocol
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Real kernels under real load and bad input: data round trips byte for byte, a full tmpfs
/// says ENOSPC and the kernel keeps serving, names and paths have NetBSD's limits, traversal
/// stays inside, a killed writer and a halt with open files leave nothing inconsistent behind.
final class FileSystemLimitTests: XCTestCase {
    var scratch: TemporaryDirectory!
    var socket: String { scratch.file("k.sock") }
    var url: String { "unix://" + socket }

    override func setUp() { scratch = TemporaryDirectory(prefix: "vfsl-") }
    override func tearDown() {
        if canConnect(socket) { _ = runTool(["halt"], rumpServer: url) }
        for pid in processes(mentioning: socket) { kill(pid, SIGKILL) }
        scratch.remove()
    }

    /// A kernel with rumpvfs and tmpfs, its pid from the hello.
    @discardableResult
    func boot(_ extra: [String] = []) throws -> Int32 {
        let r = runTool(["rump_server", "-lrumpvfs", "-lrumpfs_tmpfs"] + extra + [url], rumpServer: nil)
        XCTAssertEqual(r.status, 0, r.description)
        let c = try RumpClient(url: .unix(path: socket), clientName: "test")
        return c.server.serverPID
    }

    func tool(_ args: [String], stdin: Data? = nil) -> ProcessResult {
        do {
            return try TestSupport.run(executable(args[0]), Array(args.dropFirst()), environment: rumpEnvironment(server: url), stdin: stdin, timeout: 60)
        } catch { return ProcessResult(stdout: "", stderr: "\(error)", status: -1) }
    }

    func sha256(_ d: Data) throws -> String {
        let f = scratch.file("sum-\(UInt32.random(in: 0...UInt32.max))")
        try d.write(to: URL(fileURLWithPath: f))
        let r = try TestSupport.run("/usr/bin/sha256sum", [f])
        return String(r.stdout.prefix(64))
    }

    func testDdThenCatKeepsEveryByte() throws {
        try boot()
        XCTAssertEqual(tool(["mount_tmpfs", "-s", "16m", "tmpfs", "/tmp"]).status, 0)
        // 3 MiB + 77 bytes: several protocol chunks and a partial record.
        var data = Data(count: 3 << 20 + 77)
        data.withUnsafeMutableBytes { for i in 0..<$0.count { $0[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 13) } }
        let w = tool(["dd", "of=/tmp/blob", "bs=64k"], stdin: data)
        XCTAssertEqual(w.status, 0, w.description)
        XCTAssertTrue(w.stderr.contains("\(data.count) bytes transferred"), w.stderr)
        let r = tool(["cat", "/tmp/blob"])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdoutData.count, data.count)
        XCTAssertEqual(try sha256(r.stdoutData), try sha256(data))
        // dd out of the kernel too (if= in the kernel, output on the host).
        let back = tool(["dd", "if=/tmp/blob", "bs=1m"])
        XCTAssertEqual(try sha256(back.stdoutData), try sha256(data))
        XCTAssertTrue(back.stderr.hasPrefix("3+1 records in\n3+1 records out\n"), back.stderr)
        XCTAssertTrue(tool(["ls", "-l", "/tmp/blob"]).stdout.hasPrefix("-rw-r--r--  1 0  0  \(data.count) "))
    }

    func testFullTmpfsSaysENOSPCAndTheKernelServes() throws {
        try boot()
        XCTAssertEqual(tool(["mount_tmpfs", "-s", "64k", "tmpfs", "/tmp"]).status, 0)
        let w = tool(["dd", "of=/tmp/fill", "bs=4k"], stdin: Data(count: 256 << 10))
        XCTAssertEqual(w.status, 1)
        XCTAssertTrue(w.stderr.hasPrefix("dd: /tmp/fill: No space left on device\n"), w.stderr)
        let size = Int(tool(["ls", "-l", "/tmp/fill"]).stdout.split(separator: " ", omittingEmptySubsequences: true)[4])!
        XCTAssertLessThanOrEqual(size, 64 << 10)
        XCTAssertGreaterThan(size, 32 << 10)
        // What a 4k block could not use, 512-byte records fill to the last byte.
        let rest = tool(["dd", "of=/tmp/rest", "bs=512"], stdin: Data(count: 8 << 10))
        XCTAssertTrue(rest.stderr.hasPrefix("dd: /tmp/rest: No space left on device\n"), rest.stderr)
        XCTAssertEqual(tool(["mkdir", "/tmp/more"]).stderr, "mkdir: /tmp/more: No space left on device\n")
        XCTAssertTrue(tool(["df", "/tmp"]).stdout.contains(" 100% /tmp\n"))
        // Still serving, and the space comes back.
        XCTAssertEqual(tool(["rm", "/tmp/fill", "/tmp/rest"]).status, 0)
        XCTAssertEqual(tool(["mkdir", "/tmp/more"]).status, 0)
        XCTAssertEqual(tool(["sysctl", "-n", "kern.ostype"]).stdout, "NetBSD\n")
        XCTAssertEqual(tool(["df", "/tmp"]).status, 0)
    }

    func testNameLimitsAndTraversal() throws {
        try boot()
        let name = String(repeating: "n", count: 512)
        let r = tool(["mkdir", "/" + name])
        XCTAssertEqual(r.stderr, "mkdir: /\(name): File name too long\n")
        XCTAssertEqual(tool(["mkdir", "/" + String(name.dropFirst())]).status, 0, "NAME_MAX (511) fits")
        let longPath = String(repeating: "/a", count: 512)
        XCTAssertEqual(tool(["ls", longPath]).stderr, "ls: \(longPath): File name too long\n")
        // .. past the root stays at the kernel's root: the listing is the root's, nothing on the host.
        XCTAssertEqual(tool(["ls", "/../../../.."]).stdout, tool(["ls", "/"]).stdout)
        XCTAssertEqual(tool(["mkdir", "../../../escape"]).status, 0)
        XCTAssertTrue(tool(["ls", "/"]).stdout.contains("escape\n"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/escape"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.file("escape")))
    }

    func testHugeReadsAreBoundedAndWritesRefused() throws {
        try boot()
        let c = try RumpClient(url: .unix(path: socket), clientName: "test")
        guard case .fd(let fd) = try c.call(.file(.open(path: "/big", flags: 0x202, mode: 0o644))) else { return XCTFail() }
        // A write as large as a message may be is accepted whole...
        let chunk = [UInt8](repeating: 1, count: Int(Wire.maximumMessageSize) - 4096)
        XCTAssertEqual(try c.call(.file(.write(fd: fd, data: chunk))), .count(UInt32(chunk.count)))
        XCTAssertEqual(try c.call(.file(.write(fd: fd, data: chunk))), .count(UInt32(chunk.count)))
        _ = try c.call(.file(.lseek(fd: fd, offset: 0, whence: 0)))
        // ...a read asking for 4 GiB gets at most what fits a reply.
        guard case .data(let d) = try c.call(.file(.read(fd: fd, maxLength: UInt32.max))) else { return XCTFail() }
        XCTAssertLessThan(d.count, Int(Wire.maximumMessageSize))
        XCTAssertGreaterThan(d.count, 0)
        // A seek far past what memory can hold is refused, not allocated.
        XCTAssertThrowsError(try c.call(.file(.lseek(fd: fd, offset: Int64.max / 2, whence: 0))))
        // A file descriptor is one number space with sockets: the next is not 'fd' again.
        guard case .fd(let fd2) = try c.call(.file(.open(path: "/", flags: 0, mode: 0))) else { return XCTFail() }
        XCTAssertNotEqual(fd2, fd)
        _ = try c.call(.close(fd: fd2))
        XCTAssertThrowsError(try c.call(.close(fd: fd2)))
        XCTAssertEqual(tool(["sysctl", "-n", "kern.ostype"]).stdout, "NetBSD\n")
    }

    func testKilledWriterLeavesAConsistentFileSystem() throws {
        try boot()
        XCTAssertEqual(tool(["mount_tmpfs", "tmpfs", "/tmp"]).status, 0)
        let input = Pipe()
        let dd = try Background(executable("dd"), ["of=/tmp/partial", "bs=1k"], environment: rumpEnvironment(server: url), stdin: input)
        let block = Data(repeating: 0x41, count: 1024)
        for _ in 0..<64 { try input.fileHandleForWriting.write(contentsOf: block) }
        // Wait until the kernel holds what was written, then kill the writer mid-stream.
        var size = 0
        for _ in 0..<500 where size < 64 * 1024 {
            let l = tool(["ls", "-l", "/tmp/partial"]).stdout.split(separator: " ", omittingEmptySubsequences: true)
            size = l.count > 4 ? Int(l[4]) ?? 0 : 0
            usleep(10_000)
        }
        XCTAssertEqual(size, 64 * 1024)
        dd.kill9()
        _ = dd.wait(timeout: 10)
        try? input.fileHandleForWriting.close()
        // The file holds whole writes, and the file system is not busy: the killed client's file closed.
        let list = tool(["ls", "-l", "/tmp/partial"]).stdout
        XCTAssertTrue(list.hasPrefix("-rw-r--r--  1 0  0  65536 "), list)
        XCTAssertEqual(tool(["umount", "/tmp"]).status, 0, "no descriptor left open by the dead client")
        XCTAssertEqual(tool(["mount"]).stdout, "rumpfs on / type rumpfs (local)\n")
    }

    func testHaltWithOpenFilesLeavesNothingBehind() throws {
        let pid = try boot()
        XCTAssertEqual(tool(["mount_tmpfs", "tmpfs", "/tmp"]).status, 0)
        let input = Pipe()
        let dd = try Background(executable("dd"), ["of=/tmp/open"], environment: rumpEnvironment(server: url), stdin: input)
        try input.fileHandleForWriting.write(contentsOf: Data(repeating: 1, count: 512))
        for _ in 0..<300 where !tool(["ls", "/tmp"]).stdout.contains("open") { usleep(10_000) }
        XCTAssertEqual(tool(["halt"]).status, 0)
        XCTAssertTrue(waitGone(pid, timeout: 10), "the kernel process exits")
        XCTAssertFalse(FileManager.default.fileExists(atPath: socket), "its socket is removed")
        try? input.fileHandleForWriting.close()
        _ = dd.wait(timeout: 10)
        XCTAssertEqual(processes(mentioning: socket), [])
        // The kernel kept files in its memory only: the scratch directory holds nothing new.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { !$0.hasPrefix("sum-") }, [])
    }
}
