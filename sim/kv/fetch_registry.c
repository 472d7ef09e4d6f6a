/* The registry of fetch-or-recompute policies: one line per policy, in the order `kvtwin policies` lists
 * them; the first is the default. A new policy is one file in sim/kv/fetch/ plus one line in KV_FETCH_LIST. */
#include "sim/kv/fetch.h"

#include <string.h>

#define KV_FETCH_LIST                                                                                                  \
    F(cost)   /* compare load and recompute time */                                                                    \
    F(always) /* load everything cached */                                                                             \
    F(never)  /* use G1 only */

#define F(n) extern const kv_fetch_ops_t kv_fetch_##n;
KV_FETCH_LIST
#undef F

#define F(n) &kv_fetch_##n.base,
static const plugin_t *const kv_fetches[] = {KV_FETCH_LIST};
#undef F

const plugin_axis_t kv_fetch_axis = {
    .name = "fetch",
    .chosen_by = "kv.fetch",
    .column = "what it reuses of a cached prefix",
    .items = kv_fetches,
    .count = sizeof kv_fetches / sizeof kv_fetches[0],
};

const kv_fetch_ops_t *kv_fetch_find(const char *name)
{
    return PLUGIN_OPS(kv_fetch_ops_t, plugin_find(&kv_fetch_axis, name));
}

const kv_fetch_ops_t *kv_fetch_at(size_t i)
{
    return i < kv_fetch_axis.count ? PLUGIN_OPS(kv_fetch_ops_t, kv_fetches[i]) : NULL;
}

int kv_fetcher_init(kv_fetcher_t *p, const kv_fetch_ops_t *ops, const void *params, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->ops = ops;
    p->params = plugin_params(&ops->base, params);
    if (ops->init && ops->init(p, err, errlen)) {
        p->ops = NULL;
        return -1;
    }
    return 0;
}

void kv_fetcher_fini(kv_fetcher_t *p)
{
    if (p->ops && p->ops->fini)
        p->ops->fini(p);
    memset(p, 0, sizeof *p);
}
