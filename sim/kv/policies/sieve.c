/* SIEVE (Zhang et al., NSDI'24): a FIFO queue, one visited bit per block and a hand.
 *
 *   hit(x): x.visited = 1                 insert(x): append x as newest, visited = 0
 *   victim: from the hand (initially the oldest) towards newer blocks, wrapping to the oldest:
 *           visited -> clear it and go on; pinned -> go on; else evict it, the hand stays at its successor
 *
 * Blocks are never reordered, so hits cost one store. Pinned blocks are passed over with their bit kept.
 * 8 + 1 bytes per entry. */
#include <stdlib.h>

#include "sim/kv/dlist.h"
#include "sim/kv/policy.h"

typedef struct sieve_meta {
    kv_dlink_t link;
    uint8_t visited;
} sieve_meta_t;

typedef struct sieve_state {
    kv_dlist_t q;  /* oldest at head */
    uint32_t hand; /* next candidate, KV_NO_SLOT: start at the oldest */
} sieve_state_t;

static const jb_field_t sieve_fields[] = {JB_END};
static const jb_spec_t sieve_spec = {"sieve", sieve_fields, NULL};

static int sieve_init(kv_pol_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    sieve_state_t *st = malloc(sizeof *st);
    if (!st)
        return -1;
    kv_dl_init(&st->q, 0);
    st->hand = KV_NO_SLOT;
    p->state = st;
    return 0;
}

static void sieve_fini(kv_pol_t *p)
{
    free(p->state);
    p->state = NULL;
}

static void sieve_insert(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    (void)c;
    sieve_state_t *st = p->state;
    ((sieve_meta_t *)kv_store_meta(p->store, slot))->visited = 0;
    kv_dl_push_tail(p->store, &st->q, slot);
}

static void sieve_hit(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    (void)c;
    ((sieve_meta_t *)kv_store_meta(p->store, slot))->visited = 1;
}

static void sieve_remove(kv_pol_t *p, uint32_t slot)
{
    sieve_state_t *st = p->state;
    if (st->hand == slot)
        st->hand = kv_dl_link(p->store, &st->q, slot)->next;
    kv_dl_unlink(p->store, &st->q, slot);
}

static uint32_t sieve_victim(kv_pol_t *p, uint64_t incoming, const kv_pol_ctx_t *c)
{
    (void)incoming;
    (void)c;
    sieve_state_t *st = p->state;
    uint32_t o = st->hand != KV_NO_SLOT ? st->hand : st->q.head;
    /* Terminates: the first lap clears every visited bit it passes, and an unpinned block exists. */
    for (uint64_t steps = 0; steps <= 2 * st->q.n + 1; steps++) {
        if (o == KV_NO_SLOT)
            o = st->q.head;
        sieve_meta_t *mt = kv_store_meta(p->store, o);
        if (kv_store_pinned(p->store, o)) {
            o = mt->link.next;
            continue;
        }
        if (mt->visited) {
            mt->visited = 0;
            o = mt->link.next;
            continue;
        }
        st->hand = o; /* remove() moves the hand on to o's successor */
        return o;
    }
    return KV_NO_SLOT;
}

const kv_policy_ops_t kv_policy_sieve = {
    .base =
        {
            .name = "sieve",
            .summary = "SIEVE: FIFO order, visited bit, a hand that sifts out unvisited blocks",
            .params = &sieve_spec,
        },
    .meta_bytes = sizeof(sieve_meta_t),
    .init = sieve_init,
    .fini = sieve_fini,
    .insert = sieve_insert,
    .hit = sieve_hit,
    .remove = sieve_remove,
    .victim = sieve_victim,
};
