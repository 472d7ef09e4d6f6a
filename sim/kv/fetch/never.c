/* Never fetch: reuses only the leading run of the prefix already in G1 and recomputes the rest, as a server
 * without a tiered cache would. No load traffic. */
#include "sim/kv/fetch.h"

static uint32_t never_decide(kv_fetcher_t *f, const kv_fetch_ctx_t *c)
{
    (void)f;
    uint32_t u = 0;
    while (u < c->prefix && c->tier_of[u] == KV_G1)
        u++;
    return u;
}

const kv_fetch_ops_t kv_fetch_never = {
    .base =
        {
            .name = "never",
            .summary = "reuse only the leading run already in G1; recompute the rest",
        },
    .decide = never_decide,
};
