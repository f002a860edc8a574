import RumpProtocol
import XCTest

/// The file-system calls' messages: every opcode round-trips, forged payloads are refused.
final class VFSProtocolTests: XCTestCase {
    static let time = TimeSpec(seconds: 1_700_000_000, nanoseconds: 5)
    static let requests: [Request] = [
        .file(.open(path: "/tmp/file", flags: 0x601, mode: 0o644)),
        .file(.read(fd: 3, maxLength: 65536)),
        .file(.write(fd: 3, data: Array("messages from earth\n".utf8))),
        .file(.lseek(fd: 3, offset: -20, whence: 2)),
        .file(.stat(path: "/dev")), .file(.lstat(path: "/link")), .file(.fstat(fd: 4)),
        .file(.getdents(fd: 4, maxEntries: 100)),
        .file(.mkdir(path: "/a", mode: 0o755)), .file(.rmdir(path: "/a")), .file(.unlink(path: "/file")),
        .file(.rename(from: "/a", to: "/b")), .file(.symlink(target: "../x", path: "/l")), .file(.readlink(path: "/l")),
        .file(.chmod(path: "/f", mode: 0o1777)), .file(.chown(path: "/f", uid: 0, gid: UInt32.max)),
        .file(.utimes(path: "/f", access: nil, modification: time)),
        .file(.mount(type: "tmpfs", path: "/tmp", flags: 0, size: 1 << 20)),
        .file(.unmount(path: "/tmp", flags: 0)), .file(.getvfsstat), .file(.statvfs(path: "/")),
    ]
    static let stat = FileStat(device: 1, inode: 3, mode: 0o40755, links: 2, uid: 0, gid: 0, size: 512, blocks: 1,
                               blockSize: 4096, accessTime: time, modificationTime: time, changeTime: time, birthTime: time)
    static let replies: [Reply] = [
        .file(.stat(stat)),
        .file(.entries([DirectoryEntry(inode: 2, type: 4, name: "."), DirectoryEntry(inode: 9, type: 8, name: "file")])),
        .file(.offset(1 << 40)), .file(.path("/target")),
        .file(.fileSystems([FileSystemStat(typeName: "tmpfs", mountedOn: "/tmp", mountedFrom: "tmpfs", flags: 0x1000,
                                           blockSize: 4096, fragmentSize: 512, blocks: 2048, blocksFree: 2000,
                                           blocksAvailable: 2000, files: 10, filesFree: 4)])),
    ]

    func testEveryFileOpcodeInTheFileRange() {
        let codes = Set(Self.requests.map(\.opcode))
        XCTAssertEqual(codes.count, Self.requests.count)
        XCTAssertEqual(codes, Set(Opcode.allCases.filter { (0x80...0x9f).contains($0.rawValue) }))
    }

    func testRoundTrip() throws {
        for (i, q) in Self.requests.enumerated() {
            let m = Message.request(id: UInt32(i), q)
            XCTAssertEqual(try Message.decode(body: m.encodeBody()), m, "\(q)")
        }
        for r in Self.replies {
            let m = Message.response(id: 1, opcode: 0x84, result: .success(r))
            XCTAssertEqual(try Message.decode(body: m.encodeBody()), m, "\(r)")
        }
    }

    func testForgedPayloadsAreRefused() {
        // Nanoseconds out of range in a utimes time.
        var w = WireWriter()
        w.string("/f"); w.bool(true); w.i64(1); w.i32(1_000_000_000); w.bool(false)
        var r = WireReader(w.bytes)
        XCTAssertThrowsError(try Request.decode(opcode: .fileUtimes, &r))
        // A directory listing announcing more entries than bytes.
        var w2 = WireWriter()
        w2.u8(0x80); w2.u8(2); w2.u32(1_000_000)
        var r2 = WireReader(w2.bytes)
        XCTAssertThrowsError(try Reply.decode(&r2))
        // An unknown file reply tag.
        var r3 = WireReader([0x80, 99])
        XCTAssertThrowsError(try Reply.decode(&r3))
        // Trailing bytes after an open.
        var w4 = WireWriter()
        w4.string("/f"); w4.i32(0); w4.u32(0); w4.u8(7)
        var r4 = WireReader(w4.bytes)
        XCTAssertThrowsError(try Request.decode(opcode: .fileOpen, &r4))
    }
}
