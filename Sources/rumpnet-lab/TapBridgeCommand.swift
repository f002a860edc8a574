// tap-bridge: one shmif bus and one Linux tap joined, until killed (`up` starts one per
// linux node interface on a shmif bus and per host tap).
#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import RumpLab
import Synchronization
import ToolSupport

private let bridgeStop = Atomic<Bool>(false)

struct TapBridgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tap-bridge",
        abstract: "Join a shmif bus and a Linux tap: frames move both ways until SIGTERM.",
        discussion: "The tap is created (in --netns if given) and vanishes when this process ends. `rumpnet-lab up` starts these for linux nodes and host taps on shmif buses.")
    @Option(help: "The lab's state directory (names the lab this bridge belongs to).") var state: String
    @Option(help: "The bus file.") var bus: String
    @Option(help: "The tap's name (1 to 15 bytes).") var tap: String
    @Option(help: "A network namespace name (ip netns) to create the tap in.") var netns: String?

    func run() throws {
        let tool = "rumpnet-lab tap-bridge"
        if let netns {
            do { try NetNamespace.enter(path: NetNamespace.path(netns)) } catch { errx(1, tool, "\(error)") }
        }
        let bridge: TapBridge
        do { bridge = try TapBridge(busPath: bus, tapName: tap) } catch { errx(1, tool, "\(error)") }
        // Linux would send IPv6 router solicitations and MLD reports on it otherwise.
        let fd = open("/proc/sys/net/ipv6/conf/\(tap)/disable_ipv6", O_WRONLY | O_CLOEXEC)
        if fd >= 0 { _ = write(fd, "1\n", 2); close(fd) }
        for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig) { _ in bridgeStop.store(true, ordering: .relaxed) } }
        printOut("tap \(tap) on bus \(bus)\(netns.map { " in namespace \($0)" } ?? ""): \(TapBridge.readyLine)")
        OutputStream.standardOutput.flush()  // `up` waits for this line in the log
        do { try bridge.run { bridgeStop.load(ordering: .relaxed) } } catch { errx(1, tool, "\(error)") }
        printOut("\(bridge.framesToBus) frames to the bus, \(bridge.framesToTap) to the tap, \(bridge.tapDrops) dropped by the tap")
        exitTool(0)
    }
}
