// rumpnet-lab: the lab runner. Topology work (validate, graph) and bus capture live in
// RumpLab; up/down/status need the kernel servers and come later (docs/TOPOLOGY.md). The
// bus demo that the README's main command runs and the post-mortem dump stay here.
#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Pcap
import RumpLab
import Shmif
import ToolSupport

struct RumpnetLab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rumpnet-lab",
        abstract: "A virtual network lab of rump-style kernels on shmif buses.",
        subcommands: [Up.self, Down.self, Status.self, Exec.self, Shell.self, CheckCommand.self, Validate.self, Graph.self,
                      Capture.self, Dumpbus.self, Demo.self, DemoNode.self])
}

/// Two processes on one bus: "a" sends numbered hello frames, "b" answers each one;
/// then the bus is dumped to a pcap file that tcpdump can read.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a two-process bus demo and write its pcap.")
    @Option(help: "Directory for the bus file and the pcap.") var output = "lab-output"
    @Option(help: "Frames node a sends.") var count = 5

    func run() throws {
        mkdir(output, 0o755)
        let bus = "\(output)/demo.bus", pcap = "\(output)/demo.pcap"
        unlink(bus)
        _ = try ShmifBus.attach(path: bus)
        printOut("bus \(bus): created")
        let b = try spawnSelf(["demo-node", bus, "--name", "b", "--answer", String(count)])
        usleep(100_000)  // let b attach before a speaks
        let a = try spawnSelf(["demo-node", bus, "--name", "a", "--send", String(count)])
        let sa = waitChild(a), sb = waitChild(b)
        guard sa == 0 && sb == 0 else { errx(1, "rumpnet-lab", "demo nodes failed (a: \(sa), b: \(sb))") }
        let dump = try BusDump(path: bus)
        let writer = try PcapWriter(path: pcap)
        var frames = 0
        try dump.walk { f, bytes in
            writer.write(bytes, seconds: Int(f.seconds), microseconds: Int(f.microseconds))
            frames += 1
        }
        writer.flush()
        printOut("\(pcap): \(frames) frames (read it with: tcpdump -n -e -r \(pcap))")
        exitTool(0)
    }
}

struct DemoNode: ParsableCommand {
    static let configuration = CommandConfiguration(shouldDisplay: false)
    @Argument var bus: String
    @Option var name: String
    @Option var send = 0
    @Option var answer = 0

    func frame(from mac: UInt8, to dst: [UInt8], text: String) -> [UInt8] {
        var f = dst + [0xb2, 0xa0, 0, 0, 0, mac] + [0x88, 0xb5]
        f += Array(text.utf8)
        while f.count < 60 { f.append(0) }
        return f
    }

    func run() throws {
        let b = try ShmifBus.attach(path: bus)
        let me = UInt64.random(in: 1...UInt64.max)
        let writer = BusWriter(bus: b, senderID: me)
        let reader = try BusReader(bus: b, ownSenderID: me)
        var batch = FrameBatch()
        let broadcast = [UInt8](repeating: 0xff, count: 6)
        let myMAC: UInt8 = name == "a" ? 1 : 2
        var answered = 0, heard = 0
        for i in 0..<send {
            try writer.send(frame(from: myMAC, to: broadcast, text: "hello \(i) from \(name)"))
            // wait for the answer before the next hello
            while heard <= i {
                guard reader.receive(into: &batch, timeoutMilliseconds: 2000) > 0 else { errx(1, "demo-node \(name)", "no answer") }
                heard += batch.count
            }
        }
        while answered < answer {
            guard reader.receive(into: &batch, timeoutMilliseconds: 5000) > 0 else { errx(1, "demo-node \(name)", "no hello") }
            for i in 0..<batch.count {
                let src = Array(batch.frame(i)[6..<12])
                try writer.send(frame(from: myMAC, to: src, text: "answer \(answered) from \(name)"))
                answered += 1
            }
        }
        printOut("node \(name): sent \(writer.framesSent), received \(reader.framesReceived)")
        exitTool(0)
    }
}

struct Dumpbus: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a bus's frames to a pcap file (post-mortem).")
    @Argument(help: "A bus file path, or with --lab the name of a bus of a running lab.") var bus: String
    @Option(name: .short, help: "The pcap file; - for standard output.") var pcapFile: String = "-"
    @Option(help: ArgumentHelp("Resolve BUS as a bus of this running lab.", valueName: "name")) var lab: String?
    func run() throws {
        let path = resolveBus(bus, lab: lab, tool: "rumpnet-lab dumpbus")
        let dump: BusDump
        do { dump = try BusDump(path: path) } catch { errx(1, "rumpnet-lab", "\(error)") }
        let writer = try PcapWriter(path: pcapFile)
        try dump.walk { f, bytes in writer.write(bytes, seconds: Int(f.seconds), microseconds: Int(f.microseconds)) }
        writer.flush()
        exitTool(0)
    }
}

func spawnSelf(_ args: [String]) throws -> pid_t {
    OutputStream.standardOutput.flush()
    let exe = "/proc/self/exe"
    let argv = ([exe] + args).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, exe, nil, nil, argv, environ)
    guard rc == 0 else { throw ValidationError("posix_spawn: \(String(cString: strerror(rc)))") }
    return pid
}

func waitChild(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

RumpnetLab.main()
