import Testing
import NetAdmin

/// The recorded NetBSD transcripts (README.md there); NETBSD_VECTORS overrides the directory.
enum Vectors {
    static let directory = "/work/shared/vectors/netbsd-tools"

    static func load(_ file: String) -> [TranscriptEntry] {
        let path = directory + "/" + file
        guard let text = readText(path) else {
            Issue.record("cannot read \(path)")
            return []
        }
        return Transcript.parse(text)
    }

    static func readText(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            bytes.append(contentsOf: buf[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Compares line by line first so a failure names the first differing line.
func expectSame(_ actual: ToolOutput, _ expected: ToolOutput, _ what: String,
                sourceLocation: SourceLocation = #_sourceLocation) {
    if actual == expected { return }
    for (name, a, e) in [("stdout", actual.stdout, expected.stdout), ("stderr", actual.stderr, expected.stderr)] where a != e {
        let al = a.split(separator: "\n", omittingEmptySubsequences: false)
        let el = e.split(separator: "\n", omittingEmptySubsequences: false)
        var i = 0
        while i < min(al.count, el.count) && al[i] == el[i] { i += 1 }
        let got = i < al.count ? String(al[i]) : "<end>"
        let want = i < el.count ? String(el[i]) : "<end>"
        Issue.record("\(what): \(name) line \(i + 1):\n  got:  \(got.debugDescription)\n  want: \(want.debugDescription)",
                     sourceLocation: sourceLocation)
    }
    if actual.status != expected.status {
        Issue.record("\(what): exit status \(actual.status), want \(expected.status)", sourceLocation: sourceLocation)
    }
}
