#if canImport(Glibc)
import Glibc
#endif

/// Entering a Linux network namespace (setns(2) with CLONE_NEWNET) for the calling thread.
/// Swift's Glibc module does not declare setns (glibc declares it only under _GNU_SOURCE),
/// so it is looked up once with dlsym. A namespace is per thread: a child spawned from a
/// thread inside one is born there, and sockets and taps opened there belong to it.
public enum NetNamespace {
    typealias SetnsFunction = @convention(c) (Int32, Int32) -> Int32
    static let setnsFunction: SetnsFunction? = {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else { return nil }
        return unsafeBitCast(sym, to: SetnsFunction.self)
    }()
    static let cloneNewNet: Int32 = 0x4000_0000

    /// The file `ip netns add NAME` binds the namespace to.
    public static func path(_ name: String) -> String { "/run/netns/" + name }

    public static func exists(_ name: String) -> Bool { access(path(name), F_OK) == 0 }

    /// Moves the calling thread into the namespace bound at `path` for good.
    public static func enter(path: String) throws(LabError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LabError("network namespace \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard let setns = setnsFunction else { throw LabError("setns(2) is not available in this C library") }
        guard setns(fd, cloneNewNet) == 0 else {
            let e = errno
            throw LabError("cannot enter network namespace \(path): \(String(cString: strerror(e)))"
                + (e == EPERM ? " (entering a namespace needs root or CAP_SYS_ADMIN)" : ""))
        }
    }

    /// Runs `body` with the calling thread inside the namespace at `path`, then returns the
    /// thread to the namespace it was in. What `body` spawns stays inside.
    public static func run<T>(inside path: String, _ body: () throws -> T) throws -> T {
        let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard home >= 0 else { throw LabError("/proc/thread-self/ns/net: \(String(cString: strerror(errno)))") }
        defer { close(home) }
        try enter(path: path)
        // Going home cannot fail for a thread that could leave it: the descriptor keeps
        // that namespace alive and we hold the privilege that let us leave.
        defer { _ = setnsFunction?(home, cloneNewNet) }
        return try body()
    }
}
