/* Ghost lists (internal to sim/kv): ids of blocks recently evicted, without their data, each list in
 * insertion order, all lists sharing one bounded node pool and one id index (an id is on at most one list).
 * S3-FIFO's ghost FIFO uses one list, ARC's B1 and B2 two, so ARC's ghosts together cost at most `cap`
 * nodes. O(1) add, lookup, remove by id and drop-oldest; 16 bytes per node plus the index. */
#ifndef KVTWIN_KV_GHOST_H
#define KVTWIN_KV_GHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/base/u64map.h"

#define KV_GHOST_LISTS 2

typedef struct kv_ghost_node {
    uint64_t id;
    uint32_t prev, next; /* towards older / newer; UINT32_MAX at the ends; next links the free list */
} kv_ghost_node_t;

typedef struct kv_ghost {
    kv_ghost_node_t *v;
    uint8_t *list; /* list of each node */
    uint32_t cap, nalloc, nfresh, free_head;
    uint32_t oldest[KV_GHOST_LISTS], newest[KV_GHOST_LISTS];
    uint64_t n[KV_GHOST_LISTS];
    u64map_t index; /* id -> node */
} kv_ghost_t;

/* cap = most ids remembered over all lists (0 allowed: remembers nothing). */
void kv_ghost_init(kv_ghost_t *g, uint64_t cap);
void kv_ghost_fini(kv_ghost_t *g);
/* Adds id as the newest of list l (moving it there if present); when full, drops the oldest of l (or of the
 * other list if l is empty). */
void kv_ghost_add(kv_ghost_t *g, int l, uint64_t id);
/* The list holding id, or -1. */
int kv_ghost_which(const kv_ghost_t *g, uint64_t id);
/* Forgets id; false if it was not there. */
bool kv_ghost_del(kv_ghost_t *g, uint64_t id);
/* Forgets the oldest id of list l; false if l is empty. */
bool kv_ghost_drop_oldest(kv_ghost_t *g, int l);
size_t kv_ghost_mem_bytes(const kv_ghost_t *g);

#endif
