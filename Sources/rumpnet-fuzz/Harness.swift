// libFuzzer entry point: each input is one frame (first byte picks the interface) fed to a stack
// configured as a forwarding router with two links, with a raw socket and UDP sockets (bound to
// port 53 on any address, and one connected to 10.0.0.2:53 so ICMP errors reach so_error);
// invariants are checked after every frame.

import RumpNet

final class SinkDriver: LinkDriver {
    var frames = 0
    func transmit(_ frame: UnsafeRawBufferPointer) -> Bool { frames &+= 1; return true }
}

final class Harness {
    let clock = VirtualClock()
    let stack: NetStack
    let fd: Int32
    let udpBound: Int32, udpConnected: Int32
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
        udpBound = try! stack.socket(domain: 2, type: 2, protocol: 0)
        try! stack.bind(udpBound, to: SocketEndpoint(.any, 53))
        udpConnected = try! stack.socket(domain: 2, type: 2, protocol: 0)
        try! stack.connect(udpConnected, to: SocketEndpoint(IPv4Address("10.0.0.2")!, 53))
    }

    func run(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 1 else { return }
        let ifIndex = 2 + Int(data[0] & 1)
        stack.receive(UnsafeRawBufferPointer(rebasing: data[1...]), on: ifIndex)
        inputs &+= 1
        if inputs % 64 == 0 {
            clock.advance(nanoseconds: 500_000_000)
            stack.poll()
            rx.withUnsafeMutableBytes { b in
                while (try? stack.recvfrom(fd, into: b)) != nil {}
                for u in [udpBound, udpConnected] {
                    // Datagrams, then a pending so_error (which the failing receive clears).
                    while (try? stack.receive(u, into: b)) != nil {}
                    precondition(stack.socketEvents(u) == .writable)
                }
            }
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
