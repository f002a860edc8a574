#if canImport(Glibc)
import Glibc
#endif
import RumpProtocol

/// The kernel's own sysctl nodes (kern.*, hw.*, user.*, proc.*, security.*), with the names,
/// order and values of a NetBSD 7.99.34 rump kernel (vectors/netbsd-tools/b-sysctl-a-full.txt).
/// The stack adds net.* through `SysctlProvider`/`NetworkStack.attach`.
extension Kernel {
    static let osrelease = "7.99.34"
    static let osrevision: Int32 = 799_003_400
    public static let kernelVersion = "NetBSD \(osrelease) (RUMP-ROAST)\n"

    /// Constant leaves, in NetBSD's order. Types: int unless noted by the overrides below.
    static let staticNodes = """
    kern.ostype = NetBSD
    kern.osrelease = 7.99.34
    kern.osrevision = 799003400
    kern.version = -
    kern.hostname = -
    kern.clockrate = -
    kern.domainname = -
    kern.rawpartition = 3
    kern.msgbufsize = 16352
    kern.mbuf.msize = 512
    kern.mbuf.mclbytes = 2048
    kern.mbuf.nmbclusters = 16384
    kern.mbuf.mblowat = 16
    kern.mbuf.mcllowat = 8
    kern.pipe.maxkvasz = 8388608
    kern.pipe.maxloankvasz = 16777216
    kern.pipe.maxbigpipes = 32
    kern.pipe.nbigpipes = 0
    kern.pipe.kvasize = 0
    kern.sbmax = 262144
    kern.urandom = -
    kern.somaxkva = 16777216
    kern.hardclock_ticks = -
    kern.arandom = -
    kern.timecounter.choice = clockinterrupt(q=0, f=100 Hz) dummy(q=-1000000, f=1000000 Hz)
    kern.timecounter.hardware = clockinterrupt
    kern.timecounter.timestepwarnings = 0
    kern.direct_select = 0
    kern.uidinfo.proccnt = 3
    kern.uidinfo.lwpcnt = 18
    kern.uidinfo.lockcnt = 0
    kern.uidinfo.sbsize = 0
    kern.module.autoload = 0
    kern.module.verbose = 0
    kern.module.path = /stand/amd64/7.99.34/modules
    kern.module.autotime = 10
    kern.posix.semmax = 128
    kern.posix.semcnt = 0
    kern.boottime = -
    hw.machine = -
    hw.model = rumpcore (virtual)
    hw.ncpu = -
    hw.byteorder = 1234
    hw.physmem = -
    hw.pagesize = -
    hw.machine_arch = -
    hw.alignbytes = 7
    hw.physmem64 = -
    hw.ncpuonline = -
    user.cs_path = /usr/bin:/bin:/usr/sbin:/sbin:/usr/pkg/bin:/usr/pkg/sbin:/usr/local/bin:/usr/local/sbin
    user.bc_base_max = 2147483647
    user.bc_dim_max = 65535
    user.bc_scale_max = 2147483647
    user.bc_string_max = 2147483647
    user.coll_weights_max = 2
    user.expr_nest_max = 32
    user.line_max = 2048
    user.re_dup_max = 255
    user.posix2_version = 200112
    user.posix2_c_bind = 1
    user.posix2_c_dev = 0
    user.posix2_char_term = 0
    user.posix2_fort_dev = 0
    user.posix2_fort_run = 0
    user.posix2_localedef = 0
    user.posix2_sw_dev = 0
    user.posix2_upe = 0
    user.stream_max = 20
    user.tzname_max = 511
    user.atexit_max = -1
    proc.curproc.corename = rumpdump
    proc.curproc.rlimit.cputime.soft = unlimited
    proc.curproc.rlimit.cputime.hard = unlimited
    proc.curproc.rlimit.filesize.soft = unlimited
    proc.curproc.rlimit.filesize.hard = unlimited
    proc.curproc.rlimit.datasize.soft = unlimited
    proc.curproc.rlimit.datasize.hard = unlimited
    proc.curproc.rlimit.stacksize.soft = 4194304
    proc.curproc.rlimit.stacksize.hard = 134217728
    proc.curproc.rlimit.coredumpsize.soft = unlimited
    proc.curproc.rlimit.coredumpsize.hard = unlimited
    proc.curproc.rlimit.memoryuse.soft = unlimited
    proc.curproc.rlimit.memoryuse.hard = unlimited
    proc.curproc.rlimit.memorylocked.soft = 178956970
    proc.curproc.rlimit.memorylocked.hard = 536870912
    proc.curproc.rlimit.maxproc.soft = 160
    proc.curproc.rlimit.maxproc.hard = 532
    proc.curproc.rlimit.descriptors.soft = 128
    proc.curproc.rlimit.descriptors.hard = 1772
    proc.curproc.rlimit.sbsize.soft = unlimited
    proc.curproc.rlimit.sbsize.hard = unlimited
    proc.curproc.rlimit.vmemoryuse.soft = unlimited
    proc.curproc.rlimit.vmemoryuse.hard = unlimited
    proc.curproc.rlimit.maxlwp.soft = 160
    proc.curproc.rlimit.maxlwp.hard = 2048
    proc.curproc.stopfork = 0
    proc.curproc.stopexec = 0
    proc.curproc.stopexit = 0
    security.models.suser.name = Traditional NetBSD: Superuser
    """

    /// NetBSD's names for the host machine: hw.machine and hw.machine_arch.
    static func machineNames() -> (String, String) {
        var u = utsname()
        uname(&u)
        let m = withUnsafeBytes(of: &u.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        switch m {
        case "x86_64": return ("amd64", "x86_64")
        case "aarch64": return ("evbarm", "aarch64")
        case "i686", "i386": return ("i386", "i386")
        default: return (m, m)
        }
    }

    /// `staticNodes` parsed, once per process (a kernel host boots a thousand kernels).
    static let staticLeaves: [(name: String, value: SysctlValue)] = staticNodes.split(separator: "\n").compactMap { line in
        guard let eq = line.firstIndex(of: "=") else { return nil }
        let name = line[..<eq].trimmingSuffixSpaces()
        var value = String(line[line.index(after: eq)...])
        if value.hasPrefix(" ") { value.removeFirst() }
        return (name, Int32(value).map { .int($0) } ?? .string(value))
    }

    func registerSysctl() {
        for (name, v) in Self.staticLeaves { sysctl.add(name, .constant(v)) }
        let (machine, arch) = Self.machineNames()
        sysctl.add("kern.version", .constant(.string(Self.kernelVersion)))
        sysctl.add("kern.hostname", SysctlLeaf(kind: .string, get: { [unowned self] in .string(self.hostname) }, set: { [unowned self] (v: SysctlValue) throws(KernelError) in
            guard case .string(let s) = v, s.utf8.count < 256 else { throw KernelError(.EINVAL) }
            self.hostname = s
        }))
        sysctl.add("kern.domainname", SysctlLeaf(kind: .string, get: { [unowned self] in .string(self.domainname) }, set: { [unowned self] (v: SysctlValue) throws(KernelError) in
            guard case .string(let s) = v, s.utf8.count < 256 else { throw KernelError(.EINVAL) }
            self.domainname = s
        }))
        sysctl.add("kern.clockrate", .constant(.structure("tick = 10000, tickadj = 40, hz = 100, profhz = 1, stathz = 1")))
        sysctl.add("kern.urandom", SysctlLeaf(kind: .int, get: { .int(Int32.random(in: .min ... .max)) }))
        sysctl.add("kern.arandom", SysctlLeaf(kind: .int, get: { .int(Int32.random(in: .min ... .max)) }))
        sysctl.add("kern.hardclock_ticks", SysctlLeaf(kind: .int, get: { [unowned self] in
            .int(Int32(truncatingIfNeeded: (self.loop.currentTime - self.bootMonotonic) / 10_000_000))
        }))
        // A rump kernel has no kern.boottime in `sysctl -a` (init_sysctl.c is not part of it);
        // ours answers by name only, so listings still match NetBSD's.
        sysctl.add("kern.boottime", SysctlLeaf(kind: .string, hidden: true, get: { [unowned self] in
            .string(Self.ctime(self.bootWallClock))
        }))
        sysctl.add("kern.module.path", .constant(.string("/stand/\(machine)/\(Self.osrelease)/modules")))
        sysctl.add("hw.machine", .constant(.string(machine)))
        sysctl.add("hw.machine_arch", .constant(.string(arch)))
        sysctl.add("hw.ncpu", .constant(.int(Int32(configuration.ncpu))))
        sysctl.add("hw.ncpuonline", .constant(.int(Int32(configuration.ncpu))))
        sysctl.add("hw.physmem", .constant(.int(Int32(truncatingIfNeeded: min(configuration.physmem, Int64(Int32.max))))))
        sysctl.add("hw.physmem64", .constant(.quad(configuration.physmem)))
        sysctl.add("hw.pagesize", .constant(.int(Int32(sysconf(Int32(_SC_PAGESIZE))))))
    }

    /// ctime(3) without the newline: "Sun Nov 29 17:47:43 2026".
    static func ctime(_ t: Int) -> String {
        var tt = time_t(t)
        var buf = [CChar](repeating: 0, count: 32)
        guard ctime_r(&tt, &buf) != nil else { return String(t) }
        return String(decoding: buf.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension Substring {
    func trimmingSuffixSpaces() -> String {
        var s = self
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
