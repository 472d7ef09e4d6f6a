/* Least loaded: the instance with the fewest tokens still to prefill or decode (waiting requests
 * included), the lowest index among equals. Blind to where KV is cached. */
#include "sim/sched/route.h"

static uint32_t ll_route(sched_router_t *r, const sched_view_t *v, const sched_req_t *q)
{
    (void)r;
    (void)q;
    return sched_least_loaded(v);
}

const sched_route_ops_t sched_route_least_loaded = {
    .base =
        {
            .name = "least-loaded",
            .summary = "the instance with the least outstanding work (tokens to prefill or decode)",
        },
    .route = ll_route,
};
