#if canImport(Glibc)
import Glibc
#endif

/// Whether each bus of a running lab is still one bus. A bus file deleted (or replaced)
/// under a running lab splits it silently: the kernels attached keep the old file mapped
/// and go on talking to each other, while anything that opens the path later — a capture,
/// a node re-attached with ifconfig — gets a different file. Each kernel's /proc/PID/maps
/// names the file it has mapped, with its inode ("(deleted)" once unlinked); it is compared
/// with the file now at the bus's path.
public struct BusHealth: Sendable, Equatable {
    public enum Condition: String, Sendable {
        case ok
        /// The bus file is gone from its path.
        case missing
        /// The file at the path is not the one (some of) the kernels have mapped.
        case replaced
    }
    public var bus: String
    public var path: String
    public var condition: Condition
    public var detail: String?

    /// One entry per bus of the topology; kernels are the running nodes' processes.
    public static func check(state: LabState, topology: Topology, kernels: [String: pid_t]) -> [BusHealth] {
        // A tap bus has no file: its health is its bridge (a missing one shows as dead nodes).
        topology.buses.filter { $0.kind == .shmif }.map { bus in
            let path = state.busPath(bus)
            var st = stat()
            let present = stat(path, &st) == 0
            // Which inode each attached node has mapped at this path.
            var mapped: [(node: String, inode: UInt64, deleted: Bool)] = []
            for n in topology.nodes where n.interfaces.contains(where: { $0.bus == bus.name }) {
                guard let pid = kernels[n.name], let m = mapping(of: path, in: pid) else { continue }
                mapped.append((n.name, m.inode, m.deleted))
            }
            if !present {
                let who = mapped.map(\.node)
                return BusHealth(bus: bus.name, path: path, condition: .missing,
                                 detail: "bus file \(path) is missing" + (who.isEmpty ? "" :
                                    "; nodes \(who.joined(separator: ", ")) still have the deleted file mapped: the bus is split (anything attaching now gets a new file)"))
            }
            let stale = mapped.filter { $0.deleted || $0.inode != UInt64(st.st_ino) }
            if !stale.isEmpty {
                return BusHealth(bus: bus.name, path: path, condition: .replaced,
                                 detail: "bus file \(path) (inode \(st.st_ino)) is not the file nodes \(stale.map(\.node).joined(separator: ", ")) have mapped (inode \(stale.map { String($0.inode) }.joined(separator: ", "))): the bus is split")
            }
            return BusHealth(bus: bus.name, path: path, condition: .ok, detail: nil)
        }
    }

    /// The inode of the mapping of `path` in process `pid` (from /proc/PID/maps), and
    /// whether the kernel marks it deleted.
    static func mapping(of path: String, in pid: pid_t) -> (inode: UInt64, deleted: Bool)? {
        guard let bytes = HostProcessInfo.readSmallFile("/proc/\(pid)/maps") else { return nil }
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            // address perms offset dev inode pathname
            let text = String(decoding: line, as: UTF8.self)
            let f = text.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard f.count == 6, let inode = UInt64(f[4]) else { continue }
            let name = f[5].drop { $0 == " " }
            if name == path { return (inode, false) }
            if name == path + " (deleted)" { return (inode, true) }
        }
        return nil
    }
}
