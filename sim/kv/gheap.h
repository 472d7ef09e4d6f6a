/* Key-grouped priority queue of store slots (internal to sim/kv): the same interface and the same order as
 * the indexed heap (heap.h) -- smallest (key, tie) first -- for policies whose keys repeat a lot: LFU, whose
 * keys are small integers (frequency plus an eviction level), and Belady, whose blocks mostly share the key
 * "never used again".
 *
 * Slots of equal key form one group, a doubly linked list in tie order; a small 4-ary heap orders the groups
 * by key, and a map finds a key's group. Ties are sequence numbers handed out in increasing order, so a slot
 * (re)keyed now carries the largest tie there is and goes to the tail of its group: insertion, re-keying,
 * removal and the top are O(1) plus O(log g) on the heap of g distinct keys when a group appears or empties
 * (a binary heap of n slots pays O(log n) on every removal: LFU's pin, release and eviction each moved a
 * node through every level, half its time in the cache-only replay). Callers must pass ties strictly
 * increasing over the queue's life (asserted): that is what makes tail insertion the (key, tie) order, so
 * the top is the one the heap had and a policy's victims are the same.
 *
 * Memory: 12 bytes per slot of the store (group, previous, next) plus 32 bytes per distinct key and the map. */
#ifndef KVTWIN_KV_GHEAP_H
#define KVTWIN_KV_GHEAP_H

#include <stddef.h>
#include <stdint.h>

#include "sim/base/u64map.h"
#include "sim/kv/store.h"

typedef struct kv_gheap_link {
    uint32_t grp; /* group of the slot, KV_NO_SLOT if not queued */
    uint32_t prev, next;
} kv_gheap_link_t;

typedef struct kv_gheap_group {
    double key;
    uint32_t head, tail; /* slots, oldest tie first */
    uint32_t hpos;       /* position in the group heap; also the free-list link of an unused group */
    uint32_t n;
} kv_gheap_group_t;

typedef struct kv_gheap {
    const kv_store_t *store;
    kv_gheap_link_t *link; /* per slot [0, nlink) */
    uint32_t nlink;
    kv_gheap_group_t *g; /* group pool */
    uint32_t ng, capg, free_g;
    uint32_t *heap; /* group indices, 4-ary min-heap by key */
    uint32_t nheap, capheap;
    u64map_t index; /* key bits -> group */
    uint32_t n;     /* slots queued */
    uint64_t last_tie;
} kv_gheap_t;

void kv_gheap_init(kv_gheap_t *h, const kv_store_t *store);
void kv_gheap_fini(kv_gheap_t *h);
/* Queues slot with (key, tie), or re-keys it if queued. tie must exceed every tie passed before. */
void kv_gheap_set(kv_gheap_t *h, uint32_t slot, double key, uint64_t tie);
/* Removes slot if queued. */
void kv_gheap_remove(kv_gheap_t *h, uint32_t slot);
/* The slot with the smallest (key, tie), or KV_NO_SLOT if empty. */
uint32_t kv_gheap_top(const kv_gheap_t *h);
double kv_gheap_top_key(const kv_gheap_t *h);
int kv_gheap_contains(const kv_gheap_t *h, uint32_t slot);
size_t kv_gheap_mem_bytes(const kv_gheap_t *h);

#endif
