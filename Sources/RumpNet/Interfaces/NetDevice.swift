// The device seam: what the stack needs from a medium (shmif bus, Linux tap, in-memory link,
// loopback) and nothing more. A device knows nothing of NetStack: frames come in through a
// batch the stack owns and goes out as lists of frames; it tells its interface what happened
// through the hooks the stack gives it. Middlewares (FaultInjector, CapturingDevice) are devices
// that wrap a device, so they stack around any medium and the interface cannot tell
// (smoltcp's phy/ is the model).

import Shmif

/// Frames for one `transmit` call: views of buffers that are valid for the call only.
public typealias FrameList = UnsafeBufferPointer<UnsafeRawBufferPointer>

/// The stack-owned receive buffer: frames back to back in one reusable allocation (Shmif's
/// `FrameBatch`, so a bus reader copies straight into it).
public typealias ReceiveBatch = FrameBatch

/// What a device may tell its interface. Set by the stack when it attaches the device;
/// middlewares pass them to the device they wrap.
public struct DeviceHooks {
    /// The interface's name, for log lines ("virt0: ...").
    public var name: String
    /// Kernel messages (NetBSD's log()).
    public var log: (String) -> Void
    /// Frames are waiting: for a device without a descriptor (an in-memory link). The stack
    /// polls the device at once.
    public var readable: () -> Void
    /// The medium went away (bus file shrunk, tap deleted): the stack clears RUNNING, counts an
    /// input error and logs `<name>: <reason>; link state DOWN`.
    public var linkDown: (String) -> Void

    public init(name: String, log: @escaping (String) -> Void = { _ in }, readable: @escaping () -> Void = {},
                linkDown: @escaping (String) -> Void = { _ in }) {
        self.name = name
        self.log = log
        self.readable = readable
        self.linkDown = linkDown
    }
}

public protocol NetDevice: AnyObject {
    /// Fills `batch`, which arrives empty, with the frames waiting now, as many as fit; never
    /// blocks. Returns how many it put there. Also where a device does its timed work: the
    /// stack calls it at `nextDeadline`.
    func receive(into batch: inout ReceiveBatch, now: UInt64) -> Int
    /// Sends `frames` in order, copying what it keeps (the buffers are reused at once). Returns
    /// how many were taken, from the front; the stack counts the rest as output errors.
    func transmit(_ frames: FrameList, now: UInt64) -> Int
    /// A descriptor an event loop waits on for input (nil while there is none: no medium, or down).
    var fileDescriptor: Int32? { get }
    /// When the device next has work that no descriptor announces (a held frame's release), in
    /// clock nanoseconds.
    var nextDeadline: UInt64? { get }
    /// Whether `nextDeadline` can ever be set (a middleware that holds frames): the stack asks
    /// only these devices for deadlines.
    var hasTimedWork: Bool { get }
    /// True when a call costs per call, not per frame (shmif's lock and wakeup): the stack then
    /// gathers a loop turn's frames and transmits them together at `NetStack.flushOutput()`.
    var prefersBatches: Bool { get }
    var hooks: DeviceHooks { get set }
    /// if_init: bring the medium up (ENXIO when there is none yet).
    func start() throws(Errno)
    /// if_stop.
    func stop()
    /// The interface is destroyed: release the medium.
    func detach()
    var linkString: String? { get }
    func setLinkString(_ s: String) throws(Errno)
    func clearLinkString() throws(Errno)
}

extension NetDevice {
    public func receive(into batch: inout ReceiveBatch, now: UInt64) -> Int { 0 }
    public var fileDescriptor: Int32? { nil }
    public var nextDeadline: UInt64? { nil }
    public var hasTimedWork: Bool { false }
    public var prefersBatches: Bool { false }
    public func start() throws(Errno) {}
    public func stop() {}
    public func detach() {}
    public var linkString: String? { nil }
    public func setLinkString(_ s: String) throws(Errno) { throw .EINVAL }
    public func clearLinkString() throws(Errno) { throw .EINVAL }
}

/// A device that takes output one frame at a time and has no input: lo, test sinks, the fuzzer's.
public protocol LinkDriver: NetDevice {
    /// Sends one frame; false when the medium refused it (counted as an output error).
    func transmit(_ frame: UnsafeRawBufferPointer) -> Bool
}

extension LinkDriver {
    public func transmit(_ frames: FrameList, now: UInt64) -> Int {
        var n = 0
        for f in frames {
            guard transmit(f) else { break }
            n += 1
        }
        return n
    }
}

extension LinkDriver {
    /// Sinks keep no hooks: they never report anything.
    public var hooks: DeviceHooks {
        get { DeviceHooks(name: "") }
        set {}
    }
}

/// A device that wraps another (FaultInjector, CapturingDevice): everything but what it changes
/// goes to the device inside.
public protocol DeviceMiddleware: NetDevice {
    var inner: NetDevice { get }
}

extension DeviceMiddleware {
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
