#if canImport(Glibc)
import Glibc
#endif
import NetBSDModels

/// NetBSD's text forms of file-system values: strmode(3), ls(1)'s long format and times,
/// mount(8)'s lines, dd(1)'s summary, df(1)'s table. Pure functions (tested in FileUtilityTests).
public enum FileFormat {
    /// strmode(3): type letter, nine permission letters (with s/S, t/T), and a trailing space.
    public static func modeString(_ mode: UInt32) -> String {
        let type: Character = switch mode & FileMode.typeMask {
        case FileMode.directory: "d"
        case FileMode.symbolicLink: "l"
        case FileMode.characterDevice: "c"
        case FileMode.blockDevice: "b"
        case FileMode.fifo: "p"
        case FileMode.socket: "s"
        case FileMode.regular: "-"
        default: "?"
        }
        var s = String(type)
        func triple(_ shift: UInt32, special: UInt32, on: Character, off: Character) {
            s.append(mode & (0o4 << shift) != 0 ? "r" : "-")
            s.append(mode & (0o2 << shift) != 0 ? "w" : "-")
            let x = mode & (0o1 << shift) != 0
            if mode & special != 0 { s.append(x ? on : off) } else { s.append(x ? "x" : "-") }
        }
        triple(6, special: FileMode.setUID, on: "s", off: "S")
        triple(3, special: FileMode.setGID, on: "s", off: "S")
        triple(0, special: FileMode.sticky, on: "t", off: "T")
        return s + " "
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// ls(1)'s printtime: "%b %e %H:%M" within six months of now, else "%b %e  %Y" (UTC: the
    /// kernel has no time zone file).
    public static func lsTime(_ t: Int64, now: Int64) -> String {
        let sixMonths: Int64 = 365 / 2 * 86400
        var tt = time_t(t)
        var tmv = tm()
        gmtime_r(&tt, &tmv)
        let day = tmv.tm_mday < 10 ? " \(tmv.tm_mday)" : "\(tmv.tm_mday)"
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let mon = months[Int(tmv.tm_mon)]
        if t + sixMonths > now && t - sixMonths < now {
            return "\(mon) \(day) \(two(tmv.tm_hour)):\(two(tmv.tm_min))"
        }
        return "\(mon) \(day)  \(tmv.tm_year + 1900)"
    }

    /// One `ls -l` row per entry, columns as wide as the widest value (NetBSD's printlong).
    public static func longListing(_ items: [(name: String, stat: FileStat, linkTarget: String?)], now: Int64) -> [String] {
        let linkW = items.map { String($0.stat.links).count }.max() ?? 1
        let userW = items.map { String($0.stat.uid).count }.max() ?? 1
        let groupW = items.map { String($0.stat.gid).count }.max() ?? 1
        let sizeW = items.map { String($0.stat.size).count }.max() ?? 1
        func pad(_ s: String, _ w: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, w - s.count))
            return left ? s + fill : fill + s
        }
        return items.map { i in
            var line = modeString(i.stat.mode) + " " + pad(String(i.stat.links), linkW) + " "
            line += pad(String(i.stat.uid), userW, left: true) + "  " + pad(String(i.stat.gid), groupW, left: true) + "  "
            line += pad(String(i.stat.size), sizeW) + " " + lsTime(i.stat.modificationTime.seconds, now: now) + " " + i.name
            if let t = i.linkTarget { line += " -> " + t }
            return line
        }
    }

    /// ls -F's mark: / directories, @ links, * executables, = sockets, | fifos.
    public static func typeMark(_ mode: UInt32) -> String {
        switch mode & FileMode.typeMask {
        case FileMode.directory: return "/"
        case FileMode.symbolicLink: return "@"
        case FileMode.socket: return "="
        case FileMode.fifo: return "|"
        default: return mode & 0o111 != 0 ? "*" : ""
        }
    }

    /// mount(8)'s line: "tmpfs on /tmp type tmpfs (local)".
    public static func mountLine(_ f: FileSystemStat) -> String {
        var flags: [String] = []
        if f.flags & FileSystemStat.flagReadOnly != 0 { flags.append("read-only") }
        if f.flags & FileSystemStat.flagLocal != 0 { flags.append("local") }
        return "\(f.mountedFrom) on \(f.mountedOn) type \(f.typeName)" + (flags.isEmpty ? "" : " (\(flags.joined(separator: ", ")))")
    }

    /// dd(1)'s summary: records in/out (full+partial) and the byte rate over whole milliseconds.
    public static func ddSummary(fullIn: UInt64, partialIn: UInt64, fullOut: UInt64, partialOut: UInt64,
                                 bytes: UInt64, milliseconds: UInt64) -> String {
        let rate = milliseconds == 0 ? bytes : bytes * 1000 / milliseconds
        return "\(fullIn)+\(partialIn) records in\n\(fullOut)+\(partialOut) records out\n"
            + "\(bytes) bytes transferred in \(milliseconds / 1000).\(pad3(milliseconds % 1000)) secs (\(rate) bytes/sec)\n"
    }
    static func pad3(_ v: UInt64) -> String { let s = String(v); return String(repeating: "0", count: 3 - s.count) + s }

    /// df(1)'s table in 512-byte blocks (or 1K with -k).
    public static func dfTable(_ l: [FileSystemStat], kilobytes: Bool) -> String {
        let header = kilobytes ? "1K-blocks" : "512-blocks"
        let unit: UInt64 = kilobytes ? 1024 : 512
        let w = max(header.count, 10)
        let nameW = max("Filesystem".count, l.map(\.mountedFrom.count).max() ?? 0)
        func r(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }
        func lft(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        var out = "\(lft("Filesystem", nameW)) \(r(header, w)) \(r("Used", w)) \(r("Avail", w)) %Cap Mounted on\n"
        for f in l {
            let total = f.blocks * f.fragmentSize / unit, free = f.blocksFree * f.fragmentSize / unit
            let avail = f.blocksAvailable * f.fragmentSize / unit, used = total - min(total, free)
            let cap = used + avail == 0 ? 100 : (used * 100 + (used + avail) - 1) / (used + avail)
            out += "\(lft(f.mountedFrom, nameW)) \(r(String(total), w)) \(r(String(used), w)) \(r(String(avail), w)) \(r(String(cap), 3))% \(f.mountedOn)\n"
        }
        return out
    }
}
