// A socket's receive buffer (struct sockbuf for atomic protocols): datagrams with their sender in
// one byte ring that is allocated once, so queueing a datagram is a copy, never an allocation.
// Each record costs its data plus a 16-byte header, which is what NetBSD's sb_cc charges a
// datagram (its data and its sockaddr_in); an AF_INET6 socket's records carry a 28-byte one (a
// sockaddr_in6's size: length, port, the 16-byte address with its zone). The ring's size is the
// byte limit (sb_hiwat).

struct DatagramBuffer {
    static let recordHeader = 16, recordHeader6 = 28
    /// This buffer's record header: 16 (sockaddr_in) or 28 (sockaddr_in6).
    let header: Int
    private var storage: UnsafeMutableRawBufferPointer
    private var head = 0       // offset of the oldest record
    /// Bytes in use (sb_cc): data plus record headers.
    private(set) var used = 0
    private(set) var count = 0
    /// sb_hiwat: records are refused once they would pass it.
    private(set) var limit: Int

    init(limit: Int, inet6: Bool = false) {
        self.limit = limit
        header = inet6 ? DatagramBuffer.recordHeader6 : DatagramBuffer.recordHeader
        storage = .allocate(byteCount: max(limit, header), alignment: 16)
    }

    func deallocate() { storage.deallocate() }

    var isEmpty: Bool { count == 0 }
    /// sbspace().
    var space: Int { max(0, limit - used) }

    /// sbappendaddr: false when the datagram does not fit (udps_fullsock).
    mutating func append(_ data: UnsafeRawBufferPointer, from: SocketEndpoint) -> Bool {
        let cost = header + data.count
        guard cost <= space, used + cost <= storage.count else { return false }
        if header == DatagramBuffer.recordHeader {
            var h = (UInt32(data.count), from.address.value, UInt32(from.port), UInt32(0))
            withUnsafeBytes(of: &h) { write($0, at: (head + used) % storage.count) }
        } else {
            var h = (UInt32(data.count), UInt32(from.port), from.ip.high, from.ip.low, UInt32(0))
            withUnsafeBytes(of: &h) { write(UnsafeRawBufferPointer(rebasing: $0[0..<DatagramBuffer.recordHeader6]), at: (head + used) % storage.count) }
        }
        write(data, at: (head + used + header) % storage.count)
        used += cost
        count += 1
        return true
    }

    /// The oldest datagram's length and sender.
    func peekHeader() -> (length: Int, from: SocketEndpoint)? {
        guard count > 0 else { return nil }
        if header == DatagramBuffer.recordHeader {
            var h: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &h) { read(into: $0, at: head) }
            return (Int(h.0), SocketEndpoint(IPv4Address(h.1), UInt16(truncatingIfNeeded: h.2)))
        }
        var h: (UInt32, UInt32, UInt64, UInt64, UInt32) = (0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &h) { read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<DatagramBuffer.recordHeader6]), at: head) }
        return (Int(h.0), SocketEndpoint(embedded: IPv6Address(high: h.2, low: h.3), UInt16(truncatingIfNeeded: h.1)))
    }

    /// Copies up to `into.count` bytes of the oldest datagram; `remove` takes it off the queue
    /// (the rest of a cut datagram is discarded, as for every atomic protocol).
    mutating func take(into buffer: UnsafeMutableRawBufferPointer, remove: Bool) -> ReceivedDatagram? {
        guard let (length, from) = peekHeader() else { return nil }
        let n = min(length, buffer.count)
        if n > 0 {
            read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n]),
                 at: (head + header) % storage.count)
        }
        if remove { drop() }
        return ReceivedDatagram(copied: n, length: length, from: from)
    }

    /// Removes the oldest datagram.
    mutating func drop() {
        guard let (length, _) = peekHeader() else { return }
        let cost = header + length
        used -= cost
        count -= 1
        head = count == 0 ? 0 : (head + cost) % storage.count
    }

    /// sorflush.
    mutating func removeAll() { head = 0; used = 0; count = 0 }

    /// sbreserve: a new byte limit. The ring grows (keeping what is queued) when the limit passes
    /// its size; a lower limit keeps the storage and only refuses new records until below it.
    mutating func setLimit(_ newLimit: Int) {
        limit = newLimit
        guard newLimit > storage.count else { return }
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: newLimit, alignment: 16)
        if used > 0 {
            read(into: UnsafeMutableRawBufferPointer(rebasing: bigger[0..<used]), at: head)
        }
        storage.deallocate()
        storage = bigger
        head = 0
    }

    // Ring copies: at most two pieces each.
    private func write(_ src: UnsafeRawBufferPointer, at offset: Int) {
        let n = src.count
        guard n > 0 else { return }
        let first = min(n, storage.count - offset)
        (storage.baseAddress! + offset).copyMemory(from: src.baseAddress!, byteCount: first)
        if first < n { storage.baseAddress!.copyMemory(from: src.baseAddress! + first, byteCount: n - first) }
    }

    private func read(into dst: UnsafeMutableRawBufferPointer, at offset: Int) {
        let n = dst.count
        guard n > 0 else { return }
        let first = min(n, storage.count - offset)
        dst.baseAddress!.copyMemory(from: storage.baseAddress! + offset, byteCount: first)
        if first < n { (dst.baseAddress! + first).copyMemory(from: storage.baseAddress!, byteCount: n - first) }
    }
}
