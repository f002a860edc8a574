import ToolSupport

/// getopt(3) over a tool's arguments: the options in order and the operands, or NetBSD's
/// diagnostic (NetBSDGetopt) for a bad option.
public struct ParsedOptions: Sendable {
    public var options: [(flag: Character, argument: String?)] = []
    public var operands: [String] = []
    public func has(_ c: Character) -> Bool { options.contains { $0.flag == c } }
    public func value(_ c: Character) -> String? { options.last { $0.flag == c }?.argument }

    public static func parse(_ args: [String], optstring: String) -> Result<ParsedOptions, OptionError> {
        if let f = NetBSDGetopt.check(args, optstring: optstring) { return .failure(OptionError(failure: f)) }
        let spec = Array(optstring)
        var p = ParsedOptions()
        var i = 0
        while i < args.count {
            let a = Array(args[i])
            if a == ["-", "-"] { i += 1; break }
            guard a.count >= 2, a[0] == "-" else { break }
            var j = 1
            while j < a.count {
                let c = a[j]
                let k = spec.firstIndex(of: c)!
                if k + 1 < spec.count && spec[k + 1] == ":" {
                    if j + 1 < a.count { p.options.append((c, String(a[(j + 1)...]))) } else { i += 1; p.options.append((c, args[i])) }
                    break
                }
                p.options.append((c, nil))
                j += 1
            }
            i += 1
        }
        p.operands = Array(args[i...])
        return .success(p)
    }
}

/// A bad option, with NetBSD's message for it.
public struct OptionError: Error, Sendable {
    public let failure: NetBSDGetopt.Failure
    public func message(program: String) -> String { failure.message(program: program) }
}

/// Sizes as NetBSD's dehumanize_number reads them: digits with an optional b/k/m/g/t suffix
/// (powers of 1024).
public func parseSize(_ s: String) -> UInt64? {
    var digits = Substring(s)
    var scale: UInt64 = 1
    if let last = digits.last, !last.isNumber {
        switch last.lowercased() {
        case "b": scale = 1
        case "k": scale = 1 << 10
        case "m": scale = 1 << 20
        case "g": scale = 1 << 30
        case "t": scale = 1 << 40
        default: return nil
        }
        digits = digits.dropLast()
    }
    guard !digits.isEmpty, digits.allSatisfy(\.isNumber), let n = UInt64(digits) else { return nil }
    let (v, o) = n.multipliedReportingOverflow(by: scale)
    return o ? nil : v
}
