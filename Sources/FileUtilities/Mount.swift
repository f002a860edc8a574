import NetBSDModels
import ToolSupport

/// mount(8): without operands, the mounted file systems (`-t type` keeps those of a type);
/// `mount -t tmpfs [-o size=N] tmpfs dir` mounts as mount_tmpfs does.
public enum MountCommand {
    public static func main(_ args: [String]) -> Never {
        let program = "mount"
        let p: ParsedOptions
        switch ParsedOptions.parse(args, optstring: "Aadfo:rt:uvw") {
        case .success(let x): p = x
        case .failure(let f): printErr(f.message(program: program)); usage(usageText)
        }
        let fs = RemoteFiles(program: program)
        if p.operands.isEmpty {
            switch fs.fileSystems() {
            case .failure(let e): errx(1, program, "getmntinfo: \(e.strerror)")
            case .success(let l):
                let types = p.value("t").map { Set($0.split(separator: ",").map(String.init)) }
                for f in l where types?.contains(f.typeName) ?? true { printOut(FileFormat.mountLine(f)) }
                exitTool(0)
            }
        }
        guard p.operands.count == 2, let type = p.value("t") else { usage(usageText) }
        var size: UInt64 = 0
        for o in (p.value("o") ?? "").split(separator: ",") where o.hasPrefix("size=") {
            guard let s = parseSize(String(o.dropFirst(5))) else { errx(1, program, "-o \(o): invalid size") }
            size = s
        }
        if let e = fs.mount(type: type, at: p.operands[1], size: size) {
            errx(1, program, "\(type) on \(p.operands[1]): \(e.strerror)")
        }
        exitTool(0)
    }
    static let usageText = "usage: mount [-Aadfruvw] [-t type]\n       mount [-dfruvw] [-o options] -t type special node"
}

/// mount_tmpfs(8): `mount_tmpfs [-s size] tmpfs dir`; the special operand is not used.
public enum MountTmpfs {
    public static func main(_ args: [String]) -> Never {
        let program = "mount_tmpfs"
        let usageText = "usage: mount_tmpfs [-g group] [-m mode] [-n nodes] [-o options] [-s size]\n\t\t   [-u user] tmpfs mount_point"
        let p: ParsedOptions
        switch ParsedOptions.parse(args, optstring: "g:m:n:o:s:u:") {
        case .success(let x): p = x
        case .failure(let f): printErr(f.message(program: program)); usage(usageText)
        }
        guard p.operands.count == 2 else { usage(usageText) }
        var size: UInt64 = 0
        if let s = p.value("s") {
            guard let v = parseSize(s) else { errx(1, program, "-s \(s): invalid size") }
            size = v
        }
        for o in (p.value("o") ?? "").split(separator: ",") where o.hasPrefix("size=") {
            guard let v = parseSize(String(o.dropFirst(5))) else { errx(1, program, "-o \(o): invalid size") }
            size = v
        }
        var dir = p.operands[1]
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        let fs = RemoteFiles(program: program)
        if let e = fs.mount(type: "tmpfs", at: dir, size: size) { errx(1, program, "tmpfs on \(dir): \(e.strerror)") }
        exitTool(0)
    }
}

/// umount(8): `umount [-f] dir ...`.
public enum Umount {
    public static func main(_ args: [String]) -> Never {
        let program = "umount"
        let p: ParsedOptions
        switch ParsedOptions.parse(args, optstring: "fvR") {
        case .success(let x): p = x
        case .failure(let f): printErr(f.message(program: program)); usage("usage: umount [-fvR] special | node")
        }
        guard !p.operands.isEmpty else { usage("usage: umount [-fvR] special | node") }
        let fs = RemoteFiles(program: program)
        var status: Int32 = 0
        for d in p.operands {
            if let e = fs.unmount(d, force: p.has("f")) { warn(program, d, e); status = 1 }
        }
        exitTool(status)
    }
}

/// df(1): every file system, or those holding the operands; -k for 1K blocks.
public enum Df {
    public static func main(_ args: [String]) -> Never {
        let program = "df"
        let p: ParsedOptions
        switch ParsedOptions.parse(args, optstring: "aklnt:") {
        case .success(let x): p = x
        case .failure(let f): printErr(f.message(program: program)); usage("usage: df [-akln] [-t type] [file | file_system ...]")
        }
        let fs = RemoteFiles(program: program)
        var status: Int32 = 0
        var list: [FileSystemStat] = []
        if p.operands.isEmpty {
            switch fs.fileSystems() {
            case .failure(let e): errx(1, program, "getmntinfo: \(e.strerror)")
            case .success(let l): list = l
            }
        } else {
            for o in p.operands {
                switch fs.fileSystem(of: o) {
                case .failure(let e): warn(program, o, e); status = 1
                case .success(let s): list.append(s)
                }
            }
        }
        if let t = p.value("t") { list = list.filter { $0.typeName == t } }
        if !list.isEmpty { OutputStream.standardOutput.write(FileFormat.dfTable(list, kilobytes: p.has("k"))) }
        exitTool(status)
    }
}
