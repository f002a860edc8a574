#if canImport(Glibc)
import Glibc
#endif

/// SIGINT, SIGTERM and SIGHUP to `up` undo what it did: they are blocked in every thread and
/// taken by one thread with sigwait(2), which waits for the main thread to finish its current
/// step (starting and recording one kernel, writing one state file), then stops every
/// kernel of the lab, removes its state directory and exits 128 + the signal's number. The
/// main thread wraps each such step in `step`; it never resumes after the handler ran.
public final class UpInterruption: @unchecked Sendable {
    // @unchecked Sendable: the only state is the pthread mutex, made for sharing between
    // threads; the handler closure is set once before the signal thread starts.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let onSignal: @Sendable (Int32) -> Void

    /// Blocks the signals in this thread (and so in threads started later) and starts the
    /// thread that waits for them. Kernel servers are spawned with an empty signal mask.
    public init(onSignal: @escaping @Sendable (Int32) -> Void) {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        self.onSignal = onSignal
        var set = Self.signals()
        pthread_sigmask(SIG_BLOCK, &set, nil)
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        // The thread never returns: it waits for a signal, then exits the process.
        pthread_create(&thread, nil, { arg in
            Unmanaged<UpInterruption>.fromOpaque(arg!).takeRetainedValue().waitForSignal()
        }, box)
        pthread_detach(thread)
    }

    static func signals() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, s) }
        return set
    }

    /// One step of `up` that must not be torn by the handler.
    public func step<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    private func waitForSignal() -> Never {
        var set = Self.signals()
        var sig: Int32 = 0
        while sigwait(&set, &sig) != 0 {}
        // Taken for good: the main thread stops at its next step.
        pthread_mutex_lock(mutex)
        onSignal(sig)
        _exit(128 + sig)
    }
}
