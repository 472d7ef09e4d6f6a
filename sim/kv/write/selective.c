/* Selective write-back: on eviction only blocks likely to return go down: those reused at least once
 * (hits > 0: they travel with the block), or belonging to a session that has not ended. The other blocks
 * are dropped, so lower tiers are not filled with one-shot contexts. Sessions are told ended by
 * kv_session_end (the cache-only replay does it after a session's last request); a session never ended
 * counts as live; a block without a session goes down only if it was reused. */
#include <stdlib.h>

#include "sim/base/alloc.h"
#include "sim/base/u64map.h"
#include "sim/kv/write.h"

static int selective_init(kv_write_t *w, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    u64map_t *ended = kvt_malloc(sizeof *ended); /* the set of sessions that will not return */
    u64map_init(ended);
    w->state = ended;
    return 0;
}

static void selective_fini(kv_write_t *w)
{
    if (w->state)
        u64map_free(w->state);
    free(w->state);
    w->state = NULL;
}

static bool selective_evict(kv_write_t *w, const kv_entry_t *e, int tier)
{
    (void)tier;
    if (e->hits > 0)
        return true;
    return e->session != UINT64_MAX && !u64map_get(w->state, e->session, NULL);
}

static void selective_session_end(kv_write_t *w, uint64_t session)
{
    if (session != UINT64_MAX)
        u64map_put(w->state, session, 1);
}

const kv_write_ops_t kv_write_selective = {
    .base =
        {
            .name = "selective",
            .summary = "on eviction only blocks likely to return go down (reused before, or of a live session)",
        },
    .init = selective_init,
    .fini = selective_fini,
    .evict = selective_evict,
    .session_end = selective_session_end,
};
