// rumpnet-lab: the lab runner. The logic lives in RumpLab (topologies, LabRunner, capture);
// these are the commands (docs/TOPOLOGY.md).
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
        abstract: "A virtual network lab of rump-style kernels and Linux hosts on shmif buses and Linux taps.",
        subcommands: [Up.self, Down.self, Status.self, Exec.self, Shell.self, CheckCommand.self, Validate.self, Graph.self,
                      Capture.self, Dumpbus.self, KeepAwake.self, TapBridgeCommand.self, Impair.self, Link.self])
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

RumpnetLab.main()
