// NetBSD's file-system values (sys/stat.h, sys/fcntl.h, sys/statvfs.h, sys/dirent.h, sys/syslimits.h)
// shared by the kernel's VFS, the wire protocol and the file utilities.

/// NetBSD's limits (sys/syslimits.h): a name component of at most NAME_MAX bytes, a path
/// (with its terminating NUL) of at most PATH_MAX bytes.
public enum FileSystemLimits {
    public static let nameMax = 511
    public static let pathMax = 1024
    /// Symbolic links followed in one lookup before ELOOP (MAXSYMLINKS).
    public static let maxSymlinks = 32
}

/// st_mode's file type and permission bits (sys/stat.h).
public enum FileMode {
    public static let typeMask: UInt32 = 0o170000
    public static let fifo: UInt32 = 0o010000, characterDevice: UInt32 = 0o020000
    public static let directory: UInt32 = 0o040000, blockDevice: UInt32 = 0o060000
    public static let regular: UInt32 = 0o100000, symbolicLink: UInt32 = 0o120000
    public static let socket: UInt32 = 0o140000
    public static let setUID: UInt32 = 0o4000, setGID: UInt32 = 0o2000, sticky: UInt32 = 0o1000
    public static let permissionMask: UInt32 = 0o7777
}

/// open(2) flags (sys/fcntl.h).
public enum OpenFlags {
    public static let readOnly: Int32 = 0x0, writeOnly: Int32 = 0x1, readWrite: Int32 = 0x2, accessMask: Int32 = 0x3
    public static let append: Int32 = 0x8, create: Int32 = 0x200, truncate: Int32 = 0x400, exclusive: Int32 = 0x800
    public static let noFollow: Int32 = 0x100, directory: Int32 = 0x0020_0000
}

/// lseek(2) whence values.
public enum SeekWhence {
    public static let set: Int32 = 0, current: Int32 = 1, end: Int32 = 2
}

/// A time as struct timespec.
public struct TimeSpec: Hashable, Sendable, Comparable {
    public var seconds: Int64
    public var nanoseconds: Int32
    public init(seconds: Int64, nanoseconds: Int32 = 0) { self.seconds = seconds; self.nanoseconds = nanoseconds }
    public static func < (a: TimeSpec, b: TimeSpec) -> Bool { (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds) }
}

/// struct stat, the fields NetBSD's utilities print.
public struct FileStat: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    /// Type and permission bits (FileMode).
    public var mode: UInt32
    public var links: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64
    /// 512-byte blocks allocated (st_blocks).
    public var blocks: Int64
    public var blockSize: UInt32
    public var accessTime: TimeSpec
    public var modificationTime: TimeSpec
    public var changeTime: TimeSpec
    public var birthTime: TimeSpec
    public init(device: UInt64, inode: UInt64, mode: UInt32, links: UInt32, uid: UInt32, gid: UInt32, size: Int64,
                blocks: Int64, blockSize: UInt32, accessTime: TimeSpec, modificationTime: TimeSpec,
                changeTime: TimeSpec, birthTime: TimeSpec) {
        self.device = device; self.inode = inode; self.mode = mode; self.links = links; self.uid = uid; self.gid = gid
        self.size = size; self.blocks = blocks; self.blockSize = blockSize; self.accessTime = accessTime
        self.modificationTime = modificationTime; self.changeTime = changeTime; self.birthTime = birthTime
    }
    public var isDirectory: Bool { mode & FileMode.typeMask == FileMode.directory }
    public var isSymbolicLink: Bool { mode & FileMode.typeMask == FileMode.symbolicLink }
    public var isRegular: Bool { mode & FileMode.typeMask == FileMode.regular }
}

/// One getdents(2) entry: d_fileno, d_type (DT_*), d_name.
public struct DirectoryEntry: Hashable, Sendable {
    public static let typeUnknown: UInt8 = 0, typeDirectory: UInt8 = 4, typeRegular: UInt8 = 8, typeSymbolicLink: UInt8 = 10
    public var inode: UInt64
    public var type: UInt8
    public var name: String
    public init(inode: UInt64, type: UInt8, name: String) { self.inode = inode; self.type = type; self.name = name }
}

/// struct statvfs: what mount(8) and df(1) print about one mounted file system.
public struct FileSystemStat: Hashable, Sendable {
    /// ST_LOCAL, ST_RDONLY, ... (sys/statvfs.h): MNT_* values.
    public static let flagReadOnly: UInt64 = 0x1, flagLocal: UInt64 = 0x1000
    public var typeName: String
    public var mountedOn: String
    public var mountedFrom: String
    public var flags: UInt64
    public var blockSize: UInt64
    public var fragmentSize: UInt64
    /// In fragmentSize units.
    public var blocks: UInt64
    public var blocksFree: UInt64
    public var blocksAvailable: UInt64
    public var files: UInt64
    public var filesFree: UInt64
    public init(typeName: String, mountedOn: String, mountedFrom: String, flags: UInt64, blockSize: UInt64,
                fragmentSize: UInt64, blocks: UInt64, blocksFree: UInt64, blocksAvailable: UInt64, files: UInt64, filesFree: UInt64) {
        self.typeName = typeName; self.mountedOn = mountedOn; self.mountedFrom = mountedFrom; self.flags = flags
        self.blockSize = blockSize; self.fragmentSize = fragmentSize; self.blocks = blocks; self.blocksFree = blocksFree
        self.blocksAvailable = blocksAvailable; self.files = files; self.filesFree = filesFree
    }
}

// The file-system errno values Errno.swift has texts for but no names yet.
extension NetBSDErrno {
    public static let EXDEV = NetBSDErrno(18), EFBIG = NetBSDErrno(27), EROFS = NetBSDErrno(30)
    public static let ELOOP = NetBSDErrno(62), ENOTEMPTY = NetBSDErrno(66)
}
