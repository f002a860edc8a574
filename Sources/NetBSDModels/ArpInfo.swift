// One ARP entry: what a kernel reports (RumpProtocol encodes it) and arp -a prints.

/// An ARP table entry (arp -a), or the entry arp -s asks a kernel to make.
public struct ArpInfo: Hashable, Sendable {
    public var address: IPv4Address
    /// nil while resolution is incomplete.
    public var linkAddress: [UInt8]?
    public var interface: String
    /// Seconds until the entry expires; nil for permanent (static) entries.
    public var expire: Int64?
    /// A published (proxy) entry: answered for other hosts.
    public var published: Bool

    public init(address: IPv4Address, linkAddress: [UInt8]?, interface: String, expire: Int64? = nil, published: Bool = false) {
        self.address = address
        self.linkAddress = linkAddress
        self.interface = interface
        self.expire = expire
        self.published = published
    }

    public var isPermanent: Bool { expire == nil }
    public var isIncomplete: Bool { linkAddress == nil }
}
