/* Power of two choices (Mitzenmacher): draw two distinct instances at random and send the request to the
 * less loaded (outstanding tokens; the first drawn among equals). Two probes instead of a scan of every
 * instance keep the maximum load within log log n of the mean, the property that makes it the usual
 * load balancer of large fleets. Blind to where KV is cached. Seeded from the scenario seed. */
#include <stdlib.h>

#include "sim/base/alloc.h"
#include "sim/base/mix.h"
#include "sim/sched/route.h"

static int p2_init(sched_router_t *r, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    uint64_t *x = kvt_calloc(1, sizeof *x);
    *x = kvt_mix64(r->seed ^ 0x706f7732ull);
    r->state = x;
    return 0;
}

static void p2_fini(sched_router_t *r)
{
    free(r->state);
    r->state = NULL;
}

static uint64_t p2_draw(uint64_t *x)
{
    *x += 0x9e3779b97f4a7c15ull;
    return kvt_mix64(*x);
}

static uint32_t p2_route(sched_router_t *r, const sched_view_t *v, const sched_req_t *q)
{
    (void)q;
    if (v->n_inst == 1)
        return 0;
    uint32_t a = (uint32_t)(p2_draw(r->state) % v->n_inst);
    /* The second from the other n - 1, so that the two are distinct. */
    uint32_t b = (uint32_t)(p2_draw(r->state) % (v->n_inst - 1));
    if (b >= a)
        b++;
    return v->load(v->core, b) < v->load(v->core, a) ? b : a;
}

const sched_route_ops_t sched_route_power_of_two = {
    .base =
        {
            .name = "power-of-two",
            .summary = "the less loaded of two instances drawn at random (seeded)",
        },
    .init = p2_init,
    .fini = p2_fini,
    .route = p2_route,
};
