// The fault-injection test hook: RUMPNET_FAULT=shmif0:drop=5,reorder=2,seed=1 wraps each named
// interface's device in a FaultInjector when the interface is created (docs/stack.md, "Device
// middlewares"). A malformed value stops rump_server at boot with a message naming the entry.

#if canImport(Glibc)
import Glibc
#endif
import RumpNet
import RumpProtocol

extension KernelNetStack {
    /// The variable's entries, parsed once per process; a bad value is reported by `checkFaultVariable`.
    static let faultSpecs: Result<[FaultSpec], FaultSpec.ParseError> = {
        guard let v = getenv("RUMPNET_FAULT") else { return .success([]) }
        return Result { () throws(FaultSpec.ParseError) in try FaultSpec.parseList(String(cString: v)) }
    }()

    /// nil, or the message that says what is wrong with RUMPNET_FAULT.
    public static func checkFaultVariable() -> String? {
        if case .failure(let e) = faultSpecs { return e.description }
        return nil
    }

    func applyFaults(to name: String) throws(Errno) {
        guard case .success(let specs) = Self.faultSpecs, let spec = specs.first(where: { $0.interface == name }) else { return }
        try stack.wrapDevice(name: name) { spec.injector(wrapping: $0) }
        stack.log?("\(name): RUMPNET_FAULT: drop \(spec.dropPercent)%, reorder \(spec.reorderPercent)%, seed \(spec.seed)")
    }
}
