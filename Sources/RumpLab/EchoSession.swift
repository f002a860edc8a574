import RumpClient
import RumpProtocol
#if canImport(Glibc)
import Glibc
#endif

/// ICMP echo through a kernel's raw socket, as ping does, for the lab's checks. Sessions
/// never block (every call has timeout 0), so one thread drives all of a lab's checks at once.
public final class EchoSession {
    public struct Result: Sendable {
        public var sent: Int
        public var received: Int
        /// Round-trip times of the replies, in milliseconds.
        public var rtts: [Double]
    }

    let client: RumpClient
    let destination: SocketAddress
    let count: Int
    let interval: Double
    let deadline: Double
    let ident: UInt16
    let fd: Int32
    var sentAt: [Double] = []
    var replies = Set<UInt16>()
    var rtts: [Double] = []
    var nextSend: Double

    /// Opens the raw socket; `timeout` seconds from now the session is over.
    public init(client: RumpClient, target: IPv4Address, count: Int, timeout: Double, interval: Double = 0.1, ident: UInt16) throws {
        guard case .fd(let fd) = try client.call(.socket(domain: Int32(NetBSD.AF_INET), type: NetBSD.SOCK_RAW, protocol: 1)) else {
            throw LabError("socket: unexpected reply")
        }
        self.client = client
        self.fd = fd
        destination = .inet(target)
        self.count = count
        self.interval = interval
        self.ident = ident
        nextSend = HostProcess.now()
        deadline = nextSend + timeout
    }

    deinit { _ = try? client.call(.close(fd: fd)) }

    public var finished: Bool { replies.count == count || HostProcess.now() >= deadline }
    public var result: Result { Result(sent: sentAt.count, received: replies.count, rtts: rtts) }

    static func checksum(_ b: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < b.count { sum += UInt32(b[i]) << 8 | UInt32(b[i + 1]); i += 2 }
        if i < b.count { sum += UInt32(b[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// Sends the next request if it is due and takes every reply waiting. Returns `finished`.
    @discardableResult
    public func step() -> Bool {
        let now = HostProcess.now()
        if sentAt.count < count && now >= nextSend && now < deadline {
            let seq = UInt16(sentAt.count)
            var msg: [UInt8] = [8, 0, 0, 0, UInt8(ident >> 8), UInt8(ident & 255), UInt8(seq >> 8), UInt8(seq & 255)]
            msg += (0..<56).map { UInt8($0) }
            let c = Self.checksum(msg)
            msg[2] = UInt8(c >> 8); msg[3] = UInt8(c & 255)
            sentAt.append(now)
            // No route or host down loses the echo; the check decides what that means.
            _ = try? client.call(.sendto(fd: fd, data: msg, flags: 0, address: destination, timeout: 0))
            nextSend = now + interval
        }
        while replies.count < count, case .dataFrom(let d, _)? = try? client.call(.recvfrom(fd: fd, maxLength: 2048, flags: 0, timeout: 0)) {
            let hl = Int(d[0] & 0x0f) * 4
            guard d.count >= hl + 8, d[hl] == 0 else { continue }
            let id = UInt16(d[hl + 4]) << 8 | UInt16(d[hl + 5]), seq = UInt16(d[hl + 6]) << 8 | UInt16(d[hl + 7])
            guard id == ident, Int(seq) < sentAt.count, !replies.contains(seq) else { continue }
            replies.insert(seq)
            rtts.append((HostProcess.now() - sentAt[Int(seq)]) * 1000)
        }
        return finished
    }

    /// Drives sessions until all are finished, 1 ms between rounds.
    public static func runAll(_ sessions: [EchoSession]) {
        while true {
            var done = true
            for s in sessions where !s.step() { done = false }
            if done { return }
            usleep(1000)
        }
    }
}
