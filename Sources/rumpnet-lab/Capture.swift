#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Pcap
import RumpLab
import RumpProtocol
import Shmif
import Synchronization
import ToolSupport

/// Set by SIGINT/SIGTERM; the capture loop polls it between short waits. An atomic is
/// what a signal handler may safely touch.
let stopRequested = Atomic<Bool>(false)

/// `capture BUS`: live pcap of a bus, as tcpdump -w would write it; `capture NODE:IFACE`: one
/// interface of a running node, captured inside its kernel.
struct Capture: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Capture a bus's frames live into pcap (a passive reader: it sends nothing), or a node's interface inside its kernel.",
        discussion: """
            Examples: rumpnet-lab capture lan0 --lab quickstart -w - | tcpdump -n -r -
                      rumpnet-lab capture a:shmif0 --point stack --pcapng -w a.pcapng icmp
            NODE:IFACE (any interface: shmif, virt, lo) is captured by the node's kernel, at the wire side of a \
            link impairment (what the medium carries: the default) or at the stack side (--point stack).
            """)
    @Argument(help: "A bus file path, or with --lab the name of a bus of a running lab; or NODE:IFACE.") var bus: String
    @Argument(help: "A tcpdump filter expression (e.g. icmp or arp).") var filter: [String] = []
    @Option(name: .customShort("w"), help: ArgumentHelp("The pcap file; - for standard output.", valueName: "file")) var output: String = "-"
    @Option(name: .customShort("c"), help: ArgumentHelp("Stop after this many frames.", valueName: "count")) var count: Int?
    @Option(help: ArgumentHelp("Resolve BUS as a bus of this running lab (its state directory's buses/BUS.bus).", valueName: "name")) var lab: String?
    @Flag(help: "Start at the oldest frame still on the bus instead of the next new one.") var fromStart = false
    @Flag(help: "NODE:IFACE only: write pcapng (the interface's name, directions, the kernel's drop counts) instead of pcap.") var pcapng = false
    @Option(help: ArgumentHelp("NODE:IFACE only: wire (beneath a link impairment: what the medium carries) or stack (above it).", valueName: "wire|stack")) var point: String = "wire"
    @Option(name: .customShort("s"), help: ArgumentHelp("NODE:IFACE only: bytes kept of each frame.", valueName: "snaplen")) var snapLength: Int = Int(CaptureRequest.defaultSnapLength)
    @Option(name: .customShort("B"), help: ArgumentHelp("NODE:IFACE only: the kernel's buffer in KiB (frames that find it full are dropped and counted).", valueName: "KiB")) var bufferKiB: Int = Int(CaptureRequest.defaultBufferBytes / 1024)

    func run() throws {
        let tool = "rumpnet-lab capture"
        if let count, count < 1 { errx(64, tool, "-c must be at least 1") }
        if let (node, iface) = interfaceArgument(bus) { captureInterface(node: node, interface: iface, tool: tool) }
        if pcapng || point != "wire" || snapLength != Int(CaptureRequest.defaultSnapLength) || bufferKiB != Int(CaptureRequest.defaultBufferBytes / 1024) {
            errx(64, tool, "--pcapng, --point, -s and -B are for NODE:IFACE captures; \(bus) is a bus")
        }
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

    /// NODE:IFACE (not a file; NODE a plain name): the node and the interface.
    func interfaceArgument(_ arg: String) -> (String, String)? {
        guard !arg.contains("/"), access(arg, F_OK) != 0, let colon = arg.firstIndex(of: ":") else { return nil }
        return (String(arg[..<colon]), String(arg[arg.index(after: colon)...]))
    }

    /// `capture NODE:IFACE`: the node's kernel taps the interface and streams the frames here.
    func captureInterface(node: String, interface: String, tool: String) -> Never {
        let place = "\(node):\(interface)"
        guard !node.isEmpty, !interface.isEmpty else { errx(64, tool, "\(place): expected NODE:IFACE (a:shmif0, a:lo0)") }
        guard let p = CapturePoint(name: point) else { errx(64, tool, "--point \(point): expected wire or stack") }
        guard snapLength >= 1, snapLength <= Int(CaptureRequest.defaultSnapLength) else {
            errx(64, tool, "-s \(snapLength): expected 1...\(CaptureRequest.defaultSnapLength)")
        }
        let minKiB = Int(CaptureRequest.minimumBufferBytes / 1024), maxKiB = Int(CaptureRequest.maximumBufferBytes / 1024)
        guard bufferKiB >= minKiB, bufferKiB <= maxKiB else { errx(64, tool, "-B \(bufferKiB): expected \(minKiB)...\(maxKiB) KiB") }
        let (state, topology) = resolveLab(lab, tool: tool)
        guard let n = topology.node(named: node) else {
            errx(1, tool, "\(place): no node \(node) in lab \(topology.name) (nodes: \(topology.nodes.map(\.name).joined(separator: ", ")))")
        }
        if n.kind == .linux {
            errx(1, tool, "\(place): node \(node) is a linux node (Linux's own stack): capture it with tcpdump in its namespace, `rumpnet-lab exec \(node) -- tcpdump -i \(interface)`")
        }
        var o = InterfaceCapture.Options()
        o.point = p
        o.snapLength = UInt32(snapLength)
        o.bufferBytes = UInt32(bufferKiB * 1024)
        o.filter = filter.isEmpty ? nil : filter.joined(separator: " ")
        o.limit = count
        o.format = pcapng ? .pcapng : .pcap
        o.output = output
        o.flushEachPacket = output == "-" || isPipe(output)
        let capture: InterfaceCapture
        do { capture = try InterfaceCapture(socketPath: state.socketPath(node: node), node: node, interface: interface, options: o) } catch {
            errx(1, tool, "\(error)")
        }
        installStopHandlers()
        let link = capture.linkType == 0 ? "NULL (BSD loopback)" : "EN10MB (Ethernet)"
        printErr("capturing on \(place) (\(p.name) side), link-type \(link), snapshot length \(snapLength) bytes")
        do { try capture.run { stopRequested.load(ordering: .relaxed) } } catch {
            for line in capture.summary { printErr(line) }
            errx(1, tool, "\(error)")
        }
        for line in capture.summary { printErr(line) }
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
