import XCTest
#if canImport(Glibc)
import Glibc
#endif
import RumpProtocol

/// Not a test of its own: when KT_BLOCKING_CLIENT_PATH is set, this test binary acts as a
/// real client process that connects, starts a call the server parks (a 60 s poll), prints
/// a marker and blocks, so KernelTests can SIGKILL it mid-call. Otherwise it returns at once.
final class BlockingClientHelper: XCTestCase {
    func testBlockInPoll() throws {
        guard let path = ProcessInfo.processInfo.environment["KT_BLOCKING_CLIENT_PATH"] else { return }
        let c = try XCTUnwrap(RawConnection(path: path))
        XCTAssertNotNil(c.hello())
        c.send(.request(id: 1, .poll(items: [], timeout: 60_000)))
        print("KT-PARKED")
        fflush(nil)
        _ = c.receive()
    }
}
