/* Prefetch (prestage) policies: which blocks to stage into a faster tier ahead of use, and when.
 *
 * A policy never moves data: it proposes (these blocks of this request, on this instance's path, into this
 * tier) and the core turns each proposal into kv_prestage plus transfers that take simulated time and
 * bandwidth on the same links as loads. One instance per run (pod-wide), so that a policy can follow
 * sessions across instances. The core calls the hooks at these events (all optional):
 *  - waiting: an admission pass left the request in its instance's queue (told once per request);
 *  - turn_done: the request completed; its session may come back after think or tool time (the time is
 *    ctx->now_s; the next turn's arrival is not known yet).
 * Each hook gets a context with the time, a read-only view of the cache (lookups, residency, counters) and
 * the proposal sink. Proposals take effect at once; a policy that wants to stage later (next-turn prestage
 * timed from learned think times, issue 10) needs a timer hook from the core, and one that follows whole
 * sessions a session-end hook once the workload source reports a session's last turn: both go beside these.
 * A new policy is one file in sim/kv/prefetch/ plus one line in sim/kv/prefetch_registry.c. */
#ifndef KVTWIN_KV_PREFETCH_H
#define KVTWIN_KV_PREFETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/base/plugin.h"
#include "sim/kv/kv.h"

/* A request as a prefetch policy sees it. */
typedef struct kv_pf_req {
    uint32_t inst;       /* the instance it waits on or ran on */
    const uint64_t *ids; /* its block ids (valid during the call only) */
    uint32_t n_blocks;
    uint32_t input_tokens;
    double arrival_s;
    kv_access_t access; /* request id, session, time and recompute cost, as its own KV operations use */
} kv_pf_req_t;

/* A proposal: stage the leading cached blocks of ids[0..n) found on inst's path into dst_tier (blocks
 * already in dst_tier or faster stay where they are; staging stops at the first block cached nowhere). */
typedef struct kv_pf_prop {
    uint32_t inst;
    const uint64_t *ids;
    uint32_t n;
    int dst_tier;       /* kv_tier_id_t */
    kv_access_t access; /* context of the staged blocks (their session and cost travel with them) */
} kv_pf_prop_t;

typedef struct kv_pf_ctx {
    double now_s;
    const kv_mgr_t *kv; /* read-only view of the cache */
    /* Hands a proposal to the core, which stages it now; returns the blocks staged. */
    uint64_t (*propose)(void *core, const kv_pf_prop_t *p);
    void *core;
} kv_pf_ctx_t;

typedef struct kv_prefetcher kv_prefetcher_t;

typedef struct kv_prefetch_ops {
    plugin_t base; /* name, summary, parameters */
    /* Optional configuration check against the enabled tiers: 0, or -1 with a message (the config loader
     * reports it at the policy's key). */
    int (*check)(const void *params, const bool tier_enabled[KV_NTIERS], char *msg, size_t len);
    int (*init)(kv_prefetcher_t *p, char *err, size_t errlen);                       /* optional: allocates p->state */
    void (*fini)(kv_prefetcher_t *p);                                                /* optional */
    void (*waiting)(kv_prefetcher_t *p, const kv_pf_ctx_t *c, const kv_pf_req_t *r); /* optional */
    void (*turn_done)(kv_prefetcher_t *p, const kv_pf_ctx_t *c, const kv_pf_req_t *r); /* optional */
} kv_prefetch_ops_t;

/* A prefetch policy instance (one per run). */
struct kv_prefetcher {
    const kv_prefetch_ops_t *ops;
    const void *params; /* bound parameters (plugin_params) */
    void *state;
    uint32_t n_instances;
    uint64_t seed; /* run seed, for randomised policies */
};

/* The registry (sim/kv/prefetch_registry.c); the first policy (none) is the default. */
extern const plugin_axis_t kv_prefetch_axis;
/* NULL if no prefetch policy has that name. */
const kv_prefetch_ops_t *kv_prefetch_find(const char *name);
const kv_prefetch_ops_t *kv_prefetch_at(size_t i);

/* Builds a policy instance (params: bound, or NULL for the defaults); 0, or -1 with a message. */
int kv_prefetcher_init(kv_prefetcher_t *p, const kv_prefetch_ops_t *ops, const void *params, uint32_t n_instances,
                       uint64_t seed, char *err, size_t errlen);
void kv_prefetcher_fini(kv_prefetcher_t *p);

#endif
