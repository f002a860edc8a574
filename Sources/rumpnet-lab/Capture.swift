#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Pcap
import RumpLab
import Shmif
import Synchronization
import ToolSupport

/// Set by SIGINT/SIGTERM; the capture loop polls it between short waits. An atomic is
/// what a signal handler may safely touch.
let stopRequested = Atomic<Bool>(false)

/// `capture BUS`: live pcap of a bus, as tcpdump -w would write it.
struct Capture: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Capture a bus's frames live into pcap (a passive reader: it sends nothing).",
        discussion: "Example: rumpnet-lab capture lan0 --lab quickstart -w - | tcpdump -n -r -")
    @Argument(help: "A bus file path, or with --lab the name of a bus of a running lab.") var bus: String
    @Argument(help: "A tcpdump filter expression (e.g. icmp or arp).") var filter: [String] = []
    @Option(name: .customShort("w"), help: ArgumentHelp("The pcap file; - for standard output.", valueName: "file")) var output: String = "-"
    @Option(name: .customShort("c"), help: ArgumentHelp("Stop after this many frames.", valueName: "count")) var count: Int?
    @Option(help: ArgumentHelp("Resolve BUS as a bus of this running lab (its state directory's buses/BUS.bus).", valueName: "name")) var lab: String?
    @Flag(help: "Start at the oldest frame still on the bus instead of the next new one.") var fromStart = false

    func run() throws {
        let tool = "rumpnet-lab capture"
        if let count, count < 1 { errx(64, tool, "-c must be at least 1") }
        if let (state, topology, tapBus) = resolveTapBus(bus, lab: lab) {
            captureTapBus(tapBus, state: state, topology: topology, tool: tool)
        }
        let path = resolveBus(bus, lab: lab, tool: tool)
        let shmif: ShmifBus
        do { shmif = try ShmifBus.attach(path: path) } catch { errx(1, tool, "\(error)") }
        if let p = BusCapture.ringProblem(shmif.header()) { errx(1, tool, "\(path): corrupt ring: \(p)") }
        var pcapFilter: PcapFilter?
        if !filter.isEmpty {
            do { pcapFilter = try PcapFilter(filter.joined(separator: " ")) } catch { errx(1, tool, "\(error)") }
        }
        let writer: PcapWriter
        do { writer = try PcapWriter(path: output, flushEachPacket: output == "-" || isPipe(output)) } catch { errx(1, tool, "\(error)") }
        let capture = try BusCapture(bus: shmif, start: fromStart ? .oldest : .next, writer: writer,
                                     filter: pcapFilter, limit: count)
        installStopHandlers()
        printErr("capturing on \(path), link-type EN10MB (Ethernet), snapshot length \(PcapWriter.defaultSnapLength) bytes")
        capture.run { stopRequested.load(ordering: .relaxed) }
        for line in capture.summary { printErr(line) }
        if let c = capture.corruption { errx(1, tool, c) }
        exitTool(0)
    }

    /// A tap bus: the frames entering the lab's bridge, read in the lab's namespace.
    func captureTapBus(_ tapBus: Bus, state: LabState, topology: Topology, tool: String) -> Never {
        let network = LabNetwork(state: state, topology: topology)
        do { try NetNamespace.enter(path: NetNamespace.path(network.labNamespace)) } catch { errx(1, tool, "\(error)") }
        var pcapFilter: PcapFilter?
        if !filter.isEmpty {
            do { pcapFilter = try PcapFilter(filter.joined(separator: " ")) } catch { errx(1, tool, "\(error)") }
        }
        let writer: PcapWriter
        do { writer = try PcapWriter(path: output, flushEachPacket: output == "-" || isPipe(output)) } catch { errx(1, tool, "\(error)") }
        let capture: TapBusCapture
        do { capture = try TapBusCapture(ports: network.ports(of: tapBus), writer: writer, filter: pcapFilter, limit: count) } catch { errx(1, tool, "\(error)") }
        installStopHandlers()
        printErr("capturing on tap bus \(tapBus.name) (bridge \(network.bridge(of: tapBus)) in namespace \(network.labNamespace), ports \(capture.ports.joined(separator: " "))), link-type EN10MB (Ethernet), snapshot length \(PcapWriter.defaultSnapLength) bytes")
        capture.run { stopRequested.load(ordering: .relaxed) }
        for line in capture.summary { printErr(line) }
        exitTool(0)
    }

    /// SIGINT and SIGTERM only set the flag; the capture loops wait at most 100 ms at a
    /// time. The two are unblocked too, as a parent may hand down a mask that blocks them.
    func installStopHandlers() {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { _ in stopRequested.store(true, ordering: .relaxed) }
            sigaddset(&unblock, sig)
        }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    func isPipe(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO
    }
}

/// BUS as a tap bus of a running lab (named with --lab, or the only lab), if it is one.
func resolveTapBus(_ bus: String, lab: String?) -> (LabState, Topology, Bus)? {
    guard isSafeName(bus), lab != nil || access(bus, F_OK) != 0 else { return nil }
    var name = lab
    if name == nil {
        let labs = LabState.labs()
        guard labs.count == 1 else { return nil }
        name = labs[0]
    }
    guard let name, let state = try? LabState(lab: name), (try? state.checkTrusted()) != nil,
          let t = TopologyLoader.load(file: state.topologyFile).topology, let b = t.bus(named: bus), b.kind == .tap else { return nil }
    return (state, t, b)
}

/// BUS as given, or with --lab the bus of that running lab (its fixed path if the saved
/// topology gives one, else buses/BUS.bus). Exits if there is no such file: attaching
/// would create one, and reading tools must never create a bus by accident.
func resolveBus(_ bus: String, lab: String?, tool: String) -> String {
    var path = bus
    // A bare name that is not a file: a bus of the only lab there is.
    var lab = lab
    if lab == nil, access(bus, F_OK) != 0, !bus.contains("/") {
        let labs = LabState.labs()
        if labs.count == 1 { lab = labs[0] }
    }
    if let lab {
        let state: LabState
        do { state = try LabState(lab: lab) } catch { errx(1, tool, "\(error)") }
        guard isSafeName(bus) else { errx(1, tool, "unsafe bus name \"\(bus)\"") }
        path = state.busPath(named: bus)
        if let t = TopologyLoader.load(file: state.topologyFile).topology, let b = t.bus(named: bus) {
            if b.kind == .tap {
                errx(1, tool, "bus \(bus) of lab \(lab) is a tap bus (a Linux bridge): it keeps no frames to read; capture it live with `rumpnet-lab capture \(bus) --lab \(lab)`")
            }
            path = state.busPath(b)
        }
    }
    guard access(path, F_OK) == 0 else { errx(1, tool, "\(path): no such bus") }
    return path
}
