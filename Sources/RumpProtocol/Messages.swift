/// Protocol versions this build speaks (docs/PROTOCOL.md). A peer picks the highest common one.
public enum ProtocolVersion {
    public static let minimum: UInt16 = 1
    /// 2 added fcntl and recvmsg (with the `message` and `value` replies); a version-1 peer
    /// never sends nor receives them, so both versions are served.
    public static let maximum: UInt16 = 2
    /// "RMPS" little-endian: the first field of both hellos, so a stray peer is recognised at once.
    public static let magic: UInt32 = 0x5350_4D52
}

/// Message types: the first byte of every frame body.
public enum MessageType: UInt8, Sendable {
    case clientHello = 1
    case serverHello = 2
    case request = 3
    case response = 4
}

/// One code per operation (u16 on the wire). Grouped by hundreds of hex: sockets 0x01..,
/// interfaces 0x20.., routes 0x30.., ARP 0x40.., sysctl 0x50.., kernel 0x60.., statistics 0x70...
public enum Opcode: UInt16, Sendable, CaseIterable {
    case socket = 0x01, bind, connect, listen, accept, send, sendto, recv, recvfrom, shutdown, close
    case setsockopt, getsockopt, poll, getsockname, getpeername
    /// Version 2.
    case fcntl, recvmsg
    case ifCreate = 0x20, ifDestroy, ifList, ifGet, ifSetFlags, ifAddAddress, ifDeleteAddress, ifSetMTU, ifSetLinkstr, ifListCloners
    case routeAdd = 0x30, routeDelete, routeGet, routeList, routeFlush, routeChange
    case arpList = 0x40, arpSet, arpDelete
    case sysctlGet = 0x50, sysctlSet, sysctlList
    case halt = 0x60
    case statistics = 0x70
    case socketList = 0x71
    /// Link impairments (netem's model inside the kernel): 0x7A...
    case ifSetImpairment = 0x7A, ifGetImpairment, ifImpairmentCounters, ifSetLinkState
    /// Per-interface capture (bpf(4)'s model, CaptureMessages.swift): 0x7E...
    case ifCaptureOpen = 0x7E, ifCaptureRead
    // File-system calls (FileMessages.swift): a kernel with rumpvfs answers them.
    case fileOpen = 0x80, fileRead, fileWrite, fileLseek, fileStat, fileLstat, fileFstat, fileGetdents
    case fileMkdir, fileRmdir, fileUnlink, fileRename, fileSymlink, fileReadlink, fileChmod, fileChown, fileUtimes
    case fileMount, fileUnmount, fileGetvfsstat, fileStatvfs
}

/// Timeouts are milliseconds: -1 waits for ever, 0 does not wait (EAGAIN at once).
public enum Request: Hashable, Sendable {
    case socket(domain: Int32, type: Int32, protocol: Int32)
    case bind(fd: Int32, address: SocketAddress)
    case connect(fd: Int32, address: SocketAddress, timeout: Int32)
    case listen(fd: Int32, backlog: Int32)
    case accept(fd: Int32, timeout: Int32)
    case send(fd: Int32, data: [UInt8], flags: Int32, timeout: Int32)
    case sendto(fd: Int32, data: [UInt8], flags: Int32, address: SocketAddress, timeout: Int32)
    case recv(fd: Int32, maxLength: UInt32, flags: Int32, timeout: Int32)
    case recvfrom(fd: Int32, maxLength: UInt32, flags: Int32, timeout: Int32)
    case shutdown(fd: Int32, how: Int32)
    case close(fd: Int32)
    case setsockopt(fd: Int32, level: Int32, name: Int32, value: [UInt8])
    case getsockopt(fd: Int32, level: Int32, name: Int32, maxLength: UInt32)
    case poll(items: [PollItem], timeout: Int32)
    case getsockname(fd: Int32)
    case getpeername(fd: Int32)
    /// fcntl(2): F_GETFL/F_SETFL (O_NONBLOCK), F_GETFD/F_SETFD (reply: value). Version 2.
    case fcntl(fd: Int32, command: Int32, argument: Int32)
    /// recvmsg(2) without control data: reply `message` with msg_flags (MSG_TRUNC). Version 2.
    case recvmsg(fd: Int32, maxLength: UInt32, flags: Int32, timeout: Int32)

    case ifCreate(name: String)
    case ifDestroy(name: String)
    case ifList
    case ifGet(name: String)
    case ifSetFlags(name: String, set: UInt32, clear: UInt32)
    case ifAddAddress(name: String, address: InterfaceAddress, alias: Bool)
    case ifDeleteAddress(name: String, address: SocketAddress)
    case ifSetMTU(name: String, mtu: UInt32)
    /// nil removes the linkstr (`ifconfig shmif0 -linkstr`).
    case ifSetLinkstr(name: String, linkstr: String?)
    case ifListCloners

    case routeAdd(RouteEntry)
    case routeDelete(destination: SocketAddress, netmask: SocketAddress?)
    case routeGet(destination: SocketAddress)
    case routeList(family: UInt8)
    case routeFlush(family: UInt8)
    case routeChange(RouteEntry)

    case arpList
    case arpSet(ArpInfo)
    case arpDelete(address: SocketAddress)

    case sysctlGet(name: String)
    /// The server parses `value` by the node's type, as NetBSD's sysctl(8) does for the user.
    case sysctlSet(name: String, value: String)
    /// Every leaf under `prefix` in tree order ("" = all, as `sysctl -a`).
    case sysctlList(prefix: String)

    case halt(flags: Int32)

    /// Protocol counters for `netstat -s` / `-rs` (reply: counters).
    case statistics
    /// The TCP and UDP control blocks `netstat -a` lists (reply: sockets).
    case socketList
    /// Sets interface `name`'s impairment from netem's words (`delay 20ms loss random 1%`);
    /// nil clears it.
    case ifSetImpairment(name: String, words: [String]?)
    /// The impairment in force, as netem's words (names: one string, or none).
    case ifGetImpairment(name: String)
    /// The impairment's counters, `egress.dropped`, `ingress.delayed`, ...
    case ifImpairmentCounters(name: String)
    /// `link NAME down|up`: every frame lost both ways while down, the rest of the impairment kept.
    case ifSetLinkState(name: String, up: Bool)
    /// Opens a capture session on an interface (reply: capture, with the session and no frames).
    case ifCaptureOpen(CaptureRequest)
    /// The session's frames so far, at most `maxBytes` of records (reply: capture); waits up to
    /// `timeout` ms for a first frame. `close` ends the session after this read.
    case ifCaptureRead(session: Int32, maxBytes: UInt32, timeout: Int32, close: Bool)

    /// A file-system call (opcodes 0x80.., FileMessages.swift).
    case file(FileRequest)

    public var opcode: Opcode {
        switch self {
        case .socket: .socket
        case .bind: .bind
        case .connect: .connect
        case .listen: .listen
        case .accept: .accept
        case .send: .send
        case .sendto: .sendto
        case .recv: .recv
        case .recvfrom: .recvfrom
        case .shutdown: .shutdown
        case .close: .close
        case .setsockopt: .setsockopt
        case .getsockopt: .getsockopt
        case .poll: .poll
        case .getsockname: .getsockname
        case .getpeername: .getpeername
        case .fcntl: .fcntl
        case .recvmsg: .recvmsg
        case .ifCreate: .ifCreate
        case .ifDestroy: .ifDestroy
        case .ifList: .ifList
        case .ifGet: .ifGet
        case .ifSetFlags: .ifSetFlags
        case .ifAddAddress: .ifAddAddress
        case .ifDeleteAddress: .ifDeleteAddress
        case .ifSetMTU: .ifSetMTU
        case .ifSetLinkstr: .ifSetLinkstr
        case .ifListCloners: .ifListCloners
        case .routeAdd: .routeAdd
        case .routeDelete: .routeDelete
        case .routeGet: .routeGet
        case .routeList: .routeList
        case .routeFlush: .routeFlush
        case .routeChange: .routeChange
        case .arpList: .arpList
        case .arpSet: .arpSet
        case .arpDelete: .arpDelete
        case .sysctlGet: .sysctlGet
        case .sysctlSet: .sysctlSet
        case .sysctlList: .sysctlList
        case .halt: .halt
        case .statistics: .statistics
        case .socketList: .socketList
        case .ifSetImpairment: .ifSetImpairment
        case .ifGetImpairment: .ifGetImpairment
        case .ifImpairmentCounters: .ifImpairmentCounters
        case .ifSetLinkState: .ifSetLinkState
        case .ifCaptureOpen: .ifCaptureOpen
        case .ifCaptureRead: .ifCaptureRead
        case .file(let f): f.opcode
        }
    }

    public func encodePayload(_ w: inout WireWriter) {
        switch self {
        case let .socket(d, t, p): w.i32(d); w.i32(t); w.i32(p)
        case let .bind(fd, a): w.i32(fd); a.encode(&w)
        case let .connect(fd, a, t): w.i32(fd); a.encode(&w); w.i32(t)
        case let .listen(fd, b): w.i32(fd); w.i32(b)
        case let .accept(fd, t): w.i32(fd); w.i32(t)
        case let .send(fd, d, f, t): w.i32(fd); w.data(d); w.i32(f); w.i32(t)
        case let .sendto(fd, d, f, a, t): w.i32(fd); w.data(d); w.i32(f); a.encode(&w); w.i32(t)
        case let .recv(fd, n, f, t), let .recvfrom(fd, n, f, t), let .recvmsg(fd, n, f, t): w.i32(fd); w.u32(n); w.i32(f); w.i32(t)
        case let .fcntl(fd, c, a): w.i32(fd); w.i32(c); w.i32(a)
        case let .shutdown(fd, h): w.i32(fd); w.i32(h)
        case let .close(fd), let .getsockname(fd), let .getpeername(fd): w.i32(fd)
        case let .setsockopt(fd, l, n, v): w.i32(fd); w.i32(l); w.i32(n); w.data(v)
        case let .getsockopt(fd, l, n, m): w.i32(fd); w.i32(l); w.i32(n); w.u32(m)
        case let .poll(items, t):
            w.array(items) { w, i in w.i32(i.fd); w.u16(UInt16(bitPattern: i.events)); w.u16(UInt16(bitPattern: i.revents)) }
            w.i32(t)
        case let .ifCreate(n), let .ifDestroy(n), let .ifGet(n): w.string(n)
        case .ifList, .ifListCloners, .arpList, .statistics, .socketList: break
        case let .ifSetImpairment(n, words):
            w.string(n); w.bool(words != nil)
            if let words { w.array(words) { w, s in w.string(s) } }
        case let .ifGetImpairment(n), let .ifImpairmentCounters(n): w.string(n)
        case let .ifSetLinkState(n, up): w.string(n); w.bool(up)
        case let .ifCaptureOpen(c): c.encode(&w)
        case let .ifCaptureRead(s, m, t, c): w.i32(s); w.u32(m); w.i32(t); w.bool(c)
        case let .ifSetFlags(n, s, c): w.string(n); w.u32(s); w.u32(c)
        case let .ifAddAddress(n, a, alias): w.string(n); a.encode(&w); w.bool(alias)
        case let .ifDeleteAddress(n, a): w.string(n); a.encode(&w)
        case let .ifSetMTU(n, m): w.string(n); w.u32(m)
        case let .ifSetLinkstr(n, l): w.string(n); w.optionalString(l)
        case let .routeAdd(e), let .routeChange(e): e.encode(&w)
        case let .routeDelete(d, m):
            d.encode(&w)
            if let m { w.bool(true); m.encode(&w) } else { w.bool(false) }
        case let .routeGet(d): d.encode(&w)
        case let .routeList(f), let .routeFlush(f): w.u8(f)
        case let .arpSet(e): e.encode(&w)
        case let .arpDelete(a): a.encode(&w)
        case let .sysctlGet(n): w.string(n)
        case let .sysctlSet(n, v): w.string(n); w.string(v)
        case let .sysctlList(p): w.string(p)
        case let .halt(f): w.i32(f)
        case let .file(f): f.encodePayload(&w)
        }
    }

    /// Decodes the payload of `opcode`; the whole payload must be consumed.
    public static func decode(opcode: Opcode, _ r: inout WireReader) throws(ProtocolError) -> Request {
        let q: Request
        switch opcode {
        case .socket: q = .socket(domain: try r.i32(), type: try r.i32(), protocol: try r.i32())
        case .bind: q = .bind(fd: try r.i32(), address: try SocketAddress.decode(&r))
        case .connect: q = .connect(fd: try r.i32(), address: try SocketAddress.decode(&r), timeout: try r.i32())
        case .listen: q = .listen(fd: try r.i32(), backlog: try r.i32())
        case .accept: q = .accept(fd: try r.i32(), timeout: try r.i32())
        case .send: q = .send(fd: try r.i32(), data: try r.data(), flags: try r.i32(), timeout: try r.i32())
        case .sendto: q = .sendto(fd: try r.i32(), data: try r.data(), flags: try r.i32(), address: try SocketAddress.decode(&r), timeout: try r.i32())
        case .recv: q = .recv(fd: try r.i32(), maxLength: try r.u32(), flags: try r.i32(), timeout: try r.i32())
        case .recvfrom: q = .recvfrom(fd: try r.i32(), maxLength: try r.u32(), flags: try r.i32(), timeout: try r.i32())
        case .shutdown: q = .shutdown(fd: try r.i32(), how: try r.i32())
        case .close: q = .close(fd: try r.i32())
        case .recvmsg: q = .recvmsg(fd: try r.i32(), maxLength: try r.u32(), flags: try r.i32(), timeout: try r.i32())
        case .fcntl: q = .fcntl(fd: try r.i32(), command: try r.i32(), argument: try r.i32())
        case .getsockname: q = .getsockname(fd: try r.i32())
        case .getpeername: q = .getpeername(fd: try r.i32())
        case .setsockopt: q = .setsockopt(fd: try r.i32(), level: try r.i32(), name: try r.i32(), value: try r.data())
        case .getsockopt: q = .getsockopt(fd: try r.i32(), level: try r.i32(), name: try r.i32(), maxLength: try r.u32())
        case .poll:
            let items = try r.array(minimumElementSize: 8) { (r: inout WireReader) throws(ProtocolError) in
                PollItem(fd: try r.i32(), events: Int16(bitPattern: try r.u16()), revents: Int16(bitPattern: try r.u16()))
            }
            q = .poll(items: items, timeout: try r.i32())
        case .ifCreate: q = .ifCreate(name: try r.string())
        case .ifDestroy: q = .ifDestroy(name: try r.string())
        case .ifList: q = .ifList
        case .ifGet: q = .ifGet(name: try r.string())
        case .ifSetFlags: q = .ifSetFlags(name: try r.string(), set: try r.u32(), clear: try r.u32())
        case .ifAddAddress: q = .ifAddAddress(name: try r.string(), address: try InterfaceAddress.decode(&r), alias: try r.bool())
        case .ifDeleteAddress: q = .ifDeleteAddress(name: try r.string(), address: try SocketAddress.decode(&r))
        case .ifSetMTU: q = .ifSetMTU(name: try r.string(), mtu: try r.u32())
        case .ifSetLinkstr: q = .ifSetLinkstr(name: try r.string(), linkstr: try r.optionalString())
        case .ifListCloners: q = .ifListCloners
        case .routeAdd: q = .routeAdd(try RouteEntry.decode(&r))
        case .routeChange: q = .routeChange(try RouteEntry.decode(&r))
        case .routeDelete:
            let d = try SocketAddress.decode(&r)
            q = .routeDelete(destination: d, netmask: try r.bool() ? try SocketAddress.decode(&r) : nil)
        case .routeGet: q = .routeGet(destination: try SocketAddress.decode(&r))
        case .routeList: q = .routeList(family: try r.u8())
        case .routeFlush: q = .routeFlush(family: try r.u8())
        case .arpList: q = .arpList
        case .arpSet: q = .arpSet(try ArpInfo.decode(&r))
        case .arpDelete: q = .arpDelete(address: try SocketAddress.decode(&r))
        case .sysctlGet: q = .sysctlGet(name: try r.string())
        case .sysctlSet: q = .sysctlSet(name: try r.string(), value: try r.string())
        case .sysctlList: q = .sysctlList(prefix: try r.string())
        case .halt: q = .halt(flags: try r.i32())
        case .statistics: q = .statistics
        case .socketList: q = .socketList
        case .ifSetImpairment:
            let n = try r.string()
            q = .ifSetImpairment(name: n, words: try r.bool()
                ? try r.array(minimumElementSize: 4) { (r: inout WireReader) throws(ProtocolError) in try r.string() } : nil)
        case .ifGetImpairment: q = .ifGetImpairment(name: try r.string())
        case .ifImpairmentCounters: q = .ifImpairmentCounters(name: try r.string())
        case .ifSetLinkState: q = .ifSetLinkState(name: try r.string(), up: try r.bool())
        case .ifCaptureOpen: q = .ifCaptureOpen(try CaptureRequest.decode(&r))
        case .ifCaptureRead: q = .ifCaptureRead(session: try r.i32(), maxBytes: try r.u32(), timeout: try r.i32(), close: try r.bool())
        case .fileOpen, .fileRead, .fileWrite, .fileLseek, .fileStat, .fileLstat, .fileFstat, .fileGetdents,
             .fileMkdir, .fileRmdir, .fileUnlink, .fileRename, .fileSymlink, .fileReadlink, .fileChmod, .fileChown,
             .fileUtimes, .fileMount, .fileUnmount, .fileGetvfsstat, .fileStatvfs:
            guard let f = try FileRequest.decode(opcode: opcode, &r) else { throw .unknownOpcode(opcode.rawValue) }
            q = .file(f)
        }
        try r.finish()
        return q
    }
}

/// A successful result. Each reply starts with its own tag, so it decodes without knowing
/// the request; PROTOCOL.md lists which reply each operation gives.
public enum Reply: Hashable, Sendable {
    case none
    case fd(Int32)
    case accepted(fd: Int32, peer: SocketAddress)
    case count(UInt32)
    case data([UInt8])
    case dataFrom([UInt8], from: SocketAddress)
    case address(SocketAddress)
    case poll([PollItem])
    case interfaces([InterfaceInfo])
    case names([String])
    case routes([RouteEntry])
    case arp([ArpInfo])
    case sysctl([SysctlEntry])
    case sysctlChanged(old: SysctlEntry, new: SysctlEntry)
    case counters([StatCounter])
    case sockets([SocketEntry])
    /// recvmsg: the data, the source (nil for a connected stream) and msg_flags. Version 2.
    case message([UInt8], from: SocketAddress?, flags: Int32)
    /// An integer result (fcntl). Version 2.
    case value(Int32)
    /// A capture session's frames and counters (ifCaptureOpen, ifCaptureRead).
    case capture(CaptureBatch)
    /// A file-system call's own reply (tag 0x80, FileMessages.swift).
    case file(FileReply)

    public func encode(_ w: inout WireWriter) {
        switch self {
        case .none: w.u8(0)
        case let .fd(fd): w.u8(1); w.i32(fd)
        case let .accepted(fd, a): w.u8(2); w.i32(fd); a.encode(&w)
        case let .count(n): w.u8(3); w.u32(n)
        case let .data(d): w.u8(4); w.data(d)
        case let .dataFrom(d, a): w.u8(5); w.data(d); a.encode(&w)
        case let .address(a): w.u8(6); a.encode(&w)
        case let .poll(items):
            w.u8(7)
            w.array(items) { w, i in w.i32(i.fd); w.u16(UInt16(bitPattern: i.events)); w.u16(UInt16(bitPattern: i.revents)) }
        case let .interfaces(l): w.u8(8); w.array(l) { w, i in i.encode(&w) }
        case let .names(l): w.u8(9); w.array(l) { w, s in w.string(s) }
        case let .routes(l): w.u8(10); w.array(l) { w, e in e.encode(&w) }
        case let .arp(l): w.u8(11); w.array(l) { w, e in e.encode(&w) }
        case let .sysctl(l): w.u8(12); w.array(l) { w, e in e.encode(&w) }
        case let .sysctlChanged(o, n): w.u8(13); o.encode(&w); n.encode(&w)
        case let .counters(l): w.u8(14); w.array(l) { w, c in w.string(c.name); w.u64(c.value) }
        case let .sockets(l): w.u8(15); w.array(l) { w, e in e.encode(&w) }
        case let .message(d, a, f):
            w.u8(16); w.data(d)
            if let a { w.bool(true); a.encode(&w) } else { w.bool(false) }
            w.i32(f)
        case let .value(v): w.u8(17); w.i32(v)
        case let .capture(b): w.u8(18); b.encode(&w)
        case let .file(f): w.u8(0x80); f.encode(&w)
        }
    }

    public static func decode(_ r: inout WireReader) throws(ProtocolError) -> Reply {
        let p: Reply
        switch try r.u8() {
        case 0: p = .none
        case 1: p = .fd(try r.i32())
        case 2: p = .accepted(fd: try r.i32(), peer: try SocketAddress.decode(&r))
        case 3: p = .count(try r.u32())
        case 4: p = .data(try r.data())
        case 5: p = .dataFrom(try r.data(), from: try SocketAddress.decode(&r))
        case 6: p = .address(try SocketAddress.decode(&r))
        case 7:
            p = .poll(try r.array(minimumElementSize: 8) { (r: inout WireReader) throws(ProtocolError) in
                PollItem(fd: try r.i32(), events: Int16(bitPattern: try r.u16()), revents: Int16(bitPattern: try r.u16()))
            })
        case 8: p = .interfaces(try r.array(minimumElementSize: 16) { (r: inout WireReader) throws(ProtocolError) in try InterfaceInfo.decode(&r) })
        case 9: p = .names(try r.array(minimumElementSize: 4) { (r: inout WireReader) throws(ProtocolError) in try r.string() })
        case 10: p = .routes(try r.array(minimumElementSize: 16) { (r: inout WireReader) throws(ProtocolError) in try RouteEntry.decode(&r) })
        case 11: p = .arp(try r.array(minimumElementSize: 16) { (r: inout WireReader) throws(ProtocolError) in try ArpInfo.decode(&r) })
        case 12: p = .sysctl(try r.array(minimumElementSize: 6) { (r: inout WireReader) throws(ProtocolError) in try SysctlEntry.decode(&r) })
        case 13: p = .sysctlChanged(old: try SysctlEntry.decode(&r), new: try SysctlEntry.decode(&r))
        case 14: p = .counters(try r.array(minimumElementSize: 12) { (r: inout WireReader) throws(ProtocolError) in
            StatCounter(name: try r.string(), value: try r.u64())
        })
        case 15: p = .sockets(try r.array(minimumElementSize: SocketEntry.minimumSize) { (r: inout WireReader) throws(ProtocolError) in
            try SocketEntry.decode(&r)
        })
        case 16:
            let d = try r.data()
            let a: SocketAddress? = try r.bool() ? try SocketAddress.decode(&r) : nil
            p = .message(d, from: a, flags: try r.i32())
        case 17: p = .value(try r.i32())
        case 18: p = .capture(try CaptureBatch.decode(&r))
        case 0x80: p = .file(try FileReply.decode(&r))
        case let t: throw .invalidValue("reply tag \(t)")
        }
        return p
    }
}

public struct ClientHello: Hashable, Sendable {
    public var minVersion: UInt16
    public var maxVersion: UInt16
    public var clientName: String
    public var clientPID: Int32
    public init(minVersion: UInt16 = ProtocolVersion.minimum, maxVersion: UInt16 = ProtocolVersion.maximum, clientName: String, clientPID: Int32) {
        self.minVersion = minVersion; self.maxVersion = maxVersion; self.clientName = clientName; self.clientPID = clientPID
    }
}

public struct ServerHello: Hashable, Sendable {
    /// The version both will speak; 0 = none in common (the server then closes).
    public var version: UInt16
    public var minVersion: UInt16
    public var maxVersion: UInt16
    /// Implementation name and kernel version, e.g. "rumpnet-lab rump_server (NetBSD 7.99.34)".
    public var identity: String
    public var hostname: String
    public var serverPID: Int32
    public var components: [String]
    public var maximumMessageSize: UInt32
    public init(version: UInt16, minVersion: UInt16 = ProtocolVersion.minimum, maxVersion: UInt16 = ProtocolVersion.maximum,
                identity: String, hostname: String, serverPID: Int32, components: [String],
                maximumMessageSize: UInt32 = Wire.maximumMessageSize) {
        self.version = version; self.minVersion = minVersion; self.maxVersion = maxVersion; self.identity = identity
        self.hostname = hostname; self.serverPID = serverPID; self.components = components; self.maximumMessageSize = maximumMessageSize
    }
}

/// Everything that travels in a frame.
public enum Message: Hashable, Sendable {
    case clientHello(ClientHello)
    case serverHello(ServerHello)
    case request(id: UInt32, Request)
    case response(id: UInt32, opcode: UInt16, result: Result<Reply, KernelError>)

    /// The body (no length prefix).
    public func encodeBody() -> [UInt8] {
        var w = WireWriter(capacity: encodedSizeHint)
        encodeBody(&w)
        return w.bytes
    }

    /// Length prefix + body, ready to write: one buffer, sized before encoding.
    public func encodeFrame() -> [UInt8] {
        var out: [UInt8] = []
        encodeFrame(appendingTo: &out)
        return out
    }

    /// Appends length prefix + body to `buffer` in place (a connection's output): the body is
    /// encoded straight into it and the prefix patched afterwards, so no intermediate copy
    /// and, when `buffer` has room, no allocation.
    public func encodeFrame(appendingTo buffer: inout [UInt8]) {
        buffer.reserveCapacity(buffer.count + Wire.prefixSize + encodedSizeHint)
        var w = WireWriter(reusing: buffer)
        buffer = []  // the writer holds the only reference: appends do not copy
        let start = w.count
        w.u32(0)
        encodeBody(&w)
        w.patchU32(at: start, UInt32(w.count - start - Wire.prefixSize))
        buffer = w.bytes
    }

    /// The length of the bulk bytes `encodeFrameAroundBulk` would leave out (recv's data);
    /// 0 for every other message.
    public var bulkLength: Int {
        guard case let .response(_, _, .success(reply)) = self else { return 0 }
        switch reply {
        case let .data(d), let .dataFrom(d, _), let .message(d, _, _): return d.count
        default: return 0
        }
    }

    /// For a response whose reply carries bulk bytes (recv's data): the frame in three parts,
    /// everything before the bytes (length prefix included) into `head`, everything after into
    /// `tail` (both emptied first, their storage reused), and the bytes themselves returned, so
    /// a server can write the frame with one gather write and never copy the bytes. The parts
    /// concatenated are exactly `encodeFrame()`. nil for every other message.
    public func encodeFrameAroundBulk(head: inout [UInt8], tail: inout [UInt8]) -> [UInt8]? {
        guard case let .response(id, op, .success(reply)) = self else { return nil }
        var h = WireWriter(reusing: head), t = WireWriter(reusing: tail)
        head = []; tail = []
        h.bytes.removeAll(keepingCapacity: true)
        t.bytes.removeAll(keepingCapacity: true)
        let bulk: [UInt8]
        let tag: UInt8
        switch reply {
        case let .data(d): bulk = d; tag = 4
        case let .dataFrom(d, a): bulk = d; tag = 5; a.encode(&t)
        case let .message(d, a, f):
            bulk = d; tag = 16
            if let a { t.bool(true); a.encode(&t) } else { t.bool(false) }
            t.i32(f)
        default:
            head = h.bytes; tail = t.bytes
            return nil
        }
        h.u32(0)
        h.u8(MessageType.response.rawValue); h.u32(id); h.u16(op); h.i32(0); h.u8(tag); h.u32(UInt32(bulk.count))
        h.patchU32(at: 0, UInt32(h.count - Wire.prefixSize + bulk.count + t.count))
        head = h.bytes; tail = t.bytes
        return bulk
    }

    /// Enough room for the body in the common cases (the bulk bytes plus headers); a larger
    /// body (interface lists) regrows the buffer, which is fine off the data path.
    var encodedSizeHint: Int {
        guard case let .response(_, _, .success(reply)) = self else { return 256 }
        switch reply {
        case .data(let d), .dataFrom(let d, _), .message(let d, _, _): return d.count + 64
        default: return 256
        }
    }

    private func encodeBody(_ w: inout WireWriter) {
        switch self {
        case let .clientHello(h):
            w.u8(MessageType.clientHello.rawValue); w.u32(ProtocolVersion.magic)
            w.u16(h.minVersion); w.u16(h.maxVersion); w.string(h.clientName); w.i32(h.clientPID)
        case let .serverHello(h):
            w.u8(MessageType.serverHello.rawValue); w.u32(ProtocolVersion.magic)
            w.u16(h.version); w.u16(h.minVersion); w.u16(h.maxVersion); w.string(h.identity); w.string(h.hostname)
            w.i32(h.serverPID); w.array(h.components) { w, s in w.string(s) }; w.u32(h.maximumMessageSize)
        case let .request(id, q):
            w.u8(MessageType.request.rawValue); w.u32(id); w.u16(q.opcode.rawValue); q.encodePayload(&w)
        case let .response(id, op, result):
            w.u8(MessageType.response.rawValue); w.u32(id); w.u16(op)
            switch result {
            case .success(let reply): w.i32(0); reply.encode(&w)
            case .failure(let e): w.i32(e.errno.rawValue); w.u32(e.detail); w.string(e.message)
            }
        }
    }

    /// Decodes one body. A request with an unknown opcode or a malformed payload throws
    /// `RequestDecodingError`, which still carries the id so the server can answer it.
    public static func decode(body: [UInt8]) throws -> Message {
        var r = WireReader(body)
        let t = try r.u8()
        guard let type = MessageType(rawValue: t) else { throw ProtocolError.unexpectedMessage(t) }
        switch type {
        case .clientHello:
            guard try r.u32() == ProtocolVersion.magic else { throw ProtocolError.badMagic }
            let h = ClientHello(minVersion: try r.u16(), maxVersion: try r.u16(), clientName: try r.string(), clientPID: try r.i32())
            try r.finish()
            return .clientHello(h)
        case .serverHello:
            guard try r.u32() == ProtocolVersion.magic else { throw ProtocolError.badMagic }
            let h = ServerHello(version: try r.u16(), minVersion: try r.u16(), maxVersion: try r.u16(), identity: try r.string(),
                                hostname: try r.string(), serverPID: try r.i32(),
                                components: try r.array(minimumElementSize: 4) { (r: inout WireReader) throws(ProtocolError) in try r.string() },
                                maximumMessageSize: try r.u32())
            try r.finish()
            return .serverHello(h)
        case .request:
            let id = try r.u32()
            let raw = try r.u16()
            guard let op = Opcode(rawValue: raw) else { throw RequestDecodingError(id: id, opcode: raw, error: .unknownOpcode(raw)) }
            do {
                return .request(id: id, try Request.decode(opcode: op, &r))
            } catch {
                throw RequestDecodingError(id: id, opcode: raw, error: error)
            }
        case .response:
            let id = try r.u32(), op = try r.u16(), e = try r.i32()
            let result: Result<Reply, KernelError>
            if e == 0 {
                result = .success(try Reply.decode(&r))
            } else {
                result = .failure(KernelError(NetBSDErrno(rawValue: e), detail: try r.u32(), message: try r.string()))
            }
            try r.finish()
            return .response(id: id, opcode: op, result: result)
        }
    }
}

/// A request whose header was readable but whose opcode or payload was not.
public struct RequestDecodingError: Error, Sendable {
    public var id: UInt32
    public var opcode: UInt16
    public var error: ProtocolError
}

/// Splits a byte stream into frame bodies. Rejects a length over the maximum as soon as
/// the 4-byte prefix is in, without waiting for (or buffering) the announced bytes.
public struct FrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    private var bodyBuffer: [UInt8] = []
    public let maximum: UInt32

    public init(maximum: UInt32 = Wire.maximumMessageSize) { self.maximum = maximum }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) { buffer.append(contentsOf: bytes) }
    public mutating func append(_ bytes: [UInt8]) { buffer.append(contentsOf: bytes) }

    /// Bytes buffered but not yet returned.
    public var pending: Int { buffer.count - start }

    /// The next complete body, nil if more bytes are needed.
    public mutating func next() throws(ProtocolError) -> [UInt8]? {
        guard pending >= Wire.prefixSize else { compact(); return nil }
        var len: UInt32 = 0
        for i in 0..<4 { len |= UInt32(buffer[start + i]) << (8 * UInt32(i)) }
        guard len <= maximum else { throw .messageTooLarge(len) }
        guard pending >= Wire.prefixSize + Int(len) else { compact(); return nil }
        let b = start + Wire.prefixSize
        // Into the reused body buffer: once the caller has dropped the previous body (decoding
        // copies what it keeps), its storage is unique again and the copy allocates nothing.
        var body = bodyBuffer
        bodyBuffer = []
        body.removeAll(keepingCapacity: true)
        body.append(contentsOf: buffer[b..<b + Int(len)])
        bodyBuffer = body
        start = b + Int(len)
        return body
    }

    private mutating func compact() {
        if start > 0 { buffer.removeFirst(start); start = 0 }
    }
}
