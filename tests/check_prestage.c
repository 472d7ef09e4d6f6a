/* Session lifecycle and KV movement policies in the timed pod (issue 10): selective write-back acting on
 * session ends, the prestage policies on a hand-built two-session trace whose effect is known, and Belady in
 * a timed run against the cache-only replay. Each case runs the kvtwin binary on a short scenario. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "testutil.h"

static const cJSON *at(const cJSON *j, const char *a, const char *b, const char *c)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, a);
    if (b)
        x = x ? cJSON_GetObjectItemCaseSensitive(x, b) : NULL;
    if (c)
        x = x ? cJSON_GetObjectItemCaseSensitive(x, c) : NULL;
    ck_assert_msg(x && cJSON_IsNumber(x), "summary lacks %s.%s.%s", a, b ? b : "", c ? c : "");
    return x;
}

static double num(const cJSON *j, const char *a, const char *b, const char *c)
{
    return at(j, a, b, c)->valuedouble;
}

/* Runs scenario with up to four --set overrides (NULL ends them) and returns the parsed summary. */
static cJSON *run_sets(const char *scenario, const char *const *sets)
{
    const char *out = tu_scratch_dir("prestage-run");
    const char *args[32];
    int n = 0;
    args[n++] = "run";
    args[n++] = scenario;
    args[n++] = "--out";
    args[n++] = out;
    args[n++] = "--quiet";
    for (int i = 0; sets && sets[i] && n < 30; i++) {
        args[n++] = "--set";
        args[n++] = sets[i];
    }
    char *err = NULL;
    int rc = tu_run_kvtwin_argv(NULL, &err, n, args);
    ck_assert_msg(rc == 0, "kvtwin run %s failed (%d): %s", scenario, rc, err);
    free(err);
    cJSON *j = tu_read_summary(out);
    return j;
}

/* A short slice of the shared agentic sessions (6 of the kv-cache-tester conversations, closed loop, 10
 * minutes) on one H100 node whose G1 and G2 are small enough that blocks go down to G3. */
static const char *agentic_slice(void)
{
    const char *dir = tu_scratch_dir("prestage-in");
    char text[2048];
    snprintf(text, sizeof text,
             "{\n  \"name\": \"agentic-slice\", \"seed\": 5,\n"
             "  \"hardware\": {\"preset\": \"dgx-h100\", \"nodes\": 1},\n  \"model\": \"llama-3.1-8b\",\n"
             "  \"deployment\": {\"tp\": 8, \"max_batch_seqs\": 32},\n"
             "  \"kv\": {\"g1\": {\"capacity_bytes\": 1e10}, \"g2\": {\"enabled\": true, \"capacity_bytes\": 8e9},\n"
             "         \"g3\": {\"enabled\": true}, \"write_policy\": \"write-back\"},\n"
             "  \"workload\": {\"format\": \"auto\", \"path\": \"%s\", \"replay\": \"closed\", \"max_sessions\": 6,\n"
             "               \"context_overflow\": \"truncate\"},\n"
             "  \"sim\": {\"sample_interval_s\": 10.0, \"duration_s\": 600}\n}\n",
             tu_shared("traces/kv-cache-tester"));
    return tu_write_file(dir, "slice.json", text);
}

/* Sessions end in timed runs now (the source says which turn is a session's last), so selective write-back
 * stops writing the blocks of finished sessions down: fewer bytes than plain write-back, same requests. */
START_TEST(selective_writes_less_than_write_back)
{
    const char *scen = agentic_slice();
    const char *wb[] = {"kv.write_policy=write-back", NULL};
    const char *sel[] = {"kv.write_policy=selective", NULL};
    cJSON *a = run_sets(scen, wb), *b = run_sets(scen, sel);
    double done_a = num(a, "requests", "completed", NULL), done_b = num(b, "requests", "completed", NULL);
    ck_assert_msg(done_a > 50 && done_a == done_b, "completed %g vs %g", done_a, done_b);
    double wa = num(a, "transfers", "writeback_bytes", NULL), wbytes = num(b, "transfers", "writeback_bytes", NULL);
    ck_assert_msg(wa > 0 && wbytes < 0.97 * wa, "selective wrote %g bytes, write-back %g", wbytes, wa);
    cJSON_Delete(a);
    cJSON_Delete(b);
}
END_TEST

/* The hand-built case (tests/fixtures/scenarios/prestage-two.json): session 1's 10 blocks leave the 24-block
 * G1 while it thinks (two one-turn sessions take it); its next turn reuses them. Without prestage they load
 * from G2; with a policy that works they are back in G1 when the turn arrives: no load, no KV wait. */
typedef struct outcome {
    double g1, g2;       /* token-weighted hit by tier */
    double load_g2;      /* bytes loaded from G2 */
    double prefetch;     /* bytes prestaged */
    double kv_wait_mean; /* s */
    double stall;        /* GPU time fraction stalled on KV */
    double completed;
    double g3;
} outcome_t;

/* With a G2 of 16 blocks and G3 on (g3 = true), the other sessions push session 1's context down to G3. */
static outcome_t run_case_g3(const char *workload, const char *prefetch, const char *params, bool g3)
{
    char pf[64], pp[256], wl[1024];
    snprintf(pf, sizeof pf, "kv.prefetch=%s", prefetch);
    snprintf(pp, sizeof pp, "kv.prefetch_params=%s", params ? params : "{}");
    snprintf(wl, sizeof wl, "workload.path=%s", tu_fixture(workload));
    /* without g3 the list ends at wl: the fixture scenario as it is */
    const char *sets[] = {pf, pp, wl, g3 ? "kv.g2.capacity_bytes=16777216" : NULL, "kv.g3.enabled=true", NULL};
    cJSON *j = run_sets(tu_fixture("scenarios/prestage-two.json"), sets);
    outcome_t o = {
        .g1 = num(j, "hit_rate", "by_tier_token_weighted", "G1"),
        .g2 = num(j, "hit_rate", "by_tier_token_weighted", "G2"),
        .load_g2 = num(j, "transfers", "load_bytes_by_source_tier", "G2"),
        .prefetch = num(j, "transfers", "prefetch_bytes", NULL),
        .kv_wait_mean = num(j, "latency_s", "kv_wait", "mean"),
        .stall = num(j, "gpu_time_fraction", "stall", NULL),
        .completed = num(j, "requests", "completed", NULL),
        .g3 = num(j, "hit_rate", "by_tier_token_weighted", "G3"),
    };
    cJSON_Delete(j);
    return o;
}

static outcome_t run_case(const char *workload, const char *prefetch, const char *params)
{
    return run_case_g3(workload, prefetch, params, false);
}

#define TWO "workloads/prestage_two.jsonl"
#define FORK "workloads/prestage_fork.jsonl"

/* The baseline the others are measured against: the reused context comes from G2, and the GPU waits. */
static void expect_loaded(const outcome_t *o, const char *what)
{
    ck_assert_msg(o->g2 > 0.2 && o->g1 < 0.05 && o->load_g2 > 0 && o->kv_wait_mean > 0 && o->stall > 0,
                  "%s: G1 %g G2 %g loaded %g wait %g stall %g", what, o->g1, o->g2, o->load_g2, o->kv_wait_mean,
                  o->stall);
}

/* The next turn found its whole context in G1: nothing loaded, no KV stall at all. */
static void expect_in_g1(const outcome_t *o, double completed, const char *what)
{
    ck_assert_msg(o->completed == completed, "%s: %g requests completed", what, o->completed);
    ck_assert_msg(o->g1 > 0.2 && o->g2 == 0 && o->load_g2 == 0, "%s: G1 %g G2 %g loaded %g", what, o->g1, o->g2,
                  o->load_g2);
    ck_assert_msg(o->kv_wait_mean == 0 && o->stall == 0, "%s: wait %g stall %g", what, o->kv_wait_mean, o->stall);
}

START_TEST(next_turn_and_oracle_bring_the_context_back)
{
    outcome_t none = run_case(TWO, "none", NULL);
    expect_loaded(&none, "none");
    ck_assert(none.prefetch == 0);
    /* The oracle knows the next arrival: the stall is zero. */
    outcome_t orc = run_case(TWO, "oracle", NULL);
    expect_in_g1(&orc, none.completed, "oracle");
    ck_assert(orc.prefetch > 0);
    /* Next-turn with a gap guess (20 s) shorter than the 30 s think time but after the other sessions ran. */
    outcome_t nt = run_case(TWO, "next-turn", "{\"gap_init_s\": 20}");
    expect_in_g1(&nt, none.completed, "next-turn");
    ck_assert_double_eq(nt.prefetch, orc.prefetch);
    /* A wrong guess shows: staged at 1 s, before the other sessions pushed the context out, it moves nothing
     * useful and the next turn loads from G2 as without prestage. */
    outcome_t early = run_case(TWO, "next-turn", "{\"gap_init_s\": 1}");
    expect_loaded(&early, "next-turn staged too early");
    /* Sub-agent aware prestage leaves sessions that never fork alone. */
    outcome_t sa = run_case(TWO, "subagent", NULL);
    ck_assert(sa.prefetch == 0);
    expect_loaded(&sa, "subagent without forks");
}
END_TEST

START_TEST(ttl_pin_holds_the_context)
{
    /* Held in G1 for the TTL (30 s until gaps are learned; the 10-block reload is cheap, so the reload
     * threshold is lowered to let it pin): the other sessions evict each other instead. */
    outcome_t ttl = run_case(TWO, "ttl-pin", "{\"min_reload_s\": 0, \"ttl_init_s\": 60}");
    expect_in_g1(&ttl, 4, "ttl-pin");
    ck_assert(ttl.prefetch == 0); /* it moves nothing: it only keeps */
    /* A TTL shorter than the think time lets the context go before the turn comes back. */
    outcome_t short_ttl = run_case(TWO, "ttl-pin", "{\"min_reload_s\": 0, \"ttl_init_s\": 1}");
    expect_loaded(&short_ttl, "ttl-pin with a 1 s TTL");
    /* With the default threshold the reload (about a millisecond) is too cheap to pin. */
    outcome_t cheap = run_case(TWO, "ttl-pin", NULL);
    expect_loaded(&cheap, "ttl-pin of a cheap context");
}
END_TEST

START_TEST(subagent_stages_the_parent)
{
    /* Session 1 forks one sub-agent whose 22 blocks push the parent's out of G1; the parent resumes 10 s
     * after the sub-agent finishes. */
    outcome_t none = run_case(FORK, "none", NULL);
    expect_loaded(&none, "none (fork)");
    outcome_t sa = run_case(FORK, "subagent", "{\"lookahead\": 0}");
    expect_in_g1(&sa, none.completed, "subagent");
    outcome_t orc = run_case(FORK, "oracle", NULL);
    expect_in_g1(&orc, none.completed, "oracle (fork)");
}
END_TEST

/* Belady in a timed run takes its next uses from the trace's future order (sim/core/future.c). With the
 * Mooncake requests spread out (time x 1000: one in flight at a time, so neither concurrency nor bandwidth
 * changes what is cached) the timed run finds exactly the hits of the cache-only replay, for Belady and LRU
 * alike, and Belady beats LRU. */
START_TEST(belady_timed_equals_cache_only)
{
    char *out = NULL, *err = NULL;
    const char *trace = tu_shared("traces/mooncake/conversation_trace.jsonl");
    int rc = tu_run_kvtwin(&out, &err, "cache", trace, "--policy", "belady,lru", "--capacity", "2000b",
                           "--max-requests", "500", "--format", "json", NULL);
    ck_assert_msg(rc == 0, "kvtwin cache: %s", err);
    cJSON *cache = cJSON_Parse(out);
    ck_assert_ptr_nonnull(cache);
    free(out);
    free(err);
    const char *pol[] = {"belady", "lru"};
    double found[2];
    for (int k = 0; k < 2; k++) {
        char cap[64], p1[64];
        snprintf(cap, sizeof cap, "kv.g1.capacity_bytes=%.0f", 2000.0 * 512 * 65536); /* 2000 blocks */
        snprintf(p1, sizeof p1, "kv.g1.policy=%s", pol[k]);
        const char *sets[] = {
            cap, p1, "kv.g2.enabled=false", "workload.time_scale=1000", "sim.drain=true", "kv.fetch=always", NULL};
        cJSON *j = run_sets(tu_fixture("scenarios/mooncake-500.json"), sets);
        found[k] =
            num(j, "hit_rate", "found_token_weighted", NULL) * num(j, "tokens_completed_requests", "input", NULL);
        ck_assert_double_eq(num(j, "requests", "completed", NULL), 500);
        cJSON_Delete(j);
        const cJSON *row = cJSON_GetArrayItem(cache, k);
        ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(row, "policy")->valuestring, pol[k]);
        double want = cJSON_GetObjectItemCaseSensitive(row, "hit_tokens")->valuedouble;
        ck_assert_msg(fabs(found[k] - want) < 0.5, "%s: timed run found %.1f tokens, cache-only %.0f", pol[k], found[k],
                      want);
    }
    ck_assert_msg(found[0] > 2 * found[1], "Belady %g vs LRU %g", found[0], found[1]);
    cJSON_Delete(cache);
}
END_TEST

/* kvtwin compare on the hand-built case: the oracle combination first, the baseline added, every table,
 * plot and the summary written; the oracle's stall is zero and next-turn beats LRU without prestage. */
START_TEST(compare_writes_table_plots_and_summary)
{
    const char *out = tu_scratch_dir("prestage-compare");
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/cmp", out);
    char *err = NULL;
    char wl[1024];
    snprintf(wl, sizeof wl, "workload.path=%s", tu_fixture(TWO));
    int rc = tu_run_kvtwin(NULL, &err, "compare", tu_fixture("scenarios/prestage-two.json"), "--prestage", "next-turn",
                           "--set", wl, "--params", "next-turn={\"gap_init_s\": 20}", "--jobs", "2", "--out", dir,
                           "--quiet", NULL);
    ck_assert_msg(rc == 0, "kvtwin compare failed (%d): %s", rc, err);
    free(err);
    char p[1200];
    snprintf(p, sizeof p, "%s/compare.csv", dir);
    char *csv = tu_read_file(p, NULL);
    ck_assert_ptr_nonnull(csv);
    /* header, then the oracle, the baseline, the listed combination */
    char *l1 = strchr(csv, '\n') + 1, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
    ck_assert_msg(strncmp(l1, "belady+oracle+write-through,", 28) == 0, "%s", csv);
    ck_assert_msg(strncmp(l2, "lru+none+write-through,", 23) == 0, "%s", csv);
    ck_assert_msg(strncmp(l3, "lru+next-turn+write-through,", 28) == 0, "%s", csv);
    free(csv);
    snprintf(p, sizeof p, "%s/compare-summary.txt", dir);
    char *sum = tu_read_file(p, NULL);
    ck_assert_ptr_nonnull(sum);
    ck_assert_msg(strstr(sum, "winner: lru+next-turn+write-through") && strstr(sum, "over lru+none+write-through") &&
                      strstr(sum, "oracle bound belady+oracle+write-through"),
                  "%s", sum);
    free(sum);
    const char *files[] = {"compare.txt", "compare.gp", "hit_by_tier.dat", "study.json", NULL};
    for (int i = 0; files[i]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        ck_assert_msg(tu_file_exists(p), "%s missing", p);
    }
    /* an unknown name lists the valid ones, exit 2, nothing run */
    rc = tu_run_kvtwin(NULL, &err, "compare", tu_fixture("scenarios/prestage-two.json"), "--evict", "lru,nope", "--out",
                       dir, NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(err, "\"nope\"") && strstr(err, "marconi, lpc, belady"), "%s", err);
    free(err);
    /* the oracle bound on a workload without sessions: refused before anything runs */
    rc = tu_run_kvtwin(NULL, &err, "compare", tu_fixture("scenarios/mooncake-500.json"), "--out", dir, NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(err, "without sessions") && strstr(err, "--no-oracle"), "%s", err);
    free(err);
}
END_TEST

/* The published policies' parameters do something, and marconi without its FLOP term is LRU exactly (the
 * first 3,000 requests of the agentic sessions, 200K tokens of G1). */
static double cache_hit(const char *policy, const char *params)
{
    char *out = NULL, *err = NULL;
    int rc =
        params ? tu_run_kvtwin(&out, &err, "cache", tu_shared("traces/kv-cache-tester"), "--policy", policy, "--params",
                               params, "--capacity", "2e5", "--max-requests", "3000", "--format", "json", NULL)
               : tu_run_kvtwin(&out, &err, "cache", tu_shared("traces/kv-cache-tester"), "--policy", policy,
                               "--capacity", "2e5", "--max-requests", "3000", "--format", "json", NULL);
    ck_assert_msg(rc == 0, "kvtwin cache %s: %s", policy, err);
    cJSON *j = cJSON_Parse(out);
    double h = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(j, 0), "hit_tokens")->valuedouble;
    cJSON_Delete(j);
    free(out);
    free(err);
    return h;
}

START_TEST(marconi_and_lpc_parameters_matter)
{
    double lru = cache_hit("lru", NULL);
    ck_assert_double_eq(cache_hit("marconi", "alpha=0"), lru);
    ck_assert(cache_hit("marconi", NULL) != lru);
    ck_assert(cache_hit("marconi", "window_s=600") != cache_hit("marconi", NULL));
    double lpc = cache_hit("lpc", NULL);
    ck_assert(lpc != lru);
    ck_assert(cache_hit("lpc", "horizon_s=1") != lpc);
    ck_assert(cache_hit("lpc", "prior_weight=100") != lpc);
    ck_assert(cache_hit("lpc", "min_gap_s=30") != lpc);
}
END_TEST

/* Staged into G2 (tier "g2") when the context fell to G3: the next turn loads it from G2, not G3. */
START_TEST(prestage_into_g2)
{
    outcome_t none = run_case_g3(TWO, "none", NULL, true);
    ck_assert_msg(none.g3 > 0.2 && none.g2 == 0 && none.g1 == 0, "none: G1 %g G2 %g G3 %g", none.g1, none.g2, none.g3);
    outcome_t nt = run_case_g3(TWO, "next-turn", "{\"tier\": \"g2\", \"gap_init_s\": 20}", true);
    ck_assert_msg(nt.g2 > 0.2 && nt.g3 == 0 && nt.g1 == 0 && nt.prefetch > 0, "next-turn g2: G1 %g G2 %g G3 %g", nt.g1,
                  nt.g2, nt.g3);
    ck_assert_msg(nt.kv_wait_mean < none.kv_wait_mean / 4, "wait %g vs %g", nt.kv_wait_mean, none.kv_wait_mean);
    outcome_t orc = run_case_g3(TWO, "oracle", "{\"tier\": \"g2\"}", true);
    ck_assert_msg(orc.g2 > 0.2 && orc.g3 == 0, "oracle g2: G2 %g G3 %g", orc.g2, orc.g3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("prestage");
    /* Ten cache replays or timed runs per case: minutes under the sanitizers (scripts/test.sh --sanitize). */
    TCase *tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, selective_writes_less_than_write_back);
    suite_add_tcase(s, tc);
    TCase *tb = tcase_create("belady");
    tcase_set_timeout(tb, 600);
    tcase_add_test(tb, belady_timed_equals_cache_only);
    tcase_add_test(tb, marconi_and_lpc_parameters_matter);
    suite_add_tcase(s, tb);
    TCase *tp = tcase_create("prestage");
    tcase_set_timeout(tp, 600);
    tcase_add_test(tp, next_turn_and_oracle_bring_the_context_back);
    tcase_add_test(tp, ttl_pin_holds_the_context);
    tcase_add_test(tp, subagent_stages_the_parent);
    tcase_add_test(tp, prestage_into_g2);
    tcase_add_test(tp, compare_writes_table_plots_and_summary);
    suite_add_tcase(s, tp);
    return tu_run_suite(s);
}
