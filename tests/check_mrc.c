/* Miss-ratio curves (sim/kv/mrc.h): the one-pass LRU curve against full LRU replays at several
 * capacities, in the counting mode it claims to be exact for: blocks counting at every capacity, prefix
 * counting where every request fits the cache and no block is cached after a missed one (checked on the
 * Mooncake trace, whose prefix-chained ids never violate it); the violation counter on ids that are not
 * chained; spatial sampling at rate 1 is the full replay; the CLI's --mrc and --sample. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sim/kv/mrc.h"
#include "sim/kv/policy.h"
#include "sim/kv/replay.h"
#include "sim/kv/write.h"
#include "testutil.h"

static void replay_lru(const kv_trace_t *t, uint64_t cap, int count, kv_replay_result_t *r)
{
    kv_cfg_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.tier[KV_G1].enabled = true;
    cfg.tier[KV_G1].capacity_blocks = cap;
    cfg.tier[KV_G1].policy = kv_policy_find("lru");
    cfg.write = kv_write_default();
    kv_replay_opts_t o;
    memset(&o, 0, sizeof o);
    o.count = count;
    char err[256];
    ck_assert_msg(kv_replay_run(t, &cfg, &o, r, err, sizeof err) == 0, "%s", err);
}

static void same(const kv_mrc_t *m, const kv_trace_t *t, uint64_t cap, int count, const char *what)
{
    kv_replay_result_t a, b;
    replay_lru(t, cap, count, &a);
    kv_mrc_at(m, cap, &b);
    ck_assert_msg(a.hit_blocks == b.hit_blocks && a.hit_tokens == b.hit_tokens && a.too_big == b.too_big,
                  "%s, %s counting, %llu blocks: replay %llu blocks %llu tokens %llu too big, one pass %llu %llu %llu",
                  what, kv_count_name(count), (unsigned long long)cap, (unsigned long long)a.hit_blocks,
                  (unsigned long long)a.hit_tokens, (unsigned long long)a.too_big, (unsigned long long)b.hit_blocks,
                  (unsigned long long)b.hit_tokens, (unsigned long long)b.too_big);
    ck_assert_double_eq_tol(a.req_hit_sum, b.req_hit_sum, 1e-9 * (1 + a.req_hit_sum));
}

/* Requests of 1 to 12 blocks over a skewed id space, partial last blocks, repeated ids inside requests. */
static void random_trace(kv_trace_t *t)
{
    kv_trace_init(t);
    uint64_t x = 17, ids[16];
    for (int r = 0; r < 4000; r++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint32_t n = 1 + (uint32_t)(x % 12);
        for (uint32_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            ids[i] = x % 3 ? x % 50 : 1000 + x % 4000;
        }
        kv_trace_add(t, ids, n, n * 16 - (uint32_t)(x % 9), 16, UINT64_MAX, r);
    }
    kv_trace_finish(t);
}

static void mooncake_trace(kv_trace_t *t, int nreq)
{
    kv_trace_init(t);
    FILE *f = fopen(tu_shared("traces/mooncake/conversation_trace.jsonl"), "r");
    ck_assert(f != NULL);
    static char line[1 << 16];
    uint64_t ids[4096];
    for (int r = 0; r < nreq && fgets(line, sizeof line, f); r++) {
        cJSON *j = cJSON_Parse(line);
        ck_assert(j != NULL);
        uint32_t n = 0;
        const cJSON *id;
        cJSON_ArrayForEach(id, cJSON_GetObjectItem(j, "hash_ids")) ids[n++] = (uint64_t)id->valuedouble;
        kv_trace_add(t, ids, n, (uint32_t)cJSON_GetObjectItem(j, "input_length")->valuedouble, 512, UINT64_MAX, r);
        cJSON_Delete(j);
    }
    fclose(f);
    kv_trace_finish(t);
}

START_TEST(blocks_counting_exact_everywhere)
{
    kv_trace_t t;
    random_trace(&t);
    kv_mrc_t m;
    kv_mrc_lru(&t, KV_COUNT_BLOCKS, &m);
    const uint64_t caps[] = {1, 2, 3, 7, 40, 51, 300, 2000, 4100, 100000};
    for (size_t k = 0; k < sizeof caps / sizeof *caps; k++)
        same(&m, &t, caps[k], KV_COUNT_BLOCKS, "random");
    kv_mrc_free(&m);
    kv_trace_free(&t);
    mooncake_trace(&t, 3000);
    kv_mrc_lru(&t, KV_COUNT_BLOCKS, &m);
    const uint64_t mc[] = {1, 10, 100, 1000, 5000, 20000, 80000};
    for (size_t k = 0; k < sizeof mc / sizeof *mc; k++)
        same(&m, &t, mc[k], KV_COUNT_BLOCKS, "mooncake");
    kv_mrc_free(&m);
    kv_trace_free(&t);
}
END_TEST

START_TEST(prefix_counting_exact_where_claimed)
{
    kv_trace_t t;
    mooncake_trace(&t, 3000);
    kv_mrc_t m;
    kv_mrc_lru(&t, KV_COUNT_PREFIX, &m);
    ck_assert_uint_eq(m.stack_violations, 0);
    const uint64_t caps[] = {m.max_blocks, 500, 1000, 5000, 20000, 80000};
    for (size_t k = 0; k < sizeof caps / sizeof *caps; k++)
        same(&m, &t, caps[k], KV_COUNT_PREFIX, "mooncake");
    kv_mrc_free(&m);
    kv_trace_free(&t);
}
END_TEST

/* Ids that are not prefix-chained: [1 2] then [3 2]: 2 is cached after the miss of 3. */
START_TEST(prefix_violations_counted)
{
    kv_trace_t t;
    kv_trace_init(&t);
    uint64_t a[] = {1, 2}, b[] = {3, 2};
    kv_trace_add(&t, a, 2, 32, 16, UINT64_MAX, 0);
    kv_trace_add(&t, b, 2, 32, 16, UINT64_MAX, 1);
    kv_trace_finish(&t);
    kv_mrc_t m;
    kv_mrc_lru(&t, KV_COUNT_PREFIX, &m);
    ck_assert_uint_eq(m.stack_violations, 1);
    ck_assert_uint_eq(m.max_blocks, 2);
    kv_replay_result_t r;
    kv_mrc_at(&m, 10, &r);
    ck_assert_uint_eq(r.hit_blocks, 0);
    kv_mrc_free(&m);
    kv_trace_free(&t);
}
END_TEST

START_TEST(sample_rate_one_is_the_trace)
{
    kv_trace_t t, s;
    random_trace(&t);
    double cov;
    kv_trace_sample(&t, 1.0, &s, &cov);
    ck_assert_uint_eq(s.nreq, t.nreq);
    ck_assert_uint_eq(s.off[s.nreq], t.off[t.nreq]);
    ck_assert_double_eq_tol(cov, 1.0, 1e-12);
    kv_trace_t h;
    kv_trace_sample(&t, 0.25, &h, &cov);
    ck_assert(h.off[h.nreq] > t.off[t.nreq] / 8 && h.off[h.nreq] < t.off[t.nreq] / 2);
    kv_trace_free(&h);
    kv_trace_free(&s);
    kv_trace_free(&t);
}
END_TEST

static cJSON *run_json(const char **args, int nargs)
{
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin_argv(&out, &err, nargs, args);
    ck_assert_msg(rc == 0, "kvtwin failed: %s", err);
    cJSON *j = cJSON_Parse(out);
    ck_assert(j != NULL);
    free(out);
    free(err);
    return j;
}

static double jn(const cJSON *row, const char *k)
{
    const cJSON *x = cJSON_GetObjectItem(row, k);
    ck_assert_msg(cJSON_IsNumber(x), "missing %s", k);
    return x->valuedouble;
}

/* kvtwin cache --mrc: the exact curve equals the replays (blocks counting), --sample 1 equals the full
 * replay for another policy, and the knobs that cannot apply are refused. */
START_TEST(cli_mrc)
{
    const char *trace = tu_fixture("golden/agentic-24.jsonl.gz");
    const char *a[] = {"cache",    trace,  "--policy", "lru", "--capacity", "50b,500b,3000b", "--count", "blocks",
                       "--format", "json", NULL,       NULL,  NULL};
    cJSON *rep = run_json(a, 10);
    a[10] = "--mrc";
    cJSON *mrc = run_json(a, 11);
    for (int k = 0; k < 3; k++) {
        const cJSON *x = cJSON_GetArrayItem(rep, k), *y = cJSON_GetArrayItem(mrc, k);
        ck_assert_double_eq(jn(x, "hit_tokens"), jn(y, "hit_tokens"));
        ck_assert_double_eq(jn(x, "hit_blocks"), jn(y, "hit_blocks"));
        ck_assert_str_eq(cJSON_GetObjectItem(y, "mrc")->valuestring, "exact");
    }
    cJSON_Delete(rep);
    cJSON_Delete(mrc);
    a[3] = "s3fifo";
    rep = run_json(a, 10);
    a[11] = "--sample";
    a[12] = "1";
    cJSON *smp = run_json((const char **)a, 13);
    for (int k = 0; k < 3; k++)
        ck_assert_double_eq(jn(cJSON_GetArrayItem(rep, k), "hit_tokens"), jn(cJSON_GetArrayItem(smp, k), "hit_tokens"));
    cJSON_Delete(rep);
    cJSON_Delete(smp);

    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "cache", trace, "--policy", "lru", "--mrc", "--sample", "0.1", NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(err, "--count blocks"), "%s", err);
    free(out);
    free(err);
    rc = tu_run_kvtwin(&out, &err, "cache", trace, "--policy", "lru", "--mrc", "--tiers", "G1=*,G2=1e6", NULL);
    ck_assert_int_eq(rc, 2);
    free(out);
    free(err);
    rc = tu_run_kvtwin(&out, &err, "cache", trace, "--policy", "lru", "--capacity", "1e5", "--sample", "0.5", NULL);
    ck_assert_int_eq(rc, 2);
    free(out);
    free(err);
    /* --mrc without --capacity: 40 capacities from 1 block to every block. */
    rc = tu_run_kvtwin(&out, &err, "cache", trace, "--policy", "lru", "--mrc", NULL);
    ck_assert_int_eq(rc, 0);
    int lines = 0;
    for (const char *c = out; *c; c++)
        lines += *c == '\n';
    ck_assert_int_eq(lines, 41);
    free(out);
    free(err);
}
END_TEST

static Suite *mrc_suite(void)
{
    Suite *s = suite_create("mrc");
    TCase *tc = tcase_create("mrc");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, blocks_counting_exact_everywhere);
    tcase_add_test(tc, prefix_counting_exact_where_claimed);
    tcase_add_test(tc, prefix_violations_counted);
    tcase_add_test(tc, sample_rate_one_is_the_trace);
    tcase_add_test(tc, cli_mrc);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(mrc_suite());
}
