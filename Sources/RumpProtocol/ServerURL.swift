/// A rump server address as NetBSD's `parseurl` (lib/librumpuser/sp_common.c) understands
/// it: `unix://path` (relative paths are made absolute with the cwd) or
/// `tcp://a.b.c.d:port[/]`. Shared by the server (which may use a wildcard address) and
/// the client (which may not).
public enum ServerURL: Hashable, Sendable, CustomStringConvertible {
    case unix(path: String)
    /// IPv4 address as four bytes (network order) and the port.
    case tcp(address: [UInt8], port: UInt16)

    public var description: String {
        switch self {
        case .unix(let p): return "unix://\(p)"
        case .tcp(let a, let p): return "tcp://\(a.map(String.init).joined(separator: ".")):\(p)"
        }
    }

    /// Why parsing failed: the errno NetBSD returns and the lines it prints on stderr first.
    public struct ParseError: Error, Hashable, Sendable {
        public var errno: NetBSDErrno
        public var messages: [String]
    }

    /// Size of `sun_path` on Linux; NetBSD's check is `strlen(path) >= sizeof(sun_path)`.
    public static let sunPathSize = 108

    public static func parse(_ url: String, allowWildcard: Bool, cwd: String?) -> Result<ServerURL, ParseError> {
        let u = Array(url.utf8)
        var sepAt: Int? = nil
        if u.count >= 3 {
            for i in 0...(u.count - 3) where u[i] == 0x3a && u[i + 1] == 0x2f && u[i + 2] == 0x2f { sepAt = i; break }
        }
        guard let sep = sepAt else {
            return .failure(ParseError(errno: .EINVAL, messages: ["rump_sp: invalid locator ``\(url)''"]))
        }
        let id = String(decoding: u[0..<sep], as: UTF8.self)
        guard id.utf8.count <= 15 else {
            return .failure(ParseError(errno: .EINVAL, messages: ["rump_sp: identifier too long in ``\(url)''"]))
        }
        let rest = String(decoding: u[(sep + 3)...], as: UTF8.self)
        switch id {
        case "unix": return parseUnix(rest, cwd: cwd)
        case "tcp": return parseTCP(rest, allowWildcard: allowWildcard)
        case "tcp6":
            return .failure(ParseError(errno: .EOPNOTSUPP, messages: ["rump_sp_tcp6: support not yet implemented"]))
        default:
            return .failure(ParseError(errno: .EINVAL, messages: ["rump_sp: invalid identifier ``\(url)''"]))
        }
    }

    static func parseUnix(_ addr: String, cwd: String?) -> Result<ServerURL, ParseError> {
        guard addr.utf8.count < sunPathSize else { return .failure(ParseError(errno: .ENAMETOOLONG, messages: [])) }
        var path = addr
        if !addr.hasPrefix("/") {
            if let cwd {
                guard addr.utf8.count + cwd.utf8.count + 1 < sunPathSize else {
                    return .failure(ParseError(errno: .ENAMETOOLONG, messages: []))
                }
                path = cwd + "/" + addr
            }
        }
        return .success(.unix(path: path))
    }

    static func parseTCP(_ addr: String, allowWildcard: Bool) -> Result<ServerURL, ParseError> {
        guard let colon = addr.firstIndex(of: ":") else {
            return .failure(ParseError(errno: .EINVAL, messages: ["rump_sp_tcp: missing port specifier"]))
        }
        let host = String(addr[addr.startIndex..<colon])
        guard host.utf8.count <= 63 else {
            return .failure(ParseError(errno: .EINVAL, messages: ["rump_sp_tcp: address too long"]))
        }
        var bytes: [UInt8] = [0, 0, 0, 0]
        if host == "*" || host == "0" {
            // INADDR_ANY, NetBSD's special case for servers.
        } else if let b = parseIPv4(host) {
            bytes = b
        } else {
            return .failure(ParseError(errno: .EINVAL, messages: ["rump_sp_tcp: cannot parse \(host)"]))
        }
        if !allowWildcard && bytes == [0, 0, 0, 0] {
            return .failure(ParseError(errno: .EINVAL, messages: ["rump_sp_tcp: client needs !INADDR_ANY"]))
        }
        let after = addr[addr.index(after: colon)...]
        let digits = after.prefix { $0 >= "0" && $0 <= "9" }
        guard !digits.isEmpty else {
            // NetBSD's message really says "now found".
            return .failure(ParseError(errno: .EINVAL, messages: ["rump_sp_tcp: port now found: \(after)"]))
        }
        let tail = after.dropFirst(digits.count)
        if !(tail.isEmpty || tail.first == "/") {
            return .failure(ParseError(errno: .EINVAL, messages: ["rump_sp_tcp: junk at end of port: \(addr)"]))
        }
        // atoi semantics: huge digit strings are out of range rather than a crash.
        guard digits.count <= 9, let port = Int(digits), port < 65536 else {
            let shown = digits.count <= 9 ? String(digits) : "-1"
            return .failure(ParseError(errno: .ERANGE, messages: ["rump_sp_tcp: port \(shown) out of range"]))
        }
        return .success(.tcp(address: bytes, port: UInt16(port)))
    }

    /// inet_pton(AF_INET): exactly four decimal parts 0...255, no leading zeros.
    public static func parseIPv4(_ s: String) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
            if p.count > 1 && p.first == "0" { return nil }
            guard let v = Int(p), v <= 255 else { return nil }
            out.append(UInt8(v))
        }
        return out
    }
}
