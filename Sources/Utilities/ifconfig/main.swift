// ifconfig(8) against a rump kernel: NetAdmin's IfconfigTool (parse, kernel calls, format)
// with the kernel behind RUMP_SERVER.
import NetAdmin
import UtilitySupport

// rumpctrl's tools connect before main runs, so a missing server wins over bad arguments.
let kernel = Remote(program: "ifconfig")
emit(IfconfigTool.run(utilityArguments, kernel: kernel))
