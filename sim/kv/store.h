/* One tier instance of the KV cache (internal to sim/kv): a slab of entries addressed by 32-bit slot, a
 * hash index of block id -> slot, counters, and the eviction policy that orders the entries.
 *
 * Entry layout, one stride per slot:
 *
 *   | kv_entry_t (40 B: id, parent, session, next use, cost, free link, pins, hits, flags) | policy meta |
 *
 * The common part travels with a block when it is demoted or promoted (so the policy of the next tier
 * sees its session, reuse and next use); the policy part belongs to the store's policy only. Slots are
 * stable: policies may keep slot numbers, never pointers, across calls that insert.
 *
 * Memory grows with what is cached, up to the capacity (the budget is 128 bytes per cached block, measured
 * by kv_store_mem_bytes). The slab's first block grows in place (x1.25) up to KV_FIRST_SLOTS slots; beyond,
 * the slab grows one chunk of KV_CHUNK_SLOTS slots at a time. Chunks never move, so a large tier (a
 * pod-wide G3.5 holds millions of blocks) grows without copying (one realloc'd slab was copied at every
 * step). Entries are reached through a small table of chunk pointers.
 *
 * The index is open addressing with linear probing over 12-byte cells that hold the id itself: a probe
 * reads one cache line (rarely two), and "is this block here?" never touches the entry. (A chained index
 * cost a second miss per probe, the entry, to compare ids; on long contexts those misses were most of the
 * manager's time.) Any table size works (a multiply-shift maps the hash to a home cell); the load is at
 * most 0.7: 17 bytes of index per slot in a full tier. Deletion shifts the rest of the probe run back (no
 * tombstones). */
#ifndef KVTWIN_KV_STORE_H
#define KVTWIN_KV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sim/kv/kv.h"
#include "sim/kv/policy.h"

typedef struct kv_entry {
    uint64_t id;       /* block id */
    uint64_t parent;   /* id of the previous block of its context; KV_NO_ID for a first block */
    uint64_t session;  /* session of its last use (UINT64_MAX: none) */
    uint32_t next_use; /* oracle: index of its next reference (KV_NEVER: never or unknown) */
    float cost_s;      /* recompute time of this block at its last use (0: unknown) */
    uint32_t hnext;    /* next slot in the free list (free slots only) */
    uint16_t pins;     /* running requests using it (G1; transient in lower tiers during a promotion) */
    uint8_t hits;      /* times reused since first cached, saturating at 255 (travels with the block) */
    uint8_t flags;     /* KV_E_* */
} kv_entry_t;

enum { KV_E_LIVE = 1u << 0 };

/* next_use of a block never referenced again (references are numbered below 2^32 - 1). */
#define KV_NEVER UINT32_MAX

#define KV_CHUNK_BITS 12
#define KV_CHUNK_SLOTS (1u << KV_CHUNK_BITS)
#define KV_FIRST_SLOTS (4 * KV_CHUNK_SLOTS)

/* Cells past the last home cell: probe runs continue into them instead of wrapping to cell 0, and the last
 * one stays empty, so probes need no bounds test. A run that would reach it makes the index grow instead. */
#define KV_CELL_PAD 32u

/* One index cell, 12 bytes: a block id (KV_NO_ID: empty) in w[0..1] (read and written with memcpy: a cell is
 * only 4-byte aligned) and its slot in w[2]. */
typedef struct kv_cell {
    uint32_t w[3];
} kv_cell_t;

static inline uint64_t kv_cell_id(const kv_cell_t *c)
{
    uint64_t id;
    memcpy(&id, c->w, sizeof id);
    return id;
}

static inline void kv_cell_set(kv_cell_t *c, uint64_t id, uint32_t slot)
{
    memcpy(c->w, &id, sizeof id);
    c->w[2] = slot;
}

struct kv_store {
    uint8_t **chunk;    /* chunk k holds slots [k * KV_CHUNK_SLOTS, (k + 1) * KV_CHUNK_SLOTS), stride bytes each */
    uint32_t nchunks, capchunks;
    size_t stride;      /* sizeof(kv_entry_t) + policy meta, rounded to 8 */
    uint32_t nalloc;    /* slots allocated */
    uint32_t nfresh;    /* slots ever handed out (the rest of the slab is untouched) */
    uint32_t free_head; /* recycled slots, linked through hnext */
    kv_cell_t *cells;   /* the index: ncells home cells + KV_CELL_PAD, the last always empty */
    uint32_t ncells;
    uint64_t cap;       /* capacity in blocks */
    uint64_t used;      /* cached entries */
    uint64_t pinned;    /* entries with pins > 0 */
    uint64_t reserved;  /* G1: room promised to admitted requests, not yet filled */
    int tier;           /* kv_tier_id_t */
    uint32_t loc;       /* instance (G1), domain (G2, G3) or 0 */
    bool inclusive;
    kv_tier_stats_t st; /* this instance's counters (capacity and occupancy filled on demand) */
    kv_pol_t pol;
    void *params;       /* the policy's bound parameters */
};

static inline kv_entry_t *kv_store_entry(const kv_store_t *s, uint32_t slot)
{
    return (kv_entry_t *)(s->chunk[slot >> KV_CHUNK_BITS] + (size_t)(slot & (KV_CHUNK_SLOTS - 1)) * s->stride);
}

/* The policy's per-entry area of a slot. */
static inline void *kv_store_meta(const kv_store_t *s, uint32_t slot)
{
    return (uint8_t *)kv_store_entry(s, slot) + sizeof(kv_entry_t);
}

/* Hash of a block id: Fibonacci hashing (trace ids are often small consecutive integers, so mix first). */
static inline uint32_t kv_hash(uint64_t id)
{
    return (uint32_t)((id * 0x9E3779B97F4A7C15ull) >> 32);
}

/* Home cell of a hash: scaled to the table size (any size, no modulo; monotonic in the hash). */
static inline uint32_t kv_store_home(const kv_store_t *s, uint32_t hash)
{
    return (uint32_t)(((uint64_t)hash * s->ncells) >> 32);
}

static inline uint32_t kv_store_find(const kv_store_t *s, uint64_t id)
{
    for (const kv_cell_t *c = &s->cells[kv_store_home(s, kv_hash(id))];; c++) {
        uint64_t v = kv_cell_id(c);
        if (v == id)
            return c->w[2];
        if (v == KV_NO_ID)
            return KV_NO_SLOT;
    }
}

/* Like kv_store_find; when id is absent, *cell is where kv_store_add_at can put it (the probe's end). */
static inline uint32_t kv_store_find_cell(const kv_store_t *s, uint64_t id, uint32_t *cell)
{
    for (uint32_t i = kv_store_home(s, kv_hash(id));; i++) {
        uint64_t v = kv_cell_id(&s->cells[i]);
        if (v == id)
            return s->cells[i].w[2];
        if (v == KV_NO_ID) {
            *cell = i;
            return KV_NO_SLOT;
        }
    }
}

/* Asks the memory system for id's home cell ahead of a find (a hint: no effect on results). Unconditional:
 * GCC 12 drops a prefetch guarded by a test. */
static inline void kv_store_prefetch(const kv_store_t *s, uint64_t id)
{
    const kv_cell_t *c = &s->cells[kv_store_home(s, kv_hash(id))];
    __builtin_prefetch(c);
    __builtin_prefetch(c + 1); /* a cell may straddle two lines; the next one is often probed too */
}

static inline bool kv_store_pinned(const kv_store_t *s, uint32_t slot)
{
    return kv_store_entry(s, slot)->pins != 0;
}

/* Builds an empty store; binds the policy parameters (NULL: defaults) and runs the policy's init. */
int kv_store_init(kv_store_t *s, int tier, uint32_t loc, uint64_t cap, bool inclusive, const kv_policy_ops_t *ops,
                  const cJSON *params, uint64_t seed, char *err, size_t errlen);
void kv_store_fini(kv_store_t *s);

/* Adds an entry for id (absent) with the given common fields and returns its slot. The caller has made
 * room (used < cap) and calls the policy's insert hook itself after setting pins. */
uint32_t kv_store_add(kv_store_t *s, const kv_entry_t *proto);

/* kv_store_add for an id that kv_store_find_cell just reported absent at cell, the store's index untouched
 * since: saves probing again. */
uint32_t kv_store_add_at(kv_store_t *s, const kv_entry_t *proto, uint32_t cell);

/* Removes a resident entry (the caller has already told the policy). */
void kv_store_del(kv_store_t *s, uint32_t slot);

/* Bytes of metadata the store holds: slab, hash buckets and the policy's side structures. */
size_t kv_store_mem_bytes(const kv_store_t *s);

#endif
