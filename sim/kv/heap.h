/* Indexed binary min-heap of store slots (internal to sim/kv), for the policies that evict by a score:
 * LFU, cost-aware (GDSF), leaf-first LRU, Belady. Each node holds the key, a tie-breaker (a sequence
 * number: equal keys leave in a deterministic order) and the slot; the slot's position in the heap lives
 * in the policy's meta area (a uint32_t at a fixed offset), so updates and removals are O(log n).
 * A max-heap is a min-heap of negated keys. */
#ifndef KVTWIN_KV_HEAP_H
#define KVTWIN_KV_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "sim/kv/store.h"

#define KV_HEAP_NONE UINT32_MAX /* position of a slot not in the heap */

typedef struct kv_heap_node {
    double key;
    uint64_t tie;
    uint32_t slot;
} kv_heap_node_t;

typedef struct kv_heap {
    kv_heap_node_t *v;
    uint32_t n, cap;
    const kv_store_t *store;
    size_t pos_off; /* offset of the slot's uint32_t heap position inside the meta area */
} kv_heap_t;

void kv_heap_init(kv_heap_t *h, const kv_store_t *store, size_t pos_off);
void kv_heap_fini(kv_heap_t *h);
/* Inserts slot (not in the heap) or, if it is there, changes its key. */
void kv_heap_set(kv_heap_t *h, uint32_t slot, double key, uint64_t tie);
/* Removes slot if it is in the heap. */
void kv_heap_remove(kv_heap_t *h, uint32_t slot);
/* The slot with the smallest (key, tie), or KV_NO_SLOT if empty. */
uint32_t kv_heap_top(const kv_heap_t *h);
double kv_heap_top_key(const kv_heap_t *h);
int kv_heap_contains(const kv_heap_t *h, uint32_t slot);
size_t kv_heap_mem_bytes(const kv_heap_t *h);

/* The heap position field of slot; policies set it to KV_HEAP_NONE when an entry is created. */
static inline uint32_t *kv_heap_pos(const kv_heap_t *h, uint32_t slot)
{
    return (uint32_t *)((char *)kv_store_meta(h->store, slot) + h->pos_off);
}

#endif
