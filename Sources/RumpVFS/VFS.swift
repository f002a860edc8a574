import NetBSDModels

/// A kernel's file systems (rumpvfs): the rumpfs root with /dev and /tmp, mounts, path
/// lookup and the file-system calls, each failing with NetBSD's errno. Everything lives in
/// the kernel process's memory, bounded per file system (`capacity`). Calls run as root
/// (rumpctrl's utilities are root in the kernel), so permission bits are kept and shown but
/// not enforced. Not Sendable: one owner, the kernel's event loop.
public final class VFS {
    /// File system types this kernel can mount (rumpfs_tmpfs adds "tmpfs").
    public let fileSystemTypes: Set<String>
    /// Bytes a file system takes per node before its data: bounds how many nodes fit.
    static let nodeCharge = 512
    private let clock: () -> TimeSpec
    private let defaultCapacity: Int
    public private(set) var mounts: [Mount] = []
    let root: VNode
    private var nextInode: UInt64 = 2
    private var nextMountID = 1

    /// `capacity` bounds the rumpfs root and is the default size of a tmpfs (the kernel's
    /// memory, rump_server -r); `clock` gives the times files get (virtual in tests).
    public init(fileSystemTypes: Set<String>, capacity: Int, clock: @escaping () -> TimeSpec) {
        self.fileSystemTypes = fileSystemTypes.union(["rumpfs"])
        self.clock = clock
        defaultCapacity = capacity
        let m = Mount(id: nextMountID, typeName: "rumpfs", mountedFrom: "rumpfs", mountedOn: "/", capacity: capacity)
        nextMountID += 1
        let now = clock()
        root = VNode(inode: nextInode, type: FileMode.directory, permissions: 0o755, mount: m, now: now)
        nextInode += 1
        m.root = root
        m.nodes = 1
        m.used = Self.nodeCharge
        root.charged = Self.nodeCharge
        mounts.append(m)
        // The tutorial's fresh kernel: /dev 0755 and /tmp 01777, both 0:0.
        _ = try? mkdir("/dev", mode: 0o755)
        _ = try? mkdir("/tmp", mode: 0o1777)
    }

    // MARK: Paths

    /// NetBSD's namei limits: an empty path is ENOENT, a path of PATH_MAX bytes or more (no room
    /// for its NUL) or a component over NAME_MAX is ENAMETOOLONG.
    static func components(_ path: String) throws(NetBSDErrno) -> [String] {
        let n = path.utf8.count
        guard n > 0 else { throw .ENOENT }
        guard n < FileSystemLimits.pathMax else { throw .ENAMETOOLONG }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        for p in parts where p.utf8.count > FileSystemLimits.nameMax { throw .ENAMETOOLONG }
        return parts
    }

    /// The file system on top of a covered directory.
    private func top(_ n: VNode) -> VNode {
        var n = n
        while let m = n.coveredBy { n = m.root }
        return n
    }

    /// `..`: up within a file system, across a mount point to the covered directory's parent,
    /// and never above the kernel's root.
    private func parent(of d: VNode) -> VNode {
        if d === root { return root }
        if let m = d.mount, d === m.root, let covered = m.covered { return parent(of: covered) }
        return top(d.parent ?? root)
    }

    /// Walks `parts` from the root (a client's working directory is the root, as in rumpctrl).
    private func walk(_ parts: [String], followFinal: Bool) throws(NetBSDErrno) -> VNode {
        var cur = root
        var rest = parts[...]
        var followed = 0
        while let name = rest.first {
            rest = rest.dropFirst()
            cur = top(cur)
            guard cur.isDirectory else { throw .ENOTDIR }
            if name == "." { continue }
            if name == ".." { cur = parent(of: cur); continue }
            guard let next = cur.entries[name] else { throw .ENOENT }
            if next.isSymbolicLink && (followFinal || !rest.isEmpty) {
                followed += 1
                guard followed <= FileSystemLimits.maxSymlinks else { throw .ELOOP }
                let target = try Self.components(next.target)
                if next.target.hasPrefix("/") { cur = root }
                rest = (target + rest)[...]
                continue
            }
            cur = next
        }
        return top(cur)
    }

    func lookup(_ path: String, follow: Bool = true) throws(NetBSDErrno) -> VNode {
        try walk(try Self.components(path), followFinal: follow)
    }

    /// The directory that holds (or would hold) the last component, and that component.
    /// "/" and paths ending in "." or ".." give the name as it is; callers refuse those.
    private func lookupParent(_ path: String) throws(NetBSDErrno) -> (VNode, String) {
        let parts = try Self.components(path)
        guard let last = parts.last else { return (root, ".") }
        let dir = try walk(Array(parts.dropLast()), followFinal: true)
        guard dir.isDirectory else { throw .ENOTDIR }
        return (dir, last)
    }

    // MARK: Space

    private func charge(_ node: VNode, to bytes: Int) throws(NetBSDErrno) {
        guard let m = node.mount else { throw .EIO }
        let delta = bytes - node.charged
        if delta > 0, m.used + delta > m.capacity { throw .ENOSPC }
        m.used += delta
        node.charged = bytes
    }

    private func newNode(in dir: VNode, type: UInt32, mode: UInt32) throws(NetBSDErrno) -> VNode {
        guard let m = dir.mount else { throw .EIO }
        guard m.used + Self.nodeCharge <= m.capacity else { throw .ENOSPC }
        let n = VNode(inode: nextInode, type: type, permissions: mode, mount: m, now: clock())
        nextInode += 1
        m.used += Self.nodeCharge
        m.nodes += 1
        n.charged = Self.nodeCharge
        return n
    }

    private func release(_ n: VNode) {
        guard n.links == 0, n.openCount == 0, n.charged > 0, let m = n.mount else { return }
        m.used -= n.charged
        m.nodes -= 1
        n.charged = 0
    }

    private func touchDirectory(_ d: VNode) { let t = clock(); d.modificationTime = t; d.changeTime = t }

    // MARK: Files

    public func open(_ path: String, flags: Int32, mode: UInt32) throws(NetBSDErrno) -> OpenFile {
        var node: VNode
        if flags & OpenFlags.create != 0 {
            let (dir, name) = try lookupParent(path)
            if let existing = dir.entries[name] ?? (name == "." || name == ".." ? dir : nil) {
                if flags & OpenFlags.exclusive != 0 { throw .EEXIST }
                node = existing.isSymbolicLink && flags & OpenFlags.noFollow == 0 ? try lookup(path) : top(existing)
            } else {
                node = try newNode(in: dir, type: FileMode.regular, mode: mode)
                dir.insert(name, node)
                touchDirectory(dir)
            }
        } else {
            node = try lookup(path, follow: flags & OpenFlags.noFollow == 0)
        }
        if node.isSymbolicLink { throw .ELOOP }
        let file = OpenFile(node: node, flags: flags)
        if node.isDirectory && file.writable { throw .EISDIR }
        if flags & OpenFlags.directory != 0 && !node.isDirectory { throw .ENOTDIR }
        if flags & OpenFlags.truncate != 0 && file.writable && node.isRegular && !node.data.isEmpty {
            node.data = []
            try charge(node, to: Self.nodeCharge)
            node.modificationTime = clock(); node.changeTime = node.modificationTime
        }
        node.mount?.openFiles += 1
        node.openCount += 1
        return file
    }

    public func close(_ file: OpenFile) {
        guard !file.closed else { return }
        file.closed = true
        file.node.mount?.openFiles -= 1
        file.node.openCount -= 1
        release(file.node)
    }

    /// Reads at most `count` bytes from the offset (the caller bounds `count`).
    public func read(_ file: OpenFile, count: Int) throws(NetBSDErrno) -> [UInt8] {
        guard file.readable else { throw .EBADF }
        guard !file.node.isDirectory else { throw .EISDIR }
        let d = file.node.data
        let start = Int(min(file.offset, Int64(d.count)))
        let end = min(d.count, start + max(0, count))
        file.offset += Int64(end - start)
        file.node.accessTime = clock()
        return Array(d[start..<end])
    }

    /// Writes all of `bytes` at the offset (at the end with O_APPEND), or nothing with ENOSPC.
    public func write(_ file: OpenFile, _ bytes: [UInt8]) throws(NetBSDErrno) -> Int {
        guard file.writable else { throw .EBADF }
        let n = file.node
        if file.flags & OpenFlags.append != 0 { file.offset = Int64(n.data.count) }
        guard !bytes.isEmpty else { return 0 }
        let end = Int(file.offset) + bytes.count
        if end > n.data.count {
            try charge(n, to: Self.nodeCharge + (end + 511) / 512 * 512)
            n.data.append(contentsOf: repeatElement(0, count: end - n.data.count))
        }
        n.data.replaceSubrange(Int(file.offset)..<end, with: bytes)
        file.offset = Int64(end)
        n.modificationTime = clock(); n.changeTime = n.modificationTime
        return bytes.count
    }

    public func seek(_ file: OpenFile, offset: Int64, whence: Int32) throws(NetBSDErrno) -> Int64 {
        let base: Int64
        switch whence {
        case SeekWhence.set: base = 0
        case SeekWhence.current: base = file.offset
        case SeekWhence.end: base = file.node.size
        default: throw .EINVAL
        }
        let (sum, overflow) = base.addingReportingOverflow(offset)
        guard !overflow, sum >= 0 else { throw .EINVAL }
        // A file may not grow past what a file system can hold: later writes would fail anyway.
        guard sum <= Int64(Int32.max) else { throw .EINVAL }
        file.offset = sum
        return sum
    }

    /// Directory entries from the file's offset (an entry index), "." and ".." first; at most `limit`.
    public func readDirectory(_ file: OpenFile, limit: Int) throws(NetBSDErrno) -> [DirectoryEntry] {
        let d = file.node
        guard d.isDirectory else { throw .ENOTDIR }
        var all = [DirectoryEntry(inode: d.inode, type: DirectoryEntry.typeDirectory, name: "."),
                   DirectoryEntry(inode: parent(of: d).inode, type: DirectoryEntry.typeDirectory, name: "..")]
        for name in d.order {
            guard let n = d.entries[name] else { continue }
            let shown = top(n)
            all.append(DirectoryEntry(inode: shown.inode, type: shown.directoryEntryType, name: name))
        }
        let start = Int(min(file.offset, Int64(all.count)))
        let end = min(all.count, start + max(1, limit))
        file.offset = Int64(end)
        return Array(all[start..<end])
    }

    public func stat(_ path: String, follow: Bool) throws(NetBSDErrno) -> FileStat { try lookup(path, follow: follow).stat() }
    public func stat(_ file: OpenFile) -> FileStat { file.node.stat() }

    // MARK: Names

    public func mkdir(_ path: String, mode: UInt32) throws(NetBSDErrno) {
        let (dir, name) = try lookupParent(path)
        if name == "." || name == ".." || dir.entries[name] != nil { throw .EEXIST }
        let d = try newNode(in: dir, type: FileMode.directory, mode: mode)
        dir.insert(name, d)
        touchDirectory(dir)
    }

    public func rmdir(_ path: String) throws(NetBSDErrno) {
        let (dir, name) = try lookupParent(path)
        if name == "." { throw .EINVAL }
        if name == ".." { throw .ENOTEMPTY }
        guard let d = dir.entries[name] else { throw .ENOENT }
        guard d.isDirectory else { throw .ENOTDIR }
        if d.coveredBy != nil { throw .EBUSY }
        guard d.entries.isEmpty else { throw .ENOTEMPTY }
        dir.remove(name)
        d.links = 0
        touchDirectory(dir)
        if d.openCount == 0 { release(d) }
    }

    public func unlink(_ path: String) throws(NetBSDErrno) {
        let (dir, name) = try lookupParent(path)
        guard let n = dir.entries[name] else { throw name == "." || name == ".." ? .EPERM : .ENOENT }
        if n.isDirectory { throw .EPERM }
        dir.remove(name)
        n.links -= 1
        n.changeTime = clock()
        touchDirectory(dir)
        // An open file keeps its data until its last close (close releases it).
        if n.openCount == 0 { release(n) }
    }

    public func rename(_ from: String, _ to: String) throws(NetBSDErrno) {
        let (fromDir, fromName) = try lookupParent(from)
        let (toDir, toName) = try lookupParent(to)
        if [fromName, toName].contains(where: { $0 == "." || $0 == ".." }) { throw .EINVAL }
        guard let n = fromDir.entries[fromName] else { throw .ENOENT }
        guard fromDir.mount === toDir.mount else { throw .EXDEV }
        if n.coveredBy != nil { throw .EBUSY }
        if n.isDirectory {
            // A directory cannot move below itself.
            var d: VNode? = toDir
            while let x = d { if x === n { throw .EINVAL }; d = x.parent }
        }
        if let existing = toDir.entries[toName] {
            if existing === n { return }
            if existing.isDirectory {
                guard n.isDirectory else { throw .EISDIR }
                guard existing.entries.isEmpty else { throw .ENOTEMPTY }
                if existing.coveredBy != nil { throw .EBUSY }
            } else if n.isDirectory { throw .ENOTDIR }
            toDir.remove(toName)
            existing.links = existing.isDirectory ? 0 : existing.links - 1
            if existing.openCount == 0 { release(existing) }
        }
        fromDir.remove(fromName)
        toDir.insert(toName, n)
        n.changeTime = clock()
        touchDirectory(fromDir); touchDirectory(toDir)
    }

    public func symlink(target: String, at path: String) throws(NetBSDErrno) {
        guard target.utf8.count < FileSystemLimits.pathMax else { throw .ENAMETOOLONG }
        let (dir, name) = try lookupParent(path)
        if name == "." || name == ".." || dir.entries[name] != nil { throw .EEXIST }
        let n = try newNode(in: dir, type: FileMode.symbolicLink, mode: 0o755)
        n.target = target
        dir.insert(name, n)
        touchDirectory(dir)
    }

    public func readlink(_ path: String) throws(NetBSDErrno) -> String {
        let n = try lookup(path, follow: false)
        guard n.isSymbolicLink else { throw .EINVAL }
        return n.target
    }

    public func chmod(_ path: String, mode: UInt32, follow: Bool = true) throws(NetBSDErrno) {
        let n = try lookup(path, follow: follow)
        n.permissions = mode & FileMode.permissionMask
        n.changeTime = clock()
    }

    /// UInt32.max leaves the owner or group as it is ((uid_t)-1).
    public func chown(_ path: String, uid: UInt32, gid: UInt32, follow: Bool = true) throws(NetBSDErrno) {
        let n = try lookup(path, follow: follow)
        if uid != UInt32.max { n.uid = uid }
        if gid != UInt32.max { n.gid = gid }
        n.changeTime = clock()
    }

    /// nil times mean now (utimes(path, NULL)).
    public func utimes(_ path: String, access: TimeSpec?, modification: TimeSpec?, follow: Bool = true) throws(NetBSDErrno) {
        let n = try lookup(path, follow: follow)
        let now = clock()
        n.accessTime = access ?? now
        n.modificationTime = modification ?? now
        n.changeTime = now
    }

    // MARK: Mounts

    /// mount(2): `size` bytes (0 = the kernel's memory) for a tmpfs. ENODEV for a type this
    /// kernel has no component for; EBUSY over the root or an existing mount point.
    public func mount(type: String, at path: String, size: UInt64) throws(NetBSDErrno) {
        guard fileSystemTypes.contains(type), type == "tmpfs" else { throw .ENODEV }
        let dir = try lookup(path)
        guard dir.isDirectory else { throw .ENOTDIR }
        if let m = dir.mount, m.root === dir { throw .EBUSY }
        let capacity = size == 0 ? defaultCapacity : Int(min(size, UInt64(Int.max / 2)))
        guard capacity >= Self.nodeCharge else { throw .EINVAL }
        let m = Mount(id: nextMountID, typeName: type, mountedFrom: type, mountedOn: pathName(of: dir), capacity: capacity)
        nextMountID += 1
        let r = VNode(inode: nextInode, type: FileMode.directory, permissions: dir.permissions, mount: m, now: clock())
        nextInode += 1
        r.uid = dir.uid; r.gid = dir.gid
        m.root = r
        m.covered = dir
        m.nodes = 1
        m.used = Self.nodeCharge
        r.charged = Self.nodeCharge
        dir.coveredBy = m
        mounts.append(m)
    }

    /// unmount(2) of a mount point: EINVAL for a directory that is not one, EBUSY for the root,
    /// a file system with open files, or one with others mounted inside it.
    public func unmount(_ path: String) throws(NetBSDErrno) {
        let dir = try lookup(path)
        guard let m = dir.mount, m.root === dir else { throw .EINVAL }
        guard let covered = m.covered else { throw .EBUSY }
        if m.openFiles > 0 { throw .EBUSY }
        if mounts.contains(where: { $0.covered?.mount === m }) { throw .EBUSY }
        covered.coveredBy = nil
        mounts.removeAll { $0 === m }
    }

    public func fileSystems() -> [FileSystemStat] { mounts.map { $0.statistics() } }

    public func fileSystem(of path: String) throws(NetBSDErrno) -> FileSystemStat {
        guard let m = try lookup(path).mount else { throw .EIO }
        return m.statistics()
    }

    public func fileSystem(of file: OpenFile) throws(NetBSDErrno) -> FileSystemStat {
        guard let m = file.node.mount else { throw .EIO }
        return m.statistics()
    }

    /// The absolute name of a directory, through the mount points above it.
    private func pathName(of d: VNode) -> String {
        var names: [String] = []
        var cur = d
        while cur !== root {
            if let m = cur.mount, cur === m.root, let c = m.covered { cur = c; continue }
            guard let p = cur.parent, let name = p.order.first(where: { p.entries[$0] === cur }) else { break }
            names.append(name)
            cur = p
        }
        return "/" + names.reversed().joined(separator: "/")
    }
}
