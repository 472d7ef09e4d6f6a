/* The registry of routers: one line per policy, in the order `kvtwin policies` lists them. A new router is
 * one file in sim/sched/routers/ plus one line in SCHED_ROUTE_LIST. Also the helpers every router shares. */
#include "sim/sched/route.h"

#include <string.h>

#define SCHED_ROUTE_LIST                                                                                               \
    R(round_robin)      /* in turn */                                                                                  \
    R(least_loaded)     /* least outstanding work */                                                                   \
    R(session_affinity) /* a session stays on one instance */                                                          \
    R(random)           /* uniformly at random (seeded) */                                                             \
    R(power_of_two)     /* the less loaded of two random instances */                                                  \
    R(kv_aware)         /* prefix overlap against load, as Dynamo's KV router */                                       \
    R(prefix_score)     /* prefix share, free G1 and queue scores, as llm-d's precise scheduler */

#define R(n) extern const sched_route_ops_t sched_route_##n;
SCHED_ROUTE_LIST
#undef R

#define R(n) &sched_route_##n.base,
static const plugin_t *const sched_routers[] = {SCHED_ROUTE_LIST};
#undef R

const plugin_axis_t sched_route_axis = {
    .name = "routing",
    .chosen_by = "deployment.router",
    .column = "where a new request goes",
    .items = sched_routers,
    .count = sizeof sched_routers / sizeof sched_routers[0],
};

const sched_route_ops_t *sched_route_find(const char *name)
{
    return PLUGIN_OPS(sched_route_ops_t, plugin_find(&sched_route_axis, name));
}

const sched_route_ops_t *sched_route_at(size_t i)
{
    return i < sched_route_axis.count ? PLUGIN_OPS(sched_route_ops_t, sched_routers[i]) : NULL;
}

uint32_t sched_least_loaded(const sched_view_t *v)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < v->n_inst; i++)
        if (v->load(v->core, i) < v->load(v->core, best))
            best = i;
    return best;
}

int sched_router_init(sched_router_t *r, const sched_route_ops_t *ops, const void *params, uint64_t seed, char *err,
                      size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->ops = ops;
    r->params = plugin_params(&ops->base, params);
    r->seed = seed;
    if (ops->init && ops->init(r, err, errlen)) {
        r->ops = NULL;
        return -1;
    }
    return 0;
}

void sched_router_kv_event(void *ctx, double now_s, int tier, uint32_t loc, uint64_t id, bool added)
{
    sched_router_t *r = ctx;
    if (r->ops && r->ops->kv_event)
        r->ops->kv_event(r, now_s, tier, loc, id, added);
}

void sched_router_fini(sched_router_t *r)
{
    if (r->ops && r->ops->fini)
        r->ops->fini(r);
    memset(r, 0, sizeof *r);
}
