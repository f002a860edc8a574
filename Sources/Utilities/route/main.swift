// route(8) against a rump kernel (RTM_* messages become protocol requests).
import NetAdmin
import RumpProtocol
import UtilitySupport

let kernel = Remote(program: "route")

struct Route {
    let kernel: Remote

    func run(_ args: [String]) -> ToolOutput {
        let cmd: RouteCommand
        switch RouteCommand.parse(args) {
        case .exit(let o): return o
        case .run(let c): cmd = c
        }
        switch cmd {
        case .show(let o, let fam):
            switch kernel.routes(family: fam?.rawValue ?? 0) {
            case .success(let l): return RouteFormat.show(l, options: o, family: fam)
            case .failure(let e): return .errx("route", "sysctl: \(e.strerror)")
            }
        case .monitor:
            return .success  // the kernel sends no routing messages to watch
        case .flush(let o, let fam):
            switch kernel.call(.routeFlush(family: fam?.rawValue ?? 0)) {
            case .success(.routes(let gone)): return RouteFormat.flush(Convert.routes(gone), options: o)
            case .success: return .success
            case .failure(let e): return .errx("route", "sysctl: \(e.strerror)")
            }
        case .get(let o, let a):
            let r: RouteEntry
            switch kernel.call(.routeGet(destination: SocketAddress.inet(a))) {
            case .success(.routes(let l)) where !l.isEmpty: r = l[0]
            case .failure(let e): return RouteFormat.socketError(e)
            case .success: return RouteFormat.socketError(.ESRCH)
            }
            let reply = Convert.routeGet(r, asked: a)
            guard o.verbose else { return RouteFormat.get(reply) }
            let ifp = reply.interface.flatMap { try? kernel.interface($0).get() }
            return RouteFormat.getVerbose(reply, ifp: ifp.map { .link(index: $0.index, name: $0.name, address: $0.linkAddress ?? []) })
        case .add(let o, let req):
            return RouteFormat.change("add", req, options: o, error: kernel.perform(.routeAdd(Convert.routeEntry(req))))
        case .change(let o, let req):
            return RouteFormat.change("change", req, options: o, error: kernel.perform(.routeChange(Convert.routeEntry(req))))
        case .delete(let o, let req):
            let e = kernel.perform(.routeDelete(destination: SocketAddress.inet(req.destination), netmask: req.netmask.map { SocketAddress.inet($0) }))
            return RouteFormat.change("delete", req, options: o, error: e)
        }
    }
}

emit(Route(kernel: kernel).run(utilityArguments))
