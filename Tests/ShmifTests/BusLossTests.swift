import Foundation
import TestSupport
import Testing
@testable import Shmif
#if canImport(Glibc)
import Glibc
#endif

/// A bus file that changes under its attachers (docs/shmif.md, "A bus that changes under a
/// kernel"), in this process on real files: without the SIGBUS guard each of these accesses
/// kills the test process.
@Suite(.serialized) struct BusLossTests {
    func frame(_ n: Int) -> [UInt8] { [UInt8](repeating: 0xff, count: 12) + [0x08, 0x00] + [UInt8](repeating: 7, count: n - 14) }

    @Test func sendAfterTruncationFaultsIntoPrivatePagesNotSIGBUS() throws {
        let tmp = TemporaryDirectory()
        let path = tmp.file("bus")
        let bus = try ShmifBus.attach(path: path)
        let w = BusWriter(bus: bus, senderID: 1)
        try w.send(frame(100))
        #expect(bus.faulted == false)
        #expect(truncate(path, 0) == 0)
        // No fstat first: the lock word itself is past the end of the file now.
        try? w.send(frame(1500))
        #expect(bus.faulted)
        #expect(bus.validate() == .faulted)
        // The file is left alone from now on: the wakeup write would have grown it to 8 bytes.
        try? w.send(frame(100))
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_size == 0)
    }

    @Test func readerOfABusShrunkToOnePage() throws {
        let tmp = TemporaryDirectory()
        let path = tmp.file("bus")
        let bus = try ShmifBus.attach(path: path)
        let w = BusWriter(bus: bus, senderID: 1)
        let r = try BusReader(bus: bus, ownSenderID: 2)
        for _ in 0..<10 { try w.send(frame(1500)) }   // frames past the first page
        #expect(truncate(path, 4096) == 0)
        #expect(bus.validate() == .shrunk(size: 4096))
        var batch = FrameBatch()
        // Polling a bus given up reads private zero pages: nothing, and no fault.
        #expect(r.poll(into: &batch) == 0)
        #expect(bus.faulted)
    }

    @Test func faultCaughtWhileReadingIsReportedAfterThePoll() throws {
        let tmp = TemporaryDirectory()
        let path = tmp.file("bus")
        let bus = try ShmifBus.attach(path: path)
        let w = BusWriter(bus: bus, senderID: 1)
        let r = try BusReader(bus: bus, ownSenderID: 2)
        for _ in 0..<10 { try w.send(frame(1500)) }
        #expect(truncate(path, 4096) == 0)
        var batch = FrameBatch()
        _ = r.pollIfFree(into: &batch)  // touches the ring past 4096: caught
        #expect(bus.faulted)
        #expect(bus.validate() == .faulted)
    }

    @Test func validateNamesAnOverwrittenOrCorruptHeader() throws {
        let tmp = TemporaryDirectory()
        let path = tmp.file("bus")
        let bus = try ShmifBus.attach(path: path)
        #expect(bus.validate() == nil)
        let fd = open(path, O_RDWR)
        defer { close(fd) }
        var offsets: [UInt32] = [0xFFFF_FFF0, 0x7FFF_FFFF]
        #expect(pwrite(fd, &offsets, 8, 16) == 8)
        #expect(bus.validate() == .corruptHeader(first: 0xFFFF_FFF0, last: 0x7FFF_FFFF))
        #expect(BusLoss.corruptHeader(first: 0xFFFF_FFF0, last: 0x7FFF_FFFF).description
                == "bus header corrupt (shm_first 0xfffffff0, shm_last 0x7fffffff; the ring is 0xfffe0 bytes)")
        let other = try ShmifBus.attach(path: tmp.file("bus2"))
        let fd2 = open(tmp.file("bus2"), O_RDWR)
        defer { close(fd2) }
        var magic: UInt32 = 0x4141_4141
        #expect(pwrite(fd2, &magic, 4, 0) == 4)
        #expect(other.validate() == .notMagical(0x4141_4141))
    }

    @Test func corruptOffsetsAreRefusedByWritersAndSkippedByReaders() throws {
        let tmp = TemporaryDirectory()
        let path = tmp.file("bus")
        let bus = try ShmifBus.attach(path: path)
        let w = BusWriter(bus: bus, senderID: 1)
        let r = try BusReader(bus: bus, ownSenderID: 2)
        try w.send(frame(100))
        let fd = open(path, O_RDWR)
        defer { close(fd) }
        var offsets: [UInt32] = [0xFFFF_FFF0, 0x7FFF_FFFF]
        #expect(pwrite(fd, &offsets, 8, 16) == 8)
        #expect(throws: ShmifError.self) { try w.send(frame(100)) }
        var batch = FrameBatch()
        #expect(r.poll(into: &batch) == 0)
        #expect(r.malformed > 0)
    }

    @Test func boundedTriesGiveUpOnALiveHolderAndRobADeadOne() throws {
        let tmp = TemporaryDirectory()
        let path = tmp.file("bus")
        let bus = try ShmifBus.attach(path: path)
        let w = BusWriter(bus: bus, senderID: 1)
        let r = try BusReader(bus: bus, ownSenderID: 2, retryTimer: true)
        let holder = try Background(executable("shmifctl"), ["hold-lock", path])
        #expect(holder.readLine()?.hasPrefix("locked") == true)
        var batch = FrameBatch()
        let f = frame(100)
        #expect(try f.withUnsafeBytes { try w.sendIfFree($0) } == false)
        #expect(r.pollIfFree(into: &batch) == nil)
        #expect(w.framesSent == 0)
        // The retry timer makes the watch's descriptor readable without any bus write.
        #expect(r.watch!.armRetry(nanoseconds: 1_000_000))
        #expect(r.watch!.wait(timeoutMilliseconds: 20_000))
        holder.kill9()
        // Dead holder: a bounded try more than 100 ms after the first failed one takes over.
        var sent = false
        for _ in 0..<2000 where !sent {
            sent = try f.withUnsafeBytes { try w.sendIfFree($0) }
            if !sent { usleep(5_000) }
        }
        #expect(sent)
        #expect(bus.lockSteals == 1)
        #expect(r.pollIfFree(into: &batch) == 1)
    }

    @Test func anUninitialisedBusWithItsLockSetIsRefusedNotWaitedFor() throws {
        let tmp = TemporaryDirectory()
        let path = tmp.file("bus")
        var bytes = [UInt8](repeating: 0, count: BusLayout.fileSize)
        bytes[BusLayout.lockOffset] = 1
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        #expect(throws: ShmifError(path: path, reason: .corrupt("uninitialised bus with its lock word set (offset 24); nothing can hold it"))) {
            _ = try ShmifBus.attach(path: path)
        }
    }
}
