// route(8) against a rump kernel: NetAdmin's RouteTool with the kernel behind RUMP_SERVER
// (RTM_* messages become protocol requests).
import NetAdmin
import UtilitySupport

// rumpctrl's tools connect before main runs, so a missing server wins over bad arguments.
let kernel = Remote(program: "route")
emit(RouteTool.run(utilityArguments, kernel: kernel))
