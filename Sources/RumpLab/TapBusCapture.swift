#if canImport(Glibc)
import Glibc
#endif
import Pcap

/// Live capture of a tap bus: every frame as it enters the lab's Linux bridge, once.
/// A capture on the bridge interface itself would miss the unicast frames the bridge
/// forwards port to port, so this reads one AF_PACKET socket in the lab's namespace and
/// keeps the frames received (not sent) on the bus's ports: each frame a node puts on the
/// bus arrives on exactly one port, as each frame a node writes to a shmif bus is in its
/// ring once. The caller's thread must already be in the lab's namespace.
public final class TapBusCapture {
    public let writer: PcapWriter
    public let filter: PcapFilter?
    public let limit: Int?
    /// The bus's port interfaces (taps of rump nodes, veths of linux nodes).
    public let ports: [String]
    public private(set) var captured = 0
    public private(set) var filtered = 0
    let fd: Int32
    /// One frame at a time, reused.
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    var portIndexes = Set<Int32>()
    var lastResolve = 0.0

    static let afPacket: Int32 = 17
    static let ethPAll: UInt16 = 0x0003
    /// sockaddr_ll.sll_pkttype of a frame this host sent.
    static let packetOutgoing: UInt8 = 4

    public init(ports: [String], writer: PcapWriter, filter: PcapFilter?, limit: Int?) throws(LabError) {
        let s = socket(Self.afPacket, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), Int32(Self.ethPAll.bigEndian))
        guard s >= 0 else {
            let e = errno
            throw LabError("packet socket: \(String(cString: strerror(e)))" + (e == EPERM ? " (capturing needs root or CAP_NET_RAW)" : ""))
        }
        fd = s
        self.ports = ports
        self.writer = writer
        self.filter = filter
        self.limit = limit
        resolvePorts()
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    public var isDone: Bool { limit.map { captured >= $0 } ?? false }

    /// Port names to interface indexes. A node restarted gets a new tap (a new index), so
    /// this is redone when a frame comes from an unknown interface, at most every 200 ms.
    func resolvePorts() {
        portIndexes = Set(ports.compactMap { let i = if_nametoindex($0); return i == 0 ? nil : Int32(i) })
        lastResolve = HostProcess.now()
    }

    public func run(pollMilliseconds: Int32 = 100, shouldStop: () -> Bool) {
        var from = [UInt8](repeating: 0, count: 32)
        while !isDone && !shouldStop() {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, pollMilliseconds) <= 0 { continue }
            while !isDone {
                var fromLen = socklen_t(from.count)
                let n = from.withUnsafeMutableBytes { f in
                    recvfrom(fd, buffer.baseAddress, buffer.count, 0, f.baseAddress!.assumingMemoryBound(to: sockaddr.self), &fromLen)
                }
                if n < 0 { break }
                // sockaddr_ll: family (2), protocol (2), ifindex (4, host order), hatype (2), pkttype (1), ...
                let ifindex = from.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: Int32.self) }
                if from[10] == Self.packetOutgoing { continue }
                if !portIndexes.contains(ifindex) {
                    if HostProcess.now() - lastResolve < 0.2 { continue }
                    resolvePorts()
                    if !portIndexes.contains(ifindex) { continue }
                }
                let frame = UnsafeRawBufferPointer(start: buffer.baseAddress, count: n)
                if let filter, !filter.matches(frame) { filtered += 1; continue }
                var tv = timeval()
                gettimeofday(&tv, nil)
                writer.write(frame, seconds: Int(tv.tv_sec), microseconds: Int(tv.tv_usec))
                captured += 1
            }
            writer.flush()
        }
        writer.flush()
    }

    public var summary: [String] { ["\(captured) packet\(captured == 1 ? "" : "s") captured"] }
}
