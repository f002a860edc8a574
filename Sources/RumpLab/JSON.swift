// A small JSON reader for topology files. Foundation's JSONSerialization forgets the order
// of object members, silently keeps one of two duplicate keys and reports errors without a
// line and column; a topology's diagnostics need all three, so we parse it ourselves.

/// Where a value starts in the source text (1-based, columns counted in bytes).
public struct SourcePosition: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// One parsed JSON value with its position. Objects keep every member in file order,
/// duplicates included, so that the reader of the document decides what a duplicate means.
public struct JSONValue: Sendable {
    public indirect enum Kind: Sendable {
        case null
        case bool(Bool)
        /// The number's text as written (kept to tell 1 from 1.0 and to report it back).
        case number(Double, text: String)
        case string(String)
        case array([JSONValue])
        case object([JSONMember])
    }
    public var kind: Kind
    public var position: SourcePosition

    /// "string", "integer", "number", "object"...: for wrong-type messages.
    public var typeName: String {
        switch kind {
        case .null: return "null"
        case .bool: return "boolean"
        case let .number(d, text): return Self.isIntegral(d, text) ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    static func isIntegral(_ d: Double, _ text: String) -> Bool {
        !text.contains(".") && !text.contains("e") && !text.contains("E") && d == d.rounded()
    }

    public var stringValue: String? { if case let .string(s) = kind { return s }; return nil }
    public var boolValue: Bool? { if case let .bool(b) = kind { return b }; return nil }
    /// The value as an Int when it is written as an integer in Int's range.
    public var intValue: Int? {
        guard case let .number(d, text) = kind, Self.isIntegral(d, text),
              d >= -9.0e15, d <= 9.0e15 else { return nil }
        return Int(d)
    }
    public var arrayValue: [JSONValue]? { if case let .array(a) = kind { return a }; return nil }
    public var objectValue: [JSONMember]? { if case let .object(o) = kind { return o }; return nil }
}

public struct JSONMember: Sendable {
    public var key: String
    public var keyPosition: SourcePosition
    public var value: JSONValue
}

public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var position: SourcePosition
    public var message: String
    public var description: String { "\(position): syntax error: \(message)" }
}

/// RFC 8259 JSON, strict: no comments, no trailing commas, no NaN, one value per document.
public struct JSONParser {
    /// Deeper documents are refused rather than risk the stack (topologies are shallow).
    public static let maximumDepth = 64

    private let bytes: [UInt8]
    private var i = 0
    private var line = 1
    private var lineStart = 0
    private var depth = 0

    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var p = JSONParser(bytes: bytes)
        // A UTF-8 byte order mark is tolerated, as many editors write one.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { p.i = 3; p.lineStart = 3 }
        p.skipSpace()
        let v = try p.value()
        p.skipSpace()
        if p.i < bytes.count { throw p.error("unexpected \(p.describeCurrent()) after the document's value") }
        return v
    }

    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private var here: SourcePosition { SourcePosition(line: line, column: i - lineStart + 1) }

    private func error(_ message: String, at pos: SourcePosition? = nil) -> JSONSyntaxError {
        JSONSyntaxError(position: pos ?? here, message: message)
    }

    private func describeCurrent() -> String {
        guard i < bytes.count else { return "end of file" }
        let b = bytes[i]
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x" + (b < 16 ? "0" : "") + String(b, radix: 16)
    }

    private mutating func skipSpace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0D: i += 1
            case 0x0A: i += 1; line += 1; lineStart = i
            default: return
            }
        }
    }

    private mutating func value() throws(JSONSyntaxError) -> JSONValue {
        let pos = here
        guard i < bytes.count else { throw error("unexpected end of file, expected a value") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object(pos)
        case UInt8(ascii: "["): return try array(pos)
        case UInt8(ascii: "\""): return JSONValue(kind: .string(try string()), position: pos)
        case UInt8(ascii: "t"): try literal("true"); return JSONValue(kind: .bool(true), position: pos)
        case UInt8(ascii: "f"): try literal("false"); return JSONValue(kind: .bool(false), position: pos)
        case UInt8(ascii: "n"): try literal("null"); return JSONValue(kind: .null, position: pos)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number(pos)
        default: throw error("unexpected \(describeCurrent()), expected a value")
        }
    }

    private mutating func literal(_ word: String) throws(JSONSyntaxError) {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i ..< i + w.count]) == w else {
            throw error("invalid literal, expected \(word)")
        }
        i += w.count
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maximumDepth { throw error("nested more than \(Self.maximumDepth) levels deep") }
    }

    private mutating func object(_ pos: SourcePosition) throws(JSONSyntaxError) -> JSONValue {
        try enter()
        i += 1
        var members: [JSONMember] = []
        skipSpace()
        if i < bytes.count && bytes[i] == UInt8(ascii: "}") {
            i += 1; depth -= 1
            return JSONValue(kind: .object(members), position: pos)
        }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                if i < bytes.count && bytes[i] == UInt8(ascii: "}") { throw error("trailing comma before '}'") }
                throw error("unexpected \(describeCurrent()), expected a member name in double quotes")
            }
            let keyPos = here
            let key = try string()
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
                throw error("unexpected \(describeCurrent()), expected ':' after member name \"\(key)\"")
            }
            i += 1
            skipSpace()
            members.append(JSONMember(key: key, keyPosition: keyPos, value: try value()))
            skipSpace()
            guard i < bytes.count else { throw error("unexpected end of file, expected ',' or '}'") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; break }
            throw error("unexpected \(describeCurrent()), expected ',' or '}'")
        }
        depth -= 1
        return JSONValue(kind: .object(members), position: pos)
    }

    private mutating func array(_ pos: SourcePosition) throws(JSONSyntaxError) -> JSONValue {
        try enter()
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < bytes.count && bytes[i] == UInt8(ascii: "]") {
            i += 1; depth -= 1
            return JSONValue(kind: .array(items), position: pos)
        }
        while true {
            skipSpace()
            if i < bytes.count && bytes[i] == UInt8(ascii: "]") { throw error("trailing comma before ']'") }
            items.append(try value())
            skipSpace()
            guard i < bytes.count else { throw error("unexpected end of file, expected ',' or ']'") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; break }
            throw error("unexpected \(describeCurrent()), expected ',' or ']'")
        }
        depth -= 1
        return JSONValue(kind: .array(items), position: pos)
    }

    private mutating func number(_ pos: SourcePosition) throws(JSONSyntaxError) -> JSONValue {
        let start = i
        func digits(_ p: inout JSONParser) -> Int {
            let s = p.i
            while p.i < p.bytes.count, p.bytes[p.i] >= 0x30, p.bytes[p.i] <= 0x39 { p.i += 1 }
            return p.i - s
        }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 else { throw error("invalid number: expected a digit") }
        if bytes[i] == 0x30 {
            i += 1
            if i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { throw error("invalid number: leading zero") }
        } else {
            _ = digits(&self)
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits(&self) > 0 else { throw error("invalid number: expected a digit after '.'") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits(&self) > 0 else { throw error("invalid number: expected a digit in the exponent") }
        }
        let text = String(decoding: bytes[start ..< i], as: UTF8.self)
        guard let d = Double(text), d.isFinite else { throw error("number out of range: \(text)", at: pos) }
        return JSONValue(kind: .number(d, text: text), position: pos)
    }

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw error("unexpected end of file in a \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[i]
            let d: UInt8
            switch b {
            case 0x30...0x39: d = b - 0x30
            case 0x41...0x46: d = b - 0x41 + 10
            case 0x61...0x66: d = b - 0x61 + 10
            default: throw error("invalid hex digit in a \\u escape")
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }

    private mutating func string() throws(JSONSyntaxError) -> String {
        let open = here
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw error("unterminated string (opened at \(open))") }
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\""):
                i += 1
                // Invalid UTF-8 in the input is refused rather than silently repaired.
                guard let s = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8", at: open) }
                return s
            case UInt8(ascii: "\\"):
                i += 1
                guard i < bytes.count else { throw error("unterminated string (opened at \(open))") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate in a \\u escape")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate in a \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw error("unpaired surrogate in a \\u escape")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    i -= 1
                    throw error("invalid escape '\\\(describeCurrent())'")
                }
            case 0x00..<0x20:
                throw error(b == 0x0A ? "unterminated string (opened at \(open))" : "control character in a string")
            default:
                out.append(b)
                i += 1
            }
        }
    }
}
