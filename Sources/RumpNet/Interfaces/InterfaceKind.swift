// Interface kinds: what `ifconfig NAME create` can make. A component registers its kind (lo
// with rumpnet_net, shmif with rumpnet_shmif, virt with rumpnet_virtif; tests register memory
// links) and the stack's create looks the family up here: NetBSD's if_clone list.

import Shmif

/// What a kind is asked to make: unit `unit` of its family, named `name`.
public struct InterfaceRequest {
    public var name: String
    public var unit: Int
    /// The if_index the interface will have.
    public var index: Int
    /// 64 bits from the stack's seeded generator (MACs, sender ids): deterministic under a seed.
    public var random: UInt64
    public var clock: NetClock
}

/// A new interface's device and link address.
public struct MadeDevice {
    public var device: NetDevice
    public var linkAddress: MACAddress
    public init(device: NetDevice, linkAddress: MACAddress) {
        self.device = device
        self.linkAddress = linkAddress
    }
}

public struct InterfaceKind {
    /// The cloner name `ifconfig -C` prints ("shmif", "virt").
    public let family: String
    public let linkType: LinkType
    /// Flags a new interface has (NetBSD's if_flags at attach).
    public let flags: InterfaceFlags
    public let mtu: Int
    /// SIOCSIFMTU's upper bound.
    public let maxMTU: Int
    /// Makes the device; an errno when it cannot (create fails with it).
    public let make: (InterfaceRequest) throws(Errno) -> MadeDevice
    /// Whether unit `name` may be destroyed (lo0 may not).
    public let destroyable: (String) -> Bool
    /// Destroy answers EBUSY while the interface is up (NetBSD's virtif), instead of taking it down.
    public let busyWhileUp: Bool

    public init(family: String, linkType: LinkType = .ethernet, flags: InterfaceFlags = [.broadcast, .simplex, .multicast],
                mtu: Int = 1500, maxMTU: Int = 1500, destroyable: @escaping (String) -> Bool = { _ in true },
                busyWhileUp: Bool = false, make: @escaping (InterfaceRequest) throws(Errno) -> MadeDevice) {
        self.family = family
        self.linkType = linkType
        self.flags = flags
        self.mtu = mtu
        self.maxMTU = maxMTU
        self.destroyable = destroyable
        self.busyWhileUp = busyWhileUp
        self.make = make
    }
}

extension InterfaceKind {
    /// shmif(4): created without a bus; `linkstr` attaches one.
    public static var shmif: InterfaceKind {
        InterfaceKind(family: "shmif") { r throws(Errno) in
            let d = ShmifDevice(random: r.random, clock: r.clock)
            return MadeDevice(device: d, linkAddress: d.macAddress)
        }
    }

    /// shmif(4) in a kernel host: buses mapped once per loop by `hub`, co-hosted readers woken
    /// through it; `wake` is the kernel's input (poll the devices, resync the loop).
    public static func shmif(hub: LoopBusHub, wake: @escaping () -> Void) -> InterfaceKind {
        InterfaceKind(family: "shmif") { r throws(Errno) in
            let d = ShmifDevice(random: r.random, clock: r.clock, hub: hub, wake: wake)
            return MadeDevice(device: d, linkAddress: d.macAddress)
        }
    }

    /// Ports on an in-memory link: `ifconfig mem0 create` attaches one more port to `link`
    /// (tests and embedded kernels). MACs are b2:a0 plus four random bytes.
    public static func memoryLink(_ link: MemoryLink, family: String = "mem") -> InterfaceKind {
        InterfaceKind(family: family) { r throws(Errno) in
            MadeDevice(device: link.makeDevice(), linkAddress: MACAddress(0xB2A0 << 32 | (r.random & 0xFFFF_FFFF)))
        }
    }
}
