// Socket, signal and address helpers for the kernel server and its clients. They live in C
// because sockaddr casts, signalfd and errno are awkward or unavailable from Swift 6.
#ifndef RUMPNET_CKERNELSHIM_H
#define RUMPNET_CKERNELSHIM_H

#include <stdint.h>

/// errno of the calling thread (Swift's Glibc errno is usable but this keeps call sites uniform).
int ck_errno(void);

/// A listening AF_UNIX stream socket at `path`, created mode 0600, non-blocking, close-on-exec.
/// Returns the fd or -errno. An existing file at `path` gives -EADDRINUSE (NetBSD does not
/// remove it either).
int ck_listen_unix(const char *path, int backlog);
/// A listening AF_INET stream socket (address in network byte order), SO_REUSEADDR,
/// non-blocking, close-on-exec. Returns the fd or -errno.
int ck_listen_tcp(uint32_t addr_be, uint16_t port, int backlog);
/// Accepts one connection, non-blocking and close-on-exec; TCP_NODELAY on tcp sockets as
/// NetBSD's serv_handleconn does. Returns the fd or -errno.
int ck_accept(int listen_fd);
/// Who is on the other end of an accepted connection, for the server's owner check:
/// unix sockets by SO_PEERCRED, tcp from a loopback address by the peer socket's owner in
/// /proc/net/tcp (the entry whose local end is the peer's address and port and whose remote
/// end is ours). Returns the uid (>= 0), CK_PEER_REMOTE for a tcp peer not on loopback, or
/// CK_PEER_UNKNOWN when the owner cannot be found. `pid` gets the unix peer's pid or 0.
#define CK_PEER_REMOTE (-2)
#define CK_PEER_UNKNOWN (-1)
long ck_peer_uid(int fd, int *pid);
/// The peer's address as text ("127.0.0.1:40312", "pid 123"), for log lines.
void ck_peer_describe(int fd, char *buf, int size);

/// Blocking client connections (TCP_NODELAY on tcp, as rumpclient does). fd or -errno.
int ck_connect_unix(const char *path);
int ck_connect_tcp(uint32_t addr_be, uint16_t port);
/// Length limit of sun_path, including the terminating NUL.
int ck_sun_path_size(void);
/// inet_pton(AF_INET): 1 and the address in network byte order, 0 if unparsable.
int ck_inet_pton4(const char *s, uint32_t *out_be);

/// Blocks SIGTERM, SIGINT and SIGHUP for the process and returns a non-blocking signalfd
/// that reports them, or -errno. Ignores SIGPIPE (a dead client must not kill the server).
int ck_signalfd_open(void);
/// Reads one pending signal number from the signalfd, 0 if none.
int ck_signalfd_read(int fd);
/// Ignores SIGPIPE only (clients).
void ck_ignore_sigpipe(void);

/// Redirects stdin, stdout, stderr to /dev/null (the daemon child, as rumpuser_daemonize does).
void ck_redirect_stdio_devnull(void);
/// Closes every descriptor above 2 except `keep` (the daemon child must not hold its
/// spawner's pipes and sockets open: a supervisor waiting for EOF would wait for ever).
void ck_close_inherited_fds(int keep);
/// Receive/send timeouts on a blocking client socket (milliseconds, 0 = none).
int ck_set_timeouts(int fd, int recv_ms, int send_ms);

/// An event loop's epoll instance (close-on-exec), or -1 with errno set.
int ck_epoll_create(void);
/// Registers `fd` for `events` (poll's POLLIN/POLLOUT bits, which epoll shares) with `tag`
/// returned by ck_epoll_wait: `op` 0 adds, 1 changes, 2 removes. A change of a descriptor
/// epoll no longer has (it was closed) adds it, an add of one it has changes it. 0 or -errno.
int ck_epoll_set(int epfd, int op, int fd, uint32_t events, uint64_t tag);
/// Waits up to `timeout_ms` (-1: for ever) for at most `max` ready descriptors: their tags and
/// ready events (POLLIN/POLLOUT/POLLERR/POLLHUP bits). Returns the count, or -errno.
int ck_epoll_wait(int epfd, uint64_t *tags, uint32_t *events, int max, int timeout_ms);

#endif
