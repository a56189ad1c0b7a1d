// Test-only heap allocation counter: this module defines malloc, calloc, realloc, memalign,
// aligned_alloc and posix_memalign for the whole test executable (the executable's definitions
// take precedence over libc's for every library it loads, the Swift runtime included) and
// forwards each call to glibc's own entry point (__libc_malloc and friends, so no dlsym and no
// recursion). A call adds one to the count only while counting is on (start/stop) and only on a
// thread marked with bfs_malloc_counter_track_current_thread, so a test counts what a server's
// loop thread allocates and not what its client does. Not part of any product.
#include "CMallocCounter.h"

#include <errno.h>
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static _Thread_local bool tracked;
static bool counting;
static uint64_t count;

void bfs_malloc_counter_track_current_thread(bool on) { tracked = on; }

void bfs_malloc_counter_start(void) {
    __atomic_store_n(&count, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&counting, true, __ATOMIC_SEQ_CST);
}

uint64_t bfs_malloc_counter_stop(void) {
    __atomic_store_n(&counting, false, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&count, __ATOMIC_SEQ_CST);
}

static inline void note(void) {
    if (tracked && __atomic_load_n(&counting, __ATOMIC_RELAXED)) __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t n) { note(); return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { note(); return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { note(); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { note(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { note(); return __libc_memalign(a, n); }

int posix_memalign(void **out, size_t a, size_t n) {
    note();
    if (a < sizeof(void *) || (a & (a - 1)) != 0) return EINVAL;
    void *p = __libc_memalign(a, n);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}
