#if canImport(Glibc)
import Glibc
#endif
import RumpClient
import RumpProtocol

// The IPv6 side of bringing a node up: its static routes (`route add -inet6`), and the wait
// for Duplicate Address Detection, since a tentative address cannot source a packet (RFC 4862
// 5.4) and a check sent before DAD ends would fail for no fault of the lab.
extension LabRunner {
    /// How long `up` waits at least for every node's DAD: net.inet6.ip6.dad_count (1 by
    /// default, as NetBSD) probes a RetransTimer (1 s) apart, after a random delay of up to 1 s.
    public static let dadTimeout: Double = 10

    /// The interface index of `name` on a node (a link-local address's scope id).
    static func interfaceIndex(_ client: RumpClient, _ name: String, node: String) throws -> UInt32 {
        guard case .interfaces(let list) = try client.call(.ifList) else { throw LabError("node \(node): ifconfig -a: unexpected reply") }
        guard let i = list.first(where: { $0.name == name }) else { throw LabError("node \(node) has no interface \(name)") }
        return i.index
    }

    /// `route add -inet6 DEST GATEWAY`, a link-local gateway with its interface (sin6_scope_id
    /// and the interface name, as `route add -inet6 ... fe80::1%shmif0` sends it).
    static func configureRoutes6(_ n: Node, client: RumpClient, call: (String, Request) throws -> Void) throws {
        for r in n.routes6 {
            var gateway = SocketAddress.inet6(r.gateway)
            if let zone = r.zone { gateway = .inet6(r.gateway, scopeID: try Self.interfaceIndex(client, zone, node: n.name)) }
            let entry = RouteEntry(destination: .inet6(r.destination.address),
                                   netmask: r.destination.length == 128 ? nil : .inet6(r.destination.mask),
                                   gateway: gateway, flags: 0x803, interface: r.zone ?? "")
            try call("route add -inet6 \(r.isDefault ? "default" : r.destination.description) \(r.gatewayText)", .routeAdd(entry))
        }
    }

    /// Waits until no inet6 address of a rump node with IPv6 is tentative. A duplicated one
    /// (another host on the bus answered DAD: a fixed bus shared with another lab, a host tap)
    /// is an error naming the node, interface and address, as is a wait past `deadline`.
    func waitForDAD(deadline: Double) throws {
        let nodes = topology.nodes.filter { $0.kind == .rump && $0.components.contains(.rumpnet_netinet6) }
        guard !nodes.isEmpty else { return }
        var clients: [String: RumpClient] = [:]
        for n in nodes {
            do {
                clients[n.name] = try RumpClient(url: .unix(path: state.socketPath(node: n.name)), clientName: "rumpnet-lab",
                                                 timeout: Self.configurationTimeout)
            } catch { throw LabError("node \(n.name) (\(state.rumpServer(node: n.name))): \(error)") }
        }
        var waiting = Set(nodes.map(\.name))
        let t0 = HostProcess.now()
        while true {
            var tentative: [String] = []
            for n in nodes where waiting.contains(n.name) {
                let reply: Reply
                do { reply = try clients[n.name]!.call(.ifList) } catch {
                    throw LabError("node \(n.name): ifconfig -a while waiting for DAD: \(error)")
                }
                guard case .interfaces(let list) = reply else { throw LabError("node \(n.name): ifconfig -a: unexpected reply") }
                var busy: [String] = []
                for i in list {
                    for a in i.addresses {
                        guard case .inet6(let v, _, _, _) = a.address else { continue }
                        let text = v.description + (v.needsScope ? "%" + i.name : "")
                        if a.flags & IN6_IFF.DUPLICATED != 0 {
                            throw LabError("node \(n.name): \(i.name): duplicate address \(text) detected by DAD "
                                           + "(another host on bus \(n.interfaces.first { $0.name == i.name }?.bus ?? "?") has it)")
                        }
                        if a.flags & IN6_IFF.TENTATIVE != 0 { busy.append("\(i.name) \(text)") }
                    }
                }
                if busy.isEmpty { waiting.remove(n.name) } else { tentative.append("node \(n.name): " + busy.joined(separator: ", ")) }
            }
            if waiting.isEmpty {
                progress("IPv6 duplicate address detection done after \(Self.seconds(HostProcess.now() - t0)) s")
                return
            }
            if HostProcess.now() > deadline {
                throw LabError("IPv6 duplicate address detection did not finish in time; still tentative: " + tentative.joined(separator: "; "))
            }
            usleep(20_000)
        }
    }
}
