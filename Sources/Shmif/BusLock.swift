#if canImport(Glibc)
import Glibc
#endif
import CShim

/// The bus spin lock at file offset 24, NetBSD-compatible: CAS 0→1 with acquire ordering,
/// spin, sleep 1 ms after every 1001 consecutive failures, release by swapping in 0.
///
/// What we add (NetBSD never reads offset 28): the holder writes its pid into the spare
/// word after acquiring and clears it before releasing. A waiter that has waited more
/// than 100 ms and finds there the pid of a process that no longer exists (or is a
/// zombie) takes the lock over by a CAS on the pid word, so a writer killed while holding
/// the lock cannot hang the bus. A NetBSD holder leaves the word 0 and is never robbed.
struct BusLock {
    let word: UnsafeMutablePointer<UInt32>
    let holder: UnsafeMutablePointer<UInt32>
    /// Boxed so that the struct can be a stored `let` while counting steals.
    private let stats = Stats()

    final class Stats {
        var steals = 0
        /// When the bounded tries first found the lock held (0: not contended), kept across
        /// tries so that a dead holder is still robbed after 100 ms by a caller that never waits.
        var contendedSince: UInt64 = 0
        /// Bounded tries that gave up.
        var busy = 0
    }

    static let spinsBeforeSleep = 1001
    static let stealAfterNanoseconds: UInt64 = 100_000_000
    static let myPID = UInt32(bitPattern: getpid())

    init(base: UnsafeMutableRawPointer) {
        word = (base + BusLayout.lockOffset).assumingMemoryBound(to: UInt32.self)
        holder = (base + BusLayout.holderPIDOffset).assumingMemoryBound(to: UInt32.self)
    }

    var steals: Int { stats.steals }
    var busyCount: Int { stats.busy }

    /// How long a bounded try spins: about what one acquire spins before its first sleep.
    static let boundedSpins = 1001

    /// Takes the lock if it comes free within `spins` tries, without sleeping: for an event
    /// loop that must not stop (a holder that keeps the lock makes it defer and retry). A
    /// holder found dead 100 ms after the first failed try is robbed as `acquire` does.
    func acquireBounded(spins: Int = BusLock.boundedSpins) -> Bool {
        for i in 0..<max(1, spins) {
            let old = rn_cas32_acquire(word, 0, 1)
            if old == 0 { break }
            if old != 1 { rn_store32_release(word, 1); break }  // as acquireSlow does
            if i == spins - 1 {
                let now = monotonicNanoseconds()
                if stats.contendedSince == 0 {
                    stats.contendedSince = now
                } else if now &- stats.contendedSince > Self.stealAfterNanoseconds, trySteal() {
                    stats.steals += 1
                    stats.contendedSince = 0
                    rn_fence_acq_rel()
                    return true
                }
                stats.busy += 1
                return false
            }
            rn_cpu_relax()
        }
        stats.contendedSince = 0
        rn_store32_release(holder, Self.myPID)
        return true
    }

    @inline(__always)
    func tryAcquire() -> Bool {
        rn_cas32_acquire(word, 0, 1) == 0
    }

    @inline(__always)
    func acquire() {
        if _fastPath(tryAcquire()) {
            rn_store32_release(holder, Self.myPID)
            return
        }
        acquireSlow()
    }

    @inline(never)
    func acquireSlow() {
        var failures = 0
        var waitStarted: UInt64 = 0
        while true {
            let old = rn_cas32_acquire(word, 0, 1)
            if old == 0 { break }
            if old != 1 {
                // NetBSD's loop only continues while the word reads 1; any other value
                // makes it believe it owns the lock. Behave the same, and repair the word.
                rn_store32_release(word, 1)
                break
            }
            failures += 1
            if failures > Self.spinsBeforeSleep {
                failures = 0
                let now = monotonicNanoseconds()
                if waitStarted == 0 {
                    waitStarted = now
                } else if now &- waitStarted > Self.stealAfterNanoseconds, trySteal() {
                    stats.steals += 1
                    rn_fence_acq_rel()
                    return
                }
                var ts = timespec(tv_sec: 0, tv_nsec: 1_000_000)
                nanosleep(&ts, nil)
            } else {
                rn_cpu_relax()
            }
        }
        rn_store32_release(holder, Self.myPID)
    }

    /// Takes the lock over from a holder that no longer exists. The lock word stays 1;
    /// winning the CAS on the pid word decides which of several waiters owns it.
    private func trySteal() -> Bool {
        let pid = rn_load32_acquire(holder)
        guard pid != 0, pid != Self.myPID, rn_load32_acquire(word) == 1 else { return false }
        guard !processExists(pid_t(bitPattern: pid)) else { return false }
        return rn_cas32_acquire(holder, pid, Self.myPID) == pid
    }

    /// Unlock first, then clear our pid only if it is still ours: a new holder may
    /// already have stored its own.
    @inline(__always)
    func release() {
        _ = rn_swap32_release(word, 0)
        _ = rn_cas32_acquire(holder, Self.myPID, 0)
    }
}

@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// True if `pid` names a live process. A zombie (dead, not yet reaped) counts as gone:
/// it can never release a lock (nor answer a request: the lab runner asks the same).
public func processExists(_ pid: pid_t) -> Bool {
    if kill(pid, 0) != 0 && errno == ESRCH { return false }
    // /proc/<pid>/stat: "pid (comm) S ..."; the state follows the last ')'.
    guard let f = fopen("/proc/\(pid)/stat", "r") else { return true }
    defer { fclose(f) }
    var buf = [UInt8](repeating: 0, count: 512)
    let n = fread(&buf, 1, buf.count, f)
    let line = String(decoding: buf[..<n], as: UTF8.self)
    guard let paren = line.lastIndex(of: ")") else { return true }
    let rest = line[line.index(after: paren)...].drop(while: { $0 == " " })
    guard let state = rest.first else { return true }
    return state != "Z" && state != "X"
}
