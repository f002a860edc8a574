// Validation messages: one per mistake, each naming the JSON path of the value at fault.

/// A path into the document, printed as `nodes.r1.interfaces[0].bus`.
public struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    public enum Component: Sendable, Equatable {
        case key(String)
        case index(Int)
    }
    public var components: [Component] = []
    public init(_ components: [Component] = []) { self.components = components }

    public static let root = JSONPath()
    public func key(_ k: String) -> JSONPath { JSONPath(components + [.key(k)]) }
    public func index(_ i: Int) -> JSONPath { JSONPath(components + [.index(i)]) }

    public var description: String {
        if components.isEmpty { return "(top level)" }
        var s = ""
        for c in components {
            switch c {
            case let .index(i): s += "[\(i)]"
            case let .key(k):
                // Keys that read as identifiers are written plainly; others (with dots,
                // as sysctl names have, or spaces) in brackets so the path stays unambiguous.
                if Self.isPlain(k) {
                    s += s.isEmpty ? k : "." + k
                } else {
                    s += "[\"" + k.replacingAll("\\", "\\\\").replacingAll("\"", "\\\"") + "\"]"
                }
            }
        }
        return s
    }

    static func isPlain(_ k: String) -> Bool {
        guard let f = k.unicodeScalars.first, f.isASCIILetter || f == "_" || f == "$" else { return false }
        return k.unicodeScalars.allSatisfy { $0.isASCIILetter || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == "$" }
    }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}

extension String {
    func replacingAll(_ a: String, _ b: String) -> String {
        split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}

public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        case error, warning
    }
    public var severity: Severity
    /// Nil for a syntax error, which has a position instead.
    public var path: JSONPath?
    public var message: String
    public var position: SourcePosition?

    /// `PATH: message`, `PATH: warning: message`, or `LINE:COLUMN: syntax error: message`.
    public var description: String {
        let sev = severity == .warning ? "warning: " : ""
        if let path { return "\(path): \(sev)\(message)" }
        if let position { return "\(position): \(sev)\(message)" }
        return sev + message
    }

    /// The line a tool prints: `FILE: PATH: message`, or `FILE:LINE:COLUMN: ...` for syntax.
    public func formatted(file: String) -> String {
        if path == nil, let position { return "\(file):\(position): \(severity == .warning ? "warning: " : "")\(message)" }
        return "\(file): \(self)"
    }
}

/// The result of reading a topology: the model when there were no errors, and every
/// diagnostic (warnings may accompany a valid topology).
public struct TopologyLoad: Sendable {
    public var topology: Topology?
    public var diagnostics: [Diagnostic]
    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
    public var isValid: Bool { topology != nil }
}

/// Levenshtein distance, for "did you mean" hints on misspelt field names.
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.utf8), y = Array(b.utf8)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var prev = Array(0...y.count), cur = prev
    for i in 1...x.count {
        cur[0] = i
        for j in 1...y.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[y.count]
}

func suggestion(for word: String, among candidates: [String]) -> String? {
    let best = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }.min { $0.1 < $1.1 }
    guard let best, best.1 <= max(1, min(3, word.count / 3)) else { return nil }
    return best.0
}
