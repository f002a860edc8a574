// swift-tools-version: 6.0
import PackageDescription

// Layout: the folders under Sources/ tell the architecture (docs/ARCHITECTURE.md).
// Libraries hold the logic and are tested; executables are thin wrappers over them.
// The request and frame path (protocol, kernel, stack, bus): in release builds without the
// run-time exclusivity checks. Those checks cost a thread-local lookup per access to a class's
// stored property, about a tenth of a co-hosted ping's time in the kernel host
// (docs/kernel.md, "Many kernels in one process"); debug builds, which the tests run, keep
// them, so an overlapping access still fails there.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "rumpnet-lab",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "shmif_dumpbus", targets: ["shmif_dumpbus"]),
        .executable(name: "shmifctl", targets: ["shmifctl"]),
        .executable(name: "rumpnet-lab", targets: ["rumpnet-lab"]),
        .library(name: "Shmif", targets: ["Shmif"]),
        .library(name: "Pcap", targets: ["Pcap"]),
        .library(name: "RumpNet", targets: ["RumpNet"]),
        .library(name: "RumpLab", targets: ["RumpLab"]),
        .library(name: "NetAdmin", targets: ["NetAdmin"]),
        .executable(name: "rumpnet-bench", targets: ["rumpnet-bench"]),
        .executable(name: "rumpnet-fuzz", targets: ["rumpnet-fuzz"]),
        .library(name: "RumpProtocol", targets: ["RumpProtocol"]),
        .library(name: "NetBSDModels", targets: ["NetBSDModels"]),
        .library(name: "RumpClient", targets: ["RumpClient"]),
        .library(name: "RumpKernel", targets: ["RumpKernel"]),
        .library(name: "RumpVFS", targets: ["RumpVFS"]),
        .executable(name: "rump_server", targets: ["rump_server"]),
        .executable(name: "rump_host", targets: ["rump_host"]),
        .executable(name: "rump_allserver", targets: ["rump_allserver"]),
        .executable(name: "rump_wmd", targets: ["rump_wmd"]),
        .executable(name: "sysctl", targets: ["sysctl"]),
        .executable(name: "halt", targets: ["halt"]),
        .executable(name: "ifconfig", targets: ["ifconfig"]),
        .executable(name: "ping", targets: ["ping"]),
        .executable(name: "route", targets: ["route"]),
        .executable(name: "arp", targets: ["arp"]),
        .executable(name: "netstat", targets: ["netstat"]),
        .executable(name: "kernel-bench", targets: ["kernel-bench"]),
        .executable(name: "traceroute", targets: ["traceroute"]),
        .executable(name: "nc", targets: ["nc"]),
        .executable(name: "udp-bench", targets: ["udp-bench"]),
        .executable(name: "ttcp", targets: ["ttcp"]),
        .executable(name: "tcp-bench", targets: ["tcp-bench"]),
        .executable(name: "ls", targets: ["ls"]),
        .executable(name: "mount", targets: ["mount"]),
        .executable(name: "mount_tmpfs", targets: ["mount_tmpfs"]),
        .executable(name: "umount", targets: ["umount"]),
        .executable(name: "dd", targets: ["dd"]),
        .executable(name: "cat", targets: ["cat"]),
        .executable(name: "mkdir", targets: ["mkdir"]),
        .executable(name: "rmdir", targets: ["rmdir"]),
        .executable(name: "rm", targets: ["rm"]),
        .executable(name: "mv", targets: ["mv"]),
        .executable(name: "df", targets: ["df"]),
        .executable(name: "touch", targets: ["touch"]),
        .executable(name: "chmod", targets: ["chmod"]),
        .executable(name: "ping6", targets: ["ping6"]),
        .executable(name: "ndp", targets: ["ndp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // What Swift cannot call directly: cpu pause hint, inotify wrapper, tun constants.
        .target(name: "CShim"),
        // Output, exit and error conventions shared by the command-line tools.
        .target(name: "ToolSupport"),
        // libpcap (Debian libpcap-dev), for pcap files and BPF filters.
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .target(name: "Pcap", dependencies: ["CPcap"]),
        // The shmif bus: NetBSD shmif v3 file format, lock, writer, reader, post-mortem walk.
        .target(name: "Shmif", dependencies: [
            "CShim",
            .product(name: "SystemPackage", package: "swift-system"),
        ], swiftSettings: hotPath),
        .executableTarget(name: "shmif_dumpbus", dependencies: [
            "Shmif", "Pcap", "ToolSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Bus tool: send, watch, stress roles for tests, and the bus benchmark.
        .executableTarget(name: "shmifctl", dependencies: [
            "Shmif", "CShim", "ToolSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Lab topologies: JSON reader (YAML through Yams), model, validation, state directory,
        // graph, capture.
        .target(name: "RumpLab", dependencies: ["Shmif", "Pcap", "RumpClient", "RumpProtocol", "RumpNet", .product(name: "Yams", package: "Yams")]),
        .executableTarget(name: "rumpnet-lab", dependencies: [
            "RumpLab", "RumpProtocol", "Shmif", "Pcap", "ToolSupport", "CShim",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // NetBSD's values shared by the stack, the protocol and the utilities (errno and its texts);
        // no dependencies, so every layer can use them.
        .target(name: "NetBSDModels", swiftSettings: hotPath),
        // The network stack: frames, time and randomness in; frames and socket events out.
        .target(name: "RumpNet", dependencies: ["Shmif", "NetBSDModels"], swiftSettings: hotPath),
        // Counts malloc calls for the benchmark (interposes malloc in the executable only).
        .target(name: "CMallocCount"),
        .executableTarget(name: "rumpnet-bench", dependencies: ["RumpNet", "CMallocCount"]),
        // Linux taps as stack devices: the virt cloner (rumpnet_virtif).
        .target(name: "TapIf", dependencies: ["RumpNet", "Shmif", "CShim"]),
        // libFuzzer target over the stack's input path (see its main.swift for the build line).
        .executableTarget(name: "rumpnet-fuzz", dependencies: ["RumpNet"]),
        // Test plumbing shared by every test target: built executables, vectors, processes
        // with timeouts, background processes, scratch directories, RUMP_SERVER (Foundation only).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "RumpNetTests", dependencies: ["RumpNet", "Pcap", "Shmif", "TestSupport"]),
        // Tap devices on the host: real /dev/net/tun, network namespaces, Linux's ping (as root).
        .testTarget(name: "TapIfTests", dependencies: ["TapIf", "RumpNet", "Shmif", "TestSupport"]),
        .testTarget(name: "ShmifTests", dependencies: ["Shmif", "Pcap", "TestSupport"]),
        .testTarget(name: "PcapTests", dependencies: ["Pcap", "TestSupport"]),
        // --- Kernel servers and remote syscalls ---
        // Sockets, poll, signalfd and sockaddr handling that is clumsy from Swift.
        .target(name: "CKernelShim"),
        // The remote-syscall wire protocol (docs/PROTOCOL.md): shared by both ends, no I/O.
        .target(name: "RumpProtocol", dependencies: ["NetBSDModels"], swiftSettings: hotPath),
        // Client side: RUMP_SERVER, URL parsing (NetBSD parseurl), synchronous calls.
        .target(name: "RumpClient", dependencies: ["RumpProtocol", "CKernelShim", "ToolSupport"], swiftSettings: hotPath),
        // A kernel: components, sysctl tree, event loop, syscall server, NetworkStack plug-in point.
        .target(name: "RumpKernel", dependencies: ["RumpProtocol", "CKernelShim", "ToolSupport", "RumpVFS"], swiftSettings: hotPath),
        // The file systems of a kernel (rumpvfs, rumpfs_tmpfs): vnodes, mounts, open files, in memory.
        .target(name: "RumpVFS", dependencies: ["NetBSDModels"]),
        .testTarget(name: "RumpVFSTests", dependencies: ["RumpVFS"]),
        // The RumpNet stack as a kernel's NetworkStack: the glue between the two.
        .target(name: "KernelStack", dependencies: [
            "RumpKernel", "RumpNet", "TapIf", "RumpProtocol", "ToolSupport", "Pcap", "Shmif", "CKernelShim",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: hotPath),
        .executableTarget(name: "rump_server", dependencies: ["KernelStack"]),
        // Many kernels in one process (docs/kernel.md, "Many kernels in one process").
        .executableTarget(name: "rump_host", dependencies: ["KernelStack"]),
        .executableTarget(name: "rump_allserver", dependencies: ["KernelStack"]),
        .executableTarget(name: "rump_wmd", dependencies: [
            "RumpKernel", "ToolSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "sysctl", dependencies: [
            "RumpClient", "RumpProtocol", "ToolSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/Utilities/sysctl"),
        .executableTarget(name: "halt", dependencies: [
            "RumpClient", "RumpProtocol", "ToolSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/Utilities/halt"),
        // The network utilities: NetAdmin's parsers and formatters over RumpClient calls;
        // UtilitySupport is the one place protocol values become NetAdmin models.
        .target(name: "UtilitySupport", dependencies: ["NetAdmin", "RumpClient", "RumpProtocol", "ToolSupport"]),
        .executableTarget(name: "ifconfig", dependencies: ["UtilitySupport", "NetAdmin", "RumpProtocol"],
                          path: "Sources/Utilities/ifconfig"),
        .executableTarget(name: "ping", dependencies: ["UtilitySupport", "NetAdmin", "RumpProtocol", "RumpClient", "ToolSupport", "CKernelShim"],
                          path: "Sources/Utilities/ping"),
        .executableTarget(name: "route", dependencies: ["UtilitySupport", "NetAdmin", "RumpProtocol"],
                          path: "Sources/Utilities/route"),
        .executableTarget(name: "arp", dependencies: ["UtilitySupport", "NetAdmin", "RumpProtocol"],
                          path: "Sources/Utilities/arp"),
        .executableTarget(name: "netstat", dependencies: ["UtilitySupport", "NetAdmin", "RumpProtocol"],
                          path: "Sources/Utilities/netstat"),
        .executableTarget(name: "traceroute", dependencies: ["UtilitySupport", "NetAdmin", "RumpProtocol", "ToolSupport"],
                          path: "Sources/Utilities/traceroute"),
        .executableTarget(name: "nc", dependencies: ["UtilitySupport", "NetAdmin", "RumpProtocol", "RumpClient", "ToolSupport"],
                          path: "Sources/Utilities/nc"),
        // IPv6: ping6(8) over a raw ICMPv6 socket, ndp(8) over the ND requests.
        .executableTarget(name: "ping6", dependencies: ["UtilitySupport", "NetAdmin", "RumpProtocol", "RumpClient", "ToolSupport", "CKernelShim"],
                          path: "Sources/Utilities/ping6"),
        .executableTarget(name: "ndp", dependencies: ["UtilitySupport", "NetAdmin", "RumpProtocol"],
                          path: "Sources/Utilities/ndp"),
        // The UDP benchmark's sending and receiving applications (scripts/udp-bench.sh).
        .executableTarget(name: "udp-bench", dependencies: ["UtilitySupport", "NetAdmin", "RumpProtocol", "RumpClient", "ToolSupport"]),
        // ttcp(1): TCP/UDP throughput through a rump kernel (NetAdmin's TtcpOptions/TtcpFormat).
        .executableTarget(name: "ttcp", dependencies: ["UtilitySupport", "NetAdmin", "RumpProtocol", "RumpClient", "ToolSupport"],
                          path: "Sources/Utilities/ttcp"),
        // The TCP benchmark's connection-rate ends (connect/accept/close loops).
        .executableTarget(name: "tcp-bench", dependencies: ["UtilitySupport", "NetAdmin", "RumpProtocol", "RumpClient", "ToolSupport"]),
        // The file utilities (rumpctrl's ls, mount, dd, cat ...): FileUtilities' commands over RumpClient.
        .target(name: "FileUtilities", dependencies: ["RumpClient", "RumpProtocol", "ToolSupport"]),
        .testTarget(name: "FileUtilityTests", dependencies: ["FileUtilities", "NetBSDModels", "RumpClient", "RumpProtocol", "TestSupport"]),
        .executableTarget(name: "ls", dependencies: ["FileUtilities"], path: "Sources/Utilities/ls"),
        .executableTarget(name: "mount", dependencies: ["FileUtilities"], path: "Sources/Utilities/mount"),
        .executableTarget(name: "mount_tmpfs", dependencies: ["FileUtilities"], path: "Sources/Utilities/mount_tmpfs"),
        .executableTarget(name: "umount", dependencies: ["FileUtilities"], path: "Sources/Utilities/umount"),
        .executableTarget(name: "dd", dependencies: ["FileUtilities"], path: "Sources/Utilities/dd"),
        .executableTarget(name: "cat", dependencies: ["FileUtilities"], path: "Sources/Utilities/cat"),
        .executableTarget(name: "mkdir", dependencies: ["FileUtilities"], path: "Sources/Utilities/mkdir"),
        .executableTarget(name: "rmdir", dependencies: ["FileUtilities"], path: "Sources/Utilities/rmdir"),
        .executableTarget(name: "rm", dependencies: ["FileUtilities"], path: "Sources/Utilities/rm"),
        .executableTarget(name: "mv", dependencies: ["FileUtilities"], path: "Sources/Utilities/mv"),
        .executableTarget(name: "df", dependencies: ["FileUtilities"], path: "Sources/Utilities/df"),
        .executableTarget(name: "touch", dependencies: ["FileUtilities"], path: "Sources/Utilities/touch"),
        .executableTarget(name: "chmod", dependencies: ["FileUtilities"], path: "Sources/Utilities/chmod"),
        // Idle RSS and start-to-listening of rump_server beside baselines.
        .executableTarget(name: "kernel-bench", dependencies: [
            "RumpClient", "CKernelShim", "ToolSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "RumpProtocolTests", dependencies: ["RumpProtocol", "RumpKernel", "ToolSupport"]),
        // Integration tests: real rump_server, sysctl and halt processes from .build/<config>.
        .testTarget(name: "KernelTests", dependencies: ["RumpKernel", "KernelStack", "RumpNet", "RumpClient", "RumpProtocol", "CKernelShim", "TestSupport", "Pcap"], exclude: ["Vectors"]),
        .testTarget(name: "RumpLabTests", dependencies: ["RumpLab", "Shmif", "Pcap", "TestSupport"]),
        // The network utilities' models, argument parsers and NetBSD-exact formatters;
        // transport-independent, shared by kernel and utilities (docs/UTILITIES.md).
        .target(name: "NetAdmin", dependencies: ["NetBSDModels"]),
        .testTarget(name: "NetAdminTests", dependencies: ["NetAdmin"]),
        // Real rump_server processes and the real utilities: transcript replays, labs, tcp://.
        .testTarget(name: "UtilityTests", dependencies: ["NetAdmin", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
