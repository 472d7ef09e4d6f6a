/* Write-back: a block goes down to the next enabled tier only when it is evicted (and no tier below holds a
 * clean copy of it). Nothing is written at commit, so lower tiers fill only with what G1 could not keep. */
#include "sim/kv/write.h"

static bool write_back_evict(kv_write_t *w, const kv_entry_t *e, int tier)
{
    (void)w;
    (void)e;
    (void)tier;
    return true;
}

static const char *const write_back_aliases[] = {"back", NULL};

const kv_write_ops_t kv_write_write_back = {
    .base =
        {
            .name = "write-back",
            .summary = "a block goes down when it is evicted from a tier",
            .aliases = write_back_aliases,
        },
    .evict = write_back_evict,
};
