/* FIFO: evicts the block cached longest ago, whatever its use since.
 *
 *   insert(x): append x          hit: nothing          victim: the oldest unpinned block
 *
 * Pinned blocks keep their place (their age is what FIFO ranks); the victim search steps over them, which
 * costs at most the number of pinned blocks at the old end. 8 bytes per entry. */
#include <stdlib.h>

#include "sim/kv/dlist.h"
#include "sim/kv/policy.h"

static const jb_field_t fifo_fields[] = {JB_END};
static const jb_spec_t fifo_spec = {"fifo", fifo_fields, NULL};

static int fifo_init(kv_pol_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    kv_dlist_t *l = malloc(sizeof *l);
    if (!l)
        return -1;
    kv_dl_init(l, 0);
    p->state = l;
    return 0;
}

static void fifo_fini(kv_pol_t *p)
{
    free(p->state);
    p->state = NULL;
}

static void fifo_insert(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    (void)c;
    kv_dl_push_tail(p->store, p->state, slot);
}

static void fifo_hit(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    (void)p;
    (void)slot;
    (void)c;
}

static void fifo_remove(kv_pol_t *p, uint32_t slot)
{
    kv_dl_unlink(p->store, p->state, slot);
}

static uint32_t fifo_victim(kv_pol_t *p, uint64_t incoming, const kv_pol_ctx_t *c)
{
    (void)incoming;
    (void)c;
    return kv_dl_first_unpinned(p->store, p->state);
}

const kv_policy_ops_t kv_policy_fifo = {
    .base =
        {
            .name = "fifo",
            .summary = "first in, first out: the block cached longest ago",
            .params = &fifo_spec,
        },
    .meta_bytes = sizeof(kv_dlink_t),
    .init = fifo_init,
    .fini = fifo_fini,
    .insert = fifo_insert,
    .hit = fifo_hit,
    .remove = fifo_remove,
    .victim = fifo_victim,
};
