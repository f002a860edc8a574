#if canImport(Glibc)
import Glibc
#endif
import RumpProtocol

/// A reply carrying received bytes leaves with one sendmsg of three parts (header, the bytes
/// where the kernel's receive buffer holds them, trailer) instead of being copied into the
/// connection's output first: the copy that would make a datagram's fourth (docs/PROTOCOL.md,
/// "Copies of a received datagram").
final class GatherWriter {
    private var head: [UInt8] = []
    private var tail: [UInt8] = []

    init() {
        head.reserveCapacity(32)
        tail.reserveCapacity(96)
    }

    /// Writes `m` to `fd` when it is a bulk reply; true when it was handled: written whole, or
    /// partly with the unwritten rest appended to `output` (the caller flushes it on POLLOUT).
    /// False when `m` is not a bulk reply or nothing could be written (the caller then queues
    /// the frame as usual, and a broken connection shows in its next write).
    func write(_ m: Message, to fd: Int32, output: inout [UInt8]) -> Bool {
        guard let bulk = m.encodeFrameAroundBulk(head: &head, tail: &tail) else { return false }
        let total = head.count + bulk.count + tail.count
        let n: Int = head.withUnsafeBytes { h in
            bulk.withUnsafeBytes { b in
                tail.withUnsafeBytes { t in
                    // On the stack, not an array: no allocation per reply.
                    withUnsafeTemporaryAllocation(of: iovec.self, capacity: 3) { v in
                        v[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: h.baseAddress), iov_len: h.count)
                        v[1] = iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress), iov_len: b.count)
                        v[2] = iovec(iov_base: UnsafeMutableRawPointer(mutating: t.baseAddress), iov_len: t.count)
                        var msg = msghdr()
                        msg.msg_iov = v.baseAddress
                        msg.msg_iovlen = v.count
                        while true {
                            let r = sendmsg(fd, &msg, Int32(MSG_NOSIGNAL))
                            if r < 0 && errno == EINTR { continue }
                            return r
                        }
                    }
                }
            }
        }
        if n <= 0 { return false }
        if n == total { return true }
        // Partly written: queue what is left, in order.
        var off = n
        for part in [head, bulk, tail] {
            if off >= part.count { off -= part.count; continue }
            output.append(contentsOf: part[off...])
            off = 0
        }
        return true
    }
}
