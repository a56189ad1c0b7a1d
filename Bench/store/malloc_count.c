// Heap allocation counter for the store benchmark, loaded with LD_PRELOAD into the server under
// test (the store or nginx): every malloc, calloc, realloc, posix_memalign, aligned_alloc and
// memalign call adds one to a 64-bit counter kept in the file named by BFS_MALLOC_COUNT_FILE
// (8 bytes, native endianness, mapped shared, so `run.sh` reads it while the server runs and a
// forked child adds to the same counter). The calls are forwarded to glibc's own entry points
// (__libc_malloc and friends), which need no dlsym and so cannot recurse.
//
// Build: cc -O2 -shared -fPIC -o malloc_count.so malloc_count.c
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static uint64_t early;               // counts until the shared counter is mapped
static uint64_t *counter = &early;

__attribute__((constructor)) static void map_counter(void) {
    const char *path = getenv("BFS_MALLOC_COUNT_FILE");
    if (path == NULL) return;
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) return;
    if (ftruncate(fd, sizeof(uint64_t)) == 0) {
        void *p = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED) counter = p;
    }
    close(fd);
}

static inline void count(void) { __atomic_add_fetch(counter, 1, __ATOMIC_RELAXED); }

void *malloc(size_t n) { count(); return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { count(); return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { count(); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { count(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { count(); return __libc_memalign(a, n); }

int posix_memalign(void **out, size_t a, size_t n) {
    count();
    void *p = __libc_memalign(a, n);
    if (p == NULL) return 12;  // ENOMEM
    *out = p;
    return 0;
}
