// A utility's connection to its kernel, and the last step of every main: write a ToolOutput.
#if canImport(Glibc)
import Glibc
#endif
import NetAdmin
import RumpClient
import RumpProtocol
import ToolSupport

/// The kernel named by RUMP_SERVER, as the utilities use it: calls answer a reply or the
/// NetBSD errno NetAdmin's formatters print.
public final class Remote {
    public let client: RumpClient

    /// Connects or exits as every rumpctrl tool does ("rumpclient init failed").
    public init(program: String) {
        client = RumpClient.initOrExit(clientName: program)
    }

    public var components: Set<String> { Set(client.server.components) }
    /// AF_INET sockets exist only with rumpnet_netinet (NetBSD's socket(2) gives EAFNOSUPPORT).
    public var hasInet: Bool { components.contains("rumpnet_netinet") }
    public var hasInet6: Bool { components.contains("rumpnet_netinet6") }

    public func call(_ request: Request) -> Result<Reply, NetBSDErrno> {
        do {
            return .success(try client.call(request))
        } catch {
            return .failure(error.errno)
        }
    }

    /// Two requests in one write (see RumpClient.callPair).
    public func callPair(_ first: Request, _ second: Request) -> (Result<Reply, NetBSDErrno>, Result<Reply, NetBSDErrno>) {
        let (a, b) = client.callPair(first, second)
        return (a.mapError { $0.errno }, b.mapError { $0.errno })
    }

    /// A call whose reply carries nothing: nil on success, else the errno.
    public func perform(_ request: Request) -> NetBSDErrno? {
        if case .failure(let e) = call(request) { return e }
        return nil
    }

    public func interfaces() -> Result<[NetAdmin.InterfaceInfo], NetBSDErrno> {
        call(.ifList).flatMap { r in
            guard case .interfaces(let l) = r else { return .failure(.EINVAL) }
            return .success(l.map(Convert.interface))
        }
    }

    public func interface(_ name: String) -> Result<NetAdmin.InterfaceInfo, NetBSDErrno> {
        call(.ifGet(name: name)).flatMap { r in
            guard case .interfaces(let l) = r, let i = l.first else { return .failure(.ENXIO) }
            return .success(Convert.interface(i))
        }
    }

    public func routes(family: UInt8 = 0) -> Result<[RouteInfo], NetBSDErrno> {
        call(.routeList(family: family)).flatMap { r in
            guard case .routes(let l) = r else { return .failure(.EINVAL) }
            return .success(Convert.routes(l))
        }
    }

    public func arpEntries() -> Result<[ArpInfo], NetBSDErrno> {
        call(.arpList).flatMap { r in
            guard case .arp(let l) = r else { return .failure(.EINVAL) }
            return .success(l)
        }
    }
}

/// Writes a finished run's text and exits with its status.
public func emit(_ out: ToolOutput) -> Never {
    if !out.stdout.isEmpty { OutputStream.standardOutput.write(out.stdout) }
    OutputStream.standardOutput.flush()
    if !out.stderr.isEmpty { OutputStream.standardError.write(out.stderr) }
    exitTool(out.status)
}

/// The utility's arguments without argv[0].
public var utilityArguments: [String] { Array(CommandLine.arguments.dropFirst()) }
