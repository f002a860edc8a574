// rumpnet-fuzz. Built normally it replays the files given (a corpus, crash reproducers) through
// the harness. Built for libFuzzer (whose own main then runs):
//   swift build -c release --build-path .build/fuzz --product rumpnet-fuzz \
//     -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library -Xswiftc -DFUZZING
//   .build/fuzz/release/rumpnet-fuzz -max_len=1600 -runs=1000000
import Glibc

#if FUZZING
// libFuzzer's driver, entered from our main (SwiftPM names the executable's entry point itself).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@main
enum Replay {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, rumpnetFuzz))
    }
}
#else
@main
enum Replay {
    static func main() {
        var replayed = 0
        for path in CommandLine.arguments.dropFirst() {
            guard let f = fopen(path, "rb") else { print("cannot open \(path)"); continue }
            var bytes = [UInt8](repeating: 0, count: 65536)
            let n = fread(&bytes, 1, bytes.count, f)
            fclose(f)
            _ = bytes.withUnsafeBufferPointer { rumpnetFuzz($0.baseAddress, n) }
            replayed += 1
        }
        print("replayed \(replayed) inputs without a crash")
        // What reached TCP (tests check the corpus got past the checks into connections).
        let t = harness.stack.tcpStats
        let i6 = harness.stack.ip6Stats, c6 = harness.stack.icmp6Stats
        print("ip6: total \(i6.total) delivered \(i6.delivered) forward \(i6.forward) fragments \(i6.fragments) icmp6reflect \(c6.reflect) icmp6checksum \(c6.checksum) neighbours \(harness.stack.neighborCount)")
        print("tcp: rcvtotal \(t.rcvtotal) rcvpack \(t.rcvpack) rcvbyte \(t.rcvbyte) rcvackpack \(t.rcvackpack) rcvbadoff \(t.rcvbadoff) challengeAcks \(t.challengeAcks) scAdded \(t.scAdded)")
    }
}
#endif
