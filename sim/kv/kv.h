/* The KV block cache manager: where every block of KV lives across the tier hierarchy.
 *
 * Plain C, no SimGrid: it decides, the simulation core turns its decisions into transfers that take
 * simulated time. Tiers, fastest first: G1 HBM (one per instance), G2 host DRAM and G3 local NVMe (one per
 * domain: the nodes an instance's GPUs sit on), G3.5 ICMS (one per pod, shared), G4 shared storage (one).
 * A block is a run of block_tokens tokens of one context, named by a prefix-chained 64-bit id.
 *
 * A request finds the longest leading run of its blocks cached in any tier reachable from its instance
 * (a block after a miss is a miss). Blocks used by a running request are pinned in G1 and never evicted.
 * Hits promote to G1 (copied or moved, by the source tier's inclusivity); evictions demote along the
 * hierarchy according to the write policy. Every movement is reported as a kv_move_t so the core can
 * issue one transfer per request per tier hop. */
#ifndef KVTWIN_KV_H
#define KVTWIN_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/kv/tier.h"

/* Policies come resolved: an ops table from a registry (sim/kv/policy.h for eviction, sim/kv/write.h for
 * writes) and its parameters already bound by the caller (sim/base/plugin.h: plugin_bind), so that the
 * manager never sees configuration text. */
struct kv_policy_ops;
struct kv_write_ops;

typedef struct kv_tier_cfg {
    bool enabled;
    uint64_t capacity_blocks;           /* per tier instance: per GPU instance (G1), per domain (G2, G3), per pod */
    const struct kv_policy_ops *policy; /* eviction policy (kv_policy_find) */
    const void *policy_params;          /* its bound parameters, or NULL for its defaults (copied by the manager) */
    bool inclusive;                     /* true: a block promoted to a faster tier keeps its copy here */
} kv_tier_cfg_t;

typedef struct kv_cfg {
    uint32_t n_instances;
    uint32_t n_domains;
    const uint32_t *domain_of_instance; /* n_instances entries (borrowed) */
    kv_tier_cfg_t tier[KV_NTIERS];
    const struct kv_write_ops *write;        /* write policy (kv_write_find); NULL: write-back */
    const void *write_params;                /* its bound parameters, or NULL for its defaults (copied) */
    uint64_t block_bytes;                    /* bytes of KV per block (whole instance, all its GPUs) */
    const uint64_t *g1_capacity_of_instance; /* n_instances G1 capacities (borrowed, read at creation), or NULL:
                                                tier[KV_G1].capacity_blocks for all (per-pool hardware) */
    uint64_t seed;                           /* for randomised policies */
} kv_cfg_t;

/* Context of an access, for policies that need more than recency. */
typedef struct kv_access {
    double now_s; /* simulated (or logical) time */
    uint64_t request_id;
    uint64_t session_id;          /* UINT64_MAX if none */
    double recompute_s_per_block; /* time to recompute one block here (cost-aware policies); 0 if unknown */
    const uint64_t *next_use;     /* per block of the request: index of its next reference (UINT64_MAX = never);
                                 NULL unless an oracle pass provided it (Belady) */
} kv_access_t;

/* What a request finds: the leading run of its blocks cached somewhere, split by the fastest tier
 * holding each block. */
typedef struct kv_hits {
    uint32_t blocks;             /* blocks of the request considered */
    uint32_t prefix;             /* leading blocks cached somewhere */
    uint32_t by_tier[KV_NTIERS]; /* of those, how many come from each tier */
} kv_hits_t;

/* One data movement decided by the manager: n blocks from src to dst tier. For G1 the location is an
 * instance, for G2/G3 a domain, for G3.5/G4 the pod (loc 0). first_block names the first block moved
 * (the core uses it to pick the ICMS enclosure or storage server that serves the hop). */
typedef enum kv_move_kind { KV_MOVE_LOAD = 0, KV_MOVE_DEMOTE, KV_MOVE_WRITE_THROUGH, KV_MOVE_PRESTAGE } kv_move_kind_t;

typedef struct kv_move {
    uint8_t kind; /* kv_move_kind_t */
    uint8_t src_tier, dst_tier;
    uint32_t src_loc, dst_loc;
    uint64_t blocks;
    uint64_t first_block;
} kv_move_t;

/* Counters of a tier, in this order (also the columns of run.h5 /tiers): X(name). */
#define KV_TIER_STATS(X)                                                                                               \
    X(capacity_blocks) /* summed over the tier's instances */                                                          \
    X(used_blocks)                                                                                                     \
    X(pinned_blocks)                                                                                                   \
    X(hit_blocks) /* blocks served from this tier as the fastest holder */                                             \
    X(inserted_blocks)                                                                                                 \
    X(evicted_blocks)      /* dropped or demoted out of this tier */                                                   \
    X(demoted_in_blocks)   /* arrived from a faster tier */                                                            \
    X(promoted_out_blocks) /* copied or moved up to G1 */

typedef struct kv_tier_stats {
#define KV_TIER_STATS_MEMBER(name) uint64_t name;
    KV_TIER_STATS(KV_TIER_STATS_MEMBER)
#undef KV_TIER_STATS_MEMBER
} kv_tier_stats_t;

typedef struct kv_mgr kv_mgr_t;

/* Validates cfg (capacities, domains, a policy on every enabled tier) and builds the manager.
 * Returns NULL with a one-line message in err on bad input. */
kv_mgr_t *kv_mgr_create(const kv_cfg_t *cfg, char *err, size_t errlen);
void kv_mgr_destroy(kv_mgr_t *m);

/* The cached prefix of ids[0..n) as seen from instance inst. Changes nothing in the cache; it remembers what
 * it found, so that a kv_admit of the same ids that follows, nothing having changed in between, need not
 * search again (so neither lookup may run concurrently with another call on the same manager). */
void kv_lookup(const kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, kv_hits_t *out);

enum { KV_OK = 0, KV_ENOSPACE = 1 };

/* Admits a request on inst: its first `use` blocks (use <= the prefix found by kv_lookup, after the
 * fetch-or-recompute decision) are promoted into G1 and pinned; room is reserved in G1 for the other
 * n - use blocks and for `extra` anonymous blocks (its output). Evicts unpinned blocks as needed, demoting
 * them as the write policy decides. Returns KV_OK, or KV_ENOSPACE without changing anything if G1 cannot hold
 * the request even with every unpinned block evicted. Loads and demotions are queued as moves. */
int kv_admit(kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, uint32_t use, uint32_t extra,
             const kv_access_t *ctx);

/* Like kv_admit, and it also fails (KV_ENOSPACE, nothing changed) unless keep_free G1 blocks stay free or
 * evictable after the admission: the free-block watermark of a paged engine. */
int kv_admit_keep(kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, uint32_t use, uint32_t extra,
                  uint64_t keep_free, const kv_access_t *ctx);

/* Paged KV: an admitted request's G1 reservation grows by `blocks` (its decode KV reached a new block),
 * evicting unpinned blocks as needed; KV_ENOSPACE without changing anything if G1 cannot give them. The
 * request's `extra` (what kv_release expects) grows by as much. */
int kv_reserve_grow(kv_mgr_t *m, uint32_t inst, uint64_t request_id, uint32_t blocks, double now_s);

/* Gives back `blocks` of an admitted request's reservation that it will not use (at most its extra). */
void kv_reserve_shrink(kv_mgr_t *m, uint32_t inst, uint64_t request_id, uint32_t blocks);

/* G1 blocks on inst that a reservation could take now: free ones plus cached unpinned ones (evictable). */
uint64_t kv_g1_room_blocks(const kv_mgr_t *m, uint32_t inst);

/* G1 capacity of one instance, in blocks. */
uint64_t kv_g1_capacity_blocks(const kv_mgr_t *m, uint32_t inst);

/* Blocks [from, to) of an admitted request now hold valid KV in G1 (prefill reached them): they become
 * cached, still pinned. The write policy may copy them down now (write-through; queued as moves). */
void kv_commit(kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t from, uint32_t to, const kv_access_t *ctx);

/* The admitted request ended: unpins its n blocks (committed or not; uncommitted ones are dropped) and
 * frees its `extra` reservation. */
void kv_release(kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, uint32_t extra, const kv_access_t *ctx);

/* Copies blocks of a request that sit in tiers slower than dst into dst ahead of use (prefetch).
 * Returns the number of blocks staged (queued as KV_MOVE_PRESTAGE moves). */
uint64_t kv_prestage(kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, int dst_tier, const kv_access_t *ctx);

/* Holds (hold = true) the leading run of ids[0..n) resident in `tier` on inst's path: pins each block there,
 * so that no eviction takes it, until the same call with hold = false and the count it returned releases
 * them (a TTL pin: sim/kv/prefetch/ttl_pin.c). Moves nothing. Returns the blocks held (or released). */
uint32_t kv_hold(kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, int tier, bool hold, double now_s);

/* Moves decided since the last call, merged per (kind, src, dst, locations); returns how many were
 * written (at most cap; call again while it returns cap). */
size_t kv_drain_moves(kv_mgr_t *m, kv_move_t *out, size_t cap);

/* Counters of one tier, summed over its instances. */
void kv_tier_stats(const kv_mgr_t *m, int tier, kv_tier_stats_t *out);

/* Free G1 blocks on inst (capacity minus cached and reserved), for admission decisions. */
uint64_t kv_g1_free_blocks(const kv_mgr_t *m, uint32_t inst);

/* --- Additions beyond the first interface (inspection, sessions, cache-only replay) --- */

/* Like kv_lookup, and also writes the fastest tier holding each block of the prefix into tier_out[0..prefix)
 * (tier_out may be NULL). Returns the prefix. Changes nothing in the cache (remembers, as kv_lookup). */
uint32_t kv_lookup_tiers(const kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, uint8_t *tier_out);

/* The session will not come back (its last turn completed): told to the write policy (under the selective
 * one its blocks are no longer demoted on eviction unless they were reused). Sessions never ended count as
 * live. */
void kv_session_end(kv_mgr_t *m, uint64_t session_id);

/* True if the tier instance (tier, loc) holds block id. loc: instance for G1, domain for G2/G3, 0 else. */
bool kv_resident(const kv_mgr_t *m, int tier, uint32_t loc, uint64_t id);

/* A fault: drops every unpinned block of `tier` (all its instances) for which lost(id, arg) holds, without
 * demoting it (the copy is gone, not evicted). Returns the blocks dropped. */
uint64_t kv_drop_where(kv_mgr_t *m, int tier, bool (*lost)(uint64_t id, void *arg), void *arg);
/* The same in one location of the tier only (an instance's G1, a domain's G2 or G3); at = UINT32_MAX: all. */
uint64_t kv_drop_where_at(kv_mgr_t *m, int tier, uint32_t at, bool (*lost)(uint64_t id, void *arg), void *arg);

/* Counters of one tier instance; false if the tier is disabled or loc out of range. */
bool kv_tier_loc_stats(const kv_mgr_t *m, int tier, uint32_t loc, kv_tier_stats_t *out);

/* Cache-content events: fn is called for every block entering (added) or leaving a tier instance (tier, loc
 * as for kv_resident), with the simulated time of the operation. For a router whose knowledge of the cache
 * lags (issue 12: Dynamo's KV events reach its router after a delay). NULL fn: none (the default). */
typedef void (*kv_event_fn)(void *ctx, double now_s, int tier, uint32_t loc, uint64_t id, bool added);
void kv_set_event_hook(kv_mgr_t *m, kv_event_fn fn, void *ctx);

/* The domain (G2 and G3 location) of an instance. */
uint32_t kv_domain_of(const kv_mgr_t *m, uint32_t inst);

/* Bytes of metadata the tier holds over all its instances (entries, hash index, policy side structures). */
size_t kv_tier_mem_bytes(const kv_mgr_t *m, int tier);

#endif
