import Foundation
import TestSupport
import XCTest

// Files the real-process tests send through kernels and check on the far side.
extension XCTestCase {
    /// sha256sum's digest of a host file.
    func sha256(_ path: String) -> String {
        String(runTool(["/usr/bin/sha256sum", path], rumpServer: nil).stdout.prefix(64))
    }

    /// A host file of `count` random bytes.
    func randomFile(_ path: String, _ count: Int) {
        var bytes = [UInt8](repeating: 0, count: count)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
    }
}
