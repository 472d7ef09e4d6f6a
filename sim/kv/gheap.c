/* Key-grouped priority queue of store slots; see gheap.h. */
#include "sim/kv/gheap.h"
#include "sim/base/alloc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define GH_ARITY 4u

static uint64_t kv_gheap_bits(double key)
{
    key += 0.0; /* -0 and +0 compare equal: one group */
    uint64_t b;
    memcpy(&b, &key, sizeof b);
    return b;
}

static inline double gkey(const kv_gheap_t *h, uint32_t i)
{
    return h->g[h->heap[i]].key;
}

static inline void gplace(kv_gheap_t *h, uint32_t i, uint32_t grp)
{
    h->heap[i] = grp;
    h->g[grp].hpos = i;
}

static void gup(kv_gheap_t *h, uint32_t i)
{
    uint32_t grp = h->heap[i];
    double k = h->g[grp].key;
    while (i > 0) {
        uint32_t p = (i - 1) / GH_ARITY;
        if (!(k < gkey(h, p)))
            break;
        gplace(h, i, h->heap[p]);
        i = p;
    }
    gplace(h, i, grp);
}

static void gdown(kv_gheap_t *h, uint32_t i)
{
    uint32_t grp = h->heap[i];
    double k = h->g[grp].key;
    for (;;) {
        uint32_t first = GH_ARITY * i + 1;
        if (first >= h->nheap)
            break;
        uint32_t end = first + GH_ARITY < h->nheap ? first + GH_ARITY : h->nheap, c = first;
        for (uint32_t j = first + 1; j < end; j++)
            if (gkey(h, j) < gkey(h, c))
                c = j;
        if (!(gkey(h, c) < k))
            break;
        gplace(h, i, h->heap[c]);
        i = c;
    }
    gplace(h, i, grp);
}

void kv_gheap_init(kv_gheap_t *h, const kv_store_t *store)
{
    memset(h, 0, sizeof *h);
    h->store = store;
    h->free_g = KV_NO_SLOT;
    u64map_init(&h->index);
}

void kv_gheap_fini(kv_gheap_t *h)
{
    free(h->link);
    free(h->g);
    free(h->heap);
    u64map_free(&h->index);
    memset(h, 0, sizeof *h);
}

static void kv_gheap_cover(kv_gheap_t *h, uint32_t slot)
{
    if (slot < h->nlink)
        return;
    uint64_t want = h->store->nalloc > slot ? h->store->nalloc : (uint64_t)slot + 1;
    h->link = kvt_realloc(h->link, (size_t)want, sizeof *h->link);
    for (uint64_t k = h->nlink; k < want; k++)
        h->link[k].grp = KV_NO_SLOT;
    h->nlink = (uint32_t)want;
}

/* The group of key, created (empty, in the heap) if there is none. */
static uint32_t kv_gheap_group(kv_gheap_t *h, double key)
{
    uint64_t bits = kv_gheap_bits(key), v;
    if (u64map_get(&h->index, bits, &v))
        return (uint32_t)v;
    uint32_t grp;
    if (h->free_g != KV_NO_SLOT) {
        grp = h->free_g;
        h->free_g = h->g[grp].hpos;
    } else {
        if (h->ng == h->capg) {
            h->capg = h->capg ? h->capg * 2 : 16;
            h->g = kvt_realloc(h->g, h->capg, sizeof *h->g);
        }
        grp = h->ng++;
    }
    kv_gheap_group_t *g = &h->g[grp];
    g->key = key + 0.0;
    g->head = g->tail = KV_NO_SLOT;
    g->n = 0;
    u64map_put(&h->index, bits, grp);
    if (h->nheap == h->capheap) {
        h->capheap = h->capheap ? h->capheap * 2 : 16;
        h->heap = kvt_realloc(h->heap, h->capheap, sizeof *h->heap);
    }
    uint32_t i = h->nheap++;
    gplace(h, i, grp);
    gup(h, i);
    return grp;
}

static void kv_gheap_drop_group(kv_gheap_t *h, uint32_t grp)
{
    kv_gheap_group_t *g = &h->g[grp];
    assert(g->n == 0);
    u64map_del(&h->index, kv_gheap_bits(g->key));
    uint32_t i = g->hpos;
    h->nheap--;
    if (i != h->nheap) {
        uint32_t last = h->heap[h->nheap];
        double lk = h->g[last].key;
        gplace(h, i, last);
        if (lk < g->key)
            gup(h, i);
        else
            gdown(h, i);
    }
    g->hpos = h->free_g;
    h->free_g = grp;
}

void kv_gheap_remove(kv_gheap_t *h, uint32_t slot)
{
    if (slot >= h->nlink || h->link[slot].grp == KV_NO_SLOT)
        return;
    kv_gheap_link_t *l = &h->link[slot];
    uint32_t grp = l->grp;
    kv_gheap_group_t *g = &h->g[grp];
    if (l->prev != KV_NO_SLOT)
        h->link[l->prev].next = l->next;
    else
        g->head = l->next;
    if (l->next != KV_NO_SLOT)
        h->link[l->next].prev = l->prev;
    else
        g->tail = l->prev;
    l->grp = KV_NO_SLOT;
    h->n--;
    if (--g->n == 0)
        kv_gheap_drop_group(h, grp);
}

void kv_gheap_set(kv_gheap_t *h, uint32_t slot, double key, uint64_t tie)
{
    assert(key == key && "NaN key");
    assert((tie > h->last_tie || (tie == 0 && h->last_tie == 0)) && "ties must increase");
    h->last_tie = tie;
    kv_gheap_cover(h, slot);
    kv_gheap_link_t *l = &h->link[slot];
    if (l->grp != KV_NO_SLOT) {
        if (h->g[l->grp].key == key && h->g[l->grp].tail == slot)
            return; /* already last of its key: the new tie keeps it there */
        kv_gheap_remove(h, slot);
    }
    uint32_t grp = kv_gheap_group(h, key);
    kv_gheap_group_t *g = &h->g[grp];
    l->grp = grp;
    l->next = KV_NO_SLOT;
    l->prev = g->tail;
    if (g->tail != KV_NO_SLOT)
        h->link[g->tail].next = slot;
    else
        g->head = slot;
    g->tail = slot;
    g->n++;
    h->n++;
}

uint32_t kv_gheap_top(const kv_gheap_t *h)
{
    return h->nheap ? h->g[h->heap[0]].head : KV_NO_SLOT;
}

double kv_gheap_top_key(const kv_gheap_t *h)
{
    assert(h->nheap > 0);
    return h->g[h->heap[0]].key;
}

int kv_gheap_contains(const kv_gheap_t *h, uint32_t slot)
{
    return slot < h->nlink && h->link[slot].grp != KV_NO_SLOT;
}

size_t kv_gheap_mem_bytes(const kv_gheap_t *h)
{
    return (size_t)h->nlink * sizeof *h->link + (size_t)h->capg * sizeof *h->g + (size_t)h->capheap * sizeof *h->heap +
           u64map_mem_bytes(&h->index);
}
