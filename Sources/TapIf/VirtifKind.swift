// The virt cloner (rumpnet_virtif): `ifconfig virtN create` makes a tap device with NetBSD's
// virtif MAC, b2:0a:RR:0b:0e:NN (RR one random byte, NN the unit), MTU 1500,
// BROADCAST|SIMPLEX|MULTICAST; destroy is EBUSY while up, as virtif_clone_destroy. The MAC is the
// rump side's; the host tap keeps its own.

import RumpNet

extension InterfaceKind {
    public static var virt: InterfaceKind {
        InterfaceKind(family: "virt", busyWhileUp: true) { r throws(Errno) in
            let mac = MACAddress(0xB20A_000B_0E00 | UInt64(r.random & 0xFF) << 24 | UInt64(r.unit & 0xFF))
            return MadeDevice(device: TapDevice(unit: r.unit, name: r.name), linkAddress: mac)
        }
    }
}
