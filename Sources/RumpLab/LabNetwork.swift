#if canImport(Glibc)
import Glibc
#endif
import RumpProtocol

/// The Linux side of a lab (docs/TOPOLOGY.md, "Tap buses and linux nodes"): the network
/// namespaces it creates, the bridges of its tap buses, the veths and taps of its linux
/// nodes, their addresses and routes, all made with iproute2's `ip`, and their removal.
///
/// Names: the lab's own namespace is `rumpnet-lab:LAB`, a linux node's `rumpnet-lab:LAB:NODE`
/// (':' is in no safe name, so no lab's names are a prefix of another's). A tap bus's bridge
/// is `br-BUS` inside the lab's namespace; a node's port on it (the rump node's tap, the
/// bridge end of a linux node's veth) is `NODE.IFNAME`. Both fall back to a numbered name
/// starting with '_' (which no safe name does) when too long for a Linux interface (15 bytes).
/// Every namespace is recorded in the state directory's `netns/` before it is made, and
/// `down` also finds the lab's namespaces by name in /run/netns, so a SIGKILLed `up` leaks
/// none. Deleting a namespace deletes the bridges and veths in it; taps go with the process
/// holding them (a kernel server, a tap-bridge).
public struct LabNetwork: Sendable {
    public let state: LabState
    public let topology: Topology

    public init(state: LabState, topology: Topology) {
        self.state = state
        self.topology = topology
    }

    // MARK: names

    public static let namespacePrefix = "rumpnet-lab:"
    public static func labNamespace(_ lab: String) -> String { namespacePrefix + lab }
    public var labNamespace: String { Self.labNamespace(state.lab) }
    public func namespace(of node: String) -> String { labNamespace + ":" + node }

    public func bridge(of bus: Bus) -> String {
        let plain = "br-" + bus.name
        if plain.utf8.count <= 15 && !bus.name.contains(".") { return plain }
        return "_br\(topology.buses.firstIndex(of: bus) ?? 0)"
    }

    /// A node's interface as the lab's namespace sees it: a rump node's tap (the name its
    /// virt interface's linkstr gives), or the bridge end of a linux node's veth.
    public func port(node: Node, interface: Interface) -> String {
        let plain = node.name + "." + interface.name
        if plain.utf8.count <= 15 { return plain }
        return "_\(topology.nodes.firstIndex(of: node) ?? 0).\(interface.name)"
    }

    /// The bridge end of the veth that joins the host to a tap bus (`_hK`, K = the bus's
    /// position: '_' and no '.', so no other port's or bridge's name).
    public func hostPort(of bus: Bus) -> String { "_h\(topology.buses.firstIndex(of: bus) ?? 0)" }

    /// The ports of a tap bus: the nodes' in file order, then the host's.
    public func ports(of bus: Bus) -> [String] {
        topology.attachments(of: bus.name).map { port(node: $0.node, interface: $0.interface) } + (bus.host == nil ? [] : [hostPort(of: bus)])
    }

    /// A lab with a tap bus needs its own namespace for the bridges.
    public var needsLabNamespace: Bool { topology.buses.contains { $0.kind == .tap } }

    /// Anything that needs taps, namespaces and `ip`: a tap bus, a linux node, a host tap.
    public var needsLinux: Bool {
        needsLabNamespace || topology.nodes.contains { $0.kind == .linux } || topology.buses.contains { $0.host != nil }
    }

    /// Whether the node's kernel server must start inside the lab's namespace: its virt
    /// interfaces' taps are created where the kernel opens /dev/net/tun.
    public func startsInLabNamespace(_ node: Node) -> Bool {
        node.kind == .rump && node.interfaces.contains { topology.bus(named: $0.bus)?.kind == .tap }
    }

    // MARK: privileges

    /// Refuses, before anything is made, a lab this process could not build: no
    /// /dev/net/tun, no CAP_NET_ADMIN (taps, bridges, addresses) or CAP_SYS_ADMIN
    /// (namespaces), no `ip`.
    public func checkPrerequisites(tunDevice: String = TapDevice.cloneDevice) throws(LabError) {
        let what = "lab \(topology.name) needs Linux tap devices and network namespaces"
        let fd = open(tunDevice, O_RDWR | O_CLOEXEC)
        if fd < 0 { throw LabError("\(what): " + TapDevice.openProblem(device: tunDevice, errno: errno)) }
        close(fd)
        let caps = Self.effectiveCapabilities()
        var missing: [String] = []
        if caps & (1 << 12) == 0 { missing.append("CAP_NET_ADMIN") }
        if caps & (1 << 21) == 0 { missing.append("CAP_SYS_ADMIN") }
        if !missing.isEmpty {
            throw LabError("\(what): this process lacks \(missing.joined(separator: " and ")) (a tap needs root or CAP_NET_ADMIN; a namespace CAP_SYS_ADMIN): run it as root")
        }
        if HostCommand.find("ip") == nil { throw LabError("\(what): no `ip` command (install iproute2)") }
    }

    /// CapEff of this process (/proc/self/status).
    static func effectiveCapabilities() -> UInt64 {
        guard let bytes = HostProcessInfo.readSmallFile("/proc/self/status") else { return 0 }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("CapEff:") {
            return UInt64(String(line.dropFirst(7)).trimmingCharacters(in: " \t"), radix: 16) ?? 0
        }
        return 0
    }

    // MARK: ip

    /// Runs `ip ARGS`; a failure names the command and says what ip said.
    @discardableResult
    public static func ip(_ args: [String]) throws(LabError) -> String {
        guard let path = HostCommand.find("ip") else { throw LabError("no `ip` command (install iproute2)") }
        let r = try HostCommand.run(path, args)
        guard r.status == 0 else {
            throw LabError("`ip \(args.joined(separator: " "))` failed: \(r.stderr.trimmingCharacters(in: " \n"))")
        }
        return r.stdout
    }

    // MARK: records

    public var recordDirectory: String { state.root + "/netns" }

    /// Notes the namespace as the lab's (before it is made, so a crash right after leaks
    /// nothing `down` does not know of).
    func record(namespace: String) {
        mkdir(recordDirectory, 0o700)
        let fd = open(recordDirectory + "/" + namespace, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
    }

    func createNamespace(_ name: String) throws(LabError) {
        record(namespace: name)
        try Self.ip(["netns", "add", name])
        try Self.ip(["-n", name, "link", "set", "lo", "up"])
        // Our stack speaks IPv4 only: without IPv6, Linux sends no router solicitations,
        // MLD reports or DAD probes onto the lab's buses, and captures show what the lab does.
        _ = try? NetNamespace.run(inside: NetNamespace.path(name)) {
            for f in ["/proc/sys/net/ipv6/conf/default/disable_ipv6", "/proc/sys/net/ipv6/conf/all/disable_ipv6"] {
                Self.writeSmallFile(f, "1\n")
            }
        }
    }

    static func writeSmallFile(_ path: String, _ text: String) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    // MARK: up

    /// The lab's namespace and one bridge per tap bus (STP off: ports forward at once).
    public func createLabNamespace() throws(LabError) {
        guard needsLabNamespace else { return }
        try createNamespace(labNamespace)
        for bus in topology.buses where bus.kind == .tap {
            let br = bridge(of: bus)
            try Self.ip(["-n", labNamespace, "link", "add", br, "type", "bridge", "stp_state", "0", "forward_delay", "0"])
            try Self.ip(["-n", labNamespace, "link", "set", br, "up"])
        }
    }

    /// A rump node's taps (made by its kernel when their linkstr was set) onto their bridges.
    public func attachTaps(of node: Node) throws(LabError) {
        for i in node.interfaces {
            guard let bus = topology.bus(named: i.bus), bus.kind == .tap else { continue }
            let p = port(node: node, interface: i)
            try Self.ip(["-n", labNamespace, "link", "set", p, "mtu", String(i.mtu)])
            try Self.ip(["-n", labNamespace, "link", "set", p, "master", bridge(of: bus), "up"])
        }
    }

    /// Starts a `rumpnet-lab tap-bridge` between a bus file and a tap, and returns once the
    /// tap exists: (record name, bus file, tap name, namespace or nil for the host's).
    public typealias TapBridgeStarter = (_ name: String, _ bus: String, _ tap: String, _ namespace: String?) throws -> Void

    /// A linux node: its namespace, an interface per attachment (a veth to the bridge on a
    /// tap bus, a tap moved to and from the bus by a tap-bridge on a shmif bus), mtu,
    /// addresses, up, then its routes.
    public func setUp(linuxNode node: Node, startTapBridge: TapBridgeStarter) throws {
        let ns = namespace(of: node.name)
        try createNamespace(ns)
        for i in node.interfaces {
            guard let bus = topology.bus(named: i.bus) else { continue }
            switch bus.kind {
            case .tap:
                let p = port(node: node, interface: i)
                try Self.ip(["-n", labNamespace, "link", "add", p, "mtu", String(i.mtu), "type", "veth", "peer", "name", i.name, "netns", ns])
                try Self.ip(["-n", labNamespace, "link", "set", p, "master", bridge(of: bus), "up"])
            case .shmif:
                try startTapBridge("_tap-\(node.name)-\(i.name)", state.busPath(bus), i.name, ns)
            }
            try configure(interface: i.name, mtu: i.mtu, addresses: i.addresses, up: i.up, namespace: ns)
        }
        for r in node.routes {
            try Self.ip(["-n", ns, "route", "add", r.isDefault ? "default" : r.destination.description, "via", r.gateway.description])
        }
    }

    /// The host's interface on a bus, with its addresses: on a shmif bus a tap held by a
    /// tap-bridge; on a tap bus a veth whose other end is a port of the bridge (it goes when
    /// the lab's namespace is deleted: deleting one end of a veth deletes both).
    public func setUp(hostAttachmentOf bus: Bus, startTapBridge: TapBridgeStarter) throws {
        guard let h = bus.host else { return }
        switch bus.kind {
        case .shmif:
            try startTapBridge("_tap-host-\(bus.name)", state.busPath(bus), h.tap, nil)
        case .tap:
            let p = hostPort(of: bus)
            try Self.ip(["link", "add", h.tap, "mtu", String(h.mtu), "type", "veth", "peer", "name", p, "netns", labNamespace])
            try Self.ip(["-n", labNamespace, "link", "set", p, "master", bridge(of: bus), "up"])
            // As on the lab's own interfaces: no IPv6 chatter from the host onto the bus.
            Self.writeSmallFile("/proc/sys/net/ipv6/conf/\(h.tap)/disable_ipv6", "1\n")
        }
        try configure(interface: h.tap, mtu: h.mtu, addresses: h.addresses, up: true, namespace: nil)
    }

    func configure(interface name: String, mtu: Int, addresses: [IPv4Prefix], up: Bool, namespace ns: String?) throws(LabError) {
        let n = ns.map { ["-n", $0] } ?? []
        try Self.ip(n + ["link", "set", name, "mtu", String(mtu)])
        for a in addresses { try Self.ip(n + ["addr", "add", a.description, "dev", name]) }
        if up { try Self.ip(n + ["link", "set", name, "up"]) }
    }

    // MARK: down

    /// The lab's namespaces: recorded in its state directory, or found by name in
    /// /run/netns (the state directory may be gone).
    public static func namespaces(of state: LabState) -> [String] {
        let mine = labNamespace(state.lab)
        var found = Set<String>()
        for dir in [state.root + "/netns", "/run/netns"] {
            guard let d = opendir(dir) else { continue }
            while let e = readdir(d) {
                let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if n == mine || n.hasPrefix(mine + ":") { found.insert(n) }
            }
            closedir(d)
        }
        // Nodes first, the lab's (with its bridges) last.
        return found.sorted { ($0 == mine ? 1 : 0, $0) < ($1 == mine ? 1 : 0, $1) }
    }

    /// Deletes every namespace of the lab (with the bridges and veths inside); returns the
    /// problems, one line each. Processes of the lab must be gone first: a tap held by a
    /// live process would keep its namespace alive after the name is gone.
    @discardableResult
    public static func removeNamespaces(of state: LabState) -> [String] {
        var problems: [String] = []
        let mine = labNamespace(state.lab)
        for ns in namespaces(of: state) {
            // A namespace is torn down by the kernel after `netns del` returns, and a veth
            // end in another namespace (the host's) goes only then: delete the lab's veths
            // first, which removes both ends at once, so nothing of the lab outlives `down`.
            if ns == mine, NetNamespace.exists(ns), let out = try? ip(["-n", ns, "-o", "link", "show", "type", "veth"]) {
                for line in out.split(separator: "\n") {
                    let f = line.split(separator: " ")
                    guard f.count > 1 else { continue }
                    let name = f[1].split(separator: "@").first.map(String.init)?.trimmingCharacters(in: ":") ?? ""
                    if !name.isEmpty { _ = try? ip(["-n", ns, "link", "del", name]) }
                }
            }
            if NetNamespace.exists(ns) {
                do { try ip(["netns", "del", ns]) } catch { problems.append("\(error)") }
            }
            unlink(state.root + "/netns/" + ns)
        }
        rmdir(state.root + "/netns")
        return problems
    }

    // MARK: status

    /// A linux node's interfaces as `ip -j -s addr` reports them (lo left out).
    public func interfaces(ofLinuxNode node: String) -> [InterfaceInfo]? {
        guard let out = try? Self.ip(["-j", "-s", "-n", namespace(of: node), "addr", "show"]),
              let json = try? JSONParser.parse(Array(out.utf8)), let list = json.arrayValue else { return nil }
        var result: [InterfaceInfo] = []
        for entry in list {
            guard let o = entry.objectValue else { continue }
            func field(_ k: String, in m: [JSONMember]) -> JSONValue? { m.first { $0.key == k }?.value }
            guard let name = field("ifname", in: o)?.stringValue, name != "lo" else { continue }
            var info = InterfaceInfo(name: name, index: UInt32(field("ifindex", in: o)?.intValue ?? 0), flags: 0,
                                     mtu: UInt32(field("mtu", in: o)?.intValue ?? 0))
            let flags = field("flags", in: o)?.arrayValue?.compactMap(\.stringValue) ?? []
            if flags.contains("UP") { info.flags |= IFF.UP }
            for a in field("addr_info", in: o)?.arrayValue ?? [] {
                guard let am = a.objectValue, field("family", in: am)?.stringValue == "inet",
                      let local = field("local", in: am)?.stringValue.flatMap { IPv4Address($0) }, let len = field("prefixlen", in: am)?.intValue else { continue }
                info.addresses.append(InterfaceAddress(address: LabRunner.sockaddr(local), netmask: LabRunner.sockaddr(IPv4Address(IPv4Address.mask(prefixLength: len)))))
            }
            if let st = field("stats64", in: o)?.objectValue {
                let rx = field("rx", in: st)?.objectValue ?? [], tx = field("tx", in: st)?.objectValue ?? []
                info.stats.ipackets = UInt64(field("packets", in: rx)?.intValue ?? 0)
                info.stats.ibytes = UInt64(field("bytes", in: rx)?.intValue ?? 0)
                info.stats.opackets = UInt64(field("packets", in: tx)?.intValue ?? 0)
                info.stats.obytes = UInt64(field("bytes", in: tx)?.intValue ?? 0)
            }
            result.append(info)
        }
        return result
    }
}
