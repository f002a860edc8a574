#if canImport(Glibc)
import Glibc
#endif
import CKernelShim
import RumpProtocol
import ToolSupport

/// rump_server's options once parsed (NetBSD getopt string "c:d:l:m:r:sv").
public struct ServerOptions: Sendable {
    public var program: String
    public var foreground = false
    public var verbose = false
    public var libraries: [String] = []
    public var ncpu: String?
    public var memlimit: String?
    public var drivespecs: [String] = []
    public var modules: [String] = []
    /// -S: the stack's random seed (decimal or 0x hex); RUMP_SEED in the environment otherwise.
    public var seed: String?
    public var url: String
    /// rump_allserver: every component is linked in.
    public var loadAll = false
    public init(program: String, url: String) { self.program = program; self.url = url }

    public var usage: String { "usage: \(program) [-s] [-c ncpu] [-d drivespec] [-l libs] [-m modules] bindurl" }
}

/// What a server can fail with before it listens: the message and the exit status.
public struct ServerStartError: Error, Sendable {
    public var message: String
    public var status: Int32
    public init(message: String, status: Int32) { self.message = message; self.status = status }
}

public enum RumpServerMain {
    /// Components for the options, or the error rump_server prints. Incomplete sets are
    /// refused with what is missing named (not resolved silently: see docs/kernel.md).
    public static func components(for o: ServerOptions) -> Result<Set<Component>, ServerStartError> {
        var set: Set<Component> = o.loadAll ? Set(Component.implemented) : []
        for lib in o.libraries {
            guard let c = Component.parse(library: lib) else {
                var base = lib
                if !base.hasPrefix("lib") && !base.contains("/") { base = "lib\(base).so" }
                return .failure(ServerStartError(
                    message: "\(o.program): failed to load -libraries, last error from \"\(lib)\": \(base): cannot open shared object file: No such file or directory",
                    status: 1))
            }
            guard c.isImplemented else {
                return .failure(ServerStartError(message: "\(o.program): -l\(c.rawValue): \(c.summary): listed by rump_wmd but not implemented by this kernel", status: 1))
            }
            set.insert(c)
        }
        let missing = Component.missing(in: set)
        if !missing.isEmpty {
            var lines: [String] = []
            for (c, m) in missing {
                lines.append("\(o.program): component \(c.rawValue) needs \(m.map { "-l" + $0.rawValue }.joined(separator: " ")), which is not loaded")
            }
            let full = Set(set.flatMap(\.closure)).sorted()
            lines.append("\(o.program): missing components; a complete set is: \(full.map { "-l" + $0.rawValue }.joined(separator: " "))")
            return .failure(ServerStartError(message: lines.joined(separator: "\n"), status: 1))
        }
        return .success(set)
    }

    /// Parses "-r" sizes: a byte count with an optional k/m/g suffix.
    static func parseSize(_ s: String) -> Int64? {
        guard let last = s.last else { return nil }
        var mult: Int64 = 1
        var digits = Substring(s)
        switch last {
        case "k", "K": mult = 1 << 10; digits = digits.dropLast()
        case "m", "M": mult = 1 << 20; digits = digits.dropLast()
        case "g", "G": mult = 1 << 30; digits = digits.dropLast()
        default: break
        }
        guard let v = Int64(digits), v > 0, v <= Int64.max / mult else { return nil }
        return v * mult
    }

    /// A seed: decimal or 0x-prefixed hex, fitting in 64 bits.
    static func parseSeed(_ s: String) -> UInt64? {
        if s.hasPrefix("0x") || s.hasPrefix("0X") { return UInt64(s.dropFirst(2), radix: 16) }
        return UInt64(s)
    }

    /// Validates everything that can be checked before forking.
    public static func prepare(_ o: ServerOptions) -> Result<(KernelConfiguration, ServerURL), ServerStartError> {
        let comps: Set<Component>
        switch components(for: o) {
        case .failure(let e): return .failure(e)
        case .success(let c): comps = c
        }
        if let d = o.drivespecs.first {
            return .failure(ServerStartError(message: "\(o.program): -d \(d): \(NetBSDErrno.ENOSYS.strerror) (etfs host file mapping is not implemented by this kernel)", status: 1))
        }
        if let m = o.modules.first {
            return .failure(ServerStartError(message: "\(o.program): -m \(m): \(NetBSDErrno.ENOSYS.strerror) (module loading is not implemented by this kernel)", status: 1))
        }
        var ncpu: Int? = nil
        if let c = o.ncpu {
            guard let n = Int(c), n > 0, n <= 1024 else {
                return .failure(ServerStartError(message: "\(o.program): invalid number of CPUs: \(c)", status: 1))
            }
            ncpu = n
        }
        var mem: Int64? = nil
        if let r = o.memlimit {
            guard let m = parseSize(r) else {
                return .failure(ServerStartError(message: "\(o.program): invalid memory limit: \(r)", status: 1))
            }
            mem = m
        }
        var seed: UInt64? = nil
        if let text = o.seed ?? getenv("RUMP_SEED").map({ String(cString: $0) }) {
            guard let v = parseSeed(text) else {
                let origin = o.seed != nil ? "-S" : "RUMP_SEED"
                return .failure(ServerStartError(message: "\(o.program): \(origin) \(text): invalid seed (a number, decimal or 0x hex, below 2^64)", status: 1))
            }
            seed = v
        }
        var cwd = [CChar](repeating: 0, count: 4096)
        let dir = getcwd(&cwd, cwd.count) != nil ? String(decoding: cwd.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
        switch ServerURL.parse(o.url, allowWildcard: true, cwd: dir) {
        case .failure(let e):
            let lines = e.messages + ["\(o.program): rump server init failed: \(e.errno.strerror)"]
            return .failure(ServerStartError(message: lines.joined(separator: "\n"), status: 1))
        case .success(let url):
            if case .tcp(let a, _) = url, a[0] != 127, !allowsRemote {
                let what = a == [0, 0, 0, 0] ? "every address" : "an address beyond loopback"
                return .failure(ServerStartError(message: """
                    \(o.program): \(url): refusing to listen on \(what): the remote-syscall protocol has no authentication, so anyone who can reach the port could control this kernel
                    \(o.program): use tcp://127.0.0.1:PORT or a unix:// socket, or set RUMPNET_ALLOW_REMOTE=1 to listen there anyway (insecure)
                    """, status: 1))
            }
            return .success((KernelConfiguration(components: comps, ncpu: ncpu, physmem: mem, verbose: o.verbose, seed: seed), url))
        }
    }

    /// RUMPNET_ALLOW_REMOTE=1: listening on a non-loopback tcp address is asked for
    /// explicitly (docs/kernel.md, "Who may connect").
    static var allowsRemote: Bool { getenv("RUMPNET_ALLOW_REMOTE").map { String(cString: $0) } == "1" }

    /// Runs rump_server: daemonises unless -s (the parent exits 0 once the child listens,
    /// otherwise with the child's error), serves until halt or SIGTERM/SIGINT, cleans up.
    public static func run(_ o: ServerOptions, stackFactory: NetworkStackFactory? = nil) -> Never {
        let config: KernelConfiguration, url: ServerURL
        switch prepare(o) {
        case .failure(let e): printErr(e.message); exitTool(e.status)
        case .success(let p): (config, url) = p
        }
        if case .tcp(let a, _) = url, a[0] != 127 {
            // Asked for with RUMPNET_ALLOW_REMOTE=1; said once, before daemonising, where the user sees it.
            printErr("\(o.program): warning: \(url) has no authentication: anyone who can reach it controls this kernel")
        }

        let reportFD = daemonize(program: o.program, foreground: o.foreground)

        let (limits, warnings) = ServerLimits.fromEnvironment(program: o.program)
        for w in warnings { printErr(w) }
        let loop = EventLoop()
        let kernel = Kernel(configuration: config, loop: loop, stackFactory: stackFactory)
        let server: SyscallServer
        do {
            server = try SyscallServer(kernel: kernel, url: url, limits: limits)
        } catch {
            let msg = "\(o.program): rump server init failed: \(error.errno.strerror)"
            if reportFD >= 0 { report(reportFD, status: error.errno.rawValue, message: msg); _exit(1) }
            printErr(msg)
            exitTool(1)
        }
        let sfd = ck_signalfd_open()
        if sfd >= 0 {
            loop.watch(fd: sfd, events: Int16(POLLIN)) { _ in
                if ck_signalfd_read(sfd) != 0 { kernel.halt() }
            }
        }
        kernel.onHalt = {
            printOut("rump kernel halting...")
            server.shutdown()
            printOut("halted")
            OutputStream.standardOutput.flush()
            loop.stop()
        }
        server.start()
        if config.verbose {
            printErr("\(o.program): kernel NetBSD \(Kernel.osrelease) with \(config.components.sorted().map(\.rawValue).joined(separator: " ")) listening on \(url)")
        }
        if reportFD >= 0 {
            report(reportFD, status: 0, message: "")
            ck_redirect_stdio_devnull()
        }
        loop.run()
        exitTool(0)
    }

    /// rump_server's daemonisation (also rump_host's): unless `foreground`, forks; the parent
    /// waits for the child's report and exits with it; the child closes inherited descriptors,
    /// calls setsid and gets the descriptor to report on. -1 in the foreground.
    public static func daemonize(program: String, foreground: Bool) -> Int32 {
        if foreground { return -1 }
        var p: [Int32] = [0, 0]
        guard pipe(&p) == 0 else { printErr("\(program): pipe: \(NetBSDErrno(linux: errno).strerror)"); exitTool(1) }
        OutputStream.standardOutput.flush()
        OutputStream.standardError.flush()
        let pid = fork()
        if pid < 0 { printErr("\(program): fork: \(NetBSDErrno(linux: errno).strerror)"); exitTool(1) }
        if pid > 0 {
            Glibc.close(p[1])
            exitTool(waitForChild(p[0], program: program))
        }
        Glibc.close(p[0])
        ck_close_inherited_fds(p[1])
        setsid()
        return p[1]
    }

    /// Child to parent: a 4-byte status then the message.
    public static func report(_ fd: Int32, status: Int32, message: String) {
        var bytes = withUnsafeBytes(of: status) { Array($0) }
        bytes += Array(message.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        Glibc.close(fd)
    }

    /// Parent: the child's status (0 = listening); prints the child's message on failure.
    static func waitForChild(_ fd: Int32, program: String) -> Int32 {
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            data += buf[0..<n]
        }
        guard data.count >= 4 else {
            printErr("\(program): server process died before it listened")
            return 1
        }
        let status = data.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
        if status != 0 {
            let msg = String(decoding: data[4...], as: UTF8.self)
            if !msg.isEmpty { printErr(msg) }
        }
        return status
    }
}
