#if canImport(Glibc)
import Glibc
#endif

/// Reads and validates topology files (docs/TOPOLOGY.md). Validation collects every
/// mistake, one message each, and avoids cascades: a value that is itself wrong is left
/// out of the checks that would only repeat the same mistake in other words.
public enum TopologyLoader {
    /// Larger files are refused before reading (the 50-node example is about 20 KiB).
    public static let maximumFileSize = 16 << 20

    public enum Format: Sendable {
        case json, yaml

        /// YAML for .yaml and .yml files, JSON for anything else.
        public init(path: String) {
            let lower = path.lowercased()
            self = lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") ? .yaml : .json
        }
    }

    public static func load(file path: String) -> TopologyLoad {
        switch readFile(path) {
        case let .success(bytes): return load(bytes: bytes, format: Format(path: path))
        case let .failure(e):
            return TopologyLoad(topology: nil, diagnostics: [Diagnostic(severity: .error, path: nil, message: e.message, position: nil)])
        }
    }

    public static func load(bytes: [UInt8], format: Format = .json) -> TopologyLoad {
        let json: JSONValue
        do throws(JSONSyntaxError) {
            switch format {
            case .json: json = try JSONParser.parse(bytes)
            case .yaml:
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw JSONSyntaxError(position: SourcePosition(line: 1, column: 1), message: "the file is not valid UTF-8")
                }
                json = try YAMLReader.parse(text)
            }
        } catch {
            return TopologyLoad(topology: nil, diagnostics: [
                Diagnostic(severity: .error, path: nil, message: "syntax error: \(error.message)", position: error.position),
            ])
        }
        return validate(json)
    }

    public static func load(text: String, format: Format = .json) -> TopologyLoad { load(bytes: Array(text.utf8), format: format) }

    public static func validate(_ json: JSONValue) -> TopologyLoad {
        var v = Validator()
        let t = v.topology(json)
        return TopologyLoad(topology: v.hasErrors ? nil : t, diagnostics: v.diagnostics)
    }

    struct ReadError: Error { var message: String }

    static func readFile(_ path: String) -> Result<[UInt8], ReadError> {
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return .failure(ReadError(message: String(cString: strerror(errno)))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return .failure(ReadError(message: String(cString: strerror(errno)))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            let kind: String
            switch st.st_mode & S_IFMT {
            case S_IFDIR: kind = "a directory"
            case S_IFIFO: kind = "a FIFO (named pipe)"
            case S_IFCHR: kind = "a character device"
            case S_IFBLK: kind = "a block device"
            case S_IFSOCK: kind = "a socket"
            default: kind = "not a regular file"
            }
            return .failure(ReadError(message: kind == "not a regular file" ? kind : "is \(kind), not a regular file (a topology is a JSON or YAML file)"))
        }
        guard Int(st.st_size) <= maximumFileSize else { return .failure(ReadError(message: "larger than \(maximumFileSize) bytes")) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return .failure(ReadError(message: String(cString: strerror(errno)))) }
            if n == 0 { break }
            out += buf[0..<n]
            if out.count > maximumFileSize { return .failure(ReadError(message: "larger than \(maximumFileSize) bytes")) }
        }
        return .success(out)
    }
}

/// The fields each object may have, in documented order (docs/TOPOLOGY.md, schema.json).
enum Fields {
    static let top = ["$schema", "name", "description", "buses", "nodes", "checks", "placement"]
    static let bus = ["kind", "path", "host", "description", "impair"]
    static let host = ["tap", "addresses", "mtu"]
    static let node = ["kind", "description", "components", "sysctls", "interfaces", "routes"]
    static let interface = ["name", "bus", "addresses", "mtu", "up", "impair"]
    static let route = ["destination", "gateway"]
    static let check = ["from", "ping", "expect", "count", "timeout", "ping6"]
}

private let safeNameRule = "use 1 to 63 letters, digits, '_', '.', '-', starting with a letter or digit, without \"..\""

struct Validator {
    var diagnostics: [Diagnostic] = []
    /// Each interface's IPv6 addresses' indexes in its `addresses` list, by the interface's path.
    var addressIndexes6: [String: [Int]] = [:]
    /// `buses.B.impair`, its words checked; given to the interfaces on B once the nodes are read.
    var busImpairs: [BusImpair] = []

    struct BusImpair {
        var bus: String
        var path: JSONPath
        /// A string: every rump node's link to the bus.
        var all: String?
        /// An object: node name -> words, for that node's link to the bus.
        var perNode: [(node: String, words: String, position: SourcePosition)] = []
    }
    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    mutating func error(_ path: JSONPath, _ message: String, at pos: SourcePosition? = nil) {
        diagnostics.append(Diagnostic(severity: .error, path: path, message: message, position: pos))
    }

    mutating func warning(_ path: JSONPath, _ message: String, at pos: SourcePosition? = nil) {
        diagnostics.append(Diagnostic(severity: .warning, path: path, message: message, position: pos))
    }

    // MARK: generic helpers

    /// The members of an object, first occurrence of each key; duplicates and unknown
    /// keys reported. `kind` names what duplicate keys are ("field", "node name"...).
    mutating func members(_ v: JSONValue, _ path: JSONPath, allowed: [String]?, duplicateKind: String = "field") -> [JSONMember]? {
        guard let obj = v.objectValue else {
            error(path, "expected an object, got \(v.typeName)", at: v.position)
            return nil
        }
        var seen: [String: SourcePosition] = [:]
        var out: [JSONMember] = []
        for m in obj {
            if let first = seen[m.key] {
                error(path.key(m.key), "duplicate \(duplicateKind) \"\(m.key)\" (first at line \(first.line))", at: m.keyPosition)
                continue
            }
            seen[m.key] = m.keyPosition
            if let allowed, !allowed.contains(m.key) {
                var msg = "unknown field \"\(m.key)\""
                if let s = suggestion(for: m.key, among: allowed) { msg += " (did you mean \"\(s)\"?)" }
                else { msg += " (expected one of: \(allowed.joined(separator: ", ")))" }
                error(path.key(m.key), msg, at: m.keyPosition)
                continue
            }
            out.append(m)
        }
        return out
    }

    func value(_ members: [JSONMember], _ key: String) -> JSONValue? { members.first { $0.key == key }?.value }

    mutating func string(_ members: [JSONMember], _ key: String, _ path: JSONPath, required: Bool = false) -> String?? {
        guard let v = value(members, key) else {
            if required { error(path.key(key), "missing required field"); return .some(nil) }
            return nil
        }
        guard let s = v.stringValue else {
            error(path.key(key), "expected a string, got \(v.typeName)", at: v.position)
            return .some(nil)
        }
        return .some(s)
    }

    /// nil: absent; .some(nil): present but wrong (already reported).
    mutating func int(_ members: [JSONMember], _ key: String, _ path: JSONPath, range: ClosedRange<Int>, what: String? = nil) -> Int?? {
        guard let v = value(members, key) else { return nil }
        guard let i = v.intValue else {
            if v.typeName == "integer", case let .number(_, text) = v.kind {
                // An integer too large for the reader is out of range, not of the wrong type.
                error(path.key(key), "\(text) is out of range\(what.map { " for \($0)" } ?? "") (\(range.lowerBound)...\(range.upperBound))", at: v.position)
            } else {
                error(path.key(key), "expected an integer, got \(v.typeName)", at: v.position)
            }
            return .some(nil)
        }
        guard range.contains(i) else {
            error(path.key(key), "\(i) is out of range\(what.map { " for \($0)" } ?? "") (\(range.lowerBound)...\(range.upperBound))", at: v.position)
            return .some(nil)
        }
        return .some(i)
    }

    mutating func bool(_ members: [JSONMember], _ key: String, _ path: JSONPath) -> Bool?? {
        guard let v = value(members, key) else { return nil }
        guard let b = v.boolValue else {
            error(path.key(key), "expected true or false, got \(v.typeName)", at: v.position)
            return .some(nil)
        }
        return .some(b)
    }

    mutating func array(_ members: [JSONMember], _ key: String, _ path: JSONPath) -> [JSONValue]?? {
        guard let v = value(members, key) else { return nil }
        guard let a = v.arrayValue else {
            error(path.key(key), "expected an array, got \(v.typeName)", at: v.position)
            return .some(nil)
        }
        return .some(a)
    }

    mutating func safeName(_ name: String, _ path: JSONPath, what: String, at pos: SourcePosition?) -> Bool {
        if isSafeName(name) { return true }
        error(path, "unsafe \(what) name \"\(name)\" (\(safeNameRule))", at: pos)
        return false
    }

    // MARK: the document

    mutating func topology(_ json: JSONValue) -> Topology? {
        let root = JSONPath.root
        guard let top = members(json, root, allowed: Fields.top) else { return nil }
        _ = string(top, "$schema", root)
        var name = ""
        if case let .some(.some(n)) = string(top, "name", root, required: true) {
            if safeName(n, root.key("name"), what: "lab", at: value(top, "name")?.position) { name = n }
        }
        var description: String?
        if case let .some(.some(d)) = string(top, "description", root) { description = d }
        var placement: Placement?
        if case let .some(.some(p)) = string(top, "placement", root) {
            if let v = Placement(rawValue: p) { placement = v } else {
                error(root.key("placement"), "unknown placement \"\(p)\" (expected \"process\" or \"packed\")", at: value(top, "placement")?.position)
            }
        }

        // Buses first: interfaces refer to them.
        var buses: [Bus] = []
        var busNames: Set<String> = []       // every declared name, valid or not, to avoid cascades
        if let bv = value(top, "buses") {
            if let bm = members(bv, root.key("buses"), allowed: nil, duplicateKind: "bus name") {
                for m in bm {
                    busNames.insert(m.key)
                    if let b = bus(m, root.key("buses").key(m.key)) { buses.append(b) }
                }
            }
        }

        var nodes: [Node] = []
        var nodeNames: Set<String> = []
        var nodesComplete = true
        if let nv = value(top, "nodes") {
            if let nm = members(nv, root.key("nodes"), allowed: nil, duplicateKind: "node name") {
                if nm.isEmpty && nv.objectValue?.isEmpty == true {
                    error(root.key("nodes"), "a lab needs at least one node", at: nv.position)
                }
                for m in nm {
                    nodeNames.insert(m.key)
                    if let n = node(m, root.key("nodes").key(m.key), buses: buses, busNames: busNames) { nodes.append(n) }
                    else { nodesComplete = false }
                }
            } else { nodesComplete = false }
        } else {
            error(root.key("nodes"), "missing required field")
            nodesComplete = false
        }

        applyBusImpairs(&nodes, nodeNames: nodeNames)
        if nodesComplete { crossNodeChecks(nodes, buses: buses); crossNodeChecks6(nodes, buses: buses) }

        var checks: [Check] = []
        if case let .some(.some(cs)) = array(top, "checks", root) {
            for (i, c) in cs.enumerated() {
                if let ch = check(c, root.key("checks").index(i), nodes: nodes, nodeNames: nodeNames) { checks.append(ch) }
            }
        }

        // A bus nobody uses is probably a typo elsewhere, but harmless: a warning.
        if nodesComplete {
            for b in buses where !nodes.contains(where: { $0.interfaces.contains { $0.bus == b.name } }) {
                warning(root.key("buses").key(b.name), "no interface uses this bus")
            }
        }
        return Topology(name: name, description: description, buses: buses, nodes: nodes, checks: checks, placement: placement)
    }

    mutating func bus(_ m: JSONMember, _ path: JSONPath) -> Bus? {
        let ok = safeName(m.key, path, what: "bus", at: m.keyPosition)
        guard let f = members(m.value, path, allowed: Fields.bus) else { return nil }
        var good = ok
        var kind = BusKind.shmif
        if case let .some(k) = string(f, "kind", path) {
            if let k {
                if let bk = BusKind(rawValue: k) {
                    kind = bk
                } else {
                    error(path.key("kind"), "unknown bus kind \"\(k)\" (expected \"shmif\" or \"tap\")", at: value(f, "kind")?.position)
                    good = false
                }
            } else { good = false }
        }
        var busPath: String?
        if case let .some(p) = string(f, "path", path) {
            if let p {
                if kind == .tap {
                    error(path.key("path"), "a tap bus has no bus file (\"path\" is for shmif buses)", at: value(f, "path")?.position)
                    good = false
                } else if !p.hasPrefix("/") || p.utf8.contains(0) || p.utf8.count > 4095 || p.hasSuffix("/") {
                    error(path.key("path"), "bus path \"\(p)\" must be an absolute file path", at: value(f, "path")?.position)
                    good = false
                } else { busPath = p }
            } else { good = false }
        }
        if case .some(nil) = string(f, "description", path) { good = false }
        var host: HostAttachment?
        if let hv = value(f, "host") {
            if let h = hostAttachment(hv, path.key("host")) { host = h } else { good = false }
        }
        if let iv = value(f, "impair"), let bi = busImpair(iv, path.key("impair"), bus: m.key) {
            if good { busImpairs.append(bi) }
        } else if value(f, "impair") != nil { good = false }
        return good ? Bus(name: m.key, kind: kind, path: busPath, host: host) : nil
    }

    /// netem's words in their own spelling, or nil with the parser's message at `path`.
    mutating func impairWords(_ text: String, _ path: JSONPath, at pos: SourcePosition?) -> String? {
        switch LabImpairment.normalize(text) {
        case .success(let words): return words
        case .failure(let e):
            error(path, "\(e.description) (netem's words, e.g. \"delay 20ms loss random 1%\")", at: pos)
            return nil
        }
    }

    /// `buses.B.impair`: a string for every node's link to B, or an object node name -> string.
    mutating func busImpair(_ v: JSONValue, _ path: JSONPath, bus: String) -> BusImpair? {
        if let text = v.stringValue {
            guard let w = impairWords(text, path, at: v.position) else { return nil }
            return BusImpair(bus: bus, path: path, all: w)
        }
        guard v.objectValue != nil else {
            error(path, "expected a string (netem's words for every node's link to this bus) or an object (node name -> words), got \(v.typeName)",
                  at: v.position)
            return nil
        }
        guard let ms = members(v, path, allowed: nil, duplicateKind: "node name") else { return nil }
        var bi = BusImpair(bus: bus, path: path)
        var ok = true
        for m in ms {
            guard let text = m.value.stringValue else {
                error(path.key(m.key), "expected a string (netem's words), got \(m.value.typeName)", at: m.value.position)
                ok = false
                continue
            }
            if let w = impairWords(text, path.key(m.key), at: m.value.position) {
                bi.perNode.append((m.key, w, m.value.position))
            } else { ok = false }
        }
        return ok ? bi : nil
    }

    /// Gives each bus's `impair` to the links it names: a string to every rump node's
    /// interfaces on the bus that have no `impair` of their own, an object's entry to that
    /// node's interfaces on the bus (which must exist, be a rump node's, and not be impaired
    /// in their own `impair` too).
    mutating func applyBusImpairs(_ nodes: inout [Node], nodeNames: Set<String>) {
        for bi in busImpairs {
            if let all = bi.all {
                for k in nodes.indices where nodes[k].kind == .rump {
                    for j in nodes[k].interfaces.indices where nodes[k].interfaces[j].bus == bi.bus && nodes[k].interfaces[j].impair == nil {
                        nodes[k].interfaces[j].impair = all
                    }
                }
            }
            for e in bi.perNode {
                let p = bi.path.key(e.node)
                guard let k = nodes.firstIndex(where: { $0.name == e.node }) else {
                    // A node declared but broken has its own message already.
                    if !nodeNames.contains(e.node) {
                        var msg = "unknown node \"\(e.node)\""
                        if let s = suggestion(for: e.node, among: Array(nodeNames).sorted()) { msg += " (did you mean \"\(s)\"?)" }
                        error(p, msg, at: e.position)
                    }
                    continue
                }
                if nodes[k].kind == .linux {
                    error(p, "node \(e.node) is a linux node: its interfaces have no kernel impairment; impair the rump node's side of the link",
                          at: e.position)
                    continue
                }
                let on = nodes[k].interfaces.indices.filter { nodes[k].interfaces[$0].bus == bi.bus }
                if on.isEmpty {
                    error(p, "node \(e.node) has no interface on bus \(bi.bus)", at: e.position)
                    continue
                }
                for j in on {
                    if nodes[k].interfaces[j].impair != nil {
                        error(p, "node \(e.node)'s link to bus \(bi.bus) is also impaired at nodes.\(e.node).interfaces[\(j)].impair; give it in one place",
                              at: e.position)
                    } else {
                        nodes[k].interfaces[j].impair = e.words
                    }
                }
            }
        }
    }

    /// `buses.B.host`: the host's tap on a shmif bus.
    mutating func hostAttachment(_ v: JSONValue, _ path: JSONPath) -> HostAttachment? {
        guard let f = members(v, path, allowed: Fields.host) else { return nil }
        let before = diagnostics.count
        var tap = ""
        if case let .some(.some(t)) = string(f, "tap", path, required: true) {
            if let why = Self.linuxInterfaceNameProblem(t) {
                error(path.key("tap"), "bad tap name \"\(t)\": \(why)", at: value(f, "tap")?.position)
            } else { tap = t }
        }
        var mtu = 1500
        if case let .some(.some(m)) = int(f, "mtu", path, range: BusKind.shmif.mtuRange, what: "a host tap") { mtu = m }
        let addresses = self.addresses(f, path)
        let addresses6 = self.addresses6(f, path)
        guard diagnostics.count == before else { return nil }
        return HostAttachment(tap: tap, addresses: addresses, mtu: mtu, addresses6: addresses6)
    }

    /// Why `n` cannot name a Linux network interface (IFNAMSIZ: at most 15 bytes; the
    /// kernel refuses '/', ':' and white space), or nil. We also keep to letters, digits,
    /// '_', '.', '-' so that the name means the same to every tool.
    static func linuxInterfaceNameProblem(_ n: String) -> String? {
        let b = Array(n.utf8)
        if b.isEmpty || b.count > 15 { return "a Linux interface name has 1 to 15 bytes" }
        if n == "." || n == ".." { return "not a usable interface name" }
        func ok(_ c: UInt8) -> Bool {
            (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
        }
        if !b.allSatisfy(ok) { return "use letters, digits, '_', '.', '-'" }
        return nil
    }

    // MARK: nodes

    mutating func node(_ m: JSONMember, _ path: JSONPath, buses: [Bus], busNames: Set<String>) -> Node? {
        var good = safeName(m.key, path, what: "node", at: m.keyPosition)
        guard let f = members(m.value, path, allowed: Fields.node) else { return nil }
        let errorsBefore = diagnostics.count
        _ = string(f, "description", path)
        var kind = NodeKind.rump
        if case let .some(k) = string(f, "kind", path) {
            if let k {
                if let nk = NodeKind(rawValue: k) { kind = nk }
                else { error(path.key("kind"), "unknown node kind \"\(k)\" (expected \"rump\" or \"linux\")", at: value(f, "kind")?.position) }
            }
        }
        if kind == .linux {
            // A Linux namespace runs Linux's stack: it has no kernel components to load
            // and its sysctls are Linux's, not the ones listed here.
            for field in ["components", "sysctls"] {
                if let v = value(f, field) {
                    error(path.key(field), "a node of kind \"linux\" has no \(field) (it is a Linux network namespace, not a kernel server)", at: v.position)
                }
            }
        }

        var interfaces: [Interface] = []
        var interfacesComplete = true
        if case let .some(list) = array(f, "interfaces", path) {
            if let list {
                for (i, iv) in list.enumerated() {
                    if let intf = interface(iv, path.key("interfaces").index(i), index: i, nodeKind: kind, buses: buses, busNames: busNames) {
                        interfaces.append(intf)
                    } else { interfacesComplete = false }
                }
            } else { interfacesComplete = false }
        }
        if interfacesComplete {
            var names: [String: Int] = [:]
            for (i, intf) in interfaces.enumerated() {
                if let first = names[intf.name] {
                    error(path.key("interfaces").index(i).key("name"), "duplicate interface name \"\(intf.name)\" (also interfaces[\(first)])")
                } else { names[intf.name] = i }
            }
        }

        var routes: [Route] = []
        var routes6: [Route6] = []
        var routeAt: [Int] = [], route6At: [Int] = []  // each route's index in the file's list
        if case let .some(.some(list)) = array(f, "routes", path) {
            for (i, rv) in list.enumerated() {
                let rp = path.key("routes").index(i)
                if Self.isInet6Route(rv) {
                    guard let r = route6(rv, rp, interfaces: interfacesComplete ? interfaces : nil) else { continue }
                    if let j = routes6.firstIndex(where: { $0.destination == r.destination }) {
                        error(rp.key("destination"), "duplicate route to \(r.isDefault ? "default (IPv6)" : r.destination.description) (also routes[\(route6At[j])])")
                        continue
                    }
                    routes6.append(r)
                    route6At.append(i)
                    continue
                }
                guard let r = route(rv, rp, interfaces: interfacesComplete ? interfaces : nil) else { continue }
                if let j = routes.firstIndex(where: { $0.destination == r.destination }) {
                    error(rp.key("destination"), "duplicate route to \(r.isDefault ? "default" : r.destination.description) (also routes[\(routeAt[j])])")
                    continue
                }
                routes.append(r)
                routeAt.append(i)
            }
        }

        var sysctls: [SysctlSetting] = []
        if let sv = value(f, "sysctls") {
            sysctls = self.sysctls(sv, path.key("sysctls"))
        }
        var hostname = m.key
        var forwarding = false
        for s in sysctls {
            if s.name == "kern.hostname", case let .string(h) = s.value { hostname = h }
            if s.name == "net.inet.ip.forwarding", case let .int(v) = s.value { forwarding = v != 0 }
        }
        if !sysctls.contains(where: { $0.name == "kern.hostname" }) {
            sysctls.insert(SysctlSetting(name: "kern.hostname", value: .string(hostname)), at: 0)
        }
        let forwarding6 = inet6Forwarding(&sysctls, shortName: value(f, "sysctls")?.objectValue?.contains { $0.key == "forwarding" } == true,
                                          hasInet6: interfaces.contains { !$0.addresses6.isEmpty })

        var components = kind == .linux ? [] : Component.closure([])
        var given = false
        let busKind: (String) -> BusKind? = { n in buses.first { $0.name == n }?.kind }
        let required = Component.closure(Component.required(for: interfaces, busKind: busKind)
            + (!routes6.isEmpty || sysctls.contains { $0.name.hasPrefix("net.inet6.") } ? [.rumpnet_netinet6] : []))
        if kind == .linux {
            // reported above if given
        } else if case let .some(list) = array(f, "components", path) {
            given = true
            if let list {
                if let c = self.components(list, path.key("components"), required: interfacesComplete ? required : nil,
                                           at: value(f, "components")?.position) {
                    components = c
                }
            }
        } else {
            components = required
        }
        if kind == .linux { sysctls = [] }
        // An interface left out (its bus is itself wrong) leaves the node incomplete: later
        // checks on it would only repeat that mistake.
        if !interfacesComplete || diagnostics[errorsBefore...].contains(where: { $0.severity == .error }) { good = false }
        guard good else { return nil }
        var node = Node(name: m.key, kind: kind, components: components, componentsGiven: given, hostname: hostname,
                        forwarding: forwarding, sysctls: sysctls, interfaces: interfaces, routes: routes)
        node.routes6 = routes6
        node.forwarding6 = forwarding6
        return node
    }

    mutating func components(_ list: [JSONValue], _ path: JSONPath, required: [Component]?, at pos: SourcePosition?) -> [Component]? {
        var given: [Component] = []
        var ok = true
        for (i, v) in list.enumerated() {
            guard let s = v.stringValue else {
                error(path.index(i), "expected a string, got \(v.typeName)", at: v.position)
                ok = false
                continue
            }
            guard let c = Component(rawValue: s) else {
                var msg = "unknown component \"\(s)\""
                let names = Component.allCases.map(\.rawValue)
                if let sug = suggestion(for: s, among: names) { msg += " (did you mean \"\(sug)\"?)" }
                else { msg += " (known: \(names.joined(separator: ", ")))" }
                error(path.index(i), msg, at: v.position)
                ok = false
                continue
            }
            if given.contains(c) {
                error(path.index(i), "duplicate component \"\(s)\"", at: v.position)
                ok = false
                continue
            }
            given.append(c)
        }
        guard ok, let required else { return nil }
        // One message for everything missing, each with the reason it is needed.
        var reasons: [(Component, String)] = []
        for r in required where !given.contains(r) {
            let why: String
            switch r {
            case .rumpnet, .rumpnet_net: why = "for any networking"
            case .rumpnet_netinet: why = required.contains(.rumpnet_netinet6) ? "for IPv4 addresses, and needed by \"rumpnet_netinet6\"" : "for IPv4 addresses"
            case .rumpnet_netinet6: why = "for IPv6 addresses, routes and sysctls"
            case .rumpnet_shmif: why = "for shmif interfaces"
            case .rumpnet_virtif: why = "for virt interfaces on tap buses"
            }
            reasons.append((r, why))
        }
        for g in given {
            for d in g.dependencies where !given.contains(d) && !reasons.contains(where: { $0.0 == d }) {
                reasons.append((d, "needed by \"\(g.rawValue)\""))
            }
        }
        if !reasons.isEmpty {
            reasons.sort { $0.0 < $1.0 }
            let list = reasons.map { "\"\($0.0.rawValue)\" (\($0.1))" }.joined(separator: ", ")
            error(path, "missing component\(reasons.count > 1 ? "s" : "") \(list)", at: pos)
            return nil
        }
        return given.sorted()
    }

    mutating func sysctls(_ v: JSONValue, _ path: JSONPath) -> [SysctlSetting] {
        guard let ms = members(v, path, allowed: nil) else { return [] }
        var out: [SysctlSetting] = []
        var setBy: [String: String] = [:]
        let allNames = Array(SysctlDefinition.aliases.keys).sorted() + SysctlDefinition.known.map(\.name)
        for m in ms {
            let p = path.key(m.key)
            let full = SysctlDefinition.aliases[m.key] ?? m.key
            guard let def = SysctlDefinition.named(full) else {
                var msg = "unknown sysctl \"\(m.key)\""
                if let s = suggestion(for: m.key, among: allNames) { msg += " (did you mean \"\(s)\"?)" }
                else { msg += " (see docs/TOPOLOGY.md for the known names)" }
                error(p, msg, at: m.keyPosition)
                continue
            }
            if let other = setBy[full] {
                error(p, "\(full) is set twice (also as \"\(other)\")", at: m.keyPosition)
                continue
            }
            setBy[full] = m.key
            switch def.kind {
            case let .string(maxBytes):
                guard let s = m.value.stringValue else {
                    error(p, "expected a string, got \(m.value.typeName)", at: m.value.position)
                    continue
                }
                guard !s.isEmpty, s.utf8.count <= maxBytes, !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
                    error(p, "\(full) must be 1 to \(maxBytes) printable bytes", at: m.value.position)
                    continue
                }
                out.append(SysctlSetting(name: full, value: .string(s)))
            case let .int(range):
                // Booleans read naturally for 0/1 switches such as forwarding.
                let n: Int?
                if let b = m.value.boolValue, range == 0...1 { n = b ? 1 : 0 } else { n = m.value.intValue }
                guard let n else {
                    if m.value.typeName == "integer", case let .number(_, text) = m.value.kind {
                        error(p, "\(text) is out of range for \(full) (\(range.lowerBound)...\(range.upperBound))", at: m.value.position)
                    } else {
                        error(p, "expected \(range == 0...1 ? "true, false, 0 or 1" : "an integer"), got \(m.value.typeName)", at: m.value.position)
                    }
                    continue
                }
                guard range.contains(n) else {
                    error(p, "\(n) is out of range for \(full) (\(range.lowerBound)...\(range.upperBound))", at: m.value.position)
                    continue
                }
                out.append(SysctlSetting(name: full, value: .int(n)))
            }
        }
        return out
    }

    mutating func interface(_ v: JSONValue, _ path: JSONPath, index: Int, nodeKind: NodeKind, buses: [Bus], busNames: Set<String>) -> Interface? {
        guard let f = members(v, path, allowed: Fields.interface) else { return nil }
        let before = diagnostics.count
        var bus: Bus?
        if case let .some(.some(b)) = string(f, "bus", path, required: true) {
            bus = buses.first { $0.name == b }
            if bus == nil && !busNames.contains(b) {
                var msg = "unknown bus \"\(b)\""
                let names = buses.map(\.name)
                if let s = suggestion(for: b, among: names) { msg += " (did you mean \"\(s)\"?)" }
                else if !names.isEmpty { msg += " (buses: \(names.joined(separator: ", ")))" }
                error(path.key("bus"), msg, at: value(f, "bus")?.position)
            }
        }
        let prefix = nodeKind.interfacePrefix(on: bus?.kind ?? .shmif)
        var name = "\(prefix)\(index)"
        if case let .some(n) = string(f, "name", path) {
            if let n {
                name = n
                // Only judged against a bus that is itself fine, else the bus's own message says it.
                if nodeKind == .linux {
                    if let why = Self.linuxInterfaceNameProblem(n) {
                        error(path.key("name"), "bad interface name \"\(n)\" for a linux node: \(why)", at: value(f, "name")?.position)
                    } else if n == "lo" {
                        error(path.key("name"), "\"lo\" is the namespace's own loopback; name the interface otherwise (eth0, eth1, ...)", at: value(f, "name")?.position)
                    }
                } else if let bus, !Self.isInterfaceName(n, prefix: prefix) {
                    error(path.key("name"), "\"\(n)\" is not a \(bus.kind.rawValue) interface name (expected \(prefix)0, \(prefix)1, ...)",
                          at: value(f, "name")?.position)
                }
            }
        }
        var mtu = 1500
        if case let .some(.some(m)) = int(f, "mtu", path, range: (bus?.kind ?? .shmif).mtuRange, what: "a \((bus?.kind ?? .shmif).rawValue) interface") {
            mtu = m
        }
        var up = true
        if case let .some(.some(u)) = bool(f, "up", path) { up = u }
        let addresses = self.addresses(f, path)
        let addresses6 = self.addresses6(f, path)
        var impair: String?
        if case let .some(.some(text)) = string(f, "impair", path) {
            if nodeKind == .linux {
                error(path.key("impair"), "a linux node's interface has no kernel impairment; impair the rump node's side of the link",
                      at: value(f, "impair")?.position)
            } else {
                impair = impairWords(text, path.key("impair"), at: value(f, "impair")?.position)
            }
        }
        guard diagnostics.count == before, let bus else { return nil }
        return Interface(name: name, bus: bus.name, addresses: addresses, mtu: mtu, up: up, impair: impair, addresses6: addresses6)
    }

    /// An `addresses` array (of an interface or a host tap): each one judged on its own.
    mutating func addresses(_ f: [JSONMember], _ path: JSONPath) -> [IPv4Prefix] {
        var addresses: [IPv4Prefix] = []
        if case let .some(.some(list)) = array(f, "addresses", path) {
            for (i, av) in list.enumerated() {
                let ap = path.key("addresses").index(i)
                guard let s = av.stringValue else {
                    error(ap, "expected a string such as \"10.0.0.1/24\" or \"fd00::1/64\", got \(av.typeName)", at: av.position)
                    continue
                }
                if Self.isInet6Text(s) { continue }  // addresses6 judges it
                if let a = interfaceAddress(s, ap, at: av.position) { addresses.append(a) }
            }
        }
        return addresses
    }

    static func isInterfaceName(_ n: String, prefix: String) -> Bool {
        guard n.hasPrefix(prefix) else { return false }
        let unit = n.dropFirst(prefix.count)
        return !unit.isEmpty && unit.count <= 4 && unit.allSatisfy { $0.isASCII && $0.isNumber } && (unit == "0" || unit.first != "0")
    }

    mutating func interfaceAddress(_ s: String, _ path: JSONPath, at pos: SourcePosition) -> IPv4Prefix? {
        switch IPv4Prefix.parse(s) {
        case .failure(.missingLength):
            error(path, "address \"\(s)\" has no prefix length (write it as \(s)/24, for example)", at: pos)
            return nil
        case .failure(.badAddress):
            error(path, "malformed address \"\(s)\" (expected a.b.c.d/len)", at: pos)
            return nil
        case let .failure(.badLength(l)):
            error(path, "bad prefix length \"\(l)\" in \"\(s)\" (expected 1...32)", at: pos)
            return nil
        case let .success(p):
            if p.length == 0 {
                error(path, "bad prefix length \"0\" in \"\(s)\" (expected 1...32)", at: pos)
                return nil
            }
            let first = p.address.value >> 24
            if first == 0 || first == 127 || first >= 224 {
                error(path, "\(p.address) is not usable as an interface address (0/8, 127/8, multicast and reserved are not)", at: pos)
                return nil
            }
            if p.length <= 30 && !p.hasHostBits {
                error(path, "\(p.address) is the network address of \(p.network); use a host address", at: pos)
                return nil
            }
            if p.length <= 30 && p.address == p.broadcast {
                error(path, "\(p.address) is the broadcast address of \(p.network); use a host address", at: pos)
                return nil
            }
            return p
        }
    }

    mutating func route(_ v: JSONValue, _ path: JSONPath, interfaces: [Interface]?) -> Route? {
        guard let f = members(v, path, allowed: Fields.route) else { return nil }
        var dest: IPv4Prefix?
        if case let .some(.some(d)) = string(f, "destination", path, required: true) {
            let pos = value(f, "destination")?.position
            if d == "default" {
                dest = IPv4Prefix(address: IPv4Address(0), length: 0)
            } else {
                switch IPv4Prefix.parse(d, defaultLength: 32) {
                case let .success(p):
                    if p.hasHostBits {
                        error(path.key("destination"), "route destination \"\(d)\" has host bits set (the network is \(p.network))", at: pos)
                    } else { dest = p }
                case .failure:
                    error(path.key("destination"), "malformed route destination \"\(d)\" (expected \"default\", a.b.c.d/len or a.b.c.d)", at: pos)
                }
            }
        }
        var gateway: IPv4Address?
        if case let .some(.some(g)) = string(f, "gateway", path, required: true) {
            let pos = value(f, "gateway")?.position
            if let a = IPv4Address(g) {
                if let interfaces {
                    let subnets = interfaces.filter(\.up).flatMap(\.addresses)
                    if subnets.contains(where: { $0.address == a }) {
                        error(path.key("gateway"), "gateway \(a) is this node's own address", at: pos)
                    } else if !subnets.contains(where: { $0.contains(a) }) {
                        let list = subnets.map { $0.network.description }
                        error(path.key("gateway"), "gateway \(a) is not on any subnet of this node's interfaces"
                              + (list.isEmpty ? " (it has no addresses)" : " (\(list.joined(separator: ", ")))"), at: pos)
                    } else { gateway = a }
                } else { gateway = a }
            } else {
                error(path.key("gateway"), "malformed gateway address \"\(g)\" (expected a.b.c.d)", at: pos)
            }
        }
        guard let dest, let gateway else { return nil }
        return Route(destination: dest, gateway: gateway)
    }

    /// Checks that need every node: the same address used twice in the lab (host taps included).
    mutating func crossNodeChecks(_ nodes: [Node], buses: [Bus]) {
        var owner: [IPv4Address: String] = [:]
        var taps: [String: String] = [:]
        for b in buses {
            if let h = b.host {
                if let o = taps[h.tap] {
                    error(JSONPath.root.key("buses").key(b.name).key("host").key("tap"), "host tap \"\(h.tap)\" is also the host tap of bus \(o)")
                } else { taps[h.tap] = b.name }
            }
            for (j, a) in (b.host?.addresses ?? []).enumerated() {
                let here = JSONPath.root.key("buses").key(b.name).key("host").key("addresses").index(j)
                if let o = owner[a.address] { error(here, "address \(a.address) is already used by \(o)") }
                else { owner[a.address] = JSONPath.root.key("buses").key(b.name).key("host").description }
            }
        }
        for n in nodes {
            for (i, intf) in n.interfaces.enumerated() {
                for (j, a) in intf.addresses.enumerated() {
                    let here = JSONPath.root.key("nodes").key(n.name).key("interfaces").index(i)
                    if let o = owner[a.address] {
                        error(here.key("addresses").index(j), "address \(a.address) is already used by \(o)")
                    } else {
                        owner[a.address] = here.description
                    }
                }
            }
        }
        busSubnetChecks(nodes)
    }

    /// A warning per bus whose interfaces have addresses in different subnets: two of them
    /// that share no subnet cannot talk directly on that bus (ARP is only sent on-link).
    mutating func busSubnetChecks(_ nodes: [Node]) {
        var onBus: [String: [(name: String, networks: Set<IPv4Prefix>, addresses: [IPv4Prefix])]] = [:]
        var order: [String] = []
        for n in nodes {
            for intf in n.interfaces where !intf.addresses.isEmpty {
                if onBus[intf.bus] == nil { order.append(intf.bus) }
                onBus[intf.bus, default: []].append(("\(n.name).\(intf.name)", Set(intf.addresses.map(\.network)), intf.addresses))
            }
        }
        for bus in order {
            let list = onBus[bus]!
            var apart: [(String, String)] = []
            for i in 0..<list.count {
                for j in (i + 1)..<max(i + 1, list.count) where list[i].networks.isDisjoint(with: list[j].networks) {
                    apart.append((list[i].name, list[j].name))
                }
            }
            guard let (x, y) = apart.first else { continue }
            let show = { (k: String) in list.first { $0.name == k }!.addresses.map(\.description).joined(separator: " ") }
            warning(JSONPath.root.key("buses").key(bus),
                    "nodes on this bus are in different subnets: \(x) has \(show(x)), \(y) has \(show(y))"
                    + (apart.count > 1 ? " (and \(apart.count - 1) more such pair\(apart.count > 2 ? "s" : ""))" : "")
                    + "; they cannot reach each other directly on it")
        }
    }

    mutating func check(_ v: JSONValue, _ path: JSONPath, nodes: [Node], nodeNames: Set<String>) -> Check? {
        guard let f = members(v, path, allowed: Fields.check) else { return nil }
        let before = diagnostics.count
        // ping6 semantics for "ping6", and for "ping" given an IPv6 address.
        let field = value(f, "ping6") != nil ? "ping6" : "ping"
        if value(f, "ping6") != nil, let p = value(f, "ping") {
            error(path.key("ping"), "a check has \"ping\" or \"ping6\", not both", at: p.position)
        }
        var targetText: String?
        if case let .some(.some(s)) = string(f, field, path, required: true) { targetText = s }
        let inet6 = field == "ping6" || targetText.map(Self.isInet6Text) == true
        var from: String?
        if case let .some(.some(s)) = string(f, "from", path, required: true) {
            if !nodeNames.contains(s) {
                var msg = "unknown node \"\(s)\""
                if let sug = suggestion(for: s, among: Array(nodeNames).sorted()) { msg += " (did you mean \"\(sug)\"?)" }
                error(path.key("from"), msg, at: value(f, "from")?.position)
            } else if inet6, let n = nodes.first(where: { $0.name == s }),
                      n.kind == .linux ? n.interfaces.allSatisfy({ $0.addresses6.isEmpty }) && n.routes6.isEmpty : !n.components.contains(.rumpnet_netinet6) {
                error(path.key("from"), "node \"\(s)\" has no IPv6 (no IPv6 address, route or rumpnet_netinet6) to ping6 from", at: value(f, "from")?.position)
            } else if !inet6, let n = nodes.first(where: { $0.name == s }), n.interfaces.allSatisfy({ $0.addresses.isEmpty }) {
                error(path.key("from"), "node \"\(s)\" has no address to ping from", at: value(f, "from")?.position)
            } else { from = s }
        }
        var target: Check.Target?
        if let s = targetText {
            let pos = value(f, field)?.position
            if inet6 {
                target = checkTarget6(s, path.key(field), at: pos, from: nodes.first { $0.name == from }, nodes: nodes, nodeNames: nodeNames)
            } else if let a = IPv4Address(s) {
                target = .address(a)
            } else if nodeNames.contains(s) {
                if let n = nodes.first(where: { $0.name == s }), n.interfaces.allSatisfy({ $0.addresses.isEmpty }) {
                    error(path.key("ping"), "node \"\(s)\" has no address to ping"
                          + (n.interfaces.contains { !$0.addresses6.isEmpty } ? " (its addresses are IPv6: use \"ping6\")" : ""), at: pos)
                } else { target = .node(s) }
            } else if s.allSatisfy({ $0 == "." || ($0.isASCII && $0.isNumber) }) {
                error(path.key("ping"), "malformed address \"\(s)\" (expected a node name or a.b.c.d)", at: pos)
            } else {
                var msg = "unknown node \"\(s)\""
                if let sug = suggestion(for: s, among: Array(nodeNames).sorted()) { msg += " (did you mean \"\(sug)\"?)" }
                error(path.key("ping"), msg, at: pos)
            }
        }
        var expect = Check.Expectation.success
        if case let .some(.some(e)) = string(f, "expect", path) {
            if let x = Check.Expectation(rawValue: e) { expect = x }
            else { error(path.key("expect"), "expected \"success\" or \"failure\", got \"\(e)\"", at: value(f, "expect")?.position) }
        }
        // A check that expects failure can only conclude when its time is up: 1 s by default
        // keeps bring-up fast; one that expects success ends at its last reply.
        var count = 3, timeout = expect == .failure ? 1 : 5
        if case let .some(.some(c)) = int(f, "count", path, range: 1...100) { count = c }
        if case let .some(.some(t)) = int(f, "timeout", path, range: 1...300) { timeout = t }
        guard diagnostics.count == before, let from, let target else { return nil }
        return Check(from: from, target: target, expect: expect, count: count, timeout: timeout)
    }
}
