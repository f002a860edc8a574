// ICMPv6 (RFC 4443) with its pseudo-header checksum; Neighbor Discovery messages and options
// (RFC 4861: RS, RA, NS, NA, redirect; source/target link-layer address, prefix information,
// MTU); MLDv1 (RFC 2710), which NetBSD's mld6 speaks.

public enum ICMPv6Type {
    public static let destinationUnreachable: UInt8 = 1
    public static let packetTooBig: UInt8 = 2
    public static let timeExceeded: UInt8 = 3
    public static let parameterProblem: UInt8 = 4
    public static let echoRequest: UInt8 = 128
    public static let echoReply: UInt8 = 129
    public static let mldQuery: UInt8 = 130
    public static let mldReport: UInt8 = 131
    public static let mldDone: UInt8 = 132
    public static let routerSolicit: UInt8 = 133
    public static let routerAdvert: UInt8 = 134
    public static let neighborSolicit: UInt8 = 135
    public static let neighborAdvert: UInt8 = 136
    public static let redirect: UInt8 = 137
    public static let mldv2Report: UInt8 = 143

    /// Error messages (type < 128): never answered with another error (RFC 4443 2.4 e.1).
    public static func isError(_ t: UInt8) -> Bool { t < 128 }
}

public enum ICMPv6Code {
    // destination unreachable
    public static let noRoute: UInt8 = 0, adminProhibited: UInt8 = 1, beyondScope: UInt8 = 2
    public static let addressUnreachable: UInt8 = 3, portUnreachable: UInt8 = 4
    // time exceeded
    public static let hopLimitExceeded: UInt8 = 0, reassemblyTimeExceeded: UInt8 = 1
    // parameter problem
    public static let erroneousHeader: UInt8 = 0, unrecognizedNextHeader: UInt8 = 1, unrecognizedOption: UInt8 = 2
}

public struct ICMPv6View {
    public let bytes: UnsafeRawBufferPointer
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 4 else { return nil }
        self.bytes = bytes
    }
    public var type: UInt8 { bytes.u8(0) }
    public var code: UInt8 { bytes.u8(1) }
    public var checksum: UInt16 { bytes.be16(2) }
    /// The 32 bits after the checksum (identifier+sequence, MTU, pointer), 0 when absent.
    public var word: UInt32 { bytes.count >= 8 ? bytes.be32(4) : 0 }
    public func isChecksumValid(src: IPv6Address, dst: IPv6Address) -> Bool {
        InternetChecksum.sum(bytes, initial: InternetChecksum.pseudoHeader6(src: src, dst: dst,
                             nextHeader: IPv6NextHeader.icmpv6, length: bytes.count)) == 0xFFFF
    }
    public var body: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[min(8, bytes.count)...]) }
}

public enum ICMPv6Emitter {
    /// Writes type, code, the 32-bit word and the checksum over `p` (the whole message, body in place).
    public static func emit(_ p: UnsafeMutableRawBufferPointer, type: UInt8, code: UInt8, word: UInt32,
                            src: IPv6Address, dst: IPv6Address) {
        p.setU8(0, type)
        p.setU8(1, code)
        p.setBE32(4, word)
        setChecksum(p, src: src, dst: dst)
    }
    public static func setChecksum(_ p: UnsafeMutableRawBufferPointer, src: IPv6Address, dst: IPv6Address) {
        p.setBE16(2, 0)
        let ph = InternetChecksum.pseudoHeader6(src: src, dst: dst, nextHeader: IPv6NextHeader.icmpv6, length: p.count)
        p.setBE16(2, InternetChecksum.compute(UnsafeRawBufferPointer(p), initial: ph))
    }
}

// MARK: Neighbor Discovery options

public enum NDOptionType {
    public static let sourceLinkAddress: UInt8 = 1
    public static let targetLinkAddress: UInt8 = 2
    public static let prefixInformation: UInt8 = 3
    public static let redirectedHeader: UInt8 = 4
    public static let mtu: UInt8 = 5
}

/// A Prefix Information option (RFC 4861 4.6.2).
public struct NDPrefixInformation: Equatable, Sendable {
    public var prefixLength: Int
    public var onLink: Bool
    public var autonomous: Bool
    /// Seconds; 0xffffffff is infinity.
    public var validLifetime: UInt32
    public var preferredLifetime: UInt32
    public var prefix: IPv6Address
    public init(prefixLength: Int, onLink: Bool, autonomous: Bool, validLifetime: UInt32, preferredLifetime: UInt32,
                prefix: IPv6Address) {
        self.prefixLength = prefixLength; self.onLink = onLink; self.autonomous = autonomous
        self.validLifetime = validLifetime; self.preferredLifetime = preferredLifetime; self.prefix = prefix
    }
}

/// The options of an ND message, parsed once (nd6_options).
public struct NDOptions: Equatable, Sendable {
    public var sourceLinkAddress: MACAddress?
    public var targetLinkAddress: MACAddress?
    public var prefixes: [NDPrefixInformation] = []
    public var mtu: UInt32?
    public var redirectedHeader = false

    public enum Failure: Error, Equatable {
        /// An option of length 0 or past the message (RFC 4861: the message is discarded), at this offset.
        case badLength(offset: Int)
        /// More than `maxOptions` options (nd6_maxndopt): icmp6s_nd_toomanyopt.
        case tooMany
    }

    public static let maxOptions = 10

    public init() {}

    /// Parses `p` (the options part of the message). `base` is the options' offset in the message
    /// for the error's position. Unknown options are skipped, as RFC 4861 says.
    public init(_ p: UnsafeRawBufferPointer, base: Int = 0) throws(Failure) {
        var i = 0
        var n = 0
        while i < p.count {
            guard i + 2 <= p.count else { throw .badLength(offset: base + i) }
            let type = p.u8(i)
            let len = Int(p.u8(i + 1)) * 8
            guard len > 0, i + len <= p.count else { throw .badLength(offset: base + i + 1) }
            n += 1
            if n > NDOptions.maxOptions { throw .tooMany }
            switch type {
            case NDOptionType.sourceLinkAddress where len >= 8:
                if sourceLinkAddress == nil { sourceLinkAddress = MACAddress.load(p, i + 2) }
            case NDOptionType.targetLinkAddress where len >= 8:
                if targetLinkAddress == nil { targetLinkAddress = MACAddress.load(p, i + 2) }
            case NDOptionType.prefixInformation:
                guard len == 32 else { throw .badLength(offset: base + i + 1) }
                let flags = p.u8(i + 3)
                prefixes.append(NDPrefixInformation(prefixLength: Int(p.u8(i + 2)), onLink: flags & 0x80 != 0,
                                                    autonomous: flags & 0x40 != 0, validLifetime: p.be32(i + 4),
                                                    preferredLifetime: p.be32(i + 8),
                                                    prefix: IPv6Address(loadingFrom: p.baseAddress! + i + 16)))
            case NDOptionType.mtu where len == 8:
                mtu = p.be32(i + 4)
            case NDOptionType.redirectedHeader:
                redirectedHeader = true
            default:
                break
            }
            i += len
        }
    }

    /// Writes a link-layer address option (type 1 or 2) at `p[off]`: 8 bytes.
    public static func emitLinkAddress(_ p: UnsafeMutableRawBufferPointer, at off: Int, type: UInt8, _ mac: MACAddress) {
        p.setU8(off, type)
        p.setU8(off + 1, 1)
        mac.store(p, off + 2)
    }

    /// Writes a prefix information option at `p[off]`: 32 bytes.
    public static func emitPrefix(_ p: UnsafeMutableRawBufferPointer, at off: Int, _ pi: NDPrefixInformation) {
        p.setU8(off, NDOptionType.prefixInformation)
        p.setU8(off + 1, 4)
        p.setU8(off + 2, UInt8(pi.prefixLength))
        p.setU8(off + 3, (pi.onLink ? 0x80 : 0) | (pi.autonomous ? 0x40 : 0))
        p.setBE32(off + 4, pi.validLifetime)
        p.setBE32(off + 8, pi.preferredLifetime)
        p.setBE32(off + 12, 0)
        pi.prefix.store(to: p.baseAddress! + off + 16)
    }

    /// Writes an MTU option at `p[off]`: 8 bytes.
    public static func emitMTU(_ p: UnsafeMutableRawBufferPointer, at off: Int, _ mtu: UInt32) {
        p.setU8(off, NDOptionType.mtu)
        p.setU8(off + 1, 1)
        p.setBE16(off + 2, 0)
        p.setBE32(off + 4, mtu)
    }
}

// MARK: ND messages as values

/// One ND or MLD message's meaning (the ICMPv6 header onward), parsed from a message whose
/// checksum was checked. Tests build these to inject and compare.
public enum NDMessage: Equatable, Sendable {
    case routerSolicit(options: NDOptions)
    case routerAdvert(curHopLimit: UInt8, managed: Bool, other: Bool, routerLifetime: UInt16,
                      reachableTime: UInt32, retransTimer: UInt32, options: NDOptions)
    case neighborSolicit(target: IPv6Address, options: NDOptions)
    case neighborAdvert(router: Bool, solicited: Bool, override: Bool, target: IPv6Address, options: NDOptions)
    case redirect(target: IPv6Address, destination: IPv6Address, options: NDOptions)

    public enum Failure: Error, Equatable {
        case tooShort
        /// Code not 0 (RFC 4861: discard).
        case badCode
        case badOptions(NDOptions.Failure)
        case notND
    }

    /// Parses an ND message (types 133...137).
    public static func parse(_ m: UnsafeRawBufferPointer) throws(Failure) -> NDMessage {
        guard m.count >= 4 else { throw .tooShort }
        guard m.u8(1) == 0 else { throw .badCode }
        func opts(_ from: Int) throws(Failure) -> NDOptions {
            do { return try NDOptions(UnsafeRawBufferPointer(rebasing: m[from...]), base: from) } catch { throw .badOptions(error) }
        }
        switch m.u8(0) {
        case ICMPv6Type.routerSolicit:
            guard m.count >= 8 else { throw .tooShort }
            return .routerSolicit(options: try opts(8))
        case ICMPv6Type.routerAdvert:
            guard m.count >= 16 else { throw .tooShort }
            let f = m.u8(5)
            return .routerAdvert(curHopLimit: m.u8(4), managed: f & 0x80 != 0, other: f & 0x40 != 0,
                                 routerLifetime: m.be16(6), reachableTime: m.be32(8), retransTimer: m.be32(12),
                                 options: try opts(16))
        case ICMPv6Type.neighborSolicit:
            guard m.count >= 24 else { throw .tooShort }
            return .neighborSolicit(target: IPv6Address(loadingFrom: m.baseAddress! + 8), options: try opts(24))
        case ICMPv6Type.neighborAdvert:
            guard m.count >= 24 else { throw .tooShort }
            let f = m.u8(4)
            return .neighborAdvert(router: f & 0x80 != 0, solicited: f & 0x40 != 0, override: f & 0x20 != 0,
                                   target: IPv6Address(loadingFrom: m.baseAddress! + 8), options: try opts(24))
        case ICMPv6Type.redirect:
            guard m.count >= 40 else { throw .tooShort }
            return .redirect(target: IPv6Address(loadingFrom: m.baseAddress! + 8),
                             destination: IPv6Address(loadingFrom: m.baseAddress! + 24), options: try opts(40))
        default:
            throw .notND
        }
    }

    /// Writes the message (checksum included) into `p` and returns its length; `p` must hold
    /// 40 + options bytes (redirects' redirected header is not emitted).
    public func emit(_ p: UnsafeMutableRawBufferPointer, src: IPv6Address, dst: IPv6Address) -> Int {
        func emitOptions(_ o: NDOptions, at start: Int) -> Int {
            var off = start
            if let s = o.sourceLinkAddress { NDOptions.emitLinkAddress(p, at: off, type: NDOptionType.sourceLinkAddress, s); off += 8 }
            if let t = o.targetLinkAddress { NDOptions.emitLinkAddress(p, at: off, type: NDOptionType.targetLinkAddress, t); off += 8 }
            for pi in o.prefixes { NDOptions.emitPrefix(p, at: off, pi); off += 32 }
            if let m = o.mtu { NDOptions.emitMTU(p, at: off, m); off += 8 }
            return off
        }
        let type: UInt8
        var word: UInt32 = 0
        let end: Int
        switch self {
        case .routerSolicit(let o):
            type = ICMPv6Type.routerSolicit
            end = emitOptions(o, at: 8)
        case .routerAdvert(let hl, let m, let ot, let life, let reach, let retrans, let o):
            type = ICMPv6Type.routerAdvert
            word = UInt32(hl) << 24 | (m ? 0x80 << 16 : 0) | (ot ? 0x40 << 16 : 0) | UInt32(life)
            p.setBE32(8, reach)
            p.setBE32(12, retrans)
            end = emitOptions(o, at: 16)
        case .neighborSolicit(let t, let o):
            type = ICMPv6Type.neighborSolicit
            t.store(to: p.baseAddress! + 8)
            end = emitOptions(o, at: 24)
        case .neighborAdvert(let r, let s, let ov, let t, let o):
            type = ICMPv6Type.neighborAdvert
            word = (r ? 0x8000_0000 : 0) | (s ? 0x4000_0000 : 0) | (ov ? 0x2000_0000 : 0)
            t.store(to: p.baseAddress! + 8)
            end = emitOptions(o, at: 24)
        case .redirect(let t, let d, let o):
            type = ICMPv6Type.redirect
            t.store(to: p.baseAddress! + 8)
            d.store(to: p.baseAddress! + 24)
            end = emitOptions(o, at: 40)
        }
        ICMPv6Emitter.emit(UnsafeMutableRawBufferPointer(rebasing: p[0..<end]), type: type, code: 0, word: word, src: src, dst: dst)
        return end
    }
}

/// An MLDv1 message (RFC 2710 3): query, report or done, 24 bytes.
public struct MLDMessage: Equatable, Sendable {
    public var type: UInt8
    /// Maximum response delay in milliseconds (queries).
    public var maxDelay: UInt16
    public var group: IPv6Address
    public init(type: UInt8, maxDelay: UInt16 = 0, group: IPv6Address) {
        self.type = type; self.maxDelay = maxDelay; self.group = group
    }
    public static let length = 24

    public init?(_ m: UnsafeRawBufferPointer) {
        guard m.count >= 24 else { return nil }
        type = m.u8(0)
        maxDelay = m.be16(4)
        group = IPv6Address(loadingFrom: m.baseAddress! + 8)
    }

    public func emit(_ p: UnsafeMutableRawBufferPointer, src: IPv6Address, dst: IPv6Address) {
        p.setBE16(6, 0)
        group.store(to: p.baseAddress! + 8)
        ICMPv6Emitter.emit(UnsafeMutableRawBufferPointer(rebasing: p[0..<24]), type: type, code: 0,
                           word: UInt32(maxDelay) << 16, src: src, dst: dst)
    }
}
