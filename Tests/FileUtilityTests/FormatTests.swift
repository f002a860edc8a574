import FileUtilities
import NetBSDModels
import XCTest

/// NetBSD's text forms, checked against the tutorial's lines and NetBSD's rules.
final class FormatTests: XCTestCase {
    func stat(_ mode: UInt32, links: UInt32, size: Int64, mtime: Int64) -> FileStat {
        let t = TimeSpec(seconds: mtime)
        return FileStat(device: 1, inode: 2, mode: mode, links: links, uid: 0, gid: 0, size: size, blocks: (size + 511) / 512,
                        blockSize: 4096, accessTime: t, modificationTime: t, changeTime: t, birthTime: t)
    }

    func testModeStrings() {
        XCTAssertEqual(FileFormat.modeString(FileMode.directory | 0o755), "drwxr-xr-x ")
        XCTAssertEqual(FileFormat.modeString(FileMode.directory | 0o1777), "drwxrwxrwt ")
        XCTAssertEqual(FileFormat.modeString(FileMode.regular | 0o644), "-rw-r--r-- ")
        XCTAssertEqual(FileFormat.modeString(FileMode.regular | 0o6644 | 0o1000), "-rwSr-Sr-T ")
        XCTAssertEqual(FileFormat.modeString(FileMode.symbolicLink | 0o4755), "lrwsr-xr-x ")
    }

    func testTutorialLongListing() {
        // Jul 28 23:10 UTC of 2014, listed the same day.
        let t: Int64 = 1_406_589_000
        let rows = FileFormat.longListing([("dev", stat(FileMode.directory | 0o755, links: 2, size: 512, mtime: t), nil),
                                           ("tmp", stat(FileMode.directory | 0o1777, links: 2, size: 512, mtime: t), nil)],
                                          now: t + 60)
        XCTAssertEqual(rows, ["drwxr-xr-x  2 0  0  512 Jul 28 23:10 dev", "drwxrwxrwt  2 0  0  512 Jul 28 23:10 tmp"])
        let file = FileFormat.longListing([("/file", stat(FileMode.regular | 0o644, links: 1, size: 20, mtime: t), nil)], now: t)
        XCTAssertEqual(file, ["-rw-r--r--  1 0  0  20 Jul 28 23:10 /file"])
        // Older than six months: the year instead of the time; a link shows its target.
        let old = FileFormat.longListing([("l", stat(FileMode.symbolicLink | 0o755, links: 1, size: 3, mtime: t), "dev")], now: t + 200 * 86400)
        XCTAssertEqual(old, ["lrwxr-xr-x  1 0  0  3 Jul 28  2014 l -> dev"])
    }

    func testMountAndDdAndDf() {
        let fs = FileSystemStat(typeName: "tmpfs", mountedOn: "/tmp", mountedFrom: "tmpfs", flags: FileSystemStat.flagLocal,
                                blockSize: 4096, fragmentSize: 512, blocks: 2048, blocksFree: 1024, blocksAvailable: 1024,
                                files: 10, filesFree: 5)
        XCTAssertEqual(FileFormat.mountLine(fs), "tmpfs on /tmp type tmpfs (local)")
        XCTAssertEqual(FileFormat.ddSummary(fullIn: 0, partialIn: 1, fullOut: 0, partialOut: 1, bytes: 20, milliseconds: 1),
                       "0+1 records in\n0+1 records out\n20 bytes transferred in 0.001 secs (20000 bytes/sec)\n")
        XCTAssertEqual(FileFormat.ddSummary(fullIn: 2, partialIn: 0, fullOut: 2, partialOut: 0, bytes: 1024, milliseconds: 0),
                       "2+0 records in\n2+0 records out\n1024 bytes transferred in 0.000 secs (1024 bytes/sec)\n")
        XCTAssertEqual(FileFormat.dfTable([fs], kilobytes: false),
                       "Filesystem 512-blocks       Used      Avail %Cap Mounted on\ntmpfs            2048       1024       1024  50% /tmp\n")
    }

    func testOptionsSizesAndModes() throws {
        let p = try ParsedOptions.parse(["-la", "-s", "4m", "x", "-y"], optstring: "las:").get()
        XCTAssertEqual(p.options.map(\.flag), ["l", "a", "s"])
        XCTAssertEqual(p.value("s"), "4m")
        XCTAssertEqual(p.operands, ["x", "-y"])
        XCTAssertThrowsError(try ParsedOptions.parse(["-q"], optstring: "l").get())
        XCTAssertEqual(parseSize("4m"), 4 << 20)
        XCTAssertEqual(parseSize("512"), 512)
        XCTAssertNil(parseSize("12q"))
        XCTAssertNil(parseSize("99999999999999999999k"))
        XCTAssertEqual(ModeSpec.apply("755", to: 0, umask: 0o022), 0o755)
        XCTAssertEqual(ModeSpec.apply("u+x", to: 0o644, umask: 0o022), 0o744)
        XCTAssertEqual(ModeSpec.apply("go-r", to: 0o644, umask: 0o022), 0o600)
        XCTAssertEqual(ModeSpec.apply("a=rx", to: 0o644, umask: 0o022), 0o555)
        XCTAssertEqual(ModeSpec.apply("+x", to: 0o644, umask: 0o022), 0o755)
        XCTAssertNil(ModeSpec.apply("99", to: 0, umask: 0))
        XCTAssertNil(ModeSpec.apply("u*x", to: 0, umask: 0))
    }
}
