// Link impairments by kernel request (`rumpnet-lab impair`, `link ... down`): the named
// interface's device is wrapped in an Impairment, updated in place while one is there, and
// unwrapped when cleared. The impairment is the outermost middleware but for a stack-side
// capture (KernelNetStack+Capture.swift keeps the order), so it sees what the stack sends and
// what the medium (and any RUMPNET_FAULT injector) delivers.

import RumpKernel
import RumpNet
import RumpProtocol

extension KernelNetStack: LinkImpairing {
    func currentImpairment(_ name: String) throws(KernelError) -> Impairment? {
        guard let ifp = stack.interface(named: name) else { throw KernelError(.ENXIO, message: name) }
        return deviceChain(ifp.device, name).impairment
    }

    public func setImpairment(_ name: String, words: [String]?) throws(KernelError) {
        let existing = try currentImpairment(name)
        guard let words else {
            if existing != nil { try rebuildChain(name) { $0.impairment = nil } }
            stack.log?("\(name): impairment cleared")
            return
        }
        let spec: ImpairmentSpec
        do { spec = try ImpairmentSpec.parse(words: words) } catch {
            throw KernelError(.EINVAL, message: "\(name): impair: \(error.description)")
        }
        if let existing, existing.spec.seed == spec.seed {
            existing.update(spec)
            try rebuildChain(name) { _ in }  // re-reads deadlines and descriptors
        } else {
            try rebuildChain(name) { c in c.impairment = Impairment(wrapping: c.base, spec: spec) }
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
            try rebuildChain(name) { _ in }
        } else if !up {
            var spec = ImpairmentSpec()
            spec.down = true
            try rebuildChain(name) { c in c.impairment = Impairment(wrapping: c.base, spec: spec) }
        }
        stack.log?("\(name): link state \(up ? "UP" : "DOWN") (rumpnet-lab link)")
    }
}
