import RumpProtocol

/// A call that could not finish at once (recv with no data, accept with no connection,
/// connect in progress, a send that does not fit, poll with nothing ready). It sleeps on the
/// wait queues of the sockets it names and is retried only when one of them changes.
final class PendingCall {
    enum Attempt { case done(Result<Reply, KernelError>), wait }
    let client: ClientContext
    let sockets: [SocketID]
    let attempt: () -> Attempt
    let onTimeout: () -> Result<Reply, KernelError>
    let reply: (Result<Reply, KernelError>) -> Void
    var timer: EventLoop.TimerID?
    var finished = false
    /// A send still moving its data: later sends on the socket queue behind it, so a stream's
    /// bytes go out in the order the calls came (NetBSD's sosend holds sblock for that).
    var isSend = false
    init(client: ClientContext, sockets: [SocketID], attempt: @escaping () -> Attempt,
         onTimeout: @escaping () -> Result<Reply, KernelError>, reply: @escaping (Result<Reply, KernelError>) -> Void) {
        self.client = client; self.sockets = sockets; self.attempt = attempt; self.onTimeout = onTimeout; self.reply = reply
    }
}

/// Per-socket wait queues (NetBSD's sleep on so_rcv/so_snd, selrecord): socket → the parked
/// calls waiting on it, in arrival order. A change on one socket retries only its queue;
/// changes reported while callbacks run are coalesced and handled once, after them.
struct WaitQueues {
    private(set) var queues: [SocketID: [PendingCall]] = [:]
    private var changed: [SocketID] = []
    private var changedSet: Set<SocketID> = []
    /// Every live parked call (also those that wait on no socket: a poll of nothing).
    private var live: [ObjectIdentifier: PendingCall] = [:]
    /// Live parked calls (not finished).
    var parkedCount: Int { live.count }
    /// Retries made so far: what tests use to see that a wakeup reached only its socket.
    private(set) var attempts: UInt64 = 0

    mutating func enqueue(_ p: PendingCall) {
        live[ObjectIdentifier(p)] = p
        for s in p.sockets { queues[s, default: []].append(p) }
    }

    /// Marks `s` changed; true when this is the first change since the last `drain`.
    mutating func markChanged(_ s: SocketID) -> Bool {
        guard queues[s] != nil, changedSet.insert(s).inserted else { return false }
        changed.append(s)
        return changed.count == 1
    }

    mutating func markAllChanged() -> Bool {
        var first = false
        for s in queues.keys.sorted() where changedSet.insert(s).inserted {
            changed.append(s)
            first = first || changed.count == 1
        }
        return first
    }

    /// The sockets changed since the last call, in the order they changed.
    mutating func takeChanged() -> [SocketID] {
        defer { changed.removeAll(keepingCapacity: true); changedSet.removeAll(keepingCapacity: true) }
        return changed
    }

    /// The live calls waiting on `s`, in arrival order.
    func waiters(_ s: SocketID) -> [PendingCall] { queues[s] ?? [] }

    /// A send is parked on `s` (a new one must wait behind it).
    func hasParkedSend(_ s: SocketID) -> Bool { queues[s]?.contains { $0.isSend && !$0.finished } ?? false }

    mutating func countAttempt() { attempts &+= 1 }

    /// Takes `p` off every queue it is on (it finished, timed out, or its client left).
    mutating func remove(_ p: PendingCall) {
        guard !p.finished else { return }
        p.finished = true
        live[ObjectIdentifier(p)] = nil
        for s in p.sockets {
            guard var q = queues[s] else { continue }
            q.removeAll { $0 === p }
            queues[s] = q.isEmpty ? nil : q
        }
    }

    /// Every live call, for halt.
    var all: [PendingCall] { Array(live.values) }
}
