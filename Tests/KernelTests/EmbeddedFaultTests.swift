import XCTest
import KernelStack
import RumpKernel
import RumpNet
import RumpProtocol
import TestSupport

/// The test middleware on whole kernels, on virtual time: what TCP's tests will do to a link.
final class EmbeddedFaultTests: XCTestCase {
    typealias NetBSD = RumpProtocol.NetBSD

    func testAFaultInjectorOnAKernelsInterfaceReordersAndReleasesOnTheKernelsTimer() throws {
        let lab = EmbeddedLab()
        let link = lab.link()
        let a = lab.kernel(seed: 21), b = lab.kernel(seed: 22)
        try a.configure("10.0.0.1", on: link)
        try b.configure("10.0.0.2", on: link)
        defer { for k in lab.kernels { k.kernel.halt() } }
        let server = b.client(name: "server"), client = a.client(name: "client")
        guard case .success(.fd(let ss))? = server.call(.socket(domain: Int32(NetBSD.AF_INET), type: NetBSD.SOCK_DGRAM, protocol: 0)),
              case .success(.fd(let cs))? = client.call(.socket(domain: Int32(NetBSD.AF_INET), type: NetBSD.SOCK_DGRAM, protocol: 0))
        else { return XCTFail("socket") }
        XCTAssertEqual(server.call(.bind(fd: ss, address: ip("0.0.0.0", port: 7))), .success(.none))
        // Resolve ARP before the injector goes on, so only the datagrams cross it.
        _ = client.call(.sendto(fd: cs, data: [0xFF], flags: 0, address: ip("10.0.0.2", port: 7), timeout: 0))
        lab.run()
        _ = server.call(.recvfrom(fd: ss, maxLength: 100, flags: 0, timeout: 0))

        var injector: FaultInjector!
        try a.wrapDevice("mem0") { d in
            injector = FaultInjector(wrapping: d, reorderPercent: 100, seed: 1, directions: .transmit)
            return injector
        }
        for i in 0..<4 {
            _ = client.call(.sendto(fd: cs, data: [UInt8(i)], flags: 0, address: ip("10.0.0.2", port: 7), timeout: 0))
        }
        lab.run()
        func received() -> [UInt8] {
            var out: [UInt8] = []
            while case .success(.dataFrom(let d, _))? = server.call(.recvfrom(fd: ss, maxLength: 100, flags: 0, timeout: 0)) { out += d }
            return out
        }
        XCTAssertEqual(received(), [1, 0, 3, 2])
        // A lone frame is held until the injector's deadline: the kernel's loop timer fires it.
        _ = client.call(.sendto(fd: cs, data: [9], flags: 0, address: ip("10.0.0.2", port: 7), timeout: 0))
        lab.run()
        XCTAssertEqual(received(), [])
        lab.advance(by: 999_999)
        XCTAssertEqual(received(), [])
        lab.advance(by: 1)
        XCTAssertEqual(received(), [9])
        XCTAssertEqual(injector.reordered, 3)
    }
}
