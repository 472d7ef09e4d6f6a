/* Prefetch (prestage) policies: which blocks to stage into a faster tier ahead of use, and when.
 *
 * A policy never moves data: it proposes (these blocks of this request, on this instance's path, into this
 * tier) and the core turns each proposal into kv_prestage plus transfers that take simulated time and
 * bandwidth on the same links as loads. One instance per run (pod-wide), so that a policy can follow
 * sessions across instances. The core calls the hooks at these events (all optional):
 *  - waiting: an admission pass left the request in its instance's queue (told once per request);
 *  - turn_done: the request completed; its session may come back after think or tool time (the time is
 *    ctx->now_s; the next turn's arrival is not known yet).
 *  - session_end: the session (an agent or a sub-agent) will not come back: its last turn completed. The
 *    source tells the core from the workload (kv_pf_req_t.turns_left reaches 0); the KV manager is told too
 *    (kv_session_end: selective write-back stops demoting the session's blocks);
 *  - timer: a time the policy asked for with ctx->timer came (one timed queue in the core, one actor for
 *    the whole run, never one per request: policies that stage "at t" use it).
 * Each hook gets a context with the time, a read-only view of the cache (lookups, residency, counters), the
 * proposal sink, the timer, an estimate of a stage's transfer time and a hold (TTL pin) facility. Proposals
 * take effect at once. A policy with needs_future (the oracle) is given the next turn's arrival, which the
 * source knows (closed loop: when it schedules the turn at completion; open loop: the recorded time); the
 * scenario refuses it on a workload without sessions, whose requests have no next turn.
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
    /* Its place in the session (turn_done and waiting; from the workload source): */
    uint64_t parent_session; /* a sub-agent's parent session, UINT64_MAX otherwise */
    uint32_t turn;
    uint32_t turns_left; /* turns of its session after this one; UINT32_MAX if the workload does not say */
    uint32_t fork;       /* sub-agents forked as this turn completes (the parent resumes when they finish) */
    bool completed;      /* turn_done: it completed (false: rejected) */
    /* needs_future policies only (NAN for the others and when unknown): when the session's next turn arrives
     * (for a sub-agent's last turn: its parent's resumption, if this completion scheduled it) */
    double next_arrival_s;
    uint64_t next_session; /* the session that next turn belongs to */
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
    /* Calls the policy's timer hook with key at time at_s (at once, from the timer actor, if at_s <= now). */
    void (*timer)(void *core, double at_s, uint64_t key);
    /* Seconds a transfer of `blocks` blocks from src_tier to dst_tier on inst's path would take now
     * (latency plus bytes over the fair share a new flow would get on its route). */
    double (*xfer_s)(void *core, uint32_t inst, uint64_t blocks, int src_tier, int dst_tier);
    /* kv_hold on the cache: holds (pins) the leading run of ids resident in tier on inst's path, or releases
     * n blocks it held; returns the count. Held blocks count against the tier's capacity: a policy bounds
     * what it holds. */
    uint32_t (*hold)(void *core, uint32_t inst, const uint64_t *ids, uint32_t n, int tier, bool on);
    /* Counters of the tier instance on inst's path (kv_tier_loc_stats); false if the tier is disabled. */
    bool (*tier_stats)(void *core, int tier, uint32_t inst, kv_tier_stats_t *out);
    uint64_t block_bytes; /* bytes of KV per block */
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
    void (*session_end)(kv_prefetcher_t *p, const kv_pf_ctx_t *c, uint64_t session);   /* optional */
    void (*timer)(kv_prefetcher_t *p, const kv_pf_ctx_t *c, uint64_t key);             /* optional */
    bool needs_future; /* reads kv_pf_req_t.next_arrival_s: refused on workloads without sessions */
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
