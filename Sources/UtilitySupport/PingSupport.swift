// What ping and ping6 share beside NetAdmin's formatters: the clock their timestamps come
// from and the int option values they pass.
#if canImport(Glibc)
import Glibc
#endif

/// Seconds on the monotonic clock (the times in ping's payload and its round trips).
public func monotonic() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// An int socket option value as setsockopt takes it (little-endian, 4 bytes).
public func le32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
