// The test hook's text form: `RUMPNET_FAULT=shmif0:drop=5,reorder=2,seed=1;virt0:drop=1` puts a
// FaultInjector on each named interface of a kernel when it is created (docs/stack.md, "Device
// middlewares"). Keys: drop and reorder (percent, 0...100), seed (an integer), dir (rx, tx or
// both), hold (milliseconds a reordered frame waits at most, default 1).

public struct FaultSpec: Equatable, Sendable {
    public var interface: String
    public var dropPercent: Double = 0
    public var reorderPercent: Double = 0
    public var seed: UInt64 = 1
    public var receive = true
    public var transmit = true
    public var holdMilliseconds: UInt64 = 1

    public init(interface: String) { self.interface = interface }

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// Parses the whole variable; every mistake names the entry and key it is in.
    public static func parseList(_ text: String, variable: String = "RUMPNET_FAULT") throws(ParseError) -> [FaultSpec] {
        var out: [FaultSpec] = []
        for entry in text.split(separator: ";", omittingEmptySubsequences: true) {
            let e = String(entry)
            func fail(_ why: String) -> ParseError { ParseError(description: "\(variable): \"\(e)\": \(why)") }
            guard let colon = e.firstIndex(of: ":"), colon != e.startIndex else {
                throw fail("expected INTERFACE:key=value,... (e.g. shmif0:drop=5,seed=1)")
            }
            var spec = FaultSpec(interface: String(e[..<colon]))
            if out.contains(where: { $0.interface == spec.interface }) { throw fail("interface \(spec.interface) given twice") }
            for item in e[e.index(after: colon)...].split(separator: ",") {
                let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { throw fail("\"\(item)\": expected key=value") }
                let (k, v) = (kv[0], kv[1])
                switch k {
                case "drop", "reorder":
                    guard let p = Double(v), p >= 0, p <= 100 else { throw fail("\(k)=\(v): not a percentage (0...100)") }
                    if k == "drop" { spec.dropPercent = p } else { spec.reorderPercent = p }
                case "seed":
                    guard let s = UInt64(v) else { throw fail("seed=\(v): not an unsigned integer") }
                    spec.seed = s
                case "hold":
                    guard let ms = UInt64(v), ms > 0, ms <= 10_000 else { throw fail("hold=\(v): not milliseconds (1...10000)") }
                    spec.holdMilliseconds = ms
                case "dir":
                    switch v {
                    case "rx": spec.receive = true; spec.transmit = false
                    case "tx": spec.receive = false; spec.transmit = true
                    case "both": spec.receive = true; spec.transmit = true
                    default: throw fail("dir=\(v): expected rx, tx or both")
                    }
                default:
                    throw fail("unknown key \"\(k)\" (drop, reorder, seed, dir, hold)")
                }
            }
            out.append(spec)
        }
        return out
    }

    /// The injector this spec describes, around `device`.
    public func injector(wrapping device: NetDevice) -> FaultInjector {
        var d: FaultInjector.Directions = []
        if receive { d.insert(.receive) }
        if transmit { d.insert(.transmit) }
        return FaultInjector(wrapping: device, dropPercent: dropPercent, reorderPercent: reorderPercent, seed: seed,
                             directions: d, holdNanoseconds: holdMilliseconds * 1_000_000)
    }
}
