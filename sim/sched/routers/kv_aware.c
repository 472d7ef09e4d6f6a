/* KV-aware routing, after Dynamo's KV router: each instance is scored by what the request would cost there,
 *
 *     cost(i) = overlap_score_weight x prefill_blocks(i) + load_weight x load(i)
 *
 * and the request goes to the cheapest (ties broken at random, seeded; with a temperature > 0, drawn with
 * softmax weights over the normalised costs, as Dynamo's router_temperature does). prefill_blocks(i) is what
 * the request's prefix overlap leaves to do on i: its blocks held in i's G1 cost nothing, those its domain's
 * G2 or G3 or the pod's G3.5 or G4 hold cost that tier's weight (a fraction of a recomputed block: loading is
 * cheaper than prefilling, not free), the rest cost one block each. Dynamo's cost is the same sum with the
 * prefill term weighted by kv_overlap_score_weight and the decode term (the worker's active blocks) by one;
 * load(i) here is either the instance's outstanding tokens in blocks (backlog: queued work counted, as the
 * router tracks what it sent) or its G1 blocks held by admitted requests (active-blocks, Dynamo's term).
 *
 * The prefix is scanned as Dynamo's radix tree matches it: i's G1 run from the first block, then the run its
 * domain's and the pod's tiers continue; a block in G1 past a gap of G1 is credited at the lower tier's
 * weight or ends the prefix (a router's estimate, not the engine's lookup). Per request that is one G1 probe
 * per instance past its run, plus at most two probes per block per domain and per block for the pod, each
 * computed once and shared by the instances of a domain: O(instances x prefix blocks) at worst.
 *
 * Knowledge: with event_lag_s = 0 the router reads the cache itself (exact). With event_lag_s > 0 it keeps
 * its own index of which tier instance holds which block, fed by the cache's insert and evict events
 * (kv_set_event_hook) and applied lazily: at each decision the events older than now - event_lag_s, so it
 * sees the cache as it was event_lag_s ago (Dynamo's KV events travel over NATS to the router). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"
#include "sim/base/mix.h"
#include "sim/base/u64map.h"
#include "sim/sched/route.h"

typedef struct kva_params {
    double overlap_score_weight; /* Dynamo's kv_overlap_score_weight: weight of the prefill term */
    double load_weight;          /* weight of the load term (one in Dynamo) */
    int load_metric;             /* 0 backlog, 1 active-blocks */
    double g2_weight, g3_weight, g35_weight, g4_weight; /* cost of a block loaded from there, in prefilled blocks */
    double temperature;                                 /* 0: the cheapest; > 0: softmax draw (Dynamo) */
    double event_lag_s;                                 /* age of the router's view of the cache */
} kva_params_t;

static const char *const kva_load_names[] = {"backlog", "active-blocks", NULL};
static const kva_params_t kva_defaults = {1.0, 1.0, 0, 0.25, 0.5, 0.5, 0.75, 0.0, 0.0};

static const jb_field_t kva_fields[] = {
    JB_DBL(kva_params_t, overlap_score_weight, 0, 1e6, "weight",
           "weight of the blocks left to prefill (Dynamo kv_overlap_score_weight)"),
    JB_DBL(kva_params_t, load_weight, 0, 1e6, "weight", "weight of the instance's load, in blocks"),
    JB_CHOICEF(kva_params_t, load_metric, kva_load_names,
               "load: outstanding tokens in blocks (backlog) or G1 blocks held by admitted requests (active-blocks)"),
    JB_DBL(kva_params_t, g2_weight, 0, 1, "blocks",
           "cost of a block its domain's G2 holds, as a share of prefilling it"),
    JB_DBL(kva_params_t, g3_weight, 0, 1, "blocks", "cost of a block its domain's G3 holds"),
    JB_DBL(kva_params_t, g35_weight, 0, 1, "blocks", "cost of a block the pod's G3.5 (ICMS) holds"),
    JB_DBL(kva_params_t, g4_weight, 0, 1, "blocks", "cost of a block G4 holds"),
    JB_DBL(kva_params_t, temperature, 0, 100, "", "0: the cheapest instance; > 0: softmax draw over normalised costs"),
    JB_DBL(kva_params_t, event_lag_s, 0, 1e6, "s", "age of the router's view of the cache (KV event propagation)"),
    JB_END,
};
static const jb_spec_t kva_spec = {"kv-aware", kva_fields, NULL};

typedef struct kva_event {
    double t;
    uint64_t key;
    bool added;
} kva_event_t;

typedef struct kva_state {
    uint64_t rng;
    /* The lagged view: (tier, loc, block) keys present, and the events not yet applied, oldest first. */
    u64map_t idx;
    kva_event_t *ev;
    size_t ev_head, ev_n, ev_cap;
    bool seen[KV_NTIERS]; /* the lagged view has had an event of this tier (the others need no probe) */
    /* Per decision. The pod's tiers: weight of each block (INFINITY: neither G3.5 nor G4 holds it), prefix
     * sums of the finite ones and the end of the pod's run from each block, all computed once, at the first
     * instance that needs them. Per domain: G2/G3 weight of a block, computed when an instance's scan first
     * reaches it (stamp = the decision's number). */
    uint32_t n_inst, n_dom, cap;
    uint32_t *dom;
    bool pod_ready;
    float *podw;
    double *podcum;   /* cap + 1 */
    uint32_t *podend; /* first block at or after j that the pod does not hold */
    float *domw;      /* n_dom x cap */
    uint32_t *domstamp, stamp;
    double *cost;
} kva_state_t;

static uint64_t kva_key(int tier, uint32_t loc, uint64_t id)
{
    return kvt_mix64(id ^ kvt_mix64(((uint64_t)(unsigned)tier << 32 | loc) + 0x9e3779b97f4a7c15ull));
}

static int kva_init(sched_router_t *r, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    const kva_params_t *pa = r->params;
    kva_state_t *s = kvt_calloc(1, sizeof *s);
    s->rng = kvt_mix64(r->seed ^ 0x6b76617761726eull);
    u64map_init(&s->idx);
    r->state = s;
    r->kv_events = pa->event_lag_s > 0;
    return 0;
}

static void kva_fini(sched_router_t *r)
{
    kva_state_t *s = r->state;
    if (!s)
        return;
    u64map_free(&s->idx);
    free(s->ev);
    free(s->dom);
    free(s->podw);
    free(s->podcum);
    free(s->podend);
    free(s->domw);
    free(s->domstamp);
    free(s->cost);
    free(s);
    r->state = NULL;
}

static void kva_event(sched_router_t *r, double now_s, int tier, uint32_t loc, uint64_t id, bool added)
{
    kva_state_t *s = r->state;
    if (s->ev_n == s->ev_cap) {
        if (s->ev_head > 0) { /* slide the unapplied tail to the front before growing */
            memmove(s->ev, s->ev + s->ev_head, (s->ev_n - s->ev_head) * sizeof *s->ev);
            s->ev_n -= s->ev_head;
            s->ev_head = 0;
        }
        if (s->ev_n == s->ev_cap) {
            s->ev_cap = s->ev_cap ? 2 * s->ev_cap : 4096;
            s->ev = kvt_realloc(s->ev, s->ev_cap, sizeof *s->ev);
        }
    }
    s->ev[s->ev_n++] = (kva_event_t){now_s, kva_key(tier, loc, id), added};
    s->seen[tier] = true;
}

/* The lagged view catches up with the events older than now - lag. */
static void kva_apply(kva_state_t *s, double until_s)
{
    while (s->ev_head < s->ev_n && s->ev[s->ev_head].t <= until_s) {
        const kva_event_t *e = &s->ev[s->ev_head++];
        if (e->added)
            u64map_put(&s->idx, e->key, 1);
        else
            u64map_del(&s->idx, e->key);
    }
    if (s->ev_head == s->ev_n)
        s->ev_head = s->ev_n = 0;
}

static bool kva_holds(const sched_router_t *r, const sched_view_t *v, int tier, uint32_t loc, uint64_t id)
{
    const kva_state_t *s = r->state;
    if (r->kv_events)
        return s->seen[tier] && u64map_get(&s->idx, kva_key(tier, loc, id), NULL);
    return v->kv && kv_resident(v->kv, tier, loc, id);
}

static void kva_shape(kva_state_t *s, const sched_view_t *v, uint32_t n)
{
    if (s->n_inst != v->n_inst) {
        s->n_inst = v->n_inst;
        s->dom = kvt_realloc(s->dom, v->n_inst, sizeof *s->dom);
        s->cost = kvt_realloc(s->cost, v->n_inst, sizeof *s->cost);
        s->n_dom = 1;
        for (uint32_t i = 0; i < v->n_inst; i++) {
            s->dom[i] = v->kv ? kv_domain_of(v->kv, i) : 0;
            if (s->dom[i] + 1 > s->n_dom)
                s->n_dom = s->dom[i] + 1;
        }
        s->cap = 0;
    }
    if (n > s->cap) {
        s->cap = n;
        s->podw = kvt_realloc(s->podw, n, sizeof *s->podw);
        s->podcum = kvt_realloc(s->podcum, (size_t)n + 1, sizeof *s->podcum);
        s->podend = kvt_realloc(s->podend, (size_t)n + 1, sizeof *s->podend);
        s->domw = kvt_realloc(s->domw, (size_t)n * s->n_dom, sizeof *s->domw);
        free(s->domstamp);
        s->domstamp = kvt_calloc((size_t)n * s->n_dom, sizeof *s->domstamp);
        s->stamp = 0;
    }
    if (++s->stamp == 0) { /* wrapped: no stale stamp may match */
        memset(s->domstamp, 0, (size_t)s->cap * s->n_dom * sizeof *s->domstamp);
        s->stamp = 1;
    }
    s->pod_ready = false;
}

/* The pod's tiers over the whole request, once per decision: 2 probes per block. */
static void kva_pod(sched_router_t *r, const sched_view_t *v, const sched_req_t *q)
{
    kva_state_t *s = r->state;
    const kva_params_t *pa = r->params;
    uint32_t n = q->n_blocks;
    s->podcum[0] = 0;
    for (uint32_t j = 0; j < n; j++) {
        uint64_t id = q->block_ids[j];
        float w = INFINITY;
        if (kva_holds(r, v, KV_G35, 0, id))
            w = (float)pa->g35_weight;
        if ((float)pa->g4_weight < w && kva_holds(r, v, KV_G4, 0, id))
            w = (float)pa->g4_weight;
        s->podw[j] = w;
        s->podcum[j + 1] = s->podcum[j] + (w < INFINITY ? (double)w : 0);
    }
    s->podend[n] = n;
    for (uint32_t j = n; j-- > 0;)
        s->podend[j] = s->podw[j] < INFINITY ? s->podend[j + 1] : j;
    s->pod_ready = true;
}

/* Weight of block j from domain d's G2 or G3 (INFINITY: neither holds it), probed at most once per decision. */
static float kva_domw(sched_router_t *r, const sched_view_t *v, const sched_req_t *q, uint32_t d, uint32_t j)
{
    kva_state_t *s = r->state;
    const kva_params_t *pa = r->params;
    size_t at = (size_t)d * s->cap + j;
    if (s->domstamp[at] != s->stamp) {
        uint64_t id = q->block_ids[j];
        float x = INFINITY;
        if (kva_holds(r, v, KV_G2, d, id))
            x = (float)pa->g2_weight;
        if ((float)pa->g3_weight < x && kva_holds(r, v, KV_G3, d, id))
            x = (float)pa->g3_weight;
        s->domw[at] = x;
        s->domstamp[at] = s->stamp;
    }
    return s->domw[at];
}

static double kva_draw(kva_state_t *s)
{
    s->rng += 0x9e3779b97f4a7c15ull;
    return (double)(kvt_mix64(s->rng) >> 11) * 0x1.0p-53;
}

static uint32_t kva_route(sched_router_t *r, const sched_view_t *v, const sched_req_t *q)
{
    kva_state_t *s = r->state;
    const kva_params_t *pa = r->params;
    if (r->kv_events)
        kva_apply(s, v->now_s - pa->event_lag_s);
    uint32_t n = q->n_blocks;
    kva_shape(s, v, n > 0 ? n : 1);
    double total = q->input_blocks > n ? q->input_blocks : n; /* blocks the prompt fills */
    double bt = v->block_tokens ? v->block_tokens : 1;
    double lo = INFINITY, hi = -INFINITY;
    for (uint32_t i = 0; i < v->n_inst; i++) {
        /* i's G1 run, then its domain's G2/G3 run, then the pod's run (a tier's run ends at its first gap). */
        uint32_t j = 0;
        while (j < n && kva_holds(r, v, KV_G1, i, q->block_ids[j]))
            j++;
        double loaded = 0; /* cost of the blocks loaded from below G1, in prefilled blocks */
        float w;
        while (j < n && (w = kva_domw(r, v, q, s->dom[i], j)) < INFINITY) {
            if (!s->pod_ready)
                kva_pod(r, v, q);
            loaded += (double)(w < s->podw[j] ? w : s->podw[j]);
            j++;
        }
        if (j < n) {
            if (!s->pod_ready)
                kva_pod(r, v, q);
            uint32_t e = s->podend[j];
            loaded += s->podcum[e] - s->podcum[j];
            j = e;
        }
        double prefill = loaded + (total - j);
        double load;
        if (pa->load_metric == 1)
            load = v->kv ? (double)(kv_g1_capacity_blocks(v->kv, i) - kv_g1_room_blocks(v->kv, i)) : 0;
        else
            load = v->load(v->core, i) / bt;
        double c = pa->overlap_score_weight * prefill + pa->load_weight * load;
        s->cost[i] = c;
        if (c < lo)
            lo = c;
        if (c > hi)
            hi = c;
    }
    if (pa->temperature > 0 && hi > lo) {
        /* Dynamo's softmax over costs normalised to [0, 1]: lower cost, higher weight. */
        double sum = 0;
        for (uint32_t i = 0; i < v->n_inst; i++)
            sum += exp(-(s->cost[i] - lo) / (hi - lo) / pa->temperature);
        double u = kva_draw(s) * sum;
        for (uint32_t i = 0; i < v->n_inst; i++) {
            u -= exp(-(s->cost[i] - lo) / (hi - lo) / pa->temperature);
            if (u <= 0)
                return i;
        }
        return v->n_inst - 1;
    }
    /* The cheapest; among equals one drawn at random, so that cold requests spread. */
    uint32_t ties = 0;
    for (uint32_t i = 0; i < v->n_inst; i++)
        ties += s->cost[i] == lo;
    uint32_t pick = ties > 1 ? (uint32_t)(kva_draw(s) * ties) : 0;
    for (uint32_t i = 0; i < v->n_inst; i++)
        if (s->cost[i] == lo && pick-- == 0)
            return i;
    return 0;
}

const sched_route_ops_t sched_route_kv_aware = {
    .base =
        {
            .name = "kv-aware",
            .summary = "the instance where prefix overlap (G1, its node's G2/G3, G3.5, G4) and load cost least, "
                       "as Dynamo's KV router; exact or lagged knowledge",
            .params = &kva_spec,
            .params_size = sizeof(kva_params_t),
            .params_default = &kva_defaults,
        },
    .init = kva_init,
    .fini = kva_fini,
    .route = kva_route,
    .kv_event = kva_event,
};
