#if canImport(Glibc)
import Glibc
#endif
import RumpProtocol
import RumpVFS

/// The file-system calls of a kernel with rumpvfs (docs/vfs.md). Open files live in the
/// client's `files` table; `ClientContext.allocate` takes the lowest number free in both
/// tables, so a client's descriptors are unique across files and sockets, as in NetBSD's
/// one fd table.
extension Kernel {
    /// Largest read answered in one reply: a reply must fit the protocol's message size.
    static let maximumFileRead = Int(Wire.maximumMessageSize) - 1024
    /// Directory entries per getdents reply (each at most 13 + NAME_MAX bytes).
    static let maximumDirectoryEntries = 1024
    /// A client process's umask in the kernel (NetBSD's default cmask, 022): dd's 0666 gives
    /// the tutorial's -rw-r--r--.
    static let processUmask: UInt32 = 0o022

    func makeFileSystems() -> VFS? {
        guard components.contains(.rumpvfs) else { return nil }
        var types: Set<String> = []
        if components.contains(.rumpfs_tmpfs) { types.insert("tmpfs") }
        return VFS(fileSystemTypes: types, capacity: Int(configuration.physmem), clock: Kernel.wallClock)
    }

    static func wallClock() -> TimeSpec {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return TimeSpec(seconds: Int64(t.tv_sec), nanoseconds: Int32(t.tv_nsec))
    }

    private func requireVFS() throws(KernelError) -> VFS {
        // No rumpvfs: no file-system calls at all (the tutorial's "Function not implemented").
        guard let v = fileSystems else { throw KernelError(.ENOSYS) }
        return v
    }

    private func file(_ c: ClientContext, _ fd: Int32) throws(NetBSDErrno) -> OpenFile {
        guard let f = c.files[fd] else { throw .EBADF }
        return f
    }

    func closeFile(_ fd: Int32, of c: ClientContext) throws(KernelError) {
        guard let f = c.files.removeValue(forKey: fd) else { throw KernelError(.EBADF) }
        fileSystems?.close(f)
    }

    /// A client went away: its open files close (a file it was writing keeps what was written).
    func closeFiles(of c: ClientContext) {
        for (_, f) in c.files { fileSystems?.close(f) }
        c.files.removeAll()
    }

    func handleFile(_ request: FileRequest, from c: ClientContext, reply: (Result<Reply, KernelError>) -> Void) throws(KernelError) {
        let v = try requireVFS()
        do throws(NetBSDErrno) {
            switch request {
            case let .open(path, flags, mode):
                let f = try v.open(path, flags: flags, mode: mode & ~Self.processUmask)
                reply(.success(.fd(c.allocate(file: f))))
            case let .read(fd, n):
                let f = try file(c, fd)
                reply(.success(.data(try v.read(f, count: min(Int(n), Self.maximumFileRead)))))
            case let .write(fd, data):
                reply(.success(.count(UInt32(try v.write(try file(c, fd), data)))))
            case let .lseek(fd, o, whence):
                reply(.success(.file(.offset(try v.seek(try file(c, fd), offset: o, whence: whence)))))
            case .stat(let p): reply(.success(.file(.stat(try v.stat(p, follow: true)))))
            case .lstat(let p): reply(.success(.file(.stat(try v.stat(p, follow: false)))))
            case .fstat(let fd): reply(.success(.file(.stat(v.stat(try file(c, fd))))))
            case let .getdents(fd, n):
                let l = try v.readDirectory(try file(c, fd), limit: min(Int(n), Self.maximumDirectoryEntries))
                reply(.success(.file(.entries(l))))
            case let .mkdir(p, m): try v.mkdir(p, mode: m & ~Self.processUmask); reply(.success(.none))
            case .rmdir(let p): try v.rmdir(p); reply(.success(.none))
            case .unlink(let p): try v.unlink(p); reply(.success(.none))
            case let .rename(a, b): try v.rename(a, b); reply(.success(.none))
            case let .symlink(t, p): try v.symlink(target: t, at: p); reply(.success(.none))
            case .readlink(let p): reply(.success(.file(.path(try v.readlink(p)))))
            case let .chmod(p, m): try v.chmod(p, mode: m); reply(.success(.none))
            case let .chown(p, u, g): try v.chown(p, uid: u, gid: g); reply(.success(.none))
            case let .utimes(p, a, m): try v.utimes(p, access: a, modification: m); reply(.success(.none))
            case let .mount(t, p, _, size): try v.mount(type: t, at: p, size: size); reply(.success(.none))
            case let .unmount(p, _): try v.unmount(p); reply(.success(.none))
            case .getvfsstat: reply(.success(.file(.fileSystems(v.fileSystems()))))
            case .statvfs(let p): reply(.success(.file(.fileSystems([try v.fileSystem(of: p)]))))
            }
        } catch {
            throw KernelError(error)
        }
    }
}

extension ClientContext {
    /// fdalloc for a file: the lowest number free among files and sockets alike.
    func allocate(file: OpenFile) -> Int32 {
        var fd: Int32 = 0
        while descriptors[fd] != nil || files[fd] != nil { fd += 1 }
        files[fd] = file
        return fd
    }
}
