/* End-to-end runs of the kvtwin binary on tiny scenarios: deterministic (same seed, byte-identical
 * summary), conserving (requests, tokens and joules add up), and the Mooncake replay's hit rate against
 * an independent count from the trace. */
#define _POSIX_C_SOURCE 200809L /* setenv, strdup */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <hdf5.h>
#include <hdf5_hl.h>

#include "sim/kv/policy.h"
#include "testutil.h"

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
    double arrived = tu_num(s, "requests", "arrived", NULL);
    ck_assert(arrived > 0);
    ck_assert_double_eq(arrived, tu_num(s, "requests", "completed", NULL) + tu_num(s, "requests", "rejected", NULL) +
                                     tu_num(s, "requests", "unfinished", NULL));
    double in = tu_num(s, "tokens_completed_requests", "input", NULL);
    ck_assert_double_eq_tol(in,
                            tu_num(s, "tokens_completed_requests", "reused", NULL) +
                                tu_num(s, "tokens_completed_requests", "computed", NULL),
                            1e-6);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(s, "energy_j");
    double sum = 0;
    for (const cJSON *c = e->child; c; c = c->next)
        if (strncmp(c->string, "total", 5) != 0)
            sum += c->valuedouble;
    double total = tu_num(s, "energy_j", "total_it", NULL);
    ck_assert(total > 0);
    ck_assert_double_eq_tol(sum, total, total * 1e-12);
    ck_assert_double_eq_tol(tu_num(s, "energy_j", "total_facility", NULL), total * tu_num(s, "pue", NULL, NULL),
                            total * 1e-12);
    double busy = tu_num(s, "gpu_time_fraction", "busy", NULL), stall = tu_num(s, "gpu_time_fraction", "stall", NULL);
    double idle = tu_num(s, "gpu_time_fraction", "idle", NULL);
    ck_assert_double_eq_tol(busy + stall + idle, 1.0, 1e-9);
    ck_assert(busy > 0);
    /* TTFT splits into queueing, waiting for KV loads and prefill, exactly, request by request (so in the
     * means); E2E adds decode. */
    double ttft = tu_num(s, "latency_s", "ttft", "mean"), e2e = tu_num(s, "latency_s", "e2e", "mean");
    double parts = tu_num(s, "latency_s", "queue", "mean") + tu_num(s, "latency_s", "kv_wait", "mean") +
                   tu_num(s, "latency_s", "prefill", "mean");
    ck_assert_double_eq_tol(parts, ttft, 1e-9 * ttft + 1e-12);
    ck_assert_double_eq_tol(ttft + tu_num(s, "latency_s", "decode", "mean"), e2e, 1e-9 * e2e + 1e-12);
    ck_assert(tu_num(s, "latency_s", "queue", "p50") >= 0 && tu_num(s, "latency_s", "kv_wait", "p99") >= 0);
    /* Utilisation: achieved FLOPs and HBM bytes over the pod's peak, in (0, 1]. */
    double mfu = tu_num(s, "utilisation", "compute", NULL), hbm = tu_num(s, "utilisation", "hbm_bandwidth", NULL);
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
    ck_assert(tu_num(jc, "tokens_completed_requests", "input", NULL) !=
              tu_num(ja, "tokens_completed_requests", "input", NULL));
    free(ta);
    free(tb);
    free(tc);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    cJSON_Delete(jc);
}
END_TEST

/* kvtwin's heap on huge pages (main.c) is a hint to the kernel: the same bytes out with and without it. */
START_TEST(huge_pages_change_no_result)
{
    const char *dir = tu_scratch_dir("e2e");
    char a[1024], b[1024];
    snprintf(a, sizeof a, "%s/huge-default", dir);
    snprintf(b, sizeof b, "%s/huge-off", dir);
    const char *scen = tu_fixture("scenarios/tiny-synthetic.json");
    const char *tunables = getenv("GLIBC_TUNABLES");
    char *saved = tunables ? strdup(tunables) : NULL;
    unsetenv("GLIBC_TUNABLES");
    char *ta, *tb;
    cJSON *ja = run_summary(scen, a, NULL, NULL, &ta);
    setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0", 1);
    cJSON *jb = run_summary(scen, b, NULL, NULL, &tb);
    if (saved)
        setenv("GLIBC_TUNABLES", saved, 1);
    else
        unsetenv("GLIBC_TUNABLES");
    free(saved);
    ck_assert_str_eq(ta, tb);
    char pa[1100], pb[1100];
    snprintf(pa, sizeof pa, "%s/run.h5", a);
    snprintf(pb, sizeof pb, "%s/run.h5", b);
    size_t na = 0, nb = 0;
    char *ha = tu_read_file(pa, &na), *hb = tu_read_file(pb, &nb);
    ck_assert(ha && hb && na > 0);
    ck_assert_msg(na == nb && memcmp(ha, hb, na) == 0, "run.h5 differs with and without huge pages");
    free(ha);
    free(hb);
    free(ta);
    free(tb);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
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
    ck_assert_uint_eq(rows, (hsize_t)tu_num(j, "requests", "arrived", NULL));
    H5Sclose(sp);
    H5Dclose(ds);
    double interval = 0, sim_end = tu_num(j, "window", "simulated_end_s", NULL);
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
    ck_assert_double_eq(tu_num(j, "throughput", "output_tokens_per_s", NULL),
                        tu_num(k, "throughput", "output_tokens_per_s", NULL));
    cJSON_Delete(j);
    cJSON_Delete(k);
}
END_TEST

/* A trace's resolved scenario loads back from its results folder, wherever that is loaded from: its trace
 * path is absolute, and the generator's section (unused by a trace) is not capped to the model's window, which
 * on OPT-13B's 2,048 tokens put it below the default prompts and failed its own check on loading. */
START_TEST(resolved_trace_scenario_loads_back)
{
    const char *dir = tu_scratch_dir("e2e");
    char first[1024], again[1024], resolved[1100], cwd[1024];
    snprintf(first, sizeof first, "%s/trace-run", dir);
    snprintf(again, sizeof again, "%s/trace-again", dir);
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(KVTWIN_FIXTURE_DIR), 0); /* the scenario named relative to the working folder */
    cJSON *a = run_summary("scenarios/prefill-first.json", first, NULL, NULL, NULL);
    ck_assert_int_eq(chdir(dir), 0);
    snprintf(resolved, sizeof resolved, "%s/scenario.json", first);
    cJSON *b = run_summary(resolved, again, NULL, NULL, NULL);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_double_eq(tu_num(a, "requests", "completed", NULL), tu_num(b, "requests", "completed", NULL));
    ck_assert_double_eq(tu_num(a, "latency_s", "ttft", "mean"), tu_num(b, "latency_s", "ttft", "mean"));
    ck_assert_double_eq(tu_num(a, "latency_s", "tpot", "mean"), tu_num(b, "latency_s", "tpot", "mean"));
    cJSON_Delete(a);
    cJSON_Delete(b);
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
    ck_assert(tu_num(j, "transfers", "prefetch_bytes", NULL) > 0);
    ck_assert(tu_num(j, "transfers", "writeback_bytes", NULL) > 0);
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
        ck_assert_msg(tu_num(j, "requests", "completed", NULL) > 0, "%s completed nothing", ops->base.name);
        cJSON_Delete(j);
        free(text);
    }
}
END_TEST

/* A run of a scenario with up to four --set overrides (NULL ends them); its summary. */
static cJSON *run_sets(const char *scenario, const char *out, const char *s1, const char *s2, const char *s3,
                       const char *s4)
{
    const char *sets[4] = {s1, s2, s3, s4};
    const char *argv[16];
    int n = 0;
    for (int i = 0; i < 4; i++) {
        argv[n++] = "--set";
        argv[n++] = sets[i] ? sets[i] : "sim.drain=true";
    }
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", scenario, "--out", out, "--quiet", argv[0], argv[1], argv[2], argv[3],
                           argv[4], argv[5], argv[6], argv[7], NULL);
    ck_assert_msg(rc == 0, "kvtwin run failed (%d): %s", rc, err);
    free(err);
    cJSON *j = tu_read_summary(out);
    return j;
}

/* Output tokens of the completed requests equal their requested outputs, and every preempted request came back:
 * nothing lost. */
static void check_no_token_lost(const cJSON *s, const char *out)
{
    static double outcome[4096], want[4096];
    size_t n = tu_h5_column(out, "requests", "output_tokens", want, 4096);
    tu_h5_column(out, "requests", "outcome", outcome, 4096);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        if (outcome[i] == 0)
            sum += want[i];
    ck_assert_double_eq(sum, tu_num(s, "tokens_completed_requests", "output", NULL));
    ck_assert_double_eq(tu_num(s, "requests", "unfinished", NULL), 0);
}

/* Paged admission on a G1 too small for the batch: requests are preempted (the latest arrival first) and
 * recompute, or swap out to G2 and back; conservation holds either way and nothing is lost. fcfs on the same
 * G1 never preempts. The same scenario step by step gives the same figures as fast-forwarded. */
START_TEST(paged_preemption_conserves)
{
    const char *dir = tu_scratch_dir("e2e");
    const char *scen = tu_fixture("scenarios/paged-small.json");
    char out[1024];
    const char *g1 = "sim.drain=true";
    snprintf(out, sizeof out, "%s/fcfs", dir);
    cJSON *f = run_sets(scen, out, g1, NULL, NULL, NULL);
    check_conservation(f);
    ck_assert_double_eq(tu_num(f, "preemption", "events", NULL), 0);
    snprintf(out, sizeof out, "%s/recompute", dir);
    cJSON *r = run_sets(scen, out, g1, "deployment.admission=\"paged\"", NULL, NULL);
    check_conservation(r);
    check_no_token_lost(r, out);
    ck_assert(tu_num(r, "preemption", "events", NULL) > 0);
    ck_assert(tu_num(r, "preemption", "recomputed_tokens", NULL) > 0);
    ck_assert_double_eq(tu_num(r, "preemption", "swaps", NULL), 0);
    ck_assert(tu_num(r, "preemption", "out_of_batch_s_mean", NULL) > 0);
    snprintf(out, sizeof out, "%s/swap", dir);
    cJSON *w = run_sets(scen, out, g1, "deployment.admission=\"paged\"",
                        "deployment.admission_params={\"preemption\": \"swap\"}", NULL);
    check_conservation(w);
    check_no_token_lost(w, out);
    ck_assert(tu_num(w, "preemption", "swaps", NULL) > 0);
    ck_assert(tu_num(w, "preemption", "swap_bytes", NULL) > 0);
    /* Without a G2 a swap cannot happen: it recomputes. */
    snprintf(out, sizeof out, "%s/swap-nog2", dir);
    cJSON *x = run_sets(scen, out, g1, "deployment.admission=\"paged\"",
                        "deployment.admission_params={\"preemption\": \"swap\"}", "kv.g2.enabled=false");
    check_conservation(x);
    ck_assert_double_eq(tu_num(x, "preemption", "swaps", NULL), 0);
    ck_assert(tu_num(x, "preemption", "events", NULL) > 0);
    /* Growing ahead in a fast-forward gives what growing step by step gives. */
    snprintf(out, sizeof out, "%s/step", dir);
    cJSON *st = run_sets(scen, out, "sim.fast_forward=false", "deployment.admission=\"paged\"", NULL, NULL);
    ck_assert_double_eq(tu_num(st, "preemption", "events", NULL), tu_num(r, "preemption", "events", NULL));
    double tps = tu_num(r, "throughput", "output_tokens_per_s", NULL);
    ck_assert_double_eq_tol(tu_num(st, "throughput", "output_tokens_per_s", NULL), tps, 1e-9 * tps);
    ck_assert(tps > tu_num(f, "throughput", "output_tokens_per_s", NULL)); /* a fuller batch than fcfs */
    cJSON_Delete(st);
    /* The watermark changes admissions. */
    snprintf(out, sizeof out, "%s/wm", dir);
    cJSON *m = run_sets(scen, out, g1, "deployment.admission=\"paged\"",
                        "deployment.admission_params={\"watermark_fraction\": 0.3}", NULL);
    check_conservation(m);
    ck_assert(tu_num(m, "latency_s", "queue", "mean") != tu_num(r, "latency_s", "queue", "mean"));
    cJSON_Delete(f);
    cJSON_Delete(r);
    cJSON_Delete(w);
    cJSON_Delete(x);
    cJSON_Delete(m);
}
END_TEST

/* The hand-built stall case: request 1 computes 16 blocks on instance 0 (write-through copies them to G2);
 * request 2 arrives on instance 1 (round robin) with the same 16 blocks and one more, and loads the 16 from G2
 * with nothing else to run. The pod's stall time is exactly its KV wait, which is the route latency plus
 * 16 x 256 tokens x 64 KiB / the instance's four host links (DRAM is faster). Layer-wise loading starts its
 * prefill at once: no KV wait, and the iteration's stall is the load's excess over the compute plus a layer. */
START_TEST(stall_two_requests)
{
    const char *dir = tu_scratch_dir("e2e");
    const char *scen = tu_fixture("scenarios/stall-two.json");
    char out[1024];
    snprintf(out, sizeof out, "%s/blocking", dir);
    cJSON *b = run_sets(scen, out, NULL, NULL, NULL, NULL);
    double admit[4], ready[4], first[4];
    ck_assert_uint_eq(tu_h5_column(out, "requests", "admit_s", admit, 4), 2);
    tu_h5_column(out, "requests", "ready_s", ready, 4);
    tu_h5_column(out, "requests", "first_token_s", first, 4);
    double len = tu_num(b, "window", "length_s", NULL);
    double stall_s = tu_num(b, "gpu_time_fraction", "stall", NULL) * 2 * len;
    double kv_wait = ready[1] - admit[1];
    ck_assert_double_eq_tol(stall_s, kv_wait, 1e-9);
    char *hw = tu_read_file(tu_fixture("../../configs/hardware/dgx-h100.json"), NULL);
    cJSON *h = cJSON_Parse(hw);
    const cJSON *gpu = cJSON_GetObjectItem(h, "gpu");
    double bw = 4 * cJSON_GetObjectItem(gpu, "host_link_bandwidth_byte_s")->valuedouble;
    double lat = cJSON_GetObjectItem(gpu, "host_link_latency_s")->valuedouble;
    double want = 16.0 * 256 * 65536 / bw;
    ck_assert_msg(kv_wait >= want && kv_wait <= want + lat + 1e-5, "KV wait %g s, expected %g s + latency", kv_wait,
                  want);
    ck_assert_double_eq_tol(tu_num(b, "gpu_time_fraction", "busy", NULL) +
                                tu_num(b, "gpu_time_fraction", "stall", NULL) +
                                tu_num(b, "gpu_time_fraction", "idle", NULL),
                            1, 1e-12);
    snprintf(out, sizeof out, "%s/layerwise", dir);
    cJSON *l = run_sets(scen, out, "kv.load_overlap=\"layerwise\"", NULL, NULL, NULL);
    tu_h5_column(out, "requests", "admit_s", admit, 4);
    tu_h5_column(out, "requests", "ready_s", ready, 4);
    double first_l[4];
    tu_h5_column(out, "requests", "first_token_s", first_l, 4);
    ck_assert_double_eq(ready[1], admit[1]);
    ck_assert(first_l[1] - admit[1] < first[1] - admit[1]); /* TTFT shorter: the load overlaps the prefill */
    double stall_l = tu_num(l, "gpu_time_fraction", "stall", NULL) * 2 * tu_num(l, "window", "length_s", NULL);
    ck_assert(stall_l < stall_s);
    check_conservation(l);
    cJSON_Delete(h);
    free(hw);
    cJSON_Delete(b);
    cJSON_Delete(l);
}
END_TEST

/* One iteration's time (s) from kvtwin model-time on the fixture's instance (OPT-13B, one A100, BF16). */
static double model_time_s(const char *shape1, const char *arg1, const char *shape2, const char *arg2)
{
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "model-time", "--hw", "dgx-a100", "--model", "opt-13b", shape1, arg1,
                           shape2 ? shape2 : "--tp", shape2 ? arg2 : "1", NULL);
    ck_assert_msg(rc == 0, "model-time failed (%d): %s", rc, err);
    const char *t = strstr(out, "  time ");
    ck_assert_ptr_nonnull(t);
    double ms = strtod(t + 7, NULL);
    free(out);
    free(err);
    return ms * 1e-3;
}

/* deployment.batching on the hand-built case: request 1 (512 in, 64 out) decodes alone when request 2 (512 in,
 * 2 out) arrives. mixed: request 2's prefill shares an iteration with request 1's decode (512 prefill tokens +
 * one decode); prefill-first: it runs alone for exactly a 512-token prefill's time and request 1 gets no token
 * in it, so request 1's decode lasts longer by that prefill-only step plus one decode step less the mixed
 * step's time (the context of request 1 then is about 530 tokens: the model's answer moves by nanoseconds per
 * token of context). TPOT is the decode time over the output tokens after the first, stalls included. */
START_TEST(prefill_first_stalls_decodes)
{
    const char *dir = tu_scratch_dir("e2e");
    const char *scen = tu_fixture("scenarios/prefill-first.json");
    double span[2], pre2[2], tpot1[2];
    for (int m = 0; m < 2; m++) {
        char out[1024];
        snprintf(out, sizeof out, "%s/batching-%d", dir, m);
        cJSON *s = run_sets(scen, out, m ? "deployment.batching=\"prefill-first\"" : NULL, NULL, NULL, NULL);
        check_conservation(s);
        ck_assert_double_eq(tu_num(s, "requests", "completed", NULL), 2);
        double id[4], ready[4], first[4], done[4], tpot[4];
        ck_assert_uint_eq(tu_h5_column(out, "requests", "id", id, 4), 2);
        tu_h5_column(out, "requests", "ready_s", ready, 4);
        tu_h5_column(out, "requests", "first_token_s", first, 4);
        tu_h5_column(out, "requests", "done_s", done, 4);
        tu_h5_column(out, "requests", "tpot_s", tpot, 4);
        int a = id[0] < id[1] ? 0 : 1, b = 1 - a; /* request 1 was read first */
        span[m] = done[a] - first[a];
        tpot1[m] = tpot[a];
        pre2[m] = first[b] - ready[b];
        ck_assert(ready[b] > first[a] && ready[b] < done[a]); /* request 2 came while request 1 decoded */
        cJSON_Delete(s);
    }
    double t_pre = model_time_s("--prefill", "512", NULL, NULL);
    double t_dec = model_time_s("--decode", "1@530", NULL, NULL);
    double t_mix = model_time_s("--prefill", "512", "--decode", "1@530");
    ck_assert_msg(fabs(pre2[1] - t_pre) < 2e-6, "prefill-first: request 2's prefill %g s, a prefill-only step %g s",
                  pre2[1], t_pre);
    ck_assert_msg(fabs(pre2[0] - t_mix) < 1e-5, "mixed: request 2's prefill %g s, the mixed step %g s", pre2[0], t_mix);
    double want = t_pre + t_dec - t_mix;
    ck_assert_msg(want > 0.01 && fabs(span[1] - span[0] - want) < 1e-4,
                  "request 1's decode: %g s mixed, %g s prefill-first; expected %g s more", span[0], span[1], want);
    ck_assert_double_eq_tol(tpot1[1], span[1] / 63, 1e-12);
    ck_assert(tpot1[1] > tpot1[0]);
}
END_TEST

/* --replicates 3: three seeds, each a complete run folder, and replicates.json with the mean and the 95 %
 * t-interval (t(0.975, 2) = 4.3027) of every figure, recomputed here from the three summaries. */
START_TEST(replicates_mean_and_interval)
{
    const char *dir = tu_scratch_dir("e2e");
    char out[1024];
    snprintf(out, sizeof out, "%s/rep", dir);
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", tu_fixture("scenarios/tiny-synthetic.json"), "--out", out, "--quiet",
                           "--replicates", "3", "--seed", "4", NULL);
    ck_assert_msg(rc == 0, "%s", err);
    free(err);
    double v[3];
    for (int k = 0; k < 3; k++) {
        char p[1100];
        snprintf(p, sizeof p, "%s/seed-%d/summary.json", out, 4 + k);
        char *t = tu_read_file(p, NULL);
        ck_assert_msg(t != NULL, "missing %s", p);
        cJSON *j = cJSON_Parse(t);
        ck_assert_double_eq(tu_num(j, "seed", NULL, NULL), 4 + k);
        v[k] = tu_num(j, "throughput", "output_tokens_per_s", NULL);
        cJSON_Delete(j);
        free(t);
    }
    char p[1100];
    snprintf(p, sizeof p, "%s/replicates.json", out);
    char *t = tu_read_file(p, NULL);
    cJSON *r = cJSON_Parse(t);
    ck_assert_double_eq(tu_num(r, "replicates", NULL, NULL), 3);
    const cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "metrics"), "throughput.output_tokens_per_s");
    ck_assert_ptr_nonnull(m);
    double mean = (v[0] + v[1] + v[2]) / 3, ss = 0;
    for (int k = 0; k < 3; k++)
        ss += (v[k] - mean) * (v[k] - mean);
    double half = 4.302653 * sqrt(ss / 2) / sqrt(3);
    ck_assert_double_eq_tol(tu_num(m, "mean", NULL, NULL), mean, 1e-9 * mean);
    ck_assert_double_eq_tol(tu_num(m, "ci95_half_width", NULL, NULL), half, 1e-5 * half);
    ck_assert(half > 0);
    cJSON_Delete(r);
    free(t);
    /* A bad count is a usage error. */
    ck_assert_int_eq(
        tu_run_kvtwin(NULL, NULL, "run", tu_fixture("scenarios/tiny-synthetic.json"), "--replicates", "0", NULL), 2);
}
END_TEST

/* Steady state: the MLPerf-like offline batch, whose queue drains while throughput holds, is steady in its
 * window; a load that grows its queue (one instance, sessions arriving faster than it serves) is not. */
START_TEST(steady_state_detected)
{
    const char *dir = tu_scratch_dir("e2e");
    char out[1024];
    snprintf(out, sizeof out, "%s/over", dir);
    cJSON *o = run_sets(tu_fixture("scenarios/paged-small.json"), out, "workload.synth.session_rate_per_s=20",
                        "sim.duration_s=150", "sim.drain=false", NULL);
    ck_assert_double_eq(tu_num(o, "steady_state", "steady", NULL), 0);
    ck_assert(tu_num(o, "steady_state", "queue_growth_requests", NULL) > 0);
    snprintf(out, sizeof out, "%s/offline", dir);
    cJSON *s =
        run_sets(tu_fixture("scenarios/paged-small.json"), out, "sim.warmup_s=20", "sim.duration_s=120", NULL, NULL);
    ck_assert_double_eq(tu_num(s, "steady_state", "steady", NULL), 1);
    ck_assert(tu_num(s, "steady_state", "intervals", NULL) >= 6);
    cJSON_Delete(o);
    cJSON_Delete(s);
}
END_TEST

/* Energy follows load: the same two H100 nodes for the same 60 s at 0.2 and at 4 sessions/s, with G1 and G2
 * small enough that KV spills to local NVMe and G4. Every node class draws more at the higher load: GPUs by
 * their iterations, host CPUs by the engine's cores and per-I/O work, DRAM, NICs, DPUs and SSDs by the bytes
 * and I/Os through them. */
START_TEST(energy_follows_load)
{
    const char *dir = tu_scratch_dir("e2e");
    static const char *const classes[] = {"gpu", "host_cpu", "dram", "nic", "dpu", "local_ssd"};
    static const char *const rate[2] = {"workload.synth.session_rate_per_s=0.2", "workload.synth.session_rate_per_s=4"};
    cJSON *s[2];
    for (int i = 0; i < 2; i++) {
        char out[1024];
        snprintf(out, sizeof out, "%s/load%d", dir, i);
        char *err = NULL;
        int rc = tu_run_kvtwin(NULL, &err, "run", tu_fixture("scenarios/tiny-synthetic.json"), "--out", out, "--quiet",
                               "--set", "kv.g1.capacity_bytes=3e9", "--set", "kv.g2.capacity_bytes=2e9", "--set",
                               "kv.g3.enabled=true", "--set", "kv.g3.capacity_bytes=4e9", "--set", "kv.g4.enabled=true",
                               "--set", rate[i], "--set", "sim.duration_s=60", "--set", "sim.drain=false", "--set",
                               "workload.synth.sessions=200", NULL);
        ck_assert_msg(rc == 0, "kvtwin run failed (%d): %s", rc, err);
        free(err);
        char path[1100];
        snprintf(path, sizeof path, "%s/summary.json", out);
        char *text = tu_read_file(path, NULL);
        s[i] = cJSON_Parse(text);
        free(text);
        ck_assert_ptr_nonnull(s[i]);
    }
    for (size_t c = 0; c < sizeof classes / sizeof classes[0]; c++) {
        double lo = tu_num(s[0], "energy_j", classes[c], NULL), hi = tu_num(s[1], "energy_j", classes[c], NULL);
        ck_assert_msg(hi > lo * (1 + 1e-6), "%s: %g J at 4 sessions/s, %g J at 0.2", classes[c], hi, lo);
    }
    /* The node boundary holds the node classes and the NVLink switches, not the fabric or G4. */
    double node = tu_num(s[1], "node_boundary", "energy_j", NULL), it = tu_num(s[1], "energy_j", "total_it", NULL);
    ck_assert(node < it - tu_num(s[1], "energy_j", "g4_storage", NULL));
    ck_assert_double_eq_tol(tu_num(s[1], "node_boundary", "tokens_per_joule", NULL),
                            tu_num(s[1], "throughput", "output_tokens_per_s", NULL) * 60 / node, 1e-9);
    cJSON_Delete(s[0]);
    cJSON_Delete(s[1]);
}
END_TEST

/* A GPU power cap on the MLPerf-like H100 run (FP8 Llama-2-70B, batches of hundreds: compute-bound prefill):
 * uncapped the GPUs average above 500 W; capped at 500 W they average at most that, and the pod processes
 * fewer tokens per second. */
START_TEST(power_cap_lowers_power_and_throughput)
{
    const char *dir = tu_scratch_dir("e2e");
    char out[1024];
    cJSON *s[2];
    static const char *const cap[2] = {"hardware.gpu.power_cap_w=0", "hardware.gpu.power_cap_w=500"};
    for (int i = 0; i < 2; i++) {
        snprintf(out, sizeof out, "%s/cap%d", dir, i);
        s[i] = run_sets(tu_source("configs/scenarios/mlperf-llama2-70b-h100.json"), out, cap[i],
                        "workload.synth.sessions=8192", "sim.duration_s=120", NULL);
    }
    double w0 = tu_num(s[0], "energy_j", "gpu", NULL) / (8 * tu_num(s[0], "window", "length_s", NULL));
    double w1 = tu_num(s[1], "energy_j", "gpu", NULL) / (8 * tu_num(s[1], "window", "length_s", NULL));
    ck_assert_msg(w0 > 500 && w1 <= 500 * (1 + 1e-6), "GPU power %g W uncapped, %g W capped", w0, w1);
    double t0 = tu_num(s[0], "throughput", "total_tokens_per_s", NULL),
           t1 = tu_num(s[1], "throughput", "total_tokens_per_s", NULL);
    ck_assert_msg(t1 < t0, "total tokens/s %g capped, %g uncapped", t1, t0);
    ck_assert(tu_num(s[1], "utilisation", "compute", NULL) < tu_num(s[0], "utilisation", "compute", NULL));
    cJSON_Delete(s[0]);
    cJSON_Delete(s[1]);
}
END_TEST

/* run.h5's instances table: one row per instance, whose means are the summary's pod-wide busy share and
 * utilisations; on two H100 nodes with synthetic sessions routed by affinity the instances differ. */
START_TEST(instances_table_matches_pod)
{
    const char *dir = tu_scratch_dir("e2e");
    char out[1024];
    snprintf(out, sizeof out, "%s/inst", dir);
    cJSON *s = run_sets(tu_fixture("scenarios/tiny-synthetic.json"), out, "workload.synth.session_rate_per_s=4",
                        "sim.duration_s=60", "sim.drain=false", "workload.synth.sessions=200");
    static double inst[64], busy[64], mfu[64], hbm[64], stall[64], idle[64];
    size_t n = tu_h5_column(out, "instances", "instance", inst, 64);
    ck_assert_uint_eq(n, 8); /* 2 nodes x 8 GPUs at TP2 */
    tu_h5_column(out, "instances", "busy_fraction", busy, 64);
    tu_h5_column(out, "instances", "stall_fraction", stall, 64);
    tu_h5_column(out, "instances", "idle_fraction", idle, 64);
    tu_h5_column(out, "instances", "compute_utilisation", mfu, 64);
    tu_h5_column(out, "instances", "hbm_utilisation", hbm, 64);
    double b = 0, c = 0, h = 0, lo = 1, hi = 0;
    for (size_t i = 0; i < n; i++) {
        ck_assert_double_eq(inst[i], (double)i);
        ck_assert_double_eq_tol(busy[i] + stall[i] + idle[i], 1.0, 1e-9);
        b += busy[i] / n;
        c += mfu[i] / n;
        h += hbm[i] / n;
        lo = fmin(lo, mfu[i]);
        hi = fmax(hi, mfu[i]);
    }
    ck_assert_double_eq_tol(b, tu_num(s, "gpu_time_fraction", "busy", NULL), 1e-9);
    ck_assert_double_eq_tol(c, tu_num(s, "utilisation", "compute", NULL), 1e-9);
    ck_assert_double_eq_tol(h, tu_num(s, "utilisation", "hbm_bandwidth", NULL), 1e-9);
    ck_assert_msg(hi > lo * 1.01, "instances all at MFU %g: the table does not tell them apart", lo);
    cJSON_Delete(s);
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
    ck_assert_double_eq(tu_num(j, "requests", "completed", NULL), 500);
    ck_assert_double_eq_tol(tu_num(j, "hit_rate", "found_token_weighted", NULL), hit / in, 1e-12);
    ck_assert_double_eq(tu_num(j, "tokens_completed_requests", "input", NULL), in);
    ck_assert_double_eq(tu_num(j, "tokens_completed_requests", "output", NULL), out);
    check_conservation(j);
    /* At the trace's own pace, requests of one bucket race for the same prefix, and a follow-up turn may
     * be admitted while its predecessor is still prefilling: never more hits. */
    snprintf(path, sizeof path, "%s/paced", dir);
    cJSON *k = run_summary(tu_fixture("scenarios/mooncake-500.json"), path, set, NULL, NULL);
    ck_assert(tu_num(k, "hit_rate", "found_token_weighted", NULL) <= hit / in + 1e-12);
    ck_assert(tu_num(k, "hit_rate", "found_token_weighted", NULL) > 0);
    ck_assert_double_eq(tu_num(k, "tokens_completed_requests", "output", NULL), out);
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
    tcase_add_test(tc, huge_pages_change_no_result);
    tcase_add_test(tc, resolved_trace_scenario_loads_back);
    tcase_add_test(tc, results_folder_contents);
    tcase_add_test(tc, mooncake_hit_rate_matches_trace);
    tcase_add_test(tc, prefetch_stages_queued_requests);
    tcase_add_test(tc, every_online_policy_runs_timed);
    tcase_add_test(tc, paged_preemption_conserves);
    tcase_add_test(tc, stall_two_requests);
    tcase_add_test(tc, prefill_first_stalls_decodes);
    tcase_add_test(tc, replicates_mean_and_interval);
    tcase_add_test(tc, steady_state_detected);
    tcase_add_test(tc, energy_follows_load);
    tcase_add_test(tc, power_cap_lowers_power_and_throughput);
    tcase_add_test(tc, instances_table_matches_pod);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
