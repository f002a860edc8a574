import NetBSDModels

/// One file, directory or symbolic link of a mounted file system. Owned by the kernel's
/// event loop (not Sendable): the VFS is touched only from that thread.
public final class VNode {
    public let inode: UInt64
    /// FileMode type bits.
    public let type: UInt32
    var permissions: UInt32
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    var links: UInt32
    /// Regular files: the contents.
    var data: [UInt8] = []
    /// Directories: the entries by name, and their order (NetBSD's rumpfs and tmpfs list in
    /// creation order; names leave and the rest keep their places).
    var entries: [String: VNode] = [:]
    var order: [String] = []
    /// Symbolic links: the target as given.
    var target = ""
    /// Directories: the directory holding this one within its file system (nil for a root).
    weak var parent: VNode?
    /// The file system this node belongs to.
    weak var mount: Mount?
    /// A file system mounted on this directory (the node is then "covered").
    var coveredBy: Mount?
    var accessTime: TimeSpec, modificationTime: TimeSpec, changeTime: TimeSpec, birthTime: TimeSpec
    /// Bytes charged to the mount for this node (its header and its data's blocks).
    var charged = 0
    /// Open descriptors on this node: an unlinked file keeps its space until the last closes.
    var openCount = 0

    init(inode: UInt64, type: UInt32, permissions: UInt32, mount: Mount, now: TimeSpec) {
        self.inode = inode; self.type = type; self.permissions = permissions & FileMode.permissionMask
        self.mount = mount
        links = type == FileMode.directory ? 2 : 1
        accessTime = now; modificationTime = now; changeTime = now; birthTime = now
    }

    var isDirectory: Bool { type == FileMode.directory }
    var isSymbolicLink: Bool { type == FileMode.symbolicLink }
    var isRegular: Bool { type == FileMode.regular }

    /// Directories report one 512-byte block, as rumpfs shows them (`ls -l`: 512, total 1).
    var size: Int64 {
        switch type {
        case FileMode.regular: return Int64(data.count)
        case FileMode.symbolicLink: return Int64(target.utf8.count)
        default: return 512
        }
    }

    var directoryEntryType: UInt8 {
        switch type {
        case FileMode.directory: DirectoryEntry.typeDirectory
        case FileMode.regular: DirectoryEntry.typeRegular
        case FileMode.symbolicLink: DirectoryEntry.typeSymbolicLink
        default: DirectoryEntry.typeUnknown
        }
    }

    func stat() -> FileStat {
        let s = size
        return FileStat(device: UInt64(mount?.id ?? 0), inode: inode, mode: type | permissions, links: links,
                        uid: uid, gid: gid, size: s, blocks: (s + 511) / 512, blockSize: 4096,
                        accessTime: accessTime, modificationTime: modificationTime,
                        changeTime: changeTime, birthTime: birthTime)
    }

    func insert(_ name: String, _ node: VNode) {
        entries[name] = node
        order.append(name)
        if node.isDirectory { node.parent = self; links += 1 }
    }

    func remove(_ name: String) {
        guard let node = entries.removeValue(forKey: name) else { return }
        order.removeAll { $0 == name }
        if node.isDirectory { links -= 1 }
    }
}

/// One mounted file system: its type, where it is mounted, its root and its space.
public final class Mount {
    public let id: Int
    public let typeName: String
    public let mountedFrom: String
    public internal(set) var mountedOn: String
    public let flags: UInt64
    /// Bytes this file system may hold (tmpfs's size option), headers and data blocks together.
    public let capacity: Int
    public internal(set) var used = 0
    var root: VNode!
    /// The directory this file system covers (nil for the kernel's root).
    var covered: VNode?
    /// Open descriptors on its files: a busy file system cannot be unmounted.
    var openFiles = 0
    var nodes = 0

    init(id: Int, typeName: String, mountedFrom: String, mountedOn: String, capacity: Int) {
        self.id = id; self.typeName = typeName; self.mountedFrom = mountedFrom; self.mountedOn = mountedOn
        self.capacity = capacity; flags = FileSystemStat.flagLocal
    }

    /// What statvfs(2) reports, in 512-byte fragments.
    func statistics() -> FileSystemStat {
        let fragments = UInt64(capacity / 512), free = UInt64(max(0, capacity - used) / 512)
        return FileSystemStat(typeName: typeName, mountedOn: mountedOn, mountedFrom: mountedFrom, flags: flags,
                              blockSize: 4096, fragmentSize: 512, blocks: fragments, blocksFree: free,
                              blocksAvailable: free, files: UInt64(nodes) + free / UInt64(VFS.nodeCharge / 512),
                              filesFree: free / UInt64(VFS.nodeCharge / 512))
    }
}

/// An open file: the node, the offset and the access mode (one per open(2), shared by dup).
public final class OpenFile {
    // (public for the kernel's descriptor table; its state changes only through VFS)
    public let node: VNode
    public internal(set) var offset: Int64 = 0
    public let flags: Int32
    var closed = false
    init(node: VNode, flags: Int32) { self.node = node; self.flags = flags }
    var readable: Bool { flags & OpenFlags.accessMask != OpenFlags.writeOnly }
    var writable: Bool { let a = flags & OpenFlags.accessMask; return a == OpenFlags.writeOnly || a == OpenFlags.readWrite }
}
