/* Always fetch: reuses the whole cached prefix, loading whatever is not in G1, however slow its path. An
 * upper bound on reuse (and on load traffic). */
#include "sim/kv/fetch.h"

static uint32_t always_decide(kv_fetcher_t *f, const kv_fetch_ctx_t *c)
{
    (void)f;
    return c->prefix;
}

const kv_fetch_ops_t kv_fetch_always = {
    .base =
        {
            .name = "always",
            .summary = "reuse the whole cached prefix, loading what is not in G1",
        },
    .decide = always_decide,
};
