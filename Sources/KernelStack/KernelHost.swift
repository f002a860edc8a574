#if canImport(Glibc)
import Glibc
#endif
import CKernelShim
import RumpKernel
import RumpProtocol
import Shmif
import Synchronization
import ToolSupport

/// rump_host: many kernels in one process (docs/kernel.md, "Many kernels in one process").
///
/// `rump_host [-s] [-t loops] FILE` reads one kernel per line of FILE ("-": standard input),
/// each line a rump_server command line without the program name (`-lrumpnet ... -S 7
/// unix:///tmp/k1.sock`; `#` starts a comment). Every kernel has its own URL socket,
/// components, sysctl tree, hostname, stack, descriptor tables and seed, exactly as a
/// rump_server of its own; a utility cannot tell the difference. The kernels are spread in
/// file order over `loops` event-loop threads (one per CPU by default), in contiguous runs, so
/// that neighbours in the file (a lab lists a bus's nodes together) share a loop and its
/// same-turn fast path. Each kernel's state is created on, and only ever touched from, its
/// loop's thread; loops share nothing but the `BusHost` (inboxes and the bus-reader map, behind
/// Mutexes) and the `HostLife` count below.
///
/// `halt` (or a kernel's own halt) stops that kernel alone and removes its socket; the process
/// exits 0 when its last kernel halts. SIGTERM, SIGINT and SIGHUP halt every kernel.
public enum KernelHost {
    public struct Spec: Sendable {
        public var line: Int
        public var configuration: KernelConfiguration
        public var url: ServerURL
    }

    /// The kernels of `text` (FILE's contents), each line checked as rump_server checks its
    /// command line; errors name the file and line.
    public static func specs(_ text: String, file: String, program: String) -> Result<[Spec], ServerStartError> {
        var out: [Spec] = []
        var urls = Set<String>()
        // A lab's lines differ only in their URL (the last word): the options before it are
        // parsed once (ArgumentParser's parse was a sixth of a thousand kernels' start-up).
        var parsed: [String: ServerOptions] = [:]
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if words.isEmpty { continue }
            let place = "\(program): \(file):\(i + 1)"
            let key = words.dropLast().joined(separator: " ")
            var prepared: Result<(KernelConfiguration, ServerURL), ServerStartError>
            if let o = parsed[key], !words.last!.hasPrefix("-") {
                // Same options: only the URL is new, and it is checked as rump_server checks it.
                var o2 = o
                o2.url = words.last!
                prepared = RumpServerMain.prepare(o2)
            } else {
                let o: ServerOptions
                switch ServerEntry.options(words, program: program, loadAll: false) {
                case .failure(let e): return .failure(ServerStartError(message: "\(place): \(e.message)", status: 1))
                case .success(let v): o = v
                }
                if o.foreground {
                    return .failure(ServerStartError(message: "\(place): -s is the host's option, not a kernel's", status: 1))
                }
                prepared = RumpServerMain.prepare(o)
                parsed[key] = o
            }
            switch prepared {
            case .failure(let e):
                let lines = e.message.split(separator: "\n").map { "\(place): " + String($0).replacingPrefix("\(program): ", with: "") }
                return .failure(ServerStartError(message: lines.joined(separator: "\n"), status: e.status))
            case .success(let (config, url)):
                guard urls.insert(url.description).inserted else {
                    return .failure(ServerStartError(message: "\(place): \(url): listed twice", status: 1))
                }
                out.append(Spec(line: i + 1, configuration: config, url: url))
            }
        }
        if out.isEmpty { return .failure(ServerStartError(message: "\(program): \(file): no kernels", status: 1)) }
        return .success(out)
    }

    /// Which loop runs kernel `k` of `count`: contiguous runs in file order.
    public static func loop(of k: Int, count: Int, loops: Int) -> Int { k * loops / count }

    /// The count of running kernels (the process exits at 0) and the boot report every loop
    /// writes once: shared by all loops, hence the Mutex.
    final class HostLife: Sendable {
        struct Boot { var loopsDone = 0; var failures: [String] = []; var bound: [String] = [] }
        let running: Mutex<Int>
        let boot = Mutex(Boot())
        init(kernels: Int) { running = Mutex(kernels) }
        /// One kernel halted; true when it was the last.
        func halted() -> Bool { running.withLock { n in n -= 1; return n == 0 } }
    }

    public static func main() -> Never {
        let program = "rump_host"
        let usage = "usage: \(program) [-s] [-t loops] file"
        var args = Array(CommandLine.arguments.dropFirst())
        var foreground = false
        var loops = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        while let a = args.first, a.hasPrefix("-"), a != "-" {
            args.removeFirst()
            if a == "-s" { foreground = true; continue }
            if a == "-t", let v = args.first, let n = Int(v), n >= 1, n <= BusHost.maximumLoops {
                args.removeFirst()
                loops = n
                continue
            }
            if a == "-t" { printErr("\(program): -t \(args.first ?? ""): a number of loops, 1 to \(BusHost.maximumLoops)") }
            printErr(usage)
            exitTool(1)
        }
        guard args.count == 1 else { printErr(usage); exitTool(1) }
        let file = args[0]
        guard let text = readAll(file) else {
            printErr("\(program): \(file): \(NetBSDErrno(linux: errno).strerror)")
            exitTool(1)
        }
        if let problem = KernelNetStack.checkFaultVariable() { printErr("\(program): \(problem)"); exitTool(1) }
        let specs: [Spec]
        switch Self.specs(text, file: file, program: program) {
        case .failure(let e): printErr(e.message); exitTool(e.status)
        case .success(let s): specs = s
        }
        loops = min(loops, specs.count)
        let reportFD = RumpServerMain.daemonize(program: program, foreground: foreground)
        func fail(_ message: String) -> Never {
            if reportFD >= 0 { RumpServerMain.report(reportFD, status: 1, message: message); _exit(1) }
            printErr(message)
            exitTool(1)
        }
        // A thousand kernels need a few thousand descriptors (socket, connections, buses).
        var rl = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &rl) == 0, rl.rlim_cur < rl.rlim_max {
            rl.rlim_cur = rl.rlim_max
            _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &rl)
        }
        // Blocked here, before any loop thread starts, so that every thread inherits the mask
        // and the signals reach only the signalfd this thread reads.
        let sfd = ck_signalfd_open()
        let busHost: BusHost
        do { busHost = try BusHost(loops: loops) } catch { fail("\(program): \(error)") }
        let (limits, warnings) = ServerLimits.fromEnvironment(program: program)
        for w in warnings { printErr(w) }
        let life = HostLife(kernels: specs.count)
        var mine = [[Spec]](repeating: [], count: loops)
        for (k, s) in specs.enumerated() { mine[loop(of: k, count: specs.count, loops: loops)].append(s) }
        for i in 0..<loops {
            let kernels = mine[i]
            startThread { runLoop(i, kernels, busHost: busHost, limits: limits, life: life, program: program) }
        }
        while true {
            let done = life.boot.withLock { b in b.loopsDone == loops ? b : nil }
            if let done {
                if let f = done.failures.first {
                    for p in done.bound { unlink(p) }
                    fail(f)
                }
                break
            }
            usleep(1000)
        }
        if reportFD >= 0 {
            RumpServerMain.report(reportFD, status: 0, message: "")
            ck_redirect_stdio_devnull()
        }
        // This thread only waits for signals, then hands a halt to every loop.
        var p = pollfd(fd: sfd, events: Int16(POLLIN), revents: 0)
        while true {
            if sfd < 0 { pause(); continue }
            if Glibc.poll(&p, 1, -1) > 0, ck_signalfd_read(sfd) != 0 {
                for inbox in busHost.inboxes { inbox.postHalt() }
            }
        }
    }

    /// One loop thread: boots its kernels, reports, and runs until they have all halted.
    static func runLoop(_ index: Int, _ specs: [Spec], busHost: BusHost, limits: ServerLimits, life: HostLife, program: String) {
        let loop = EventLoop()
        let hub: LoopBusHub
        do {
            hub = try LoopBusHub(host: busHost, loopIndex: index, soon: { loop.soon($0) }, atTurnEnd: { loop.atTurnEnd($0) },
                                 after: { ns, work in loop.addTimer(deadline: loop.currentTime &+ ns, work) })
        } catch {
            life.boot.withLock { $0.failures.append("\(program): \(error)"); $0.loopsDone += 1 }
            return
        }
        loop.watch(fd: hub.inotifyFD, events: Int16(POLLIN)) { _ in hub.inotifyReadable() }
        var servers: [ObjectIdentifier: SyscallServer] = [:]
        loop.watch(fd: hub.inbox.eventFD, events: Int16(POLLIN)) { _ in
            if hub.inboxReadable() { for s in Array(servers.values) { s.kernel.halt() } }
        }
        var bound: [String] = []
        var failure: String?
        for spec in specs {
            let kernel = Kernel(configuration: spec.configuration, loop: loop,
                                stackFactory: { KernelNetStack(components: $0, busHub: hub) })
            let server: SyscallServer
            do { server = try SyscallServer(kernel: kernel, url: spec.url, limits: limits) } catch {
                failure = "\(program): \(spec.url): rump server init failed: \(error.errno.strerror)"
                break
            }
            if case .unix(let path) = spec.url { bound.append(path) }
            let id = ObjectIdentifier(kernel)
            let url = spec.url
            kernel.onHalt = { [unowned server] in
                printOut("\(url): rump kernel halting...")
                server.shutdown()
                printOut("\(url): halted")
                OutputStream.standardOutput.flush()
                // The server and kernel go after this turn (the halt is still on their stack).
                loop.soon {
                    servers[id]?.kernel.onHalt = nil
                    servers[id] = nil
                    if servers.isEmpty { loop.stop() }
                }
                if life.halted() { exitTool(0) }
            }
            servers[id] = server
            if spec.configuration.verbose {
                printErr("\(program): kernel with \(spec.configuration.components.sorted().map(\.rawValue).joined(separator: " ")) listening on \(spec.url)")
            }
        }
        let message = failure
        life.boot.withLock { b in
            if let message { b.failures.append(message) }
            b.bound += bound
            b.loopsDone += 1
        }
        if failure != nil { return }
        for s in servers.values { s.start() }
        loop.run()
    }

    /// Runs `body` on a new detached thread.
    static func startThread(_ body: @escaping @Sendable () -> Void) {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ b: @escaping @Sendable () -> Void) { body = b }
        }
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        pthread_create(&thread, nil, { arg in
            Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().body()
            return nil
        }, box)
        pthread_detach(thread)
    }

    static func readAll(_ path: String) -> String? {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { if fd != 0 { close(fd) } }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    fileprivate func replacingPrefix(_ p: String, with r: String) -> String {
        hasPrefix(p) ? r + dropFirst(p.count) : self
    }
}
