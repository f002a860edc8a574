// Small C helpers for what Swift cannot express directly on Linux:
// atomics on words inside a shared file mapping (shared with other processes,
// including NetBSD rump kernels, so they must be plain 32-bit words), the CPU's
// spin-wait hint, and ioctl constants.
#ifndef RUMPNET_CSHIM_H
#define RUMPNET_CSHIM_H

#include <stdint.h>
#include <sys/timerfd.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <time.h>

/// Compare-and-swap with acquire ordering on success; returns the old value
/// (NetBSD's atomic_cas_32 semantics).
static inline uint32_t rn_cas32_acquire(volatile uint32_t *p, uint32_t expected, uint32_t desired) {
    uint32_t e = expected;
    __atomic_compare_exchange_n(p, &e, desired, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
    return e;
}

/// Atomic exchange with release ordering; returns the old value (atomic_swap_32 after membar_exit).
static inline uint32_t rn_swap32_release(volatile uint32_t *p, uint32_t v) {
    return __atomic_exchange_n(p, v, __ATOMIC_RELEASE);
}

static inline uint32_t rn_load32_acquire(volatile uint32_t *p) {
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint32_t rn_load32_relaxed(volatile uint32_t *p) {
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void rn_store32_release(volatile uint32_t *p, uint32_t v) {
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void rn_fence_acq_rel(void) {
    __atomic_thread_fence(__ATOMIC_ACQ_REL);
}

/// The spin-wait hint (x86 PAUSE, arm YIELD): lets a sibling hyperthread run
/// and saves power while spinning on the bus lock.
static inline void rn_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield");
#endif
}

/// A non-blocking periodic timerfd (Glibc's Swift module does not import timerfd.h):
/// readable every `period_ns`. Returns the descriptor or -1 with errno set.
static inline int rn_periodic_timerfd(long period_ns) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) return -1;
    struct itimerspec spec;
    spec.it_interval.tv_sec = period_ns / 1000000000L;
    spec.it_interval.tv_nsec = period_ns % 1000000000L;
    spec.it_value = spec.it_interval;
    timerfd_settime(fd, 0, &spec, 0);
    return fd;
}

/// Keeps one CPU from halting when idle, for latency: pins the calling thread to `cpu`,
/// drops it to SCHED_IDLE (it runs only when nothing else wants that CPU, and any woken task
/// preempts it at once), and spins with the pause hint. A VM's halted vCPU takes 25-45 us to
/// wake; a spinning one takes a context switch. Returns only on error (-1, errno set).
int rn_idle_poll_forever(int cpu);

/// SIGBUS on shared bus mappings. A bus file shrunk under us (truncate) makes every access
/// to the pages past its new end raise SIGBUS. A registered mapping that faults is replaced
/// in the handler by anonymous zero pages (MAP_FIXED over the same range, as Wayland's
/// wl_shm does), so the faulting access completes on private memory, and the slot's fault
/// count says the bus is gone. Faults outside registered ranges go to the previous handler
/// (or the default action). Up to RN_BUS_GUARD_SLOTS mappings at once.
#define RN_BUS_GUARD_SLOTS 256

/// Installs the handler (once per process) and registers [base, base+size). Returns a slot
/// number for the other calls, or -1 if the handler cannot be installed or all slots are used.
int rn_bus_guard_register(void *base, unsigned long size);
/// Stops guarding the slot (before munmap of its range).
void rn_bus_guard_unregister(int slot);
/// How many faults the handler caught in the slot's range (0: the mapping is the file's).
unsigned rn_bus_guard_faults(int slot);
/// Replaces the slot's range by anonymous zero pages now, as the handler would: for a bus
/// found shrunk or foreign before it is touched. Returns 0, or -1 with errno set.
int rn_bus_guard_detach(int slot);

/// A non-blocking epoll descriptor (Glibc's Swift module has no epoll.h helpers for us):
/// readable when any member is. Returns the descriptor or -1.
int rn_epoll_create(void);
/// Adds `fd` for EPOLLIN. Returns 0 or -1.
int rn_epoll_add(int epfd, int fd);
/// A non-blocking eventfd (a kernel host's loop inbox). Returns the descriptor or -1.
static inline int rn_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
/// Makes the eventfd readable.
static inline void rn_eventfd_signal(int fd) { uint64_t one = 1; (void)!write(fd, &one, 8); }
/// Makes it quiet again.
static inline void rn_eventfd_drain(int fd) { uint64_t n; (void)!read(fd, &n, 8); }
/// A non-blocking one-shot timerfd, disarmed. Returns the descriptor or -1.
int rn_oneshot_timerfd(void);
/// Arms (ns > 0) or disarms (ns == 0) a one-shot timerfd. Returns 0 or -1.
int rn_timerfd_arm(int fd, long ns);

/// Linux tun/tap ioctl and flags (linux/if_tun.h), written out so Swift sees them.
#define RN_TUNSETIFF 0x400454caUL
#define RN_IFF_TAP 0x0002
#define RN_IFF_NO_PI 0x1000

/// Opens the tun clone device at `path` (O_RDWR|O_NONBLOCK|O_CLOEXEC) and makes it the TAP
/// interface `name` (IFF_TAP|IFF_NO_PI; "" lets Linux pick tapN). The name Linux gave goes to
/// `actual` (16 bytes). Returns the descriptor, or -errno with `*step` = 1 for the open and
/// 2 for TUNSETIFF, so the caller can say which failed.
int rn_tap_open(const char *path, const char *name, char *actual, int *step);

#endif
