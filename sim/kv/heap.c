/* Indexed 4-ary min-heap of store slots with a dense position array; see heap.h. */
#include "sim/kv/heap.h"
#include "sim/base/alloc.h"

#include <assert.h>
#include <stdlib.h>

#define KV_HEAP_ARITY 4u

static inline int kv_heap_less(const kv_heap_node_t *a, const kv_heap_node_t *b)
{
    return a->key < b->key || (a->key == b->key && a->tie < b->tie);
}

static inline uint32_t kv_heap_getpos(const kv_heap_t *h, uint32_t slot)
{
    return slot < h->npos ? h->pos[slot] : KV_HEAP_NONE;
}

/* Makes pos[slot] addressable: the array follows the store's slab (never past its capacity). */
static void kv_heap_cover(kv_heap_t *h, uint32_t slot)
{
    if (slot < h->npos)
        return;
    uint64_t want = h->store->nalloc > slot ? h->store->nalloc : (uint64_t)slot + 1;
    h->pos = kvt_realloc(h->pos, (size_t)want, sizeof *h->pos);
    for (uint64_t k = h->npos; k < want; k++)
        h->pos[k] = KV_HEAP_NONE;
    h->npos = (uint32_t)want;
}

static inline void kv_heap_place(kv_heap_t *h, uint32_t i, kv_heap_node_t node)
{
    h->v[i] = node;
    h->pos[node.slot] = i;
}

static void kv_heap_up(kv_heap_t *h, uint32_t i)
{
    kv_heap_node_t node = h->v[i];
    while (i > 0) {
        uint32_t p = (i - 1) / KV_HEAP_ARITY;
        if (!kv_heap_less(&node, &h->v[p]))
            break;
        kv_heap_place(h, i, h->v[p]);
        i = p;
    }
    kv_heap_place(h, i, node);
}

static void kv_heap_down(kv_heap_t *h, uint32_t i)
{
    kv_heap_node_t node = h->v[i];
    for (;;) {
        uint32_t first = KV_HEAP_ARITY * i + 1;
        if (first >= h->n)
            break;
        uint32_t end = first + KV_HEAP_ARITY < h->n ? first + KV_HEAP_ARITY : h->n, c = first;
        for (uint32_t k = first + 1; k < end; k++)
            if (kv_heap_less(&h->v[k], &h->v[c]))
                c = k;
        if (!kv_heap_less(&h->v[c], &node))
            break;
        kv_heap_place(h, i, h->v[c]);
        i = c;
    }
    kv_heap_place(h, i, node);
}

void kv_heap_init(kv_heap_t *h, const kv_store_t *store)
{
    h->v = NULL;
    h->n = h->cap = 0;
    h->store = store;
    h->pos = NULL;
    h->npos = 0;
}

void kv_heap_fini(kv_heap_t *h)
{
    free(h->v);
    free(h->pos);
    h->v = NULL;
    h->pos = NULL;
    h->n = h->cap = h->npos = 0;
}

void kv_heap_set(kv_heap_t *h, uint32_t slot, double key, uint64_t tie)
{
    kv_heap_node_t node = {key, tie, slot};
    kv_heap_cover(h, slot);
    uint32_t pos = h->pos[slot];
    if (pos == KV_HEAP_NONE) {
        if (h->n == h->cap) {
            /* Geometric growth by a quarter, never past the store's capacity (the metadata budget). */
            uint64_t want = h->cap ? (uint64_t)h->cap + h->cap / 4 : 64;
            if (want > h->store->cap)
                want = h->store->cap;
            if (want <= h->n)
                want = (uint64_t)h->n + 1;
            h->cap = (uint32_t)want;
            h->v = kvt_realloc(h->v, (size_t)h->cap, sizeof *h->v);
        }
        pos = h->n++;
        kv_heap_place(h, pos, node);
        kv_heap_up(h, pos);
        return;
    }
    assert(pos < h->n && h->v[pos].slot == slot);
    int up = kv_heap_less(&node, &h->v[pos]);
    h->v[pos] = node;
    if (up)
        kv_heap_up(h, pos);
    else
        kv_heap_down(h, pos);
}

void kv_heap_remove(kv_heap_t *h, uint32_t slot)
{
    uint32_t pos = kv_heap_getpos(h, slot);
    if (pos == KV_HEAP_NONE)
        return;
    assert(pos < h->n && h->v[pos].slot == slot);
    h->pos[slot] = KV_HEAP_NONE;
    h->n--;
    if (pos == h->n)
        return;
    kv_heap_node_t last = h->v[h->n];
    int up = kv_heap_less(&last, &h->v[pos]);
    kv_heap_place(h, pos, last);
    if (up)
        kv_heap_up(h, pos);
    else
        kv_heap_down(h, pos);
}

uint32_t kv_heap_top(const kv_heap_t *h)
{
    return h->n ? h->v[0].slot : KV_NO_SLOT;
}

double kv_heap_top_key(const kv_heap_t *h)
{
    assert(h->n > 0);
    return h->v[0].key;
}

int kv_heap_contains(const kv_heap_t *h, uint32_t slot)
{
    return kv_heap_getpos(h, slot) != KV_HEAP_NONE;
}

size_t kv_heap_mem_bytes(const kv_heap_t *h)
{
    return (size_t)h->cap * sizeof *h->v + (size_t)h->npos * sizeof *h->pos;
}
