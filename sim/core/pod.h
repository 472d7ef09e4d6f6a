/* The state of one simulation run, shared by its few long-lived actors (one dispatcher, one engine per
 * instance, transfer workers, a sampler). SimGrid runs actors one at a time, so plain C structures are
 * shared without locks. One run per process. */
#ifndef KVTWIN_POD_H
#define KVTWIN_POD_H

#include <stdbool.h>
#include <stdint.h>

#include "models/steptime.h"
#include "sim/config/scenario.h"
#include "sim/core/platform.h"
#include "sim/core/sgb.h"
#include "sim/kv/fetch.h"
#include "sim/kv/kv.h"
#include "sim/kv/prefetch.h"
#include "sim/sched/route.h"
#include "workloads/source.h"

typedef enum req_state { RQ_WAITING = 0, RQ_LOADING, RQ_PREFILL, RQ_DECODE, RQ_DONE } req_state_t;

/* A request inside the simulated system, from arrival to completion. */
typedef struct sim_req {
    wl_request_t w; /* as the source delivered it (owns its block ids) */
    uint32_t inst;
    int state;                /* req_state_t */
    uint32_t n_blocks;        /* block ids used: at most ceil(input / block) */
    uint32_t extra_blocks;    /* G1 room for tokens without ids: output and uncovered input */
    uint32_t input_blocks;    /* G1 blocks its input fills (ids included) */
    uint32_t reserved_blocks; /* G1 room held beyond its ids (kv_admit's extra, plus decode growth) */
    uint32_t committed;       /* blocks committed to G1 so far */
    uint32_t found_tokens;    /* cached prefix found at admission, trace definition min(k x block, input) */
    uint32_t reused_tokens;   /* tokens not recomputed: min(use x block, input - 1) */
    uint32_t hit_tokens_by_tier[KV_NTIERS]; /* reused tokens by the tier they came from (metrics_hit_tokens) */
    uint32_t prefilled;                     /* tokens whose KV exists in G1 (reused + computed so far) */
    uint32_t decoded;                       /* output tokens produced */
    uint32_t pending;                       /* transfers this request waits for */
    uint32_t prefill_target;    /* tokens its prefill covers: the input, plus the generated ones after a recompute */
    uint32_t input_credited;    /* input tokens credited to the throughput so far (each once) */
    uint32_t preemptions;       /* times it was preempted */
    uint32_t recomputed_tokens; /* tokens prefilled again because of preemptions */
    uint32_t grown_blocks;      /* of reserved_blocks, those grown while decoding (paged) */
    uint32_t swap_extra;        /* swapped out: the G1 room beyond its ids it held, to take again */
    bool swapped;               /* preempted by swap: its KV waits in G2 */
    bool resuming;              /* its swap-in is loading: it decodes once it lands */
    bool in_batch;              /* decoding in the iteration under way (a swap-in landing meanwhile waits) */
    bool overlap;               /* layer-wise: prefilling while its load is still in flight */
    bool kv_lost;               /* a load it waits for failed (a fault): it recomputes that KV (faults.h) */
    double swap_bytes;          /* KV swapped out and in (each way counted once) */
    double preempted_s;         /* time spent out of the batch after preemptions */
    double t_preempt;           /* when it was last preempted */
    double load_eta;            /* layer-wise: when its loads should be done (estimated at admission) */
    bool told_waiting;          /* the prefetch policy was told it waits (once per request) */
    double loaded_bytes;
    double recompute_s_per_block; /* for cost-aware eviction */
    const uint64_t *next_use;     /* per block: next reference in the trace's order (future.h), or NULL */
    double t_admit, t_ready, t_first, t_done;
    uint32_t kv_from;     /* disaggregation: 1 + the prefill instance whose KV it waits for; 0 none */
    double t_handoff;     /* when its prefill instance handed it over */
    struct sim_req *next; /* waiting queue link */
} sim_req_t;

typedef struct engine engine_t;
typedef struct pstage pstage_t;
typedef struct future future_t;
struct cons_ledger;
typedef struct xfer_pool xfer_pool_t;
typedef struct metrics metrics_t;

typedef struct pod {
    scenario_t *sc;
    platform_t pf;
    kv_mgr_t *kv;
    st_model_t *st;
    st_model_t *st_pool[2]; /* disaggregation with per-pool hardware or TP: prefill, decode; else NULL */
    wl_source_t *src;
    engine_t *eng;          /* n_inst engines */
    xfer_pool_t *load_pool; /* per instance: KV loads and the write-backs a request waits for */
    xfer_pool_t *wb_pool;   /* per domain, plus one for the pod-level tiers: background write-backs */
    metrics_t *m;
    sgb_host_t **hosts[PF_KINDS]; /* SimGrid host of every platform endpoint */
    uint32_t block_tokens;
    double block_bytes; /* KV bytes of one block, whole instance */
    double kv_bytes_per_token;
    double gpu_idle_w; /* one GPU, idle */
    sgb_sem_t *dispatch_wake;
    /* While the dispatcher waits for the source's next arrival (not for a request it already holds): until
     * when; a completion wakes it only if it scheduled an earlier arrival or ended the source (dispatch.h). */
    bool dispatch_on_source;
    double dispatch_until_s;
    bool arrivals_over; /* the dispatcher will deliver nothing more */
    kv_fetcher_t fetch; /* the policies of the run: fetch-or-recompute, prefetch, routing */
    kv_prefetcher_t prefetch;
    void *prefetch_params; /* its bound parameters (kv.prefetch_params) */
    pstage_t *pstage;      /* the prefetch policy's timed queue, if it uses timers (pstage.h) */
    future_t *future;      /* the trace's future order, if an eviction policy needs it (future.h) */
    sched_router_t router;
    void *router_params;        /* its bound parameters (deployment.router_params), or NULL */
    sim_req_t *first;           /* the first request, read before the run to size the KV blocks */
    bool guard_pages;           /* SimGrid protects actor stacks (two memory mappings per actor) */
    uint64_t ctx_over;          /* requests whose input + output exceed the model's window */
    uint64_t ctx_longest;       /* longest such context, tokens */
    struct cons_ledger *ledger; /* conservation check's own ledger (sim/conserve.h) */
    struct disagg_stats *dg;    /* disaggregation counters (sim/core/disagg.h); NULL when it is off */
    struct faults *faults;      /* the scenario's fault list and what is down now (faults.h); NULL if none */
    uint64_t peer_loads;        /* peer KV (sim/core/peer.h): loads from another domain's G2 */
    double peer_bytes;          /* and their bytes */
    int fail_code;              /* 0, or the exit code a failure inside the run maps to */
    char fail_msg[1024];
} pod_t;

/* Tier endpoint on the platform for a KV location (G1 -> instance, G2 -> domain CPU, ...): the tier table's
 * endpoint kind; a pod-wide tier is striped over its enclosures or servers by block id. */
pf_ep_t pod_tier_endpoint(const pod_t *p, int tier, uint32_t loc, uint64_t first_block);

/* The location (kv_move_t loc) of a tier on instance inst's path, by the tier's scope. */
uint32_t pod_tier_loc(const pod_t *p, int tier, uint32_t inst);

/* The step-time model of an instance: its pool's (per-pool hardware or TP, by the configured pools, which the
 * planner's moves do not change: an instance keeps its GPUs), else the pod's. */
static inline st_model_t *pod_st(const pod_t *p, uint32_t inst)
{
    return p->st_pool[0] ? p->st_pool[inst < p->sc->deploy.disagg.prefill_instances ? 0 : 1] : p->st;
}

static inline sgb_host_t *pod_host(const pod_t *p, pf_ep_t ep)
{
    return p->hosts[ep.kind][ep.idx];
}

/* Stops the run because of bad input discovered mid-run (a malformed trace record): no result is written. */
void pod_fail(pod_t *p, int code, const char *msg);

#endif
