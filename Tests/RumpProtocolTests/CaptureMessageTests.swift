import XCTest
@testable import RumpProtocol

/// Per-interface capture's messages (0x7E, 0x7F): opcodes, the record layout a kernel writes
/// and a reader walks, and what a malformed batch says.
final class CaptureMessageTests: XCTestCase {
    func testOpcodesFollowTheImpairmentOnes() {
        XCTAssertEqual(Opcode.ifCaptureOpen.rawValue, 0x7E)
        XCTAssertEqual(Opcode.ifCaptureRead.rawValue, 0x7F)
    }

    func testReadPayloadBytes() {
        var w = WireWriter()
        Request.ifCaptureRead(session: 2, maxBytes: 0x1000, timeout: -1, close: true).encodePayload(&w)
        XCTAssertEqual(w.bytes, [2, 0, 0, 0, 0, 0x10, 0, 0, 0xff, 0xff, 0xff, 0xff, 1])
    }

    func testRecordsRoundTripInOrder() throws {
        var records: [UInt8] = []
        let a: [UInt8] = [1, 2, 3, 4, 5], b: [UInt8] = [9]
        a.withUnsafeBytes { CaptureRecord.append(to: &records, time: 1_000_000_007, wireLength: 60, flags: CaptureRecord.inbound, bytes: $0) }
        b.withUnsafeBytes { CaptureRecord.append(to: &records, time: 2, wireLength: 1, flags: CaptureRecord.outbound, bytes: $0) }
        XCTAssertEqual(records.count, 2 * CaptureRecord.headerSize + 6)
        XCTAssertEqual(Array(records[0..<20]), [0x07, 0xca, 0x9a, 0x3b, 0, 0, 0, 0, 60, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0])
        var seen: [(CaptureRecord, [UInt8])] = []
        try CaptureBatch(session: 1, linkType: 1, records: records).forEachRecord { seen.append(($0, Array($1))) }
        XCTAssertEqual(seen.map(\.0), [CaptureRecord(timeNanoseconds: 1_000_000_007, wireLength: 60, flags: 1),
                                       CaptureRecord(timeNanoseconds: 2, wireLength: 1, flags: 2)])
        XCTAssertEqual(seen.map(\.1), [a, b])
    }

    func testMalformedBatchNamesTheByteOffset() {
        var records: [UInt8] = []
        [UInt8](repeating: 7, count: 10).withUnsafeBytes { CaptureRecord.append(to: &records, time: 0, wireLength: 10, flags: 1, bytes: $0) }
        let whole = records
        records.removeLast(3)
        var n = 0
        XCTAssertThrowsError(try CaptureBatch(session: 1, linkType: 1, records: whole + records).forEachRecord { _, _ in n += 1 }) { e in
            XCTAssertEqual("\(e)".contains("capture record at byte 30"), true, "\(e)")
        }
        XCTAssertEqual(n, 1, "the whole record before the bad one is delivered")
        XCTAssertThrowsError(try CaptureBatch(session: 1, linkType: 1, records: [1, 2, 3]).forEachRecord { _, _ in })
        // A captured length beyond the frame's wire length is refused too.
        var liar = whole
        liar[8] = 4
        XCTAssertThrowsError(try CaptureBatch(session: 1, linkType: 1, records: liar).forEachRecord { _, _ in })
    }

    func testUnknownCapturePointIsRefused() {
        var w = WireWriter()
        w.string("lo0"); w.u8(7); w.u32(100); w.u32(65536); w.data([])
        var r = WireReader(w.bytes)
        XCTAssertThrowsError(try Request.decode(opcode: .ifCaptureOpen, &r))
    }
}
