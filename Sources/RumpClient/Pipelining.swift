// Calls without waiting: several requests in flight on one connection, their responses read as
// they come. The kernel answers each request when it completes (a parked recvfrom when a
// datagram arrives), so responses may come in any order; ids match them up. nc waits with
// poll(2) on host stdin and `connectionDescriptor` at once; udp-bench keeps a window of
// sendto/recvfrom calls in flight. Do not mix with `call` while requests are outstanding:
// `call` skips responses that are not its own.
#if canImport(Glibc)
import Glibc
#endif
import RumpProtocol

extension RumpClient {
    /// The connection to the kernel, readable when a response (or part of one) has arrived.
    public var connectionDescriptor: Int32 { fd }

    /// Writes `requests` in one write and returns their ids, in order.
    public func submit(_ requests: [Request]) throws(ClientError) -> [UInt32] {
        var bytes: [UInt8] = []
        var ids: [UInt32] = []
        ids.reserveCapacity(requests.count)
        for r in requests {
            ids.append(nextID)
            bytes += Message.request(id: nextID, r).encodeFrame()
            nextID &+= 1
        }
        try Self.writeAll(fd, bytes, deadline: Self.deadline(after: timeout), timeout: timeout)
        return ids
    }

    /// The responses that have arrived: those already buffered, else one read's worth. With
    /// `wait` false the read does not block (an empty list: nothing yet); with `wait` true it
    /// blocks until at least one response is complete.
    public func responses(wait: Bool) throws(ClientError) -> [(id: UInt32, result: Result<Reply, KernelError>)] {
        var out: [(id: UInt32, result: Result<Reply, KernelError>)] = []
        while true {
            do {
                while let body = try decoder.next() {
                    guard case let .response(id, _, result) = try Message.decode(body: body) else {
                        throw ClientError.transport("unexpected message from server")
                    }
                    out.append((id, result))
                }
            } catch let e as ClientError {
                throw e
            } catch {
                throw .transport("\(error)")
            }
            if !out.isEmpty { return out }
            let n = Glibc.recv(fd, readBuffer.baseAddress, readBuffer.count, wait ? 0 : Int32(MSG_DONTWAIT))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    // The connection is non-blocking: waiting means poll(2), not spinning on
                    // recv (a spinning client took the CPU its kernels needed). No deadline: the
                    // calls in flight carry their own timeouts.
                    if wait { try Self.wait(fd, Int32(POLLIN), deadline: nil, timeout: nil); continue }
                    return out
                }
                throw .transport("recv: \(NetBSDErrno(linux: errno).strerror)")
            }
            if n == 0 { throw .transport("server closed the connection") }
            decoder.append(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
        }
    }
}
