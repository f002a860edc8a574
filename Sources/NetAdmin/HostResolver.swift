// Name to address for the utilities: numeric IPv4, "localhost", and the lab's node names.
// The rump kernels NetBSD's tools ran against had no resolver, so "localhost" failed there;
// resolving it (and lab names) is a deliberate improvement.

public struct HostResolver: Sendable {
    /// Extra names (lab nodes), looked up after numeric forms and "localhost".
    public var hosts: [String: IPv4Address]

    public init(hosts: [String: IPv4Address] = [:]) { self.hosts = hosts }

    public func resolve(_ name: String) -> IPv4Address? {
        if let a = IPv4Address(name) { return a }
        if name == "localhost" || name == "localhost." { return .loopback }
        return hosts[name]
    }

    /// True for names made only of digits and dots: NetBSD's resolver treats those as malformed
    /// numbers ("10.0.0.300") and reports no error code for them.
    public static func looksNumeric(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0 == "." || ($0.isASCII && $0.isNumber) }
    }
}
