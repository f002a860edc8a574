/// ping's record of which sequence numbers were answered, as NetBSD's ping keeps it
/// (sbin/ping/ping.c: `rcvd_tbl`, MAX_DUP_CHK bits indexed by the sequence number modulo the
/// table size). A bit is cleared when its sequence number is sent, so after the 16-bit
/// sequence wraps (or the table's size is passed) a reused number counts as new, not as a
/// duplicate; a second reply before that reuse is a duplicate (DUP!).
public struct PingDuplicates: Sendable, Equatable {
    /// NetBSD's MAX_DUP_CHK: 8 × 2048 bits.
    public static let size = 8 * 2048
    private var bits = [UInt64](repeating: 0, count: PingDuplicates.size / 64)

    public init() {}

    /// `CLR(seq % MAX_DUP_CHK)` when an echo request with `sequence` goes out.
    public mutating func sent(sequence: Int) {
        let (w, b) = Self.place(sequence)
        bits[w] &= ~b
    }

    /// A reply with `sequence` came: true if that one was already answered (a duplicate).
    public mutating func received(sequence: Int) -> Bool {
        let (w, b) = Self.place(sequence)
        if bits[w] & b != 0 { return true }
        bits[w] |= b
        return false
    }

    private static func place(_ sequence: Int) -> (Int, UInt64) {
        let i = ((sequence % size) + size) % size
        return (i / 64, UInt64(1) << UInt64(i % 64))
    }
}
