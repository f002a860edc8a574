import Foundation
import TestSupport
import Testing
@testable import Shmif

/// Real processes on one bus file: shmifctl's stress roles.
@Suite(.serialized) struct MultiProcessTests {
    let shmifctl = executable("shmifctl")

    func startReader(_ bus: String, _ extra: [String]) throws -> Background {
        let r = try Background(shmifctl, ["stress-reader", bus] + extra)
        #expect(r.readLine() == "ready")
        return r
    }

    @Test func twoWritersTwoReadersNoTornFramesAndLapsCounted() throws {
        let tmp = TemporaryDirectory()
        let bus = tmp.file("stress.bus")
        _ = try ShmifBus.attach(path: bus)
        let perWriter = 100_000
        let fast = try startReader(bus, ["--writers", "1,2", "--count", "\(perWriter)", "--timeout", "120000"])
        // The slow reader sleeps 3 ms after each poll with a 16 KiB batch: it must be lapped.
        let slow = try startReader(bus, ["--writers", "1,2", "--count", "\(perWriter)", "--timeout", "120000",
                                         "--slow", "3000", "--batch-bytes", "16384"])
        let w1 = try Background(shmifctl, ["stress-writer", bus, "--writer", "1", "--count", "\(perWriter)"])
        let w2 = try Background(shmifctl, ["stress-writer", bus, "--writer", "2", "--count", "\(perWriter)", "--batch", "1"])
        #expect(w1.wait(timeout: 120) == 0)
        #expect(w2.wait(timeout: 120) == 0)
        // The end marker: written after both writers finished, so no reader can miss it.
        #expect(try run(shmifctl, ["send", bus, "--writer", "999"]).status == 0)
        let fastLine = fast.readLine() ?? "", slowLine = slow.readLine() ?? ""
        #expect(fast.wait(timeout: 60) == 0, "\(fastLine)")
        #expect(slow.wait(timeout: 60) == 0, "\(slowLine)")
        for line in [fastLine, slowLine] {
            let kv = keyValues(line)
            #expect(kv["corrupt"] == "0" && kv["reordered"] == "0" && kv["complete"] == "true", "\(line)")
            // Every frame was either received or counted as lost by the reader itself.
            #expect(kv["gaps"] == kv["lost"], "\(line)")
            #expect(Int(kv["received"] ?? "")! + Int(kv["gaps"] ?? "")! == 2 * perWriter, "\(line)")
        }
        #expect(Int(keyValues(slowLine)["laps"] ?? "0")! > 0, "the slow reader was never lapped: \(slowLine)")
        #expect(Int(keyValues(slowLine)["lost"] ?? "0")! > 0)
    }

    @Test func writerKilledWhileHoldingTheLockDoesNotHangTheBus() throws {
        let tmp = TemporaryDirectory()
        let bus = tmp.file("lock.bus")
        _ = try ShmifBus.attach(path: bus)
        let holder = try Background(shmifctl, ["hold-lock", bus])
        #expect(holder.readLine()?.hasPrefix("locked") == true)
        #expect(try ShmifBus.attach(path: bus).header().lock == 1)
        let reader = try Background(shmifctl, ["stress-reader", bus, "--writers", "3", "--count", "2000", "--timeout", "30000"])
        let writer = try Background(shmifctl, ["stress-writer", bus, "--writer", "3", "--count", "2000"])
        usleep(300_000)
        #expect(writer.process.isRunning, "the writer should be stuck behind the live holder")
        holder.kill9()
        #expect(writer.wait(timeout: 20) == 0)
        let writerSteals = Int(keyValues(writer.readLine() ?? "")["steals"] ?? "") ?? -1
        #expect(reader.readLine() == "ready")
        let line = reader.readLine() ?? ""
        #expect(reader.wait(timeout: 20) == 0, "\(line)")
        let kv = keyValues(line)
        // Exactly one of the waiters took the lock over from the dead holder.
        #expect(writerSteals + (Int(kv["steals"] ?? "") ?? -1) == 1)
        #expect(kv["corrupt"] == "0" && kv["complete"] == "true")
        let h = try ShmifBus.attach(path: bus).header()
        #expect(h.lock == 0 && h.spare == 0)
    }

    @Test func writerKilledMidStreamLeavesNoTornFrame() throws {
        let tmp = TemporaryDirectory()
        let bus = tmp.file("kill.bus")
        _ = try ShmifBus.attach(path: bus)
        let reader = try startReader(bus, ["--writers", "5", "--count", "20000", "--timeout", "60000"])
        // Writer 4 sends for ever in single frames and is killed at a random moment;
        // writer 5 must still get all its frames through, none torn.
        let victim = try Background(shmifctl, ["stress-writer", bus, "--writer", "4", "--count", "100000000", "--batch", "1"])
        let survivor = try Background(shmifctl, ["stress-writer", bus, "--writer", "5", "--count", "20000", "--batch", "1"])
        usleep(UInt32.random(in: 50_000...150_000))
        victim.kill9()
        #expect(survivor.wait(timeout: 60) == 0)
        let line = reader.readLine() ?? ""
        #expect(reader.wait(timeout: 30) == 0, "\(line)")
        #expect(keyValues(line)["corrupt"] == "0")
        #expect(keyValues(line)["complete"] == "true")
    }
}
