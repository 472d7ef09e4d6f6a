/* Prefix-score routing, after llm-d's precise prefix-cache aware scheduler (its endpoint picker with the
 * prefix-cache, kv-cache-utilization and queue scorers and a max-score picker): each instance gets
 *
 *     score(i) = prefix_weight x matched(i) + kv_weight x (1 - g1_used(i)) + queue_weight x queue(i)
 *
 * and the request goes to the highest (ties drawn at random, seeded). matched(i) is the share of the
 * prompt's blocks that i's G1 holds as a prefix run from the first block (llm-d's indexer reads the pods'
 * vLLM caches, exact here); g1_used(i) the share of i's G1 that admitted requests hold (vLLM's KV-cache
 * usage); queue(i) the instance's outstanding work scaled to [0, 1] over the instances, 1 for the least
 * loaded, 0 for the most (llm-d's queue scorer scales the waiting-queue length the same way; kvtwin's
 * outstanding tokens stand in for it). Every term lies in [0, 1], so the weights are shares, not block
 * counts: unlike kv-aware's cost, a long queue cannot outweigh a cached prompt by its size alone. Defaults
 * are llm-d's precise-scheduling profile (2, 1, 1). Blind to tiers below G1. O(instances x prefix blocks). */
#include <math.h>
#include <stdlib.h>

#include "sim/base/alloc.h"
#include "sim/base/mix.h"
#include "sim/sched/route.h"

typedef struct psc_params {
    double prefix_weight; /* llm-d prefix-cache-scorer weight */
    double kv_weight;     /* kv-cache-utilization scorer weight */
    double queue_weight;  /* queue scorer weight */
} psc_params_t;

static const psc_params_t psc_defaults = {2.0, 1.0, 1.0};

static const jb_field_t psc_fields[] = {
    JB_DBL(psc_params_t, prefix_weight, 0, 1e6, "weight", "weight of the share of the prompt cached in G1"),
    JB_DBL(psc_params_t, kv_weight, 0, 1e6, "weight", "weight of the free share of G1"),
    JB_DBL(psc_params_t, queue_weight, 0, 1e6, "weight", "weight of the min-max scaled outstanding work"),
    JB_END,
};
static const jb_spec_t psc_spec = {"prefix-score", psc_fields, NULL};

typedef struct psc_state {
    uint64_t rng;
    uint32_t n;
    double *score, *load;
} psc_state_t;

static int psc_init(sched_router_t *r, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    psc_state_t *s = kvt_calloc(1, sizeof *s);
    s->rng = kvt_mix64(r->seed ^ 0x707363ull);
    r->state = s;
    return 0;
}

static void psc_fini(sched_router_t *r)
{
    psc_state_t *s = r->state;
    if (!s)
        return;
    free(s->score);
    free(s->load);
    free(s);
    r->state = NULL;
}

static uint32_t psc_route(sched_router_t *r, const sched_view_t *v, const sched_req_t *q)
{
    psc_state_t *s = r->state;
    const psc_params_t *pa = r->params;
    if (s->n != v->n_inst) {
        s->n = v->n_inst;
        s->score = kvt_realloc(s->score, v->n_inst, sizeof *s->score);
        s->load = kvt_realloc(s->load, v->n_inst, sizeof *s->load);
    }
    double total = q->input_blocks > q->n_blocks ? q->input_blocks : q->n_blocks;
    double lmin = INFINITY, lmax = -INFINITY;
    for (uint32_t i = 0; i < v->n_inst; i++) {
        s->load[i] = v->load(v->core, i);
        lmin = fmin(lmin, s->load[i]);
        lmax = fmax(lmax, s->load[i]);
    }
    double best = -INFINITY;
    for (uint32_t i = 0; i < v->n_inst; i++) {
        uint32_t j = 0;
        while (v->kv && j < q->n_blocks && kv_resident(v->kv, KV_G1, i, q->block_ids[j]))
            j++;
        double matched = total > 0 ? j / total : 0;
        double used = 0;
        if (v->kv) {
            double cap = (double)kv_g1_capacity_blocks(v->kv, i);
            used = cap > 0 ? (cap - (double)kv_g1_room_blocks(v->kv, i)) / cap : 0;
        }
        double queue = lmax > lmin ? (lmax - s->load[i]) / (lmax - lmin) : 1;
        s->score[i] = pa->prefix_weight * matched + pa->kv_weight * (1 - used) + pa->queue_weight * queue;
        best = fmax(best, s->score[i]);
    }
    uint32_t ties = 0;
    for (uint32_t i = 0; i < v->n_inst; i++)
        ties += s->score[i] == best;
    s->rng += 0x9e3779b97f4a7c15ull;
    uint32_t pick = ties > 1 ? (uint32_t)((double)(kvt_mix64(s->rng) >> 11) * 0x1.0p-53 * ties) : 0;
    for (uint32_t i = 0; i < v->n_inst; i++)
        if (s->score[i] == best && pick-- == 0)
            return i;
    return 0;
}

const sched_route_ops_t sched_route_prefix_score = {
    .base =
        {
            .name = "prefix-score",
            .summary = "the highest sum of G1 prefix share, free G1 share and scaled queue, as llm-d's precise "
                       "prefix-cache aware scheduler",
            .params = &psc_spec,
            .params_size = sizeof(psc_params_t),
            .params_default = &psc_defaults,
        },
    .init = psc_init,
    .fini = psc_fini,
    .route = psc_route,
};
