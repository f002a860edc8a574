import Foundation
import TestSupport
import Testing
@testable import RumpLab

/// What users and accidents do to a lab (issue 8), with real processes: `up` interrupted or
/// run twice, a stopped node, a pid file naming another process, an untrusted state
/// directory, a deleted bus file, dead nodes, bad files given to validate. Every test has
/// its own RUMPNET_LAB_STATE and checks that nothing is left behind. Timeouts here are hang
/// guards only.
@Suite(.serialized) struct HardeningTests {
    typealias Sandbox = LabRunnerTests.Sandbox
    let lab = executable("rumpnet-lab")
    let examples = repositoryRoot.appendingPathComponent("topologies")

    func topology(_ file: String) -> String { examples.appendingPathComponent(file).path }

    /// Polls `condition` until it holds or `timeout` seconds pass (a hang guard).
    func eventually(_ timeout: Double = 30, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() { if Date() > deadline { return false }; usleep(5000) }
        return true
    }

    func pid(_ path: String) -> Int32? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    func stateEntries(_ box: Sandbox) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: box.dir.path + "/state")) ?? []
    }

    /// Nothing of the sandbox's labs left: no kernel process, no state directory, no socket,
    /// no bus file, no lock file.
    func expectNothingLeft(_ box: Sandbox, _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(box.leftovers.isEmpty, "\(context): kernels left: \(box.leftovers)", sourceLocation: sourceLocation)
        #expect(stateEntries(box).isEmpty, "\(context): left in the state base: \(stateEntries(box))", sourceLocation: sourceLocation)
    }

    // MARK: item 2: an interrupted `up`

    /// `up star-50` killed 20-200 ms into its work (once its state directory exists), with
    /// SIGKILL (then `down`) or SIGTERM or SIGINT (which undo it by themselves): no kernel survives.
    @Test(arguments: [SIGKILL, SIGTERM, SIGINT])
    func interruptedUpLeavesNothingAfterDown(signal: Int32) throws {
        let box = Sandbox()
        for delay in [20, 60, 120, 200] {
            let up = try Background(lab, ["up", topology("star-50.json")], environment: box.env)
            #expect(eventually { FileManager.default.fileExists(atPath: box.dir.path + "/state/star-50/nodes") || !up.process.isRunning })
            usleep(useconds_t(delay * 1000))
            kill(up.pid, signal)
            let status = up.wait(timeout: 60)
            let err = String(decoding: up.remainingErrorOutput(), as: UTF8.self)
            if signal != SIGKILL, status != 0 {
                // Interrupted (not finished before the signal came): it stopped its kernels itself.
                #expect(status == 128 + signal, "\(err)")
                #expect(err.contains("interrupted by signal \(signal); lab star-50 stopped and its state removed"), "\(err)")
                #expect(box.leftovers.isEmpty, "after signal \(signal) at \(delay) ms: kernels \(box.leftovers) left; \(err)")
            }
            let down = try run(lab, ["down", "star-50"], environment: box.env, timeout: 60)
            #expect(down.status == 0 || down.stderr.contains("no lab named star-50"), "\(down)")
            expectNothingLeft(box, "signal \(signal) after \(delay) ms")
        }
    }

    /// The state directory removed by hand under a running lab: `down LAB` still finds the
    /// kernels (by their arguments in /proc) and stops them.
    @Test func downFindsKernelsWhoseStateDirectoryWasRemoved() throws {
        let box = Sandbox()
        #expect(try run(lab, ["up", topology("quickstart.json")], environment: box.env, timeout: 60).status == 0)
        #expect(box.leftovers.count == 2)
        try FileManager.default.removeItem(atPath: box.dir.path + "/state/quickstart")
        let down = try run(lab, ["down", "quickstart"], environment: box.env, timeout: 60)
        #expect(down.status == 0, "\(down)")
        #expect(eventually { box.leftovers.isEmpty })
        expectNothingLeft(box, "after down of a lab without its state directory")
    }

    // MARK: item 3: one lab, one owner

    @Test func fourConcurrentUpsOneWinsNothingOrphaned() throws {
        let box = Sandbox()
        let ups = try (0..<4).map { _ in try Background(lab, ["up", topology("quickstart.json")], environment: box.env) }
        let results = ups.map { $0.finish(timeout: 60) }
        let winners = results.filter { $0.status == 0 }
        #expect(winners.count == 1, "\(results)")
        for r in results where r.status != 0 {
            #expect(r.status == 1)
            // Refused at once while the winner held the lock, or (if it came later) told the lab runs.
            #expect(r.stderr.contains("lab quickstart is busy: another rumpnet-lab (pid ") || r.stderr.contains("lab quickstart is already running"),
                    "\(r.stderr)")
        }
        #expect(box.leftovers.count == 2)
        let status = try run(lab, ["status", "quickstart"], environment: box.env, timeout: 30)
        #expect(status.status == 0, "\(status)")
        #expect(try run(lab, ["check", "quickstart"], environment: box.env, timeout: 30).status == 0)
        #expect(try run(lab, ["down", "quickstart"], environment: box.env, timeout: 60).status == 0)
        expectNothingLeft(box, "after four ups and a down")
    }

    /// Deterministic: an `up` held still (SIGSTOP) while it owns the lab. A second `up` is
    /// refused at once naming the holder's pid; `down` interrupts the holder and takes the
    /// lab down.
    @Test func aSecondUpIsRefusedAndDownInterruptsTheHolder() throws {
        let box = Sandbox()
        let holder = try Background(lab, ["up", topology("star-50.json")], environment: box.env)
        #expect(eventually { FileManager.default.fileExists(atPath: box.dir.path + "/state/star-50/topology.json") || !holder.process.isRunning })
        kill(holder.pid, SIGSTOP)
        defer { kill(holder.pid, SIGCONT) }
        let second = try run(lab, ["up", topology("star-50.json")], environment: box.env, timeout: 30)
        #expect(second.status == 1)
        #expect(second.stderr.contains("lab star-50 is busy: another rumpnet-lab (pid \(holder.pid)) is bringing it up or down"), "\(second.stderr)")
        // The state directory is still the holder's.
        #expect(FileManager.default.fileExists(atPath: box.dir.path + "/state/star-50/topology.json"))
        let down = try run(lab, ["down", "star-50"], environment: box.env, timeout: 90)
        #expect(down.status == 0, "\(down)")
        #expect(down.stderr.contains("interrupting `up` of lab star-50 (pid \(holder.pid))"), "\(down.stderr)")
        #expect(holder.wait(timeout: 30) == 128 + SIGTERM)
        expectNothingLeft(box, "after down interrupted the holder")
    }

    // MARK: item 4: a stopped node

    @Test func aStoppedNodeNeitherHangsStatusNorDown() throws {
        let box = Sandbox()
        #expect(try run(lab, ["up", topology("quickstart.json")], environment: box.env, timeout: 60).status == 0)
        let b = try #require(pid(box.dir.path + "/state/quickstart/nodes/b.pid"))
        kill(b, SIGSTOP)
        defer { kill(b, SIGKILL) }
        // Without client timeouts these two never return (the hang guard throws).
        let status = try run(lab, ["status", "quickstart"], environment: box.env, timeout: 30)
        #expect(status.status == 1)
        let row = status.stdout.split(separator: "\n").first { $0.hasPrefix("b ") }
        #expect(row?.contains("not answering") == true, "\(status.stdout)")
        #expect(status.stdout.contains("node b (unix://\(box.dir.path)/state/quickstart/nodes/b.sock): no answer within 2.0 s"), "\(status.stdout)")
        #expect(status.stdout.split(separator: "\n").contains { $0.hasPrefix("a ") && $0.contains(" running ") })
        let json = try run(lab, ["status", "--json", "quickstart"], environment: box.env, timeout: 30)
        let nodes = try #require((try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])?["nodes"] as? [[String: Any]])
        #expect(nodes.first { $0["node"] as? String == "b" }?["state"] as? String == "not answering")
        let down = try run(lab, ["down", "quickstart"], environment: box.env, timeout: 60)
        #expect(down.status == 0, "\(down)")
        #expect(!HostProcess.isAlive(b))
        expectNothingLeft(box, "after down of a lab with a stopped node")
    }

    // MARK: item 6: pid reuse

    @Test func downDoesNotKillAProcessThatReusedAPid() throws {
        let box = Sandbox()
        #expect(try run(lab, ["up", topology("quickstart.json")], environment: box.env, timeout: 60).status == 0)
        let pidFile = box.dir.path + "/state/quickstart/nodes/b.pid"
        let b = try #require(pid(pidFile))
        kill(b, SIGKILL)
        #expect(eventually { !HostProcess.isAlive(b) })
        // An unrelated process now has the pid the file names.
        let bystander = try Background("/bin/sleep", ["1000"])
        try "\(bystander.pid)\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        let status = try run(lab, ["status", "quickstart"], environment: box.env, timeout: 30)
        #expect(status.stdout.contains("node b of lab quickstart is dead (pid \(bystander.pid) is now another process (/bin/sleep 1000))"), "\(status.stdout)")
        let down = try run(lab, ["down", "quickstart"], environment: box.env, timeout: 60)
        #expect(down.status == 0)
        #expect(down.stderr.contains("nodes/b.pid: pid \(bystander.pid) is not node b's kernel (it is `/bin/sleep 1000`); left alone"), "\(down.stderr)")
        #expect(bystander.process.isRunning, "down killed an unrelated process")
        expectNothingLeft(box, "after down with a reused pid")
    }

    // MARK: item 7: the state directory

    @Test func anUntrustedStateDirectoryIsRefused() throws {
        let box = Sandbox()
        let base = box.dir.path + "/state"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        // Owned by another user.
        #expect(chown(base, 65534, 65534) == 0)
        let r = try run(lab, ["up", topology("quickstart.json")], environment: box.env, timeout: 30)
        #expect(r.status == 1)
        #expect(r.stderr.contains("state base directory \(base) is owned by uid 65534, not by you (uid \(getuid())); refusing it"), "\(r.stderr)")
        #expect(box.leftovers.isEmpty)
        #expect(stateEntries(box).isEmpty)
        // Ours, but writable by everyone.
        #expect(chown(base, getuid(), getgid()) == 0)
        #expect(chmod(base, 0o777) == 0)
        let w = try run(lab, ["up", topology("quickstart.json")], environment: box.env, timeout: 30)
        #expect(w.status == 1)
        #expect(w.stderr.contains("state base directory \(base) is writable by group and others (mode 0777); refusing it"), "\(w.stderr)")
        let d = try run(lab, ["down", "quickstart"], environment: box.env, timeout: 30)
        #expect(d.status == 1 && d.stderr.contains("writable by group and others"), "\(d)")
        #expect(box.leftovers.isEmpty)
        // The lab's own directory owned by another user, in a good base.
        #expect(chmod(base, 0o700) == 0)
        try FileManager.default.createDirectory(atPath: base + "/quickstart", withIntermediateDirectories: false)
        #expect(chown(base + "/quickstart", 65534, 65534) == 0)
        let l = try run(lab, ["up", topology("quickstart.json")], environment: box.env, timeout: 30)
        #expect(l.status == 1)
        #expect(l.stderr.contains("\(base)/quickstart"), "\(l.stderr)")
        #expect(l.stderr.contains("owned by"), "\(l.stderr)")
        #expect(box.leftovers.isEmpty)
        // Refused, and left as it was: not removed as a crashed lab's leftovers.
        var st = stat()
        #expect(stat(base + "/quickstart", &st) == 0 && st.st_uid == 65534)
        rmdir(base + "/quickstart")
    }

    // MARK: item 9: clear errors

    @Test func validateRefusesFIFOsDirectoriesAndDevicesWithoutBlocking() throws {
        let box = Sandbox()
        let fifo = box.dir.file("topology.json")
        #expect(mkfifo(fifo, 0o600) == 0)
        // Opening a FIFO for reading waits for a writer: the hang guard catches that.
        let f = try run(lab, ["validate", fifo], timeout: 30)
        #expect(f.status == 1)
        #expect(f.stderr == "\(fifo): is a FIFO (named pipe), not a regular file (a topology is a JSON or YAML file)\n")
        let d = try run(lab, ["validate", box.dir.path], timeout: 30)
        #expect(d.stderr == "\(box.dir.path): is a directory, not a regular file (a topology is a JSON or YAML file)\n")
        let z = try run(lab, ["validate", "/dev/zero"], timeout: 30)
        #expect(z.status == 1 && z.stderr == "/dev/zero: is a character device, not a regular file (a topology is a JSON or YAML file)\n")
    }

    @Test func validateReportsRangesLongSocketPathsAndMixedSubnets() throws {
        let box = Sandbox()
        let big = box.dir.write("big.json", """
        {"name": "big", "buses": {"lan0": {"kind": "shmif"}},
         "nodes": {"a": {"interfaces": [{"bus": "lan0", "mtu": 70000, "addresses": ["10.0.0.1/24"]}]},
                   "b": {"interfaces": [{"bus": "lan0", "mtu": 99999999999999999999, "addresses": ["10.0.0.2/24"]}]}}}
        """)
        let r = try run(lab, ["validate", big], timeout: 30)
        #expect(r.status == 1)
        #expect(r.stderr.contains("nodes.a.interfaces[0].mtu: 70000 is out of range for a shmif interface (68...1500)"), "\(r.stderr)")
        #expect(r.stderr.contains("nodes.b.interfaces[0].mtu: 99999999999999999999 is out of range"), "\(r.stderr)")
        #expect(!r.stderr.contains("expected an integer, got integer"))
        let mixed = box.dir.write("mixed.json", """
        {"name": "mixed", "buses": {"lan0": {"kind": "shmif"}},
         "nodes": {"a": {"interfaces": [{"bus": "lan0", "addresses": ["10.0.0.1/24"]}]},
                   "b": {"interfaces": [{"bus": "lan0", "addresses": ["10.0.1.2/24"]}]}}}
        """)
        let m = try run(lab, ["validate", mixed], timeout: 30)
        #expect(m.status == 0, "a warning is not an error")
        #expect(m.stderr == "\(mixed): buses.lan0: warning: nodes on this bus are in different subnets: a.shmif0 has 10.0.0.1/24, b.shmif0 has 10.0.1.2/24; they cannot reach each other directly on it\n")
        let deep = box.dir.path + "/" + String(repeating: "d", count: 90)
        var env = box.env
        env["RUMPNET_LAB_STATE"] = deep
        let long = try run(lab, ["validate", topology("quickstart.json")], environment: env, timeout: 30)
        #expect(long.status == 1)
        #expect(long.stderr.contains("nodes.a: socket path \(deep)/quickstart/nodes/a.sock is longer than 107 bytes"), "\(long.stderr)")
    }

    @Test func execAndCheckOnADeadNodeSaySo() throws {
        let box = Sandbox()
        #expect(try run(lab, ["up", topology("quickstart.json")], environment: box.env, timeout: 60).status == 0)
        defer { _ = try? run(lab, ["down", "quickstart"], environment: box.env, timeout: 60) }
        let a = try #require(pid(box.dir.path + "/state/quickstart/nodes/a.pid"))
        kill(a, SIGKILL)
        #expect(eventually { !HostProcess.isAlive(a) })
        let e = try run(lab, ["exec", "a", "--", "sysctl", "kern.hostname"], environment: box.env, timeout: 30)
        #expect(e.status == 1)
        #expect(e.stderr.contains("node a of lab quickstart is dead (pid \(a) has exited)"), "\(e.stderr)")
        let c = try run(lab, ["check", "quickstart"], environment: box.env, timeout: 30)
        #expect(c.status == 1)
        #expect(c.stdout.contains("node a of lab quickstart is dead (pid \(a) has exited)"), "\(c.stdout)")
        #expect(c.stdout.contains("FAIL"))
    }

    @Test func captureOnACorruptRingSaysSo() throws {
        let box = Sandbox()
        let bus = box.dir.file("bad.bus")
        // A bus file with a valid header whose lastoff points past the ring.
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
        func put(_ v: UInt32, at o: Int) { withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { bytes[o + i] = b } } }
        put(0xCA11_D054, at: 0)
        put(3, at: 4)
        put(0x10, at: 16)
        put(0xFFFF_FFF0, at: 20)
        #expect(FileManager.default.createFile(atPath: bus, contents: Data(bytes)))
        let r = try run(lab, ["capture", bus, "-w", box.dir.file("out.pcap"), "-c", "1"], timeout: 30)
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(bus): corrupt ring: lastoff 0xfffffff0 beyond the ring (size 0xfffe0)"), "\(r.stderr)")
    }

    // MARK: item 10: bus files

    @Test func busFilesArePrivateAndADeletedBusShowsInStatus() throws {
        let box = Sandbox()
        #expect(try run(lab, ["up", topology("quickstart.json")], environment: box.env, timeout: 60).status == 0)
        defer { _ = try? run(lab, ["down", "quickstart"], environment: box.env, timeout: 60) }
        let path = box.dir.path + "/state/quickstart/buses/lan0.bus"
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600, "bus file mode \(String(st.st_mode & 0o777, radix: 8))")
        #expect(try run(lab, ["status"], environment: box.env, timeout: 30).status == 0)
        #expect(unlink(path) == 0)
        let s = try run(lab, ["status"], environment: box.env, timeout: 30)
        #expect(s.status == 1)
        #expect(s.stdout.contains("bus lan0 missing: bus file \(path) is missing; nodes a, b still have the deleted file mapped: the bus is split"), "\(s.stdout)")
        let json = try run(lab, ["status", "--json"], environment: box.env, timeout: 30)
        let buses = try #require((try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])?["buses"] as? [[String: Any]])
        #expect(buses.first?["state"] as? String == "missing")
        // A new file at the path (what a later attach would create): the kernels still have the old one.
        #expect(FileManager.default.createFile(atPath: path, contents: Data(count: 1 << 20)))
        let r = try run(lab, ["status", "--json"], environment: box.env, timeout: 30)
        let rb = try #require((try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])?["buses"] as? [[String: Any]])
        #expect(rb.first?["state"] as? String == "replaced", "\(r.stdout)")
    }

    // MARK: acceptance: the soak

    /// A 20-node lab up and down 50 times; in a third of the rounds `up` is SIGKILLed at a
    /// random point (then `down`). After every round nothing is left.
    @Test func soakTwentyNodesFiftyRoundsWithKilledUps() throws {
        let box = Sandbox()
        var nodes: [String] = []
        for i in 1...20 {
            nodes.append("\"n\(i)\": {\"interfaces\": [{\"bus\": \"lan\(i % 2)\", \"addresses\": [\"10.0.\(i % 2).\(i)/24\"]}]}")
        }
        let file = box.dir.write("soak.json", """
        {"name": "soak", "buses": {"lan0": {"kind": "shmif"}, "lan1": {"kind": "shmif"}},
         "nodes": {\(nodes.joined(separator: ",\n"))},
         "checks": [{"from": "n2", "ping": "n4", "count": 1}, {"from": "n1", "ping": "n3", "count": 1}]}
        """)
        var generator = SystemRandomNumberGenerator()
        var killedRounds = 0, completeRounds = 0
        let started = Date()
        for round in 0..<50 {
            if round % 3 == 0 {
                let up = try Background(lab, ["up", file], environment: box.env)
                // A random point: from before the state directory exists to configuration.
                usleep(UInt32.random(in: 50_000...600_000, using: &generator))
                kill(up.pid, SIGKILL)
                _ = up.wait(timeout: 30)
                killedRounds += 1
                let down = try run(lab, ["down", "soak"], environment: box.env, timeout: 60)
                #expect(down.status == 0 || down.stderr.contains("no lab named soak"), "round \(round): \(down)")
            } else {
                let up = try run(lab, ["up", file], environment: box.env, timeout: 60)
                #expect(up.status == 0, "round \(round): \(up.stderr)")
                #expect(box.leftovers.count == 20, "round \(round)")
                completeRounds += 1
                #expect(try run(lab, ["down", "soak"], environment: box.env, timeout: 60).status == 0)
            }
            expectNothingLeft(box, "round \(round)")
            if !box.leftovers.isEmpty || !stateEntries(box).isEmpty { break }
        }
        print("soak: \(completeRounds) complete rounds, \(killedRounds) with up killed, \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        #expect(Date().timeIntervalSince(started) < 900, "hang guard")
    }
}
