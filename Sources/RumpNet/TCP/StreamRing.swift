// A stream socket's buffer (struct sockbuf for stream protocols): one byte ring allocated once per
// connection, so queueing data is a copy, never an allocation. The send side keeps what is unsent
// and unacknowledged from snd_una on (retransmissions read it again at an offset); the receive side
// keeps in-order data from its head and out-of-order data at its offset beyond `count` (the
// ReceiveAssembler says which ranges are there). `limit` is sb_hiwat (what the window offers);
// `capacity` is the most it may grow to (net.inet.tcp.*buf_max), reserved at once: pages never
// written stay untouched, so a big capacity costs address space, not memory.

struct StreamRing {
    private var storage: UnsafeMutableRawBufferPointer
    private var head = 0
    /// Bytes queued from the head (sb_cc).
    private(set) var count = 0
    /// sb_hiwat.
    var limit: Int

    init(limit: Int, capacity: Int) {
        self.limit = min(limit, capacity)
        storage = .allocate(byteCount: max(capacity, 1), alignment: 64)
    }

    func deallocate() { storage.deallocate() }

    var capacity: Int { storage.count }
    /// sbspace(): room below the limit.
    var space: Int { max(0, limit - count) }
    var isEmpty: Bool { count == 0 }

    /// Appends up to `space` bytes of `data`; returns how many.
    @discardableResult
    mutating func append(_ data: UnsafeRawBufferPointer) -> Int {
        let n = min(data.count, space)
        guard n > 0 else { return 0 }
        write(UnsafeRawBufferPointer(rebasing: data[0..<n]), at: count)
        count += n
        return n
    }

    /// Copies `data` to offset `offset` from the head (beyond `count` for out-of-order data);
    /// the caller keeps offset + data.count within `capacity`.
    func write(_ data: UnsafeRawBufferPointer, at offset: Int) {
        let n = data.count
        guard n > 0 else { return }
        var pos = head + offset
        if pos >= storage.count { pos -= storage.count }
        let first = min(n, storage.count - pos)
        (storage.baseAddress! + pos).copyMemory(from: data.baseAddress!, byteCount: first)
        if first < n { storage.baseAddress!.copyMemory(from: data.baseAddress! + first, byteCount: n - first) }
    }

    /// Makes `n` more bytes written beyond `count` part of the queue (out-of-order data that
    /// became contiguous).
    mutating func extend(by n: Int) { count += n }

    /// Copies `length` bytes starting `offset` bytes from the head into `dst`.
    func copy(from offset: Int, length: Int, into dst: UnsafeMutableRawPointer) {
        guard length > 0 else { return }
        var pos = head + offset
        if pos >= storage.count { pos -= storage.count }
        let first = min(length, storage.count - pos)
        dst.copyMemory(from: storage.baseAddress! + pos, byteCount: first)
        if first < length { (dst + first).copyMemory(from: storage.baseAddress!, byteCount: length - first) }
    }

    /// The contiguous bytes at `offset` from the head, at most `length` (a wrap cuts it short):
    /// for checksumming in place.
    func contiguous(from offset: Int, length: Int) -> UnsafeRawBufferPointer {
        var pos = head + offset
        if pos >= storage.count { pos -= storage.count }
        return UnsafeRawBufferPointer(start: storage.baseAddress! + pos, count: min(length, storage.count - pos))
    }

    /// sbdrop: forgets `n` bytes at the head.
    mutating func drop(_ n: Int) {
        let k = min(n, count)
        head += k
        if head >= storage.count { head -= storage.count }
        count -= k
    }

    /// Takes up to `dst.count` bytes off the head into `dst` (or only copies them when `remove`
    /// is false, MSG_PEEK); returns how many.
    mutating func read(into dst: UnsafeMutableRawBufferPointer, remove: Bool = true) -> Int {
        let n = min(dst.count, count)
        copy(from: 0, length: n, into: dst.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 1)!)
        if remove { drop(n) }
        return n
    }

    mutating func removeAll() { head = 0; count = 0 }
}
