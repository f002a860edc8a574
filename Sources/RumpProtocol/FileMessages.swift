/// The file-system calls (opcodes 0x80..0x94, docs/vfs.md): a kernel with rumpvfs answers
/// them, one without answers ENOSYS. Descriptors share the client's one descriptor table
/// with sockets; `close` is the sockets' close (opcode 0x0b) for both.
public enum FileRequest: Hashable, Sendable {
    case open(path: String, flags: Int32, mode: UInt32)
    case read(fd: Int32, maxLength: UInt32)
    case write(fd: Int32, data: [UInt8])
    case lseek(fd: Int32, offset: Int64, whence: Int32)
    case stat(path: String)
    case lstat(path: String)
    case fstat(fd: Int32)
    /// Entries from the directory's offset, at most `maxEntries` (reply: entries).
    case getdents(fd: Int32, maxEntries: UInt32)
    case mkdir(path: String, mode: UInt32)
    case rmdir(path: String)
    case unlink(path: String)
    case rename(from: String, to: String)
    case symlink(target: String, path: String)
    case readlink(path: String)
    case chmod(path: String, mode: UInt32)
    /// UInt32.max keeps the owner or group.
    case chown(path: String, uid: UInt32, gid: UInt32)
    /// nil times are "now" (utimes(path, NULL)).
    case utimes(path: String, access: TimeSpec?, modification: TimeSpec?)
    /// `size`: tmpfs's size option in bytes, 0 for the default.
    case mount(type: String, path: String, flags: Int32, size: UInt64)
    case unmount(path: String, flags: Int32)
    case getvfsstat
    case statvfs(path: String)

    public var opcode: Opcode {
        switch self {
        case .open: .fileOpen
        case .read: .fileRead
        case .write: .fileWrite
        case .lseek: .fileLseek
        case .stat: .fileStat
        case .lstat: .fileLstat
        case .fstat: .fileFstat
        case .getdents: .fileGetdents
        case .mkdir: .fileMkdir
        case .rmdir: .fileRmdir
        case .unlink: .fileUnlink
        case .rename: .fileRename
        case .symlink: .fileSymlink
        case .readlink: .fileReadlink
        case .chmod: .fileChmod
        case .chown: .fileChown
        case .utimes: .fileUtimes
        case .mount: .fileMount
        case .unmount: .fileUnmount
        case .getvfsstat: .fileGetvfsstat
        case .statvfs: .fileStatvfs
        }
    }

    func encodePayload(_ w: inout WireWriter) {
        switch self {
        case let .open(p, f, m): w.string(p); w.i32(f); w.u32(m)
        case let .read(fd, n): w.i32(fd); w.u32(n)
        case let .write(fd, d): w.i32(fd); w.data(d)
        case let .lseek(fd, o, wh): w.i32(fd); w.i64(o); w.i32(wh)
        case let .stat(p), let .lstat(p), let .rmdir(p), let .unlink(p), let .readlink(p), let .statvfs(p): w.string(p)
        case let .fstat(fd): w.i32(fd)
        case let .getdents(fd, n): w.i32(fd); w.u32(n)
        case let .mkdir(p, m), let .chmod(p, m): w.string(p); w.u32(m)
        case let .rename(a, b): w.string(a); w.string(b)
        case let .symlink(t, p): w.string(t); w.string(p)
        case let .chown(p, u, g): w.string(p); w.u32(u); w.u32(g)
        case let .utimes(p, a, m): w.string(p); a.encodeOptional(&w); m.encodeOptional(&w)
        case let .mount(t, p, f, s): w.string(t); w.string(p); w.i32(f); w.u64(s)
        case let .unmount(p, f): w.string(p); w.i32(f)
        case .getvfsstat: break
        }
    }

    /// Decodes the payload of a file-system opcode (nil for others).
    static func decode(opcode: Opcode, _ r: inout WireReader) throws(ProtocolError) -> FileRequest? {
        switch opcode {
        case .fileOpen: return .open(path: try r.string(), flags: try r.i32(), mode: try r.u32())
        case .fileRead: return .read(fd: try r.i32(), maxLength: try r.u32())
        case .fileWrite: return .write(fd: try r.i32(), data: try r.data())
        case .fileLseek: return .lseek(fd: try r.i32(), offset: try r.i64(), whence: try r.i32())
        case .fileStat: return .stat(path: try r.string())
        case .fileLstat: return .lstat(path: try r.string())
        case .fileFstat: return .fstat(fd: try r.i32())
        case .fileGetdents: return .getdents(fd: try r.i32(), maxEntries: try r.u32())
        case .fileMkdir: return .mkdir(path: try r.string(), mode: try r.u32())
        case .fileRmdir: return .rmdir(path: try r.string())
        case .fileUnlink: return .unlink(path: try r.string())
        case .fileRename: return .rename(from: try r.string(), to: try r.string())
        case .fileSymlink: return .symlink(target: try r.string(), path: try r.string())
        case .fileReadlink: return .readlink(path: try r.string())
        case .fileChmod: return .chmod(path: try r.string(), mode: try r.u32())
        case .fileChown: return .chown(path: try r.string(), uid: try r.u32(), gid: try r.u32())
        case .fileUtimes:
            return .utimes(path: try r.string(), access: try TimeSpec.decodeOptional(&r), modification: try TimeSpec.decodeOptional(&r))
        case .fileMount: return .mount(type: try r.string(), path: try r.string(), flags: try r.i32(), size: try r.u64())
        case .fileUnmount: return .unmount(path: try r.string(), flags: try r.i32())
        case .fileGetvfsstat: return .getvfsstat
        case .fileStatvfs: return .statvfs(path: try r.string())
        default: return nil
        }
    }
}

/// Replies only file-system calls give (reply tag 0x80, then one of these); open answers
/// `.fd`, read `.data`, write `.count`, the name calls `.none`.
public enum FileReply: Hashable, Sendable {
    case stat(FileStat)
    case entries([DirectoryEntry])
    case offset(Int64)
    case path(String)
    case fileSystems([FileSystemStat])

    func encode(_ w: inout WireWriter) {
        switch self {
        case let .stat(s): w.u8(1); s.encode(&w)
        case let .entries(l): w.u8(2); w.array(l) { w, e in w.u64(e.inode); w.u8(e.type); w.string(e.name) }
        case let .offset(o): w.u8(3); w.i64(o)
        case let .path(p): w.u8(4); w.string(p)
        case let .fileSystems(l): w.u8(5); w.array(l) { w, s in s.encode(&w) }
        }
    }

    static func decode(_ r: inout WireReader) throws(ProtocolError) -> FileReply {
        switch try r.u8() {
        case 1: return .stat(try FileStat.decode(&r))
        case 2: return .entries(try r.array(minimumElementSize: 13) { (r: inout WireReader) throws(ProtocolError) in
            DirectoryEntry(inode: try r.u64(), type: try r.u8(), name: try r.string())
        })
        case 3: return .offset(try r.i64())
        case 4: return .path(try r.string())
        case 5: return .fileSystems(try r.array(minimumElementSize: 68) { (r: inout WireReader) throws(ProtocolError) in
            try FileSystemStat.decode(&r)
        })
        case let t: throw .invalidValue("file reply tag \(t)")
        }
    }
}

extension TimeSpec {
    func encode(_ w: inout WireWriter) { w.i64(seconds); w.i32(nanoseconds) }
    static func decode(_ r: inout WireReader) throws(ProtocolError) -> TimeSpec {
        let s = try r.i64(), n = try r.i32()
        guard n >= 0, n < 1_000_000_000 else { throw .invalidValue("nanoseconds \(n)") }
        return TimeSpec(seconds: s, nanoseconds: n)
    }
    static func decodeOptional(_ r: inout WireReader) throws(ProtocolError) -> TimeSpec? {
        try r.bool() ? try decode(&r) : nil
    }
}

extension Optional where Wrapped == TimeSpec {
    func encodeOptional(_ w: inout WireWriter) {
        if let t = self { w.bool(true); t.encode(&w) } else { w.bool(false) }
    }
}

extension FileStat {
    func encode(_ w: inout WireWriter) {
        w.u64(device); w.u64(inode); w.u32(mode); w.u32(links); w.u32(uid); w.u32(gid); w.i64(size); w.i64(blocks)
        w.u32(blockSize)
        for t in [accessTime, modificationTime, changeTime, birthTime] { t.encode(&w) }
    }
    static func decode(_ r: inout WireReader) throws(ProtocolError) -> FileStat {
        FileStat(device: try r.u64(), inode: try r.u64(), mode: try r.u32(), links: try r.u32(), uid: try r.u32(),
                 gid: try r.u32(), size: try r.i64(), blocks: try r.i64(), blockSize: try r.u32(),
                 accessTime: try TimeSpec.decode(&r), modificationTime: try TimeSpec.decode(&r),
                 changeTime: try TimeSpec.decode(&r), birthTime: try TimeSpec.decode(&r))
    }
}

extension FileSystemStat {
    func encode(_ w: inout WireWriter) {
        w.string(typeName); w.string(mountedOn); w.string(mountedFrom)
        for v in [flags, blockSize, fragmentSize, blocks, blocksFree, blocksAvailable, files, filesFree] { w.u64(v) }
    }
    static func decode(_ r: inout WireReader) throws(ProtocolError) -> FileSystemStat {
        FileSystemStat(typeName: try r.string(), mountedOn: try r.string(), mountedFrom: try r.string(),
                       flags: try r.u64(), blockSize: try r.u64(), fragmentSize: try r.u64(), blocks: try r.u64(),
                       blocksFree: try r.u64(), blocksAvailable: try r.u64(), files: try r.u64(), filesFree: try r.u64())
    }
}
