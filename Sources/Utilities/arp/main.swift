// arp(8) against a rump kernel.
#if canImport(Glibc)
import Glibc
#endif
import NetAdmin
import RumpProtocol
import UtilitySupport

let kernel = Remote(program: "arp")

struct Arp {
    let kernel: Remote

    func run(_ args: [String]) -> ToolOutput {
        let cmd: ArpCommand
        switch ArpCommand.parse(args) {
        case .exit(let o): return o
        case .run(let c): cmd = c
        }
        switch cmd {
        case .showAll:
            switch kernel.arpEntries() {
            case .success(let l): return ArpFormat.all(l)
            case .failure(let e): return .errx("arp", "sysctl: \(e.strerror)")
            }
        case .show(let a, let text, _):
            let l = (try? kernel.arpEntries().get()) ?? []
            return ArpFormat.show(l.first { $0.address == a }, address: a, hostText: text)
        case .delete(let a, _):
            return kernel.perform(.arpDelete(address: SocketAddress.inet(a))).map(ArpFormat.deleteFailed) ?? .success
        case .deleteAll:
            var out = ToolOutput()
            for e in (try? kernel.arpEntries().get()) ?? [] {
                if let err = kernel.perform(.arpDelete(address: SocketAddress.inet(e.address))) { out.append(ArpFormat.deleteFailed(err)) }
            }
            return out
        case .set(let req):
            return set(req)
        case .file(let path):
            guard let text = readFile(path) else { return .errx("arp", "cannot open \(path): No such file or directory") }
            // Each line holds what follows `arp -s`.
            var out = ToolOutput()
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard !words.isEmpty else { continue }
                switch ArpCommand.parse(["-s"] + words) {
                case .exit(let o): out.append(o)
                case .run(.set(let req)): out.append(set(req))
                case .run: break
                }
            }
            return out
        }
    }

    func set(_ req: ArpSetRequest) -> ToolOutput {
        kernel.perform(.arpSet(req.entry)).map { ArpFormat.setFailed(hostText: req.hostText, $0) } ?? .success
    }

    func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            bytes += buf[0..<n]
            if bytes.count > 1 << 20 { break }  // an arp file is small; do not slurp anything huge
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

emit(Arp(kernel: kernel).run(utilityArguments))
