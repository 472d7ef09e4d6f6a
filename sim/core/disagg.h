/* Prefill/decode disaggregation (deployment.disagg; issue 12), as Dynamo runs it: instances [0, P) form the
 * prefill pool, the rest the decode pool, each with its own batch limits. The router picks a prefill
 * instance; when the prompt's prefill is done there, the request is handed to a decode instance (the least
 * loaded, its prefill instance's NVLink domain first among equals), which reserves G1 for it and pulls its KV
 * as ONE transfer (NVLink inside an NVLink domain, the fabric between domains) contending with every other
 * flow; its first token counts when the KV has landed, so TTFT includes the transfer. The prefill
 * instance's copy is released at the handoff (it stays cached there, as any finished context). With
 * conditional disaggregation the dispatcher prefills on a decode instance instead when the uncached part of
 * the prompt there is short or the prefill pool's queue is long. The engine calls the hooks below; all the
 * logic lives here. */
#ifndef KVTWIN_DISAGG_H
#define KVTWIN_DISAGG_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "sim/core/engine.h"

/* Counters of the run, for the summary (section "disaggregation") and the tests. */
typedef struct disagg_stats {
    double handoffs;       /* requests handed from a prefill to a decode instance */
    double transfers;      /* KV transfers submitted (one per handoff) */
    double transfers_done; /* of those, landed */
    double bytes;          /* KV bytes submitted */
    double bytes_nvlink;   /* of those, inside an NVLink domain */
    double local_prefills; /* conditional: requests prefilled on a decode instance */
    double transfer_s;     /* sum over landed transfers of handoff-to-landing time (decode queue included) */
    /* The planner (sim/core/planner.c): an instance changing pool, and what completed since its last look. */
    bool switching;
    uint32_t switch_inst;
    double switch_until;
    double moves_to_prefill, moves_to_decode;
    double ttft_sum, tpot_sum, n_done;
} disagg_stats_t;

/* A request left the system (engine_record): the planner's TTFT and TPOT samples. */
void disagg_note_done(pod_t *p, const sim_req_t *r, int outcome);

/* Instances a router chooses among: the prefill pool, or every instance when disaggregation is off. */
uint32_t disagg_route_count(const pod_t *p);

/* Where a request routed to instance inst (below disagg_route_count) is enqueued: inst, or with conditional
 * disaggregation a decode instance that prefills it locally. */
uint32_t disagg_dispatch(pod_t *p, sim_req_t *r, uint32_t inst);

/* Batch limits of an instance's pool. */
uint32_t disagg_max_seqs(const pod_t *p, uint32_t inst);
uint32_t disagg_max_tokens(const pod_t *p, uint32_t inst);

/* Called by a prefill instance's engine when r's prompt is done: true if r left e (handed to a decode
 * instance, now r->inst: the engine drops it from its batch without freeing it). */
bool disagg_handoff(engine_t *e, sim_req_t *r);

/* A decode engine admits a handed-off request: G1 room for its KV and output, and the KV transfer as its
 * load. KV_OK; kv_admit's KV_ENOSPACE with nothing changed; DISAGG_NEVER if even an empty G1 of this
 * instance could not hold it. */
enum { DISAGG_NEVER = 2 };
int disagg_admit(engine_t *e, sim_req_t *r, uint64_t keep);

/* An idle engine may end once arrivals are over: always without disaggregation; with it, only when every
 * engine is idle (a prefill instance may still hand work to a decode one). The first to see that wakes the
 * others, so that they end too. */
bool disagg_may_exit(pod_t *p);

/* Adds the "disaggregation" section to the summary (nothing when it is off). */
void disagg_summary(const pod_t *p, cJSON *summary);

#endif
