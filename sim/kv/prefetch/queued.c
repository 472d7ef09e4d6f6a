/* Queue prefetch: while a request waits for admission, its cached blocks in G3, G3.5 or G4 are staged into
 * its domain's DRAM (G2), so that its admission loads them from G2 instead of the slower tier. Staged once,
 * when an admission pass first leaves the request waiting; blocks already in G1 or G2 stay. Needs G2. */
#include <stdio.h>

#include "sim/kv/prefetch.h"

static int queued_check(const void *params, const bool tier_enabled[KV_NTIERS], char *msg, size_t len)
{
    (void)params;
    if (tier_enabled[KV_G2])
        return 0;
    snprintf(msg, len, "prefetching stages blocks into G2: enable kv.g2");
    return -1;
}

static void queued_waiting(kv_prefetcher_t *p, const kv_pf_ctx_t *c, const kv_pf_req_t *r)
{
    (void)p;
    kv_pf_prop_t prop = {
        .inst = r->inst,
        .ids = r->ids,
        .n = r->n_blocks,
        .dst_tier = KV_G2,
        .access = r->access,
    };
    c->propose(c->core, &prop);
}

const kv_prefetch_ops_t kv_prefetch_queued = {
    .base =
        {
            .name = "queued",
            .summary = "stage the blocks of requests waiting for admission from G3/G3.5/G4 into G2",
        },
    .check = queued_check,
    .waiting = queued_waiting,
};
