#ifndef CMALLOCCOUNT_H
#define CMALLOCCOUNT_H
#include <stdint.h>
/// Number of malloc-family calls (malloc, calloc, realloc, posix_memalign, aligned_alloc,
/// memalign) made in this process since start.
uint64_t malloc_count_calls(void);
#endif
