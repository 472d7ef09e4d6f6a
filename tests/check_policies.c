/* Eviction policies, one textbook access sequence each with its known result, run through the manager with
 * one-block requests (so each request is one access). The classic reference string of operating-system
 * textbooks (7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1, three frames) gives 15 faults under FIFO, 12 under LRU
 * and 9 under OPT. The other sequences are traced by hand in their comments. Also: the parameter tables
 * (defaults bind, bad values are refused with their path) and the lister. The contract over every policy
 * is in check_policies_contract.c. */
#include <stdlib.h>
#include <string.h>

#include "sim/kv/kv.h"
#include "sim/kv/oracle.h"
#include "sim/kv/policy.h"
#include "testutil.h"

static kv_mgr_t *one_tier(const char *policy, uint64_t cap, const char *params)
{
    kv_cfg_t c;
    memset(&c, 0, sizeof c);
    c.n_instances = 1;
    c.tier[KV_G1].enabled = true;
    c.tier[KV_G1].capacity_blocks = cap;
    c.tier[KV_G1].policy = kv_policy_find(policy);
    ck_assert_msg(c.tier[KV_G1].policy != NULL, "no policy %s", policy);
    cJSON *p = params ? cJSON_Parse(params) : NULL;
    jb_error_t je;
    void *bound = plugin_bind(&c.tier[KV_G1].policy->base, p, &je);
    ck_assert_msg(bound != NULL, "%s: %s", je.path, je.msg);
    c.tier[KV_G1].policy_params = bound;
    char err[256];
    kv_mgr_t *m = kv_mgr_create(&c, err, sizeof err);
    cJSON_Delete(p);
    free(bound);
    ck_assert_msg(m != NULL, "%s", err);
    return m;
}

/* One access of block id at time now; returns 1 on a hit. */
static int access1(kv_mgr_t *m, uint64_t id, uint64_t req, double now, uint64_t session, double cost,
                   const uint64_t *next)
{
    kv_hits_t h;
    kv_lookup(m, 0, &id, 1, &h);
    kv_access_t a = {now, req, session, cost, next};
    ck_assert_int_eq(kv_admit(m, 0, &id, 1, h.prefix, 0, &a), KV_OK);
    kv_commit(m, 0, &id, 0, 1, &a);
    kv_release(m, 0, &id, 1, 0, &a);
    return (int)h.prefix;
}

static const uint64_t classic[] = {7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1};
#define NCLASSIC (sizeof classic / sizeof classic[0])

/* The ids are shifted by one: 0 is a valid block id but keeping them positive reads better in failures. */
static int classic_hits(const char *policy, const char *params, int with_future)
{
    kv_mgr_t *m = one_tier(policy, 3, params);
    uint64_t ids[NCLASSIC], next[NCLASSIC];
    for (size_t i = 0; i < NCLASSIC; i++)
        ids[i] = classic[i] + 1;
    kv_oracle_next_use(ids, NCLASSIC, next);
    int hits = 0;
    for (size_t i = 0; i < NCLASSIC; i++)
        hits += access1(m, ids[i], i, (double)i, UINT64_MAX, 0, with_future ? &next[i] : NULL);
    kv_mgr_destroy(m);
    return hits;
}

START_TEST(classic_fifo_lru_opt)
{
    ck_assert_int_eq(NCLASSIC - classic_hits("fifo", NULL, 0), 15);
    ck_assert_int_eq(NCLASSIC - classic_hits("lru", NULL, 0), 12);
    ck_assert_int_eq(NCLASSIC - classic_hits("belady", NULL, 1), 9);
    /* Leaf-first LRU on unrelated one-block contexts is plain LRU. */
    ck_assert_int_eq(NCLASSIC - classic_hits("leaf_lru", NULL, 0), 12);
}
END_TEST

START_TEST(oracle_next_use)
{
    uint64_t ids[] = {5, 6, 5, 7, 6, 5};
    uint64_t next[6];
    kv_oracle_next_use(ids, 6, next);
    ck_assert_uint_eq(next[0], 2);
    ck_assert_uint_eq(next[1], 4);
    ck_assert_uint_eq(next[2], 5);
    ck_assert_uint_eq(next[3], UINT64_MAX);
    ck_assert_uint_eq(next[4], UINT64_MAX);
    ck_assert_uint_eq(next[5], UINT64_MAX);
}
END_TEST

/* SIEVE, capacity 3, 1 2 3 1 4 2 1: [1 2 3], 1 hit (visited); 4: hand at 1 (visited: clear), 2 evicted,
 * hand -> 3; 2: 3 evicted; 1 hit. Two hits, {1, 4, 2} left. FIFO has two hits too but keeps {3, 4, 1}. */
START_TEST(sieve_textbook)
{
    const uint64_t seq[] = {1, 2, 3, 1, 4, 2, 1};
    kv_mgr_t *m = one_tier("sieve", 3, NULL);
    int hits = 0;
    for (size_t i = 0; i < 7; i++)
        hits += access1(m, seq[i], i, (double)i, UINT64_MAX, 0, NULL);
    ck_assert_int_eq(hits, 2);
    ck_assert(kv_resident(m, KV_G1, 0, 1) && kv_resident(m, KV_G1, 0, 4) && kv_resident(m, KV_G1, 0, 2));
    kv_mgr_destroy(m);
}
END_TEST

/* LFU without aging, capacity 2, 1 1 2 3 1 2: 3 evicts 2 (freq 1 < 2), 2 evicts 3 (1's freq is 3):
 * two hits, where LRU gets one (3 evicts 1, then 1 and 2 miss). LFU-DA gives the same here. */
START_TEST(lfu_textbook)
{
    const uint64_t seq[] = {1, 1, 2, 3, 1, 2};
    const char *variants[] = {"{\"aging\": 0}", NULL};
    for (int v = 0; v < 2; v++) {
        kv_mgr_t *m = one_tier("lfu", 2, variants[v]);
        int hits = 0;
        for (size_t i = 0; i < 6; i++)
            hits += access1(m, seq[i], i, (double)i, UINT64_MAX, 0, NULL);
        ck_assert_int_eq(hits, 2);
        ck_assert(kv_resident(m, KV_G1, 0, 1) && kv_resident(m, KV_G1, 0, 2));
        kv_mgr_destroy(m);
    }
    kv_mgr_t *m = one_tier("lru", 2, NULL);
    int hits = 0;
    for (size_t i = 0; i < 6; i++)
        hits += access1(m, seq[i], i, (double)i, UINT64_MAX, 0, NULL);
    ck_assert_int_eq(hits, 1);
    kv_mgr_destroy(m);
}
END_TEST

/* LFU-DA forgets old popularity: 1 used 3 times long ago, then a stream of pairs (x, x) each used twice.
 * Plain LFU keeps 1 forever (its count 3 beats every 2); with aging, the level L rises past 3 and 1 goes. */
START_TEST(lfu_aging_forgets)
{
    for (int aging = 0; aging <= 1; aging++) {
        kv_mgr_t *m = one_tier("lfu", 2, aging ? "{\"aging\": 1}" : "{\"aging\": 0}");
        uint64_t r = 0;
        for (int k = 0; k < 3; k++)
            access1(m, 1, r++, 0, UINT64_MAX, 0, NULL);
        for (uint64_t x = 10; x < 20; x++) {
            access1(m, x, r++, 0, UINT64_MAX, 0, NULL);
            access1(m, x, r++, 0, UINT64_MAX, 0, NULL);
        }
        ck_assert_int_eq(kv_resident(m, KV_G1, 0, 1), aging == 0);
        kv_mgr_destroy(m);
    }
}
END_TEST

/* S3-FIFO, capacity 10 (S target 1, ghost 9): 1..10, 11 evicts 1 to the ghost, 1 returns -> straight to M
 * (evicting 2); a scan of 10 new blocks then flushes S but not M, so the last 1 hits. LRU loses it. */
START_TEST(s3fifo_textbook)
{
    uint64_t seq[32];
    size_t n = 0;
    for (uint64_t i = 1; i <= 11; i++)
        seq[n++] = i;
    seq[n++] = 1;
    for (uint64_t i = 12; i <= 21; i++)
        seq[n++] = i;
    seq[n++] = 1;
    const char *pols[] = {"s3fifo", "lru"};
    const int expect[] = {1, 0};
    for (int p = 0; p < 2; p++) {
        kv_mgr_t *m = one_tier(pols[p], 10, NULL);
        int hits = 0;
        for (size_t i = 0; i < n; i++)
            hits += access1(m, seq[i], i, (double)i, UINT64_MAX, 0, NULL);
        ck_assert_msg(hits == expect[p], "%s: %d hits", pols[p], hits);
        kv_mgr_destroy(m);
    }
}
END_TEST

/* ARC, capacity 2: 1 1 2 2 puts both in T2; the scan 3 4 5 6 only churns T1 (1 goes to B2 first, as T1 is
 * empty); 1 then returns from B2 into T2 and 2 is still there: three hits. LRU gets two. */
START_TEST(arc_textbook)
{
    const uint64_t seq[] = {1, 1, 2, 2, 3, 4, 5, 6, 1, 2};
    const char *pols[] = {"arc", "lru"};
    const int expect[] = {3, 2};
    for (int p = 0; p < 2; p++) {
        kv_mgr_t *m = one_tier(pols[p], 2, NULL);
        int hits = 0;
        for (size_t i = 0; i < 10; i++)
            hits += access1(m, seq[i], i, (double)i, UINT64_MAX, 0, NULL);
        ck_assert_msg(hits == expect[p], "%s: %d hits", pols[p], hits);
        kv_mgr_destroy(m);
    }
}
END_TEST

static int seq_hits(const char *policy, uint64_t cap, const uint64_t *seq, size_t n)
{
    kv_mgr_t *m = one_tier(policy, cap, NULL);
    int hits = 0;
    for (size_t i = 0; i < n; i++)
        hits += access1(m, seq[i], i, (double)i, UINT64_MAX, 0, NULL);
    kv_mgr_destroy(m);
    return hits;
}

/* S3-FIFO's evictS loop (Algorithm 1), capacity 20 (S's share 2, ghost 18): 1..20 all enter S; 1..18 hit
 * once; 21 makes evictS promote 1..18 to M and evict 19 (to G): S = [20, 21]. 20 hits. 22: evictS promotes
 * 20 and goes on in S, evicting 21: M = [1..18, 20], S = [22]; the last 1 hits: 20 hits in all. The first
 * kvtwin re-chose the queue after the promotion (S, now 1 block, was below its share) and evicted from M,
 * aging 1..18 and evicting 1: 19 hits. */
START_TEST(s3fifo_evict_small_loop)
{
    uint64_t seq[64];
    size_t n = 0;
    for (uint64_t i = 1; i <= 20; i++)
        seq[n++] = i;
    for (uint64_t i = 1; i <= 18; i++)
        seq[n++] = i;
    seq[n++] = 21;
    seq[n++] = 20;
    seq[n++] = 22;
    seq[n++] = 1;
    ck_assert_int_eq(seq_hits("s3fifo", 20, seq, n), 20);
}
END_TEST

/* S3-FIFO: a block promoted from S to M counts again from 0. Capacity 10 (S's share 1, ghost 9): 1..10 in
 * S; 11 evicts 1 to G; 1 returns into M (count 0), evicting 2; 3 hits; 12 promotes 3 and evicts 4:
 * S = [5..12], M = [1, 3]. 1 hits in M; 5..12 hit; 13 promotes 5..12, S is empty, so evictM: 1 (count 1)
 * goes round with count 0 and 3, promoted with its count reset, is evicted. The last 1 hits: 11 hits.
 * Keeping 3's count (as the first kvtwin did) makes evictM age every block and evict 1: 10 hits. */
START_TEST(s3fifo_promotion_resets_count)
{
    const uint64_t seq[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 3, 12, 1, 5, 6, 7, 8, 9, 10, 11, 12, 13, 1};
    ck_assert_int_eq(seq_hits("s3fifo", 10, seq, sizeof seq / sizeof *seq), 11);
}
END_TEST

/* ARC (Fig. 4 of the paper), capacity 2: 3 3 1 1 4 2 4 3 2. 3, 3: T2 = [3]; 1, 1: T2 = [3, 1]; 4 (case
 * IV, 2 in the directory): REPLACE sends T2's 3 to B2, T1 = [4]; 2 (IV): |T1| = 1 > p = 0, 4 to B1, T1 = [2];
 * 4 (case II, |B1| = |B2|): p = 1, REPLACE sends T2's 1 to B2 = [3, 1], 4 into T2; 3 (case III): p = 0,
 * T1's 2 to B1, 3 into T2 = [4, 3], B2 = [1]; 2 (case II) misses. Two hits. The first kvtwin kept one pool of
 * c = 2 ghost ids and added 1 to B2 before 4 left B1, so the full pool dropped 3: 3 then missed as a new
 * block into T1 (evicting 4), and 2, still in T1, hit: three hits. */
START_TEST(arc_ghosts_follow_the_cases)
{
    const uint64_t seq[] = {3, 3, 1, 1, 4, 2, 4, 3, 2};
    ck_assert_int_eq(seq_hits("arc", 2, seq, sizeof seq / sizeof *seq), 2);
}
END_TEST

/* Cost-aware, capacity 2: block 1 costs 5, blocks 2 and 3 cost 1; 3 evicts 2 (value 1), not 1 (value 5,
 * though least recent): {1, 3} remain. LRU keeps {2, 3}. */
START_TEST(cost_textbook)
{
    kv_mgr_t *m = one_tier("cost", 2, NULL);
    access1(m, 1, 0, 0, UINT64_MAX, 5.0, NULL);
    access1(m, 2, 1, 1, UINT64_MAX, 1.0, NULL);
    access1(m, 3, 2, 2, UINT64_MAX, 1.0, NULL);
    ck_assert(kv_resident(m, KV_G1, 0, 1) && kv_resident(m, KV_G1, 0, 3) && !kv_resident(m, KV_G1, 0, 2));
    kv_mgr_destroy(m);
}
END_TEST

/* Session TTL (initial TTL 10 s), capacity 2: t=0 block 1 of session A; t=5 and t=8 blocks 2, 3 without a
 * session. At t=8 session A is live (idle 8 s): block 2 goes although 1 is older. At t=30 A has expired:
 * the least recent unprotected block (1, used at 0) goes. */
START_TEST(session_ttl_textbook)
{
    kv_mgr_t *m = one_tier("session_ttl", 2, "{\"ttl_init_s\": 10}");
    access1(m, 1, 0, 0, 100, 0, NULL);
    access1(m, 2, 1, 5, UINT64_MAX, 0, NULL);
    access1(m, 3, 2, 8, UINT64_MAX, 0, NULL);
    ck_assert(kv_resident(m, KV_G1, 0, 1) && kv_resident(m, KV_G1, 0, 3) && !kv_resident(m, KV_G1, 0, 2));
    access1(m, 4, 3, 30, UINT64_MAX, 0, NULL);
    ck_assert(!kv_resident(m, KV_G1, 0, 1) && kv_resident(m, KV_G1, 0, 3) && kv_resident(m, KV_G1, 0, 4));
    kv_mgr_destroy(m);
}
END_TEST

/* The TTL is learned: session A pauses 20 s between turns 20 times (TTL -> the 20 s bin's upper edge,
 * 25.1 s). A block of A idle 22 s is then protected against a fresher session-less block; with the initial
 * TTL of 10 s it would not be. */
START_TEST(session_ttl_learns_gaps)
{
    for (int learn = 0; learn <= 1; learn++) {
        kv_mgr_t *m = one_tier("session_ttl", 2, "{\"ttl_init_s\": 10, \"min_samples\": 5}");
        double t = 0;
        uint64_t r = 0;
        int turns = learn ? 20 : 1;
        for (int k = 0; k < turns; k++, t += 20)
            access1(m, 1, r++, t, 100, 0, NULL);
        t -= 20;
        access1(m, 2, r++, t + 1, UINT64_MAX, 0, NULL);
        access1(m, 3, r++, t + 22, UINT64_MAX, 0, NULL); /* needs one victim: 1 (A) or 2 (anonymous) */
        ck_assert_msg(kv_resident(m, KV_G1, 0, 1) == (learn == 1), "learn=%d", learn);
        kv_mgr_destroy(m);
    }
}
END_TEST

/* Leaf-first LRU keeps a tier prefix-closed where LRU does not. G1 holds 2 blocks, G2 3 (inclusive).
 * [1 2]; [3 4] pushes 2 then 1 down to G2; [1 2] again is promoted from G2 (touching 1 then 2 there, so in
 * G2 the root 1 is now older than its child 2) while G1 demotes 4 and 3 (G2 keeps 3: the promoted blocks
 * are protected during the admission). Then [5] [6] drop the clean 2 and 1 from G1, and [7] [8] demote 5
 * and 6, making G2 evict twice: both policies first evict 3; then LRU evicts the root 1, stranding 2, and
 * leaf-first evicts the leaf 2. */
START_TEST(leaf_lru_keeps_prefixes)
{
    const char *pols[] = {"lru", "leaf_lru"};
    for (int p = 0; p < 2; p++) {
        kv_cfg_t c;
        memset(&c, 0, sizeof c);
        c.n_instances = 1;
        c.n_domains = 1;
        uint32_t dom = 0;
        c.domain_of_instance = &dom;
        uint64_t caps[2] = {2, 3};
        for (int t = 0; t < 2; t++) {
            c.tier[t].enabled = true;
            c.tier[t].capacity_blocks = caps[t];
            c.tier[t].inclusive = true;
            c.tier[t].policy = kv_policy_find(pols[p]);
        }
        char err[256];
        kv_mgr_t *m = kv_mgr_create(&c, err, sizeof err);
        ck_assert_msg(m != NULL, "%s", err);
        uint64_t a[] = {1, 2}, b[] = {3, 4}, s5 = 5, s6 = 6, s7 = 7, s8 = 8;
        const uint64_t *reqs[] = {a, b, a, &s5, &s6, &s7, &s8};
        const uint32_t lens[] = {2, 2, 2, 1, 1, 1, 1};
        for (uint64_t r = 0; r < 7; r++) {
            kv_hits_t h;
            kv_lookup(m, 0, reqs[r], lens[r], &h);
            kv_access_t x = {(double)r, r, UINT64_MAX, 0, NULL};
            ck_assert_int_eq(kv_admit(m, 0, reqs[r], lens[r], h.prefix, 0, &x), KV_OK);
            kv_commit(m, 0, reqs[r], 0, lens[r], &x);
            kv_release(m, 0, reqs[r], lens[r], 0, &x);
        }
        ck_assert(!kv_resident(m, KV_G2, 0, 3) && kv_resident(m, KV_G2, 0, 5) && kv_resident(m, KV_G2, 0, 6));
        if (p == 0)
            ck_assert_msg(!kv_resident(m, KV_G2, 0, 1) && kv_resident(m, KV_G2, 0, 2), "lru");
        else
            ck_assert_msg(kv_resident(m, KV_G2, 0, 1) && !kv_resident(m, KV_G2, 0, 2), "leaf_lru");
        kv_mgr_destroy(m);
    }
}
END_TEST

START_TEST(parameter_tables)
{
    jb_error_t e;
    for (size_t i = 0; i < kv_policy_count(); i++) {
        const kv_policy_ops_t *ops = kv_policy_at(i);
        ck_assert_ptr_nonnull(ops->base.summary);
        ck_assert_int_eq(kv_policy_validate(ops->base.name, NULL, &e), 0);
        cJSON *empty = cJSON_CreateObject();
        ck_assert_int_eq(kv_policy_validate(ops->base.name, empty, &e), 0);
        cJSON_AddNumberToObject(empty, "not_a_parameter", 1);
        ck_assert_int_eq(kv_policy_validate(ops->base.name, empty, &e), -1);
        ck_assert_str_eq(e.path, "not_a_parameter");
        cJSON_Delete(empty);
    }
    cJSON *p = cJSON_Parse("{\"small_ratio\": 1.5}");
    ck_assert_int_eq(kv_policy_validate("s3fifo", p, &e), -1);
    ck_assert_str_eq(e.path, "small_ratio");
    cJSON_Delete(p);
    p = cJSON_Parse("{\"quantile\": \"high\"}");
    ck_assert_int_eq(kv_policy_validate("session_ttl", p, &e), -1);
    ck_assert_str_eq(e.path, "quantile");
    cJSON_Delete(p);
    p = cJSON_Parse("{\"bogus\": 1}");
    ck_assert_int_eq(kv_policy_validate("lfu", p, &e), -1);
    ck_assert_msg(strstr(e.msg, "valid keys: aging"), "%s", e.msg);
    cJSON_Delete(p);
    char names[512];
    kv_policy_names(names, sizeof names);
    ck_assert_str_eq(names, "lru, fifo, lfu, s3fifo, sieve, arc, leaf_lru, cost, session_ttl, marconi, lpc, belady");
}
END_TEST

static Suite *policies_suite(void)
{
    Suite *s = suite_create("policies");
    TCase *tc = tcase_create("textbook");
    tcase_add_test(tc, classic_fifo_lru_opt);
    tcase_add_test(tc, oracle_next_use);
    tcase_add_test(tc, sieve_textbook);
    tcase_add_test(tc, lfu_textbook);
    tcase_add_test(tc, lfu_aging_forgets);
    tcase_add_test(tc, s3fifo_textbook);
    tcase_add_test(tc, arc_textbook);
    tcase_add_test(tc, s3fifo_evict_small_loop);
    tcase_add_test(tc, s3fifo_promotion_resets_count);
    tcase_add_test(tc, arc_ghosts_follow_the_cases);
    tcase_add_test(tc, cost_textbook);
    tcase_add_test(tc, session_ttl_textbook);
    tcase_add_test(tc, session_ttl_learns_gaps);
    tcase_add_test(tc, leaf_lru_keeps_prefixes);
    tcase_add_test(tc, parameter_tables);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(policies_suite());
}
