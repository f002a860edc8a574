// A capture middleware: wraps any device and shows every frame it carries to a callback, input
// as the device delivered it and output before the device takes it (a PcapWriter in tests; the
// per-interface capture of the lab, next). The callback must copy what it keeps.

import Shmif

public final class CapturingDevice: NetDevice {
    public enum Direction: Sendable { case received, transmitted }

    public let inner: NetDevice
    /// (direction, frame, clock nanoseconds).
    public var onFrame: (Direction, UnsafeRawBufferPointer, UInt64) -> Void

    public init(wrapping inner: NetDevice, onFrame: @escaping (Direction, UnsafeRawBufferPointer, UInt64) -> Void) {
        self.inner = inner
        self.onFrame = onFrame
    }

    public func receive(into batch: inout ReceiveBatch, now: UInt64) -> Int {
        let n = inner.receive(into: &batch, now: now)
        for i in 0..<batch.count { onFrame(.received, batch.frame(i), now) }
        return n
    }

    public func transmit(_ frames: FrameList, now: UInt64) -> Int {
        for f in frames { onFrame(.transmitted, f, now) }
        return inner.transmit(frames, now: now)
    }

    public var nextDeadline: UInt64? { inner.nextDeadline }
    public var hasTimedWork: Bool { inner.hasTimedWork }
    public var fileDescriptor: Int32? { inner.fileDescriptor }
    public var prefersBatches: Bool { inner.prefersBatches }
    public var hooks: DeviceHooks {
        get { inner.hooks }
        set { inner.hooks = newValue }
    }
    public func start() throws(Errno) { try inner.start() }
    public func stop() { inner.stop() }
    public func detach() { inner.detach() }
    public var linkString: String? { inner.linkString }
    public func setLinkString(_ s: String) throws(Errno) { try inner.setLinkString(s) }
    public func clearLinkString() throws(Errno) { try inner.clearLinkString() }
}
