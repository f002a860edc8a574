// tcp-bench: the two ends of the TCP connection-rate benchmark (scripts/tcp-bench.py): a loop
// of connect/accept/close through rump kernels, keeping a window of connections in progress
// on the kernel connection (RumpClient.submit/responses) so round trips overlap. Throughput
// is ttcp's job; this counts connections.
//
//   tcp-bench accept [-n count] [-W window] port
//   tcp-bench connect [-n count] [-W window] host port
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

func fail(_ m: String) -> Never {
    printErr("tcp-bench: \(m)")
    exitTool(1)
}

let usage = """
    usage: tcp-bench accept [-n count] [-W window] port
           tcp-bench connect [-n count] [-W window] host port
    """

var args = utilityArguments
guard let mode = args.first, mode == "accept" || mode == "connect" else { fail(usage) }
args.removeFirst()
var count = 2000, window = 16
var operands: [String] = []
var i = 0
while i < args.count {
    let a = args[i]
    func value() -> Int {
        i += 1
        guard i < args.count, let v = Int(args[i]), v > 0 else { fail("\(a) needs a number above 0\n\(usage)") }
        return v
    }
    switch a {
    case "-n": count = value()
    case "-W": window = value()
    default:
        if a.hasPrefix("-") { fail("unknown option \(a)\n\(usage)") }
        operands.append(a)
    }
    i += 1
}

let kernel = Remote(program: "tcp-bench")
let client = kernel.client
let stream = Request.socket(domain: Int32(RumpProtocol.NetBSD.AF_INET), type: RumpProtocol.NetBSD.SOCK_STREAM, protocol: 0)

@MainActor func submit(_ r: Request) -> UInt32 {
    do { return try client.submit([r])[0] } catch { fail("\(error)") }
}
@MainActor func responses() -> [(id: UInt32, result: Result<Reply, KernelError>)] {
    do { return try client.responses(wait: true) } catch { fail("\(error)") }
}

/// "N connections in T s: R connections/s".
func report(_ verb: String, _ n: Int, _ t: Double) {
    let rate = Int(Double(n) / max(t, 1e-9))
    let ms = Int((t * 1000).rounded())
    printOut("\(verb) \(n) connections in \(ms / 1000).\(String(1000 + ms % 1000).dropFirst()) s: \(rate) connections/s")
}

if mode == "accept" {
    guard operands.count == 1, let port = UInt16(operands[0]) else { fail(usage) }
    guard case .success(.fd(let l)) = kernel.call(stream) else { fail("socket failed") }
    _ = kernel.perform(.setsockopt(fd: l, level: RumpProtocol.NetBSD.SOL_SOCKET, name: 0x0004,
                                   value: withUnsafeBytes(of: Int32(1).littleEndian) { Array($0) }))
    if let e = kernel.perform(.bind(fd: l, address: SocketAddress.inet(.any, port: port))) { fail("bind: \(e.strerror)") }
    if let e = kernel.perform(.listen(fd: l, backlog: 128)) { fail("listen: \(e.strerror)") }
    printOut("listening on port \(port)")
    OutputStream.standardOutput.flush()
    var accepts = Set<UInt32>(), closes = Set<UInt32>()
    var submitted = 0, accepted = 0, closed = 0
    var start = 0.0
    while closed < count {
        while submitted < count && accepts.count < window {
            accepts.insert(submit(.accept(fd: l, timeout: -1)))
            submitted += 1
        }
        for (id, r) in responses() {
            if accepts.remove(id) != nil {
                guard case .success(.accepted(let c, _)) = r else { fail("accept: \(r)") }
                if accepted == 0 { start = now() }
                accepted += 1
                closes.insert(submit(.close(fd: c)))
            } else if closes.remove(id) != nil {
                closed += 1
            }
        }
    }
    report("accepted", count, now() - start)
    exitTool(0)
}

guard operands.count == 2, let target = HostResolver().resolve(operands[0]), let port = UInt16(operands[1]) else { fail(usage) }
let peer = SocketAddress.inet(target, port: port)
/// Each connection in progress goes socket → connect → close; ids say which step answered.
enum Step { case socket, connect(Int32), close }
var steps: [UInt32: Step] = [:]
var started = 0, done = 0
let start = now()
while done < count {
    while started < count && steps.count < window {
        steps[submit(stream)] = .socket
        started += 1
    }
    for (id, r) in responses() {
        guard let step = steps.removeValue(forKey: id) else { continue }
        switch step {
        case .socket:
            guard case .success(.fd(let s)) = r else { fail("socket: \(r)") }
            steps[submit(.connect(fd: s, address: peer, timeout: -1))] = .connect(s)
        case .connect(let s):
            if case .failure(let e) = r { fail("connect: \(e.errno.strerror)") }
            steps[submit(.close(fd: s))] = .close
        case .close:
            done += 1
        }
    }
}
report("connected", count, now() - start)
exitTool(0)
