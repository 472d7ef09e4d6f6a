/* The core's side of the prefetch axis beyond proposals: the one timed queue (an actor for the whole run,
 * started only when the prefetch policy has a timer hook: DESIGN.md forbids an actor per request), the
 * session lifecycle at each request's end (turn_done with the session's place and, for policies that need
 * the future, the next turn's arrival from the source; session end to the KV manager and the policy), and the
 * helpers a policy context carries (transfer-time estimate, holds). */
#ifndef KVTWIN_CORE_PSTAGE_H
#define KVTWIN_CORE_PSTAGE_H

#include <stdbool.h>

#include "sim/core/pod.h"

/* Allocates the timed queue if the run's prefetch policy uses timers. */
void pstage_init(pod_t *p);
/* Starts the timer actor (if any) on host. */
void pstage_start(pod_t *p, sgb_host_t *host);
void pstage_free(pod_t *p);

/* Fills the context callbacks beyond propose (timer, xfer_s, hold, block_bytes). */
void pstage_ctx_fill(pod_t *p, kv_pf_ctx_t *c);

/* The request left the system (completed or rejected), after the source was told: calls the policy's
 * turn_done with the lifecycle fields of v filled, and ends its session if this was its last turn. */
void pstage_request_done(pod_t *p, kv_pf_req_t *v, const wl_request_t *w, bool completed);

#endif
