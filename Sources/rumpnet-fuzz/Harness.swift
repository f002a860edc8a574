// libFuzzer entry point: each input is one frame (first byte picks the interface) fed to a stack
// configured as a forwarding router with two links; invariants are checked after every frame.

import RumpNet

final class SinkDriver: LinkDriver {
    var frames = 0
    func transmit(_ frame: UnsafeRawBufferPointer) -> Bool { frames &+= 1; return true }
}

final class Harness {
    let clock = VirtualClock()
    let stack: NetStack
    let fd: Int32
    var inputs = 0
    var rx = [UInt8](repeating: 0, count: 70000)

    init() {
        stack = NetStack(clock: clock, seed: 1)
        try! stack.attachInterface(name: "shmif0", driver: SinkDriver(), mac: MACAddress("b2:a0:00:00:00:01")!)
        try! stack.attachInterface(name: "shmif1", driver: SinkDriver(), mac: MACAddress("b2:a0:00:00:00:02")!)
        try! stack.addAddress(name: "shmif0", IPv4Address("10.0.0.1")!, netmask: 0xFFFF_FF00)
        try! stack.addAddress(name: "shmif1", IPv4Address("10.0.1.1")!, netmask: 0xFFFF_FF00)
        try! stack.arpSet(IPv4Address("10.0.1.7")!, mac: MACAddress("b2:a0:00:00:01:07")!)
        try! stack.addRoute(destination: .any, prefixLength: 0, gateway: IPv4Address("10.0.1.7")!)
        try! stack.sysctlSet("net.inet.ip.forwarding", 1)
        try! stack.sysctlSet("net.inet.icmp.errppslimit", -1)
        fd = try! stack.socket(domain: 2, type: 3, protocol: 0)
    }

    func run(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 1 else { return }
        let ifIndex = 2 + Int(data[0] & 1)
        stack.receive(UnsafeRawBufferPointer(rebasing: data[1...]), on: ifIndex)
        inputs &+= 1
        if inputs % 64 == 0 {
            clock.advance(nanoseconds: 500_000_000)
            stack.poll()
            rx.withUnsafeMutableBytes { b in while (try? stack.recvfrom(fd, into: b)) != nil {} }
        }
        // Bounded state whatever the input.
        precondition(stack.arpEntries.count <= 4096)
        if let d = stack.nextDeadline { precondition(d >= clock.now || d + 2_000_000_000 >= clock.now) }
    }
}

// The fuzzer calls in on one thread only.
nonisolated(unsafe) let harness = Harness()

@_cdecl("LLVMFuzzerTestOneInput")
public func rumpnetFuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    harness.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
