import Testing
@testable import RumpNet

@Suite struct DatagramBufferTests {
    /// Random sizes, appends and takes, so records wrap around the ring's end many times; every
    /// datagram comes out whole, in order, with its sender; the byte accounting is sb_cc's.
    @Test func wrapsAroundAndKeepsOrder() {
        var buf = DatagramBuffer(limit: 1000)
        defer { buf.deallocate() }
        var rng = SeededRandom(seed: 5)
        var queued: [[UInt8]] = []
        var serial: UInt8 = 0
        var out = [UInt8](repeating: 0, count: 600)
        for _ in 0..<20_000 {
            let r = rng.next()
            if r & 1 == 0 {
                let n = Int((r >> 8) % 300)
                serial &+= 1
                let data = (0..<n).map { UInt8(truncatingIfNeeded: $0) ^ serial }
                let fits = buf.used + 16 + n <= 1000
                let ok = data.withUnsafeBytes { buf.append($0, from: SocketEndpoint(IPv4Address(UInt32(n)), UInt16(serial))) }
                #expect(ok == fits)
                if ok { queued.append(data) }
            } else if !queued.isEmpty {
                let want = queued.removeFirst()
                let d = out.withUnsafeMutableBytes { buf.take(into: $0, remove: true) }
                #expect(d?.length == want.count && d?.from.address.value == UInt32(want.count))
                #expect(Array(out[0..<want.count]) == want)
            }
            #expect(buf.count == queued.count && buf.used == queued.reduce(0) { $0 + 16 + $1.count })
        }
        // A bigger limit keeps what is queued, in order.
        buf.setLimit(5000)
        while let want = queued.first {
            queued.removeFirst()
            let d = out.withUnsafeMutableBytes { buf.take(into: $0, remove: true) }
            #expect(d?.length == want.count && Array(out[0..<want.count]) == want)
        }
        #expect(buf.isEmpty && buf.used == 0)
    }
}
