// Time and randomness come from outside so that many stacks run deterministically on a virtual clock.

/// The stack's only source of time, in nanoseconds of a monotonic clock.
public protocol NetClock: AnyObject {
    var now: UInt64 { get }
}

/// A clock tests move by hand; stacks sharing it see the same time.
public final class VirtualClock: NetClock {
    // Read on every packet; not Sendable, so confined to one thread: the dynamic check is moot.
    @exclusivity(unchecked) public var now: UInt64
    public init(now: UInt64 = 1_000_000_000) { self.now = now }
    public func advance(nanoseconds: UInt64) { now &+= nanoseconds }
    public func advance(seconds: Double) { now &+= UInt64(seconds * 1e9) }
}

/// A seeded generator (xoshiro256**, seeded by splitmix64): same seed, same MACs, ids and ports.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    var s: (UInt64, UInt64, UInt64, UInt64)
    public init(seed: UInt64) {
        var x = seed
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(&x), splitmix(&x), splitmix(&x), splitmix(&x))
    }
    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }
}
