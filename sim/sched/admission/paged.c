/* Paged admission, as vLLM and SGLang run it: the oldest waiting request goes next and reserves G1 room for
 * its prompt only (blocks of the input without ids included); the engine grows its KV block by block as it
 * decodes. An admission must leave watermark_fraction of G1 free or evictable (vLLM's watermark, 1 % by
 * default), so that running requests have room to grow. When a running request needs a block and G1 has
 * none, the victim is the running request that arrived last (ties: the larger request id) — vLLM's rule,
 * the lowest FCFS priority goes first — and it is preempted by recompute (its KV is dropped; it rejoins the
 * head of the queue and prefills its prompt and the tokens it had generated again) or, with preemption
 * "swap" and a G2 tier, by swapping its KV out to host DRAM and back in when it is readmitted. A request
 * still prefilling is always recomputed (it has little to save). */
#include <math.h>

#include "sim/sched/admit.h"

typedef struct paged_params {
    double watermark_fraction;
    int preemption; /* 0 recompute, 1 swap */
} paged_params_t;

static const char *const paged_preemption_names[] = {"recompute", "swap", NULL};
static const paged_params_t paged_defaults = {0.01, 0};

static const jb_field_t paged_fields[] = {
    JB_DBL(paged_params_t, watermark_fraction, 0, 0.5, "fraction",
           "share of G1 blocks an admission must leave free or evictable"),
    JB_CHOICEF(paged_params_t, preemption, paged_preemption_names,
               "what happens to a preempted request's KV: recompute it, or swap it out to G2 and back"),
    JB_END,
};
static const jb_spec_t paged_spec = {"paged", paged_fields, NULL};

static uint32_t paged_next(sched_admitter_t *a, const sched_queue_t *q)
{
    (void)a;
    return q->n_waiting > 0 ? 0 : SCHED_ADMIT_NONE;
}

static uint32_t paged_reserve(sched_admitter_t *a, const sched_req_t *r)
{
    (void)a;
    /* The input's blocks without ids: the prompt occupies them from its prefill on. */
    return r->input_blocks > r->n_blocks ? r->input_blocks - r->n_blocks : 0;
}

static uint64_t paged_keep_free(sched_admitter_t *a, uint64_t cap)
{
    const paged_params_t *pa = a->params;
    return (uint64_t)floor(pa->watermark_fraction * (double)cap);
}

static uint32_t paged_victim(sched_admitter_t *a, const sched_running_t *run)
{
    (void)a;
    uint32_t best = SCHED_ADMIT_NONE;
    sched_req_t b = {0};
    for (uint32_t k = 0; k < run->n; k++) {
        sched_req_t r;
        run->at(run->core, k, &r);
        if (best == SCHED_ADMIT_NONE || r.arrival_s > b.arrival_s || (r.arrival_s == b.arrival_s && r.id > b.id)) {
            best = k;
            b = r;
        }
    }
    return best;
}

static bool paged_swap(sched_admitter_t *a)
{
    const paged_params_t *pa = a->params;
    return pa->preemption == 1;
}

const sched_admit_ops_t sched_admit_paged = {
    .base =
        {
            .name = "paged",
            .summary = "oldest first; reserves the prompt, grows decode KV block by block, keeps a free-block "
                       "watermark, preempts the latest arrival (recompute or swap to G2) when G1 runs out",
            .params = &paged_spec,
            .params_size = sizeof(paged_params_t),
            .params_default = &paged_defaults,
        },
    .next = paged_next,
    .reserve = paged_reserve,
    .keep_free = paged_keep_free,
    .victim = paged_victim,
    .swap = paged_swap,
};
