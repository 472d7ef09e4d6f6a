/* The synthetic generator: its defaults are what the fit computes from the shared traces; a round trip
 * gen -> native file -> stats --fit recovers the generator's parameters within sampling error (bands of
 * 4 standard errors, derived below); output is deterministic by seed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "testutil.h"
#include "workloads/reader.h"
#include "workloads/script.h"
#include "workloads/source.h"
#include "workloads/stats.h"
#include "workloads/synth.h"

static void feed(wl_fit_t *fit, const char *path)
{
    wl_stream_opts_t o = {0};
    o.reader.bucket_s = 3;
    o.reader.default_block_tokens = 64;
    wl_stream_t *s;
    char err[512];
    ck_assert_msg(wl_stream_open(&s, path, &o, err, sizeof err) == 0, "%s", err);
    wl_stats_t *st = wl_stats_new(!wl_stream_reader(s)->whole_conversations);
    wl_request_t r = {0};
    wl_sess_info_t info;
    int rc;
    while ((rc = wl_stream_next(s, &r, &info, err, sizeof err)) == WL_REC_OK)
        ck_assert_int_eq(wl_stats_add(st, &r, &info, path), 0);
    ck_assert_msg(rc == WL_REC_EOF, "%s", err);
    wl_fit_add(fit, st);
    wl_stats_free(st);
    wl_request_free(&r);
    wl_stream_close(s);
}

/* Every fitted parameter equals the shipped default: the defaults are the fit, not hand-tuned. */
START_TEST(defaults_are_the_fit)
{
    wl_fit_t *fit = wl_fit_new();
    feed(fit, tu_shared("traces/mooncake/conversation_trace.jsonl"));
    feed(fit, tu_shared("traces/kv-cache-tester"));
    cJSON *j = wl_fit_json(fit);
    wl_synth_cfg_t d;
    wl_synth_defaults(&d);
    cJSON *dj = cJSON_CreateObject();
#define D(k) cJSON_AddNumberToObject(dj, #k, (double)d.k)
    D(session_rate_per_s);
    D(arrival_cv);
    D(turns_mean);
    D(turns_max);
    D(system_prompt_tokens);
    D(initial_context_tokens_median);
    D(initial_context_sigma);
    D(growth_tokens_median);
    D(growth_sigma);
    D(output_tokens_median);
    D(output_sigma);
    D(think_s_median);
    D(think_sigma);
    D(subagent_prob);
    D(subagent_fanout_mean);
    D(subagent_turns_mean);
    D(max_context_tokens);
    D(block_tokens);
    D(user_turn_prob);
    D(tool_s_median);
    D(tool_sigma);
    D(subagent_prompt_tokens);
    D(subagent_spawn_s);
    D(api_base_s);
    D(api_s_per_input_token);
    D(api_s_per_output_token);
#undef D
    int n = 0;
    for (const cJSON *it = j->child; it; it = it->next, n++) {
        const cJSON *dv = cJSON_GetObjectItemCaseSensitive(dj, it->string);
        ck_assert_msg(dv != NULL, "fitted %s is not a generator parameter", it->string);
        ck_assert_msg(fabs(dv->valuedouble - it->valuedouble) <= 1e-9 * fabs(it->valuedouble),
                      "default %s = %.10g, the fit gives %.10g", it->string, dv->valuedouble, it->valuedouble);
    }
    ck_assert_int_eq(n, 26); /* all but the run length (sessions, duration_s) */
    cJSON_Delete(dj);
    cJSON_Delete(j);
    wl_fit_free(fit);
}
END_TEST

static double fitted(const cJSON *fit, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(fit, key);
    ck_assert_msg(v && cJSON_IsNumber(v), "%s was not fitted", key);
    return v->valuedouble;
}

/* |fit - want| <= 4 standard errors. */
static void near(const cJSON *fit, const char *key, double want, double se)
{
    double got = fitted(fit, key);
    ck_assert_msg(fabs(got - want) <= 4 * se, "%s: fitted %g, generated with %g (4 SE = %g)", key, got, want, 4 * se);
}

START_TEST(gen_read_stats_round_trip)
{
    const char *dir = tu_scratch_dir("roundtrip");
    char path[1024];
    snprintf(path, sizeof path, "%s/gen.jsonl.gz", dir);
    const double sessions = 1500, rate = 0.5, cv = 1.5, turns = 12, ctx = 2000, ctx_sig = 1, growth = 300,
                 growth_sig = 1.2, out = 200, out_sig = 0.8, think = 60, think_sig = 1.5, tool = 8, tool_sig = 1,
                 user = 0.2, sub = 0.03, fan = 2.5, sub_turns = 6;
    char set[1024];
    snprintf(set, sizeof set,
             "session_rate_per_s=%g,arrival_cv=%g,turns_mean=%g,turns_max=1000,initial_context_tokens_median=%g,"
             "initial_context_sigma=%g,growth_tokens_median=%g,growth_sigma=%g,output_tokens_median=%g,output_sigma=%g,"
             "think_s_median=%g,think_sigma=%g,tool_s_median=%g,tool_sigma=%g,user_turn_prob=%g,subagent_prob=%g,"
             "subagent_fanout_mean=%g,subagent_turns_mean=%g,max_context_tokens=1e7,system_prompt_tokens=3000,"
             "subagent_prompt_tokens=1000,subagent_spawn_s=0.25,api_base_s=0.5,api_s_per_input_token=1e-5,"
             "api_s_per_output_token=0.02",
             rate, cv, turns, ctx, ctx_sig, growth, growth_sig, out, out_sig, think, think_sig, tool, tool_sig, user,
             sub, fan, sub_turns);
    char *o = NULL, *e = NULL;
    ck_assert_int_eq(tu_run_kvtwin(&o, &e, "gen", "-o", path, "--seed", "11", "--sessions", "1500", "--set", set, NULL),
                     0);
    free(o);
    free(e);
    ck_assert_int_eq(tu_run_kvtwin(&o, &e, "trace", "stats", "--fit", "--json", path, NULL), 0);
    cJSON *root = cJSON_Parse(o);
    ck_assert_ptr_nonnull(root);
    free(o);
    free(e);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, "fit");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "inputs"), 0), "stats");
    double n_main = cJSON_GetObjectItemCaseSensitive(st, "main_requests")->valuedouble;
    double n_subs = cJSON_GetObjectItemCaseSensitive(st, "subagents")->valuedouble;
    double n_forks = cJSON_GetObjectItemCaseSensitive(st, "forks")->valuedouble;
    ck_assert_double_eq(cJSON_GetObjectItemCaseSensitive(st, "sessions")->valuedouble, sessions);
    /* Standard errors: a geometric count with mean m has sd sqrt(m(m-1)); a lognormal median's log has
     * SE sigma/sqrt(n) (so the median's relative SE is about that); a sample sd's SE is about
     * sigma/sqrt(2n); a proportion's SE is sqrt(p(1-p)/n). Gamma gaps: the mean's relative SE is cv/sqrt(n);
     * the sample CV's relative SE is taken as 2/sqrt(n) (its fourth moment is large for cv > 1). */
    near(f, "session_rate_per_s", rate, rate * cv / sqrt(sessions));
    near(f, "arrival_cv", cv, cv * 2 / sqrt(sessions));
    near(f, "turns_mean", turns, sqrt(turns * (turns - 1)) / sqrt(sessions));
    near(f, "initial_context_tokens_median", ctx, ctx * ctx_sig / sqrt(sessions));
    near(f, "initial_context_sigma", ctx_sig, ctx_sig / sqrt(2 * sessions));
    double n_growth = n_main - sessions - n_forks;
    near(f, "growth_tokens_median", growth, growth * growth_sig / sqrt(n_growth));
    near(f, "growth_sigma", growth_sig, growth_sig / sqrt(2 * n_growth));
    near(f, "output_tokens_median", out, out * out_sig / sqrt(n_main));
    /* Outputs are rounded to whole tokens, which shaves a little off the log spread: allow 1 %. */
    near(f, "output_sigma", out_sig, out_sig / sqrt(2 * n_main) + 0.0025);
    double n_user = n_growth * user, n_tool = n_growth * (1 - user);
    near(f, "think_s_median", think, think * think_sig / sqrt(n_user));
    near(f, "think_sigma", think_sig, think_sig / sqrt(2 * n_user));
    near(f, "tool_s_median", tool, tool * tool_sig / sqrt(n_tool));
    near(f, "tool_sigma", tool_sig, tool_sig / sqrt(2 * n_tool));
    near(f, "user_turn_prob", user, sqrt(user * (1 - user) / n_growth));
    near(f, "subagent_prob", sub, sqrt(sub * (1 - sub) / (n_main - sessions)));
    near(f, "subagent_fanout_mean", fan, sqrt(fan - 1) / sqrt(n_forks));
    near(f, "subagent_turns_mean", sub_turns, sqrt(sub_turns * (sub_turns - 1)) / sqrt(n_subs));
    /* Constants come back exactly (up to the 4 significant digits of the fit, and 1 us time stamps). */
    ck_assert_double_eq(fitted(f, "system_prompt_tokens"), 3000);
    ck_assert_double_eq(fitted(f, "subagent_prompt_tokens"), 1000);
    ck_assert_double_eq_tol(fitted(f, "subagent_spawn_s"), 0.25, 1e-9);
    ck_assert_double_eq_tol(fitted(f, "api_base_s"), 0.5, 0.5e-3);
    ck_assert_double_eq_tol(fitted(f, "api_s_per_input_token"), 1e-5, 1e-8);
    ck_assert_double_eq_tol(fitted(f, "api_s_per_output_token"), 0.02, 2e-5);
    ck_assert_double_eq(fitted(f, "block_tokens"), 64);
    cJSON_Delete(root);
}
END_TEST

START_TEST(gen_is_deterministic)
{
    const char *dir = tu_scratch_dir("det");
    char a[1024], b[1024], c[1024];
    snprintf(a, sizeof a, "%s/a.jsonl", dir);
    snprintf(b, sizeof b, "%s/b.jsonl", dir);
    snprintf(c, sizeof c, "%s/c.jsonl", dir);
    const char *set = "turns_mean=8,subagent_prob=0.05";
    ck_assert_int_eq(tu_run_kvtwin(NULL, NULL, "gen", "-o", a, "--seed", "5", "--sessions", "60", "--set", set, NULL),
                     0);
    ck_assert_int_eq(tu_run_kvtwin(NULL, NULL, "gen", "-o", b, "--seed", "5", "--sessions", "60", "--set", set, NULL),
                     0);
    ck_assert_int_eq(tu_run_kvtwin(NULL, NULL, "gen", "-o", c, "--seed", "6", "--sessions", "60", "--set", set, NULL),
                     0);
    size_t la, lb, lc;
    char *ta = tu_read_file(a, &la), *tb = tu_read_file(b, &lb), *tc = tu_read_file(c, &lc);
    ck_assert(la > 1000);
    ck_assert(la == lb && memcmp(ta, tb, la) == 0);
    ck_assert(la != lc || memcmp(ta, tc, la) != 0);
    /* The header records the generator and its parameters. */
    ck_assert_ptr_nonnull(strstr(ta, "\"kvtwin_native\":1"));
    ck_assert_ptr_nonnull(strstr(ta, "\"seed\":5"));
    ck_assert_ptr_nonnull(strstr(ta, "\"turns_mean\":8"));
    free(ta);
    free(tb);
    free(tc);
    /* Bad parameters: exit 2, nothing written. */
    char *o = NULL, *e = NULL;
    snprintf(a, sizeof a, "%s/bad.jsonl", dir);
    ck_assert_int_eq(tu_run_kvtwin(&o, &e, "gen", "-o", a, "--set", "turns_mean=0.5", NULL), 2);
    ck_assert_msg(strstr(e, "turns_mean") != NULL, "%s", e);
    ck_assert(!tu_file_exists(a));
    free(o);
    free(e);
    ck_assert_int_eq(tu_run_kvtwin(&o, &e, "gen", "--sessions", "3", NULL), 2);
    ck_assert_ptr_nonnull(strstr(e, "-o FILE is required"));
    free(o);
    free(e);
    ck_assert_int_eq(tu_run_kvtwin(&o, &e, "gen", "--params", NULL), 0);
    ck_assert_msg(strstr(o, "  subagent_prob ") && strstr(o, "timing "), "%s", o);
    free(o);
    free(e);
}
END_TEST

/* Sessions are independent streams: session k does not change when another parameter changes the number
 * of turns of others. */
START_TEST(generator_streams_are_per_session)
{
    wl_synth_cfg_t c;
    wl_synth_defaults(&c);
    c.sessions = 4;
    wl_synth_t *g;
    char err[256];
    ck_assert_int_eq(wl_synth_open(&g, &c, 3, err, sizeof err), 0);
    struct wl_script *s[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(wl_synth_next(g, &s[i]), 1);
    struct wl_script *none;
    ck_assert_int_eq(wl_synth_next(g, &none), 0);
    wl_synth_close(g);
    c.arrival_cv = 3; /* changes the arrival stream only */
    ck_assert_int_eq(wl_synth_open(&g, &c, 3, err, sizeof err), 0);
    for (int i = 0; i < 4; i++) {
        struct wl_script *t;
        ck_assert_int_eq(wl_synth_next(g, &t), 1);
        wl_request_t a = {0}, b = {0};
        wl_ctx_t ca = {0}, cb = {0};
        ck_assert_uint_eq(t->n_turns, s[i]->n_turns);
        for (uint32_t k = 0; k < t->n_turns; k++) {
            ck_assert_int_eq(wl_script_fill(t, k, &ca, &a), 0);
            ck_assert_int_eq(wl_script_fill(s[i], k, &cb, &b), 0);
            ck_assert_uint_eq(a.input_tokens, b.input_tokens);
            ck_assert_uint_eq(a.n_blocks, b.n_blocks);
            ck_assert_uint_eq(a.block_ids[a.n_blocks - 1], b.block_ids[b.n_blocks - 1]);
        }
        if (i > 0)
            ck_assert(t->start_s != s[i]->start_s);
        wl_request_free(&a);
        wl_request_free(&b);
        wl_ctx_free(&ca);
        wl_ctx_free(&cb);
        wl_script_free(t);
        wl_script_free(s[i]);
    }
    wl_synth_close(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("synth");
    TCase *tc = tcase_create("synth");
    tcase_add_test(tc, defaults_are_the_fit);
    tcase_add_test(tc, gen_read_stats_round_trip);
    tcase_add_test(tc, gen_is_deterministic);
    tcase_add_test(tc, generator_streams_are_per_session);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
