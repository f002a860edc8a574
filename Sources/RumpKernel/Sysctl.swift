import RumpProtocol

/// The kind of a sysctl leaf: decides how a written value is parsed.
public enum SysctlKind: Sendable {
    case int, quad, bool, string, structure
}

/// A leaf of the sysctl tree. `get` and `set` run on the event loop thread.
public struct SysctlLeaf {
    public var kind: SysctlKind
    public var get: () -> SysctlValue
    /// nil = read-only (writing gives EPERM, as NetBSD does for kern.ostype).
    public var set: ((SysctlValue) throws(KernelError) -> Void)?
    /// Hidden leaves answer by name but are left out of listings (see docs/kernel.md).
    public var hidden: Bool
    public var description: String?

    public init(kind: SysctlKind, hidden: Bool = false, description: String? = nil,
                get: @escaping () -> SysctlValue, set: ((SysctlValue) throws(KernelError) -> Void)? = nil) {
        self.kind = kind; self.get = get; self.set = set; self.hidden = hidden; self.description = description
    }

    public static func constant(_ v: SysctlValue) -> SysctlLeaf {
        let kind: SysctlKind = switch v {
        case .int: .int
        case .quad: .quad
        case .bool: .bool
        case .string: .string
        case .structure: .structure
        }
        return SysctlLeaf(kind: kind, get: { v })
    }
}

/// Something that owns sysctl nodes (the network stack's net.* nodes). It registers them
/// once, at boot, before the first request.
public protocol SysctlProvider: AnyObject {
    func registerSysctl(in tree: SysctlTree)
}

/// NetBSD's MIB tree: named nodes in creation order, leaves with getters and setters.
/// Top-level nodes are kept in NetBSD's CTL_* order (kern, vm, vfs, net, debug, hw, ...),
/// which is the order `sysctl -a` prints them in.
public final class SysctlTree {
    final class Node {
        var children: [(String, Node)] = []
        var leaf: SysctlLeaf?
        func child<S: StringProtocol>(_ n: S) -> Node? { children.first { $0.0 == n }?.1 }
    }

    static let topLevelOrder = ["kern", "vm", "vfs", "net", "debug", "hw", "machdep", "user", "ddb", "proc", "vendor", "emul", "security"]

    let root = Node()

    public init() {
        for t in Self.topLevelOrder { root.children.append((t, Node())) }
    }

    /// Adds (or replaces) a leaf at a dotted name, creating intermediate nodes.
    public func add(_ name: String, _ leaf: SysctlLeaf) {
        var n = root
        for part in name.split(separator: ".") {
            if let c = n.child(part) { n = c } else {
                let c = Node()
                n.children.append((String(part), c))
                n = c
            }
        }
        n.leaf = leaf
    }

    /// Resolves a name to its node; on failure the error's detail is the 0-based level that
    /// was not found (sysctl(8) says "second level name ... is invalid").
    func resolve(_ name: String) throws(KernelError) -> Node {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var n = root
        for (i, p) in parts.enumerated() {
            guard let c = n.child(p), (i == 0 || c.leaf != nil || !c.children.isEmpty) else {
                throw KernelError(.ENOENT, detail: UInt32(i), message: name)
            }
            n = c
        }
        return n
    }

    func entries(under node: Node, prefix: String, includeHidden: Bool) -> [SysctlEntry] {
        var out: [SysctlEntry] = []
        if let l = node.leaf, includeHidden || !l.hidden {
            out.append(SysctlEntry(name: prefix, value: l.get(), writable: l.set != nil, description: l.description))
        }
        for (n, c) in node.children {
            out += entries(under: c, prefix: prefix.isEmpty ? n : prefix + "." + n, includeHidden: false)
        }
        return out
    }

    /// A leaf's entry, or every listed leaf under a node.
    public func get(_ name: String) throws(KernelError) -> [SysctlEntry] {
        let n = try resolve(name)
        return entries(under: n, prefix: name, includeHidden: true)
    }

    /// Every listed leaf under `prefix` ("" = the whole tree).
    public func list(_ prefix: String) throws(KernelError) -> [SysctlEntry] {
        if prefix.isEmpty { return entries(under: root, prefix: "", includeHidden: false) }
        return try get(prefix)
    }

    /// Parses `text` by the leaf's kind, stores it, and returns the old and new entries.
    public func set(_ name: String, text: String) throws(KernelError) -> (SysctlEntry, SysctlEntry) {
        let n = try resolve(name)
        guard let leaf = n.leaf else { throw KernelError(.EISDIR, message: name) }
        guard let setter = leaf.set else { throw KernelError(.EPERM, message: name) }
        let old = SysctlEntry(name: name, value: leaf.get(), writable: true, description: leaf.description)
        let v: SysctlValue
        switch leaf.kind {
        case .int:
            guard let x = Self.parseInteger(text), let i = Int32(exactly: x) else { throw KernelError(.EINVAL, message: name) }
            v = .int(i)
        case .quad:
            guard let x = Self.parseInteger(text) else { throw KernelError(.EINVAL, message: name) }
            v = .quad(x)
        case .bool:
            guard let x = Self.parseInteger(text), x == 0 || x == 1 else { throw KernelError(.EINVAL, message: name) }
            v = .bool(x == 1)
        case .string: v = .string(text)
        case .structure: throw KernelError(.EPERM, message: name)
        }
        try setter(v)
        let new = SysctlEntry(name: name, value: leaf.get(), writable: true, description: leaf.description)
        return (old, new)
    }

    /// strtoll with base 0, as sysctl(8) parses numbers: decimal, 0x hex, leading-0 octal.
    static func parseInteger(_ s: String) -> Int64? {
        var t = Substring(s)
        var neg = false
        if t.hasPrefix("-") { neg = true; t = t.dropFirst() } else if t.hasPrefix("+") { t = t.dropFirst() }
        var radix = 10
        if t.hasPrefix("0x") || t.hasPrefix("0X") { radix = 16; t = t.dropFirst(2) } else if t.count > 1 && t.hasPrefix("0") { radix = 8; t = t.dropFirst() }
        guard !t.isEmpty, let v = Int64(t, radix: radix) else { return nil }
        return neg ? -v : v
    }
}
