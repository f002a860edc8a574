// ifconfig(8) against a rump kernel: NetAdmin parses and formats, UtilitySupport converts,
// the kernel answers through RUMP_SERVER.
import NetAdmin
import RumpProtocol
import UtilitySupport

// rumpctrl's tools connect before main runs, so a missing server wins over bad arguments.
let kernel = Remote(program: "ifconfig")

struct Ifconfig {
    let kernel: Remote

    func run(_ args: [String]) -> ToolOutput {
        let cmd: IfconfigCommand
        switch IfconfigCommand.parse(args) {
        case .exit(let o): return o
        case .run(let c): cmd = c
        }
        switch cmd {
        case .noArguments:
            return IfconfigFormat.noArguments
        case .listCloners:
            guard case .success(.names(let l)) = kernel.call(.ifListCloners) else { return IfconfigFormat.noArguments }
            return IfconfigFormat.cloners(l)
        case .listNames(let up, let down):
            switch kernel.interfaces() {
            case .success(let l): return IfconfigFormat.names(l, upOnly: up, downOnly: down)
            case .failure(let e): return .errx("ifconfig", "getifaddrs: \(e.strerror)")
            }
        case .waitDAD:
            return .success  // IPv4 addresses are never tentative here: nothing to wait for
        case .statusAll(let o, let fam):
            guard kernel.hasInet else { return IfconfigFormat.socketFailed(.status) }
            switch kernel.interfaces() {
            case .success(let l): return IfconfigFormat.statusAll(l, options: o, family: fam)
            case .failure(let e): return .errx("ifconfig", "getifaddrs: \(e.strerror)")
            }
        case .status(let name, let o, let fam):
            guard kernel.hasInet else { return IfconfigFormat.socketFailed(.status) }
            switch kernel.interface(name) {
            case .success(let i): return IfconfigFormat.show(i, options: o, family: fam)
            case .failure(let e): return IfconfigFormat.statusFailed(name, e)
            }
        case .linkStatus(let name):
            switch kernel.interface(name) {
            case .success(let i): return IfconfigFormat.linkStatus(i)
            case .failure(let e): return IfconfigFormat.statusFailed(name, e)
            }
        case .configure(let name, let fam, let ops):
            // ifconfig opens a socket of the address family first (getsock).
            if fam == .inet6 && !kernel.hasInet6 { return IfconfigFormat.socketFailed(.address) }
            if !kernel.hasInet {
                let setsAddress = ops.contains { if case .setAddress = $0 { return true }; return false }
                return IfconfigFormat.socketFailed(setsAddress ? .address : .other)
            }
            var out = ToolOutput()
            for op in ops {
                guard let e = apply(op, name) else { continue }
                let isClone = op == .create || op == .destroy
                let exists = (try? kernel.interface(name).get()) != nil
                out.append(!exists && !isClone ? IfconfigFormat.noSuchInterface(e) : IfconfigFormat.operationFailed(op, e))
                if out.status != 0 { return out }
            }
            return out
        }
    }

    /// One operation as a kernel request; the errno when the kernel refuses it.
    func apply(_ op: IfconfigOperation, _ name: String) -> NetBSDErrno? {
        switch op {
        case .create: return kernel.perform(.ifCreate(name: name))
        case .destroy: return kernel.perform(.ifDestroy(name: name))
        case .up: return kernel.perform(.ifSetFlags(name: name, set: IFF.UP, clear: 0))
        case .down: return kernel.perform(.ifSetFlags(name: name, set: 0, clear: IFF.UP))
        case .setFlags(let f): return kernel.perform(.ifSetFlags(name: name, set: f, clear: 0))
        case .clearFlags(let f): return kernel.perform(.ifSetFlags(name: name, set: 0, clear: f))
        case .mtu(let m):
            guard let v = UInt32(exactly: m) else { return .EINVAL }
            return kernel.perform(.ifSetMTU(name: name, mtu: v))
        case .metric:
            return .EOPNOTSUPP  // the stack keeps no interface metric
        case .linkstr(let s): return kernel.perform(.ifSetLinkstr(name: name, linkstr: s))
        case .deleteLinkstr: return kernel.perform(.ifSetLinkstr(name: name, linkstr: nil))
        case .setAddress(let a, let mask, let bcast, let alias):
            // No mask: NetBSD's in_ifinit picks the classful one; the kernel does that for 0.
            let ia = InterfaceAddress(address: SocketAddress.inet(a), netmask: SocketAddress.inet(mask ?? .any),
                                      broadcast: bcast.map { SocketAddress.inet($0) })
            return kernel.perform(.ifAddAddress(name: name, address: ia, alias: alias))
        case .deleteAddress(let a):
            return kernel.perform(.ifDeleteAddress(name: name, address: SocketAddress.inet(a)))
        case .setAddress6, .deleteAddress6:
            return .EAFNOSUPPORT
        }
    }
}

emit(Ifconfig(kernel: kernel).run(utilityArguments))
