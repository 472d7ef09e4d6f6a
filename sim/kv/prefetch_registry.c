/* The registry of prefetch (prestage) policies: one line per policy, in the order `kvtwin policies` lists
 * them; the first is the default. A new policy is one file in sim/kv/prefetch/ plus one line in
 * KV_PREFETCH_LIST. */
#include "sim/kv/prefetch.h"

#include <string.h>

#define KV_PREFETCH_LIST                                                                                               \
    F(none)      /* nothing ahead of use */                                                                            \
    F(queued)    /* waiting requests' blocks into G2 */                                                                \
    F(next_turn) /* a session's context when its next turn is expected */                                              \
    F(ttl_pin)   /* hold a session's blocks for a TTL (Continuum) */                                                   \
    F(subagent)  /* a parent's context when its sub-agents finish (KVFlow) */                                          \
    F(oracle)    /* a session's context just before its known next turn */

#define F(n) extern const kv_prefetch_ops_t kv_prefetch_##n;
KV_PREFETCH_LIST
#undef F

#define F(n) &kv_prefetch_##n.base,
static const plugin_t *const kv_prefetches[] = {KV_PREFETCH_LIST};
#undef F

const plugin_axis_t kv_prefetch_axis = {
    .name = "prefetch",
    .chosen_by = "kv.prefetch",
    .column = "what it stages ahead of use",
    .items = kv_prefetches,
    .count = sizeof kv_prefetches / sizeof kv_prefetches[0],
};

const kv_prefetch_ops_t *kv_prefetch_find(const char *name)
{
    return PLUGIN_OPS(kv_prefetch_ops_t, plugin_find(&kv_prefetch_axis, name));
}

const kv_prefetch_ops_t *kv_prefetch_at(size_t i)
{
    return i < kv_prefetch_axis.count ? PLUGIN_OPS(kv_prefetch_ops_t, kv_prefetches[i]) : NULL;
}

int kv_prefetcher_init(kv_prefetcher_t *p, const kv_prefetch_ops_t *ops, const void *params, uint32_t n_instances,
                       uint64_t seed, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->ops = ops;
    p->params = plugin_params(&ops->base, params);
    p->n_instances = n_instances;
    p->seed = seed;
    if (ops->init && ops->init(p, err, errlen)) {
        p->ops = NULL;
        return -1;
    }
    return 0;
}

void kv_prefetcher_fini(kv_prefetcher_t *p)
{
    if (p->ops && p->ops->fini)
        p->ops->fini(p);
    memset(p, 0, sizeof *p);
}
