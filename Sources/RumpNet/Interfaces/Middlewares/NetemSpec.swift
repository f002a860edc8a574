// netem's command-line words as a value: `delay 20ms 5ms 25% distribution normal loss random 10%`
// (tc-netem(8)). Units follow tc(8): a bare time is microseconds, a bare rate bits per second,
// a bare size bytes, a bare percentage percent. `ingress` / `egress` choose the direction the
// words after them describe (egress first); `seed`, `down` and `up` are the impairment's.
// `limit N` is the queue's limit in frames, `limit SIZE` (with a byte unit: 64kb) in bytes.

public struct NetemSpec: Equatable, Sendable {
    public enum Distribution: String, Sendable, CaseIterable { case uniform, normal, pareto, paretonormal }
    public enum Loss: Equatable, Sendable {
        case none
        /// Percent, correlation percent.
        case random(Double, Double)
        /// Gilbert-Elliott: p (good -> bad), r (bad -> good), 1-h (loss in bad), 1-k (loss in good), percents.
        case gemodel(p: Double, r: Double, lossBad: Double, lossGood: Double)
    }

    public var delayNanoseconds: UInt64 = 0
    public var jitterNanoseconds: UInt64 = 0
    public var delayCorrelation: Double = 0
    public var distribution: Distribution = .uniform
    public var loss: Loss = .none
    public var duplicatePercent: Double = 0
    public var duplicateCorrelation: Double = 0
    public var corruptPercent: Double = 0
    public var corruptCorrelation: Double = 0
    public var reorderPercent: Double = 0
    public var reorderCorrelation: Double = 0
    public var reorderGap: Int = 0
    /// Bits per second; 0 = no rate limit.
    public var rateBitsPerSecond: UInt64 = 0
    /// netem's default queue limit.
    public var limitPackets: Int = 1000
    /// 0 = no byte limit.
    public var limitBytes: Int = 0
    /// netem's `slot`: frames leave only in slots (a Wi-Fi or DOCSIS medium's transmit
    /// opportunities), nil = always.
    public var slot: Slot? = nil

    /// `slot MIN [MAX] [packets N] [bytes N]` or `slot distribution D DELAY JITTER [...]`: the
    /// next slot opens MIN...MAX (uniform) or DELAY ± JITTER (from D) after the last one closed,
    /// or after the first frame that finds it stale; a slot lets out at most `packets` frames
    /// and `bytes` bytes (0: no limit) of those queued when it opened.
    public struct Slot: Equatable, Sendable {
        public var minNanoseconds: UInt64 = 0
        public var maxNanoseconds: UInt64 = 0
        /// With a distribution, `minNanoseconds` is the mean and this the jitter.
        public var distribution: Distribution? = nil
        public var jitterNanoseconds: UInt64 = 0
        public var packets: Int = 0
        public var bytes: Int = 0
        public init() {}
    }

    public init() {}

    /// True when nothing would change a frame's fate or timing.
    public var isIdentity: Bool {
        delayNanoseconds == 0 && jitterNanoseconds == 0 && loss == .none && duplicatePercent == 0
            && corruptPercent == 0 && reorderPercent == 0 && rateBitsPerSecond == 0 && slot == nil
    }

    /// The words that give this spec back (tc's own spelling).
    public var words: [String] {
        var w: [String] = []
        if delayNanoseconds > 0 || jitterNanoseconds > 0 {
            w += ["delay", Self.time(delayNanoseconds)]
            if jitterNanoseconds > 0 {
                w.append(Self.time(jitterNanoseconds))
                if delayCorrelation > 0 { w.append(Self.percent(delayCorrelation)) }
                if distribution != .uniform { w += ["distribution", distribution.rawValue] }
            }
        }
        switch loss {
        case .none: break
        case .random(let p, let c):
            w += ["loss", "random", Self.percent(p)]
            if c > 0 { w.append(Self.percent(c)) }
        case .gemodel(let p, let r, let b, let g):
            w += ["loss", "gemodel", Self.percent(p), Self.percent(r), Self.percent(b), Self.percent(g)]
        }
        if duplicatePercent > 0 {
            w += ["duplicate", Self.percent(duplicatePercent)]
            if duplicateCorrelation > 0 { w.append(Self.percent(duplicateCorrelation)) }
        }
        if corruptPercent > 0 {
            w += ["corrupt", Self.percent(corruptPercent)]
            if corruptCorrelation > 0 { w.append(Self.percent(corruptCorrelation)) }
        }
        if reorderPercent > 0 {
            w += ["reorder", Self.percent(reorderPercent)]
            if reorderCorrelation > 0 { w.append(Self.percent(reorderCorrelation)) }
            if reorderGap > 1 { w += ["gap", String(reorderGap)] }
        }
        if rateBitsPerSecond > 0 { w += ["rate", Self.rate(rateBitsPerSecond)] }
        if let s = slot {
            if let d = s.distribution {
                w += ["slot", "distribution", d.rawValue, Self.time(s.minNanoseconds), Self.time(s.jitterNanoseconds)]
            } else {
                w += ["slot", Self.time(s.minNanoseconds)]
                if s.maxNanoseconds != s.minNanoseconds { w.append(Self.time(s.maxNanoseconds)) }
            }
            if s.packets > 0 { w += ["packets", String(s.packets)] }
            if s.bytes > 0 { w += ["bytes", String(s.bytes)] }
        }
        if limitPackets != 1000 { w += ["limit", String(limitPackets)] }
        if limitBytes > 0 { w += ["limit", "\(limitBytes)b"] }
        return w
    }

    static func time(_ ns: UInt64) -> String {
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
        if ns % 1_000 == 0 { return "\(ns / 1_000)us" }
        return "\(ns)ns"
    }
    static func percent(_ p: Double) -> String {
        p == p.rounded() ? "\(Int(p))%" : "\(p)%"
    }
    static func rate(_ bps: UInt64) -> String {
        if bps % 1_000_000_000 == 0 { return "\(bps / 1_000_000_000)gbit" }
        if bps % 1_000_000 == 0 { return "\(bps / 1_000_000)mbit" }
        if bps % 1_000 == 0 { return "\(bps / 1_000)kbit" }
        return "\(bps)bit"
    }
}

/// Both directions' models plus what belongs to the link: its seed and whether it is down.
public struct ImpairmentSpec: Equatable, Sendable {
    public var egress = NetemSpec()
    public var ingress = NetemSpec()
    public var seed: UInt64 = 1
    public var down = false

    public init() {}

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    public var words: [String] {
        var w = egress.words
        if !ingress.isIdentity || ingress.limitPackets != 1000 || ingress.limitBytes != 0 { w += ["ingress"] + ingress.words }
        if seed != 1 { w += ["seed", String(seed)] }
        if down { w.append("down") }
        return w
    }
    public var text: String { words.joined(separator: " ") }

    /// Parses a whitespace-separated string (a topology file's `impair` value).
    public static func parse(_ text: String) throws(ParseError) -> ImpairmentSpec {
        try parse(words: text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init))
    }

    /// Parses netem's words; an error names the word that is wrong and what was expected.
    public static func parse(words: [String]) throws(ParseError) -> ImpairmentSpec {
        var spec = ImpairmentSpec()
        var ingress = false
        var i = 0
        func fail(_ why: String) -> ParseError { ParseError(why) }
        func next() -> String? { i < words.count ? words[i] : nil }
        /// The next word if it parses as `f`, consumed; nil (not consumed) otherwise.
        func optional<T>(_ f: (String) -> T?) -> T? {
            guard let w = next(), let v = f(w) else { return nil }
            i += 1
            return v
        }
        func required<T>(_ what: String, after key: String, _ f: (String) throws(ParseError) -> T) throws(ParseError) -> T {
            guard let w = next() else { throw fail("\"\(key)\": expected \(what) after it") }
            i += 1
            return try f(w)
        }
        func percentWord(_ w: String) throws(ParseError) -> Double {
            guard let p = Self.percent(w) else { throw fail("\"\(w)\": not a percentage") }
            guard p >= 0 else { throw fail("\"\(w)\": a percentage cannot be negative") }
            guard p <= 100 else { throw fail("\"\(w)\": a percentage over 100") }
            return p
        }
        func timeWord(_ w: String) throws(ParseError) -> UInt64 {
            guard let t = Self.time(w) else {
                throw fail("\"\(w)\": not a time (a number with s, ms, us or ns; a bare number is microseconds)")
            }
            guard t >= 0 else { throw fail("\"\(w)\": a time cannot be negative") }
            guard t <= 3600e9 else { throw fail("\"\(w)\": a time over an hour") }
            return UInt64(t)
        }
        func optionalPercent() throws(ParseError) -> Double? {
            guard let w = next(), Self.percent(w) != nil else { return nil }
            i += 1
            return try percentWord(w)
        }
        func optionalTime() throws(ParseError) -> UInt64? {
            guard let w = next(), Self.looksNumeric(w) else { return nil }
            i += 1
            return try timeWord(w)
        }
        while let word = next() {
            i += 1
            var d = ingress ? spec.ingress : spec.egress
            switch word {
            case "egress": ingress = false; continue
            case "ingress": ingress = true; continue
            case "delay", "latency":
                d.delayNanoseconds = try required("a time (20ms)", after: word, timeWord)
                if let j = try optionalTime() {
                    d.jitterNanoseconds = j
                    if let c = try optionalPercent() { d.delayCorrelation = c }
                }
            case "distribution":
                let name = try required("uniform, normal, pareto or paretonormal", after: word) { $0 }
                guard let dist = NetemSpec.Distribution(rawValue: name) else {
                    throw fail("\"\(name)\": unknown distribution (uniform, normal, pareto, paretonormal)")
                }
                d.distribution = dist
            case "loss", "drop":
                var model = "random"
                if let w = next(), w == "random" || w == "gemodel" || w == "state" { model = w; i += 1 }
                switch model {
                case "random":
                    let p = try required("a percentage", after: word, percentWord)
                    d.loss = .random(p, try optionalPercent() ?? 0)
                case "gemodel":
                    let p = try required("p (a percentage)", after: "gemodel", percentWord)
                    let r = try optionalPercent() ?? 100 - p
                    let bad = try optionalPercent() ?? 100
                    let good = try optionalPercent() ?? 0
                    d.loss = .gemodel(p: p, r: r, lossBad: bad, lossGood: good)
                default:
                    throw fail("\"state\": the 4-state loss model is not supported (random, gemodel)")
                }
            case "duplicate":
                d.duplicatePercent = try required("a percentage", after: word, percentWord)
                d.duplicateCorrelation = try optionalPercent() ?? 0
            case "corrupt":
                d.corruptPercent = try required("a percentage", after: word, percentWord)
                d.corruptCorrelation = try optionalPercent() ?? 0
            case "reorder":
                d.reorderPercent = try required("a percentage", after: word, percentWord)
                d.reorderCorrelation = try optionalPercent() ?? 0
                if next() == "gap" {
                    i += 1
                    let g = try required("a frame count", after: "gap") { (w: String) throws(ParseError) -> Int in
                        guard let n = Int(w), n >= 1 else { throw fail("\"\(w)\": gap must be a whole number of frames, 1 or more") }
                        return n
                    }
                    d.reorderGap = g
                }
                if d.reorderGap == 0 { d.reorderGap = 1 }
            case "gap":
                throw fail("\"gap\": only after reorder PCT")
            case "rate":
                d.rateBitsPerSecond = try required("a rate (10mbit)", after: word) { (w: String) throws(ParseError) -> UInt64 in
                    guard let r = Self.rate(w) else { throw fail("\"\(w)\": not a rate (bit, kbit, mbit, gbit, bps, kbps, mbps; a bare number is bits per second)") }
                    guard r > 0 else { throw fail("\"\(w)\": a rate must be above 0") }
                    return r
                }
            case "slot":
                var slot = NetemSpec.Slot()
                if next() == "distribution" {
                    i += 1
                    let name = try required("uniform, normal, pareto or paretonormal", after: "slot distribution") { $0 }
                    guard let dist = NetemSpec.Distribution(rawValue: name) else {
                        throw fail("\"\(name)\": unknown slot distribution (uniform, normal, pareto, paretonormal)")
                    }
                    slot.distribution = dist
                    slot.minNanoseconds = try required("the mean slot delay (a time)", after: "slot distribution \(name)", timeWord)
                    slot.jitterNanoseconds = try required("the slot jitter (a time)", after: "slot distribution \(name) \(NetemSpec.time(slot.minNanoseconds))", timeWord)
                } else {
                    slot.minNanoseconds = try required("a time (the shortest slot delay) or distribution", after: word, timeWord)
                    // tc: a maximum below the minimum is the minimum.
                    let most = try optionalTime()
                    slot.maxNanoseconds = max(slot.minNanoseconds, most ?? slot.minNanoseconds)
                }
                func count(_ key: String) throws(ParseError) -> Int? {
                    guard next() == key else { return nil }
                    i += 1
                    let w = try required(key == "packets" ? "a frame count" : "a size", after: key) { $0 }
                    let n = key == "packets" ? Int(w) : (Int(w) ?? Self.size(w))
                    guard let n, n >= 1, n <= Int(Int32.max) else {
                        throw fail("\"\(w)\": slot \(key) must be \(key == "packets" ? "a whole number of frames" : "a size (1514, 64kb)"), 1 or more")
                    }
                    return n
                }
                for _ in 0..<2 {
                    if let n = try count("packets") { slot.packets = n }
                    if let n = try count("bytes") { slot.bytes = n }
                }
                d.slot = slot
            case "packets", "bytes":
                throw fail("\"\(word)\": only after slot ...")
            case "limit":
                let w = try required("a frame count or a size (64kb)", after: word) { $0 }
                if let n = Int(w) {
                    guard n >= 1, n <= 100_000 else { throw fail("\"\(w)\": limit must be 1...100000 frames") }
                    d.limitPackets = n
                } else if let b = Self.size(w) {
                    guard b >= 1514, b <= 256 << 20 else { throw fail("\"\(w)\": a byte limit must be 1514 bytes...256mb") }
                    d.limitBytes = b
                } else {
                    throw fail("\"\(w)\": not a frame count or a size (b, kb, mb)")
                }
            case "seed":
                spec.seed = try required("an unsigned integer", after: word) { (w: String) throws(ParseError) -> UInt64 in
                    guard let s = UInt64(w) else { throw fail("\"\(w)\": seed must be an unsigned integer") }
                    return s
                }
            case "down": spec.down = true
            case "up": spec.down = false
            default:
                throw fail("\"\(word)\": unknown word (delay, distribution, loss, duplicate, corrupt, reorder, rate, slot, limit, seed, down, up, ingress, egress)")
            }
            if ingress { spec.ingress = d } else { spec.egress = d }
        }
        for (name, d) in [("egress", spec.egress), ("ingress", spec.ingress)] where d.reorderPercent > 0 && d.delayNanoseconds == 0 {
            throw fail("reorder (\(name)): reordering not possible without specifying some delay")
        }
        return spec
    }

    // MARK: units (tc(8))

    static func looksNumeric(_ w: String) -> Bool {
        guard let c = w.first else { return false }
        return c.isNumber || c == "-" || c == "." || c == "+"
    }

    /// Splits "20ms" into (20, "ms").
    static func split(_ w: String) -> (Double, String)? {
        guard looksNumeric(w) else { return nil }
        let end = w.firstIndex(where: { !($0.isNumber || $0 == "." || $0 == "-" || $0 == "+" || $0 == "e") }) ?? w.endIndex
        // "e" is an exponent only when followed by digits: keep units starting with e out (none in tc).
        guard let v = Double(w[..<end]), v.isFinite else { return nil }
        return (v, String(w[end...]).lowercased())
    }

    /// Nanoseconds (may be negative so the caller can say so).
    static func time(_ w: String) -> Double? {
        guard let (v, unit) = split(w) else { return nil }
        let scale: Double
        switch unit {
        case "s", "sec", "secs": scale = 1e9
        case "ms", "msec", "msecs": scale = 1e6
        case "us", "usec", "usecs", "": scale = 1e3
        case "ns", "nsec", "nsecs": scale = 1
        default: return nil
        }
        return (v * scale).rounded()
    }

    static func percent(_ w: String) -> Double? {
        guard let (v, unit) = split(w), unit == "%" || unit == "" else { return nil }
        return v
    }

    /// Bits per second.
    static func rate(_ w: String) -> UInt64? {
        guard let (v, unit) = split(w), v >= 0 else { return nil }
        let units: [String: Double] = [
            "": 1, "bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9, "tbit": 1e12,
            "kibit": 1024, "mibit": 1_048_576, "gibit": 1_073_741_824,
            "bps": 8, "kbps": 8e3, "mbps": 8e6, "gbps": 8e9, "kibps": 8 * 1024, "mibps": 8 * 1048576,
        ]
        guard let s = units[unit] else { return nil }
        let r = v * s
        guard r < 1e15 else { return nil }
        return UInt64(r.rounded())
    }

    /// Bytes; nil for a bare number (a frame count) or a bad unit.
    static func size(_ w: String) -> Int? {
        guard let (v, unit) = split(w), v >= 0 else { return nil }
        let units: [String: Double] = ["b": 1, "k": 1024, "kb": 1024, "m": 1_048_576, "mb": 1_048_576, "kbit": 128, "mbit": 131072]
        guard let s = units[unit] else { return nil }
        return Int((v * s).rounded())
    }
}
