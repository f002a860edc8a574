import SystemPackage

/// Everything that can go wrong with a bus, each naming the file and the reason.
public struct ShmifError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        /// open(2), fstat(2), ftruncate(2) or mmap(2) failed.
        case system(operation: String, errno: Errno)
        case isDirectory
        case notRegularFile
        /// The file is neither empty (a new bus) nor exactly 1 MiB.
        case wrongSize(Int)
        /// `shm_magic` is neither 0 nor SHMIF_MAGIC ("bus is not magical" in NetBSD).
        case notMagical(UInt32)
        /// The magic is byte-swapped: a bus written on a host of the other byte order.
        case byteSwapped
        /// A frame length outside 14...1514 was offered for sending.
        case frameLength(Int)
        /// The ring holds something no writer could have produced.
        case corrupt(String)
    }

    public var path: String
    public var reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case let .system(op, errno): return "\(path): \(op): \(errno.description)"
        case .isDirectory: return "\(path): is a directory, not a bus file"
        case .notRegularFile: return "\(path): not a regular file"
        case let .wrongSize(size):
            return "\(path): bus file is \(size) bytes; a shmif bus is \(BusLayout.fileSize) bytes"
        case let .notMagical(m):
            return "\(path): not a shmif bus (magic 0x\(String(m, radix: 16)), expected 0x\(String(BusLayout.magic, radix: 16)))"
        case .byteSwapped: return "\(path): bus was written on a host of the other byte order"
        case let .frameLength(n):
            return "\(path): frame length \(n) outside \(BusLayout.minFrameLength)...\(BusLayout.maxFrameLength)"
        case let .corrupt(what): return "\(path): corrupt bus: \(what)"
        }
    }
}

/// Why an attached bus was given up (ShmifBus.validate): the interface on it goes link-down.
public enum BusLoss: Equatable, Sendable, CustomStringConvertible {
    /// The file is shorter than a bus (truncated under us).
    case shrunk(size: Int)
    /// An access to the mapping faulted (SIGBUS): the file shrank between checks.
    case faulted
    /// The header's magic is no longer SHMIF_MAGIC: the file was overwritten.
    case notMagical(UInt32)
    /// `shm_first` or `shm_last` lies outside the ring: the header was overwritten.
    case corruptHeader(first: UInt32, last: UInt32)

    public var description: String {
        switch self {
        case let .shrunk(size): return "bus file shrank to \(size) bytes (a bus is \(BusLayout.fileSize))"
        case .faulted: return "bus file shrank under the mapping (SIGBUS caught)"
        case let .corruptHeader(first, last):
            return "bus header corrupt (shm_first 0x\(String(first, radix: 16)), shm_last 0x\(String(last, radix: 16)); the ring is 0x\(String(BusLayout.dataSize, radix: 16)) bytes)"
        case let .notMagical(m): return "bus header overwritten (magic 0x\(String(m, radix: 16)), expected 0x\(String(BusLayout.magic, radix: 16)))"
        }
    }
}
