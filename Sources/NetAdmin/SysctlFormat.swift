// sysctl(8)'s value lines, for the sysctl values the network utilities' kernels report.
// (sysctl's own parser and diagnostics belong to the sysctl utility.)

public enum SysctlFormat {
    /// The value as sysctl prints it (booleans as 0 or 1, structures as the kernel's text).
    public static func text(_ v: SysctlValue) -> String { v.text }

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
