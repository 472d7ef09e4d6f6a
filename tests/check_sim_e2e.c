/* End-to-end runs of the kvtwin binary on tiny scenarios: deterministic (same seed, byte-identical
 * summary), conserving (requests, tokens and joules add up), and the Mooncake replay's hit rate against
 * an independent count from the trace. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hdf5.h>
#include <hdf5_hl.h>

#include "sim/kv/policy.h"
#include "testutil.h"

static double num(const cJSON *j, const char *a, const char *b, const char *c)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, a);
    if (b)
        x = x ? cJSON_GetObjectItemCaseSensitive(x, b) : NULL;
    if (c)
        x = x ? cJSON_GetObjectItemCaseSensitive(x, c) : NULL;
    ck_assert_msg(x && cJSON_IsNumber(x), "summary lacks %s.%s.%s", a, b ? b : "", c ? c : "");
    return x->valuedouble;
}

static cJSON *run_summary(const char *scenario, const char *out, const char *set1, const char *set2, char **text_out)
{
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", scenario, "--out", out, "--quiet", "--set",
                           set1 ? set1 : "sim.drain=true", "--set", set2 ? set2 : "sim.drain=true", NULL);
    ck_assert_msg(rc == 0, "kvtwin run failed (%d): %s", rc, err);
    free(err);
    char path[1024];
    snprintf(path, sizeof path, "%s/summary.json", out);
    char *text = tu_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    cJSON *j = cJSON_Parse(text);
    ck_assert_ptr_nonnull(j);
    if (text_out)
        *text_out = text;
    else
        free(text);
    return j;
}

static void check_conservation(const cJSON *s)
{
    double arrived = num(s, "requests", "arrived", NULL);
    ck_assert(arrived > 0);
    ck_assert_double_eq(arrived, num(s, "requests", "completed", NULL) + num(s, "requests", "rejected", NULL) +
                                     num(s, "requests", "unfinished", NULL));
    double in = num(s, "tokens_completed_requests", "input", NULL);
    ck_assert_double_eq_tol(
        in, num(s, "tokens_completed_requests", "reused", NULL) + num(s, "tokens_completed_requests", "computed", NULL),
        1e-6);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(s, "energy_j");
    double sum = 0;
    for (const cJSON *c = e->child; c; c = c->next)
        if (strncmp(c->string, "total", 5) != 0)
            sum += c->valuedouble;
    double total = num(s, "energy_j", "total_it", NULL);
    ck_assert(total > 0);
    ck_assert_double_eq_tol(sum, total, total * 1e-12);
    ck_assert_double_eq_tol(num(s, "energy_j", "total_facility", NULL), total * num(s, "pue", NULL, NULL),
                            total * 1e-12);
    double busy = num(s, "gpu_time_fraction", "busy", NULL), stall = num(s, "gpu_time_fraction", "stall", NULL);
    double idle = num(s, "gpu_time_fraction", "idle", NULL);
    ck_assert_double_eq_tol(busy + stall + idle, 1.0, 1e-9);
    ck_assert(busy > 0);
    /* TTFT splits into queueing, waiting for KV loads and prefill, exactly, request by request (so in the
     * means); E2E adds decode. */
    double ttft = num(s, "latency_s", "ttft", "mean"), e2e = num(s, "latency_s", "e2e", "mean");
    double parts = num(s, "latency_s", "queue", "mean") + num(s, "latency_s", "kv_wait", "mean") +
                   num(s, "latency_s", "prefill", "mean");
    ck_assert_double_eq_tol(parts, ttft, 1e-9 * ttft + 1e-12);
    ck_assert_double_eq_tol(ttft + num(s, "latency_s", "decode", "mean"), e2e, 1e-9 * e2e + 1e-12);
    ck_assert(num(s, "latency_s", "queue", "p50") >= 0 && num(s, "latency_s", "kv_wait", "p99") >= 0);
    /* Utilisation: achieved FLOPs and HBM bytes over the pod's peak, in (0, 1]. */
    double mfu = num(s, "utilisation", "compute", NULL), hbm = num(s, "utilisation", "hbm_bandwidth", NULL);
    ck_assert_msg(mfu > 0 && mfu <= 1 && hbm > 0 && hbm <= 1, "utilisation %g / %g", mfu, hbm);
}

START_TEST(same_seed_same_summary)
{
    const char *dir = tu_scratch_dir("e2e");
    char a[1024], b[1024];
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    char *ta, *tb;
    const char *scen = tu_fixture("scenarios/tiny-synthetic.json");
    cJSON *ja = run_summary(scen, a, NULL, NULL, &ta);
    cJSON *jb = run_summary(scen, b, NULL, NULL, &tb);
    ck_assert_str_eq(ta, tb);
    ck_assert(strstr(ta, "\"kvtwin_version\"") && strstr(ta, "\"simgrid_version\"") && strstr(ta, "\"seed\""));
    check_conservation(ja);
    /* A different seed gives a different workload. */
    char c[1024];
    snprintf(c, sizeof c, "%s/c", dir);
    char *err = NULL;
    ck_assert_int_eq(tu_run_kvtwin(NULL, &err, "run", scen, "--out", c, "--quiet", "--seed", "8", NULL), 0);
    free(err);
    snprintf(c, sizeof c, "%s/c/summary.json", dir);
    char *tc = tu_read_file(c, NULL);
    cJSON *jc = cJSON_Parse(tc);
    ck_assert(num(jc, "tokens_completed_requests", "input", NULL) !=
              num(ja, "tokens_completed_requests", "input", NULL));
    free(ta);
    free(tb);
    free(tc);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    cJSON_Delete(jc);
}
END_TEST

START_TEST(results_folder_contents)
{
    const char *dir = tu_scratch_dir("e2e");
    char out[1024];
    snprintf(out, sizeof out, "%s/run", dir);
    cJSON *j = run_summary(tu_fixture("scenarios/tiny-synthetic.json"), out, NULL, NULL, NULL);
    const char *files[] = {"summary.json", "run.h5", "scenario.json", "platform.xml"};
    for (size_t i = 0; i < 4; i++) {
        char p[1100];
        snprintf(p, sizeof p, "%s/%s", out, files[i]);
        ck_assert_msg(tu_file_exists(p), "missing %s", p);
    }
    ck_assert_int_eq(tu_dir_entries(dir), 1); /* no temporary folder left behind */
    /* run.h5: one row per request, the time series at the scenario's interval, five tiers, provenance. */
    char h5[1100];
    snprintf(h5, sizeof h5, "%s/run.h5", out);
    hid_t f = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert(f >= 0);
    hsize_t rows = 0;
    hid_t ds = H5Dopen2(f, "requests", H5P_DEFAULT);
    ck_assert(ds >= 0);
    hid_t sp = H5Dget_space(ds);
    H5Sget_simple_extent_dims(sp, &rows, NULL);
    ck_assert_uint_eq(rows, (hsize_t)num(j, "requests", "arrived", NULL));
    H5Sclose(sp);
    H5Dclose(ds);
    double interval = 0, sim_end = num(j, "window", "simulated_end_s", NULL);
    ck_assert(H5LTget_attribute_double(f, "timeseries", "interval_s", &interval) >= 0);
    ck_assert_double_eq(interval, 1.0);
    ds = H5Dopen2(f, "timeseries", H5P_DEFAULT);
    sp = H5Dget_space(ds);
    H5Sget_simple_extent_dims(sp, &rows, NULL);
    ck_assert_uint_eq(rows, (hsize_t)ceil(sim_end / interval));
    H5Sclose(sp);
    H5Dclose(ds);
    ds = H5Dopen2(f, "tiers", H5P_DEFAULT);
    sp = H5Dget_space(ds);
    H5Sget_simple_extent_dims(sp, &rows, NULL);
    ck_assert_uint_eq(rows, 5);
    H5Sclose(sp);
    H5Dclose(ds);
    const char *attrs[] = {"scenario", "kvtwin_version", "simgrid_version"};
    for (int a = 0; a < 3; a++) {
        char value[65536];
        ck_assert_msg(H5LTget_attribute_string(f, "/", attrs[a], value) >= 0, "attribute %s", attrs[a]);
        ck_assert(strlen(value) > 0);
    }
    unsigned long seed = 0;
    ck_assert(H5LTget_attribute_ulong(f, "/", "seed", &seed) >= 0);
    ck_assert_uint_eq(seed, 7);
    H5Fclose(f);
    /* The resolved scenario loads again as a scenario and gives the same run. */
    char resolved[1100], again[1100];
    snprintf(resolved, sizeof resolved, "%s/scenario.json", out);
    snprintf(again, sizeof again, "%s/again", dir);
    cJSON *k = run_summary(resolved, again, NULL, NULL, NULL);
    ck_assert_double_eq(num(j, "throughput", "output_tokens_per_s", NULL),
                        num(k, "throughput", "output_tokens_per_s", NULL));
    cJSON_Delete(j);
    cJSON_Delete(k);
}
END_TEST

START_TEST(prefetch_stages_queued_requests)
{
    /* A small G2 pushes blocks down to G4 and a batch of two makes requests queue: with prefetching, their
     * G4 blocks are staged into G2 while they wait, as background transfers. */
    const char *dir = tu_scratch_dir("e2e");
    char out[1024];
    snprintf(out, sizeof out, "%s/pf", dir);
    char *err = NULL;
    int rc =
        tu_run_kvtwin(NULL, &err, "run", tu_fixture("scenarios/tiny-synthetic.json"), "--out", out, "--quiet", "--set",
                      "kv.g4.enabled=true", "--set", "kv.g2.capacity_bytes=5e8", "--set", "kv.g1.capacity_bytes=3e9",
                      "--set", "deployment.max_batch_seqs=2", "--set", "kv.prefetch=\"queued\"", NULL);
    ck_assert_msg(rc == 0, "%s", err);
    free(err);
    char path[1100];
    snprintf(path, sizeof path, "%s/summary.json", out);
    char *text = tu_read_file(path, NULL);
    cJSON *j = cJSON_Parse(text);
    ck_assert(num(j, "transfers", "prefetch_bytes", NULL) > 0);
    ck_assert(num(j, "transfers", "writeback_bytes", NULL) > 0);
    check_conservation(j);
    cJSON_Delete(j);
    free(text);
}
END_TEST

START_TEST(every_online_policy_runs_timed)
{
    /* Each registered policy that needs no future references serves G1 and G2 of a timed run; small tiers
     * make it evict. */
    const char *dir = tu_scratch_dir("e2e");
    for (size_t i = 0; i < kv_policy_count(); i++) {
        const kv_policy_ops_t *ops = kv_policy_at(i);
        if (ops->needs_next_use)
            continue;
        char out[1024], g1[96], g2[96];
        snprintf(out, sizeof out, "%s/%s", dir, ops->base.name);
        snprintf(g1, sizeof g1, "kv.g1.policy=\"%s\"", ops->base.name);
        snprintf(g2, sizeof g2, "kv.g2.policy=\"%s\"", ops->base.name);
        char *err = NULL;
        int rc = tu_run_kvtwin(NULL, &err, "run", tu_fixture("scenarios/tiny-synthetic.json"), "--out", out, "--quiet",
                               "--set", g1, "--set", g2, "--set", "kv.g1.capacity_bytes=3e9", "--set",
                               "kv.g2.capacity_bytes=2e9", NULL);
        ck_assert_msg(rc == 0, "%s: %s", ops->base.name, err);
        free(err);
        char path[1100];
        snprintf(path, sizeof path, "%s/summary.json", out);
        char *text = tu_read_file(path, NULL);
        cJSON *j = cJSON_Parse(text);
        check_conservation(j);
        ck_assert_msg(num(j, "requests", "completed", NULL) > 0, "%s completed nothing", ops->base.name);
        cJSON_Delete(j);
        free(text);
    }
}
END_TEST

/* Infinite-cache prefix hits of the first n Mooncake requests, counted straight from the trace. */
static void mooncake_ideal(int n, double *hit_tokens, double *input_tokens, double *output_tokens)
{
    char *text = tu_read_file(tu_shared("traces/mooncake/conversation_trace.jsonl"), NULL);
    ck_assert_ptr_nonnull(text);
    size_t cap = 1 << 20;
    unsigned char *seen = calloc(cap, 1);
    *hit_tokens = *input_tokens = *output_tokens = 0;
    char *line = text;
    for (int i = 0; i < n; i++) {
        char *end = strchr(line, '\n');
        *end = '\0';
        cJSON *j = cJSON_Parse(line);
        double in = cJSON_GetObjectItem(j, "input_length")->valuedouble;
        const cJSON *ids = cJSON_GetObjectItem(j, "hash_ids");
        int k = 0;
        bool run = true;
        for (const cJSON *id = ids->child; id; id = id->next) {
            size_t h = (size_t)id->valuedouble;
            ck_assert(h < cap);
            if (run && seen[h])
                k++;
            else
                run = false;
            seen[h] = 1;
        }
        *hit_tokens += fmin(k * 512.0, in);
        *input_tokens += in;
        *output_tokens += cJSON_GetObjectItem(j, "output_length")->valuedouble;
        cJSON_Delete(j);
        line = end + 1;
    }
    free(seen);
    free(text);
}

START_TEST(mooncake_hit_rate_matches_trace)
{
    double hit, in, out;
    mooncake_ideal(500, &hit, &in, &out);
    const char *dir = tu_scratch_dir("e2e");
    char path[1024], set[1200];
    snprintf(path, sizeof path, "%s/stretched", dir);
    snprintf(set, sizeof set, "workload.path=\"%s\"", tu_shared("traces/mooncake/conversation_trace.jsonl"));
    /* Arrivals stretched 1000x: each request finishes before the next arrives, as the count assumes. */
    cJSON *j = run_summary(tu_fixture("scenarios/mooncake-500.json"), path, set, "workload.time_scale=1000", NULL);
    ck_assert_double_eq(num(j, "requests", "completed", NULL), 500);
    ck_assert_double_eq_tol(num(j, "hit_rate", "found_token_weighted", NULL), hit / in, 1e-12);
    ck_assert_double_eq(num(j, "tokens_completed_requests", "input", NULL), in);
    ck_assert_double_eq(num(j, "tokens_completed_requests", "output", NULL), out);
    check_conservation(j);
    /* At the trace's own pace, requests of one bucket race for the same prefix, and a follow-up turn may
     * be admitted while its predecessor is still prefilling: never more hits. */
    snprintf(path, sizeof path, "%s/paced", dir);
    cJSON *k = run_summary(tu_fixture("scenarios/mooncake-500.json"), path, set, NULL, NULL);
    ck_assert(num(k, "hit_rate", "found_token_weighted", NULL) <= hit / in + 1e-12);
    ck_assert(num(k, "hit_rate", "found_token_weighted", NULL) > 0);
    ck_assert_double_eq(num(k, "tokens_completed_requests", "output", NULL), out);
    check_conservation(k);
    cJSON_Delete(j);
    cJSON_Delete(k);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sim_e2e");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, same_seed_same_summary);
    tcase_add_test(tc, results_folder_contents);
    tcase_add_test(tc, mooncake_hit_rate_matches_trace);
    tcase_add_test(tc, prefetch_stages_queued_requests);
    tcase_add_test(tc, every_online_policy_runs_timed);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
