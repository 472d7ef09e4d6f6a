/* The contract every registered eviction, write and prefetch policy must keep, checked by loop tests over
 * the registries (a new policy on any of these axes is covered with no new test code). A seeded workload
 * of prefix-sharing, growing multi-turn contexts runs on two instances sharing one domain, with G1, G2
 * (inclusive), G3.5 (exclusive) and G4 all under the eviction policy; every eviction policy runs under each
 * write policy, every prefetch policy under each write policy with LRU and leaf-first LRU. Requests overlap
 * (admitted, committed in chunks, released in any order), some are refused for lack of room, some
 * prestage; the prefetch policy is told each request waits before its admission and each completed turn,
 * and its proposals are staged as the core stages them. After every operation:
 *  - capacity: no tier instance holds more than its capacity; G1 never promises more than it has;
 *  - pinning: every block an unreleased request pinned is still in its instance's G1, and the pinned count
 *    equals the distinct blocks pinned;
 *  - prefix property: for every context and instance, kv_lookup reports exactly the longest leading run of
 *    blocks resident somewhere on the instance's path, each attributed to the fastest tier holding it (the
 *    reference is computed block by block with kv_resident);
 * and two runs with the same seed produce the same digest of lookups, moves and counters (determinism).
 * Leaks are checked by running this suite under ASan (scripts/test.sh --sanitize). */
#include <stdlib.h>
#include <string.h>

#include "sim/kv/kv.h"
#include "sim/kv/oracle.h"
#include "sim/kv/policy.h"
#include "sim/kv/prefetch.h"
#include "sim/kv/write.h"
#include "testutil.h"

#define NSESS 6
#define NREQ 240
#define MAXB 40
#define NINST 2

typedef struct wl {
    uint64_t ids[NREQ][MAXB];
    uint32_t n[NREQ];
    uint64_t session[NREQ];
    uint64_t next[NREQ * MAXB]; /* next use per reference, in admission order */
} wl_t;

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* Contexts: a shared system block (1), then per session a chain that grows by a few blocks per turn;
 * some turns diverge from the session's chain (a different suffix), as edits of a conversation do. */
static void make_workload(wl_t *w, uint64_t seed)
{
    uint64_t s = seed;
    uint32_t turn[NSESS] = {0};
    for (int r = 0; r < NREQ; r++) {
        uint32_t se = (uint32_t)(lcg(&s) % NSESS);
        uint32_t len = 2 + 3 * turn[se] + (uint32_t)(lcg(&s) % 3);
        if (len > MAXB)
            len = MAXB - (uint32_t)(lcg(&s) % 5);
        uint32_t branch = (lcg(&s) % 5 == 0) ? (uint32_t)(lcg(&s) % 3 + 1) : 0;
        w->ids[r][0] = 1;
        for (uint32_t i = 1; i < len; i++) {
            bool diverged = branch && i >= len / 2;
            w->ids[r][i] = 1000000ull * (se + 1) + 1000ull * (diverged ? branch : 0) + i;
        }
        w->n[r] = len;
        w->session[r] = se;
        turn[se]++;
    }
    uint64_t flat[NREQ * MAXB], k = 0;
    for (int r = 0; r < NREQ; r++)
        for (uint32_t i = 0; i < w->n[r]; i++)
            flat[k++] = w->ids[r][i];
    kv_oracle_next_use(flat, k, w->next);
}

typedef struct fly {
    int r; /* workload request */
    uint32_t inst;
    uint32_t hi; /* committed (pinned) leading blocks */
    uint32_t extra;
    uint64_t off; /* offset of its references in w->next */
} fly_t;

/* Check's ck_assert reports every passing check to the parent process; the invariants run thousands of
 * times, so they only call into Check when they fail. */
#define REQUIRE(cond, ...)                                                                                             \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            ck_abort_msg(__VA_ARGS__);                                                                                 \
    } while (0)

static uint64_t digest;

/* The holds a policy has taken (one row per held block and hold), so that the invariants can tell its pins
 * from the requests'. */
typedef struct pf_held {
    uint32_t inst;
    int tier;
    uint64_t id;
} pf_held_t;
static pf_held_t pf_helds[8192];
static int pf_nheld;
static uint64_t pf_nhold_calls; /* holds that pinned something: the test must exercise them */

static void mix(uint64_t x)
{
    digest = (digest ^ x) * 1099511628211ull;
}

static const uint64_t caps[KV_NTIERS] = {12, 20, 0, 30, 60};

static void check_invariants(const kv_mgr_t *m, const wl_t *w, const fly_t *fl, int nfl)
{
    for (int t = 0; t < KV_NTIERS; t++) {
        for (uint32_t loc = 0; loc < NINST; loc++) {
            kv_tier_stats_t st;
            if (!kv_tier_loc_stats(m, t, loc, &st))
                continue;
            REQUIRE(st.used_blocks <= st.capacity_blocks, "%s[%u] holds %llu > %llu", kv_tier_name(t), loc,
                    (unsigned long long)st.used_blocks, (unsigned long long)st.capacity_blocks);
        }
    }
    for (uint32_t inst = 0; inst < NINST; inst++) {
        REQUIRE(kv_g1_free_blocks(m, inst) <= caps[KV_G1], "G1[%u] promised more room than it has", inst);
        /* Distinct blocks pinned on this instance. */
        uint64_t seen[NINST * 8 * MAXB];
        uint64_t nseen = 0;
        for (int f = 0; f < nfl; f++) {
            if (fl[f].inst != inst)
                continue;
            for (uint32_t i = 0; i < fl[f].hi; i++) {
                uint64_t id = w->ids[fl[f].r][i];
                REQUIRE(kv_resident(m, KV_G1, inst, id), "pinned block %llu left G1[%u]", (unsigned long long)id, inst);
                bool dup = false;
                for (uint64_t k = 0; k < nseen && !dup; k++)
                    dup = seen[k] == id;
                if (!dup)
                    seen[nseen++] = id;
            }
        }
        for (int h = 0; h < pf_nheld; h++) {
            if (pf_helds[h].inst != inst || pf_helds[h].tier != KV_G1)
                continue;
            bool dup = false;
            for (uint64_t k = 0; k < nseen && !dup; k++)
                dup = seen[k] == pf_helds[h].id;
            if (!dup)
                seen[nseen++] = pf_helds[h].id;
        }
        kv_tier_stats_t st;
        kv_tier_loc_stats(m, KV_G1, inst, &st);
        REQUIRE(st.pinned_blocks == nseen, "G1[%u] pins %llu blocks, requests hold %llu", inst,
                (unsigned long long)st.pinned_blocks, (unsigned long long)nseen);
    }
    /* Below G1 only a policy's holds pin blocks (between calls): each held block is resident where it is held. */
    for (int t = KV_G2; t < KV_NTIERS; t++)
        for (uint32_t loc = 0; loc < NINST; loc++) {
            kv_tier_stats_t st;
            if (!kv_tier_loc_stats(m, t, loc, &st))
                continue;
            uint64_t held[8192];
            uint64_t nh = 0;
            for (int h = 0; h < pf_nheld; h++) {
                uint32_t hl = kv_tiers[t].scope == KV_SCOPE_INSTANCE ? pf_helds[h].inst : 0;
                if (pf_helds[h].tier != t || hl != loc)
                    continue;
                REQUIRE(kv_resident(m, t, loc, pf_helds[h].id), "held block %llu left %s",
                        (unsigned long long)pf_helds[h].id, kv_tier_name(t));
                bool dup = false;
                for (uint64_t k = 0; k < nh && !dup; k++)
                    dup = held[k] == pf_helds[h].id;
                if (!dup)
                    held[nh++] = pf_helds[h].id;
            }
            REQUIRE(st.pinned_blocks == nh, "%s[%u] pins %llu blocks, policy holds %llu", kv_tier_name(t), loc,
                    (unsigned long long)st.pinned_blocks, (unsigned long long)nh);
        }
    /* Prefix property against a block-by-block reference. */
    for (int r = 0; r < NREQ; r += 7) {
        for (uint32_t inst = 0; inst < NINST; inst++) {
            uint8_t tiers[MAXB];
            uint32_t p = kv_lookup_tiers(m, inst, w->ids[r], w->n[r], tiers);
            kv_hits_t h;
            kv_lookup(m, inst, w->ids[r], w->n[r], &h);
            REQUIRE(h.prefix == p, "kv_lookup and kv_lookup_tiers disagree");
            uint32_t by[KV_NTIERS] = {0};
            uint32_t ref = 0;
            for (; ref < w->n[r]; ref++) {
                int fastest = -1;
                for (int t = 0; t < KV_NTIERS && fastest < 0; t++) {
                    uint32_t loc = t == KV_G1 ? inst : 0;
                    if (kv_resident(m, t, loc, w->ids[r][ref]))
                        fastest = t;
                }
                if (fastest < 0)
                    break;
                if (ref < p)
                    REQUIRE(tiers[ref] == fastest, "block %u attributed to %s, fastest holder %s", ref,
                            kv_tier_name(tiers[ref]), kv_tier_name(fastest));
                by[fastest]++;
            }
            REQUIRE(p == ref, "lookup prefix %u, resident leading run %u (request %d, instance %u)", p, ref, r, inst);
            for (int t = 0; t < KV_NTIERS; t++)
                REQUIRE(h.by_tier[t] == by[t], "by_tier[%s] %u, expected %u", kv_tier_name(t), h.by_tier[t], by[t]);
            mix(p);
        }
    }
}

/* The test's core: a proposal is staged at once, its moves drained into the digest. */
static kv_mgr_t *pf_mgr;

static void drain_moves(kv_mgr_t *m)
{
    kv_move_t mv[8];
    size_t k;
    while ((k = kv_drain_moves(m, mv, 8)) > 0)
        for (size_t i = 0; i < k; i++)
            mix(mv[i].kind | (uint64_t)mv[i].src_tier << 8 | (uint64_t)mv[i].dst_tier << 16 |
                (uint64_t)mv[i].blocks << 24 | mv[i].first_block << 40);
}

static uint64_t pf_propose(void *core, const kv_pf_prop_t *p)
{
    (void)core;
    REQUIRE(p->inst < NINST && p->dst_tier >= KV_G1 && p->dst_tier < KV_NTIERS, "bad proposal");
    uint64_t staged = kv_prestage(pf_mgr, p->inst, p->ids, p->n, p->dst_tier, &p->access);
    mix(staged);
    drain_moves(pf_mgr);
    return staged;
}

/* The test's timed queue (the core's pstage.c in a run): timers fire, in (time, order) order, as the logical
 * clock passes them. */
typedef struct pf_tm {
    double t;
    uint64_t seq, key;
} pf_tm_t;
static pf_tm_t pf_tms[4096];
static int pf_ntm;
static uint64_t pf_tmseq;

static void pf_timer(void *core, double at_s, uint64_t key)
{
    (void)core;
    REQUIRE(pf_ntm < 4096, "too many timers");
    pf_tms[pf_ntm++] = (pf_tm_t){at_s, pf_tmseq++, key};
}

static double pf_xfer_s(void *core, uint32_t inst, uint64_t blocks, int src, int dst)
{
    (void)core;
    (void)inst;
    return 1e-2 * (double)blocks * (src - dst > 0 ? src - dst : 1);
}

static uint32_t pf_hold(void *core, uint32_t inst, const uint64_t *ids, uint32_t n, int tier, bool on)
{
    (void)core;
    uint32_t k = kv_hold(pf_mgr, inst, ids, n, tier, on, 0);
    for (uint32_t i = 0; i < k; i++) {
        if (on) {
            REQUIRE(pf_nheld < 8192, "too many holds");
            pf_helds[pf_nheld++] = (pf_held_t){inst, tier, ids[i]};
            continue;
        }
        int j = 0;
        while (j < pf_nheld && !(pf_helds[j].inst == inst && pf_helds[j].tier == tier && pf_helds[j].id == ids[i]))
            j++;
        REQUIRE(j < pf_nheld, "released a hold on block %llu never taken", (unsigned long long)ids[i]);
        pf_helds[j] = pf_helds[--pf_nheld];
    }
    if (on && k)
        pf_nhold_calls++;
    mix(k);
    return k;
}

static bool pf_tier_stats(void *core, int tier, uint32_t inst, kv_tier_stats_t *out)
{
    (void)core;
    return kv_tier_loc_stats(pf_mgr, tier, kv_tiers[tier].scope == KV_SCOPE_INSTANCE ? inst : 0, out);
}

static kv_pf_ctx_t pf_ctx(double now, kv_mgr_t *m)
{
    kv_pf_ctx_t c = {.now_s = now,
                     .kv = m,
                     .propose = pf_propose,
                     .timer = pf_timer,
                     .xfer_s = pf_xfer_s,
                     .hold = pf_hold,
                     .tier_stats = pf_tier_stats,
                     .block_bytes = 1 << 20};
    return c;
}

/* Fires the timers due by now. */
static void pf_fire(kv_prefetcher_t *pf, kv_mgr_t *m, double now)
{
    for (;;) {
        int best = -1;
        for (int i = 0; i < pf_ntm; i++)
            if (pf_tms[i].t <= now && (best < 0 || pf_tms[i].t < pf_tms[best].t ||
                                       (pf_tms[i].t == pf_tms[best].t && pf_tms[i].seq < pf_tms[best].seq)))
                best = i;
        if (best < 0)
            return;
        pf_tm_t e = pf_tms[best];
        pf_tms[best] = pf_tms[--pf_ntm];
        kv_pf_ctx_t pc = pf_ctx(e.t, m);
        pf->ops->timer(pf, &pc, e.key);
    }
}

static kv_pf_req_t pf_req(const wl_t *w, int r, uint32_t inst, const kv_access_t *a)
{
    kv_pf_req_t v = {
        .inst = inst,
        .ids = w->ids[r],
        .n_blocks = w->n[r],
        .input_tokens = w->n[r] * 16,
        .arrival_s = a->now_s - 0.5 - r % 3,
        .access = *a,
        .parent_session = r % 11 == 5 && r > 0 ? w->session[r - 1] : UINT64_MAX,
        .turn = (uint32_t)r,
        .turns_left = (uint32_t)(r % 4),
        .fork = r % 13 == 0 ? 2 : 0,
        .completed = true,
        .next_arrival_s = a->now_s + 1 + r % 5,
        .next_session = w->session[r],
    };
    return v;
}

static void run_contract(const char *policy, const kv_write_ops_t *write_policy, const kv_prefetch_ops_t *prefetch,
                         uint64_t seed, const wl_t *w)
{
    static uint32_t dom[NINST] = {0, 0};
    kv_cfg_t c;
    memset(&c, 0, sizeof c);
    c.n_instances = NINST;
    c.n_domains = 1;
    c.domain_of_instance = dom;
    c.write = write_policy;
    c.seed = seed;
    for (int t = 0; t < KV_NTIERS; t++) {
        c.tier[t].enabled = caps[t] > 0;
        c.tier[t].capacity_blocks = caps[t];
        c.tier[t].inclusive = t != KV_G35;
        c.tier[t].policy = kv_policy_find(policy);
    }
    char err[256];
    kv_mgr_t *m = kv_mgr_create(&c, err, sizeof err);
    REQUIRE(m != NULL, "%s", err);
    kv_prefetcher_t pf;
    REQUIRE(kv_prefetcher_init(&pf, prefetch, NULL, NINST, seed, err, sizeof err) == 0, "%s", err);
    pf_mgr = m;
    pf_ntm = 0;
    pf_tmseq = 0;
    pf_nheld = 0;
    pf_nhold_calls = 0;

    fly_t fl[16];
    int nfl = 0, next_r = 0;
    uint64_t off = 0, s = seed ^ 0x5bd1e995u, reqid = 0;
    while (next_r < NREQ || nfl > 0) {
        uint64_t op = lcg(&s) % 10;
        double now = (double)reqid;
        if (prefetch->timer) {
            pf_fire(&pf, m, now);
            drain_moves(m);
            check_invariants(m, w, fl, nfl);
        }
        if ((op < 4 || nfl == 0) && next_r < NREQ && nfl < 8) {
            int r = next_r++;
            uint32_t inst = (uint32_t)(lcg(&s) % NINST);
            if (prefetch->waiting) {
                kv_access_t a = {now, r, w->session[r], 1e-3 * (1 + w->n[r]), w->next + off};
                kv_pf_ctx_t pc = pf_ctx(now, m);
                kv_pf_req_t v = pf_req(w, r, inst, &a);
                prefetch->waiting(&pf, &pc, &v);
                check_invariants(m, w, fl, nfl);
            }
            kv_hits_t h;
            kv_lookup(m, inst, w->ids[r], w->n[r], &h);
            uint32_t use = h.prefix - (h.prefix > 0 && lcg(&s) % 4 == 0 ? 1 : 0);
            uint32_t extra = (uint32_t)(lcg(&s) % 3);
            kv_access_t a = {now, r, w->session[r], 1e-3 * (1 + w->n[r]), w->next + off};
            int rc = kv_admit(m, inst, w->ids[r], w->n[r], use, extra, &a);
            mix((uint64_t)rc);
            if (rc == KV_OK)
                fl[nfl++] = (fly_t){r, inst, use, extra, off};
            off += w->n[r];
            reqid++;
        } else if (op < 8 && nfl > 0) {
            fly_t *f = &fl[lcg(&s) % (uint64_t)nfl];
            if (f->hi < w->n[f->r]) {
                uint32_t to = f->hi + 1 + (uint32_t)(lcg(&s) % 4);
                if (to > w->n[f->r])
                    to = w->n[f->r];
                kv_access_t a = {now, (uint64_t)f->r, w->session[f->r], 1e-3, w->next + f->off};
                kv_commit(m, f->inst, w->ids[f->r], f->hi, to, &a);
                f->hi = to;
            }
        } else if (op < 9 && nfl > 0) {
            int k = (int)(lcg(&s) % (uint64_t)nfl);
            fly_t *f = &fl[k];
            /* A dear recompute (10 ms per block), so that ttl-pin finds small contexts worth holding. */
            kv_access_t a = {now, (uint64_t)f->r, w->session[f->r], 1e-2, w->next + f->off};
            kv_release(m, f->inst, w->ids[f->r], w->n[f->r], f->extra, &a);
            fly_t done = *f; /* it holds nothing now: out of the in-flight set before the checks */
            fl[k] = fl[--nfl];
            if (prefetch->turn_done) {
                drain_moves(m);
                check_invariants(m, w, fl, nfl);
                kv_pf_ctx_t pc = pf_ctx(now, m);
                kv_pf_req_t v = pf_req(w, done.r, done.inst, &a);
                prefetch->turn_done(&pf, &pc, &v);
            }
            if (lcg(&s) % 3 == 0) {
                kv_session_end(m, w->session[done.r]);
                if (prefetch->session_end) {
                    kv_pf_ctx_t pc = pf_ctx(now, m);
                    prefetch->session_end(&pf, &pc, w->session[done.r]);
                }
            }
        } else {
            int r = (int)(lcg(&s) % NREQ);
            kv_access_t a = {now, UINT64_MAX - 1, w->session[r], 1e-3, NULL};
            mix(kv_prestage(m, (uint32_t)(lcg(&s) % NINST), w->ids[r], w->n[r], (int)(1 + lcg(&s) % 3), &a));
        }
        drain_moves(m);
        check_invariants(m, w, fl, nfl);
    }
    /* Every timer fires and every session ends: whatever a policy held is given back. */
    if (prefetch->timer)
        pf_fire(&pf, m, 1e300);
    if (prefetch->session_end)
        for (int r = 0; r < NREQ; r++) {
            kv_pf_ctx_t pc = pf_ctx(1e300, m);
            prefetch->session_end(&pf, &pc, w->session[r]);
        }
    drain_moves(m);
    check_invariants(m, w, fl, nfl);
    ck_assert_msg(pf_nheld == 0, "%s still holds %d blocks after every session ended", prefetch->base.name, pf_nheld);
    if (prefetch->session_end && strcmp(prefetch->base.name, "ttl-pin") == 0)
        ck_assert_msg(pf_nhold_calls > 0, "ttl-pin never held anything: the test does not exercise holds");
    for (int t = 0; t < KV_NTIERS; t++) {
        kv_tier_stats_t st;
        kv_tier_stats(m, t, &st);
        mix(st.hit_blocks);
        mix(st.evicted_blocks);
        mix(st.used_blocks);
        ck_assert_uint_eq(st.pinned_blocks, 0);
    }
    kv_tier_stats_t g1;
    kv_tier_stats(m, KV_G1, &g1);
    ck_assert_msg(g1.evicted_blocks > 0 && g1.hit_blocks > 0, "the workload must exercise eviction and hits");
    kv_prefetcher_fini(&pf);
    kv_mgr_destroy(m);
}

START_TEST(contract)
{
    const kv_policy_ops_t *ops = kv_policy_at((size_t)_i);
    static wl_t w;
    make_workload(&w, 42);
    for (size_t wp = 0; wp < kv_write_axis.count; wp++) {
        uint64_t d[2];
        for (int rep = 0; rep < 2; rep++) {
            digest = 14695981039346656037ull;
            run_contract(ops->base.name, kv_write_at(wp), kv_prefetch_at(0), 7 + (uint64_t)wp, &w);
            d[rep] = digest;
        }
        ck_assert_msg(d[0] == d[1], "%s under %s is not deterministic", ops->base.name, kv_write_at(wp)->base.name);
    }
}
END_TEST

/* Every prefetch policy keeps the same contract (capacity, pinning, prefix property, determinism) whatever
 * it proposes, under every write policy, over a recency order and a prefix-closed one. */
START_TEST(prefetch_contract)
{
    const kv_prefetch_ops_t *pf = kv_prefetch_at((size_t)_i);
    static wl_t w;
    make_workload(&w, 43);
    static const char *const evict[] = {"lru", "leaf_lru"};
    for (int e = 0; e < 2; e++) {
        for (size_t wp = 0; wp < kv_write_axis.count; wp++) {
            uint64_t d[2];
            for (int rep = 0; rep < 2; rep++) {
                digest = 14695981039346656037ull;
                run_contract(evict[e], kv_write_at(wp), pf, 11 + (uint64_t)wp, &w);
                d[rep] = digest;
            }
            ck_assert_msg(d[0] == d[1], "prefetch %s with %s under %s is not deterministic", pf->base.name, evict[e],
                          kv_write_at(wp)->base.name);
        }
    }
}
END_TEST

static Suite *contract_suite(void)
{
    Suite *s = suite_create("policies_contract");
    TCase *tc = tcase_create("every_policy");
    tcase_add_loop_test(tc, contract, 0, (int)kv_policy_count());
    suite_add_tcase(s, tc);
    TCase *tp = tcase_create("every_prefetch_policy");
    tcase_add_loop_test(tp, prefetch_contract, 0, (int)kv_prefetch_axis.count);
    suite_add_tcase(s, tp);
    return s;
}

int main(void)
{
    return tu_run_suite(contract_suite());
}
