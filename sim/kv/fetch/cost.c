/* Fetch or recompute by cost: loads the cached prefix up to the cut that minimises load time plus the
 * prefill of the rest (kv_fetch_decide, fetch.h). Each source tier's path is asked once, for the first
 * block of the prefix it serves: tiers load in parallel, each at the share a new flow would get on its
 * route now, plus the route's latency. */
#include <stdbool.h>

#include "sim/kv/fetch.h"

static uint32_t cost_decide(kv_fetcher_t *f, const kv_fetch_ctx_t *c)
{
    (void)f;
    if (c->prefix == 0)
        return 0;
    kv_fetch_hop_t hop[KV_NTIERS] = {{0, 0}};
    bool seen[KV_NTIERS] = {false};
    for (uint32_t u = 0; u < c->prefix; u++) {
        int t = c->tier_of[u];
        if (t == KV_G1 || seen[t])
            continue;
        seen[t] = true;
        c->hop(c->core, t, c->block_ids[u], &hop[t]);
    }
    kv_fetch_plan_t plan;
    return kv_fetch_decide(c->st, c->tier_of, c->prefix, c->input_tokens, c->block_tokens, c->block_bytes, hop, &plan);
}

const kv_fetch_ops_t kv_fetch_cost = {
    .base =
        {
            .name = "cost",
            .summary = "load the cached prefix up to the cut minimising load time plus recompute time",
        },
    .decide = cost_decide,
};
