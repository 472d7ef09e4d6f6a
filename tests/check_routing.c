/* Routers beyond the registry contract (check_policy_axes.c): on hand-built pods of four instances in two
 * domains with a real KV manager,
 *  - kv-aware sends a request to the instance whose G1 holds its prefix, and to an instance of the domain
 *    whose G2 holds it when no G1 does, unless load outweighs the overlap;
 *  - random is a function of the seed: the same seed repeats its choices, another seed changes them;
 *  - kv-aware's temperature spreads choices (the same per seed), its active-blocks load sees G1 held by
 *    admitted requests;
 *  - power-of-two picks the less loaded of its two draws;
 *  - kv-aware with event_lag_s: a prefix cached less than the lag ago is invisible to it (it routes by load),
 *    one cached earlier is seen; with no lag it is seen at once;
 *  - prefix-score sends a request to the instance whose G1 holds its prefix however large that instance's
 *    backlog (only a share of the range counts: unlike kv-aware's block costs), unless the prefix weight is
 *    0; with half the prefix cached on one instance and all on another it takes the longer match; with
 *    nothing cached, the least loaded;
 *  - deployment.router_params is validated (unknown key, out of range) with its JSON path. */
#include <stdlib.h>
#include <string.h>

#include "sim/base/jsonbind.h"
#include "sim/kv/policy.h"
#include "sim/kv/write.h"
#include "sim/sched/route.h"
#include "testutil.h"

static const uint32_t dom_of[4] = {0, 0, 1, 1};

typedef struct pod4 {
    double load[4];
} pod4_t;

static double pod_load(const void *core, uint32_t inst)
{
    return ((const pod4_t *)core)->load[inst];
}

static kv_mgr_t *make_kv(uint64_t g1, uint64_t g2)
{
    kv_cfg_t c;
    memset(&c, 0, sizeof c);
    c.n_instances = 4;
    c.n_domains = 2;
    c.domain_of_instance = dom_of;
    c.block_bytes = 1 << 20;
    uint64_t caps[KV_NTIERS] = {g1, g2, 0, 0, 0};
    for (int t = 0; t < KV_NTIERS; t++) {
        c.tier[t].enabled = caps[t] > 0;
        c.tier[t].capacity_blocks = caps[t];
        c.tier[t].policy = kv_policy_find("lru");
        c.tier[t].inclusive = true;
    }
    c.write = kv_write_find("write-through");
    char err[256];
    kv_mgr_t *m = kv_mgr_create(&c, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    return m;
}

/* A request computed on inst at time now: its blocks end up cached in inst's G1 (and below, write-through). */
static void serve(kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, uint64_t req, double now)
{
    kv_hits_t h;
    kv_lookup(m, inst, ids, n, &h);
    kv_access_t a = {now, req, UINT64_MAX, 0, NULL};
    ck_assert_int_eq(kv_admit(m, inst, ids, n, h.prefix, 0, &a), KV_OK);
    kv_commit(m, inst, ids, 0, n, &a);
    kv_release(m, inst, ids, n, 0, &a);
}

static void router(sched_router_t *r, const char *name, const char *params_json, uint64_t seed)
{
    const sched_route_ops_t *ops = sched_route_find(name);
    ck_assert_ptr_nonnull(ops);
    cJSON *j = params_json ? cJSON_Parse(params_json) : NULL;
    jb_error_t je;
    void *b = plugin_bind(&ops->base, j, &je);
    ck_assert_msg(b != NULL, "%s: %s", je.path, je.msg);
    cJSON_Delete(j);
    char err[256];
    ck_assert_int_eq(sched_router_init(r, ops, b, seed, err, sizeof err), 0);
}

static void router_free(sched_router_t *r)
{
    void *b;
    memcpy(&b, &r->params, sizeof b); /* the bound struct router() made */
    sched_router_fini(r);
    free(b);
}

static uint32_t ask(sched_router_t *r, kv_mgr_t *m, pod4_t *pod, double now, const uint64_t *ids, uint32_t n)
{
    sched_view_t v = {4, now, pod_load, m, pod, 16};
    sched_req_t q = {.id = 1000,
                     .session_id = UINT64_MAX,
                     .arrival_s = now,
                     .input_tokens = n * 16,
                     .output_tokens = 10,
                     .block_ids = ids,
                     .n_blocks = n,
                     .extra_blocks = 1,
                     .input_blocks = n};
    uint32_t inst = r->ops->route(r, &v, &q);
    ck_assert_uint_lt(inst, 4);
    return inst;
}

START_TEST(kv_aware_finds_the_prefix)
{
    kv_mgr_t *m = make_kv(64, 0);
    uint64_t ids[20];
    for (int k = 0; k < 20; k++)
        ids[k] = 0xabc000 + (uint64_t)k;
    serve(m, 2, ids, 20, 1, 0);
    pod4_t pod = {{0, 0, 0, 0}};
    sched_router_t r;
    router(&r, "kv-aware", NULL, 7);
    ck_assert_uint_eq(ask(&r, m, &pod, 1, ids, 20), 2);
    /* Some load on the holder does not outweigh 20 blocks of prefill ... */
    pod.load[2] = 10 * 16;
    ck_assert_uint_eq(ask(&r, m, &pod, 1, ids, 20), 2);
    /* ... more than 20 blocks of backlog does: the least loaded of the others. */
    pod.load[2] = 30 * 16;
    pod.load[0] = pod.load[1] = 5 * 16;
    ck_assert_uint_eq(ask(&r, m, &pod, 1, ids, 20), 3);
    router_free(&r);
    /* Least loaded, blind to the cache, would not have found it. */
    pod.load[2] = 1;
    pod.load[0] = pod.load[1] = pod.load[3] = 0;
    router(&r, "least-loaded", NULL, 7);
    ck_assert_uint_ne(ask(&r, m, &pod, 1, ids, 20), 2);
    router_free(&r);
    kv_mgr_destroy(m);
}
END_TEST

START_TEST(prefix_score_follows_the_prefix_share)
{
    kv_mgr_t *m = make_kv(64, 0);
    uint64_t ids[20], other[20];
    for (int k = 0; k < 20; k++) {
        ids[k] = 0xdef000 + (uint64_t)k;
        other[k] = 0x123000 + (uint64_t)k;
    }
    serve(m, 2, ids, 20, 1, 0);
    pod4_t pod = {{0, 0, 0, 0}};
    sched_router_t r;
    router(&r, "prefix-score", NULL, 7);
    ck_assert_uint_eq(ask(&r, m, &pod, 1, ids, 20), 2);
    /* The holder the most loaded by far: its queue score is 0, its prefix score 2 still wins (kv-aware with
     * its defaults would leave it: 1,000 blocks of backlog against 20 of prefill). */
    pod.load[2] = 1000 * 16;
    ck_assert_uint_eq(ask(&r, m, &pod, 1, ids, 20), 2);
    router_free(&r);
    router(&r, "kv-aware", NULL, 7);
    ck_assert_uint_ne(ask(&r, m, &pod, 1, ids, 20), 2);
    router_free(&r);
    /* Without the prefix term: by load (and free G1) alone, the holder loses. */
    router(&r, "prefix-score", "{\"prefix_weight\": 0}", 7);
    ck_assert_uint_ne(ask(&r, m, &pod, 1, ids, 20), 2);
    router_free(&r);
    /* Equal loads, half the prefix on 1 and all of it on 2: the longer match. (With 2 the most loaded the
     * two would tie: 2 x 0.5 + 1 = 2 x 1 + 0.) */
    serve(m, 1, ids, 10, 2, 0);
    pod.load[2] = 0;
    router(&r, "prefix-score", NULL, 7);
    ck_assert_uint_eq(ask(&r, m, &pod, 1, ids, 20), 2);
    /* Nothing cached anywhere: the least loaded. */
    pod.load[0] = pod.load[1] = pod.load[2] = 50 * 16;
    ck_assert_uint_eq(ask(&r, m, &pod, 1, other, 20), 3);
    router_free(&r);
    kv_mgr_destroy(m);
}
END_TEST

START_TEST(kv_aware_weighs_the_domain_tier)
{
    /* G1 of 24 blocks: a second 20-block context on instance 3 pushes all but the first 4 blocks of the first
     * out of G1 (deepest first); the whole first prefix stays in domain 1's G2 (write-through). */
    kv_mgr_t *m = make_kv(24, 256);
    uint64_t ids[20], other[20];
    for (int k = 0; k < 20; k++) {
        ids[k] = 0x5000 + (uint64_t)k;
        other[k] = 0x9000 + (uint64_t)k;
    }
    serve(m, 3, ids, 20, 1, 0);
    serve(m, 3, other, 20, 2, 1); /* pushes ids out of instance 3's G1 */
    ck_assert(!kv_resident(m, KV_G1, 3, ids[19]) && kv_resident(m, KV_G1, 3, ids[3]));
    ck_assert(kv_resident(m, KV_G2, 1, ids[19]) && !kv_resident(m, KV_G2, 0, ids[19]));
    pod4_t pod = {{0, 0, 3 * 16, 0}};
    sched_router_t r;
    router(&r, "kv-aware", NULL, 7);
    uint32_t inst = ask(&r, m, &pod, 2, ids, 20);
    ck_assert_msg(inst == 2 || inst == 3, "went to %u, outside the domain holding the prefix", inst);
    ck_assert_uint_eq(inst, 3); /* 4 G1 blocks and 16 from G2 (cost 4) against 20 from G2 (cost 5) + load */
    router_free(&r);
    /* A G2 block weighted as much as a recomputed one: only instance 3's 4 G1 blocks still count, and a
     * load of 5 blocks there outweighs them (cost 21 against 20 on idle instance 1). */
    router(&r, "kv-aware", "{\"g2_weight\": 1, \"g3_weight\": 1}", 7);
    pod.load[3] = 5 * 16;
    pod.load[0] = 1 * 16;
    ck_assert_uint_eq(ask(&r, m, &pod, 2, ids, 20), 1);
    router_free(&r);
    kv_mgr_destroy(m);
}
END_TEST

START_TEST(kv_aware_temperature_and_active_blocks)
{
    kv_mgr_t *m = make_kv(64, 0);
    uint64_t ids[8];
    for (int k = 0; k < 8; k++)
        ids[k] = 0x3000 + (uint64_t)k;
    serve(m, 1, ids, 8, 1, 0);
    pod4_t pod = {{0, 0, 0, 0}};
    /* Temperature 0: always the holder. A high temperature: the others too, the same draws per seed. */
    sched_router_t r;
    router(&r, "kv-aware", "{\"temperature\": 5}", 3);
    int other = 0;
    uint64_t d1 = 0;
    for (int k = 0; k < 100; k++) {
        uint32_t i = ask(&r, m, &pod, 1, ids, 8);
        other += i != 1;
        d1 = d1 * 31 + i;
    }
    router_free(&r);
    ck_assert_int_gt(other, 20);
    router(&r, "kv-aware", "{\"temperature\": 5}", 3);
    uint64_t d2 = 0;
    for (int k = 0; k < 100; k++)
        d2 = d2 * 31 + ask(&r, m, &pod, 1, ids, 8);
    router_free(&r);
    ck_assert_uint_eq(d1, d2);
    router(&r, "kv-aware", NULL, 3);
    for (int k = 0; k < 20; k++)
        ck_assert_uint_eq(ask(&r, m, &pod, 1, ids, 8), 1);
    router_free(&r);
    /* active-blocks: a request holding 40 G1 blocks on instance 1 outweighs the 8-block overlap there; the
     * backlog metric does not see it (the view's load is 0). */
    uint64_t big[40];
    for (int k = 0; k < 40; k++)
        big[k] = 0x8000 + (uint64_t)k;
    kv_access_t a = {2, 99, UINT64_MAX, 0, NULL};
    ck_assert_int_eq(kv_admit(m, 1, big, 40, 0, 0, &a), KV_OK);
    router(&r, "kv-aware", "{\"load_metric\": \"active-blocks\"}", 3);
    ck_assert_uint_ne(ask(&r, m, &pod, 3, ids, 8), 1);
    router_free(&r);
    router(&r, "kv-aware", "{\"load_metric\": \"backlog\"}", 3);
    ck_assert_uint_eq(ask(&r, m, &pod, 3, ids, 8), 1);
    router_free(&r);
    kv_release(m, 1, big, 40, 0, &a);
    kv_mgr_destroy(m);
}
END_TEST

static uint64_t digest(const char *name, uint64_t seed)
{
    sched_router_t r;
    router(&r, name, NULL, seed);
    pod4_t pod = {{0, 1, 2, 3}};
    uint64_t ids[1] = {1};
    uint64_t d = 14695981039346656037ull;
    for (int k = 0; k < 200; k++)
        d = (d ^ ask(&r, NULL, &pod, k, ids, 1)) * 1099511628211ull;
    router_free(&r);
    return d;
}

START_TEST(random_is_a_function_of_the_seed)
{
    ck_assert_uint_eq(digest("random", 1), digest("random", 1));
    ck_assert_uint_ne(digest("random", 1), digest("random", 2));
    ck_assert_uint_eq(digest("power-of-two", 3), digest("power-of-two", 3));
    ck_assert_uint_ne(digest("power-of-two", 3), digest("power-of-two", 4));
    /* Every instance gets some of 200 random requests. */
    sched_router_t r;
    router(&r, "random", NULL, 9);
    pod4_t pod = {{0}};
    uint64_t ids[1] = {1};
    int hits[4] = {0};
    for (int k = 0; k < 200; k++)
        hits[ask(&r, NULL, &pod, k, ids, 1)]++;
    for (int i = 0; i < 4; i++)
        ck_assert_int_gt(hits[i], 20);
    router_free(&r);
}
END_TEST

START_TEST(power_of_two_never_takes_the_most_loaded)
{
    sched_router_t r;
    router(&r, "power-of-two", NULL, 11);
    pod4_t pod = {{5, 9, 1, 3}};
    uint64_t ids[1] = {1};
    int least = 0;
    for (int k = 0; k < 200; k++) {
        uint32_t i = ask(&r, NULL, &pod, k, ids, 1);
        ck_assert_uint_ne(i, 1); /* the most loaded loses whichever instance it is drawn with */
        least += i == 2;
    }
    ck_assert_int_gt(least, 80); /* the least loaded wins every draw it is in: half of them */
    router_free(&r);
}
END_TEST

START_TEST(event_lag_hides_recent_blocks)
{
    kv_mgr_t *m = make_kv(64, 0);
    sched_router_t lag, now;
    router(&lag, "kv-aware", "{\"event_lag_s\": 10}", 7);
    router(&now, "kv-aware", "{\"event_lag_s\": 0}", 7);
    ck_assert(lag.kv_events && !now.kv_events);
    kv_set_event_hook(m, sched_router_kv_event, &lag);
    uint64_t ids[20];
    for (int k = 0; k < 20; k++)
        ids[k] = 0x7000 + (uint64_t)k;
    serve(m, 2, ids, 20, 1, 100);
    pod4_t pod = {{2 * 16, 0, 1 * 16, 2 * 16}}; /* by load alone: instance 1 */
    ck_assert_uint_eq(ask(&now, m, &pod, 105, ids, 20), 2);
    ck_assert_uint_eq(ask(&lag, m, &pod, 105, ids, 20), 1); /* cached 5 s ago: not yet seen */
    ck_assert_uint_eq(ask(&lag, m, &pod, 111, ids, 20), 2); /* 11 s ago: seen */
    /* Evictions arrive late too: the blocks leave G1 at 120 (other prefixes fill it) ... */
    for (uint64_t s = 0; s < 4; s++) {
        uint64_t o[20];
        for (int k = 0; k < 20; k++)
            o[k] = 0x10000 * (s + 1) + (uint64_t)k;
        serve(m, 2, o, 20, 2 + s, 120);
    }
    ck_assert(!kv_resident(m, KV_G1, 2, ids[0]));
    ck_assert_uint_eq(ask(&now, m, &pod, 125, ids, 20), 1);
    ck_assert_uint_eq(ask(&lag, m, &pod, 125, ids, 20), 2); /* ... the router still believes they are there */
    ck_assert_uint_eq(ask(&lag, m, &pod, 131, ids, 20), 1);
    kv_set_event_hook(m, NULL, NULL);
    router_free(&lag);
    router_free(&now);
    kv_mgr_destroy(m);
}
END_TEST

START_TEST(router_params_are_validated)
{
    static const struct {
        const char *set, *want;
    } cases[] = {
        {"deployment.router_params={\"overlap_score_wieght\": 2}", "deployment.router_params.overlap_score_wieght"},
        {"deployment.router_params={\"event_lag_s\": -1}", "deployment.router_params.event_lag_s"},
        {"deployment.router_params={\"load_metric\": \"tokens\"}", "deployment.router_params.load_metric"},
    };
    const char *scen = tu_fixture("scenarios/tiny-synthetic.json");
    const char *dir = tu_scratch_dir("routing");
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *err = NULL;
        int rc = tu_run_kvtwin(NULL, &err, "run", scen, "--out", dir, "--quiet", "--set",
                               "deployment.router=\"kv-aware\"", "--set", cases[k].set, NULL);
        ck_assert_int_eq(rc, 2);
        ck_assert_msg(err && strstr(err, cases[k].want), "%s: %s", cases[k].set, err);
        free(err);
    }
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", scen, "--out", dir, "--quiet", "--set",
                           "deployment.router=\"round-robin\"", "--set", "deployment.router_params={\"x\": 1}", NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(err && strstr(err, "takes no parameters"), "%s", err);
    free(err);
}
END_TEST

static Suite *routing_suite(void)
{
    Suite *s = suite_create("routing");
    TCase *tc = tcase_create("routers");
    tcase_add_test(tc, kv_aware_finds_the_prefix);
    tcase_add_test(tc, prefix_score_follows_the_prefix_share);
    tcase_add_test(tc, kv_aware_weighs_the_domain_tier);
    tcase_add_test(tc, kv_aware_temperature_and_active_blocks);
    tcase_add_test(tc, random_is_a_function_of_the_seed);
    tcase_add_test(tc, power_of_two_never_takes_the_most_loaded);
    tcase_add_test(tc, event_lag_hides_recent_blocks);
    tcase_add_test(tc, router_params_are_validated);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(routing_suite());
}
