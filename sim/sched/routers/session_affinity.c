/* Session affinity: a session's turns share their prefix, so all of them go where its KV already is: the
 * instance a hash of (session id, run seed) names. Requests without a session go to the least loaded. */
#include "sim/base/mix.h"
#include "sim/sched/route.h"

static uint32_t sa_route(sched_router_t *r, const sched_view_t *v, const sched_req_t *q)
{
    if (q->session_id != UINT64_MAX)
        return (uint32_t)(kvt_mix64(q->session_id ^ r->seed) % v->n_inst);
    return sched_least_loaded(v);
}

const sched_route_ops_t sched_route_session_affinity = {
    .base =
        {
            .name = "session-affinity",
            .summary = "a session's turns on one instance (hash of the session); others to the least loaded",
        },
    .route = sa_route,
};
