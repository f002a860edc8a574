// sysctl(8)'s value lines, for the sysctl values the network utilities' kernels report.
// (sysctl's own parser and diagnostics belong to the sysctl utility.)

public enum SysctlFormat {
    /// The value as sysctl prints it; opaque values show their size.
    public static func text(_ v: SysctlValue) -> String {
        switch v {
        case .int(let i): return String(i)
        case .quad(let q): return String(q)
        case .string(let s): return s
        case .opaque(let b): return "\(b.count) bytes"
        case .node: return ""
        }
    }

    /// "name = value" (`-n`: the value alone; `-e`: "name=value").
    public static func line(_ e: SysctlEntry, valueOnly: Bool = false, equalsOnly: Bool = false) -> String {
        if valueOnly { return text(e.value) + "\n" }
        return e.name + (equalsOnly ? "=" : " = ") + text(e.value) + "\n"
    }

    /// `sysctl -w name=value`: "name: old -> new".
    public static func changed(_ name: String, from old: SysctlValue, to new: SysctlValue) -> String {
        "\(name): \(text(old)) -> \(text(new))\n"
    }
}
