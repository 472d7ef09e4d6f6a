/* One tier instance of the KV cache: slab of entries, open-addressing index, policy binding. See store.h. */
#define _DEFAULT_SOURCE /* posix_memalign; madvise and MADV_HUGEPAGE where the system has them */
#include "sim/kv/store.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static void *kv_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    assert(q != NULL && "out of memory");
    return q;
}

/* An index table of n bytes. Large ones are probed at random all over: where the system offers transparent
 * huge pages on request (Linux), they are 2 MB-aligned and asked for them, which saves a TLB miss per probe
 * and 511 of every 512 page faults when the table is first written (faults cost microseconds each in a
 * virtual machine). Only a hint: the table works the same without. */
#define KV_HUGE_PAGE_BYTES ((size_t)2 << 20)

static void *kv_table_alloc(size_t n)
{
#ifdef MADV_HUGEPAGE
    if (n >= KV_HUGE_PAGE_BYTES) {
        void *p = NULL;
        if (posix_memalign(&p, KV_HUGE_PAGE_BYTES, n) == 0) {
            (void)madvise(p, n, MADV_HUGEPAGE);
            return p;
        }
    }
#endif
    return kv_xrealloc(NULL, n);
}

/* Puts (id, slot) into the first empty cell of id's probe run (id absent); false, changing nothing, if that
 * is the last cell (it must stay empty: the index has to grow first). */
static bool kv_index_put(kv_store_t *s, uint64_t id, uint32_t slot)
{
    uint32_t i = kv_store_home(s, kv_hash(id));
    for (uint64_t v; (v = kv_cell_id(&s->cells[i])) != KV_NO_ID; i++)
        assert(v != id && "block already indexed");
    if (i == s->ncells + KV_CELL_PAD - 1)
        return false;
    kv_cell_set(&s->cells[i], id, slot);
    return true;
}

/* Rebuilds the index with at least ncells home cells (more if a probe run would overflow the pad). The old
 * cells are taken in table order: a cell's home is monotonic in its hash whatever the table size, so the new
 * table fills almost sequentially (a rebuild in slot order wrote every cell at random). */
static void kv_store_reindex(kv_store_t *s, uint64_t ncells)
{
    kv_cell_t *old = s->cells;
    uint32_t nold = s->ncells ? s->ncells + KV_CELL_PAD : 0;
    for (;;) {
        assert(ncells > s->used && ncells + KV_CELL_PAD < UINT32_MAX && "tier instance index too large");
        size_t bytes = (size_t)(ncells + KV_CELL_PAD) * sizeof *s->cells;
        s->ncells = (uint32_t)ncells;
        s->cells = kv_table_alloc(bytes);
        memset(s->cells, 0xff, bytes);
        uint32_t i = 0;
        while (i < nold && (kv_cell_id(&old[i]) == KV_NO_ID || kv_index_put(s, kv_cell_id(&old[i]), old[i].w[2])))
            i++;
        if (i == nold)
            break;
        free(s->cells); /* a run reached the end of the pad: a larger table spreads it out */
        ncells += ncells / 4 + KV_CELL_PAD;
    }
    free(old);
}

/* Home cells for a slab of n slots: a load of at most 0.7. (A lower load shortens the probe runs that
 * insertions and evictions walk, but 12 bytes per cell / 0.7 = 17 bytes per slot is what the 128-byte
 * budget leaves once ARC's and S3-FIFO's ghost lists are counted.) */
static uint64_t kv_cells_for(uint64_t n)
{
    return n * 10 / 7 + 1;
}

/* The slab's first block grows in place (realloc), so that small tiers stay one block; beyond
 * KV_FIRST_SLOTS it grows one separate chunk at a time, which adds at most a quarter to its size. */
static void kv_store_grow(kv_store_t *s)
{
    uint64_t want;
    if (s->nalloc < KV_FIRST_SLOTS) {
        want = s->nalloc ? (uint64_t)s->nalloc + s->nalloc / 4 : 64;
        if (want > KV_FIRST_SLOTS)
            want = KV_FIRST_SLOTS;
        if (want > s->cap)
            want = s->cap;
        uint8_t *first = kv_xrealloc(s->nchunks ? s->chunk[0] : NULL, (size_t)want * s->stride);
        uint32_t nch = (uint32_t)((want + KV_CHUNK_SLOTS - 1) / KV_CHUNK_SLOTS);
        if (nch > s->capchunks) {
            s->capchunks = nch * 2;
            s->chunk = kv_xrealloc(s->chunk, s->capchunks * sizeof *s->chunk);
        }
        for (uint32_t k = 0; k < nch; k++) /* the chunks of the first block point into it */
            s->chunk[k] = first + (size_t)k * KV_CHUNK_SLOTS * s->stride;
        s->nchunks = nch;
    } else {
        assert(s->nalloc % KV_CHUNK_SLOTS == 0);
        want = (uint64_t)s->nalloc + KV_CHUNK_SLOTS;
        if (want > s->cap)
            want = s->cap;
        if (s->nchunks == s->capchunks) {
            s->capchunks *= 2;
            s->chunk = kv_xrealloc(s->chunk, s->capchunks * sizeof *s->chunk);
        }
        s->chunk[s->nchunks++] = kv_xrealloc(NULL, (size_t)(want - s->nalloc) * s->stride);
    }
    assert(want > s->nalloc && want < KV_NO_SLOT && "tier instance larger than 2^32 - 1 entries");
    s->nalloc = (uint32_t)want;
    /* The index is rebuilt when the slab outgrows it: to the slab's size while the first block grows, then
     * twice ahead of it (each rebuild writes fresh memory, so they must be few), never beyond what the
     * capacity needs: a full tier's index is exactly capacity / 0.7 cells. */
    if (s->ncells < kv_cells_for(s->nalloc)) {
        uint64_t ahead = s->nalloc < KV_FIRST_SLOTS ? s->nalloc : (uint64_t)s->nalloc * 2;
        kv_store_reindex(s, kv_cells_for(ahead < s->cap ? ahead : s->cap));
    }
}

int kv_store_init(kv_store_t *s, int tier, uint32_t loc, uint64_t cap, bool inclusive, const kv_policy_ops_t *ops,
                  const cJSON *params, uint64_t seed, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->tier = tier;
    s->loc = loc;
    s->cap = cap;
    s->inclusive = inclusive;
    s->free_head = KV_NO_SLOT;
    s->stride = (sizeof(kv_entry_t) + ops->meta_bytes + 7) & ~(size_t)7;
    jb_error_t jerr;
    s->params = kv_policy_bind(ops, params, &jerr);
    if (!s->params) {
        snprintf(err, errlen, "%s%s%s", jerr.path, jerr.path[0] ? ": " : "", jerr.msg);
        return -1;
    }
    s->pol.ops = ops;
    s->pol.store = s;
    s->pol.params = s->params;
    s->pol.capacity = cap;
    s->pol.seed = seed;
    s->pol.entity = ((uint64_t)tier << 32) | loc;
    kv_store_reindex(s, 8);
    if (ops->init(&s->pol, err, errlen)) {
        free(s->params);
        free(s->cells);
        s->params = NULL;
        s->cells = NULL;
        return -1;
    }
    return 0;
}

void kv_store_fini(kv_store_t *s)
{
    if (s->pol.ops)
        s->pol.ops->fini(&s->pol);
    if (s->nchunks)
        free(s->chunk[0]); /* the first block */
    for (uint32_t k = KV_FIRST_SLOTS / KV_CHUNK_SLOTS; k < s->nchunks; k++)
        free(s->chunk[k]);
    free(s->chunk);
    free(s->cells);
    free(s->params);
    memset(s, 0, sizeof *s);
}

/* Takes a free slot (growing the slab if needed; *reindexed tells whether that rebuilt the index) and
 * fills its entry from proto. */
static uint32_t kv_store_take(kv_store_t *s, const kv_entry_t *proto, bool *reindexed)
{
    assert(s->used < s->cap && proto->id != KV_NO_ID);
    uint32_t slot;
    *reindexed = false;
    if (s->free_head != KV_NO_SLOT) {
        slot = s->free_head;
        s->free_head = kv_store_entry(s, slot)->hnext;
    } else {
        if (s->nfresh == s->nalloc) {
            uint32_t before = s->ncells;
            kv_store_grow(s);
            *reindexed = s->ncells != before;
        }
        slot = s->nfresh++;
    }
    kv_entry_t *e = kv_store_entry(s, slot);
    *e = *proto;
    e->hnext = KV_NO_SLOT;
    e->flags = KV_E_LIVE;
    e->pins = 0;
    memset(e + 1, 0, s->stride - sizeof *e); /* the policy's meta starts zeroed */
    s->used++;
    return slot;
}

/* Indexes the entry just taken at slot, growing the index if its probe run would overflow the pad. */
static void kv_store_index_slot(kv_store_t *s, uint32_t slot)
{
    uint64_t id = kv_store_entry(s, slot)->id;
    while (!kv_index_put(s, id, slot))
        kv_store_reindex(s, (uint64_t)s->ncells + s->ncells / 4 + KV_CELL_PAD);
}

uint32_t kv_store_add(kv_store_t *s, const kv_entry_t *proto)
{
    bool reindexed;
    uint32_t slot = kv_store_take(s, proto, &reindexed);
    kv_store_index_slot(s, slot);
    return slot;
}

uint32_t kv_store_add_at(kv_store_t *s, const kv_entry_t *proto, uint32_t cell)
{
    bool reindexed;
    uint32_t slot = kv_store_take(s, proto, &reindexed);
    if (reindexed || cell == s->ncells + KV_CELL_PAD - 1) { /* the last cell must stay empty */
        kv_store_index_slot(s, slot);
        return slot;
    }
    assert(cell < s->ncells + KV_CELL_PAD - 1 && kv_cell_id(&s->cells[cell]) == KV_NO_ID);
    kv_cell_set(&s->cells[cell], kv_store_entry(s, slot)->id, slot);
    return slot;
}

void kv_store_del(kv_store_t *s, uint32_t slot)
{
    kv_entry_t *e = kv_store_entry(s, slot);
    assert((e->flags & KV_E_LIVE) && e->pins == 0);
    uint32_t i = kv_store_home(s, kv_hash(e->id));
    while (s->cells[i].w[2] != slot) {
        assert(kv_cell_id(&s->cells[i]) != KV_NO_ID && "live entry missing from the index");
        i++;
    }
    assert(kv_cell_id(&s->cells[i]) == e->id);
    /* Backward shift: each later cell of the run whose home is at or before the hole moves into it. */
    for (uint32_t j = i + 1;; j++) {
        uint64_t v = kv_cell_id(&s->cells[j]);
        if (v == KV_NO_ID)
            break;
        if (kv_store_home(s, kv_hash(v)) <= i) {
            s->cells[i] = s->cells[j];
            i = j;
        }
    }
    kv_cell_set(&s->cells[i], KV_NO_ID, KV_NO_SLOT);
    e->flags = 0;
    e->id = KV_NO_ID;
    e->hnext = s->free_head;
    s->free_head = slot;
    s->used--;
}

size_t kv_store_mem_bytes(const kv_store_t *s)
{
    size_t b = (size_t)s->nalloc * s->stride + (size_t)s->capchunks * sizeof *s->chunk +
               (size_t)(s->ncells + KV_CELL_PAD) * sizeof *s->cells;
    if (s->pol.ops && s->pol.ops->mem_bytes)
        b += s->pol.ops->mem_bytes(&s->pol);
    return b;
}
