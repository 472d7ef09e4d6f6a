/* A small open-addressing map from 64-bit ids to 32-bit values (internal to sim/kv): linear probing at a
 * load factor of at most 3/4, deletion by backward shift (no tombstones, so probe lengths stay short under
 * churn). Used for side tables: admitted requests, sessions, ghost entries, pending children.
 * KV_NO_ID (UINT64_MAX) cannot be a key. */
#ifndef KVTWIN_KV_IDMAP_H
#define KVTWIN_KV_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kv_idmap {
    uint64_t *keys;
    uint32_t *vals;
    uint32_t bits; /* log2 of the table size; 0 = not allocated */
    uint64_t n;
} kv_idmap_t;

void kv_idmap_init(kv_idmap_t *m);
void kv_idmap_fini(kv_idmap_t *m);
/* Value of key, or false if absent. */
bool kv_idmap_get(const kv_idmap_t *m, uint64_t key, uint32_t *val);
/* Inserts or replaces. */
void kv_idmap_put(kv_idmap_t *m, uint64_t key, uint32_t val);
/* Removes key; false if absent. */
bool kv_idmap_del(kv_idmap_t *m, uint64_t key);
size_t kv_idmap_mem_bytes(const kv_idmap_t *m);

#endif
