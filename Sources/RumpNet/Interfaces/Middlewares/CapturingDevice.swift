// A capture middleware: wraps any device and shows every frame it carries to a callback, input
// as the device delivered it and output before the device takes it (a PcapWriter in tests; the
// per-interface capture of the lab: KernelStack's KernelNetStack+Capture.swift). The callback
// must copy what it keeps.

import Shmif

public final class CapturingDevice: DeviceMiddleware {
    public enum Direction: Sendable { case received, transmitted }

    /// Settable: the kernel keeps captures and an impairment in one order around the medium.
    public var inner: NetDevice
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
}
