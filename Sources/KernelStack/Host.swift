#if canImport(Glibc)
import Glibc
#endif
import ToolSupport

/// Seeds from the host's randomness (the stack itself takes randomness only from its seed).
func getrandomBytes(_ buf: UnsafeMutableRawBufferPointer) -> Int {
    let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    return read(fd, buf.baseAddress, buf.count)
}

/// Empties a non-blocking inotify descriptor so the loop sleeps until the next write.
func drainInotify(_ fd: Int32) {
    var scratch = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
    while withUnsafeMutableBytes(of: &scratch, { read(fd, $0.baseAddress, $0.count) }) > 0 {}
}

func printErr(_ s: String) { ToolSupport.printErr(s) }
