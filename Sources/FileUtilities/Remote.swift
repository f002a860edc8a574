import RumpClient
import RumpProtocol
import ToolSupport

/// The kernel's file system as the file utilities use it: each call answers its value or
/// NetBSD's errno. Connects as every rumpctrl tool does (`rumpclient init failed`).
public final class RemoteFiles {
    let client: RumpClient
    /// Bytes per read or write call: well under the protocol's maximum message size.
    public static let chunk = 256 * 1024

    public init(program: String) { client = RumpClient.initOrExit(clientName: program) }

    func call(_ r: FileRequest) -> Result<Reply, NetBSDErrno> {
        do { return .success(try client.call(.file(r))) } catch { return .failure(error.errno) }
    }
    func perform(_ r: FileRequest) -> NetBSDErrno? {
        if case .failure(let e) = call(r) { return e }
        return nil
    }

    public func stat(_ path: String, follow: Bool = true) -> Result<FileStat, NetBSDErrno> {
        call(follow ? .stat(path: path) : .lstat(path: path)).flatMap {
            if case .file(.stat(let s)) = $0 { return .success(s) }
            return .failure(.EINVAL)
        }
    }
    public func open(_ path: String, flags: Int32, mode: UInt32 = 0) -> Result<Int32, NetBSDErrno> {
        call(.open(path: path, flags: flags, mode: mode)).flatMap {
            if case .fd(let fd) = $0 { return .success(fd) }
            return .failure(.EINVAL)
        }
    }
    public func close(_ fd: Int32) { _ = try? client.call(.close(fd: fd)) }
    /// Reads up to `n` bytes, in chunks, stopping early only at the end of the file.
    public func read(_ fd: Int32, _ n: Int) -> Result<[UInt8], NetBSDErrno> {
        var out: [UInt8] = []
        while out.count < n {
            switch call(.read(fd: fd, maxLength: UInt32(min(n - out.count, Self.chunk)))) {
            case .success(.data(let d)):
                if d.isEmpty { return .success(out) }
                out += d
            case .success: return .failure(.EINVAL)
            case .failure(let e): return out.isEmpty ? .failure(e) : .success(out)
            }
        }
        return .success(out)
    }
    /// Writes all of `bytes`, in chunks.
    public func write(_ fd: Int32, _ bytes: [UInt8]) -> NetBSDErrno? {
        var at = 0
        repeat {
            let end = min(bytes.count, at + Self.chunk)
            if let e = perform(.write(fd: fd, data: Array(bytes[at..<end]))) { return e }
            at = end
        } while at < bytes.count
        return nil
    }
    /// The names in a directory, "." and ".." included, in the kernel's order.
    public func list(_ path: String) -> Result<[DirectoryEntry], NetBSDErrno> {
        let fd: Int32
        switch open(path, flags: OpenFlags.readOnly | OpenFlags.directory) {
        case .success(let f): fd = f
        case .failure(let e): return .failure(e)
        }
        defer { close(fd) }
        var out: [DirectoryEntry] = []
        while true {
            switch call(.getdents(fd: fd, maxEntries: 512)) {
            case .success(.file(.entries(let l))):
                if l.isEmpty { return .success(out) }
                out += l
            case .success: return .failure(.EINVAL)
            case .failure(let e): return .failure(e)
            }
        }
    }
    public func mkdir(_ p: String, mode: UInt32) -> NetBSDErrno? { perform(.mkdir(path: p, mode: mode)) }
    public func rmdir(_ p: String) -> NetBSDErrno? { perform(.rmdir(path: p)) }
    public func unlink(_ p: String) -> NetBSDErrno? { perform(.unlink(path: p)) }
    public func rename(_ a: String, _ b: String) -> NetBSDErrno? { perform(.rename(from: a, to: b)) }
    public func chmod(_ p: String, _ m: UInt32) -> NetBSDErrno? { perform(.chmod(path: p, mode: m)) }
    public func utimes(_ p: String) -> NetBSDErrno? { perform(.utimes(path: p, access: nil, modification: nil)) }
    public func readlink(_ p: String) -> String? {
        if case .success(.file(.path(let t))) = call(.readlink(path: p)) { return t }
        return nil
    }
    public func mount(type: String, at path: String, size: UInt64) -> NetBSDErrno? {
        perform(.mount(type: type, path: path, flags: 0, size: size))
    }
    public func unmount(_ p: String, force: Bool) -> NetBSDErrno? { perform(.unmount(path: p, flags: force ? 0x80000 : 0)) }
    public func fileSystems() -> Result<[FileSystemStat], NetBSDErrno> {
        call(.getvfsstat).flatMap {
            if case .file(.fileSystems(let l)) = $0 { return .success(l) }
            return .failure(.EINVAL)
        }
    }
    public func fileSystem(of p: String) -> Result<FileSystemStat, NetBSDErrno> {
        call(.statvfs(path: p)).flatMap {
            if case .file(.fileSystems(let l)) = $0, let s = l.first { return .success(s) }
            return .failure(.EINVAL)
        }
    }
}

/// A tool's diagnostics and exit, as err(3)/warn(3) print them.
public func warn(_ program: String, _ what: String, _ e: NetBSDErrno) { printErr("\(program): \(what): \(e.strerror)") }
public func usage(_ text: String) -> Never { printErr(text); exitTool(1) }
