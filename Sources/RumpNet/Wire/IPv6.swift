// IPv6 (RFC 8200): the fixed header as a view, a parsed Repr and an emitter; the extension header
// chain walked with bounds (hop-by-hop, routing, fragment, destination options), options'
// action bits applied, every refusal naming its byte offset (the ICMPv6 parameter problem pointer).

import NetBSDModels

/// Next Header values (netinet/in.h IPPROTO_*).
public enum IPv6NextHeader {
    public static let hopByHop: UInt8 = 0
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let routing: UInt8 = 43
    public static let fragment: UInt8 = 44
    public static let esp: UInt8 = 50
    public static let ah: UInt8 = 51
    public static let icmpv6: UInt8 = 58
    public static let none: UInt8 = 59
    public static let destination: UInt8 = 60
}

public struct IPv6View {
    public static let headerLength = 40
    public enum Failure: Error, Equatable { case tooShort, badVersion, badLength }

    /// The datagram, trimmed to 40 + payload length (link padding removed).
    public let bytes: UnsafeRawBufferPointer

    @inline(__always)
    public init(_ raw: UnsafeRawBufferPointer) throws(Failure) {
        guard raw.count >= 40 else { throw .tooShort }
        guard raw.u8(0) >> 4 == 6 else { throw .badVersion }
        let plen = Int(raw.be16(4))
        // Payload length 0 means a jumbogram (RFC 2675), which needs a hop-by-hop option we do
        // not support: refused with the other impossible lengths.
        guard 40 + plen <= raw.count, plen > 0 || raw.u8(6) == IPv6NextHeader.none else { throw .badLength }
        bytes = 40 + plen == raw.count ? raw : UnsafeRawBufferPointer(rebasing: raw[0..<(40 + plen)])
    }

    public var trafficClass: UInt8 { UInt8(truncatingIfNeeded: bytes.be32(0) >> 20) }
    public var flowLabel: UInt32 { bytes.be32(0) & 0xF_FFFF }
    public var payloadLength: Int { Int(bytes.be16(4)) }
    public var nextHeader: UInt8 { bytes.u8(6) }
    public var hopLimit: UInt8 { bytes.u8(7) }
    public var source: IPv6Address { IPv6Address(loadingFrom: bytes.baseAddress! + 8) }
    public var destination: IPv6Address { IPv6Address(loadingFrom: bytes.baseAddress! + 24) }
    public var payload: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[40...]) }
}

/// The fixed header's meaning, for tests and for code that reasons about values, not offsets.
public struct IPv6Repr: Equatable, Sendable {
    public var source: IPv6Address
    public var destination: IPv6Address
    public var nextHeader: UInt8
    public var hopLimit: UInt8
    public var payloadLength: Int
    public var trafficClass: UInt8 = 0
    public var flowLabel: UInt32 = 0

    public init(source: IPv6Address, destination: IPv6Address, nextHeader: UInt8, hopLimit: UInt8,
                payloadLength: Int, trafficClass: UInt8 = 0, flowLabel: UInt32 = 0) {
        self.source = source; self.destination = destination; self.nextHeader = nextHeader
        self.hopLimit = hopLimit; self.payloadLength = payloadLength
        self.trafficClass = trafficClass; self.flowLabel = flowLabel
    }

    public init(_ v: IPv6View) {
        self.init(source: v.source, destination: v.destination, nextHeader: v.nextHeader, hopLimit: v.hopLimit,
                  payloadLength: v.payloadLength, trafficClass: v.trafficClass, flowLabel: v.flowLabel)
    }

    /// Writes the 40-byte header at offset 0 of `p`.
    public func emit(_ p: UnsafeMutableRawBufferPointer) {
        IPv6Emitter.emit(p, payloadLength: payloadLength, nextHeader: nextHeader, hopLimit: hopLimit,
                         src: source, dst: destination, trafficClass: trafficClass, flowLabel: flowLabel)
    }
}

public enum IPv6Emitter {
    @inline(__always)
    public static func emit(_ p: UnsafeMutableRawBufferPointer, payloadLength: Int, nextHeader: UInt8, hopLimit: UInt8,
                            src: IPv6Address, dst: IPv6Address, trafficClass: UInt8 = 0, flowLabel: UInt32 = 0) {
        p.setBE32(0, 6 << 28 | UInt32(trafficClass) << 20 | (flowLabel & 0xF_FFFF))
        p.setBE16(4, UInt16(truncatingIfNeeded: payloadLength))
        p.setU8(6, nextHeader)
        p.setU8(7, hopLimit)
        src.store(to: p.baseAddress! + 8)
        dst.store(to: p.baseAddress! + 24)
    }
}

extension InternetChecksum {
    /// RFC 8200 8.1's pseudo-header partial sum: source, destination, upper-layer length (32
    /// bits) and next header, as 16-bit words.
    public static func pseudoHeader6(src: IPv6Address, dst: IPv6Address, nextHeader: UInt8, length: Int) -> UInt32 {
        @inline(__always) func words(_ h: UInt64) -> UInt64 { (h >> 48) + (h >> 32 & 0xFFFF) + (h >> 16 & 0xFFFF) + (h & 0xFFFF) }
        var s = words(src.high) + words(src.low) + words(dst.high) + words(dst.low)
        s += UInt64(UInt32(length) >> 16) + UInt64(length & 0xFFFF) + UInt64(nextHeader)
        return UInt32(fold(s))
    }
}

// MARK: extension headers

/// What a fragment header says (RFC 8200 4.5).
public struct IPv6FragmentHeader: Equatable, Sendable {
    /// Offset of the fragment header in the datagram; the bytes before it are the unfragmentable part.
    public var headerOffset: Int
    /// The next header field of the header before it (6 for the IPv6 header): reassembly rewrites it.
    public var previousNextHeaderOffset: Int
    public var nextHeader: UInt8
    /// Fragment offset in bytes.
    public var offset: Int
    public var moreFragments: Bool
    public var identification: UInt32
}

/// The walk's result: where the upper-layer header starts, or the fragment header that stops it.
public struct IPv6Chain: Equatable, Sendable {
    public var upperProtocol: UInt8
    public var upperOffset: Int
    /// The fragment header, when the chain reached one (the walk stops there).
    public var fragment: IPv6FragmentHeader?
    /// Extension headers walked, by type, in order (ip6s_nxthist counts them).
    public var headers: [UInt8] = []
    /// A hop-by-hop Router Alert option (MLD carries one).
    public var routerAlert = false
    /// Offset of the next-header field that names `upperProtocol` (for an unknown protocol's pointer).
    public var nextHeaderFieldOffset: Int
}

/// Why a datagram was refused while walking its headers; `pointer` is the byte offset in the
/// datagram (from the IPv6 header) that an ICMPv6 parameter problem names.
public enum IPv6ChainError: Error, Equatable, Sendable {
    /// A header or option runs past the datagram's end.
    case truncated(pointer: Int)
    /// A hop-by-hop header that is not the first (code 1: unrecognized next header).
    case misplacedHopByHop(pointer: Int)
    /// More extension headers than net.inet6.ip6.hdrnestlimit.
    case tooManyHeaders(pointer: Int)
    /// An unknown option whose action bits say discard silently (01).
    case optionDiscard(pointer: Int)
    /// An unknown option whose action says discard and answer parameter problem code 2 (10), or
    /// only when the destination is not multicast (11): `evenIfMulticast` tells which.
    case unrecognizedOption(pointer: Int, evenIfMulticast: Bool)
    /// A malformed header field (routing type 0 with segments left, bad option length): code 0.
    case erroneousField(pointer: Int)

    public var pointer: Int {
        switch self {
        case .truncated(let p), .misplacedHopByHop(let p), .tooManyHeaders(let p), .optionDiscard(let p),
             .unrecognizedOption(let p, _), .erroneousField(let p): p
        }
    }
}

public enum IPv6HeaderChain {
    public static let routerAlertOption: UInt8 = 5
    public static let pad1: UInt8 = 0
    public static let padN: UInt8 = 1

    /// Walks the chain of `datagram` (from the IPv6 header) starting with next header `first`
    /// at `offset` (40 for a fresh datagram, or past a reassembled datagram's removed fragment
    /// header). Stops at the first upper-layer or unknown header, or at a fragment header.
    /// At most `limit` extension headers. Never reads past `datagram`.
    public static func walk(_ datagram: UnsafeRawBufferPointer, first: UInt8? = nil, offset start: Int = 40,
                            nextHeaderField: Int = 6, limit: Int = 15) -> Result<IPv6Chain, IPv6ChainError> {
        var next = first ?? datagram.u8(6)
        var off = start
        var nhField = nextHeaderField
        var chain = IPv6Chain(upperProtocol: next, upperOffset: off, nextHeaderFieldOffset: nhField)
        var count = 0
        while true {
            switch next {
            case IPv6NextHeader.hopByHop, IPv6NextHeader.destination, IPv6NextHeader.routing:
                if next == IPv6NextHeader.hopByHop && off != 40 { return .failure(.misplacedHopByHop(pointer: nhField)) }
                count += 1
                if count > limit { return .failure(.tooManyHeaders(pointer: off)) }
                guard off + 8 <= datagram.count else { return .failure(.truncated(pointer: off)) }
                let len = (Int(datagram.u8(off + 1)) + 1) * 8
                guard off + len <= datagram.count else { return .failure(.truncated(pointer: off + 1)) }
                if next == IPv6NextHeader.routing {
                    // RFC 5095: type 0 is gone; any routing type we do not implement is skipped
                    // only while segments left is 0 (RFC 8200 4.4), else a parameter problem at type.
                    let segmentsLeft = datagram.u8(off + 3)
                    if segmentsLeft != 0 { return .failure(.erroneousField(pointer: off + 2)) }
                } else {
                    switch walkOptions(datagram, from: off + 2, to: off + len) {
                    case .failure(let e): return .failure(e)
                    case .success(let ra): if ra && next == IPv6NextHeader.hopByHop { chain.routerAlert = true }
                    }
                }
                chain.headers.append(next)
                nhField = off
                next = datagram.u8(off)
                off += len
            case IPv6NextHeader.fragment:
                count += 1
                if count > limit { return .failure(.tooManyHeaders(pointer: off)) }
                guard off + 8 <= datagram.count else { return .failure(.truncated(pointer: off)) }
                chain.headers.append(next)
                let w = datagram.be16(off + 2)
                chain.fragment = IPv6FragmentHeader(headerOffset: off, previousNextHeaderOffset: nhField,
                                                    nextHeader: datagram.u8(off), offset: Int(w & 0xFFF8),
                                                    moreFragments: w & 1 != 0, identification: datagram.be32(off + 4))
                chain.upperProtocol = IPv6NextHeader.fragment
                chain.upperOffset = off
                chain.nextHeaderFieldOffset = nhField
                return .success(chain)
            default:
                chain.upperProtocol = next
                chain.upperOffset = off
                chain.nextHeaderFieldOffset = nhField
                return .success(chain)
            }
        }
    }

    /// The upper-layer protocol and its offset, skipping extension headers by their lengths only
    /// (options not interpreted): what icmp6_error looks at to never answer an error. Nil when
    /// the chain is cut short, too long, or the first header is a fragment past offset 0.
    public static func upperLayer(_ d: UnsafeRawBufferPointer, limit: Int = 15) -> (proto: UInt8, offset: Int)? {
        guard d.count >= 40 else { return nil }
        var next = d.u8(6), off = 40
        for _ in 0...limit {
            switch next {
            case IPv6NextHeader.hopByHop, IPv6NextHeader.destination, IPv6NextHeader.routing:
                guard off + 8 <= d.count else { return nil }
                next = d.u8(off)
                off += (Int(d.u8(off + 1)) + 1) * 8
            case IPv6NextHeader.fragment:
                guard off + 8 <= d.count, d.be16(off + 2) & 0xFFF8 == 0 else { return nil }
                next = d.u8(off)
                off += 8
            default:
                return off <= d.count ? (next, off) : nil
            }
        }
        return nil
    }

    /// The hop-by-hop header at offset 40 alone (routers process it before deciding to forward):
    /// its next header, where it ends, and whether it carried a Router Alert.
    public static func hopByHop(_ d: UnsafeRawBufferPointer) -> Result<(next: UInt8, end: Int, routerAlert: Bool), IPv6ChainError> {
        guard d.count >= 48 else { return .failure(.truncated(pointer: 40)) }
        let len = (Int(d.u8(41)) + 1) * 8
        guard 40 + len <= d.count else { return .failure(.truncated(pointer: 41)) }
        switch walkOptions(d, from: 42, to: 40 + len) {
        case .failure(let e): return .failure(e)
        case .success(let ra): return .success((d.u8(40), 40 + len, ra))
        }
    }

    /// The TLV options of a hop-by-hop or destination header, in [from, to). Returns whether a
    /// Router Alert was present.
    static func walkOptions(_ d: UnsafeRawBufferPointer, from: Int, to end: Int) -> Result<Bool, IPv6ChainError> {
        var i = from
        var routerAlert = false
        while i < end {
            let type = d.u8(i)
            if type == pad1 { i += 1; continue }
            guard i + 2 <= end else { return .failure(.truncated(pointer: i)) }
            let len = Int(d.u8(i + 1))
            guard i + 2 + len <= end else { return .failure(.erroneousField(pointer: i + 1)) }
            switch type {
            case padN:
                break
            case routerAlertOption:
                guard len == 2 else { return .failure(.erroneousField(pointer: i + 1)) }
                routerAlert = true
            default:
                switch type >> 6 {
                case 0: break
                case 1: return .failure(.optionDiscard(pointer: i))
                case 2: return .failure(.unrecognizedOption(pointer: i, evenIfMulticast: true))
                default: return .failure(.unrecognizedOption(pointer: i, evenIfMulticast: false))
                }
            }
            i += 2 + len
        }
        return .success(routerAlert)
    }
}
