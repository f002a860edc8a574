// Most of CShim is static inline in the header; what needs _GNU_SOURCE lives here.
#define _GNU_SOURCE
#include <sched.h>
#include "CShim.h"

int rn_idle_poll_forever(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) return -1;
    struct sched_param param = { 0 };
    if (sched_setscheduler(0, SCHED_IDLE, &param) != 0) return -1;
    for (;;) rn_cpu_relax();
}

// MARK: SIGBUS guard for bus mappings (see CShim.h)

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>

struct rn_bus_guard_slot {
    uintptr_t base;     // 0: free
    uintptr_t size;     // 0: not (yet / any more) guarded
    unsigned faults;
};

static struct rn_bus_guard_slot rn_guard_slots[RN_BUS_GUARD_SLOTS];
static struct sigaction rn_guard_previous;
static pthread_once_t rn_guard_once = PTHREAD_ONCE_INIT;
static int rn_guard_installed;

static int rn_guard_replace(uintptr_t base, uintptr_t size) {
    // mmap is a plain system call on Linux (no locks taken in user space), so it is safe in
    // the handler although POSIX does not list it.
    void *p = mmap((void *)base, size, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? -1 : 0;
}

static void rn_guard_handler(int sig, siginfo_t *info, void *context) {
    uintptr_t addr = (uintptr_t)info->si_addr;
    for (int i = 0; i < RN_BUS_GUARD_SLOTS; i++) {
        uintptr_t base = __atomic_load_n(&rn_guard_slots[i].base, __ATOMIC_ACQUIRE);
        uintptr_t size = __atomic_load_n(&rn_guard_slots[i].size, __ATOMIC_ACQUIRE);
        if (base != 0 && size != 0 && addr >= base && addr < base + size) {
            int saved = errno;
            if (rn_guard_replace(base, size) == 0) {
                __atomic_add_fetch(&rn_guard_slots[i].faults, 1, __ATOMIC_RELEASE);
                errno = saved;
                return;  // the faulting access is retried, now on anonymous memory
            }
            errno = saved;
            break;
        }
    }
    // Not ours: what would have happened without us.
    if ((rn_guard_previous.sa_flags & SA_SIGINFO) && rn_guard_previous.sa_sigaction) {
        rn_guard_previous.sa_sigaction(sig, info, context);
        return;
    }
    if (rn_guard_previous.sa_handler != SIG_DFL && rn_guard_previous.sa_handler != SIG_IGN) {
        rn_guard_previous.sa_handler(sig);
        return;
    }
    signal(SIGBUS, SIG_DFL);  // returning re-executes the access, which now kills as it should
}

static void rn_guard_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = rn_guard_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    rn_guard_installed = sigaction(SIGBUS, &sa, &rn_guard_previous) == 0;
}

int rn_bus_guard_register(void *base, unsigned long size) {
    pthread_once(&rn_guard_once, rn_guard_install);
    if (!rn_guard_installed || base == 0 || size == 0) return -1;
    for (int i = 0; i < RN_BUS_GUARD_SLOTS; i++) {
        uintptr_t expected = 0;
        if (__atomic_compare_exchange_n(&rn_guard_slots[i].base, &expected, (uintptr_t)base, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            __atomic_store_n(&rn_guard_slots[i].faults, 0, __ATOMIC_RELAXED);
            __atomic_store_n(&rn_guard_slots[i].size, (uintptr_t)size, __ATOMIC_RELEASE);
            return i;
        }
    }
    return -1;
}

void rn_bus_guard_unregister(int slot) {
    if (slot < 0 || slot >= RN_BUS_GUARD_SLOTS) return;
    __atomic_store_n(&rn_guard_slots[slot].size, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&rn_guard_slots[slot].base, 0, __ATOMIC_RELEASE);
}

unsigned rn_bus_guard_faults(int slot) {
    if (slot < 0 || slot >= RN_BUS_GUARD_SLOTS) return 0;
    return __atomic_load_n(&rn_guard_slots[slot].faults, __ATOMIC_ACQUIRE);
}

int rn_bus_guard_detach(int slot) {
    if (slot < 0 || slot >= RN_BUS_GUARD_SLOTS) { errno = EINVAL; return -1; }
    uintptr_t base = __atomic_load_n(&rn_guard_slots[slot].base, __ATOMIC_ACQUIRE);
    uintptr_t size = __atomic_load_n(&rn_guard_slots[slot].size, __ATOMIC_ACQUIRE);
    if (base == 0 || size == 0) { errno = EINVAL; return -1; }
    return rn_guard_replace(base, size);
}

// MARK: epoll and one-shot timers for the bus watch's retry timer

int rn_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int rn_epoll_add(int epfd, int fd) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int rn_oneshot_timerfd(void) { return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC); }

int rn_timerfd_arm(int fd, long ns) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    spec.it_value.tv_sec = ns / 1000000000L;
    spec.it_value.tv_nsec = ns % 1000000000L;
    return timerfd_settime(fd, 0, &spec, 0);
}

// MARK: tap devices (see CShim.h)

#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int rn_tap_open(const char *path, const char *name, char *actual, int *step) {
    *step = 1;
    int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = RN_IFF_TAP | RN_IFF_NO_PI;
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    *step = 2;
    if (ioctl(fd, RN_TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    memcpy(actual, ifr.ifr_name, IFNAMSIZ);
    actual[IFNAMSIZ - 1] = 0;
    return fd;
}
