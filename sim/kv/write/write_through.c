/* Write-through: each newly computed block is copied at commit to every enabled tier below G1 that does not
 * hold it yet (where room can be made), so evicting it later costs no transfer: its copy below is clean. A
 * block whose copy found no room goes down on eviction, as under write-back. */
#include "sim/kv/write.h"

static unsigned write_through_commit(kv_write_t *w, const kv_entry_t *e)
{
    (void)w;
    (void)e;
    return KV_WRITE_ALL_TIERS;
}

static bool write_through_evict(kv_write_t *w, const kv_entry_t *e, int tier)
{
    (void)w;
    (void)e;
    (void)tier;
    return true;
}

static const char *const write_through_aliases[] = {"through", NULL};

const kv_write_ops_t kv_write_write_through = {
    .base =
        {
            .name = "write-through",
            .summary = "a newly computed block is copied to every enabled lower tier at commit",
            .aliases = write_through_aliases,
        },
    .commit = write_through_commit,
    .evict = write_through_evict,
};
