// arp(8) against a rump kernel: NetAdmin's ArpTool with the kernel behind RUMP_SERVER.
#if canImport(Glibc)
import Glibc
#endif
import NetAdmin
import UtilitySupport

// rumpctrl's tools connect before main runs, so a missing server wins over bad arguments.
let kernel = Remote(program: "arp")

/// arp -f's file, at most 1 MiB of it.
func readFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fd, &buf, buf.count)
        if n <= 0 { break }
        bytes += buf[0..<n]
        if bytes.count > 1 << 20 { break }  // an arp file is small; do not slurp anything huge
    }
    return String(decoding: bytes, as: UTF8.self)
}

emit(ArpTool.run(utilityArguments, kernel: kernel, readFile: readFile))
