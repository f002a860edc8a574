import Testing
@testable import RumpNet

/// Two stacks on one memory link (10.0.0.1 and 10.0.0.2) for TCP tests on virtual time.
struct TCPPair {
    let lab = Lab()
    let a: NetStack, b: NetStack
    let link: MemoryLink

    init(seed: UInt64 = 1) throws {
        a = lab.stack(seed: seed)
        b = lab.stack(seed: seed + 1)
        link = lab.link()
        try lab.attach(a, link, "shmif0", "10.0.0.1", 24)
        try lab.attach(b, link, "shmif0", "10.0.0.2", 24)
    }

    static func ep(_ a: String, _ p: UInt16) -> SocketEndpoint { SocketEndpoint(IPv4Address(a)!, p) }

    func stream(_ s: NetStack) throws -> Int32 {
        try s.socket(domain: SocketConstants.AF_INET, type: SocketConstants.SOCK_STREAM, protocol: 0)
    }

    /// A listener on b:port and a connection from a, accepted: (client fd on a, server fd on b).
    func connected(port: UInt16 = 5001) throws -> (Int32, Int32) {
        let l = try stream(b)
        try b.bind(l, to: TCPPair.ep("0.0.0.0", port))
        try b.listen(l, backlog: 8)
        let c = try stream(a)
        #expect(throws: Errno.EINPROGRESS) { try a.connect(c, to: TCPPair.ep("10.0.0.2", port)) }
        lab.settle()
        let (sfd, peer) = try b.accept(l)
        #expect(peer.address == IPv4Address("10.0.0.1")!)
        try b.close(l)
        return (c, sfd)
    }

    /// Writes as much of `data` from `offset` as the socket takes.
    @discardableResult
    func write(_ s: NetStack, _ fd: Int32, _ data: [UInt8], from offset: Int = 0) throws -> Int {
        do {
            return try data.withUnsafeBytes { try s.send(fd, UnsafeRawBufferPointer(rebasing: $0[offset...])) }
        } catch let e as Errno where e == .EWOULDBLOCK {
            return 0
        }
    }

    /// Reads what is there (nil at end of file).
    func read(_ s: NetStack, _ fd: Int32, max: Int = 65536) throws -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: max)
        do {
            let d = try buf.withUnsafeMutableBytes { try s.receive(fd, into: $0) }
            if d.copied == 0 { return nil }
            return Array(buf[0..<d.copied])
        } catch let e as Errno where e == .EWOULDBLOCK {
            return []
        }
    }

    /// Moves `data` from a:`from` to b:`to`, settling the link between writes; returns what b read.
    func transfer(_ data: [UInt8], from: Int32, to: Int32, step: Double = 0.001, maxSteps: Int = 1_000_000) throws -> [UInt8] {
        var sent = 0
        var got: [UInt8] = []
        got.reserveCapacity(data.count)
        var steps = 0
        while got.count < data.count && steps < maxSteps {
            if sent < data.count { sent += try write(a, from, data, from: sent) }
            lab.settle()
            while let chunk = try read(b, to), !chunk.isEmpty { got += chunk }
            lab.clock.advance(seconds: step)
            lab.settle()
            steps += 1
        }
        return got
    }
}

