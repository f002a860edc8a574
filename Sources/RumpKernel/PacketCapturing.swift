// Per-interface capture as the kernel sees it (bpf(4)'s descriptors): a stack that can tap its
// interfaces opens sessions; the kernel keeps them per client, parks reads until frames come,
// and closes a client's sessions when it goes away (Kernel+Capture.swift).

#if canImport(Glibc)
import Glibc
#endif
import RumpProtocol

/// A stack whose interfaces can be captured. A separate protocol, as LinkImpairing: a stack
/// without one answers EOPNOTSUPP.
public protocol PacketCapturing: AnyObject {
    /// Starts a capture on `request.interface` (ENXIO naming it if there is none; EINVAL for a
    /// filter that is not a valid BPF program). Frame times are the kernel's clock plus
    /// `wallClockOffset` (nanoseconds since the epoch). `wakeup` runs on the loop when a frame
    /// arrives in the session's empty buffer.
    func openCapture(_ request: CaptureRequest, wallClockOffset: UInt64, wakeup: @escaping () -> Void) throws(KernelError) -> any CaptureSession
}

/// One open capture: a bounded buffer of records and its counters, owned by the loop.
public protocol CaptureSession: AnyObject {
    var linkType: UInt32 { get }
    /// Records wait in the buffer.
    var hasFrames: Bool { get }
    /// Why the session cannot go on (its interface was destroyed); nil while it can.
    var endReason: String? { get }
    /// Moves the buffer's first records, at most `maxBytes` of them (at least one record if
    /// there is one), and the counters into `batch`.
    func take(maxBytes: Int, into batch: inout CaptureBatch)
    /// Stops capturing: the middleware leaves the interface when no session is left on it.
    func close()
}

extension Kernel {
    static func capturing(_ stack: any NetworkStack) throws(KernelError) -> any PacketCapturing {
        guard let s = stack as? any PacketCapturing else {
            throw KernelError(.EOPNOTSUPP, message: "this kernel's stack has no packet capture")
        }
        return s
    }

    /// Sessions one client may hold (bpf has no limit but descriptors; ours are small).
    static let capturesPerClient = 16

    /// The wait-queue key of a client's session: negative, so never a stack socket's.
    static func captureWaitKey(_ c: ClientContext, _ session: Int32) -> SocketID {
        -(c.id * (capturesPerClient + 1) + Int(session))
    }

    func openCapture(_ request: CaptureRequest, stack: any NetworkStack, from c: ClientContext,
                     reply: @escaping (Result<Reply, KernelError>) -> Void) throws(KernelError) {
        let cap = try Self.capturing(stack)
        guard request.filter.count % 8 == 0, request.filter.count / 8 <= CaptureRequest.maximumInstructions else {
            throw KernelError(.EINVAL, message: "\(request.interface): capture filter: \(request.filter.count) bytes, not a BPF program of at most \(CaptureRequest.maximumInstructions) instructions")
        }
        guard request.bufferBytes >= CaptureRequest.minimumBufferBytes, request.bufferBytes <= CaptureRequest.maximumBufferBytes else {
            throw KernelError(.EINVAL, message: "\(request.interface): capture buffer \(request.bufferBytes) bytes: not within \(CaptureRequest.minimumBufferBytes)...\(CaptureRequest.maximumBufferBytes)")
        }
        guard request.snapLength > 0 else { throw KernelError(.EINVAL, message: "\(request.interface): snapshot length 0") }
        guard let id = (1...Int32(Self.capturesPerClient)).first(where: { c.captures[$0] == nil }) else {
            throw KernelError(.EMFILE, message: "\(Self.capturesPerClient) captures open on this connection")
        }
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let wall = UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
        let key = Self.captureWaitKey(c, id)
        let session = try cap.openCapture(request, wallClockOffset: wall &- loop.currentTime) { [weak self] in
            self?.socketChanged(key)
        }
        c.captures[id] = session
        reply(.success(.capture(CaptureBatch(session: id, linkType: session.linkType))))
    }

    func readCapture(session id: Int32, maxBytes: UInt32, timeout: Int32, close: Bool, from c: ClientContext,
                     reply: @escaping (Result<Reply, KernelError>) -> Void) throws(KernelError) {
        guard let session = c.captures[id] else { throw KernelError(.EBADF, message: "no capture session \(id)") }
        let limit = Int(min(maxBytes, Wire.maximumMessageSize - 4096))
        let take: (Bool) -> Reply = { close in
            var b = CaptureBatch(session: id, linkType: session.linkType)
            session.take(maxBytes: limit, into: &b)
            if let why = session.endReason, !session.hasFrames {
                b.closed = true
                b.reason = why
            }
            if close || b.closed {
                b.closed = true
                session.close()
                if c.captures[id] === session { c.captures[id] = nil }
            }
            return .capture(b)
        }
        if close || session.hasFrames || session.endReason != nil || timeout == 0 { reply(.success(take(close))); return }
        park(c, on: [Self.captureWaitKey(c, id)], timeout: timeout, tryFirst: false, reply: reply,
             onTimeout: { c.captures[id] === session ? .success(take(false)) : .failure(KernelError(.EBADF)) }) {
            guard c.captures[id] === session else { return .done(.failure(KernelError(.EBADF))) }
            return session.hasFrames || session.endReason != nil ? .done(.success(take(false))) : .wait
        }
    }

    /// A client went away: its captures stop, and their middlewares leave idle interfaces.
    func closeCaptures(of c: ClientContext) {
        for (_, s) in c.captures.sorted(by: { $0.key < $1.key }) { s.close() }
        c.captures.removeAll()
    }
}
