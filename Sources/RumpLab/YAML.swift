import Yams

/// Topology files may also be YAML (.yaml, .yml). Yams (libyaml) parses; its node tree,
/// which keeps mapping order, duplicate keys and positions, is turned into the same
/// `JSONValue`s the JSON reader makes, so validation and its messages are identical.
public enum YAMLReader {
    /// Aliases can make a small file expand enormously ("billion laughs"); topologies are
    /// far below this many values.
    public static let maximumValues = 200_000

    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw Self.error(e)
        } catch {
            throw JSONSyntaxError(position: SourcePosition(line: 1, column: 1), message: "\(error)")
        }
        guard let root else { throw JSONSyntaxError(position: SourcePosition(line: 1, column: 1), message: "empty document") }
        var budget = maximumValues
        return try convert(root, depth: 0, budget: &budget)
    }

    static func position(_ m: Mark?) -> SourcePosition {
        SourcePosition(line: m?.line ?? 1, column: m?.column ?? 1)
    }

    static func error(_ e: YamlError) -> JSONSyntaxError {
        switch e {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return JSONSyntaxError(position: position(mark), message: problem)
        default:
            return JSONSyntaxError(position: SourcePosition(line: 1, column: 1), message: "\(e)")
        }
    }

    static func convert(_ node: Yams.Node, depth: Int, budget: inout Int) throws(JSONSyntaxError) -> JSONValue {
        let pos = position(node.mark)
        budget -= 1
        guard budget >= 0 else { throw JSONSyntaxError(position: pos, message: "more than \(maximumValues) values (aliases expanding?)") }
        guard depth <= JSONParser.maximumDepth else {
            throw JSONSyntaxError(position: pos, message: "nested more than \(JSONParser.maximumDepth) levels deep")
        }
        switch node {
        case let .scalar(s):
            // Tag.name is internal to Yams; its description is the resolved tag's name.
            switch Tag.Name(rawValue: node.tag.description) {
            case .null: return JSONValue(kind: .null, position: pos)
            case .bool: if let b = node.bool { return JSONValue(kind: .bool(b), position: pos) }
            case .int: if let i = node.int { return JSONValue(kind: .number(Double(i), text: String(i)), position: pos) }
            case .float:
                if let d = node.float {
                    guard d.isFinite else { throw JSONSyntaxError(position: pos, message: "\(s.string) is not a finite number") }
                    return JSONValue(kind: .number(d, text: s.string), position: pos)
                }
            default: break
            }
            // Everything else (strings, timestamps, unresolvable numbers) stays text.
            return JSONValue(kind: .string(s.string), position: pos)
        case let .sequence(seq):
            var items: [JSONValue] = []
            for n in seq { items.append(try convert(n, depth: depth + 1, budget: &budget)) }
            return JSONValue(kind: .array(items), position: pos)
        case let .mapping(map):
            var members: [JSONMember] = []
            for (k, v) in map {
                guard case let .scalar(ks) = k else {
                    throw JSONSyntaxError(position: position(k.mark), message: "mapping keys must be plain strings")
                }
                members.append(JSONMember(key: ks.string, keyPosition: position(k.mark),
                                          value: try convert(v, depth: depth + 1, budget: &budget)))
            }
            return JSONValue(kind: .object(members), position: pos)
        }
    }
}
