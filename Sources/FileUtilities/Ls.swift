import NetBSDModels
import ToolSupport

func joinPath(_ dir: String, _ name: String) -> String { dir.hasSuffix("/") ? dir + name : dir + "/" + name }

/// ls(1) in the kernel: -l -a -A -d -R -F -1; operands that are files first, then each
/// directory (headed by its name when there are several, or with -R). One name per line
/// (NetBSD's choice when standard output is not a terminal).
public enum Ls {
    struct Flags { var long = false, all = false, almostAll = false, directory = false, recursive = false, classify = false }

    public static func main(_ args: [String]) -> Never {
        let program = "ls"
        let p: ParsedOptions
        switch ParsedOptions.parse(args, optstring: "1AFRadl") {
        case .success(let x): p = x
        case .failure(let f): printErr(f.message(program: program)); usage("usage: ls [-1AFRadl] [file ...]")
        }
        var f = Flags()
        f.long = p.has("l"); f.all = p.has("a"); f.almostAll = p.has("A"); f.directory = p.has("d")
        f.recursive = p.has("R"); f.classify = p.has("F")
        let fs = RemoteFiles(program: program)
        var status: Int32 = 0
        let operands = p.operands.isEmpty ? ["."] : p.operands.sorted()
        var files: [(String, FileStat)] = [], dirs: [String] = []
        for o in operands {
            switch fs.stat(o, follow: !f.long || o.hasSuffix("/")) {
            case .failure(let e): warn(program, o, e); status = 1
            case .success(let s):
                if s.isDirectory && !f.directory { dirs.append(o) } else { files.append((o, s)) }
            }
        }
        var out = ""
        if !files.isEmpty { out += render(files, fs: fs, f: f, base: nil) }
        var first = files.isEmpty
        func listDirectory(_ d: String) {
            let entries: [DirectoryEntry]
            switch fs.list(d) {
            case .failure(let e):
                OutputStream.standardOutput.write(out); out = ""
                warn(program, d, e); status = 1; return
            case .success(let l): entries = l
            }
            // NetBSD's traverse(): the first directory of a single operand has no heading,
            // every later one "\nname:".
            if !first { out += "\n\(d):\n" } else if operands.count > 1 { out += "\(d):\n" }
            first = false
            let shown = entries.filter { e in
                if f.all { return true }
                if e.name.hasPrefix(".") { return f.almostAll && e.name != "." && e.name != ".." }
                return true
            }.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            var items: [(String, FileStat)] = []
            for e in shown {
                switch fs.stat(joinPath(d, e.name), follow: false) {
                case .success(let s): items.append((e.name, s))
                case .failure(let err):
                    OutputStream.standardOutput.write(out); out = ""
                    warn(program, joinPath(d, e.name), err); status = 1
                }
            }
            if f.long { out += "total \(items.reduce(Int64(0)) { $0 + $1.1.blocks })\n" }
            out += render(items, fs: fs, f: f, base: d)
            if f.recursive {
                for (name, s) in items where s.isDirectory && name != "." && name != ".." {
                    listDirectory(joinPath(d, name))
                }
            }
        }
        for d in dirs { listDirectory(d) }
        OutputStream.standardOutput.write(out)
        exitTool(status)
    }

    static func render(_ items: [(String, FileStat)], fs: RemoteFiles, f: Flags, base: String?) -> String {
        func mark(_ s: FileStat) -> String { f.classify ? FileFormat.typeMark(s.mode) : "" }
        if f.long {
            let now = Int64(time(nil))
            let rows = items.map { i in
                (name: i.0 + mark(i.1), stat: i.1,
                 linkTarget: i.1.isSymbolicLink ? fs.readlink(base.map { joinPath($0, i.0) } ?? i.0) : nil)
            }
            return FileFormat.longListing(rows, now: now).map { $0 + "\n" }.joined()
        }
        return items.map { $0.0 + mark($0.1) + "\n" }.joined()
    }
}

#if canImport(Glibc)
import Glibc
#endif
