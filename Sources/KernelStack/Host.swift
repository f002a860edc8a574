#if canImport(Glibc)
import Glibc
#endif

/// Seeds from the host's randomness (the stack itself takes randomness only from its seed).
func getrandomBytes(_ buf: UnsafeMutableRawBufferPointer) -> Int {
    let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    return read(fd, buf.baseAddress, buf.count)
}
