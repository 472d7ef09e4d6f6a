/* One tier instance of the KV cache: slab of entries, chained hash index, policy binding. See store.h.
 * The slab grows by a quarter at a time (capped at the capacity), so a tier that is filling holds at most
 * 25 % more slots than blocks; buckets stay between 1x and 2x the slots (4 to 8 bytes per slot). */
#define _DEFAULT_SOURCE /* posix_memalign; madvise and MADV_HUGEPAGE where the system has them */
#include "sim/kv/store.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sim/base/alloc.h"

static void *kv_xrealloc(void *p, size_t n)
{
    return kvt_realloc(p, n, 1);
}

/* A bucket array of n bytes. Very large ones (a pod-wide tier of millions of blocks) are read at random all
 * over: where the system offers transparent huge pages on request (Linux), they are 2 MB-aligned and asked
 * for them, which saves a TLB miss per probe and most page faults when the array is first written. Smaller
 * arrays are not worth the risk: a huge page costs its zeroing (and possibly a compaction) at every
 * allocation, and `kvtwin cache` builds fresh tiers for every capacity point. Only a hint: the array works
 * the same without. */
#define KV_HUGE_PAGE_BYTES ((size_t)2 << 20)
#define KV_HUGE_TABLE_BYTES ((size_t)8 << 20)

static void *kv_table_alloc(size_t n)
{
#ifdef MADV_HUGEPAGE
    if (n >= KV_HUGE_TABLE_BYTES) {
        void *p = NULL;
        if (posix_memalign(&p, KV_HUGE_PAGE_BYTES, n) == 0) {
            (void)madvise(p, n, MADV_HUGEPAGE);
            return p;
        }
    }
#endif
    return kv_xrealloc(NULL, n);
}

static void kv_store_rehash(kv_store_t *s, uint32_t bits)
{
    size_t nb = (size_t)1 << bits;
    free(s->heads);
    s->heads = kv_table_alloc(nb * sizeof *s->heads);
    memset(s->heads, 0xff, nb * sizeof *s->heads);
    s->hbits = bits;
    for (uint32_t slot = 0; slot < s->nfresh; slot++) {
        kv_entry_t *e = kv_store_entry(s, slot);
        if (!(e->flags & KV_E_LIVE))
            continue;
        uint32_t h = kv_store_hash(s, e->id);
        e->hnext = s->heads[h];
        s->heads[h] = slot;
    }
}

static void kv_store_grow(kv_store_t *s)
{
    uint64_t want = s->nalloc ? (uint64_t)s->nalloc + s->nalloc / 4 : 64;
    if (want > s->cap)
        want = s->cap;
    assert(want > s->nalloc && want < KV_NO_SLOT && "tier instance larger than 2^32 - 1 entries");
    s->ents = kv_xrealloc(s->ents, (size_t)want * s->stride);
    s->nalloc = (uint32_t)want;
    uint32_t bits = 4;
    while (((uint64_t)1 << bits) < want)
        bits++;
    if (bits != s->hbits)
        kv_store_rehash(s, bits);
}

int kv_store_init(kv_store_t *s, int tier, uint32_t loc, uint64_t cap, bool inclusive, const kv_policy_ops_t *ops,
                  const void *params, uint64_t seed, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->tier = tier;
    s->loc = loc;
    s->cap = cap;
    s->inclusive = inclusive;
    s->free_head = KV_NO_SLOT;
    s->stride = (sizeof(kv_entry_t) + ops->meta_bytes + 7) & ~(size_t)7;
    size_t psize = ops->base.params_size;
    s->params = kv_xrealloc(NULL, psize ? psize : 1);
    if (psize)
        memcpy(s->params, plugin_params(&ops->base, params), psize);
    s->pol.ops = ops;
    s->pol.store = s;
    s->pol.params = s->params;
    s->pol.capacity = cap;
    s->pol.seed = seed;
    s->pol.entity = ((uint64_t)tier << 32) | loc;
    kv_store_rehash(s, 4);
    if (ops->init(&s->pol, err, errlen)) {
        free(s->params);
        free(s->heads);
        s->params = NULL;
        s->heads = NULL;
        return -1;
    }
    return 0;
}

void kv_store_fini(kv_store_t *s)
{
    if (s->pol.ops)
        s->pol.ops->fini(&s->pol);
    free(s->ents);
    free(s->heads);
    free(s->params);
    memset(s, 0, sizeof *s);
}

uint32_t kv_store_add(kv_store_t *s, const kv_entry_t *proto)
{
    assert(s->used < s->cap && proto->id != KV_NO_ID);
    uint32_t slot;
    if (s->free_head != KV_NO_SLOT) {
        slot = s->free_head;
        s->free_head = kv_store_entry(s, slot)->hnext;
    } else {
        if (s->nfresh == s->nalloc)
            kv_store_grow(s);
        slot = s->nfresh++;
    }
    kv_entry_t *e = kv_store_entry(s, slot);
    *e = *proto;
    memset(e + 1, 0, s->stride - sizeof *e); /* the policy's area starts zeroed */
    e->flags = KV_E_LIVE;
    e->pins = 0;
    uint32_t h = kv_store_hash(s, e->id);
    e->hnext = s->heads[h];
    s->heads[h] = slot;
    s->used++;
    return slot;
}

void kv_store_del(kv_store_t *s, uint32_t slot)
{
    kv_entry_t *e = kv_store_entry(s, slot);
    assert((e->flags & KV_E_LIVE) && e->pins == 0);
    uint32_t *link = &s->heads[kv_store_hash(s, e->id)];
    while (*link != slot) {
        assert(*link != KV_NO_SLOT);
        link = &kv_store_entry(s, *link)->hnext;
    }
    *link = e->hnext;
    e->flags = 0;
    e->id = KV_NO_ID;
    e->hnext = s->free_head;
    s->free_head = slot;
    s->used--;
}

size_t kv_store_mem_bytes(const kv_store_t *s)
{
    size_t b = (size_t)s->nalloc * s->stride + ((size_t)1 << s->hbits) * sizeof *s->heads;
    if (s->pol.ops && s->pol.ops->mem_bytes)
        b += s->pol.ops->mem_bytes(&s->pol);
    return b;
}
