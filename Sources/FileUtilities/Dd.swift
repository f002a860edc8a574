#if canImport(Glibc)
import Glibc
#endif
import NetBSDModels
import ToolSupport

/// Host descriptors (dd's and cat's standard input and output): the shell is on the host.
func hostRead(_ fd: Int32, _ n: Int) -> [UInt8]? {
    var buf = [UInt8](repeating: 0, count: n)
    while true {
        let r = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, n) }
        if r < 0 && errno == EINTR { continue }
        if r < 0 { return nil }
        return Array(buf.prefix(r))
    }
}

func hostWrite(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var at = 0
    while at < bytes.count {
        let r = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + at, bytes.count - at) }
        if r < 0 && errno == EINTR { continue }
        if r <= 0 { return false }
        at += r
    }
    return true
}

/// dd(1): `if=` and `of=` name files in the kernel (standard input and output are the host's);
/// bs= (or ibs=/obs=), count=, skip=, seek=; conv=notrunc. One output write per input block.
/// The summary goes to standard error, as NetBSD's.
public enum Dd {
    public static func main(_ args: [String]) -> Never {
        let program = "dd"
        var input: String?, output: String?
        var ibs = 512, obs = 512, count: UInt64?, skip: UInt64 = 0, seek: UInt64 = 0, truncate = true
        for a in args {
            guard let eq = a.firstIndex(of: "=") else { errx(1, program, "unknown operand \(a)") }
            let key = String(a[..<eq]), value = String(a[a.index(after: eq)...])
            func size() -> Int {
                guard let v = parseSize(value), v > 0, v <= UInt64(RemoteFiles.chunk * 4) else { errx(1, program, "\(key): invalid number `\(value)'") }
                return Int(v)
            }
            func number() -> UInt64 {
                guard let v = parseSize(value) else { errx(1, program, "\(key): invalid number `\(value)'") }
                return v
            }
            switch key {
            case "if": input = value
            case "of": output = value
            case "bs": ibs = size(); obs = ibs
            case "ibs": ibs = size()
            case "obs": obs = size()
            case "count": count = number()
            case "skip", "iseek": skip = number()
            case "seek", "oseek": seek = number()
            case "conv":
                for c in value.split(separator: ",") {
                    guard c == "notrunc" else { errx(1, program, "unknown conversion \(c)") }
                    truncate = false
                }
            default: errx(1, program, "unknown operand \(key)")
            }
        }
        let needsKernel = input != nil || output != nil
        let fs: RemoteFiles? = needsKernel ? RemoteFiles(program: program) : nil
        var inFD: Int32 = -1, outFD: Int32 = -1
        if let input, let fs {
            switch fs.open(input, flags: OpenFlags.readOnly) {
            case .success(let fd): inFD = fd
            case .failure(let e): warn(program, input, e); exitTool(1)
            }
        }
        if let output, let fs {
            let flags = OpenFlags.writeOnly | OpenFlags.create | (truncate && seek == 0 ? OpenFlags.truncate : 0)
            switch fs.open(output, flags: flags, mode: 0o666) {
            case .success(let fd): outFD = fd
            case .failure(let e): warn(program, output, e); exitTool(1)
            }
        }
        if let fs, inFD >= 0, skip > 0, case .failure(let e) = fs.call(.lseek(fd: inFD, offset: Int64(skip) * Int64(ibs), whence: SeekWhence.set)) {
            warn(program, input!, e); exitTool(1)
        }
        if let fs, outFD >= 0, seek > 0, case .failure(let e) = fs.call(.lseek(fd: outFD, offset: Int64(seek) * Int64(obs), whence: SeekWhence.set)) {
            warn(program, output!, e); exitTool(1)
        }
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        var fullIn: UInt64 = 0, partialIn: UInt64 = 0, fullOut: UInt64 = 0, partialOut: UInt64 = 0, bytes: UInt64 = 0
        var status: Int32 = 0
        while count.map({ fullIn + partialIn < $0 }) ?? true {
            let block: [UInt8]
            if let fs, inFD >= 0 {
                switch fs.read(inFD, ibs) {
                case .success(let d): block = d
                case .failure(let e): warn(program, input!, e); status = 1; block = []
                }
            } else {
                guard let d = hostRead(0, ibs) else { warn(program, "stdin", NetBSDErrno(linux: errno)); status = 1; break }
                block = d
            }
            if block.isEmpty { break }
            if block.count == ibs { fullIn += 1 } else { partialIn += 1 }
            if let fs, outFD >= 0 {
                if let e = fs.write(outFD, block) { warn(program, output!, e); status = 1; break }
            } else if !hostWrite(1, block) {
                warn(program, "stdout", NetBSDErrno(linux: errno)); status = 1; break
            }
            if block.count == obs { fullOut += 1 } else { partialOut += 1 }
            bytes += UInt64(block.count)
        }
        if let fs { if inFD >= 0 { fs.close(inFD) }; if outFD >= 0 { fs.close(outFD) } }
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &end)
        let ms = UInt64(max(0, (Int64(end.tv_sec) - Int64(start.tv_sec)) * 1000 + (Int64(end.tv_nsec) - Int64(start.tv_nsec)) / 1_000_000))
        OutputStream.standardError.write(FileFormat.ddSummary(fullIn: fullIn, partialIn: partialIn, fullOut: fullOut,
                                                             partialOut: partialOut, bytes: bytes, milliseconds: ms))
        exitTool(status)
    }
}

/// cat(1): the files' bytes to the host's standard output ("-" or none: standard input).
public enum Cat {
    public static func main(_ args: [String]) -> Never {
        let program = "cat"
        let p: ParsedOptions
        switch ParsedOptions.parse(args, optstring: "u") {
        case .success(let x): p = x
        case .failure(let f): printErr(f.message(program: program)); usage("usage: cat [-u] [file ...]")
        }
        let operands = p.operands.isEmpty ? ["-"] : p.operands
        let fs: RemoteFiles? = operands.contains { $0 != "-" } ? RemoteFiles(program: program) : nil
        var status: Int32 = 0
        for o in operands {
            if o == "-" {
                while let d = hostRead(0, 65536), !d.isEmpty { if !hostWrite(1, d) { exitTool(1) } }
                continue
            }
            guard let fs else { continue }
            switch fs.open(o, flags: OpenFlags.readOnly) {
            case .failure(let e): warn(program, o, e); status = 1
            case .success(let fd):
                defer { fs.close(fd) }
                while true {
                    switch fs.read(fd, RemoteFiles.chunk) {
                    case .failure(let e): warn(program, o, e); status = 1
                    case .success(let d):
                        if d.isEmpty { break }
                        if !hostWrite(1, d) { exitTool(1) }
                        continue
                    }
                    break
                }
            }
        }
        exitTool(status)
    }
}
