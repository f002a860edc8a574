// netstat(1) against a rump kernel: NetAdmin's NetstatTool with the kernel behind RUMP_SERVER.
import NetAdmin
import UtilitySupport

// rumpctrl's tools connect before main runs, so a missing server wins over bad arguments.
let kernel = Remote(program: "netstat")
emit(NetstatTool.run(utilityArguments, kernel: kernel))
