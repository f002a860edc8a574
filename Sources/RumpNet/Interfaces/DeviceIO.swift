// How the stack drives its devices: input is pulled into the stack's one receive batch, output
// goes out a frame at a time or, for devices that prefer batches, as a loop turn's frames at
// `flushOutput()`. Devices are attached with hooks that report back to their interface.

import Shmif

/// A loop turn's frames for one interface, copied into one reusable buffer, with the list of
/// frame views `transmit` takes.
struct TransmitQueue {
    let storage: UnsafeMutableRawBufferPointer
    let list: UnsafeMutablePointer<UnsafeRawBufferPointer>
    let capacity: Int
    private(set) var count = 0
    private(set) var used = 0

    init(bytes: Int = 128 * 1024, frames: Int = 256) {
        storage = .allocate(byteCount: bytes, alignment: 16)
        list = .allocate(capacity: frames)
        list.initialize(repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: frames)
        capacity = frames
    }

    func deallocate() {
        storage.deallocate()
        list.deallocate()
    }

    var isEmpty: Bool { count == 0 }
    var frames: FrameList { FrameList(start: list, count: count) }

    /// Copies `frame` in; false when the queue is full (flush, then append again).
    mutating func append(_ frame: UnsafeRawBufferPointer) -> Bool {
        guard count < capacity, storage.count - used >= frame.count else { return false }
        let dst = storage.baseAddress! + used
        if frame.count > 0 { dst.copyMemory(from: frame.baseAddress!, byteCount: frame.count) }
        list[count] = UnsafeRawBufferPointer(start: dst, count: frame.count)
        count += 1
        used += (frame.count + 15) & ~15
        return true
    }

    mutating func removeAll() {
        count = 0
        used = 0
    }
}

extension NetStack {
    /// Frames longer than this are not Ethernet frames we accept (1514 plus a VLAN tag).
    public static let largestFrame = 1518

    /// Makes `device` the device of a new interface slot: hooks, output queue.
    func adopt(_ device: NetDevice, name: String, index: Int) -> DeviceHooks {
        DeviceHooks(
            name: name,
            log: { [unowned self] line in self.log?(line) },
            readable: { [unowned self] in
                if let ifp = self.interface(index: index) { self.pollDevice(ifp) }
            },
            linkDown: { [unowned self] reason in
                guard let ifp = self.interface(index: index) else { return }
                ifp.flags.remove(.running)
                ifp.counters.ierrors &+= 1
                self.descriptorsChanged = true
                self.log?("\(ifp.name): \(reason); link state DOWN")
            })
    }

    func installDevice(_ device: NetDevice, on ifp: NetInterface) {
        device.hooks = adopt(device, name: ifp.name, index: ifp.index)
        ifp.device = device
        if device.prefersBatches, ifp.outQueue == nil { ifp.outQueue = TransmitQueue() }
        devicesWithDeadlines = interfaces.filter { $0.device.hasTimedWork }.map(\.index)
    }

    /// Wraps interface `name`'s device in a middleware (`FaultInjector`, `CapturingDevice`):
    /// `wrap` gets the current device and returns the new one, which takes over its hooks.
    public func wrapDevice(name: String, _ wrap: (NetDevice) -> NetDevice) throws(Errno) {
        let ifp = try require(name)
        flushInterface(ifp)
        installDevice(wrap(ifp.device), on: ifp)
    }

    // MARK: input

    /// Pulls input from every usable interface's device: returns the number of frames taken.
    @discardableResult
    public func pollDevices() -> Int {
        var n = 0
        for case let ifp? in interfaceSlots where ifp.isUsable { n += pollDevice(ifp) }
        if !loopQueue.isEmpty { runLoopback() }
        return n
    }

    /// The name the stack's earlier callers use for `pollDevices()`.
    @discardableResult
    public func pollDrivers() -> Int { pollDevices() }

    /// Takes one device's waiting frames into the receive batch and processes them, again while
    /// the batch comes back full (bounded: 17 batches of 64 KiB, more than a shmif ring holds).
    @discardableResult
    func pollDevice(_ ifp: NetInterface) -> Int {
        guard !receiving else { return 0 }  // a device's hook during input: its frames wait for the next poll
        receiving = true
        defer { receiving = false }
        var total = 0
        for _ in 0..<17 {
            rxBatch.removeAll()
            let n = ifp.device.receive(into: &rxBatch, now: clock.now)
            for i in 0..<min(n, rxBatch.count) { receive(rxBatch.frame(i), on: ifp.index) }
            total += n
            if rxBatch.freeBytes > NetStack.largestFrame { break }  // not full: nothing more waits
        }
        rxBatch.removeAll()
        return total
    }

    /// True once after a device's descriptor changed outside configuration calls (a medium lost
    /// during input): the event loop re-lists `inputDescriptors`.
    public func takeDescriptorChange() -> Bool {
        defer { descriptorsChanged = false }
        return descriptorsChanged
    }

    /// Descriptors an event loop can wait on for device input (shmif's inotify watch, a tap),
    /// by ifindex.
    public var inputDescriptors: [(ifIndex: Int, fd: Int32)] {
        interfaceSlots.compactMap { ifp in ifp.flatMap { i in i.device.fileDescriptor.map { (i.index, $0) } } }
    }

    /// The earliest deadline of a device (a middleware holding a frame), if any. O(1) when no
    /// device has deadlines (the usual case).
    var deviceDeadline: UInt64? {
        var best: UInt64?
        for i in devicesWithDeadlines {
            if let d = interface(index: i)?.device.nextDeadline, d < best ?? .max { best = d }
        }
        return best
    }

    /// Polls the devices whose deadline has come (their timed work happens in `receive`).
    func serviceDevices(now t: UInt64) {
        for i in devicesWithDeadlines {
            guard let ifp = interface(index: i), let d = ifp.device.nextDeadline, d <= t else { continue }
            pollDevice(ifp)
        }
    }

    // MARK: output

    @discardableResult @inline(__always)
    func transmitFrame(_ ifp: NetInterface, _ frame: UnsafeRawBufferPointer, multicast: Bool) -> Bool {
        if coalescesWakeups, ifp.outQueue != nil {
            if !ifp.outQueue!.append(frame) {
                flushInterface(ifp)
                guard ifp.outQueue!.append(frame) else { ifp.counters.oerrors &+= 1; return false }
            }
            noteOutputPending()
            return true
        }
        ifp.single.pointee = frame
        if ifp.device.transmit(FrameList(start: ifp.single, count: 1), now: clock.now) == 1 {
            ifp.counters.opackets &+= 1
            ifp.counters.obytes &+= UInt64(frame.count)
            if multicast { ifp.counters.omcasts &+= 1 }
            return true
        }
        ifp.counters.oerrors &+= 1
        return false
    }

    /// Sends an interface's queued frames as one batch; counts what the device took.
    func flushInterface(_ ifp: NetInterface) {
        guard let q = ifp.outQueue, !q.isEmpty else { return }
        let frames = q.frames
        let taken = ifp.device.transmit(frames, now: clock.now)
        for i in 0..<frames.count {
            let f = frames[i]
            if i < taken {
                ifp.counters.opackets &+= 1
                ifp.counters.obytes &+= UInt64(f.count)
                if f.count > 0 && f.load(as: UInt8.self) & 1 != 0 { ifp.counters.omcasts &+= 1 }
            } else {
                ifp.counters.oerrors &+= 1
            }
        }
        ifp.outQueue!.removeAll()
    }

    /// A device holds back output (see `coalescesWakeups`).
    func noteOutputPending() {
        guard !outputPending else { return }
        outputPending = true
        onOutputPending?()
    }

    /// Sends every interface's queued frames, one batch each (the end of an event-loop turn).
    public func flushOutput() {
        guard outputPending else { return }
        outputPending = false
        for case let ifp? in interfaceSlots { flushInterface(ifp) }
    }
}

