// libuv, entered only through BFSLoop.
#include <uv.h>

// Process setup BFSLoop also owns (next to ignoreSIGPIPE): glibc's <malloc.h> is not part of
// the Glibc module, so its trim threshold is reached here. Returns 1 on success, 0 elsewhere.
#if defined(__GLIBC__)
#include <malloc.h>
static inline int cuv_set_heap_trim_threshold(int bytes) { return mallopt(M_TRIM_THRESHOLD, bytes); }
#else
static inline int cuv_set_heap_trim_threshold(int bytes) { (void)bytes; return 0; }
#endif
