/* The KV block cache manager: tier instances, lookup, admission with promotion, commit, release, eviction
 * with demotion along the hierarchy, write policies, prestaging, and the queue of data movements.
 *
 * Path of an instance i (fastest first):  G1[i] -> G2[dom(i)] -> G3[dom(i)] -> G3.5[0] -> G4[0]
 * (disabled tiers are skipped). Units: blocks; times in seconds (only handed to policies).
 *
 * Decisions, in one place:
 *  - A request's hit blocks come from the fastest tier on its path holding them; they are copied (source
 *    tier inclusive) or moved (exclusive) straight into G1, one KV_MOVE_LOAD per hop.
 *  - An evicted block goes down to the next enabled tier below unless a tier below already holds it (its
 *    copy is clean) or the write policy drops it (selective: unlikely to return, never reused and its
 *    session ended). A full lower tier evicts in turn (cascade); a block that finds no room is dropped.
 *  - At commit the write policy may have each newly computed block copied to lower tiers (write-through:
 *    every enabled one). Write policies are plug-ins (write.h): they answer, the manager moves.
 *  - Blocks a request uses are pinned in G1 until release; during an admission the lower-tier copies about
 *    to be promoted are pinned too, so the cascade of demotions cannot evict them.
 *  - Release unpins a request's blocks from its last to its first: recency-ordered policies then see the
 *    deepest block as the oldest and break prefixes from the leaf, not the root.
 * Per admitted request the manager keeps a small record (keyed by kv_access_t.request_id): how many leading
 * blocks it pins, how much G1 room it still holds in reserve, and the G1 slot of each pinned block. A pinned
 * entry never moves, so commit and release reach its blocks through those slots instead of searching the
 * index again (a release of a 100K-token context searched 1,500 blocks, mostly out of the CPU caches).
 * Likewise the last lookup is remembered (the memo below) for the admission that follows it.
 *
 * Speed notes: block-wise loops prefetch the hash buckets (or entries) a few blocks ahead, since consecutive
 * blocks of a context sit in unrelated buckets; an eviction asks for the victim's bucket and those of the
 * tiers below as soon as the victim is known. Prefetches are hints: they change no result. Each store keeps
 * the stores below it on its path (kv_store_t.below), set once here at creation.
 *
 * Runs of blocks (issue 16, docs/performance.md "KV manager by extents"): a request's blocks come in a few
 * runs per tier, but the policies order single blocks (a release breaks a prefix from its leaf; frequencies
 * differ along a run), and exact hit rates need that order. So the per-block calls stay, and the work per
 * call is made independent of the tier's size where a policy's keys form runs: LFU, cost-aware and LPC keep
 * the blocks of equal key -- those a release filed together -- as one group of a key-grouped queue
 * (gheap.h), O(1) per pin, release and eviction. Per-extent records for the lower tiers (the memory target
 * of a pod-wide ICMS) are not done: they need policies defined on runs. */
#include "sim/kv/kv.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"
#include "sim/base/u64map.h"
#include "sim/kv/store.h"
#include "sim/kv/write.h"

typedef struct kv_req {
    uint64_t id;
    uint32_t inst, n, use, extra;
    uint32_t hi;       /* blocks [0, hi) are pinned by this request */
    uint64_t reserved; /* G1 room still reserved: uncommitted blocks + extra */
    uint32_t *slots;   /* G1 slot of each block of [0, hi); the buffer stays with the record when recycled */
    uint32_t capslots;
} kv_req_t;

/* The last prefix scan: each block of the prefix with the tier holding it and its slot there. An admission
 * that follows on the same instance with the same ids, nothing having changed in between (same gen), takes
 * its sources from here instead of probing every block again. Admission also uses it as its work space. */
typedef struct kv_memo {
    bool valid;
    uint32_t inst, n; /* n: blocks recorded (the prefix found) */
    uint64_t gen;
    uint64_t *id;
    uint8_t *tier;
    uint32_t *slot;
    uint32_t cap;
} kv_memo_t;

/* How far ahead block-wise loops prefetch: enough misses in flight to cover memory latency, few enough that
 * the lines are still cached when the loop reaches them. */
#define KV_AHEAD 12

struct kv_mgr {
    kv_cfg_t cfg;
    uint32_t *dom; /* domain of each instance (copied) */
    bool en[KV_NTIERS];
    kv_store_t *tier[KV_NTIERS]; /* instances per tier: n_instances, n_domains, n_domains, 1, 1 */
    uint32_t ntier[KV_NTIERS];
    uint64_t seq;
    kv_move_t *mv;
    size_t nmv, capmv, mv_drained; /* moves [mv_drained, nmv) are pending */
    u64map_t req_index;            /* request id -> record */
    kv_req_t *reqs;
    uint32_t nreqs, capreqs, free_req;
    kv_write_t write;   /* the write policy */
    void *write_params; /* its bound parameters (a copy) */
    uint64_t gen;       /* bumped by every operation that may add, remove or move an entry */
    kv_memo_t *memo;    /* what the last lookup found (a pointer: lookups take a const manager) */
    kv_event_fn ev;     /* told of every entry added to or removed from a tier instance (kv_set_event_hook) */
    void *ev_ctx;
};

/* Every entry enters and leaves a tier instance through these two, so that an event hook sees it all. */
static uint32_t kv_add(kv_mgr_t *m, kv_store_t *s, const kv_entry_t *proto, double now_s)
{
    uint32_t slot = kv_store_add(s, proto);
    if (m->ev)
        m->ev(m->ev_ctx, now_s, s->tier, s->loc, proto->id, true);
    return slot;
}

static void kv_del(kv_mgr_t *m, kv_store_t *s, uint32_t slot, double now_s)
{
    if (m->ev)
        m->ev(m->ev_ctx, now_s, s->tier, s->loc, kv_store_entry(s, slot)->id, false);
    kv_store_del(s, slot);
}

void kv_set_event_hook(kv_mgr_t *m, kv_event_fn fn, void *ctx)
{
    m->ev = fn;
    m->ev_ctx = ctx;
}

uint32_t kv_domain_of(const kv_mgr_t *m, uint32_t inst)
{
    return inst < m->cfg.n_instances ? m->dom[inst] : 0;
}

static kv_pol_ctx_t kv_pc(kv_mgr_t *m, double now_s)
{
    kv_pol_ctx_t c = {now_s, ++m->seq};
    return c;
}

/* The store of `tier` on instance inst's path, or NULL if the tier is disabled. */
static kv_store_t *kv_path_store(const kv_mgr_t *m, int tier, uint32_t inst)
{
    if (!m->en[tier])
        return NULL;
    return &m->tier[tier][kv_scope_loc(kv_tiers[tier].scope, inst, m->dom[inst])];
}

/* Stores strictly below s on its path, fastest first (kv_mgr_create keeps them in s->below). */
static int kv_below(const kv_mgr_t *m, const kv_store_t *s, kv_store_t **out)
{
    int k = 0;
    for (int t = s->tier + 1; t < KV_NTIERS; t++) {
        if (!m->en[t])
            continue;
        /* Scopes only widen down the path: below a per-instance store the domain is the instance's, below a
         * per-domain store it is the same domain. */
        int scope = kv_tiers[t].scope, own = kv_tiers[s->tier].scope;
        assert(scope >= own && (scope != KV_SCOPE_INSTANCE || own == KV_SCOPE_INSTANCE));
        uint32_t d = own == KV_SCOPE_INSTANCE ? m->dom[s->loc] : s->loc;
        out[k++] = &m->tier[t][kv_scope_loc(scope, s->loc, d)];
    }
    return k;
}

static void kv_add_move(kv_mgr_t *m, int kind, const kv_store_t *src, const kv_store_t *dst, uint64_t id)
{
    for (size_t i = m->nmv; i > m->mv_drained; i--) {
        kv_move_t *v = &m->mv[i - 1];
        if (v->kind == kind && v->src_tier == src->tier && v->dst_tier == dst->tier && v->src_loc == src->loc &&
            v->dst_loc == dst->loc) {
            v->blocks++;
            return;
        }
    }
    if (m->nmv == m->capmv) {
        m->capmv = m->capmv ? m->capmv * 2 : 16;
        m->mv = kvt_realloc(m->mv, m->capmv, sizeof *m->mv);
    }
    kv_move_t *v = &m->mv[m->nmv++];
    memset(v, 0, sizeof *v);
    v->kind = (uint8_t)kind;
    v->src_tier = (uint8_t)src->tier;
    v->dst_tier = (uint8_t)dst->tier;
    v->src_loc = src->loc;
    v->dst_loc = dst->loc;
    v->blocks = 1;
    v->first_block = id;
}

static void kv_pin(kv_mgr_t *m, kv_store_t *s, uint32_t slot)
{
    (void)m;
    kv_entry_t *e = kv_store_entry(s, slot);
    assert(e->pins < UINT16_MAX);
    if (e->pins++ == 0) {
        s->pinned++;
        if (s->pol.ops->pin)
            s->pol.ops->pin(&s->pol, slot);
    }
}

static void kv_unpin(kv_mgr_t *m, kv_store_t *s, uint32_t slot, double now_s)
{
    kv_entry_t *e = kv_store_entry(s, slot);
    assert(e->pins > 0);
    if (--e->pins == 0) {
        s->pinned--;
        if (s->pol.ops->unpin) {
            kv_pol_ctx_t c = kv_pc(m, now_s);
            s->pol.ops->unpin(&s->pol, slot, &c);
        }
    }
}

static bool kv_place(kv_mgr_t *m, kv_store_t *dst, const kv_entry_t *proto, double now_s, int kind,
                     const kv_store_t *src);

/* Evicts one unpinned entry of s and demotes it if the write policy says so. */
static void kv_evict_one(kv_mgr_t *m, kv_store_t *s, uint64_t incoming, double now_s)
{
    assert(s->used > s->pinned);
    kv_pol_ctx_t c = kv_pc(m, now_s);
    uint32_t slot = s->pol.ops->victim(&s->pol, incoming, &c);
    assert(slot != KV_NO_SLOT && "policy found no victim although unpinned entries exist");
    kv_entry_t *e = kv_store_entry(s, slot);
    assert((e->flags & KV_E_LIVE) && e->pins == 0 && "policy proposed a pinned or free slot");
    kv_entry_t copy = *e;
    /* The victim's own bucket and those of the tiers below are asked for now: their misses overlap the
     * policy's removal. */
    kv_store_prefetch(s, copy.id);
    kv_store_t *const *below = s->below;
    int nb = s->nbelow;
    for (int k = 0; k < nb; k++)
        kv_store_prefetch(below[k], copy.id);
    s->pol.ops->remove(&s->pol, slot);
    kv_del(m, s, slot, now_s);
    s->st.evicted_blocks++;

    if (nb == 0)
        return;
    if (!m->write.ops->evict(&m->write, &copy, s->tier))
        return;
    for (int k = 0; k < nb; k++)
        if (kv_store_find(below[k], copy.id) != KV_NO_SLOT)
            return; /* a clean copy exists below */
    kv_place(m, below[0], &copy, now_s, KV_MOVE_DEMOTE, s);
}

/* Makes cap - used - reserved >= want on s by evicting; false if the unpinned entries do not suffice. */
static bool kv_make_room(kv_mgr_t *m, kv_store_t *s, uint64_t want, uint64_t incoming, double now_s)
{
    while (s->cap - s->used - s->reserved < want) {
        if (s->used == s->pinned)
            return false;
        kv_evict_one(m, s, incoming, now_s);
    }
    return true;
}

/* Puts a copy of a block (absent from dst) into dst, evicting there if needed; false if it found no room. */
static bool kv_place(kv_mgr_t *m, kv_store_t *dst, const kv_entry_t *proto, double now_s, int kind,
                     const kv_store_t *src)
{
    if (!kv_make_room(m, dst, 1, proto->id, now_s))
        return false;
    uint32_t slot = kv_add(m, dst, proto, now_s);
    kv_pol_ctx_t c = kv_pc(m, now_s);
    dst->pol.ops->insert(&dst->pol, slot, &c);
    dst->st.inserted_blocks++;
    if (kind == KV_MOVE_DEMOTE || kind == KV_MOVE_WRITE_THROUGH)
        dst->st.demoted_in_blocks++;
    kv_add_move(m, kind, src, dst, proto->id);
    return true;
}

/* --- requests --- */

static kv_req_t *kv_req_get(const kv_mgr_t *m, uint64_t id)
{
    uint64_t k;
    if (!u64map_get(&m->req_index, id, &k))
        return NULL;
    return &m->reqs[k];
}

static kv_req_t *kv_req_new(kv_mgr_t *m, uint64_t id)
{
    assert(!u64map_get(&m->req_index, id, NULL) && "request admitted twice without release");
    uint32_t k;
    if (m->free_req != UINT32_MAX) {
        k = m->free_req;
        m->free_req = (uint32_t)m->reqs[k].id;
    } else {
        if (m->nreqs == m->capreqs) {
            m->capreqs = m->capreqs ? m->capreqs * 2 : 16;
            m->reqs = kvt_realloc(m->reqs, (size_t)m->capreqs, sizeof *m->reqs);
        }
        k = m->nreqs++;
        m->reqs[k].slots = NULL;
        m->reqs[k].capslots = 0;
    }
    u64map_put(&m->req_index, id, k);
    kv_req_t *r = &m->reqs[k];
    uint32_t *slots = r->slots, capslots = r->capslots;
    memset(r, 0, sizeof *r);
    r->id = id;
    r->slots = slots;
    r->capslots = capslots;
    return r;
}

static void kv_req_del(kv_mgr_t *m, kv_req_t *r)
{
    uint32_t k = (uint32_t)(r - m->reqs);
    u64map_del(&m->req_index, r->id);
    r->id = m->free_req; /* free list threaded through the id field */
    m->free_req = k;
}

/* --- creation --- */

kv_mgr_t *kv_mgr_create(const kv_cfg_t *cfg, char *err, size_t errlen)
{
    if (cfg->n_instances == 0) {
        snprintf(err, errlen, "kv: at least one instance is needed");
        return NULL;
    }
    if (!cfg->tier[KV_G1].enabled || cfg->tier[KV_G1].capacity_blocks == 0) {
        snprintf(err, errlen, "kv: tier G1 must be enabled with a capacity of at least one block");
        return NULL;
    }
    bool need_dom = false;
    for (int t = 0; t < KV_NTIERS; t++)
        need_dom |= cfg->tier[t].enabled && kv_tiers[t].scope == KV_SCOPE_DOMAIN;
    for (uint32_t i = 0; i < cfg->n_instances && need_dom; i++) {
        if (!cfg->domain_of_instance || cfg->domain_of_instance[i] >= cfg->n_domains) {
            snprintf(err, errlen, "kv: instance %u has no valid domain (%u domains)", i, cfg->n_domains);
            return NULL;
        }
    }
    for (int t = 0; t < KV_NTIERS; t++) {
        const kv_tier_cfg_t *tc = &cfg->tier[t];
        if (!tc->enabled)
            continue;
        if (tc->capacity_blocks == 0) {
            snprintf(err, errlen, "kv: tier %s is enabled with a capacity of 0 blocks", kv_tier_name(t));
            return NULL;
        }
        if (!tc->policy) {
            snprintf(err, errlen, "kv: tier %s has no eviction policy", kv_tier_name(t));
            return NULL;
        }
    }

    kv_mgr_t *m = kvt_calloc(1, sizeof *m);
    m->cfg = *cfg;
    m->dom = kvt_calloc(cfg->n_instances, sizeof *m->dom);
    for (uint32_t i = 0; i < cfg->n_instances; i++)
        m->dom[i] = need_dom ? cfg->domain_of_instance[i] : 0;
    m->cfg.domain_of_instance = m->dom;
    m->free_req = UINT32_MAX;
    m->memo = kvt_calloc(1, sizeof *m->memo);
    u64map_init(&m->req_index);
    const kv_write_ops_t *wops = cfg->write ? cfg->write : kv_write_default();
    size_t wsize = wops->base.params_size;
    m->write_params = kvt_malloc(wsize ? wsize : 1);
    if (wsize)
        memcpy(m->write_params, plugin_params(&wops->base, cfg->write_params), wsize);
    m->write.ops = wops;
    m->write.params = m->write_params;
    if (wops->init && wops->init(&m->write, err, errlen)) {
        m->write.ops = NULL;
        kv_mgr_destroy(m);
        return NULL;
    }
    for (int t = 0; t < KV_NTIERS; t++) {
        const kv_tier_cfg_t *tc = &cfg->tier[t];
        m->en[t] = tc->enabled;
        if (!tc->enabled)
            continue;
        uint32_t count = kv_scope_count(kv_tiers[t].scope, cfg->n_instances, cfg->n_domains);
        m->ntier[t] = count;
        m->tier[t] = kvt_calloc(count, sizeof(kv_store_t));
        const kv_policy_ops_t *ops = tc->policy;
        for (uint32_t loc = 0; loc < count; loc++) {
            char e2[256];
            uint64_t cap =
                t == KV_G1 && cfg->g1_capacity_of_instance ? cfg->g1_capacity_of_instance[loc] : tc->capacity_blocks;
            if (kv_store_init(&m->tier[t][loc], t, loc, cap, tc->inclusive, ops, tc->policy_params, cfg->seed, e2,
                              sizeof e2)) {
                snprintf(err, errlen, "kv: tier %s: %s", kv_tier_name(t), e2);
                m->ntier[t] = loc;
                kv_mgr_destroy(m);
                return NULL;
            }
        }
    }
    for (int t = 0; t < KV_NTIERS; t++)
        for (uint32_t loc = 0; loc < m->ntier[t]; loc++)
            m->tier[t][loc].nbelow = kv_below(m, &m->tier[t][loc], m->tier[t][loc].below);
    return m;
}

void kv_mgr_destroy(kv_mgr_t *m)
{
    if (!m)
        return;
    for (int t = 0; t < KV_NTIERS; t++) {
        for (uint32_t loc = 0; loc < m->ntier[t]; loc++)
            kv_store_fini(&m->tier[t][loc]);
        free(m->tier[t]);
    }
    u64map_free(&m->req_index);
    if (m->write.ops && m->write.ops->fini)
        m->write.ops->fini(&m->write);
    free(m->write_params);
    for (uint32_t k = 0; k < m->nreqs; k++)
        free(m->reqs[k].slots);
    free(m->reqs);
    free(m->mv);
    if (m->memo) {
        free(m->memo->id);
        free(m->memo->tier);
        free(m->memo->slot);
        free(m->memo);
    }
    free(m->dom);
    free(m);
}

/* --- lookup --- */

static int kv_holder(const kv_mgr_t *m, uint32_t inst, uint64_t id)
{
    for (int t = 0; t < KV_NTIERS; t++) {
        const kv_store_t *s = kv_path_store(m, t, inst);
        if (s && kv_store_find(s, id) != KV_NO_SLOT)
            return t;
    }
    return -1;
}

/* The fastest tier below G1 holding id, and its slot there (*slot); -1 if none. */
static int kv_holder_below_g1(const kv_mgr_t *m, uint32_t inst, uint64_t id, uint32_t *slot)
{
    for (int t = KV_G1 + 1; t < KV_NTIERS; t++) {
        const kv_store_t *s = kv_path_store(m, t, inst);
        if (s && (*slot = kv_store_find(s, id)) != KV_NO_SLOT)
            return t;
    }
    return -1;
}

/* The enabled stores on inst's path, fastest first, with their tiers; returns how many. */
static int kv_path(const kv_mgr_t *m, uint32_t inst, const kv_store_t **st, uint8_t *tier)
{
    int k = 0;
    for (int t = 0; t < KV_NTIERS; t++) {
        const kv_store_t *s = kv_path_store(m, t, inst);
        if (s) {
            st[k] = s;
            tier[k++] = (uint8_t)t;
        }
    }
    return k;
}

static void kv_memo_reserve(kv_memo_t *mo, uint32_t n)
{
    if (n <= mo->cap)
        return;
    mo->cap = n + n / 2;
    mo->id = kvt_realloc(mo->id, (size_t)mo->cap, sizeof *mo->id);
    mo->tier = kvt_realloc(mo->tier, (size_t)mo->cap, sizeof *mo->tier);
    mo->slot = kvt_realloc(mo->slot, (size_t)mo->cap, sizeof *mo->slot);
}

/* The leading run of ids[0..n) held somewhere on the path, the tier of each in tier_out (may be NULL); the
 * run is remembered in the memo. G1's buckets are prefetched KV_AHEAD blocks ahead, and so are those of the
 * tier that held the block before: a context's prefix comes in runs per tier (G1 first, then what was
 * demoted), so that tier is the likely one. */
static uint32_t kv_prefix_scan(const kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, uint8_t *tier_out,
                               uint32_t *by_tier)
{
    assert(inst < m->cfg.n_instances);
    const kv_store_t *st[KV_NTIERS];
    uint8_t tier[KV_NTIERS];
    int np = kv_path(m, inst, st, tier);
    kv_memo_t *mo = m->memo;
    kv_memo_reserve(mo, n);
    for (uint32_t i = 0; i < n && i < KV_AHEAD; i++)
        kv_store_prefetch(st[0], ids[i]);
    assert(np > 0);
    int last = 0;               /* path index of the tier that held the previous block */
    uint32_t prev = KV_NO_SLOT; /* its slot there */
    uint32_t i = 0;
    for (; i < n; i++) {
        if (i + KV_AHEAD < n) {
            kv_store_prefetch(st[0], ids[i + KV_AHEAD]);
            if (last > 0)
                kv_store_prefetch(st[last], ids[i + KV_AHEAD]);
        }
        int k = 0;
        uint32_t slot = KV_NO_SLOT;
        for (; k < np; k++) {
            slot = k == last ? kv_store_find_after(st[k], ids[i], prev) : kv_store_find(st[k], ids[i]);
            if (slot != KV_NO_SLOT)
                break;
        }
        if (k == np)
            break;
        last = k;
        prev = slot;
        mo->id[i] = ids[i];
        mo->tier[i] = tier[k];
        mo->slot[i] = slot;
        if (tier_out)
            tier_out[i] = tier[k];
        if (by_tier)
            by_tier[tier[k]]++;
    }
    mo->valid = true;
    mo->inst = inst;
    mo->n = i;
    mo->gen = m->gen;
    return i;
}

uint32_t kv_lookup_tiers(const kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, uint8_t *tier_out)
{
    return kv_prefix_scan(m, inst, ids, n, tier_out, NULL);
}

void kv_lookup(const kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, kv_hits_t *out)
{
    memset(out, 0, sizeof *out);
    out->blocks = n;
    out->prefix = kv_prefix_scan(m, inst, ids, n, NULL, out->by_tier);
}

/* --- admission, commit, release --- */

/* Refreshes the fields that travel with a block from the context of a use. */
static void kv_note_use(kv_entry_t *e, const kv_access_t *ctx, uint32_t i)
{
    e->session = ctx->session_id;
    /* Without an oracle row (a prestage, a request the future order did not see) the block keeps its next use. */
    if (ctx->next_use)
        e->next_use = ctx->next_use[i] < KV_NEVER ? (uint32_t)ctx->next_use[i] : KV_NEVER;
    if (ctx->recompute_s_per_block > 0)
        e->cost_s = (float)ctx->recompute_s_per_block;
}

/* Makes room for the G1 slots of blocks [0, n) of r. */
static void kv_req_reserve_slots(kv_req_t *r, uint32_t n)
{
    if (n > r->capslots) {
        r->capslots = n;
        r->slots = kvt_realloc(r->slots, (size_t)n, sizeof *r->slots);
    }
}

int kv_admit(kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, uint32_t use, uint32_t extra,
             const kv_access_t *ctx)
{
    return kv_admit_keep(m, inst, ids, n, use, extra, 0, ctx);
}

int kv_admit_keep(kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, uint32_t use, uint32_t extra,
                  uint64_t keep_free, const kv_access_t *ctx)
{
    assert(ctx && inst < m->cfg.n_instances && use <= n);
    kv_store_t *g1 = &m->tier[KV_G1][inst];
    /* Where each used block comes from: src[i] = the fastest tier holding it, sslot[i] its slot there; from
     * the lookup just made when nothing changed since, else probed again. The G1 entries are prefetched here
     * and read in the next loop, so that their misses overlap. */
    kv_memo_t *mo = m->memo;
    bool known = mo->valid && mo->gen == m->gen && mo->inst == inst && use <= mo->n;
    for (uint32_t i = 0; i < use && known; i++)
        known = mo->id[i] == ids[i];
    if (!known) {
        mo->valid = false;
        kv_memo_reserve(mo, use);
    }
    uint8_t *src = mo->tier;
    uint32_t *sslot = mo->slot;
    uint64_t need = (uint64_t)(n - use) + extra, unpinned_hits = 0;
    for (uint32_t i = 0; i < use; i++) {
        if (known) {
            if (src[i] == KV_G1)
                __builtin_prefetch(kv_store_entry(g1, sslot[i]));
            else
                need++;
            continue;
        }
        if (i + KV_AHEAD < use)
            kv_store_prefetch(g1, ids[i + KV_AHEAD]);
        uint32_t slot = kv_store_find(g1, ids[i]);
        if (slot != KV_NO_SLOT) {
            src[i] = KV_G1;
            sslot[i] = slot;
            __builtin_prefetch(kv_store_entry(g1, slot));
            continue;
        }
        int t = kv_holder_below_g1(m, inst, ids[i], &slot);
        assert(t > KV_G1 && "admit: use exceeds the cached prefix");
        src[i] = (uint8_t)t;
        sslot[i] = slot;
        need++;
    }
    for (uint32_t i = 0; i < use; i++)
        if (src[i] == KV_G1 && kv_store_entry(g1, sslot[i])->pins == 0)
            unpinned_hits++;
    uint64_t free_now = g1->cap - g1->used - g1->reserved;
    uint64_t evictable = g1->used - g1->pinned;
    evictable = evictable > unpinned_hits ? evictable - unpinned_hits : 0;
    if (need + keep_free > free_now + evictable)
        return KV_ENOSPACE; /* nothing changed (a memo that was valid stays so, for a retry) */

    m->gen++;
    mo->valid = false; /* src and sslot stay readable until the end of this call */
    kv_req_t *r = kv_req_new(m, ctx->request_id);
    r->inst = inst;
    r->n = n;
    r->use = use;
    r->hi = use;
    r->extra = extra;
    r->reserved = (uint64_t)(n - use) + extra;
    kv_req_reserve_slots(r, n);

    /* Pin what the request uses where it is, so that making room cannot evict it (nor move it: the slots
     * found above stay valid). */
    for (uint32_t i = 0; i < use; i++) {
        kv_store_t *s = kv_path_store(m, (int)src[i], inst);
        assert(s);
        uint32_t slot = sslot[i];
        kv_pin(m, s, slot);
        if (s == g1) {
            r->slots[i] = slot;
            kv_entry_t *e = kv_store_entry(g1, slot);
            kv_note_use(e, ctx, i);
            if (e->hits < UINT8_MAX)
                e->hits++;
            kv_pol_ctx_t c = kv_pc(m, ctx->now_s);
            g1->pol.ops->hit(&g1->pol, slot, &c);
            g1->st.hit_blocks++;
        }
    }
    bool ok = kv_make_room(m, g1, need, use < n ? ids[use] : KV_NO_ID, ctx->now_s);
    assert(ok && "admission room computed wrongly");
    (void)ok;
    g1->reserved += r->reserved;

    /* Promote the lower-tier hits into G1 (copy from inclusive tiers, move from exclusive ones). */
    for (uint32_t i = 0; i < use; i++) {
        if (src[i] == KV_G1)
            continue;
        kv_store_t *s = kv_path_store(m, (int)src[i], inst);
        assert(s);
        uint32_t slot = sslot[i];
        assert(kv_store_entry(s, slot)->id == ids[i]);
        kv_entry_t proto = *kv_store_entry(s, slot);
        kv_unpin(m, s, slot, ctx->now_s);
        uint32_t dup = kv_store_find(g1, ids[i]);
        if (dup != KV_NO_SLOT) { /* the same id earlier in this request: already promoted */
            kv_pin(m, g1, dup);
            r->slots[i] = dup;
            continue;
        }
        if (s->inclusive) {
            kv_pol_ctx_t c = kv_pc(m, ctx->now_s);
            s->pol.ops->hit(&s->pol, slot, &c);
        } else {
            s->pol.ops->remove(&s->pol, slot);
            kv_del(m, s, slot, ctx->now_s);
        }
        s->st.hit_blocks++;
        s->st.promoted_out_blocks++;
        kv_note_use(&proto, ctx, i);
        if (proto.hits < UINT8_MAX)
            proto.hits++;
        assert(g1->used + g1->reserved < g1->cap);
        uint32_t gs = kv_add(m, g1, &proto, ctx->now_s);
        kv_entry_t *ge = kv_store_entry(g1, gs);
        ge->pins = 1;
        g1->pinned++;
        kv_pol_ctx_t c = kv_pc(m, ctx->now_s);
        g1->pol.ops->insert(&g1->pol, gs, &c);
        g1->st.inserted_blocks++;
        kv_add_move(m, KV_MOVE_LOAD, s, g1, ids[i]);
        r->slots[i] = gs;
    }
    return KV_OK;
}

void kv_commit(kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t from, uint32_t to, const kv_access_t *ctx)
{
    assert(ctx);
    kv_req_t *r = kv_req_get(m, ctx->request_id);
    assert(r && r->inst == inst && "commit of a request that was not admitted here");
    m->gen++;
    assert(from <= to && to <= r->n && from <= r->hi && "commits must extend the pinned run in order");
    kv_store_t *g1 = &m->tier[KV_G1][inst];
    kv_store_t *const *below = g1->below;
    int nb = m->write.ops->commit ? g1->nbelow : 0;
    /* Most of these blocks are new: each find walks a chain to its end, so the chain's first entry is
     * prefetched too, half the distance ahead, once its bucket has arrived. */
    for (uint32_t i = r->hi; i < to && i < r->hi + KV_AHEAD; i++)
        kv_store_prefetch(g1, ids[i]);
    for (uint32_t i = r->hi; i < to; i++) {
        assert(r->reserved > 0 && g1->reserved > 0);
        r->reserved--;
        g1->reserved--;
        if (i + KV_AHEAD < to)
            kv_store_prefetch(g1, ids[i + KV_AHEAD]);
        /* Near the end, the last block's chain again: cheaper than a test. */
        kv_store_prefetch_chain(g1, ids[i + KV_AHEAD / 2 < to ? i + KV_AHEAD / 2 : to - 1]);
        uint32_t slot = kv_store_find(g1, ids[i]);
        if (slot != KV_NO_SLOT) {
            /* Another request cached it meanwhile (or the engine chose to recompute it): share it. */
            kv_pin(m, g1, slot);
            kv_note_use(kv_store_entry(g1, slot), ctx, i);
            kv_pol_ctx_t c = kv_pc(m, ctx->now_s);
            g1->pol.ops->hit(&g1->pol, slot, &c);
            r->slots[i] = slot;
            continue;
        }
        kv_entry_t proto;
        memset(&proto, 0, sizeof proto);
        proto.id = ids[i];
        proto.parent = i ? ids[i - 1] : KV_NO_ID;
        proto.next_use = KV_NEVER;
        kv_note_use(&proto, ctx, i);
        slot = kv_add(m, g1, &proto, ctx->now_s);
        r->slots[i] = slot;
        kv_store_entry(g1, slot)->pins = 1;
        g1->pinned++;
        kv_pol_ctx_t c = kv_pc(m, ctx->now_s);
        g1->pol.ops->insert(&g1->pol, slot, &c);
        g1->st.inserted_blocks++;
        unsigned to_tiers = nb ? m->write.ops->commit(&m->write, kv_store_entry(g1, slot)) : 0;
        for (int k = 0; k < nb && to_tiers; k++)
            if ((to_tiers & (1u << below[k]->tier)) && kv_store_find(below[k], proto.id) == KV_NO_SLOT)
                kv_place(m, below[k], &proto, ctx->now_s, KV_MOVE_WRITE_THROUGH, g1);
    }
    if (to > r->hi)
        r->hi = to;
}

void kv_release(kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, uint32_t extra, const kv_access_t *ctx)
{
    assert(ctx);
    kv_req_t *r = kv_req_get(m, ctx->request_id);
    assert(r && r->inst == inst && r->n == n && r->extra == extra && "release does not match its admission");
    m->gen++;
    kv_store_t *g1 = &m->tier[KV_G1][inst];
    for (uint32_t i = r->hi; i-- > 0;) {
        if (i >= KV_AHEAD)
            __builtin_prefetch(kv_store_entry(g1, r->slots[i - KV_AHEAD]));
        uint32_t slot = r->slots[i];
        assert(kv_store_entry(g1, slot)->id == ids[i] && "a pinned block left G1");
        kv_unpin(m, g1, slot, ctx->now_s);
    }
    assert(g1->reserved >= r->reserved);
    g1->reserved -= r->reserved;
    kv_req_del(m, r);
}

int kv_reserve_grow(kv_mgr_t *m, uint32_t inst, uint64_t request_id, uint32_t blocks, double now_s)
{
    kv_req_t *r = kv_req_get(m, request_id);
    assert(r && r->inst == inst && "growth of a request that was not admitted here");
    kv_store_t *g1 = &m->tier[KV_G1][inst];
    if (blocks > g1->cap - g1->used - g1->reserved + (g1->used - g1->pinned))
        return KV_ENOSPACE;
    m->gen++;
    bool ok = kv_make_room(m, g1, blocks, KV_NO_ID, now_s);
    assert(ok && "growth room computed wrongly");
    (void)ok;
    g1->reserved += blocks;
    r->reserved += blocks;
    r->extra += blocks;
    return KV_OK;
}

void kv_reserve_shrink(kv_mgr_t *m, uint32_t inst, uint64_t request_id, uint32_t blocks)
{
    kv_req_t *r = kv_req_get(m, request_id);
    assert(r && r->inst == inst && r->extra >= blocks && r->reserved >= blocks && "shrink past the reservation");
    kv_store_t *g1 = &m->tier[KV_G1][inst];
    assert(g1->reserved >= blocks);
    g1->reserved -= blocks;
    r->reserved -= blocks;
    r->extra -= blocks;
}

uint64_t kv_prestage(kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, int dst_tier, const kv_access_t *ctx)
{
    assert(inst < m->cfg.n_instances && dst_tier >= KV_G1 && dst_tier < KV_NTIERS);
    kv_store_t *dst = kv_path_store(m, dst_tier, inst);
    if (!dst)
        return 0;
    m->gen++;
    double now_s = ctx ? ctx->now_s : 0;
    uint64_t staged = 0;
    /* The context's blocks already in dst (there before, or staged by this call) are pinned until the call
     * ends, so that making room for the next block never evicts an earlier one of the same context. */
    uint32_t held = 0;
    for (uint32_t i = 0; i < n; i++) {
        int t = kv_holder(m, inst, ids[i]);
        if (t < 0)
            break; /* past the cached prefix nothing is usable */
        if (t == dst_tier) {
            kv_pin(m, dst, kv_store_find(dst, ids[i]));
            held = i + 1;
        }
        if (t <= dst_tier)
            continue;
        kv_store_t *s = kv_path_store(m, t, inst);
        assert(s);
        uint32_t slot = kv_store_find(s, ids[i]);
        kv_pin(m, s, slot); /* the cascade below must not evict the source */
        bool room = kv_make_room(m, dst, 1, ids[i], now_s);
        kv_entry_t proto = *kv_store_entry(s, slot);
        kv_unpin(m, s, slot, now_s);
        /* A block a policy holds in an exclusive source cannot leave it; a held block's copy is not held. */
        if (!room || (kv_store_entry(s, slot)->pins > 0 && !s->inclusive))
            break;
        proto.pins = 0;
        if (ctx)
            kv_note_use(&proto, ctx, i);
        if (s->inclusive) {
            kv_pol_ctx_t c = kv_pc(m, now_s);
            s->pol.ops->hit(&s->pol, slot, &c);
        } else {
            s->pol.ops->remove(&s->pol, slot);
            kv_del(m, s, slot, now_s);
        }
        s->st.promoted_out_blocks++;
        kv_place(m, dst, &proto, now_s, KV_MOVE_PRESTAGE, s);
        uint32_t ns = kv_store_find(dst, ids[i]);
        if (ns != KV_NO_SLOT)
            kv_pin(m, dst, ns);
        held = i + 1;
        staged++;
    }
    for (uint32_t i = 0; i < held; i++) {
        /* Pinned above exactly when dst held it: blocks before `held` held elsewhere (a faster tier) are not. */
        uint32_t slot = kv_store_find(dst, ids[i]);
        if (slot != KV_NO_SLOT && kv_holder(m, inst, ids[i]) == dst_tier)
            kv_unpin(m, dst, slot, now_s);
    }
    return staged;
}

uint32_t kv_hold(kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, int tier, bool hold, double now_s)
{
    assert(inst < m->cfg.n_instances && tier >= KV_G1 && tier < KV_NTIERS);
    kv_store_t *s = kv_path_store(m, tier, inst);
    if (!s)
        return 0;
    m->gen++;
    uint32_t k = 0;
    for (; k < n; k++) {
        uint32_t slot = kv_store_find(s, ids[k]);
        if (!hold) {
            assert(slot != KV_NO_SLOT && kv_store_entry(s, slot)->pins > 0 && "releasing a hold never taken");
            kv_unpin(m, s, slot, now_s);
            continue;
        }
        if (slot == KV_NO_SLOT)
            break;
        kv_pin(m, s, slot);
    }
    return k;
}

size_t kv_drain_moves(kv_mgr_t *m, kv_move_t *out, size_t cap)
{
    size_t k = m->nmv - m->mv_drained;
    if (k > cap)
        k = cap;
    if (k)
        memcpy(out, m->mv + m->mv_drained, k * sizeof *out);
    m->mv_drained += k;
    if (m->mv_drained == m->nmv)
        m->nmv = m->mv_drained = 0;
    return k;
}

void kv_session_end(kv_mgr_t *m, uint64_t session_id)
{
    if (m->write.ops->session_end)
        m->write.ops->session_end(&m->write, session_id);
}

/* --- inspection --- */

static void kv_fill_stats(const kv_store_t *s, kv_tier_stats_t *o)
{
    o->capacity_blocks += s->cap;
    o->used_blocks += s->used;
    o->pinned_blocks += s->pinned;
    o->hit_blocks += s->st.hit_blocks;
    o->inserted_blocks += s->st.inserted_blocks;
    o->evicted_blocks += s->st.evicted_blocks;
    o->demoted_in_blocks += s->st.demoted_in_blocks;
    o->promoted_out_blocks += s->st.promoted_out_blocks;
}

void kv_tier_stats(const kv_mgr_t *m, int tier, kv_tier_stats_t *out)
{
    assert(tier >= 0 && tier < KV_NTIERS);
    memset(out, 0, sizeof *out);
    for (uint32_t loc = 0; loc < m->ntier[tier]; loc++)
        kv_fill_stats(&m->tier[tier][loc], out);
}

bool kv_tier_loc_stats(const kv_mgr_t *m, int tier, uint32_t loc, kv_tier_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (tier < 0 || tier >= KV_NTIERS || loc >= m->ntier[tier])
        return false;
    kv_fill_stats(&m->tier[tier][loc], out);
    return true;
}

bool kv_resident(const kv_mgr_t *m, int tier, uint32_t loc, uint64_t id)
{
    if (tier < 0 || tier >= KV_NTIERS || loc >= m->ntier[tier])
        return false;
    return kv_store_find(&m->tier[tier][loc], id) != KV_NO_SLOT;
}

uint64_t kv_g1_free_blocks(const kv_mgr_t *m, uint32_t inst)
{
    assert(inst < m->cfg.n_instances);
    const kv_store_t *g1 = &m->tier[KV_G1][inst];
    return g1->cap - g1->used - g1->reserved;
}

uint64_t kv_g1_room_blocks(const kv_mgr_t *m, uint32_t inst)
{
    assert(inst < m->cfg.n_instances);
    const kv_store_t *g1 = &m->tier[KV_G1][inst];
    return g1->cap - g1->used - g1->reserved + (g1->used - g1->pinned);
}

uint64_t kv_g1_capacity_blocks(const kv_mgr_t *m, uint32_t inst)
{
    assert(inst < m->cfg.n_instances);
    return m->tier[KV_G1][inst].cap;
}

size_t kv_tier_mem_bytes(const kv_mgr_t *m, int tier)
{
    size_t b = 0;
    for (uint32_t loc = 0; loc < m->ntier[tier]; loc++)
        b += kv_store_mem_bytes(&m->tier[tier][loc]);
    return b;
}

/* ---- faults --------------------------------------------------------------------------------------------- */

uint64_t kv_drop_where(kv_mgr_t *m, int tier, bool (*lost)(uint64_t id, void *arg), void *arg)
{
    return kv_drop_where_at(m, tier, UINT32_MAX, lost, arg);
}

uint64_t kv_drop_where_at(kv_mgr_t *m, int tier, uint32_t at, bool (*lost)(uint64_t id, void *arg), void *arg)
{
    if (tier < 0 || tier >= KV_NTIERS || !m->en[tier])
        return 0;
    uint64_t dropped = 0;
    for (uint32_t loc = 0; loc < m->ntier[tier]; loc++) {
        if (at != UINT32_MAX && loc != at)
            continue;
        kv_store_t *s = &m->tier[tier][loc];
        for (uint32_t slot = 0; slot < s->nfresh; slot++) {
            kv_entry_t *e = kv_store_entry(s, slot);
            /* A pinned copy is being read for a promotion: the transfer layer owns its fate. */
            if (!(e->flags & KV_E_LIVE) || e->pins > 0 || !lost(e->id, arg))
                continue;
            s->pol.ops->remove(&s->pol, slot);
            kv_store_del(s, slot);
            dropped++;
        }
    }
    if (dropped)
        m->gen++; /* invalidates the lookup memo */
    return dropped;
}
