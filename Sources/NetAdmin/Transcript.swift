// Reads the recorded NetBSD transcripts (/work/shared/vectors/netbsd-tools/*.txt): blocks of
// "$ command", stdout, "[stderr]" + stderr, "[exit status N]". Shared by the formatter tests
// and, later, by replay tests that run our utilities against our kernels.

/// One recorded command and what it printed.
public struct TranscriptEntry: Sendable, Equatable {
    /// The command line after "$ ", without a trailing annotation.
    public var command: String
    /// A note the recorder put after the command, e.g. "(SIGINT sent after 3.5 s, like ^C)".
    public var annotation: String?
    public var stdout: String
    public var stderr: String
    /// nil when the block had no "[exit status N]" line.
    public var status: Int32?
    /// The kernel the commands were pointed at (`# [host] export RUMP_SERVER=… (kernel "k1")`).
    public var kernel: String?
    /// 1-based line of the "$ " line, for failure messages.
    public var line: Int

    /// The command split on blanks: [utility, arguments…]. Transcripts quote nothing.
    public var words: [String] { command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
    public var utility: String { words.first ?? "" }
    public var arguments: [String] { Array(words.dropFirst()) }

    public var output: ToolOutput { ToolOutput(stdout: stdout, stderr: stderr, status: status ?? 0) }
}

public enum Transcript {
    public static func parse(_ text: String) -> [TranscriptEntry] {
        var entries: [TranscriptEntry] = []
        var kernel: String?
        var current: TranscriptEntry?
        enum Part { case stdout, stderr }
        var part = Part.stdout

        func finish() {
            if let c = current { entries.append(c) }
            current = nil
        }

        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, sub) in lines.enumerated() {
            let line = String(sub)
            if current == nil {
                if line.hasPrefix("# [host] export RUMP_SERVER="), let q = line.firstRange(of: "(kernel \"") {
                    let rest = line[q.upperBound...]
                    kernel = rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
                } else if line.hasPrefix("$ ") {
                    var cmd = String(line.dropFirst(2))
                    var note: String?
                    // The recorder separates notes from the command by a run of spaces.
                    if let r = cmd.firstRange(of: "  ("), cmd.hasSuffix(")") {
                        note = String(cmd[r.lowerBound...]).trimmingLeadingSpaces()
                        cmd = String(cmd[..<r.lowerBound])
                    }
                    while cmd.hasSuffix(" ") { cmd.removeLast() }
                    current = TranscriptEntry(command: cmd, annotation: note, stdout: "", stderr: "",
                                              status: nil, kernel: kernel, line: i + 1)
                    part = .stdout
                }
                continue
            }
            if line == "[no output]" { continue }
            if line == "[stderr]" { part = .stderr; continue }
            if line.hasPrefix("[exit status "), line.hasSuffix("]") {
                current?.status = Int32(line.dropFirst("[exit status ".count).dropLast())
                finish()
                continue
            }
            if line.hasPrefix("$ ") {
                // A block without an exit status line: keep it and start the next.
                finish()
                var cmd = String(line.dropFirst(2))
                while cmd.hasSuffix(" ") { cmd.removeLast() }
                current = TranscriptEntry(command: cmd, annotation: nil, stdout: "", stderr: "",
                                          status: nil, kernel: kernel, line: i + 1)
                part = .stdout
                continue
            }
            switch part {
            case .stdout: current?.stdout += line + "\n"
            case .stderr: current?.stderr += line + "\n"
            }
        }
        finish()
        return entries
    }
}

extension String {
    fileprivate func trimmingLeadingSpaces() -> String { String(drop(while: { $0 == " " })) }
}
