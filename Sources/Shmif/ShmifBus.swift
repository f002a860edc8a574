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
    }

    deinit {
        munmap(base, BusLayout.fileSize)
        try? fd.close()
    }

    private func initialiseIfFirst() throws {
        let magic = ring.magic
        if magic != 0 && magic != BusLayout.magic {
            throw ShmifError(path: path, reason: magic == BusLayout.magic.byteSwapped ? .byteSwapped : .notMagical(magic))
        }
        if magic == BusLayout.magic { return }  // initialised long ago: no need to lock
        lock.acquire()
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
        var v = BusLayout.version
        _ = withUnsafeBytes(of: &v) { pwrite(fd.rawValue, $0.baseAddress, 4, off_t(BusLayout.versionOffset)) }
    }

    /// Takes the bus lock and keeps it until `releaseLock()`: for tools that must freeze
    /// the bus (and for tests of a holder that dies). Frames cannot move meanwhile.
    public func acquireLock() { lock.acquire() }
    public func releaseLock() { lock.release() }

    /// How many times this process took the lock from a dead holder.
    public var lockSteals: Int { lock.steals }
}
