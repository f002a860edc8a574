// arp(8)'s output and diagnostics.

public enum ArpFormat {
    public static let usage = "Usage: arp [-n] hostname\n\t      arp [-nv] -a\n\t      arp [-v] -d [-a|hostname [pub [proxy]]]\n"
        + "       arp -s hostname ether_addr [temp] [pub [proxy]]\n       arp -f filename\n"

    /// One entry: "? (10.0.0.2) at b2:a0:9f:68:17:e1 on shmif0 [permanent] [published (proxy only)]".
    /// The name is "?" because reverse lookups have nothing to ask.
    public static func entry(_ e: ArpInfo) -> String {
        var s = "? (\(e.address)) at "
        s += e.linkAddress.map(MACAddress.format) ?? "(incomplete)"
        s += " on \(e.interface)"
        if e.isPermanent { s += " permanent" }
        if e.published { s += " published (proxy only)" }
        return s + "\n"
    }

    /// `arp -a`.
    public static func all(_ entries: [ArpInfo]) -> ToolOutput {
        ToolOutput(stdout: entries.map(entry).joined())
    }

    /// `arp host`: the entry, or "-- no entry".
    public static func show(_ e: ArpInfo?, address: IPv4Address, hostText: String) -> ToolOutput {
        guard let e else { return .errx("arp", "\(hostText) (\(address)) -- no entry") }
        return ToolOutput(stdout: entry(e))
    }

    /// `arp -d host` the kernel refused: NetBSD warns and exits 0.
    public static func deleteFailed(_ e: NetBSDErrno) -> ToolOutput {
        .warnx("arp", "writing to routing socket: \(e.strerror)")
    }

    /// `arp -s` the kernel refused (no interface on the host's network: ESRCH).
    public static func setFailed(hostText: String, _ e: NetBSDErrno) -> ToolOutput {
        ToolOutput(stderr: "arp: writing to routing socket: \(e.strerror)\narp: \(hostText): \(e.strerror)\n", status: 1)
    }
}
