// How the utilities print flag words (the flag values themselves are NetBSDModels' IFF, IN_IFF, RTF).

enum Bits {
    /// snprintb(3)-style "0x8843<UP,BROADCAST,…>"; just "0x0" when no bit is set.
    static func snprintb(_ value: UInt32, _ names: [(UInt32, String)]) -> String {
        let set = names.filter { value & $0.0 != 0 }.map { $0.1 }
        let hex = "0x" + Text.hex(value)
        return value == 0 ? hex : hex + "<" + set.joined(separator: ",") + ">"
    }

    /// bprintf-style "<UP,GATEWAY>" without the number.
    static func angle(_ value: UInt32, _ names: [(UInt32, String)]) -> String {
        "<" + names.filter { value & $0.0 != 0 }.map { $0.1 }.joined(separator: ",") + ">"
    }

    static func letters(_ value: UInt32, _ table: [(UInt32, Character)]) -> String {
        String(table.filter { value & $0.0 != 0 }.map { $0.1 })
    }
}
