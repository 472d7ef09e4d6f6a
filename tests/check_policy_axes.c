/* Contracts of every policy axis, by loops over the registries (a new policy is covered with no new test
 * code; the KV-level contract of eviction, write and prefetch policies is check_policies_contract.c):
 *  - every registry: names unique, no alias shadowing a name, a summary, parameters that bind from their
 *    defaults and reject an unknown key, unknown names listing the valid ones; `kvtwin policies` prints
 *    every axis and every policy, `--markdown` one table per axis;
 *  - fetch-or-recompute: a decision never reuses more than the cached prefix, and is a function of its
 *    inputs (same prefix, tiers and paths, same answer);
 *  - routing: an instance below the count, the same sequence of choices from the same sequence of loads
 *    and requests (determinism), for one and several instances;
 *  - admission: nothing picked from an empty queue, a pick inside the queue otherwise, a reservation no
 *    larger than the room the request can use, deterministic;
 *  - `kvtwin cache --write` takes the scenario names and the old short forms alike. */
#include <stdlib.h>
#include <string.h>

#include "sim/config/config_models.h"
#include "sim/config/policies.h"
#include "sim/kv/fetch.h"
#include "sim/sched/admit.h"
#include "sim/sched/route.h"
#include "testutil.h"

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

START_TEST(registries)
{
    const plugin_axis_t *axis = cfg_policy_axis_at((size_t)_i);
    ck_assert_ptr_nonnull(axis);
    ck_assert_msg(axis->count > 0, "axis %s has no policy", axis->name);
    ck_assert(axis->chosen_by && axis->column);
    for (size_t i = 0; i < axis->count; i++) {
        const plugin_t *p = axis->items[i];
        ck_assert_msg(p->name && p->name[0] && p->summary && p->summary[0], "%s policy %zu unnamed", axis->name, i);
        ck_assert_ptr_eq(plugin_find(axis, p->name), p);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(strcmp(axis->items[j]->name, p->name) != 0, "%s: %s twice", axis->name, p->name);
        for (const char *const *a = p->aliases; a && *a; a++) {
            ck_assert_msg(plugin_find(axis, *a) == NULL, "%s: alias %s shadows a name", axis->name, *a);
            ck_assert_ptr_eq(plugin_find_alias(axis, *a), p);
        }
        jb_error_t e;
        void *b = plugin_bind(p, NULL, &e);
        ck_assert_msg(b != NULL, "%s %s: defaults do not bind: %s", axis->name, p->name, e.msg);
        if (p->params_size)
            ck_assert(memcmp(b, p->params_default, p->params_size) == 0);
        free(b);
        cJSON *o = cJSON_CreateObject();
        ck_assert_int_eq(plugin_validate(axis, p->name, o, &e), 0);
        cJSON_AddNumberToObject(o, "not_a_parameter", 1);
        ck_assert_int_eq(plugin_validate(axis, p->name, o, &e), -1);
        ck_assert_str_eq(e.path, "not_a_parameter");
        cJSON_Delete(o);
    }
    jb_error_t e;
    ck_assert_int_eq(plugin_validate(axis, "no-such-policy", NULL, &e), -1);
    ck_assert_msg(strstr(e.msg, "no-such-policy") && strstr(e.msg, axis->items[0]->name), "%s", e.msg);
}
END_TEST

START_TEST(policies_command_lists_every_axis)
{
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_run_kvtwin(&out, &err, "policies", NULL), 0);
    char *md = NULL;
    ck_assert_int_eq(tu_run_kvtwin(&md, NULL, "policies", "--markdown", NULL), 0);
    for (size_t a = 0; a < cfg_policy_axis_count(); a++) {
        const plugin_axis_t *axis = cfg_policy_axis_at(a);
        char head[128];
        snprintf(head, sizeof head, "%s policies (%s)", axis->name, axis->chosen_by);
        ck_assert_msg(strstr(out, head), "kvtwin policies misses the %s axis", axis->name);
        ck_assert_msg(strstr(md, axis->chosen_by), "--markdown misses the %s axis", axis->name);
        for (size_t i = 0; i < axis->count; i++) {
            char cell[128];
            snprintf(cell, sizeof cell, "| `%s` |", axis->items[i]->name);
            ck_assert_msg(strstr(out, axis->items[i]->name), "kvtwin policies misses %s", axis->items[i]->name);
            ck_assert_msg(strstr(md, cell), "--markdown misses %s", cell);
        }
    }
    free(out);
    free(err);
    free(md);
    /* A name on two axes (eviction and fetch both have cost) lists both. */
    ck_assert_int_eq(tu_run_kvtwin(&out, NULL, "policies", "cost", NULL), 0);
    ck_assert_msg(strstr(out, "eviction policies") && strstr(out, "fetch policies") && !strstr(out, "lru"), "%s", out);
    free(out);
    ck_assert_int_eq(tu_run_kvtwin(NULL, &err, "policies", "nope", NULL), 2);
    ck_assert_msg(strstr(err, "valid policies") && strstr(err, "round-robin") && strstr(err, "write-back"), "%s", err);
    free(err);
}
END_TEST

/* A fake core whose paths are fixed per tier; some are unusable (no bandwidth). */
static void fake_hop(void *core, int tier, uint64_t block_id, kv_fetch_hop_t *out)
{
    (void)block_id;
    const kv_fetch_hop_t *hops = core;
    *out = hops[tier];
}

START_TEST(fetch_never_exceeds_prefix)
{
    const kv_fetch_ops_t *ops = kv_fetch_at((size_t)_i);
    hw_pod_t hw;
    llm_t llm;
    char err[512];
    ck_assert_msg(cfg_hw_load("dgx-h100", NULL, 0, &hw, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(cfg_llm_load("llama-3.1-8b", NULL, 0, &llm, err, sizeof err) == 0, "%s", err);
    st_deploy_t dep = {{1, 1, 1}, LLM_DT_BF16, LLM_DT_BF16, LLM_DT_BF16};
    st_model_t *st = st_model_create(&hw.gpu, &llm, &dep, NULL, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    kv_fetcher_t f;
    ck_assert_int_eq(kv_fetcher_init(&f, ops, NULL, err, sizeof err), 0);
    uint64_t s = 99;
    enum { MAXN = 64 };
    uint8_t tier_of[MAXN];
    uint64_t ids[MAXN];
    for (int trial = 0; trial < 200; trial++) {
        uint32_t prefix = (uint32_t)(lcg(&s) % MAXN);
        for (uint32_t u = 0; u < prefix; u++) {
            tier_of[u] = (uint8_t)(lcg(&s) % KV_NTIERS);
            ids[u] = lcg(&s);
        }
        kv_fetch_hop_t hops[KV_NTIERS] = {{0, 0}};
        for (int t = KV_G2; t < KV_NTIERS; t++)
            hops[t] = (kv_fetch_hop_t){lcg(&s) % 5 == 0 ? 0 : 1e8 * (double)(1 + lcg(&s) % 1000),
                                       1e-6 * (double)(lcg(&s) % 100)};
        uint32_t bt = 16;
        kv_fetch_ctx_t c = {st, tier_of,       prefix,   ids, (double)(prefix * bt + lcg(&s) % 4000),
                            bt, 131072.0 * bt, fake_hop, hops};
        uint32_t use = ops->decide(&f, &c);
        ck_assert_msg(use <= prefix, "%s reused %u of a %u-block prefix", ops->base.name, use, prefix);
        ck_assert_uint_eq(ops->decide(&f, &c), use);
    }
    kv_fetcher_fini(&f);
    st_model_destroy(st);
}
END_TEST

typedef struct fake_pod {
    double load[8];
} fake_pod_t;

static double fake_load(const void *core, uint32_t inst)
{
    return ((const fake_pod_t *)core)->load[inst];
}

/* The choices of a fresh router over a seeded sequence of loads and requests, digested. */
static uint64_t route_run(const sched_route_ops_t *ops, uint32_t n_inst, uint64_t seed)
{
    sched_router_t r;
    char err[256];
    ck_assert_int_eq(sched_router_init(&r, ops, NULL, seed, err, sizeof err), 0);
    fake_pod_t pod;
    uint64_t s = seed, d = 14695981039346656037ull;
    uint64_t ids[4];
    for (int k = 0; k < 500; k++) {
        for (uint32_t i = 0; i < n_inst; i++)
            pod.load[i] = (double)(lcg(&s) % 50);
        for (int b = 0; b < 4; b++)
            ids[b] = lcg(&s);
        sched_view_t v = {n_inst, (double)k, fake_load, NULL, &pod};
        sched_req_t q = {(uint64_t)k, lcg(&s) % 3 == 0 ? UINT64_MAX : lcg(&s) % 20, (double)k, 1000, 100, ids, 4, 7,
                         63};
        uint32_t inst = ops->route(&r, &v, &q);
        ck_assert_msg(inst < n_inst, "%s chose instance %u of %u", ops->base.name, inst, n_inst);
        d = (d ^ inst) * 1099511628211ull;
    }
    sched_router_fini(&r);
    return d;
}

START_TEST(routers_valid_and_deterministic)
{
    const sched_route_ops_t *ops = sched_route_at((size_t)_i);
    static const uint32_t sizes[] = {1, 3, 8};
    for (int k = 0; k < 3; k++)
        ck_assert_msg(route_run(ops, sizes[k], 5) == route_run(ops, sizes[k], 5), "%s is not deterministic",
                      ops->base.name);
}
END_TEST

typedef struct fake_queue {
    sched_req_t reqs[8];
} fake_queue_t;

static void fake_at(const void *core, uint32_t k, sched_req_t *out)
{
    *out = ((const fake_queue_t *)core)->reqs[k];
}

START_TEST(admission_picks_inside_the_queue)
{
    const sched_admit_ops_t *ops = sched_admit_at((size_t)_i);
    sched_admitter_t a[2];
    char err[256];
    for (int rep = 0; rep < 2; rep++)
        ck_assert_int_eq(sched_admitter_init(&a[rep], ops, NULL, 0, err, sizeof err), 0);
    fake_queue_t fq;
    uint64_t s = 3;
    for (int trial = 0; trial < 300; trial++) {
        uint32_t n = (uint32_t)(lcg(&s) % 9);
        for (uint32_t k = 0; k < n; k++) {
            uint32_t in = 100 + (uint32_t)(lcg(&s) % 5000), out = 1 + (uint32_t)(lcg(&s) % 500);
            /* 16-token blocks, no ids: the input's blocks and the whole request's */
            fq.reqs[k] = (sched_req_t){(uint64_t)trial * 10 + k,
                                       k,
                                       (double)(lcg(&s) % 7),
                                       in,
                                       out,
                                       NULL,
                                       0,
                                       (in + out + 15) / 16,
                                       (in + 15) / 16};
        }
        sched_queue_t q = {n, (uint32_t)(lcg(&s) % 4), 4, fake_at, &fq};
        uint32_t pick[2];
        for (int rep = 0; rep < 2; rep++)
            pick[rep] = ops->next(&a[rep], &q);
        ck_assert_uint_eq(pick[0], pick[1]);
        if (n == 0) {
            ck_assert_msg(pick[0] == SCHED_ADMIT_NONE, "%s picked from an empty queue", ops->base.name);
            continue;
        }
        if (pick[0] == SCHED_ADMIT_NONE)
            continue;
        ck_assert_msg(pick[0] < n, "%s picked %u of %u", ops->base.name, pick[0], n);
        const sched_req_t *r = &fq.reqs[pick[0]];
        uint32_t res = ops->reserve(&a[0], r);
        ck_assert_uint_eq(ops->reserve(&a[1], r), res);
        ck_assert_msg(res <= r->extra_blocks, "%s reserved %u blocks for a request that can use %u", ops->base.name,
                      res, r->extra_blocks);
        /* A policy that reserves less than the whole request must be able to preempt, or G1 could deadlock. */
        if (res < r->extra_blocks)
            ck_assert_msg(ops->victim != NULL, "%s reserves part of a request but never preempts", ops->base.name);
        if (ops->victim) {
            sched_running_t run = {n, fake_at, &fq};
            uint32_t v = ops->victim(&a[0], &run);
            ck_assert_uint_eq(ops->victim(&a[1], &run), v);
            ck_assert_msg(v < n, "%s chose victim %u of %u", ops->base.name, v, n);
        }
    }
    for (int rep = 0; rep < 2; rep++)
        sched_admitter_fini(&a[rep]);
}
END_TEST

/* paged: the prompt's blocks without ids are reserved, the output is not; the victim is the latest arrival,
 * ties to the larger id; the watermark is its share of G1; preemption swaps only when asked. */
START_TEST(paged_admission_rules)
{
    const sched_admit_ops_t *ops = sched_admit_find("paged");
    ck_assert_ptr_nonnull(ops);
    sched_admitter_t a;
    char err[256];
    ck_assert_int_eq(sched_admitter_init(&a, ops, NULL, 0, err, sizeof err), 0);
    sched_req_t r = {
        .id = 1, .input_tokens = 100, .output_tokens = 50, .n_blocks = 4, .extra_blocks = 6, .input_blocks = 7};
    ck_assert_uint_eq(ops->reserve(&a, &r), 3);
    ck_assert_uint_eq(ops->keep_free(&a, 1000), 10);
    ck_assert(!ops->swap(&a));
    fake_queue_t fq = {{{.id = 5, .arrival_s = 1.0},
                        {.id = 2, .arrival_s = 3.0},
                        {.id = 9, .arrival_s = 3.0},
                        {.id = 7, .arrival_s = 2.0}}};
    sched_running_t run = {4, fake_at, &fq};
    ck_assert_uint_eq(ops->victim(&a, &run), 2);
    sched_admitter_fini(&a);
    jb_error_t je;
    cJSON *pj = cJSON_Parse("{\"watermark_fraction\": 0.1, \"preemption\": \"swap\"}");
    void *bound = plugin_bind(&ops->base, pj, &je);
    ck_assert_ptr_nonnull(bound);
    ck_assert_int_eq(sched_admitter_init(&a, ops, bound, 0, err, sizeof err), 0);
    ck_assert_uint_eq(ops->keep_free(&a, 1000), 100);
    ck_assert(ops->swap(&a));
    sched_admitter_fini(&a);
    free(bound);
    cJSON_Delete(pj);
    /* fcfs reserves the whole request and never preempts. */
    const sched_admit_ops_t *f = sched_admit_find("fcfs");
    ck_assert_int_eq(sched_admitter_init(&a, f, NULL, 0, err, sizeof err), 0);
    ck_assert_uint_eq(f->reserve(&a, &r), 6);
    ck_assert_ptr_null(f->victim);
    sched_admitter_fini(&a);
}
END_TEST

/* The figures of one cache replay with the given --write value, wall time left out. */
static char *cache_rows(const char *write)
{
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "cache", tu_fixture("golden/agentic-24.jsonl.gz"), "--policy", "lru", "--tiers",
                           "G1=300b,G2=*", "--capacity", "1500b", "--write", write, NULL);
    ck_assert_msg(rc == 0, "--write %s: %s", write, err ? err : "");
    free(err);
    char *wall = strrchr(out, ','); /* csv: wall_s is the last column */
    ck_assert_ptr_nonnull(wall);
    *wall = '\0';
    return out;
}

START_TEST(cache_write_names_and_aliases)
{
    static const char *const pairs[][2] = {{"write-back", "back"}, {"write-through", "through"}};
    for (int k = 0; k < 2; k++) {
        char *a = cache_rows(pairs[k][0]), *b = cache_rows(pairs[k][1]);
        ck_assert_str_eq(a, b);
        ck_assert_msg(strstr(a, pairs[k][0]), "%s", a);
        free(a);
        free(b);
    }
    char *s = cache_rows("selective");
    free(s);
    char *err = NULL;
    ck_assert_int_eq(tu_run_kvtwin(NULL, &err, "cache", tu_fixture("golden/agentic-24.jsonl.gz"), "--policy", "lru",
                                   "--capacity", "100b", "--write", "sideways", NULL),
                     2);
    ck_assert_msg(strstr(err, "write-back, write-through, selective") && strstr(err, "sideways"), "%s", err);
    free(err);
}
END_TEST

static Suite *axes_suite(void)
{
    Suite *s = suite_create("policy_axes");
    TCase *tc = tcase_create("registries");
    tcase_add_loop_test(tc, registries, 0, (int)cfg_policy_axis_count());
    tcase_add_test(tc, policies_command_lists_every_axis);
    tcase_add_test(tc, cache_write_names_and_aliases);
    suite_add_tcase(s, tc);
    TCase *tf = tcase_create("fetch");
    tcase_add_loop_test(tf, fetch_never_exceeds_prefix, 0, (int)kv_fetch_axis.count);
    suite_add_tcase(s, tf);
    TCase *tr = tcase_create("routing");
    tcase_add_loop_test(tr, routers_valid_and_deterministic, 0, (int)sched_route_axis.count);
    suite_add_tcase(s, tr);
    TCase *ta = tcase_create("admission");
    tcase_add_loop_test(ta, admission_picks_inside_the_queue, 0, (int)sched_admit_axis.count);
    tcase_add_test(ta, paged_admission_rules);
    suite_add_tcase(s, ta);
    return s;
}

int main(void)
{
    return tu_run_suite(axes_suite());
}
