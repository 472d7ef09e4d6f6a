/* One tier instance of the KV cache (internal to sim/kv): a slab of entries addressed by 32-bit slot, a
 * chained hash index of block id -> slot, counters, and the eviction policy that orders the entries.
 *
 * Entry layout, one stride per slot:
 *
 *   | kv_entry_t (40 B: id, parent, session, next use, cost, hash link, pins, hits, flags) | policy meta |
 *
 * The common part travels with a block when it is demoted or promoted (so the policy of the next tier
 * sees its session, reuse and next use); the policy part belongs to the store's policy only. The slab
 * grows geometrically (x1.25) up to the capacity, so metadata stays proportional to what is cached (the budget is
 * 128 bytes per cached block, measured by kv_store_mem_bytes). It stays one block, so that an entry is one
 * multiply-add away: a slab in chunks, which spares the copies of a growing pod-wide G3.5, made the
 * heap-based policies 20 % slower (docs/performance.md). Slots are stable: policies may keep slot
 * numbers, never pointers, across calls that insert.
 *
 * The index is chained, with between one and two buckets per slot. A probe reads the bucket and the entries
 * of its chain. (An open-addressing index holding the ids themselves, one cache line per probe, was measured
 * against it: no faster on long contexts, whose probes mostly hit the CPU caches; slower insertions and
 * deletions; 17 bytes of index per slot instead of 4 to 8. See docs/performance.md.)
 *
 * Each store also names the stores below it on its path (below[], filled by the manager at creation), so an
 * eviction or a write-through does not work the path out per block. */
#ifndef KVTWIN_KV_STORE_H
#define KVTWIN_KV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/kv/kv.h"
#include "sim/kv/policy.h"

typedef struct kv_entry {
    uint64_t id;       /* block id */
    uint64_t parent;   /* id of the previous block of its context; KV_NO_ID for a first block */
    uint64_t session;  /* session of its last use (UINT64_MAX: none) */
    uint32_t next_use; /* oracle: index of its next reference (KV_NEVER: never or unknown) */
    float cost_s;      /* recompute time of this block at its last use (0: unknown) */
    uint32_t hnext;    /* next slot in the hash chain, or in the free list */
    uint16_t pins;     /* running requests using it (G1; transient in lower tiers during a promotion) */
    uint8_t hits;      /* times reused since first cached, saturating at 255 (travels with the block) */
    uint8_t flags;     /* KV_E_* */
} kv_entry_t;

enum { KV_E_LIVE = 1u << 0 };

/* next_use of a block never referenced again (references are numbered below 2^32 - 1). */
#define KV_NEVER UINT32_MAX

struct kv_store {
    uint8_t *ents;      /* nalloc slots of stride bytes */
    size_t stride;      /* sizeof(kv_entry_t) + policy meta, rounded to 8 */
    uint32_t nalloc;    /* slots allocated */
    uint32_t nfresh;    /* slots ever handed out (the rest of the slab is untouched) */
    uint32_t free_head; /* recycled slots, linked through hnext */
    uint32_t *heads;    /* hash buckets: first slot of each chain (16 before any slot) */
    uint32_t hbits;     /* log2 of the bucket count */
    uint64_t cap;       /* capacity in blocks */
    uint64_t used;      /* cached entries */
    uint64_t pinned;    /* entries with pins > 0 */
    uint64_t reserved;  /* G1: room promised to admitted requests, not yet filled */
    int tier;           /* kv_tier_id_t */
    uint32_t loc;       /* instance (G1), domain (G2, G3) or 0 */
    bool inclusive;
    kv_tier_stats_t st; /* this instance's counters (capacity and occupancy filled on demand) */
    kv_pol_t pol;
    void *params; /* the policy's bound parameters (a copy: the caller's may go away) */
    /* The stores strictly below this one on its path, fastest first (filled by the manager once every tier
     * exists: the path never changes, and an eviction or write-through used to work it out every time). */
    struct kv_store *below[KV_NTIERS];
    int nbelow;
};

static inline kv_entry_t *kv_store_entry(const kv_store_t *s, uint32_t slot)
{
    return (kv_entry_t *)(s->ents + (size_t)slot * s->stride);
}

/* The policy's per-entry area of a slot. */
static inline void *kv_store_meta(const kv_store_t *s, uint32_t slot)
{
    return s->ents + (size_t)slot * s->stride + sizeof(kv_entry_t);
}

static inline uint32_t kv_store_hash(const kv_store_t *s, uint64_t id)
{
    /* Fibonacci hashing: trace ids are often small consecutive integers, so mix before taking high bits. */
    return (uint32_t)((id * 0x9E3779B97F4A7C15ull) >> (64 - s->hbits));
}

static inline uint32_t kv_store_find(const kv_store_t *s, uint64_t id)
{
    uint32_t slot = s->heads[kv_store_hash(s, id)];
    while (slot != KV_NO_SLOT) {
        const kv_entry_t *e = kv_store_entry(s, slot);
        if (e->id == id)
            return slot;
        slot = e->hnext;
    }
    return KV_NO_SLOT;
}

/* kv_store_find with a guess: the blocks of a context committed together usually take consecutive slots,
 * so the block after one found at slot `prev` is first looked for at prev + 1 (then the bucket walk). The
 * same result either way: ids are unique in a store and a freed slot holds KV_NO_ID. */
static inline uint32_t kv_store_find_after(const kv_store_t *s, uint64_t id, uint32_t prev)
{
    uint32_t g = prev + 1;
    if (prev != KV_NO_SLOT && g < s->nfresh && kv_store_entry(s, g)->id == id)
        return g;
    return kv_store_find(s, id);
}

/* Asks the memory system for id's bucket ahead of a find (a hint: no effect on results). The bucket array
 * is never absent, so the prefetch needs no test. Always inlined: GCC 12 counts a function whose only effect
 * is a prefetch as pure and deletes calls it has not inlined. */
static inline __attribute__((always_inline)) void kv_store_prefetch(const kv_store_t *s, uint64_t id)
{
    __builtin_prefetch(&s->heads[kv_store_hash(s, id)]);
}

/* The second stage of a prefetch: reads id's bucket (asked for earlier with kv_store_prefetch) and asks
 * for the first entry of its chain, which a find reads next, present or absent. A hint, always inlined, as
 * above; for an empty bucket the address lies past the slab, which a prefetch ignores (it never faults). */
static inline __attribute__((always_inline)) void kv_store_prefetch_chain(const kv_store_t *s, uint64_t id)
{
    uint32_t slot = s->heads[kv_store_hash(s, id)];
    __builtin_prefetch((const void *)((uintptr_t)s->ents + (uintptr_t)slot * s->stride));
}

static inline bool kv_store_pinned(const kv_store_t *s, uint32_t slot)
{
    return kv_store_entry(s, slot)->pins != 0;
}

/* Builds an empty store; copies the policy's bound parameters (NULL: its defaults) and runs its init. */
int kv_store_init(kv_store_t *s, int tier, uint32_t loc, uint64_t cap, bool inclusive, const kv_policy_ops_t *ops,
                  const void *params, uint64_t seed, char *err, size_t errlen);
void kv_store_fini(kv_store_t *s);

/* Adds an entry for id (absent) with the given common fields and returns its slot. The caller has made
 * room (used < cap) and calls the policy's insert hook itself after setting pins. */
uint32_t kv_store_add(kv_store_t *s, const kv_entry_t *proto);

/* Removes a resident entry (the caller has already told the policy). */
void kv_store_del(kv_store_t *s, uint32_t slot);

/* Bytes of metadata the store holds: slab, hash buckets and the policy's side structures. */
size_t kv_store_mem_bytes(const kv_store_t *s);

#endif
