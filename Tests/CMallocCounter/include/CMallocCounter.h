// Test-only heap allocation counter (see MallocCounter.c). Linked into the test executable only.
#ifndef BFS_MALLOC_COUNTER_H
#define BFS_MALLOC_COUNTER_H

#include <stdbool.h>
#include <stdint.h>

/// Marks (or unmarks) the calling thread as one whose allocations are counted.
void bfs_malloc_counter_track_current_thread(bool tracked);

/// Starts counting from zero on the tracked threads.
void bfs_malloc_counter_start(void);

/// Stops counting and returns the allocations counted since `bfs_malloc_counter_start`.
uint64_t bfs_malloc_counter_stop(void);

#endif
