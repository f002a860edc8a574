import NetBSDModels
import RumpVFS
import XCTest

/// The VFS core on a virtual clock: the tutorial's tree, lookups, limits, space, mounts.
final class VFSTests: XCTestCase {
    var now = TimeSpec(seconds: 1_000)
    func makeVFS(types: Set<String> = ["tmpfs"], capacity: Int = 1 << 20) -> VFS {
        VFS(fileSystemTypes: types, capacity: capacity, clock: { [unowned self] in self.now })
    }

    func names(_ v: VFS, _ path: String) throws -> [String] {
        let d = try v.open(path, flags: OpenFlags.readOnly, mode: 0)
        defer { v.close(d) }
        var out: [String] = []
        while true {
            let l = try v.readDirectory(d, limit: 2)
            if l.isEmpty { break }
            out += l.map(\.name)
        }
        return out
    }

    func expect(_ e: NetBSDErrno, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
        do { try body(); XCTFail("expected \(e)", file: file, line: line) } catch {
            XCTAssertEqual(error as? NetBSDErrno, e, file: file, line: line)
        }
    }

    func testFreshTreeIsTheTutorials() throws {
        let v = makeVFS()
        XCTAssertEqual(try names(v, "/"), [".", "..", "dev", "tmp"])
        let dev = try v.stat("/dev", follow: true), tmp = try v.stat("/tmp", follow: true)
        XCTAssertEqual(dev.mode, FileMode.directory | 0o755)
        XCTAssertEqual(tmp.mode, FileMode.directory | 0o1777)
        XCTAssertEqual([dev.uid, dev.gid, tmp.uid, tmp.gid, dev.links, tmp.links], [0, 0, 0, 0, 2, 2])
        XCTAssertEqual([dev.size, dev.blocks], [512, 1])
        XCTAssertEqual(try v.stat("/", follow: true).links, 4)
        XCTAssertEqual(v.fileSystems().map { "\($0.mountedFrom) \($0.mountedOn) \($0.typeName)" }, ["rumpfs / rumpfs"])
    }

    func testWriteReadSeekAndTimes() throws {
        let v = makeVFS()
        let f = try v.open("/file", flags: OpenFlags.create | OpenFlags.writeOnly, mode: 0o644)
        now = TimeSpec(seconds: 2_000)
        XCTAssertEqual(try v.write(f, Array("messages from earth\n".utf8)), 20)
        let s = v.stat(f)
        XCTAssertEqual([s.size, s.blocks], [20, 1])
        XCTAssertEqual(s.modificationTime.seconds, 2_000)
        XCTAssertEqual(s.birthTime.seconds, 1_000)
        expect(.EBADF) { _ = try v.read(f, count: 10) }
        v.close(f)
        let r = try v.open("/file", flags: OpenFlags.readOnly, mode: 0)
        XCTAssertEqual(try v.seek(r, offset: 9, whence: SeekWhence.set), 9)
        XCTAssertEqual(String(decoding: try v.read(r, count: 4), as: UTF8.self), "from")
        XCTAssertEqual(try v.seek(r, offset: -5, whence: SeekWhence.end), 15)
        XCTAssertEqual(String(decoding: try v.read(r, count: 100), as: UTF8.self), "arth\n")
        XCTAssertEqual(try v.read(r, count: 100), [])
        expect(.EINVAL) { _ = try v.seek(r, offset: -100, whence: SeekWhence.current) }
        expect(.EBADF) { _ = try v.write(r, [1]) }
        v.close(r)
        // O_TRUNC empties, O_APPEND appends, O_EXCL refuses an existing name.
        let t = try v.open("/file", flags: OpenFlags.writeOnly | OpenFlags.truncate | OpenFlags.append, mode: 0)
        _ = try v.write(t, [1, 2]); _ = try v.seek(t, offset: 0, whence: SeekWhence.set); _ = try v.write(t, [3])
        XCTAssertEqual(v.stat(t).size, 3)
        v.close(t)
        expect(.EEXIST) { _ = try v.open("/file", flags: OpenFlags.create | OpenFlags.exclusive, mode: 0) }
        expect(.EISDIR) { _ = try v.open("/tmp", flags: OpenFlags.writeOnly, mode: 0) }
        expect(.ENOENT) { _ = try v.open("/nothing", flags: 0, mode: 0) }
        expect(.ENOTDIR) { _ = try v.open("/file/x", flags: 0, mode: 0) }
    }

    func testTraversalStaysAtTheRoot() throws {
        let v = makeVFS()
        try v.mkdir("/tmp/a", mode: 0o755)
        XCTAssertEqual(try v.stat("/../../..", follow: true).inode, try v.stat("/", follow: true).inode)
        XCTAssertEqual(try v.stat("../../tmp/a/../../dev", follow: true).inode, try v.stat("/dev", follow: true).inode)
        try v.symlink(target: "../../../../../dev", at: "/tmp/a/up")
        XCTAssertEqual(try v.stat("/tmp/a/up", follow: true).inode, try v.stat("/dev", follow: true).inode)
        // Across a mount point, .. leaves the mounted file system for the covering one.
        try v.mount(type: "tmpfs", at: "/tmp", size: 0)
        XCTAssertEqual(try v.stat("/tmp/..", follow: true).inode, try v.stat("/", follow: true).inode)
        expect(.ENOENT) { _ = try v.stat("/tmp/a", follow: true) }
        try v.symlink(target: "loop", at: "/loop")
        expect(.ELOOP) { _ = try v.stat("/loop", follow: true) }
        XCTAssertTrue(try v.stat("/loop", follow: false).isSymbolicLink)
        XCTAssertEqual(try v.readlink("/loop"), "loop")
    }

    func testNameLimits() throws {
        let v = makeVFS()
        let longest = String(repeating: "n", count: FileSystemLimits.nameMax)
        try v.mkdir("/" + longest, mode: 0o755)
        expect(.ENAMETOOLONG) { try v.mkdir("/" + longest + "n", mode: 0o755) }
        // PATH_MAX counts the NUL: 1023 bytes fit, 1024 do not.
        let deep = "/" + String(repeating: "a/", count: 511)   // 1023 bytes
        expect(.ENOENT) { _ = try v.stat(deep, follow: true) }
        expect(.ENAMETOOLONG) { _ = try v.stat(deep + "a", follow: true) }
        expect(.ENOENT) { _ = try v.stat("", follow: true) }
    }

    func testTmpfsSizeGivesENOSPCAndFreesOnUnlink() throws {
        let v = makeVFS()
        try v.mount(type: "tmpfs", at: "/tmp", size: 8192)
        let f = try v.open("/tmp/big", flags: OpenFlags.create | OpenFlags.readWrite, mode: 0o644)
        // Two nodes' headers (512 each) are charged: 7168 bytes of data fit.
        XCTAssertEqual(try v.write(f, [UInt8](repeating: 7, count: 7168)), 7168)
        expect(.ENOSPC) { _ = try v.write(f, [1]) }
        expect(.ENOSPC) { try v.mkdir("/tmp/d", mode: 0o755) }
        XCTAssertEqual(v.stat(f).size, 7168, "a refused write changes nothing")
        let full = try v.fileSystem(of: "/tmp")
        XCTAssertEqual(full.blocksFree, 0)
        // Unlinked while open: space comes back at the last close.
        try v.unlink("/tmp/big")
        expect(.ENOSPC) { try v.mkdir("/tmp/d", mode: 0o755) }
        v.close(f)
        try v.mkdir("/tmp/d", mode: 0o755)
        XCTAssertEqual(try v.fileSystem(of: "/tmp").blocksFree, UInt64(8192 - 1024) / 512)
        // The root file system is bounded too (the kernel's memory).
        let small = makeVFS(capacity: 4096)
        let g = try small.open("/g", flags: OpenFlags.create | OpenFlags.writeOnly, mode: 0)
        expect(.ENOSPC) { _ = try small.write(g, [UInt8](repeating: 0, count: 4096)) }
    }

    func testMountsAndTheirErrors() throws {
        let noTmpfs = makeVFS(types: [])
        expect(.ENODEV) { try noTmpfs.mount(type: "tmpfs", at: "/tmp", size: 0) }
        let v = makeVFS()
        expect(.ENODEV) { try v.mount(type: "ffs", at: "/tmp", size: 0) }
        expect(.ENOENT) { try v.mount(type: "tmpfs", at: "/swap", size: 0) }
        expect(.EBUSY) { try v.mount(type: "tmpfs", at: "/", size: 0) }
        try v.mount(type: "tmpfs", at: "/tmp", size: 0)
        expect(.EBUSY) { try v.mount(type: "tmpfs", at: "/tmp", size: 0) }
        XCTAssertEqual(v.fileSystems().map { "\($0.mountedFrom) on \($0.mountedOn) type \($0.typeName)" },
                       ["rumpfs on / type rumpfs", "tmpfs on /tmp type tmpfs"])
        XCTAssertEqual(try v.stat("/tmp", follow: true).mode, FileMode.directory | 0o1777, "the root takes the covered mode")
        let f = try v.open("/tmp/x", flags: OpenFlags.create | OpenFlags.writeOnly, mode: 0o600)
        expect(.EXDEV) { try v.rename("/tmp/x", "/x") }
        expect(.EBUSY) { try v.unmount("/tmp") }
        expect(.EBUSY) { try v.rmdir("/tmp") }
        v.close(f)
        expect(.EINVAL) { try v.unmount("/dev") }
        expect(.EBUSY) { try v.unmount("/") }
        try v.unmount("/tmp")
        expect(.ENOENT) { _ = try v.stat("/tmp/x", follow: true) }
        XCTAssertEqual(v.fileSystems().count, 1)
    }

    func testNamesRenameRmdirUnlink() throws {
        let v = makeVFS()
        try v.mkdir("/a", mode: 0o755)
        try v.mkdir("/a/b", mode: 0o700)
        XCTAssertEqual(try v.stat("/a", follow: true).links, 3)
        expect(.EEXIST) { try v.mkdir("/a", mode: 0o755) }
        expect(.ENOTEMPTY) { try v.rmdir("/a") }
        expect(.EINVAL) { try v.rename("/a", "/a/b/c") }
        try v.rename("/a/b", "/c")
        XCTAssertEqual(try names(v, "/"), [".", "..", "dev", "tmp", "a", "c"])
        XCTAssertEqual(try v.stat("/a", follow: true).links, 2)
        let f = try v.open("/a/f", flags: OpenFlags.create | OpenFlags.writeOnly, mode: 0o644); v.close(f)
        expect(.EPERM) { try v.unlink("/a") }
        expect(.ENOTDIR) { try v.rmdir("/a/f") }
        expect(.EISDIR) { try v.rename("/a/f", "/c") }
        try v.rename("/a/f", "/g")
        try v.unlink("/g")
        try v.rmdir("/a")
        try v.chmod("/c", mode: 0o711)
        try v.chown("/c", uid: 5, gid: UInt32.max)
        try v.utimes("/c", access: TimeSpec(seconds: 7), modification: TimeSpec(seconds: 8))
        let s = try v.stat("/c", follow: true)
        XCTAssertEqual([s.mode, s.uid, s.gid], [FileMode.directory | 0o711, 5, 0])
        XCTAssertEqual([s.accessTime.seconds, s.modificationTime.seconds], [7, 8])
    }
}
