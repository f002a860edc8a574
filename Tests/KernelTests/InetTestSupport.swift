import XCTest
import KernelStack
import RumpNet
import RumpProtocol

/// A dotted-quad IPv4 socket address for requests (`ip("10.0.0.1", port: 7)`).
func ip(_ s: String, port: UInt16 = 0) -> SocketAddress {
    SocketAddress.inet(IPv4Address(s)!, port: port)
}

extension EmbeddedKernel {
    /// Attaches `mem0` to `link` with `address`/24 (and its broadcast address when given) and
    /// brings it up, through the syscall layer as ifconfig would; each call must succeed.
    func configure(_ address: String, on link: MemoryLink, broadcast: String? = nil,
                   file: StaticString = #filePath, line: UInt = #line) throws {
        try attach("mem0", to: link)
        let c = client(name: "ifconfig")
        let a = InterfaceAddress(address: ip(address), netmask: ip("255.255.255.0"), broadcast: broadcast.map { ip($0) })
        XCTAssertEqual(c.call(.ifAddAddress(name: "mem0", address: a, alias: false)), .success(.none), file: file, line: line)
        XCTAssertEqual(c.call(.ifSetFlags(name: "mem0", set: IFF.UP, clear: 0)), .success(.none), file: file, line: line)
        c.disconnect()
    }
}
