// Link impairments by kernel request (`rumpnet-lab impair`, `link ... down`): the named
// interface's device is wrapped in an Impairment, updated in place while one is there, and
// unwrapped when cleared. The impairment is the outermost middleware, so it sees what the
// stack sends and what the medium (and any RUMPNET_FAULT injector) delivers.

import RumpKernel
import RumpNet
import RumpProtocol

extension KernelNetStack: LinkImpairing {
    func currentImpairment(_ name: String) throws(KernelError) -> Impairment? {
        guard let ifp = stack.interface(named: name) else { throw KernelError(.ENXIO, message: name) }
        return ifp.device as? Impairment
    }

    public func setImpairment(_ name: String, words: [String]?) throws(KernelError) {
        let existing = try currentImpairment(name)
        guard let words else {
            if existing != nil { try wrapDevice(name) { ($0 as! Impairment).inner } }
            stack.log?("\(name): impairment cleared")
            return
        }
        let spec: ImpairmentSpec
        do { spec = try ImpairmentSpec.parse(words: words) } catch {
            throw KernelError(.EINVAL, message: "\(name): impair: \(error.description)")
        }
        if let existing, existing.spec.seed == spec.seed {
            existing.update(spec)
            try wrapDevice(name) { $0 }  // re-reads deadlines and descriptors
        } else {
            try wrapDevice(name) { d in Impairment(wrapping: (d as? Impairment)?.inner ?? d, spec: spec) }
        }
        stack.log?("\(name): impairment: \(spec.text.isEmpty ? "none" : spec.text)")
    }

    public func impairment(_ name: String) throws(KernelError) -> String? {
        try currentImpairment(name)?.spec.text
    }

    public func impairmentCounters(_ name: String) throws(KernelError) -> [StatCounter] {
        guard let imp = try currentImpairment(name) else { return [] }
        var out: [StatCounter] = []
        for (dir, c) in [("egress", imp.egressCounters), ("ingress", imp.ingressCounters)] {
            for (k, v) in c.fields { out.append(StatCounter(name: "\(dir).\(k)", value: v)) }
        }
        out.append(StatCounter(name: "egress.queued", value: UInt64(imp.queuedFrames.egress)))
        out.append(StatCounter(name: "ingress.queued", value: UInt64(imp.queuedFrames.ingress)))
        return out
    }

    public func setLinkState(_ name: String, up: Bool) throws(KernelError) {
        if let existing = try currentImpairment(name) {
            var spec = existing.spec
            spec.down = !up
            existing.update(spec)
            try wrapDevice(name) { $0 }
        } else if !up {
            var spec = ImpairmentSpec()
            spec.down = true
            try wrapDevice(name) { Impairment(wrapping: $0, spec: spec) }
        }
        stack.log?("\(name): link state \(up ? "UP" : "DOWN") (rumpnet-lab link)")
    }
}
