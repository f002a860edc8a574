// getopt(3) as NetBSD's libc does it: clustered flags ("-rn"), attached or separate option
// arguments ("-c3", "-c 3"), no permutation (the first operand ends the options), "--" ends
// them too; diagnostics in NetBSD's wording.

struct Getopt {
    enum Item: Equatable {
        case option(Character, String?)
        /// The diagnostic getopt prints, without the "prog: " prefix.
        case error(String)
    }

    private let args: [String]
    private let takesArgument: [Character: Bool]
    private(set) var index = 0
    private var charOffset = 1

    /// `spec` is getopt's optstring: a letter, followed by ':' when it takes an argument.
    init(_ args: [String], _ spec: String) {
        self.args = args
        var t: [Character: Bool] = [:]
        let chars = Array(spec)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            let arg = i + 1 < chars.count && chars[i + 1] == ":"
            t[c] = arg
            i += arg ? 2 : 1
        }
        takesArgument = t
    }

    /// Arguments after the options.
    var operands: [String] { Array(args[min(index, args.count)...]) }

    mutating func next() -> Item? {
        guard index < args.count else { return nil }
        let word = Array(args[index])
        if charOffset == 1 {
            guard word.count >= 2, word[0] == "-" else { return nil }
            if word == ["-", "-"] { index += 1; return nil }
        }
        let c = word[charOffset]
        charOffset += 1
        let atEnd = charOffset >= word.count
        guard c != ":", let needsArg = takesArgument[c] else {
            if atEnd { advance() }
            return .error("unknown option -- \(c)")
        }
        if !needsArg {
            if atEnd { advance() }
            return .option(c, nil)
        }
        if !atEnd {
            let value = String(word[charOffset...])
            advance()
            return .option(c, value)
        }
        advance()
        guard index < args.count else { return .error("option requires an argument -- \(c)") }
        let value = args[index]
        index += 1
        return .option(c, value)
    }

    private mutating func advance() {
        index += 1
        charOffset = 1
    }
}
