// A sysctl node's value as sysctl(8) prints it.

public enum SysctlValue: Sendable, Equatable {
    /// CTLTYPE_INT / CTLTYPE_BOOL.
    case int(Int32)
    /// CTLTYPE_QUAD.
    case quad(Int64)
    case string(String)
    /// CTLTYPE_STRUCT: opaque bytes (sysctl prints only their size).
    case opaque([UInt8])
    /// CTLTYPE_NODE: has children, no value.
    case node
}

/// One named sysctl value ("net.inet.ip.forwarding").
public struct SysctlEntry: Sendable, Equatable {
    public var name: String
    public var value: SysctlValue
    public var writable: Bool

    public init(name: String, value: SysctlValue, writable: Bool = true) {
        self.name = name
        self.value = value
        self.writable = writable
    }
}
