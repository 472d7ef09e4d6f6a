/* Round-robin: instances in turn, whatever their load or cache. The position is the router's state. */
#include <stdlib.h>

#include "sim/base/alloc.h"
#include "sim/sched/route.h"

static int rr_init(sched_router_t *r, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    r->state = kvt_calloc(1, sizeof(uint32_t)); /* the next instance, modulo their count */
    return 0;
}

static void rr_fini(sched_router_t *r)
{
    free(r->state);
    r->state = NULL;
}

static uint32_t rr_route(sched_router_t *r, const sched_view_t *v, const sched_req_t *q)
{
    (void)q;
    uint32_t *next = r->state;
    return (*next)++ % v->n_inst;
}

const sched_route_ops_t sched_route_round_robin = {
    .base =
        {
            .name = "round-robin",
            .summary = "instances in turn",
        },
    .init = rr_init,
    .fini = rr_fini,
    .route = rr_route,
};
