import XCTest
@testable import RumpProtocol

/// The link-impairment requests (0x7A...): their opcodes and payload bytes are fixed.
final class ImpairmentMessageTests: XCTestCase {
    func payload(_ q: Request) -> [UInt8] {
        var w = WireWriter()
        q.encodePayload(&w)
        return w.bytes
    }

    func testOpcodes() {
        XCTAssertEqual(Opcode.ifSetImpairment.rawValue, 0x7A)
        XCTAssertEqual(Opcode.ifGetImpairment.rawValue, 0x7B)
        XCTAssertEqual(Opcode.ifImpairmentCounters.rawValue, 0x7C)
        XCTAssertEqual(Opcode.ifSetLinkState.rawValue, 0x7D)
    }

    func testPayloadBytes() {
        // string: u32 length + bytes; bool: one byte; array: u32 count + elements.
        XCTAssertEqual(payload(.ifSetLinkState(name: "lo0", up: false)), [3, 0, 0, 0, 0x6C, 0x6F, 0x30, 0])
        XCTAssertEqual(payload(.ifSetImpairment(name: "lo0", words: nil)), [3, 0, 0, 0, 0x6C, 0x6F, 0x30, 0])
        XCTAssertEqual(payload(.ifSetImpairment(name: "a", words: ["up"])), [1, 0, 0, 0, 0x61, 1, 1, 0, 0, 0, 2, 0, 0, 0, 0x75, 0x70])
    }

    func testTruncatedPayloadIsAnError() {
        var w = WireWriter()
        Request.ifSetImpairment(name: "shmif0", words: ["delay", "20ms"]).encodePayload(&w)
        let cut = Array(w.bytes.dropLast(2))
        var r = WireReader(cut)
        XCTAssertThrowsError(try Request.decode(opcode: .ifSetImpairment, &r))
    }
}
