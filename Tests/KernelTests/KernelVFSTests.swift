import XCTest
@testable import RumpKernel
import RumpProtocol

/// The kernel's file-system calls in-process: one descriptor number space for files and
/// sockets, close of either kind, ENOSYS without rumpvfs, a departing client's files closed.
final class KernelVFSTests: XCTestCase {
    func kernel(_ components: Set<Component>) -> Kernel {
        let s = FakeStack()
        return Kernel(configuration: KernelConfiguration(components: components, ncpu: 1), loop: EventLoop(), stackFactory: { _ in s })
    }

    func call(_ k: Kernel, _ c: ClientContext, _ q: Request) -> Result<Reply, KernelError> {
        var out: Result<Reply, KernelError>?
        k.handle(q, from: c) { out = $0 }
        return out ?? .failure(KernelError(.EIO, message: "no reply"))
    }

    func fd(_ r: Result<Reply, KernelError>) -> Int32 {
        if case .success(.fd(let f)) = r { return f }
        XCTFail("\(r)"); return -1
    }

    static let all: Set<Component> = [.rumpnet, .rumpnet_net, .rumpnet_netinet, .rumpvfs, .rumpfs_tmpfs]

    func testFilesAndSocketsShareTheLowestFreeNumbers() {
        let k = kernel(Self.all), c = k.newClient()
        let socket = fd(call(k, c, .socket(domain: 2, type: 2, protocol: 0)))
        let file = fd(call(k, c, .file(.open(path: "/f", flags: 0x201, mode: 0o666))))
        XCTAssertEqual([socket, file], [0, 1])
        XCTAssertEqual(fd(call(k, c, .socket(domain: 2, type: 2, protocol: 0))), 2)
        XCTAssertEqual(call(k, c, .close(fd: socket)), .success(.none))
        XCTAssertEqual(fd(call(k, c, .file(.open(path: "/", flags: 0, mode: 0)))), 0, "a file takes the socket's freed number")
        XCTAssertEqual(call(k, c, .close(fd: file)), .success(.none))
        XCTAssertEqual(fd(call(k, c, .socket(domain: 2, type: 2, protocol: 0))), 1, "a socket takes the file's")
        // A socket call on a file descriptor is EBADF, a file call on a socket too.
        XCTAssertEqual(call(k, c, .file(.read(fd: 1, maxLength: 10))), .failure(KernelError(.EBADF)))
        XCTAssertEqual(call(k, c, .file(.read(fd: 0, maxLength: 10))), .failure(KernelError(.EISDIR)))
        // The umask: 0666 is created 0644.
        guard case .success(.file(.stat(let s))) = call(k, c, .file(.stat(path: "/f"))) else { return XCTFail() }
        XCTAssertEqual(s.mode, 0o100644)
    }

    func testNoRumpvfsIsENOSYSAndAGoneClientsFilesClose() {
        let net = kernel([.rumpnet, .rumpnet_net]), c = net.newClient()
        XCTAssertEqual(call(net, c, .file(.stat(path: "."))), .failure(KernelError(.ENOSYS)))
        let k = kernel(Self.all), d = k.newClient()
        XCTAssertEqual(call(k, d, .file(.mount(type: "tmpfs", path: "/tmp", flags: 0, size: 0))), .success(.none))
        _ = fd(call(k, d, .file(.open(path: "/tmp/x", flags: 0x201, mode: 0o600))))
        XCTAssertEqual(call(k, d, .file(.unmount(path: "/tmp", flags: 0))), .failure(KernelError(.EBUSY)))
        k.clientGone(d)
        let e = k.newClient()
        XCTAssertEqual(call(k, e, .file(.unmount(path: "/tmp", flags: 0))), .success(.none))
        let noTmpfs = kernel([.rumpvfs]), f = noTmpfs.newClient()
        XCTAssertEqual(call(noTmpfs, f, .file(.mount(type: "tmpfs", path: "/tmp", flags: 0, size: 0))), .failure(KernelError(.ENODEV)))
    }
}
