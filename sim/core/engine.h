/* The engine of one model instance: a long-lived actor running iteration-level continuous batching with
 * chunked prefill, as vLLM-like servers do. Each iteration takes decodes first (one token per running
 * request), then fills the remaining token budget with prefill chunks in admission order; its duration
 * comes from the step-time model. When a batch only decodes and nothing can change it, the engine
 * fast-forwards to the first completion in one timed wait, waking early (at the next step boundary) if an
 * arrival or a finished KV load may change the batch. The admission policy (sim/sched/admit.h) picks the
 * next waiting request and its G1 reservation: its whole KV (fcfs), or its prompt only (paged), in which case
 * a decoding request's room grows block by block before each iteration and, when G1 cannot give a block, the
 * policy's victim is preempted (recompute, or swap out to G2). A request enters when G1 can hold its
 * reservation and the policy's watermark, after the fetch-or-recompute decision on its cached prefix; KV
 * found in lower tiers is loaded by the transfer pools before its prefill starts (blocking), or, with
 * layer-wise loading, while its first iteration computes (that iteration then lasts until the load has
 * landed plus one layer's compute; the excess over the compute counts as stalled). */
#ifndef KVTWIN_ENGINE_H
#define KVTWIN_ENGINE_H

#include "models/strun.h"
#include "sim/core/pod.h"
#include "sim/sched/admit.h"

struct engine {
    pod_t *pod;
    uint32_t id;
    uint32_t domain;
    sgb_sem_t *wake;
    sim_req_t *wait_head, *wait_tail; /* arrived, not admitted */
    uint32_t n_waiting;
    sim_req_t **run; /* admitted: loading, prefilling or decoding */
    uint32_t n_run, cap_run;
    uint32_t n_loading;
    double *ff_t, *ff_e; /* fast-forward scratch: cumulative step end times and energies */
    double *ff_f, *ff_b; /* and cumulative FLOPs and HBM bytes (utilisation) */
    uint32_t ff_cap;
    uint32_t ff_steps; /* a fast-forward in progress: steps laid out in ff_t (0 = none) */
    uint32_t ff_seqs;  /* its decoding requests, one token each per step */
    double ff_start;   /* when it began */
    st_run_t ff_run;   /* its steps' results, kept for a resumed run of the same batch (models/strun.h) */
    uint8_t *tier_of;  /* admission scratch: tier of each cached prefix block */
    uint32_t tier_cap;
    struct engine_chunk *chunks; /* mixed-step scratch: the prefill chunks of the iteration */
    uint32_t chunk_cap;
    double backlog;          /* tokens still to prefill or decode, waiting requests included */
    bool g1_full;            /* the request picked did not fit G1: retry once a request releases room */
    sched_admitter_t admit;  /* the admission policy of this instance's queue */
    void *admit_params;      /* its bound parameters (owned) */
    uint64_t keep_free;      /* G1 blocks an admission leaves free: the policy's watermark */
    bool can_swap;           /* preemption swaps decoding victims out to G2 */
    bool layerwise;          /* kv.load_overlap = layerwise */
    uint32_t n_swapping_out; /* swap-outs in flight: the next iteration waits for them */
    uint32_t *cand;          /* preemption scratch: run indices of the candidates */
    uint32_t cand_cap;
    double last_step_s; /* duration of the last iteration (layer-wise look-ahead) */
    uint32_t max_seqs;  /* batch limits of its pool (deployment, or deployment.disagg per pool) */
    uint32_t max_tokens;
    bool down;   /* its node failed (faults.h): its requests move to instances that are up */
    bool exited; /* its actor ended (arrivals over, nothing left): it takes no moved requests */
};

/* Prepares the engine of instance id and starts its actor. */
void engine_start(engine_t *e, pod_t *p, uint32_t id);
void engine_free(engine_t *e);

/* A request routed to this engine arrives now. */
void engine_enqueue(engine_t *e, sim_req_t *r);

/* Hands a request's record to the metrics as it leaves the system (req_outcome_t outcome), from any actor. */
void engine_record(pod_t *p, const sim_req_t *r, int outcome);

/* Transfer callback of a load a request waits for that failed (faults.h): the request recomputes the KV it
 * had counted on, then goes on as engine_load_done would. */
void engine_load_failed(pod_t *p, void *ctx);

/* Wakes the engine (a load finished, arrivals are over). */
void engine_poke(engine_t *e);

/* Turns the cache's pending moves into transfers; those r waits for (loads into this instance, evictions
 * from its G1 for r) count in r->pending. r may be NULL (all background). */
void engine_issue_moves(engine_t *e, sim_req_t *r);

/* Outstanding work, for the least-loaded router: tokens still to prefill or decode now, counting the steps
 * a fast-forward in progress has already passed (as a step-by-step engine would have). */
double engine_load(const engine_t *e);

/* Requests still inside at the end of the run: recorded as unfinished, freed. */
void engine_flush_unfinished(engine_t *e);
/* A run that failed: frees the requests e still holds (queued or admitted), recording nothing. */
void engine_drop_requests(engine_t *e);

/* The context a prefetch policy's hooks get: now, the cache view, the proposal sink and the core's helpers. */
kv_pf_ctx_t engine_pf_ctx(pod_t *p);

#endif
