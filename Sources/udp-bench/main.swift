// udp-bench: the two ends of the UDP benchmark (scripts/udp-bench.sh) and of the counting test:
// an application sending or receiving datagrams through a rump kernel's UDP socket, keeping a
// window of calls in flight on its connection (RumpClient.submit/responses) so the round trips
// to the kernel overlap. Not a netcat: it prints counts and rates, nothing else.
//
//   udp-bench send [-s size] [-n count] [-W window] host port
//   udp-bench recv [-s size] [-n count] [-W window] [-t idle-ms] [-b rcvbuf] port
#if canImport(Glibc)
import Glibc
#endif
import NetAdmin
import RumpClient
import RumpProtocol
import ToolSupport
import UtilitySupport

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Seconds with three decimals.
func seconds(_ v: Double) -> String {
    let ms = Int((v * 1000).rounded())
    let frac = String(ms % 1000)
    return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
}

func fail(_ m: String) -> Never {
    printErr("udp-bench: \(m)")
    exitTool(1)
}

let usage = """
    usage: udp-bench send [-s size] [-n count] [-W window] host port
           udp-bench recv [-s size] [-n count] [-W window] [-t idle-ms] [-b rcvbuf] port
    """

var args = utilityArguments
guard let mode = args.first, mode == "send" || mode == "recv" else { fail(usage) }
args.removeFirst()
var size = 64, count = 100_000, window = 64, idleMilliseconds = 2000, receiveBuffer: Int?
var operands: [String] = []
var i = 0
while i < args.count {
    let a = args[i]
    func value() -> Int {
        i += 1
        guard i < args.count, let v = Int(args[i]), v >= 0 else { fail("\(a) needs a number\n\(usage)") }
        return v
    }
    switch a {
    case "-s": size = value()
    case "-n": count = value()
    case "-W": window = max(1, value())
    case "-t": idleMilliseconds = value()
    case "-b": receiveBuffer = value()
    default:
        if a.hasPrefix("-") { fail("unknown option \(a)\n\(usage)") }
        operands.append(a)
    }
    i += 1
}
guard size <= 65507 else { fail("-s: at most 65507 bytes") }

let kernel = Remote(program: "udp-bench")
let client = kernel.client
let s: Int32
switch kernel.call(.socket(domain: Int32(RumpProtocol.NetBSD.AF_INET), type: RumpProtocol.NetBSD.SOCK_DGRAM, protocol: 17)) {
case .success(.fd(let fd)): s = fd
case .failure(let e): fail("socket: \(e.strerror)")
default: fail("socket: unexpected reply")
}

@MainActor func submit(_ requests: [Request]) -> [UInt32] {
    do { return try client.submit(requests) } catch { fail("\(error)") }
}
@MainActor func responses() -> [(id: UInt32, result: Result<Reply, KernelError>)] {
    do { return try client.responses(wait: true) } catch { fail("\(error)") }
}

if mode == "send" {
    guard operands.count == 2, let target = HostResolver().resolve(operands[0]), let port = UInt16(operands[1]) else { fail(usage) }
    if let e = kernel.perform(.connect(fd: s, address: SocketAddress.inet(target, port: port), timeout: -1)) { fail("connect: \(e.strerror)") }
    let payload = [UInt8](repeating: 0x5a, count: size)
    var submitted = 0, inFlight = 0, failed = 0
    var firstError: NetBSDErrno?
    let start = now()
    while submitted < count || inFlight > 0 {
        if submitted < count && inFlight < window {
            let n = min(window - inFlight, count - submitted)
            _ = submit(Array(repeating: .send(fd: s, data: payload, flags: 0, timeout: -1), count: n))
            submitted += n
            inFlight += n
        }
        for (_, r) in responses() {
            inFlight -= 1
            if case .failure(let e) = r { failed += 1; firstError = firstError ?? e.errno }
        }
    }
    let t = now() - start
    let sent = count - failed
    let rate = Int(Double(sent) / max(t, 1e-9))
    var line = "sent \(sent) datagrams of \(size) bytes in \(seconds(t)) s: \(rate) datagrams/s"
    if let firstError { line += " (\(failed) failed: \(firstError.strerror))" }
    printOut(line)
    exitTool(failed == 0 ? 0 : 1)
}

guard operands.count == 1, let port = UInt16(operands[0]) else { fail(usage) }
if let n = receiveBuffer {
    let v = withUnsafeBytes(of: Int32(n).littleEndian) { Array($0) }
    if let e = kernel.perform(.setsockopt(fd: s, level: RumpProtocol.NetBSD.SOL_SOCKET, name: 0x1002, value: v)) {
        fail("SO_RCVBUF: \(e.strerror)")
    }
}
if let e = kernel.perform(.bind(fd: s, address: SocketAddress.inet(.any, port: port))) { fail("bind: \(e.strerror)") }
printOut("bound to port \(port)")
OutputStream.standardOutput.flush()
let receive = Request.recv(fd: s, maxLength: UInt32(max(size, 1)), flags: 0, timeout: Int32(idleMilliseconds))
var received = 0, bytes = 0, first = 0.0, last = 0.0
let started = now()
_ = submit(Array(repeating: receive, count: window))
receiving: while received < count {
    var again = 0
    for (_, r) in responses() {
        switch r {
        case .success(.data(let d)), .success(.dataFrom(let d, _)):
            last = now()
            if received == 0 { first = last }
            received += 1
            bytes += d.count
            again += 1
        case .failure(let e) where e.errno == .EAGAIN:
            // An idle wait ran out: done once traffic has come and gone, else keep waiting (a minute at most).
            if received > 0 && now() - last >= Double(idleMilliseconds) / 1000 * 0.9 { break receiving }
            if received == 0 && now() - started > 60 { break receiving }
            again += 1
        case .failure(let e):
            fail("recv: \(e.errno.strerror)")
        default:
            fail("recv: unexpected reply")
        }
    }
    if received < count && again > 0 { _ = submit(Array(repeating: receive, count: again)) }
}
let t = last - first
let rate = received > 1 && t > 0 ? Int(Double(received - 1) / t) : 0
printOut("received \(received) datagrams (\(bytes) bytes) of \(size) bytes in \(seconds(t)) s: \(rate) datagrams/s")
exitTool(0)
