// Per-interface capture (`rumpnet-lab capture NODE:IFACE`, bpf(4)'s model): a CapturingDevice
// on the interface, at the wire (beneath a link impairment, next to the medium) or at the
// stack (above it), with the sessions that tap it. Each session runs its client's BPF program
// on every frame and keeps what passes in a bounded buffer; what does not fit is dropped and
// counted, so a reader that falls behind never holds up the loop. No capture: no middleware.
//
// The order around the medium is fixed: stack capture → Impairment → wire capture → medium
// (with any RUMPNET_FAULT injector). `deviceChain`/`rebuildChain` keep it when captures or an
// impairment come and go (KernelNetStack+Impairment.swift uses them too).

import Pcap
import RumpKernel
import RumpNet
import RumpProtocol

/// One capture point of one interface: its middleware and the sessions on it.
final class CaptureTaps {
    /// Weak: the interface's device chain owns the middleware; gone with the interface.
    weak var device: CapturingDevice?
    var sessions: [InterfaceCaptureSession] = []
}

/// The capture points of one interface.
struct InterfaceCaptures {
    var wire: CaptureTaps?
    var stack: CaptureTaps?
    subscript(_ p: CapturePoint) -> CaptureTaps? {
        get { p == .wire ? wire : stack }
        set { if p == .wire { wire = newValue } else { stack = newValue } }
    }
}

/// An interface's device as its parts, outermost first.
struct DeviceChain {
    var stackCapture: CapturingDevice?
    var impairment: Impairment?
    var wireCapture: CapturingDevice?
    var base: NetDevice

    /// Builds the device the interface gets, in the fixed order.
    func composed() -> NetDevice {
        var d = base
        if let w = wireCapture { w.inner = d; d = w }
        if let i = impairment { d = i.inner === d ? i : i.rewrapped(around: d) }
        if let s = stackCapture { s.inner = d; d = s }
        return d
    }
}

/// One session (a bpf descriptor): filter, snapshot length, buffer and counters.
final class InterfaceCaptureSession: CaptureSession {
    let interface: String
    let point: CapturePoint
    let linkType: UInt32
    /// lo's packets have no link header: DLT_NULL's 4-byte family (host order) goes first, as
    /// NetBSD's looutput gives bpf.
    let loopback: Bool
    let snapLength: Int
    let capacity: Int
    let filter: BPFProgram?
    let wallClockOffset: UInt64
    let wakeup: () -> Void
    private var buffer: [UInt8] = []
    /// lo's packet behind its family word, for the filter (reused).
    private var scratch: [UInt8] = []
    var received: UInt64 = 0, accepted: UInt64 = 0, dropped: UInt64 = 0
    unowned let owner: KernelNetStack
    weak var taps: CaptureTaps?
    private(set) var closed = false

    init(_ r: CaptureRequest, loopback: Bool, filter: BPFProgram?, wallClockOffset: UInt64, owner: KernelNetStack, wakeup: @escaping () -> Void) {
        interface = r.interface
        point = r.point
        self.loopback = loopback
        linkType = loopback ? 0 : 1  // DLT_NULL, DLT_EN10MB
        snapLength = Int(r.snapLength)
        capacity = Int(r.bufferBytes)
        self.filter = filter
        self.wallClockOffset = wallClockOffset
        self.owner = owner
        self.wakeup = wakeup
        buffer.reserveCapacity(capacity)
    }

    /// A frame the interface carried (bpf_mtap): filtered, then kept if there is room.
    @inline(__always)
    func tap(_ direction: CapturingDevice.Direction, _ frame: UnsafeRawBufferPointer, now: UInt64) {
        received &+= 1
        let flags = direction == .received ? CaptureRecord.inbound : CaptureRecord.outbound
        if loopback {
            scratch.removeAll(keepingCapacity: true)
            let version = frame.count > 0 ? frame[0] >> 4 : 4
            let family = UInt32(version == 6 ? NetBSD.AF_INET6 : NetBSD.AF_INET)
            withUnsafeBytes(of: family) { scratch.append(contentsOf: $0) }
            scratch.append(contentsOf: frame)
            scratch.withUnsafeBytes { keep($0, flags: flags, now: now) }
        } else {
            keep(frame, flags: flags, now: now)
        }
    }

    @inline(__always)
    private func keep(_ packet: UnsafeRawBufferPointer, flags: UInt32, now: UInt64) {
        var n = packet.count
        if let filter {
            n = filter.run(packet, wireLength: packet.count)
            guard n > 0 else { return }
        }
        accepted &+= 1
        n = min(n, snapLength, packet.count)
        guard buffer.count + CaptureRecord.headerSize + n <= capacity else { dropped &+= 1; return }
        let wasEmpty = buffer.isEmpty
        CaptureRecord.append(to: &buffer, time: now &+ wallClockOffset, wireLength: packet.count, flags: flags,
                             bytes: UnsafeRawBufferPointer(rebasing: packet[0..<n]))
        if wasEmpty { wakeup() }
    }

    var hasFrames: Bool { !buffer.isEmpty }

    var endReason: String? {
        if closed { return "closed" }
        guard let d = taps?.device, let ifp = owner.stack.interface(named: interface),
              owner.deviceChain(ifp.device, interface).contains(d) else { return "\(interface): interface destroyed" }
        return nil
    }

    func take(maxBytes: Int, into batch: inout CaptureBatch) {
        batch.received = received
        batch.accepted = accepted
        batch.dropped = dropped
        guard !buffer.isEmpty else { return }
        if buffer.count <= maxBytes {
            batch.records = buffer
            // The reply holds the old storage; the next frames get a new buffer of the same size.
            buffer.removeAll(keepingCapacity: true)
            return
        }
        // The whole records that fit (at least one: the buffer's records are each smaller than a reply).
        var cut = 0
        buffer.withUnsafeBytes { b in
            while cut + CaptureRecord.headerSize <= b.count {
                let caplen = Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: cut + 12, as: UInt32.self)))
                let next = cut + CaptureRecord.headerSize + caplen
                guard next <= maxBytes || cut == 0 else { break }
                cut = next
            }
        }
        batch.records = Array(buffer[0..<cut])
        buffer.removeSubrange(0..<cut)
    }

    func close() {
        guard !closed else { return }
        closed = true
        buffer = []
        owner.detachCapture(self)
    }
}

extension DeviceChain {
    func contains(_ d: CapturingDevice) -> Bool { stackCapture === d || wireCapture === d }
}

extension KernelNetStack: PacketCapturing {
    /// Interface `name`'s device taken apart: only the CapturingDevices this stack put there
    /// count as captures (a test's own stays part of the base).
    func deviceChain(_ device: NetDevice, _ name: String) -> DeviceChain {
        var d = device
        var c = DeviceChain(base: device)
        let caps = captures[name]
        if let s = caps?.stack?.device, d === s { c.stackCapture = s; d = s.inner }
        if let i = d as? Impairment { c.impairment = i; d = i.inner }
        if let w = caps?.wire?.device, d === w { c.wireCapture = w; d = w.inner }
        c.base = d
        return c
    }

    /// Changes interface `name`'s chain and installs it (ENXIO naming the interface).
    func rebuildChain(_ name: String, _ change: (inout DeviceChain) -> Void) throws(KernelError) {
        guard stack.interface(named: name) != nil else { throw KernelError(.ENXIO, message: name) }
        try wrapDevice(name) { current in
            var c = deviceChain(current, name)
            change(&c)
            return c.composed()
        }
    }

    public func openCapture(_ request: CaptureRequest, wallClockOffset: UInt64, wakeup: @escaping () -> Void) throws(KernelError) -> any CaptureSession {
        let name = request.interface
        guard let ifp = stack.interface(named: name) else { throw KernelError(.ENXIO, message: name) }
        var program: BPFProgram?
        if !request.filter.isEmpty {
            do { program = try BPFProgram(bytes: request.filter) } catch {
                throw KernelError(.EINVAL, message: "\(name): capture filter: \(error.description)")
            }
        }
        let session = InterfaceCaptureSession(request, loopback: ifp.linkType == .loopback, filter: program,
                                              wallClockOffset: wallClockOffset, owner: self, wakeup: wakeup)
        var caps = captures[name] ?? InterfaceCaptures()
        // A point whose middleware went with an earlier interface of this name starts afresh.
        if let t = caps[request.point], t.device == nil || !deviceChain(ifp.device, name).contains(t.device!) {
            caps[request.point] = nil
        }
        if let taps = caps[request.point] {
            taps.sessions.append(session)
            session.taps = taps
            captures[name] = caps
        } else {
            let taps = CaptureTaps()
            taps.sessions = [session]
            session.taps = taps
            let device = CapturingDevice(wrapping: ifp.device) { direction, frame, now in
                for s in taps.sessions { s.tap(direction, frame, now: now) }
            }
            taps.device = device
            caps[request.point] = taps
            captures[name] = caps
            try rebuildChain(name) { c in
                if request.point == .wire { c.wireCapture = device } else { c.stackCapture = device }
            }
        }
        stack.log?("\(name): capture started (\(request.point.name) side\(program == nil ? "" : ", \(program!.count) BPF instructions"))")
        return session
    }

    /// A session closed: it leaves its point, and the point's middleware leaves the interface
    /// with the last one.
    func detachCapture(_ s: InterfaceCaptureSession) {
        guard let taps = s.taps else { return }
        taps.sessions.removeAll { $0 === s }
        stack.log?("\(s.interface): capture stopped: \(s.received) seen, \(s.accepted) accepted, \(s.dropped) dropped")
        guard taps.sessions.isEmpty else { return }
        if var caps = captures[s.interface], caps[s.point] === taps {
            if let d = taps.device, let ifp = stack.interface(named: s.interface), deviceChain(ifp.device, s.interface).contains(d) {
                try? rebuildChain(s.interface) { c in
                    if s.point == .wire { c.wireCapture = nil } else { c.stackCapture = nil }
                }
            }
            caps[s.point] = nil
            captures[s.interface] = caps.wire == nil && caps.stack == nil ? nil : caps
        }
    }
}
