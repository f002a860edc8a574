import Foundation
import TestSupport
import Testing
@testable import Shmif

@Suite struct BadInputTests {
    @Test func wrongSizeIsRefusedAndLeftIntact() throws {
        let tmp = TemporaryDirectory()
        let path = tmp.file("small")
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: path))
        #expect(throws: ShmifError(path: path, reason: .wrongSize(4096))) { try ShmifBus.attach(path: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(repeating: 7, count: 4096))
        #expect("\(ShmifError(path: path, reason: .wrongSize(4096)))" == "\(path): bus file is 4096 bytes; a shmif bus is 1048576 bytes")
    }

    @Test func wrongMagicIsRefused() throws {
        let tmp = TemporaryDirectory()
        let path = tmp.file("magic")
        var bytes = [UInt8](repeating: 0, count: BusLayout.fileSize)
        bytes[0] = 0xEF; bytes[1] = 0xBE; bytes[2] = 0xAD; bytes[3] = 0xDE
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: ShmifError(path: path, reason: .notMagical(0xDEAD_BEEF))) { try ShmifBus.attach(path: path) }
        let error = ShmifError(path: path, reason: .notMagical(0xDEAD_BEEF))
        #expect(error.description == "\(path): not a shmif bus (magic 0xdeadbeef, expected 0xca11d054)")
        let r = try run(executable("shmif_dumpbus"), [path])
        #expect(r.status == 1 && r.stderr == "shmif_dumpbus: \(path) not a shmif bus\n")
    }

    @Test func unreadablePathAndDirectory() throws {
        let tmp = TemporaryDirectory()
        let missing = tmp.file("no/such/dir/bus")
        #expect(throws: ShmifError(path: missing, reason: .system(operation: "open", errno: .noSuchFileOrDirectory))) {
            try ShmifBus.attach(path: missing)
        }
        #expect(throws: ShmifError(path: tmp.path, reason: .isDirectory)) { try ShmifBus.attach(path: tmp.path) }
        var r = try run(executable("shmif_dumpbus"), [missing])
        #expect(r.status == 1 && r.stderr == "shmif_dumpbus: open bus \(missing): No such file or directory\n")
        r = try run(executable("shmif_dumpbus"), [tmp.path])
        #expect(r.status == 1 && r.stderr == "shmif_dumpbus: open bus \(tmp.path): Is a directory\n")
        r = try run(executable("shmif_dumpbus"), ["-x", "bus"])
        #expect(r.status == 1 && r.stderr == "usage: shmif_dumpbus [-h] [-p pcapfile] buspath\n")
        r = try run(executable("shmif_dumpbus"), [])
        #expect(r.status == 1 && r.stderr == "usage: shmif_dumpbus [-h] [-p pcapfile] buspath\n")
    }

    @Test func truncatedBusWithMagicIsReportedNotCrashed() throws {
        let tmp = TemporaryDirectory()
        let path = tmp.file("short")
        var bytes = [UInt8](repeating: 0, count: 100)
        withUnsafeBytes(of: BusLayout.magic) { for i in 0..<4 { bytes[i] = $0[i] } }
        bytes[4] = 3
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let r = try run(executable("shmif_dumpbus"), [path])
        #expect(r.status == 1 && r.stderr == "shmif_dumpbus: \(path): bus file is 100 bytes; a shmif bus is 1048576 bytes\n")
    }

    @Test func corruptRingNeverCrashesReadersWritersOrDump() throws {
        let tmp = TemporaryDirectory()
        let path = tmp.file("corrupt")
        let bus = try ShmifBus.attach(path: path)
        let w = BusWriter(bus: bus, senderID: 1)
        let reader = try BusReader(bus: bus, ownSenderID: 2)
        for _ in 0..<10 { try w.send([UInt8](repeating: 0x11, count: 100)) }
        var batch = FrameBatch()
        #expect(reader.poll(into: &batch) == 10)
        // Overwrite the last frame's length with garbage: an impossible ring.
        let fd = open(path, O_RDWR)
        var garbage: UInt32 = 0x7FFF_FFFF
        _ = pwrite(fd, &garbage, 4, off_t(32 + Int(bus.header().last)))
        close(fd)
        #expect(reader.poll(into: &batch) == 0)
        #expect(reader.malformed >= 1)
        #expect(throws: ShmifError.self) { try w.send([UInt8](repeating: 0x22, count: 100)) }
        let r = try run(executable("shmif_dumpbus"), [path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("corrupt bus at ring offset"))
        // Random garbage in the whole ring: every reader path survives.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let fd = open(path, O_RDWR)
            var junk = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = pwrite(fd, &junk, junk.count, off_t(32 + Int.random(in: 0..<(BusLayout.fileSize - 4200), using: &rng)))
            var hdr = (UInt64.random(in: 0...UInt64.max, using: &rng), UInt32.random(in: 0...BusLayout.dataSize, using: &rng), UInt32.random(in: 0..<BusLayout.dataSize, using: &rng))
            _ = pwrite(fd, &hdr, 16, 8)
            close(fd)
            _ = reader.poll(into: &batch)
            _ = try? w.send([UInt8](repeating: 0x33, count: 64))
            _ = try? BusDump(path: path).frames()
        }
    }
}
