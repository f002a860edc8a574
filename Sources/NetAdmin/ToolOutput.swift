// What a utility run produces: the wiring step writes these to fds 1 and 2 and exits.

/// stdout text, stderr text and exit status of one utility run (or one part of it).
public struct ToolOutput: Sendable, Equatable, CustomStringConvertible {
    public var stdout: String
    public var stderr: String
    public var status: Int32

    public init(stdout: String = "", stderr: String = "", status: Int32 = 0) {
        self.stdout = stdout
        self.stderr = stderr
        self.status = status
    }

    public static let success = ToolOutput()

    /// An `errx(3)`-style failure: "prog: message" on stderr, exit 1.
    public static func errx(_ program: String, _ message: String, status: Int32 = 1) -> ToolOutput {
        ToolOutput(stderr: "\(program): \(message)\n", status: status)
    }

    /// A `warnx(3)` line that does not change the exit status.
    public static func warnx(_ program: String, _ message: String) -> ToolOutput {
        ToolOutput(stderr: "\(program): \(message)\n", status: 0)
    }

    /// Appends `other`'s text; the later non-zero status wins, as with successive exits/warnings.
    public mutating func append(_ other: ToolOutput) {
        stdout += other.stdout
        stderr += other.stderr
        if other.status != 0 { status = other.status }
    }

    public static func + (a: ToolOutput, b: ToolOutput) -> ToolOutput {
        var r = a
        r.append(b)
        return r
    }

    public var description: String {
        "stdout: \(stdout.debugDescription) stderr: \(stderr.debugDescription) status: \(status)"
    }
}

/// What an argument parser decided: run a command, or finish at once (usage, bad argument).
public enum ParseOutcome<Command: Sendable & Equatable>: Sendable, Equatable {
    case run(Command)
    case exit(ToolOutput)

    /// The parser's output when it finished the run, else what `body` makes of the command.
    public func run(_ body: (Command) -> ToolOutput) -> ToolOutput {
        switch self {
        case .exit(let o): return o
        case .run(let c): return body(c)
        }
    }

    /// The command, if the parser produced one.
    public var command: Command? {
        if case .run(let c) = self { return c }
        return nil
    }

    /// The immediate output, if the parser finished the run.
    public var output: ToolOutput? {
        if case .exit(let o) = self { return o }
        return nil
    }
}
