// swift-tools-version: 6.0
import PackageDescription

// Layout: the folders under Sources/ tell the architecture (docs/ARCHITECTURE.md).
// Libraries hold the logic and are tested; executables are thin wrappers over them.
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
        .library(name: "NetAdmin", targets: ["NetAdmin"]),
        .executable(name: "rumpnet-bench", targets: ["rumpnet-bench"]),
        .executable(name: "rumpnet-fuzz", targets: ["rumpnet-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
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
        ]),
        .executableTarget(name: "shmif_dumpbus", dependencies: [
            "Shmif", "Pcap", "ToolSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Bus tool: send, watch, stress roles for tests, and the bus benchmark.
        .executableTarget(name: "shmifctl", dependencies: [
            "Shmif", "CShim", "ToolSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "rumpnet-lab", dependencies: [
            "Shmif", "Pcap", "ToolSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The network stack: frames, time and randomness in; frames and socket events out.
        .target(name: "RumpNet", dependencies: ["Shmif"]),
        // Counts malloc calls for the benchmark (interposes malloc in the executable only).
        .target(name: "CMallocCount"),
        .executableTarget(name: "rumpnet-bench", dependencies: ["RumpNet", "CMallocCount"]),
        // libFuzzer target over the stack's input path (see its main.swift for the build line).
        .executableTarget(name: "rumpnet-fuzz", dependencies: ["RumpNet"]),
        .testTarget(name: "RumpNetTests", dependencies: ["RumpNet", "Pcap", "Shmif"]),
        .testTarget(name: "ShmifTests", dependencies: ["Shmif", "Pcap"]),
        .testTarget(name: "PcapTests", dependencies: ["Pcap"]),
        // The network utilities' models, argument parsers and NetBSD-exact formatters;
        // transport-independent, shared by kernel and utilities (docs/UTILITIES.md).
        .target(name: "NetAdmin"),
        .testTarget(name: "NetAdminTests", dependencies: ["NetAdmin"]),
    ],
    swiftLanguageModes: [.v6]
)
