/// A TCP sequence number: modular arithmetic (RFC 9293 3.4), comparisons valid within 2^31.
///
/// `<` is "before in sequence space": `Int32(bitPattern: a &- b) < 0`. That is not a total order
/// over all of UInt32 (it is not transitive across more than half the space), so sort only values
/// known to lie within one window of each other.
public struct TCPSeq: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var raw: UInt32

    @inlinable public init(_ raw: UInt32) { self.raw = raw }

    /// Wrapping addition of a byte count (negative counts move backwards).
    @inlinable public static func + (a: TCPSeq, n: Int) -> TCPSeq {
        TCPSeq(a.raw &+ UInt32(truncatingIfNeeded: n))
    }

    @inlinable public static func - (a: TCPSeq, n: Int) -> TCPSeq {
        TCPSeq(a.raw &- UInt32(truncatingIfNeeded: n))
    }

    /// The signed distance a - b (Int32 semantics: valid when |a - b| < 2^31).
    @inlinable public static func - (a: TCPSeq, b: TCPSeq) -> Int {
        Int(Int32(bitPattern: a.raw &- b.raw))
    }

    @inlinable public static func += (a: inout TCPSeq, n: Int) { a = a + n }

    @inlinable public static func -= (a: inout TCPSeq, n: Int) { a = a - n }

    @inlinable public static func < (a: TCPSeq, b: TCPSeq) -> Bool {
        Int32(bitPattern: a.raw &- b.raw) < 0
    }

    /// The later of two sequence numbers (in sequence space, not as integers).
    @inlinable public static func max(_ a: TCPSeq, _ b: TCPSeq) -> TCPSeq { a < b ? b : a }

    /// The earlier of two sequence numbers.
    @inlinable public static func min(_ a: TCPSeq, _ b: TCPSeq) -> TCPSeq { b < a ? b : a }

    public var description: String { String(raw) }
}

/// One SACK block (RFC 2018 3): the half-open range [left, right) the receiver holds.
public struct SACKBlock: Sendable, Equatable {
    public var left: TCPSeq
    public var right: TCPSeq

    @inlinable public init(left: TCPSeq, right: TCPSeq) {
        self.left = left
        self.right = right
    }

    /// Bytes covered; 0 or negative for an inverted (hostile) block.
    @inlinable public var length: Int { right - left }
}

/// Up to 4 SACK blocks (RFC 2018: at most 4 fit in 40 option bytes, 3 beside timestamps),
/// in inline storage: no allocation on the packet path.
public struct SACKBlocks: Sendable, Equatable, RandomAccessCollection {
    public typealias Element = SACKBlock
    public typealias Index = Int

    public static let capacity = 4

    private var b0, b1, b2, b3: SACKBlock
    public private(set) var count: Int

    public init() {
        let zero = SACKBlock(left: TCPSeq(0), right: TCPSeq(0))
        b0 = zero; b1 = zero; b2 = zero; b3 = zero
        count = 0
    }

    /// Builds from a list (tests, parsers); blocks past `capacity` are ignored.
    public init(_ blocks: some Sequence<SACKBlock>) {
        self.init()
        for b in blocks { append(b) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    /// Appends `b`; ignored when `capacity` blocks are held already.
    public mutating func append(_ b: SACKBlock) {
        guard count < Self.capacity else { return }
        count += 1
        self[count - 1] = b
    }

    public mutating func removeAll() { count = 0 }

    public subscript(i: Int) -> SACKBlock {
        get {
            precondition(i >= 0 && i < count, "SACKBlocks index \(i) out of range 0..<\(count)")
            switch i {
            case 0: return b0
            case 1: return b1
            case 2: return b2
            default: return b3
            }
        }
        set {
            precondition(i >= 0 && i < count, "SACKBlocks index \(i) out of range 0..<\(count)")
            switch i {
            case 0: b0 = newValue
            case 1: b1 = newValue
            case 2: b2 = newValue
            default: b3 = newValue
            }
        }
    }

    /// Equal when the held blocks are equal (unused slots do not count).
    public static func == (a: SACKBlocks, b: SACKBlocks) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }
}
