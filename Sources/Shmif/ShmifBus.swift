#if canImport(Glibc)
import Glibc
#endif
import CShim
import SystemPackage

/// One process's attachment to a bus file: the descriptor and the 1 MiB shared mapping.
///
/// Writers (`BusWriter`) and readers (`BusReader`) are made from it. A `ShmifBus` is not
/// thread-safe: like a kernel's interface it has one owner, the event loop that drives it.
public final class ShmifBus {
    public let path: String
    let fd: FileDescriptor
    /// Base of the 1 MiB MAP_SHARED mapping; valid until deinit.
    let base: UnsafeMutableRawPointer
    let lock: BusLock
    /// The SIGBUS guard's slot for the mapping (-1: unguarded, a fault would kill us).
    private let guardSlot: Int32
    /// Why the bus was given up, once it was: the mapping then is private zero pages and
    /// nothing touches the file any more.
    public private(set) var lost: BusLoss?

    /// Attaches to (and if needed creates and initialises) the bus file at `path`, as
    /// NetBSD's `initbackend` does: open O_RDWR|O_CREAT 0644, size it to 1 MiB, map it
    /// shared, refuse a non-magical file, and let the first attacher write the magic and
    /// the `shm_first` sentinel under the lock.
    ///
    /// Unlike NetBSD, a non-empty file of another size is refused instead of truncated,
    /// so that pointing a bus at the wrong file never destroys it.
    public static func attach(path: String) throws -> ShmifBus {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readWrite, options: [.create, .closeOnExec],
                                         permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch let e as Errno {
            throw ShmifError(path: path, reason: e == .isDirectory ? .isDirectory : .system(operation: "open", errno: e))
        }
        do {
            var st = stat()
            guard fstat(fd.rawValue, &st) == 0 else { throw ShmifError(path: path, reason: .system(operation: "fstat", errno: Errno(rawValue: errno))) }
            if (st.st_mode & S_IFMT) == S_IFDIR { throw ShmifError(path: path, reason: .isDirectory) }
            guard (st.st_mode & S_IFMT) == S_IFREG else { throw ShmifError(path: path, reason: .notRegularFile) }
            if st.st_size == 0 {
                guard ftruncate(fd.rawValue, off_t(BusLayout.fileSize)) == 0 else {
                    throw ShmifError(path: path, reason: .system(operation: "ftruncate", errno: Errno(rawValue: errno)))
                }
            } else if Int(st.st_size) != BusLayout.fileSize {
                throw ShmifError(path: path, reason: .wrongSize(Int(st.st_size)))
            }
            guard let mapped = mmap(nil, BusLayout.fileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd.rawValue, 0),
                  mapped != MAP_FAILED else {
                throw ShmifError(path: path, reason: .system(operation: "mmap", errno: Errno(rawValue: errno)))
            }
            let bus = ShmifBus(path: path, fd: fd, base: mapped)
            try bus.initialiseIfFirst()
            return bus
        } catch {
            try? fd.close()
            throw error
        }
    }

    private init(path: String, fd: FileDescriptor, base: UnsafeMutableRawPointer) {
        self.path = path
        self.fd = fd
        self.base = base
        self.lock = BusLock(base: base)
        self.guardSlot = rn_bus_guard_register(base, UInt(BusLayout.fileSize))
    }

    deinit {
        rn_bus_guard_unregister(guardSlot)
        munmap(base, BusLayout.fileSize)
        try? fd.close()
    }

    private func initialiseIfFirst() throws {
        let magic = ring.magic
        if magic != 0 && magic != BusLayout.magic {
            throw ShmifError(path: path, reason: magic == BusLayout.magic.byteSwapped ? .byteSwapped : .notMagical(magic))
        }
        if magic == BusLayout.magic { return }  // initialised long ago: no need to lock
        // A file of zeros whose lock word is set has no holder to wait for (every attacher
        // initialises before it locks): give up after about 200 ms rather than hang.
        var locked = false
        for _ in 0..<200 where !locked {
            locked = lock.acquireBounded()
            if !locked { var ts = timespec(tv_sec: 0, tv_nsec: 1_000_000); nanosleep(&ts, nil) }
        }
        guard locked else {
            throw ShmifError(path: path, reason: .corrupt("uninitialised bus with its lock word set (offset 24); nothing can hold it"))
        }
        defer { lock.release() }
        if ring.magic == 0 {
            ring.magic = BusLayout.magic
            ring.first = BusLayout.dataSize
        }
    }

    /// The header and ring accessors; meaningful under the lock.
    var ring: BusRing { BusRing(base: base) }

    /// The header as it is now, read without the lock (as shmif_dumpbus does), so that
    /// the lock word and holder show who holds the bus, if anyone.
    public func header() -> BusHeader {
        BusHeader(bytes: base)
    }

    /// NetBSD's `dowakeup`: a 4-byte write of the version at file offset 4, through the
    /// descriptor, so that inotify (IN_MODIFY) and kqueue watchers of the file wake up.
    /// Stores through the mapping raise no file events; this write does.
    public func wakeup() {
        guard !faulted else { return }  // a shrunk file must not be grown back by us
        var v = BusLayout.version
        _ = withUnsafeBytes(of: &v) { pwrite(fd.rawValue, $0.baseAddress, 4, off_t(BusLayout.versionOffset)) }
    }

    /// Takes the bus lock and keeps it until `releaseLock()`: for tools that must freeze
    /// the bus (and for tests of a holder that dies). Frames cannot move meanwhile.
    public func acquireLock() { lock.acquire() }
    public func releaseLock() { lock.release() }

    /// Checks that the file is still a bus before the mapping is touched: one fstat (about
    /// 0.3 us, once per poll or send call, not per frame; docs/shmif.md) and the magic.
    /// Returns the loss, now or earlier; a lost bus stays lost (attach again to resume).
    /// A shrink between this check and the access is caught by the SIGBUS guard instead.
    /// `checkSize` false leaves the fstat out when the SIGBUS guard covers the mapping (a
    /// kernel host's poll for a co-hosted writer's frames: its hub checks the file when another
    /// process touches it); a shrink then shows as a fault caught at the first load past the
    /// end. Without a guard slot the fstat is made anyway.
    @discardableResult
    public func validate(checkSize: Bool = true) -> BusLoss? {
        if let lost { return lost }
        if rn_bus_guard_faults(guardSlot) > 0 { return markLost(.faulted) }
        if checkSize || guardSlot < 0 {
            var st = stat()
            if fstat(fd.rawValue, &st) == 0 && Int(st.st_size) < BusLayout.fileSize {
                return markLost(.shrunk(size: Int(st.st_size)))
            }
        }
        let magic = rn_load32_relaxed(base.assumingMemoryBound(to: UInt32.self))
        // The load itself may have faulted (a shrink the fstat was not asked to see).
        if rn_bus_guard_faults(guardSlot) > 0 { return markLost(.faulted) }
        if magic != BusLayout.magic { return markLost(.notMagical(magic)) }
        // Offsets a writer could have left (racy loads are fine: every sane value is in range).
        let first = ring.first, last = ring.last
        if first > BusLayout.dataSize || last >= BusLayout.dataSize { return markLost(.corruptHeader(first: first, last: last)) }
        return nil
    }

    /// True once an access faulted (the handler already replaced the mapping): checked after
    /// each poll or send, a load of a counter.
    @inline(__always)
    public var faulted: Bool { lost == nil ? rn_bus_guard_faults(guardSlot) > 0 : true }

    /// Gives the file up: from now on the mapping is private zero pages, so nothing we do
    /// reaches the file (it may be someone else's now) and no access can fault.
    @discardableResult
    public func markLost(_ reason: BusLoss) -> BusLoss {
        if let lost { return lost }
        lost = reason
        if guardSlot >= 0 { _ = rn_bus_guard_detach(guardSlot) }
        else { _ = mmap(base, BusLayout.fileSize, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) }
        return reason
    }

    /// How many times this process took the lock from a dead holder.
    public var lockSteals: Int { lock.steals }
}
