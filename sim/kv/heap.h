/* Indexed 4-ary min-heap of store slots (internal to sim/kv), for the policies that evict by a score:
 * LFU, cost-aware (GDSF), leaf-first LRU, Belady, LPC, Marconi. Each node holds the key, a tie-breaker (a
 * sequence number: equal keys leave in a deterministic order) and the slot; the position of each slot in
 * the heap lives in a dense array of the heap's own (4 bytes per slot of the store), so updates and removals
 * are O(log n). A max-heap is a min-heap of negated keys.
 *
 * Why this layout (docs/performance.md, "KV manager by extents"): a sift moves one node per level and must
 * record the moved slot's new position. Kept in the policy's meta area, that write lands in the store's
 * slab, one random cache line per level (the slab of a 20K-block tier is 1.3 MB, past a core's L2); in a
 * dense array it lands in 80 KB. Four children per level halve the levels. Nodes are totally ordered by
 * (key, tie) -- every caller passes a distinct sequence number as tie -- so the top, the only thing a policy
 * reads, does not depend on the heap's shape: the victims are the same as with the binary heap before. */
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
    uint32_t *pos; /* heap position of each slot [0, npos), KV_HEAP_NONE if absent; slots past npos are absent */
    uint32_t npos;
} kv_heap_t;

void kv_heap_init(kv_heap_t *h, const kv_store_t *store);
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

#endif
