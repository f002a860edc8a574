// Whole kernels on virtual time, for tests: Kernel + KernelNetStack on an embedded EventLoop,
// clients that speak the real wire format to the kernel's request handler, and in-memory links
// delivered between steps. Nothing runs until the test says; time moves only with `advance`.

import RumpKernel
import RumpNet
import RumpProtocol

/// Several embedded kernels sharing one embedded loop (one virtual clock) and in-memory links.
public final class EmbeddedLab {
    public let loop: EventLoop
    public private(set) var kernels: [EmbeddedKernel] = []
    public private(set) var links: [MemoryLink] = []

    /// The virtual clock starts at `start` nanoseconds (1 s, as RumpNet's VirtualClock).
    public init(start: UInt64 = 1_000_000_000) {
        loop = EventLoop(embeddedAt: start)
    }

    public var now: UInt64 { loop.currentTime }

    /// A kernel with every network component and a fixed stack seed.
    public func kernel(seed: UInt64, components: Set<Component> = [.rumpnet, .rumpnet_net, .rumpnet_netinet, .rumpnet_shmif]) -> EmbeddedKernel {
        let k = EmbeddedKernel(lab: self, seed: seed, components: components)
        kernels.append(k)
        return k
    }

    public func link() -> MemoryLink {
        let l = MemoryLink()
        links.append(l)
        return l
    }

    /// Runs everything ready at the current virtual time: deferred work, due timers, ready
    /// descriptors, and frames on the links (delivered at once: a link has no latency), until
    /// nothing moves.
    public func run() {
        var rounds = 0
        while rounds < 100_000 {
            loop.run()
            var moved = 0
            for l in links { moved += l.deliver() }
            if moved == 0 { break }
            for k in kernels { k.netStack.inputDelivered() }
            rounds += 1
        }
    }

    /// Moves virtual time forward by `nanoseconds`, firing every timer at its own deadline in
    /// deadline order and settling the links after each.
    public func advance(by nanoseconds: UInt64) { advance(to: loop.currentTime + nanoseconds) }

    public func advance(milliseconds: UInt64) { advance(by: milliseconds * 1_000_000) }

    public func advance(to deadline: UInt64) {
        run()
        while let d = loop.nextTimerDeadline, d <= deadline {
            loop.advanceTime(to: max(d, loop.currentTime))
            run()
        }
        loop.advanceTime(to: deadline)
        run()
    }
}

/// One kernel (syscall layer + RumpNet stack) on its lab's embedded loop.
public final class EmbeddedKernel {
    public unowned let lab: EmbeddedLab
    public let kernel: Kernel
    public let netStack: KernelNetStack

    init(lab: EmbeddedLab, seed: UInt64, components: Set<Component>) {
        self.lab = lab
        let ns = KernelNetStack(components: components)
        netStack = ns
        kernel = Kernel(configuration: KernelConfiguration(components: components, ncpu: 1, seed: seed),
                        loop: lab.loop, stackFactory: { _ in ns })
    }

    /// A client process connected to this kernel.
    public func client(name: String = "test") -> EmbeddedClient {
        EmbeddedClient(kernel: self, name: name)
    }

    /// Puts interface `name` on `link`; configure it with requests (ifAddAddress, ifSetFlags).
    public func attach(_ name: String, to link: MemoryLink) throws(KernelError) {
        try netStack.attachInterface(name, on: link)
    }

    /// Wraps interface `name`'s device in a middleware, e.g.
    /// `k.wrapDevice("mem0") { FaultInjector(wrapping: $0, dropPercent: 5, reorderPercent: 2, seed: 1) }`.
    public func wrapDevice(_ name: String, _ wrap: (NetDevice) -> NetDevice) throws(KernelError) {
        try netStack.wrapDevice(name, wrap)
    }
}

/// A fake client connection: requests are encoded and decoded with the real wire format,
/// handled by the kernel as SyscallServer does, and the responses (encoded and decoded too)
/// are collected in the order the kernel sends them, each with the virtual time it was sent.
public final class EmbeddedClient {
    public struct Response: Sendable {
        public var id: UInt32
        public var opcode: UInt16
        public var result: Result<Reply, KernelError>
        /// Virtual nanoseconds when the kernel answered.
        public var time: UInt64
    }

    public unowned let kernel: EmbeddedKernel
    public let context: ClientContext
    public private(set) var responses: [Response] = []
    private var nextID: UInt32 = 1
    public private(set) var connected = true

    init(kernel: EmbeddedKernel, name: String) {
        self.kernel = kernel
        context = kernel.kernel.newClient()
        context.name = name
    }

    /// Sends `request`; returns its id. The answer, if any, lands in `responses` (now for an
    /// immediate call, later for a parked one).
    @discardableResult
    public func send(_ request: Request) -> UInt32 {
        precondition(connected, "send on a disconnected EmbeddedClient")
        let id = nextID
        nextID += 1
        // Through the wire both ways, as between RumpClient and SyscallServer.
        let frame = Message.request(id: id, request).encodeFrame()
        var decoder = FrameDecoder()
        decoder.append(frame)
        guard let body = try? decoder.next(), case .request(let rid, let q)? = try? Message.decode(body: body) else {
            preconditionFailure("request \(request) does not survive its encoding")
        }
        let op = q.opcode.rawValue
        kernel.kernel.handle(q, from: context) { [weak self] result in
            guard let self, self.connected else { return }
            let bytes = Message.response(id: rid, opcode: op, result: result).encodeFrame()
            var d = FrameDecoder()
            d.append(bytes)
            guard let b = try? d.next(), case let .response(i, o, r)? = try? Message.decode(body: b) else {
                preconditionFailure("response to \(q) does not survive its encoding")
            }
            self.responses.append(Response(id: i, opcode: o, result: r, time: self.kernel.lab.now))
        }
        return id
    }

    /// The response to `id`, if it came.
    public func response(_ id: UInt32) -> Response? { responses.first { $0.id == id } }

    /// Sends `request`, runs the lab at the current time, and returns the answer (nil if the
    /// call is parked).
    @discardableResult
    public func call(_ request: Request) -> Result<Reply, KernelError>? {
        let id = send(request)
        kernel.lab.run()
        return response(id)?.result
    }

    /// The connection closes: the kernel drops this client's parked calls and sockets.
    public func disconnect() {
        guard connected else { return }
        connected = false
        kernel.kernel.clientGone(context)
        kernel.lab.run()
    }
}
