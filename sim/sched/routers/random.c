/* Random: each request to an instance drawn uniformly, blind to load and cache; the baseline every smarter
 * router is measured against. The draws are a splitmix64 sequence started from the run seed, so that a seed
 * gives one sequence of choices and another seed another. */
#include <stdlib.h>

#include "sim/base/alloc.h"
#include "sim/base/mix.h"
#include "sim/sched/route.h"

static int rnd_init(sched_router_t *r, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    uint64_t *x = kvt_calloc(1, sizeof *x); /* the generator's position */
    *x = kvt_mix64(r->seed ^ 0x72616e646f6dull);
    r->state = x;
    return 0;
}

static void rnd_fini(sched_router_t *r)
{
    free(r->state);
    r->state = NULL;
}

static uint32_t rnd_route(sched_router_t *r, const sched_view_t *v, const sched_req_t *q)
{
    (void)q;
    uint64_t *x = r->state;
    *x += 0x9e3779b97f4a7c15ull;
    return (uint32_t)(kvt_mix64(*x) % v->n_inst);
}

const sched_route_ops_t sched_route_random = {
    .base =
        {
            .name = "random",
            .summary = "an instance drawn uniformly at random (seeded by the scenario seed)",
        },
    .init = rnd_init,
    .fini = rnd_fini,
    .route = rnd_route,
};
