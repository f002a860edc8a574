#define _GNU_SOURCE
#include "CKernelShim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <string.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int ck_errno(void) { return errno; }

#include <sys/epoll.h>

int ck_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int ck_epoll_set(int epfd, int op, int fd, uint32_t events, uint64_t tag) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = tag;
    int r;
    switch (op) {
    case 0:
        r = epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
        if (r < 0 && errno == EEXIST) r = epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
        break;
    case 1:
        r = epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
        if (r < 0 && errno == ENOENT) r = epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
        break;
    default:
        r = epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);
        break;
    }
    return r < 0 ? -errno : 0;
}

int ck_epoll_wait(int epfd, uint64_t *tags, uint32_t *events, int max, int timeout_ms) {
    struct epoll_event evs[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, evs, max, timeout_ms);
    if (n < 0) return -errno;
    for (int i = 0; i < n; i++) { tags[i] = evs[i].data.u64; events[i] = evs[i].events; }
    return n;
}

int ck_sun_path_size(void) {
    struct sockaddr_un s;
    return (int)sizeof(s.sun_path);
}

int ck_listen_unix(const char *path, int backlog) {
    struct sockaddr_un s;
    if (strlen(path) >= sizeof(s.sun_path)) return -ENAMETOOLONG;
    memset(&s, 0, sizeof(s));
    s.sun_family = AF_UNIX;
    strcpy(s.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    // umask around bind so the socket never exists with wider permissions, then chmod in
    // case the filesystem ignores the umask for sockets.
    mode_t old = umask(077);
    int rc = bind(fd, (struct sockaddr *)&s, sizeof(s));
    int e = errno;
    umask(old);
    if (rc < 0) { close(fd); return -e; }
    if (chmod(path, 0600) < 0 || listen(fd, backlog) < 0) {
        e = errno;
        unlink(path);
        close(fd);
        return -e;
    }
    return fd;
}

int ck_listen_tcp(uint32_t addr_be, uint16_t port, int backlog) {
    struct sockaddr_in s;
    memset(&s, 0, sizeof(s));
    s.sin_family = AF_INET;
    s.sin_addr.s_addr = addr_be;
    s.sin_port = htons(port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&s, sizeof(s)) < 0 || listen(fd, backlog) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int ck_accept(int listen_fd) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = accept4(listen_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return -errno;
    if (ss.ss_family == AF_INET) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return fd;
}

int ck_connect_unix(const char *path) {
    struct sockaddr_un s;
    if (strlen(path) >= sizeof(s.sun_path)) return -ENAMETOOLONG;
    memset(&s, 0, sizeof(s));
    s.sun_family = AF_UNIX;
    strcpy(s.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    while (connect(fd, (struct sockaddr *)&s, sizeof(s)) < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int ck_connect_tcp(uint32_t addr_be, uint16_t port) {
    struct sockaddr_in s;
    memset(&s, 0, sizeof(s));
    s.sin_family = AF_INET;
    s.sin_addr.s_addr = addr_be;
    s.sin_port = htons(port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (connect(fd, (struct sockaddr *)&s, sizeof(s)) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

int ck_inet_pton4(const char *str, uint32_t *out_be) {
    struct in_addr a;
    if (inet_pton(AF_INET, str, &a) != 1) return 0;
    *out_be = a.s_addr;
    return 1;
}

int ck_signalfd_open(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) return -errno;
    signal(SIGPIPE, SIG_IGN);
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int ck_signalfd_read(int fd) {
    struct signalfd_siginfo si;
    ssize_t n = read(fd, &si, sizeof(si));
    if (n != (ssize_t)sizeof(si)) return 0;
    return (int)si.ssi_signo;
}

void ck_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

/* A daemon's stdio goes to /dev/null, as NetBSD's rumpuser_daemonize_done does, except an
 * output that is a regular file: whoever started the server chose to keep its log there
 * (rumpnet-lab does), and a file, unlike a terminal or a pipe, holds nobody up. */
static int ck_is_regular_file(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

void ck_redirect_stdio_devnull(void) {
    int fd = open("/dev/null", O_RDWR);
    if (fd < 0) return;
    dup2(fd, 0);
    if (!ck_is_regular_file(1)) dup2(fd, 1);
    if (!ck_is_regular_file(2)) dup2(fd, 2);
    if (fd > 2) close(fd);
}

int ck_set_timeouts(int fd, int recv_ms, int send_ms) {
    struct timeval tv;
    tv.tv_sec = recv_ms / 1000;
    tv.tv_usec = (recv_ms % 1000) * 1000;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) return -errno;
    tv.tv_sec = send_ms / 1000;
    tv.tv_usec = (send_ms % 1000) * 1000;
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) return -errno;
    return 0;
}

void ck_close_inherited_fds(int keep) {
    // Collect first, close after: closing while iterating /proc/self/fd would close the
    // directory's own descriptor under readdir.
    int fds[4096];
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) return;
    int dfd = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 4096) {
        if (e->d_name[0] == '.') continue;
        int fd = atoi(e->d_name);
        if (fd > 2 && fd != keep && fd != dfd) fds[n++] = fd;
    }
    closedir(d);
    for (int i = 0; i < n; i++) close(fds[i]);
}

// MARK: peer credentials (see CKernelShim.h)

#include <stdio.h>

static int ck_is_loopback(uint32_t addr_be) { return (ntohl(addr_be) >> 24) == 127; }

long ck_peer_uid(int fd, int *pid) {
    if (pid) *pid = 0;
    struct sockaddr_storage local, peer;
    socklen_t llen = sizeof local, plen = sizeof peer;
    if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0) return CK_PEER_UNKNOWN;
    if (local.ss_family == AF_UNIX) {
        struct ucred cred;
        socklen_t clen = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) return CK_PEER_UNKNOWN;
        if (pid) *pid = cred.pid;
        return (long)cred.uid;
    }
    if (local.ss_family != AF_INET) return CK_PEER_UNKNOWN;
    if (getpeername(fd, (struct sockaddr *)&peer, &plen) < 0) return CK_PEER_UNKNOWN;
    const struct sockaddr_in *l = (const struct sockaddr_in *)&local, *p = (const struct sockaddr_in *)&peer;
    if (!ck_is_loopback(p->sin_addr.s_addr)) return CK_PEER_REMOTE;
    FILE *f = fopen("/proc/net/tcp", "re");
    if (!f) return CK_PEER_UNKNOWN;
    // "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid ..."
    // Addresses are the 32-bit words as the host stores them, in hex; ports in hex.
    char line[512];
    long uid = CK_PEER_UNKNOWN;
    if (!fgets(line, sizeof line, f)) { fclose(f); return CK_PEER_UNKNOWN; }
    while (fgets(line, sizeof line, f)) {
        unsigned la, lp, ra, rp, st;
        unsigned long u;
        if (sscanf(line, " %*d: %8X:%4X %8X:%4X %2X %*X:%*X %*X:%*X %*X %lu", &la, &lp, &ra, &rp, &st, &u) != 6) continue;
        if (la == p->sin_addr.s_addr && lp == ntohs(p->sin_port) &&
            ra == l->sin_addr.s_addr && rp == ntohs(l->sin_port)) {
            uid = (long)u;
            break;
        }
    }
    fclose(f);
    return uid;
}

void ck_peer_describe(int fd, char *buf, int size) {
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    if (size <= 0) return;
    buf[0] = 0;
    if (getpeername(fd, (struct sockaddr *)&peer, &plen) < 0) { snprintf(buf, size, "unknown peer"); return; }
    if (peer.ss_family == AF_INET) {
        const struct sockaddr_in *p = (const struct sockaddr_in *)&peer;
        char a[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &p->sin_addr, a, sizeof a);
        snprintf(buf, size, "%s:%u", a, ntohs(p->sin_port));
    } else if (peer.ss_family == AF_UNIX) {
        struct ucred cred;
        socklen_t clen = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) snprintf(buf, size, "pid %d", (int)cred.pid);
        else snprintf(buf, size, "unix peer");
    } else {
        snprintf(buf, size, "peer of family %d", peer.ss_family);
    }
}
