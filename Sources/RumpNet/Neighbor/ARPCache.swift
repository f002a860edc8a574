// The ARP cache (NetBSD's llinfo_arp / lltable): per interface, incomplete and resolved entries,
// permanent and published (proxy) ones, each with its expiry in the stack's timer queue and a
// bounded hold queue.

public struct ARPEntryInfo: Sendable, Equatable {
    public enum State: Sendable, Equatable { case incomplete, resolved, down }
    public var address: IPv4Address
    public var mac: MACAddress?
    public var interfaceName: String
    public var state: State
    public var permanent: Bool
    public var published: Bool
    /// Clock time the entry expires (nil for permanent ones).
    public var expires: UInt64?
}

struct ARPKey: Hashable {
    var ifIndex: Int32
    var address: UInt32
}

struct ARPEntry {
    var state: ARPEntryInfo.State
    var mac: MACAddress = .zero
    var permanent = false
    var published = false
    var expires: UInt64 = 0
    /// Requests sent while incomplete; the time of the last one.
    var asked = 0
    var lastRequest: UInt64 = 0
    /// Datagrams (IP header onward) waiting for resolution, oldest first.
    var hold: [[UInt8]] = []
    /// Its expiry in the stack's timer queue.
    var timer = TimerID.none
}

struct ARPCache {
    /// A hard bound on entries, so a flood of forwarded destinations cannot grow the table forever.
    static let maxEntries = 4096
    var entries: [ARPKey: ARPEntry] = [:]
    /// Bumped whenever entries change, so the per-interface hints know they are stale.
    var generation: UInt64 = 1

    mutating func invalidateHint() { generation &+= 1 }
}
