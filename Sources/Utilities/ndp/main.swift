// ndp(8) against a rump kernel: NetAdmin's Ndp.run over the ND requests (UtilitySupport's
// Remote is its NdpKernel).
import NetAdmin
import UtilitySupport

let kernel = Remote(program: "ndp")
// ndp opens an AF_INET6 socket for its ioctls: a kernel without netinet6 fails there.
if !kernel.hasInet6 { emit(.errx("ndp", "socket: Address family not supported by protocol family")) }
emit(Ndp.run(utilityArguments, kernel: kernel))
