// What `netstat -a` shows of one TCP or UDP protocol control block: NetBSDModels' SocketEntry,
// the type the protocol carries, under the name NetAdmin's formatters have used.

public typealias SocketInfo = SocketEntry
