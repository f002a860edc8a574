/// A check of command-line options against a getopt(3) option string, giving NetBSD's
/// diagnostics (`prog: unknown option -- x`, `prog: option requires an argument -- x`).
/// Commands run it before swift-argument-parser so that their errors read like NetBSD's;
/// the parsing itself stays with argument-parser.
public enum NetBSDGetopt {
    public enum Failure: Equatable, Sendable {
        case unknownOption(Character)
        case missingArgument(Character)

        public func message(program: String) -> String {
            switch self {
            case .unknownOption(let c): return "\(program): unknown option -- \(c)"
            case .missingArgument(let c): return "\(program): option requires an argument -- \(c)"
            }
        }
    }

    /// Scans like POSIX getopt: stops at the first operand or at `--`.
    public static func check(_ args: [String], optstring: String) -> Failure? {
        let spec = Array(optstring)
        var i = 0
        while i < args.count {
            let a = Array(args[i])
            if a == ["-", "-"] { return nil }
            guard a.count >= 2, a[0] == "-" else { return nil }
            var j = 1
            while j < a.count {
                let c = a[j]
                guard c != ":", let k = spec.firstIndex(of: c) else { return .unknownOption(c) }
                if k + 1 < spec.count && spec[k + 1] == ":" {
                    if j + 1 < a.count { break }  // joined argument: -lrumpnet
                    if i + 1 >= args.count { return .missingArgument(c) }
                    i += 1
                    break
                }
                j += 1
            }
            i += 1
        }
        return nil
    }
}
