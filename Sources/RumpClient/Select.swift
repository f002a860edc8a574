import RumpProtocol

/// select(2) over the kernel's poll: the protocol has no select request, because NetBSD's own
/// kernel implements select on the same poll machinery (sys_select → selcommon → pollscan):
/// one `poll` over the union of the three sets, its answer sorted back into them.
public struct SelectSets: Equatable, Sendable {
    public var read: Set<Int32>
    public var write: Set<Int32>
    public var except: Set<Int32>
    public init(read: Set<Int32> = [], write: Set<Int32> = [], except: Set<Int32> = []) {
        self.read = read; self.write = write; self.except = except
    }
    /// select's return value: how many (descriptor, set) pairs are ready.
    public var count: Int { read.count + write.count + except.count }
}

extension RumpClient {
    /// select(2): waits until a descriptor of `sets` is ready, or `timeoutMilliseconds` passes
    /// (-1: for ever, 0: poll once). Returns the ready descriptors (empty sets on timeout).
    /// As NetBSD's: readable includes end of file and errors (POLLIN|POLLHUP|POLLERR), writable
    /// POLLOUT|POLLERR, "exceptional" POLLPRI (out-of-band data); a descriptor that is not open
    /// fails the whole call with EBADF.
    public func select(_ sets: SelectSets, timeoutMilliseconds: Int32) throws(CallError) -> SelectSets {
        let fds = sets.read.union(sets.write).union(sets.except).sorted()
        let items = fds.map { fd in
            var events: Int16 = 0
            if sets.read.contains(fd) { events |= NetBSD.POLLIN }
            if sets.write.contains(fd) { events |= NetBSD.POLLOUT }
            if sets.except.contains(fd) { events |= NetBSD.POLLPRI }
            return PollItem(fd: fd, events: events)
        }
        guard case .poll(let answered) = try call(.poll(items: items, timeout: timeoutMilliseconds)) else {
            throw .kernel(KernelError(.EINVAL, message: "select: poll answered with another reply"))
        }
        var out = SelectSets()
        for i in answered {
            if i.revents & NetBSD.POLLNVAL != 0 { throw .kernel(KernelError(.EBADF)) }
            if sets.read.contains(i.fd), i.revents & (NetBSD.POLLIN | NetBSD.POLLHUP | NetBSD.POLLERR) != 0 { out.read.insert(i.fd) }
            if sets.write.contains(i.fd), i.revents & (NetBSD.POLLOUT | NetBSD.POLLERR) != 0 { out.write.insert(i.fd) }
            if sets.except.contains(i.fd), i.revents & NetBSD.POLLPRI != 0 { out.except.insert(i.fd) }
        }
        return out
    }
}
