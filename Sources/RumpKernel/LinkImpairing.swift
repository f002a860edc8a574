import RumpProtocol

/// A stack whose interfaces can carry a link impairment (netem's model: delay, loss, rate, link
/// down). A separate protocol rather than a NetworkStack requirement, as SocketListing: a stack
/// without one answers EOPNOTSUPP.
public protocol LinkImpairing: AnyObject {
    /// Sets interface `name`'s impairment from netem's words; nil removes it. EINVAL with the
    /// parser's message names the bad word.
    func setImpairment(_ name: String, words: [String]?) throws(KernelError)
    /// The words in force, nil when none.
    func impairment(_ name: String) throws(KernelError) -> String?
    /// `egress.dropped`, `ingress.delayed`, ... (none when there is no impairment).
    func impairmentCounters(_ name: String) throws(KernelError) -> [StatCounter]
    /// Link down: every frame lost both ways, the impairment's other settings kept.
    func setLinkState(_ name: String, up: Bool) throws(KernelError)
}

extension Kernel {
    static func impairing(_ stack: any NetworkStack) throws(KernelError) -> any LinkImpairing {
        guard let s = stack as? any LinkImpairing else {
            throw KernelError(.EOPNOTSUPP, message: "this kernel's stack has no link impairments")
        }
        return s
    }
}
