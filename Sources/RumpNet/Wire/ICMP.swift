// ICMPv4 (RFC 792): view and emitter.

public enum ICMPType {
    public static let echoReply: UInt8 = 0
    public static let unreachable: UInt8 = 3
    public static let sourceQuench: UInt8 = 4
    public static let redirect: UInt8 = 5
    public static let echo: UInt8 = 8
    public static let routerAdvert: UInt8 = 9
    public static let routerSolicit: UInt8 = 10
    public static let timeExceeded: UInt8 = 11
    public static let parameterProblem: UInt8 = 12
    public static let timestamp: UInt8 = 13
    public static let timestampReply: UInt8 = 14
    public static let maskRequest: UInt8 = 17
    public static let maskReply: UInt8 = 18

    /// Error types: never answered with another error (RFC 1122 3.2.2).
    public static func isError(_ t: UInt8) -> Bool {
        t == unreachable || t == sourceQuench || t == redirect || t == timeExceeded || t == parameterProblem
    }
}

public enum ICMPUnreachCode {
    public static let net: UInt8 = 0
    public static let host: UInt8 = 1
    public static let proto: UInt8 = 2
    public static let port: UInt8 = 3
    public static let needFrag: UInt8 = 4
    public static let srcFail: UInt8 = 5
    public static let filterProhibited: UInt8 = 13
}

public struct ICMPView {
    public static let headerLength = 8
    public let bytes: UnsafeRawBufferPointer
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 8 else { return nil }
        self.bytes = bytes
    }
    public var type: UInt8 { bytes.u8(0) }
    public var code: UInt8 { bytes.u8(1) }
    public var checksum: UInt16 { bytes.be16(2) }
    public var identifier: UInt16 { bytes.be16(4) }
    public var sequence: UInt16 { bytes.be16(6) }
    /// Next-hop MTU of a "fragmentation needed" error (RFC 1191).
    public var nextHopMTU: UInt16 { bytes.be16(6) }
    public var isChecksumValid: Bool { InternetChecksum.sum(bytes) == 0xFFFF }
    public var data: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[8...]) }
}

public enum ICMPEmitter {
    /// Writes the 8-byte header; the checksum covers `length` bytes from offset 0 (data already in place).
    public static func emit(_ p: UnsafeMutableRawBufferPointer, type: UInt8, code: UInt8, rest: UInt32, length: Int) {
        p.setU8(0, type)
        p.setU8(1, code)
        p.setBE16(2, 0)
        p.setBE32(4, rest)
        p.setBE16(2, InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: p[0..<length])))
    }
}
