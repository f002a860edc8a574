import Foundation

public struct NamespaceError: Error, CustomStringConvertible {
    public var description: String
}

/// A network namespace a test creates (as root); deleted when the value goes, also when the
/// test fails. Name it after the test's branch and pid ("dev<pid>-...") so runs never collide.
public final class TestNamespace {
    public let name: String
    public init(_ name: String) throws {
        self.name = name
        _ = try? run("/usr/sbin/ip", ["netns", "del", name], timeout: 10)
        let r = try run("/usr/sbin/ip", ["netns", "add", name], timeout: 10)
        guard r.status == 0 else { throw NamespaceError(description: "ip netns add \(name): \(r.stderr)") }
        _ = try run("/usr/sbin/ip", ["-n", name, "link", "set", "lo", "up"], timeout: 10)
    }
    deinit { _ = try? run("/usr/sbin/ip", ["netns", "del", name], timeout: 10) }

    /// A command inside the namespace.
    @discardableResult
    public func exec(_ args: [String], timeout: TimeInterval = 30) throws -> ProcessResult {
        try run("/usr/sbin/ip", ["netns", "exec", name] + args, timeout: timeout)
    }

    /// A command inside the namespace, in the background.
    public func start(_ args: [String]) throws -> Background {
        try Background("/usr/sbin/ip", ["netns", "exec", name] + args)
    }

    /// `ip -n NAME ARGS`.
    @discardableResult
    public func ip(_ args: [String]) throws -> ProcessResult { try run("/usr/sbin/ip", ["-n", name] + args, timeout: 10) }

    /// Moves host interface `interface` into the namespace.
    public func adopt(_ interface: String) throws {
        let r = try run("/usr/sbin/ip", ["link", "set", interface, "netns", name], timeout: 10)
        guard r.status == 0 else { throw NamespaceError(description: "ip link set \(interface) netns \(name): \(r.stderr)") }
    }

    public func hasInterface(_ interface: String) -> Bool { (try? ip(["link", "show", interface]))?.status == 0 }
}
