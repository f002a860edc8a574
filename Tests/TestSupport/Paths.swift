import Foundation

// Where things are: the built products, the checkout, the shared NetBSD vectors. Every test
// target finds them the same way, so a test runs alike from `swift test`, an IDE or CI.

/// The running test binary (to start it again as a helper client process).
public let testExecutable: String =
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]

/// The directory holding the built executables: the test bundle sits beside them in
/// .build/<config>. Bundles on some platforms nest the binary (x.xctest/Contents/MacOS),
/// hence the walk up to the first directory that has the package's executables.
public let productsDirectory: URL = {
    var dir = URL(fileURLWithPath: testExecutable).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<5 {
        if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("rump_server").path) { return dir }
        dir = dir.deletingLastPathComponent()
    }
    return repositoryRoot.appendingPathComponent(".build/debug")
}()

/// The path of a built executable, e.g. `executable("shmifctl")`.
public func executable(_ name: String) -> String { productsDirectory.appendingPathComponent(name).path }

/// The checkout these tests belong to (for topologies/, scripts/, docs/).
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A topology file of the checkout's topologies/.
public func topologyFile(_ name: String) -> String { repositoryRoot.appendingPathComponent("topologies/\(name)").path }

/// The shared test vectors: $RUMPNET_VECTORS, else shared/vectors beside (or above) the
/// checkout, which is where worktrees of /work/<name> find /work/shared/vectors.
public let vectorsDirectory: URL = {
    if let v = ProcessInfo.processInfo.environment["RUMPNET_VECTORS"] { return URL(fileURLWithPath: v) }
    var dir = repositoryRoot
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("shared/vectors")
        if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: "/work/shared/vectors")
}()

/// A program on $PATH, or nil (tests skip what the machine lacks).
public func which(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}
