import TestSupport
import Testing
@testable import RumpLab

@Suite struct JSONTests {
    @Test func keepsOrderAndDuplicates() throws {
        let v = try JSONParser.parse(#"{"b": 1, "a": [true, null, "x\u00e9\ud83d\ude00"], "b": 2.5}"#)
        let m = try #require(v.objectValue)
        #expect(m.map(\.key) == ["b", "a", "b"])
        #expect(m[0].value.intValue == 1)
        #expect(m[2].value.intValue == nil)
        #expect(m[1].value.arrayValue?[2].stringValue == "xé😀")
    }

    @Test(arguments: [
        ("{\"a\": 1,}", 1, 9, "trailing comma"),
        ("{\n  \"a\" 1}", 2, 7, "expected ':'"),
        ("[1, 2", 1, 6, "end of file"),
        ("{\"a\": tru}", 1, 7, "invalid literal"),
        ("{\"a\": 01}", 1, 8, "leading zero"),
        ("\"abc", 1, 5, "unterminated string"),
        ("{} {}", 1, 4, "after the document"),
        ("{\"a\": \"\\q\"}", 1, 9, "invalid escape"),
    ])
    func syntaxErrorsHavePositions(text: String, line: Int, column: Int, fragment: String) {
        do {
            _ = try JSONParser.parse(text)
            Issue.record("parsed: \(text)")
        } catch {
            #expect(error.position == SourcePosition(line: line, column: column), "\(error)")
            #expect(error.message.contains(fragment), "\(error)")
        }
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(deep) }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("{}[]\":,0123456789.eE+-tfnul \\\n\"abc".utf8)
        for _ in 0..<3000 {
            let n = Int.random(in: 0..<60, using: &rng)
            let bytes = (0..<n).map { _ in alphabet.randomElement(using: &rng)! }
            _ = TopologyLoader.load(bytes: bytes)
        }
    }
}

@Suite struct TopologyRobustnessTests {
    /// Random damage to a real topology: every outcome is a topology or messages, never a crash,
    /// and an invalid result always says why.
    @Test func mutatedTopologiesNeverCrash() throws {
        let original = Array(try String(contentsOfFile: topologyFile("router.json"), encoding: .utf8).utf8)
        var rng = SystemRandomNumberGenerator()
        let interesting = Array("{}[]\":,./0123456789-abcdefghijklmnopqrstuvwxyz \n\\".utf8) + [0, 0xff, 0xc3]
        for _ in 0..<2000 {
            var b = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<b.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: b[i] = interesting.randomElement(using: &rng)!
                case 1: b.remove(at: i)
                default: b.insert(interesting.randomElement(using: &rng)!, at: i)
                }
            }
            let load = TopologyLoader.load(bytes: b)
            #expect(load.topology != nil || !load.errors.isEmpty)
        }
    }
}
