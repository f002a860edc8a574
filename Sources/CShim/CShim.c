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
