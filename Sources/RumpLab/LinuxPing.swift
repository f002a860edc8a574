#if canImport(Glibc)
import Glibc
#endif

/// A check from a linux node: Linux's own ping (iputils) run inside the node's namespace
/// with `ip netns exec`, its summary read back. Started at once, waited for after the
/// kernels' echo sessions, so all of a lab's checks still run together.
public final class LinuxPing {
    let pid: pid_t
    let output: String

    public init(namespace: String, target: IPv4Address, count: Int, timeout: Int, output: String) throws(LabError) {
        guard let ip = HostCommand.find("ip") else { throw LabError("no `ip` command (install iproute2)") }
        guard let ping = HostCommand.find("ping") else { throw LabError("no `ping` command for a linux node's check (install iputils-ping)") }
        unlink(output)
        // -i 0.1 as the kernels' checks; -c with -W (not -w, with which Linux's ping sends until
        // COUNT replies come): exactly COUNT requests, a reply waited for at most TIMEOUT s;
        // -n: no name lookups.
        pid = try HostProcess.spawnDetached(ip, ["netns", "exec", namespace, ping, "-n", "-q", "-i", "0.1", "-c", String(count),
                                                 "-W", String(timeout), target.description], log: output)
        self.output = output
    }

    /// Waits for ping and reads "N packets transmitted, M received" and the rtt line.
    public func wait() -> Result<EchoSession.Result, LabError> {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: HostProcessInfo.readSmallFile(output) ?? [], as: UTF8.self)
        unlink(output)
        guard let line = text.split(separator: "\n").first(where: { $0.contains("packets transmitted") }) else {
            return .failure(LabError("ping: \(text.trimmingCharacters(in: " \n"))"))
        }
        let numbers = line.split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Int($0) }
        guard numbers.count >= 2 else { return .failure(LabError("ping: unreadable summary \"\(line)\"")) }
        var rtts: [Double] = []
        // "rtt min/avg/max/mdev = 0.045/0.051/0.060/0.006 ms": the average stands for each reply.
        if let r = text.split(separator: "\n").first(where: { $0.hasPrefix("rtt") }), let eq = r.firstIndex(of: "=") {
            let v = r[r.index(after: eq)...].split(separator: "/").compactMap { Double(String($0).trimmingCharacters(in: " ms")) }
            if v.count >= 2 { rtts = Array(repeating: v[1], count: numbers[1]) }
        }
        return .success(EchoSession.Result(sent: numbers[0], received: numbers[1], rtts: rtts))
    }
}
