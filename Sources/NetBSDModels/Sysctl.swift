// sysctl values as a kernel reports them and the utilities print them: one model for the
// protocol (which encodes it, docs/PROTOCOL.md) and the formatters.

/// A sysctl leaf's value. `structure` is pre-formatted text for struct nodes such as
/// kern.clockrate, which sysctl prints as `name: text`.
public enum SysctlValue: Hashable, Sendable {
    /// CTLTYPE_INT.
    case int(Int32)
    /// CTLTYPE_QUAD.
    case quad(Int64)
    /// CTLTYPE_BOOL.
    case bool(Bool)
    case string(String)
    /// CTLTYPE_STRUCT, already formatted by the kernel.
    case structure(String)

    /// The text sysctl prints after `name = ` (or after `name: ` for structures).
    public var text: String {
        switch self {
        case .int(let v): return String(v)
        case .quad(let v): return String(v)
        case .bool(let v): return v ? "1" : "0"
        case .string(let v), .structure(let v): return v
        }
    }
}

/// One named sysctl value ("net.inet.ip.forwarding").
public struct SysctlEntry: Hashable, Sendable {
    public var name: String
    public var value: SysctlValue
    public var writable: Bool
    public var description: String?
    public init(name: String, value: SysctlValue, writable: Bool = true, description: String? = nil) {
        self.name = name; self.value = value; self.writable = writable; self.description = description
    }
}
