#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A lab's per-node work (configuration, status) on a few threads: each node is its own kernel
/// with its own connection, so a thousand nodes need not wait for each other's round trips.
enum Parallel {
    /// `body(i)` for every i in 0..<count on at most `width` threads; the results in order.
    static func map<T: Sendable>(_ count: Int, width: Int = 8, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        if count == 0 { return [] }
        let threads = max(1, min(width, count))
        let work = ParallelWork(count: count, body: body)
        var ids: [pthread_t] = []
        for _ in 1..<threads {
            var t = pthread_t()
            // Not generic: a C thread function cannot name T.
            let box = Unmanaged.passRetained(ThreadBody { work.run() }).toOpaque()
            if pthread_create(&t, nil, { arg in
                Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue().body()
                return nil
            }, box) == 0 {
                ids.append(t)
            } else {
                Unmanaged<ThreadBody>.fromOpaque(box).release()
            }
        }
        work.run()
        for t in ids { pthread_join(t, nil) }
        return work.take()
    }
}

/// The shared part of one `Parallel.map`: the next index (atomic) and the results (Mutex).
final class ParallelWork<T: Sendable>: Sendable {
    let next = Atomic<Int>(0)
    let results: Mutex<[T?]>
    let count: Int
    let body: @Sendable (Int) -> T
    init(count: Int, body: @escaping @Sendable (Int) -> T) {
        self.count = count
        self.body = body
        results = Mutex([T?](repeating: nil, count: count))
    }
    /// The results, once every thread has finished.
    func take() -> [T] {
        var out: [T] = []
        out.reserveCapacity(count)
        for i in 0..<count { out.append(results.withLock { $0[i]! }) }
        return out
    }

    func run() {
        while true {
            let i = next.add(1, ordering: .relaxed).oldValue
            if i >= count { return }
            let r = body(i)
            results.withLock { $0[i] = r }
        }
    }
}

final class ThreadBody: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
