#if canImport(Glibc)
import Glibc
#endif

/// One lab name, one owner: `<base>/<lab>.lock`, write-locked with fcntl(F_SETLK) by `up`
/// for its whole run and by `down` while it takes the lab apart. A POSIX record lock (not
/// flock) because the kernel then names the holder's pid (F_GETLK), so a refusal says who
/// holds the lab without trusting a pid written in a file; the lock goes with the holder's
/// process, so a SIGKILLed `up` leaves no stale lock. The holder unlinks the file before it
/// lets go; a taker checks that the file it locked is still the one at the path (else it
/// locked an unlinked file and tries again).
public final class LabLock {
    public let path: String
    private var fd: Int32

    public struct Busy: Error, Sendable, CustomStringConvertible {
        public var lab: String
        public var holder: pid_t
        public var path: String
        public var description: String {
            "lab \(lab) is busy: another rumpnet-lab (pid \(holder)) is bringing it up or down (lock \(path))"
        }
    }

    public static func path(for state: LabState) -> String { state.root + ".lock" }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    /// Takes the lab's lock at once, or throws `Busy` naming the holder.
    public static func acquire(_ state: LabState) throws -> LabLock {
        let path = Self.path(for: state)
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else { throw LabError("\(path): \(String(cString: strerror(errno)))") }
            var fl = flock()
            fl.l_type = Int16(F_WRLCK)
            fl.l_whence = Int16(SEEK_SET)
            if fcntl(fd, F_SETLK, &fl) != 0 {
                let e = errno
                var probe = flock()
                probe.l_type = Int16(F_WRLCK)
                probe.l_whence = Int16(SEEK_SET)
                let holder = fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != Int16(F_UNLCK) ? probe.l_pid : 0
                close(fd)
                if holder == 0 && (e == EAGAIN || e == EACCES) { continue }  // let go meanwhile: try again
                guard e == EAGAIN || e == EACCES else { throw LabError("\(path): \(String(cString: strerror(e)))") }
                if holder == 0 { continue }
                throw Busy(lab: state.lab, holder: holder, path: path)
            }
            // Locked; but is it still the file at `path` (not one its holder just unlinked)?
            var mine = stat(), there = stat()
            if fstat(fd, &mine) == 0, lstat(path, &there) == 0, mine.st_ino == there.st_ino, mine.st_dev == there.st_dev {
                return LabLock(path: path, fd: fd)
            }
            close(fd)
        }
    }

    /// Waits for the lock at most `timeout` seconds; `onBusy` is told the holder once.
    public static func acquire(_ state: LabState, waiting timeout: Double, onBusy: (Busy) -> Void) throws -> LabLock {
        let deadline = HostProcess.now() + timeout
        var told = false
        while true {
            do { return try acquire(state) } catch let busy as Busy {
                if !told { onBusy(busy); told = true }
                if HostProcess.now() > deadline { throw busy }
                usleep(20_000)
            }
        }
    }

    /// Removes the lock file and lets go (in that order: see the type's comment).
    public func release() {
        guard fd >= 0 else { return }
        unlink(path)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
