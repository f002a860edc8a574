import NetBSDModels
import ToolSupport

func parseOrUsage(_ program: String, _ args: [String], _ optstring: String, _ usageText: String) -> ParsedOptions {
    switch ParsedOptions.parse(args, optstring: optstring) {
    case .success(let p): return p
    case .failure(let f): printErr(f.message(program: program)); usage(usageText)
    }
}

/// mkdir(1): -p makes missing parents (and accepts existing directories), -m mode.
public enum Mkdir {
    public static func main(_ args: [String]) -> Never {
        let program = "mkdir", u = "usage: mkdir [-p] [-m mode] dirname ..."
        let p = parseOrUsage(program, args, "m:p", u)
        guard !p.operands.isEmpty else { usage(u) }
        var mode: UInt32 = 0o777
        if let m = p.value("m") {
            guard let v = ModeSpec.apply(m, to: 0o777, umask: 0) else { errx(1, program, "invalid file mode: \(m)") }
            mode = v
        }
        let fs = RemoteFiles(program: program)
        var status: Int32 = 0
        for d in p.operands {
            if p.has("p") {
                var prefix = d.hasPrefix("/") ? "/" : ""
                for c in d.split(separator: "/") {
                    prefix = prefix.isEmpty || prefix == "/" ? prefix + c : prefix + "/" + c
                    if let e = fs.mkdir(prefix, mode: mode), e != .EEXIST { warn(program, prefix, e); status = 1; break }
                }
            } else if let e = fs.mkdir(d, mode: mode) { warn(program, d, e); status = 1 }
        }
        exitTool(status)
    }
}

/// rmdir(1).
public enum Rmdir {
    public static func main(_ args: [String]) -> Never {
        let program = "rmdir", u = "usage: rmdir [-p] directory ..."
        let p = parseOrUsage(program, args, "p", u)
        guard !p.operands.isEmpty else { usage(u) }
        let fs = RemoteFiles(program: program)
        var status: Int32 = 0
        for d in p.operands { if let e = fs.rmdir(d) { warn(program, d, e); status = 1 } }
        exitTool(status)
    }
}

/// rm(1): -f quiet about missing names, -r/-R directories with their contents.
public enum Rm {
    public static func main(_ args: [String]) -> Never {
        let program = "rm", u = "usage: rm [-f|-i] [-dPRrvWx] file ..."
        let p = parseOrUsage(program, args, "dfiPRrvWx", u)
        guard !p.operands.isEmpty else { if p.has("f") { exitTool(0) }; usage(u) }
        let fs = RemoteFiles(program: program)
        let force = p.has("f"), recursive = p.has("r") || p.has("R")
        var status: Int32 = 0
        func remove(_ path: String) {
            switch fs.stat(path, follow: false) {
            case .failure(let e):
                if !(force && e == .ENOENT) { warn(program, path, e); status = 1 }
            case .success(let s):
                if s.isDirectory {
                    guard recursive || p.has("d") else { printErr("\(program): \(path): is a directory"); status = 1; return }
                    if recursive, case .success(let l) = fs.list(path) {
                        for e in l where e.name != "." && e.name != ".." { remove(joinPath(path, e.name)) }
                    }
                    if let e = fs.rmdir(path) { warn(program, path, e); status = 1 }
                } else if let e = fs.unlink(path) { warn(program, path, e); status = 1 }
            }
        }
        for o in p.operands { remove(o) }
        exitTool(status)
    }
}

/// mv(1): `mv source target`, or `mv source ... directory`; one file system (rename(2)).
public enum Mv {
    public static func main(_ args: [String]) -> Never {
        let program = "mv", u = "usage: mv [-fiv] source target\n       mv [-fiv] source ... directory"
        let p = parseOrUsage(program, args, "fiv", u)
        guard p.operands.count >= 2 else { usage(u) }
        let fs = RemoteFiles(program: program)
        let target = p.operands.last!
        let intoDirectory = (try? fs.stat(target).get())?.isDirectory ?? false
        guard intoDirectory || p.operands.count == 2 else { errx(1, program, "\(target) is not a directory") }
        var status: Int32 = 0
        for s in p.operands.dropLast() {
            let base = s.split(separator: "/").last.map(String.init) ?? s
            let to = intoDirectory ? joinPath(target, base) : target
            if let e = fs.rename(s, to) { printErr("\(program): rename \(s) to \(to): \(e.strerror)"); status = 1 }
        }
        exitTool(status)
    }
}

/// touch(1): creates missing files (unless -c) and sets both times to now.
public enum Touch {
    public static func main(_ args: [String]) -> Never {
        let program = "touch", u = "usage: touch [-acfhm] [-d datetime] [-r file] [-t time] file ..."
        let p = parseOrUsage(program, args, "acfhmd:r:t:", u)
        guard !p.operands.isEmpty else { usage(u) }
        let fs = RemoteFiles(program: program)
        var status: Int32 = 0
        for f in p.operands {
            if case .failure(.ENOENT) = fs.stat(f) {
                if p.has("c") { continue }
                switch fs.open(f, flags: OpenFlags.writeOnly | OpenFlags.create, mode: 0o666) {
                case .success(let fd): fs.close(fd); continue
                case .failure(let e): warn(program, f, e); status = 1; continue
                }
            }
            if let e = fs.utimes(f) { warn(program, f, e); status = 1 }
        }
        exitTool(status)
    }
}

/// chmod(1): octal or symbolic modes (`u+x`, `go-w`, `a=rx`, `+t`); -R recurses.
public enum Chmod {
    public static func main(_ args: [String]) -> Never {
        let program = "chmod", u = "usage: chmod [-R [-H | -L | -P]] [-fh] mode file ..."
        let p = parseOrUsage(program, args, "HLPRfh", u)
        guard p.operands.count >= 2 else { usage(u) }
        let spec = p.operands[0]
        guard ModeSpec.apply(spec, to: 0, umask: 0o022) != nil else { errx(1, program, "Invalid file mode: \(spec)") }
        let fs = RemoteFiles(program: program)
        var status: Int32 = 0
        func change(_ path: String) {
            switch fs.stat(path) {
            case .failure(let e): warn(program, path, e); status = 1
            case .success(let s):
                let m = ModeSpec.apply(spec, to: s.mode & FileMode.permissionMask, umask: 0o022)!
                if let e = fs.chmod(path, m) { warn(program, path, e); status = 1 }
                if p.has("R"), s.isDirectory, case .success(let l) = fs.list(path) {
                    for e in l where e.name != "." && e.name != ".." { change(joinPath(path, e.name)) }
                }
            }
        }
        for f in p.operands.dropFirst() { change(f) }
        exitTool(status)
    }
}

/// setmode(3)'s language, as chmod and mkdir -m read it.
public enum ModeSpec {
    public static func apply(_ spec: String, to mode: UInt32, umask: UInt32) -> UInt32? {
        if let v = UInt32(spec, radix: 8), spec.allSatisfy({ ("0"..."7").contains($0) }) {
            return v <= 0o7777 ? v : nil
        }
        var m = mode
        for clause in spec.split(separator: ",", omittingEmptySubsequences: false) {
            var who: UInt32 = 0
            var chars = Substring(clause)
            while let c = chars.first, "ugoa".contains(c) {
                who |= c == "u" ? 0o4700 : c == "g" ? 0o2070 : c == "o" ? 0o0007 : 0o6777
                chars = chars.dropFirst()
            }
            guard !chars.isEmpty else { return nil }
            while let op = chars.first {
                guard "+-=".contains(op) else { return nil }
                chars = chars.dropFirst()
                var bits: UInt32 = 0
                while let c = chars.first, "rwxXst".contains(c) {
                    switch c {
                    case "r": bits |= 0o444
                    case "w": bits |= 0o222
                    case "x": bits |= 0o111
                    case "X": if m & 0o111 != 0 || m & FileMode.typeMask == FileMode.directory { bits |= 0o111 }
                    case "s": bits |= 0o6000
                    default: bits |= 0o1000
                    }
                    chars = chars.dropFirst()
                }
                let mask = who == 0 ? ~umask & 0o7777 | (bits & 0o1000) : who | (bits & 0o1000 & (who == 0o6777 || who == 0 ? 0o1000 : 0))
                switch op {
                case "+": m |= bits & mask
                case "-": m &= ~(bits & mask)
                default: m = (m & ~(who == 0 ? 0o7777 : who)) | (bits & mask)
                }
            }
        }
        return m & 0o7777
    }
}
