/* The project's one map from 64-bit keys to 64-bit values (or pointers, or nothing: a set): open addressing
 * with linear probing at a load factor of at most 3/4 and deletion by backward shift, so no tombstones and
 * probe lengths stay short under churn (a replay adding and removing sessions and ghost entries for hours).
 * A key and its value share one 16-byte cell, so a probe that finds its key reads one cache line (keys and
 * values in two arrays cost two misses per hit: the ghost lists of S3-FIFO and ARC probe it on every
 * insertion, docs/performance.md "KV manager by extents").
 * Keys are spread by Fibonacci hashing (the top bits of key x 2^64/phi), which serves dense or patterned ids
 * as well as hashed block ids. Every key is allowed: UINT64_MAX, the empty-slot marker, is kept aside.
 * Allocation failures follow sim/base/alloc.h. */
#ifndef KVTWIN_BASE_U64MAP_H
#define KVTWIN_BASE_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct u64map_cell {
    uint64_t key, val;
} u64map_cell_t;

typedef struct u64map {
    u64map_cell_t *cells;
    uint32_t bits; /* log2 of the table size; 0 = not allocated */
    size_t n;      /* keys held, UINT64_MAX included */
    bool has_max;  /* UINT64_MAX is a key; its value is max_val */
    uint64_t max_val;
} u64map_t;

void u64map_init(u64map_t *m);
void u64map_free(u64map_t *m);
/* True if key is present; *val (val may be NULL) receives its value. */
bool u64map_get(const u64map_t *m, uint64_t key, uint64_t *val);
/* Inserts or replaces; true if the key was new. */
bool u64map_put(u64map_t *m, uint64_t key, uint64_t val);
/* Removes key; false if absent. */
bool u64map_del(u64map_t *m, uint64_t key);
/* Iteration in slot order (not insertion order: never let it decide a result): start with *pos = 0; each
 * call yields one key and value and returns false when none is left. The map must not change meanwhile. */
bool u64map_next(const u64map_t *m, size_t *pos, uint64_t *key, uint64_t *val);
/* Heap bytes of the table, for memory budgets. */
size_t u64map_mem_bytes(const u64map_t *m);

/* Pointer values. */
static inline void *u64map_get_ptr(const u64map_t *m, uint64_t key)
{
    uint64_t v;
    return u64map_get(m, key, &v) ? (void *)(uintptr_t)v : NULL;
}

static inline bool u64map_put_ptr(u64map_t *m, uint64_t key, void *p)
{
    return u64map_put(m, key, (uint64_t)(uintptr_t)p);
}

#endif
