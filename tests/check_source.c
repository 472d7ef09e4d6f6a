/* Workload source: config binding and defaults, open-loop Mooncake replay (bucket spreading, the real
 * trace), closed-loop synthetic sessions driven by a stand-in server, and session cap / ramp-up. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sim/base/jsonbind.h"
#include "sim/config/scenario.h"
#include "testutil.h"
#include "workloads/reader.h"
#include "workloads/source.h"

/* A stand-in server with unlimited parallelism: a request finishes service_s(req) after it arrives.
 * Drives the source the way the simulation does: next when peek <= now, complete at completion time. */
typedef struct fake_req {
    wl_request_t req;
    double done_s;
} fake_req_t;

typedef double (*service_fn)(const wl_request_t *r, void *arg);

typedef struct fake_log {
    wl_request_t *reqs; /* delivered, in order (ids copied) */
    size_t n, cap;
    double *done_s;
} fake_log_t;

static void log_add(fake_log_t *lg, const wl_request_t *r, double done)
{
    if (lg->n == lg->cap) {
        lg->cap = lg->cap ? lg->cap * 2 : 256;
        lg->reqs = realloc(lg->reqs, lg->cap * sizeof *lg->reqs);
        lg->done_s = realloc(lg->done_s, lg->cap * sizeof *lg->done_s);
    }
    memset(&lg->reqs[lg->n], 0, sizeof lg->reqs[lg->n]);
    ck_assert_int_eq(wl_request_copy(&lg->reqs[lg->n], r), 0);
    lg->done_s[lg->n] = done;
    lg->n++;
}

static void log_free(fake_log_t *lg)
{
    for (size_t i = 0; i < lg->n; i++)
        wl_request_free(&lg->reqs[i]);
    free(lg->reqs);
    free(lg->done_s);
    memset(lg, 0, sizeof *lg);
}

static void run_fake(wl_source_t *s, service_fn svc, void *arg, fake_log_t *lg)
{
    fake_req_t *fly = NULL;
    size_t nfly = 0, capfly = 0;
    double now = 0;
    char err[512];
    wl_request_t req = {0};
    for (int guard = 0; guard < 10000000; guard++) {
        double tp = wl_source_peek_time(s);
        size_t best = nfly;
        for (size_t i = 0; i < nfly; i++)
            if (best == nfly || fly[i].done_s < fly[best].done_s)
                best = i;
        double td = best < nfly ? fly[best].done_s : HUGE_VAL;
        if (isinf(tp) && isinf(td)) {
            ck_assert(wl_source_finished(s));
            break;
        }
        if (td <= tp) {
            now = td;
            wl_source_complete(s, &fly[best].req, td, td);
            wl_request_free(&fly[best].req);
            fly[best] = fly[--nfly];
            continue;
        }
        ck_assert_msg(tp >= now - 1e-9, "source went back in time: %g < %g", tp, now);
        now = tp;
        int rc = wl_source_next(s, &req, err, sizeof err);
        ck_assert_msg(rc == 1, "next: %d %s", rc, err);
        ck_assert_msg(fabs(req.arrival_s - tp) < 1e-12, "peek %g, delivered %g", tp, req.arrival_s);
        double done = req.arrival_s + svc(&req, arg);
        log_add(lg, &req, done);
        if (nfly == capfly) {
            capfly = capfly ? capfly * 2 : 64;
            fly = realloc(fly, capfly * sizeof *fly);
        }
        memset(&fly[nfly], 0, sizeof fly[nfly]);
        ck_assert_int_eq(wl_request_copy(&fly[nfly].req, &req), 0);
        fly[nfly].done_s = done;
        nfly++;
    }
    wl_request_free(&req);
    free(fly);
}

static double svc_const(const wl_request_t *r, void *arg)
{
    (void)r;
    return *(double *)arg;
}

START_TEST(config_defaults_and_binding)
{
    wl_config_t c;
    wl_config_defaults(&c);
    ck_assert_int_eq(c.format, WL_FMT_AUTO);
    ck_assert_int_eq(c.replay, WL_CLOSED_LOOP);
    ck_assert_double_eq(c.time_scale, 1.0);
    ck_assert_int_eq(c.timing, WL_TIMING_THINK_ONLY);
    ck_assert_double_eq(c.timestamp_bucket_s, 3.0);
    ck_assert(c.synth.session_rate_per_s > 0 && c.synth.turns_mean >= 1);

    cJSON *j = cJSON_Parse("{\"format\": \"mooncake\", \"path\": \"t.jsonl\", \"replay\": \"open\", "
                           "\"timing\": \"api-scaled\", \"api_scale\": 0.5, \"max_sessions\": 8, "
                           "\"synth\": {\"turns_mean\": 10, \"sessions\": 3}}");
    jb_error_t e;
    ck_assert_int_eq(jb_bind(&cfg_workload_spec, j, &c, "workload", &e), 0);
    ck_assert_int_eq(c.format, wl_format_find("mooncake"));
    ck_assert_str_eq(c.path, "t.jsonl");
    ck_assert_int_eq(c.replay, WL_OPEN_LOOP);
    ck_assert_int_eq(c.timing, WL_TIMING_API_SCALED);
    ck_assert_double_eq(c.api_scale, 0.5);
    ck_assert_uint_eq(c.max_sessions, 8);
    ck_assert_double_eq(c.synth.turns_mean, 10);
    ck_assert_uint_eq(c.synth.sessions, 3);
    cJSON *back = jb_to_json(&cfg_workload_spec, &c);
    ck_assert_str_eq(cJSON_GetObjectItem(back, "timing")->valuestring, "api-scaled");
    ck_assert_double_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(back, "synth"), "turns_mean")->valuedouble, 10);
    cJSON_Delete(back);
    cJSON_Delete(j);

    j = cJSON_Parse("{\"replay\": \"half\"}");
    ck_assert_int_eq(jb_bind(&cfg_workload_spec, j, &c, "workload", &e), -1);
    ck_assert_str_eq(e.path, "workload.replay");
    ck_assert_ptr_nonnull(strstr(e.msg, "open, closed"));
    cJSON_Delete(j);
    j = cJSON_Parse("{\"synth\": {\"turns_mean\": 50, \"turns_max\": 20}}");
    ck_assert_int_eq(jb_bind(&cfg_workload_spec, j, &c, "workload", &e), -1);
    ck_assert_ptr_nonnull(strstr(e.path, "turns_mean"));
    cJSON_Delete(j);
}
END_TEST

static wl_source_t *open_src(wl_config_t *c)
{
    wl_source_t *s;
    char err[512];
    ck_assert_msg(wl_source_open(&s, c, err, sizeof err) == 0, "open: %s", err);
    return s;
}

START_TEST(mooncake_open_loop_spreads_buckets)
{
    wl_config_t c;
    wl_config_defaults(&c);
    c.replay = WL_OPEN_LOOP;
    snprintf(c.path, sizeof c.path, "%s", tu_fixture("workloads/mooncake_small.jsonl"));
    wl_source_t *s = open_src(&c);
    wl_request_t r = {0};
    char err[256];
    const double want[] = {0, 1, 2, 3, 4.5, 6};
    const uint32_t in[] = {1000, 600, 1100, 512, 1500, 1};
    for (int i = 0; i < 6; i++) {
        ck_assert_double_eq_tol(wl_source_peek_time(s), want[i], 1e-9);
        ck_assert_int_eq(wl_source_next(s, &r, err, sizeof err), 1);
        ck_assert_double_eq_tol(r.arrival_s, want[i], 1e-9);
        ck_assert_uint_eq(r.input_tokens, in[i]);
        ck_assert_uint_eq(r.block_tokens, 512);
        ck_assert_uint_eq(r.id, (uint64_t)i);
        ck_assert_uint_eq(r.session_id, WL_NO_SESSION);
    }
    ck_assert_uint_eq(r.n_blocks, 1);
    ck_assert_uint_eq(r.block_ids[0], 4);
    ck_assert(isinf(wl_source_peek_time(s)));
    ck_assert_int_eq(wl_source_next(s, &r, err, sizeof err), 0);
    ck_assert(wl_source_finished(s));
    wl_source_counts_t k;
    wl_source_counts(s, &k);
    ck_assert_uint_eq(k.delivered, 6);
    wl_request_free(&r);
    wl_source_close(s);

    /* time_scale stretches arrivals; bucket 0 keeps ties together. */
    c.time_scale = 2;
    c.timestamp_bucket_s = 0;
    s = open_src(&c);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(wl_source_next(s, &r, err, sizeof err), 1);
    ck_assert_double_eq_tol(r.arrival_s, 9.0, 1e-9);
    wl_request_free(&r);
    wl_source_close(s);
}
END_TEST

START_TEST(gzip_is_transparent)
{
    const char *dir = tu_scratch_dir("gz");
    char path[1024];
    snprintf(path, sizeof path, "%s/t.jsonl.gz", dir);
    size_t len;
    char *text = tu_read_file(tu_fixture("workloads/mooncake_small.jsonl"), &len);
    gzFile gz = gzopen(path, "wb");
    ck_assert_int_eq(gzwrite(gz, text, (unsigned)len), (int)len);
    gzclose(gz);
    free(text);
    wl_config_t c;
    wl_config_defaults(&c);
    c.replay = WL_OPEN_LOOP;
    snprintf(c.path, sizeof c.path, "%s", path);
    wl_source_t *s = open_src(&c);
    wl_request_t r = {0};
    char err[256];
    int n = 0;
    while (wl_source_next(s, &r, err, sizeof err) == 1)
        n++;
    ck_assert_int_eq(n, 6);
    ck_assert_double_eq_tol(r.arrival_s, 6, 1e-9);
    wl_request_free(&r);
    wl_source_close(s);
}
END_TEST

START_TEST(mooncake_real_trace_open_loop)
{
    wl_config_t c;
    wl_config_defaults(&c);
    c.replay = WL_OPEN_LOOP;
    snprintf(c.path, sizeof c.path, "%s", tu_shared("traces/mooncake/conversation_trace.jsonl"));
    wl_source_t *s = open_src(&c);
    wl_request_t r = {0};
    char err[256];
    uint64_t n = 0, refs = 0;
    double prev = 0;
    while (wl_source_next(s, &r, err, sizeof err) == 1) {
        ck_assert(r.arrival_s >= prev);
        prev = r.arrival_s;
        refs += r.n_blocks;
        ck_assert_uint_eq(r.block_ids[0], 0); /* every request starts with the shared block 0 */
        n++;
    }
    ck_assert_uint_eq(n, 12031);
    ck_assert_uint_eq(refs, 288500);
    /* The last bucket starts at 3537 s; its requests spread over at most 3 s. */
    ck_assert(prev >= 3536.999 && prev < 3540.0);
    wl_request_free(&r);
    wl_source_close(s);

    /* Closed loop on a log without sessions degenerates to the same arrivals. */
    c.replay = WL_CLOSED_LOOP;
    c.max_requests = 500;
    s = open_src(&c);
    fake_log_t lg = {0};
    double svc = 5.0;
    run_fake(s, svc_const, &svc, &lg);
    ck_assert_uint_eq(lg.n, 500);
    wl_source_close(s);
    c.replay = WL_OPEN_LOOP;
    s = open_src(&c);
    for (size_t i = 0; i < lg.n; i++) {
        ck_assert_int_eq(wl_source_next(s, &r, err, sizeof err), 1);
        ck_assert_double_eq_tol(r.arrival_s, lg.reqs[i].arrival_s, 1e-9);
        ck_assert_uint_eq(r.n_blocks, lg.reqs[i].n_blocks);
    }
    ck_assert_int_eq(wl_source_next(s, &r, err, sizeof err), 0);
    wl_request_free(&r);
    wl_source_close(s);
    log_free(&lg);
}
END_TEST

/* Closed-loop synthetic sessions: every turn after the first arrives exactly its delay after the
 * completion of the previous turn of its agent (think-only timing), sub-agents after their fork. */
START_TEST(synthetic_closed_loop_think_only)
{
    wl_config_t c;
    wl_config_defaults(&c);
    c.synth.sessions = 40;
    c.synth.subagent_prob = 0.05; /* enough forks in 40 sessions to exercise the join */
    c.synth.turns_mean = 12;
    c.seed = 7;
    wl_source_t *s = open_src(&c);
    fake_log_t lg = {0};
    double svc = 2.5;
    run_fake(s, svc_const, &svc, &lg);
    wl_source_counts_t k;
    wl_source_counts(s, &k);
    ck_assert_uint_eq(k.sessions, 40);
    ck_assert_uint_eq(k.delivered, lg.n);
    wl_source_close(s);
    /* Reconstruct: per session, turn t>0 arrives at done(t-1) + think_s unless t-1 forked. */
    uint64_t checked = 0, depth1 = 0;
    for (size_t i = 0; i < lg.n; i++) {
        const wl_request_t *r = &lg.reqs[i];
        ck_assert_uint_eq(r->id, i);
        ck_assert_uint_eq(r->n_blocks, (r->input_tokens + r->block_tokens - 1) / r->block_tokens);
        depth1 += r->depth > 0;
        if (r->turn == 0)
            continue;
        for (size_t j = i; j-- > 0;) {
            if (lg.reqs[j].session_id == r->session_id) {
                ck_assert_uint_eq(lg.reqs[j].turn + 1, r->turn);
                ck_assert(r->arrival_s >= lg.done_s[j] + r->think_s - 1e-9);
                if (fabs(r->arrival_s - (lg.done_s[j] + r->think_s)) < 1e-9)
                    checked++;
                /* Context grows: the previous turn's full blocks are a prefix of this turn's. */
                uint32_t full = lg.reqs[j].input_tokens / r->block_tokens;
                if (r->input_tokens > lg.reqs[j].input_tokens)
                    for (uint32_t b = 0; b < full; b++)
                        ck_assert_uint_eq(r->block_ids[b], lg.reqs[j].block_ids[b]);
                break;
            }
        }
    }
    ck_assert(depth1 > 0);
    ck_assert(checked > lg.n / 2);
    /* Every session's first block is the shared system prompt. */
    for (size_t i = 1; i < lg.n; i++)
        if (lg.reqs[i].depth == 0)
            ck_assert_uint_eq(lg.reqs[i].block_ids[0], lg.reqs[0].block_ids[0]);
    log_free(&lg);

    /* Same seed, same requests; another seed, others. */
    s = open_src(&c);
    fake_log_t lg2 = {0};
    run_fake(s, svc_const, &svc, &lg2);
    wl_source_close(s);
    c.seed = 8;
    s = open_src(&c);
    fake_log_t lg3 = {0};
    run_fake(s, svc_const, &svc, &lg3);
    wl_source_close(s);
    ck_assert(lg3.n != lg2.n || lg3.reqs[lg3.n - 1].input_tokens != lg2.reqs[lg2.n - 1].input_tokens);
    log_free(&lg3);
    log_free(&lg2);
}
END_TEST

START_TEST(session_cap_and_ramp)
{
    wl_config_t c;
    wl_config_defaults(&c);
    c.synth.sessions = 12;
    c.synth.session_rate_per_s = 1000; /* all want to start at once */
    c.synth.subagent_prob = 0;
    c.synth.turns_mean = 3;
    c.max_sessions = 4;
    c.ramp_up_s = 8;
    wl_source_t *s = open_src(&c);
    fake_log_t lg = {0};
    double svc = 1;
    run_fake(s, svc_const, &svc, &lg);
    wl_source_close(s);
    /* First turns of the first 4 sessions at k * 8 / 4 s at the earliest; never more than 4 running. */
    int firsts = 0;
    for (size_t i = 0; i < lg.n; i++) {
        if (lg.reqs[i].turn != 0)
            continue;
        if (firsts < 4)
            ck_assert(lg.reqs[i].arrival_s >= 2.0 * firsts - 1e-9);
        firsts++;
        double t = lg.reqs[i].arrival_s;
        int running = 0;
        for (uint64_t sid = 0; sid < 64; sid++) {
            double first = HUGE_VAL, last = -1;
            for (size_t j = 0; j < lg.n; j++)
                if (lg.reqs[j].session_id == (sid << 12)) {
                    if (lg.reqs[j].arrival_s < first)
                        first = lg.reqs[j].arrival_s;
                    if (lg.done_s[j] > last)
                        last = lg.done_s[j];
                }
            running += first <= t && t < last;
        }
        ck_assert_int_le(running, 4);
    }
    ck_assert_int_eq(firsts, 12);
    log_free(&lg);
}
END_TEST

/* Arrival of (session, turn) in a log; fails if absent. */
static double arrival_of(const fake_log_t *lg, uint64_t session, uint32_t turn)
{
    for (size_t i = 0; i < lg->n; i++)
        if (lg->reqs[i].session_id == session && lg->reqs[i].turn == turn)
            return lg->reqs[i].arrival_s;
    ck_abort_msg("session %llu turn %u never arrived", (unsigned long long)session, turn);
    return 0;
}

typedef struct expect {
    uint64_t session;
    uint32_t turn;
    double t_s;
} expect_t;

static void run_two_sessions(int timing, double api_scale, double service_s, const expect_t *want, size_t nwant)
{
    wl_config_t c;
    wl_config_defaults(&c);
    snprintf(c.path, sizeof c.path, "%s", tu_fixture("workloads/two_sessions.jsonl"));
    c.timing = timing;
    c.api_scale = api_scale;
    wl_source_t *s = open_src(&c);
    fake_log_t lg = {0};
    run_fake(s, svc_const, &service_s, &lg);
    wl_source_counts_t k;
    wl_source_counts(s, &k);
    ck_assert_uint_eq(k.sessions, 2);
    wl_source_close(s);
    ck_assert_uint_eq(lg.n, 8);
    for (size_t i = 0; i < nwant; i++)
        ck_assert_msg(fabs(arrival_of(&lg, want[i].session, want[i].turn) - want[i].t_s) < 1e-9,
                      "timing %d service %g: session %llu turn %u arrived at %g, expected %g", timing, service_s,
                      (unsigned long long)want[i].session, want[i].turn, arrival_of(&lg, want[i].session, want[i].turn),
                      want[i].t_s);
    log_free(&lg);
}

/* Hand-built trace: session 1 (3 turns; turn 1 forks sub-agents 3 and 4, sub-agent 4 has 2 turns) and
 * session 2 (2 turns). A server taking 3 s instead of 1 s per request delays each turn by exactly the extra
 * service time of the requests on its path (2 s per request). */
START_TEST(closed_loop_slower_server_delays_turns)
{
    const expect_t fast[] = {{1, 0, 0},   {2, 0, 1},   {1, 1, 5},  {3, 0, 6.5},
                             {4, 0, 6.5}, {4, 1, 9.5}, {2, 1, 12}, {1, 2, 12.5}};
    const expect_t slow[] = {{1, 0, 0},    {2, 0, 1},    {1, 1, 7},  {3, 0, 10.5},
                             {4, 0, 10.5}, {4, 1, 15.5}, {2, 1, 14}, {1, 2, 20.5}};
    run_two_sessions(WL_TIMING_THINK_ONLY, 1, 1.0, fast, 8);
    run_two_sessions(WL_TIMING_THINK_ONLY, 1, 3.0, slow, 8);
    for (int i = 0; i < 8; i++) {
        /* requests on the path before each turn: 0,0,1,2,2,3,1,4 */
        const double path[] = {0, 0, 1, 2, 2, 3, 1, 4};
        ck_assert_double_eq_tol(slow[i].t_s - fast[i].t_s, path[i] * 2.0, 1e-12);
    }
}
END_TEST

START_TEST(closed_loop_timing_strategies)
{
    /* original: max(previous completion, previous arrival + recorded gap); a fork's join still gates. */
    const expect_t orig[] = {{1, 1, 6}, {3, 0, 7.5}, {4, 0, 7.5}, {4, 1, 10.5}, {1, 2, 14.5}, {2, 1, 12}};
    run_two_sessions(WL_TIMING_ORIGINAL, 1, 1.0, orig, 6);
    /* api-scaled (x0.5): max(previous completion, previous arrival + recorded api x 0.5 + think/tool). */
    const expect_t apis[] = {{1, 1, 5}, {3, 0, 6.5}, {4, 0, 6.5}, {4, 1, 9}, {1, 2, 12}, {2, 1, 11.5}};
    run_two_sessions(WL_TIMING_API_SCALED, 0.5, 1.0, apis, 6);
    /* A 3 s server: api-scaled keeps the recorded pace where it is slower than the server (session 1's
     * turn 1 still at 5 s, after its turn 0 completed at 3 s) and waits for completions otherwise (the
     * sub-agents start 0.5 s after turn 1 completes at 8 s). */
    const expect_t apis_slow[] = {{1, 1, 5}, {2, 1, 11.5}, {3, 0, 8.5}};
    run_two_sessions(WL_TIMING_API_SCALED, 0.5, 3.0, apis_slow, 3);
}
END_TEST

/* The 92 real conversations replayed closed-loop (think-only) against a 2 s server: every main-agent turn
 * that does not follow a fork arrives exactly its recorded think_time after the previous turn completed. */
START_TEST(closed_loop_real_sessions)
{
    wl_config_t c;
    wl_config_defaults(&c);
    snprintf(c.path, sizeof c.path, "%s", tu_shared("traces/kv-cache-tester"));
    c.max_sessions = 30;
    c.ramp_up_s = 60;
    wl_source_t *s = open_src(&c);
    fake_log_t lg = {0};
    double svc = 2.0;
    run_fake(s, svc_const, &svc, &lg);
    wl_source_counts_t k;
    wl_source_counts(s, &k);
    wl_source_close(s);
    ck_assert_uint_eq(lg.n, 6833);
    ck_assert_uint_eq(k.sessions, 92);
    /* Per session: last index seen, to find the previous turn quickly. */
    size_t checked = 0;
    for (size_t i = 0; i < lg.n; i++) {
        const wl_request_t *r = &lg.reqs[i];
        if (r->turn == 0)
            continue;
        for (size_t j = i; j-- > 0;)
            if (lg.reqs[j].session_id == r->session_id) {
                ck_assert_uint_eq(lg.reqs[j].turn + 1, r->turn);
                ck_assert(r->arrival_s >= lg.done_s[j] - 1e-9);
                checked += fabs(r->arrival_s - (lg.done_s[j] + r->think_s)) < 1e-6;
                break;
            }
    }
    ck_assert_uint_ge(checked, 6700);
    log_free(&lg);
}
END_TEST

START_TEST(limits_stop_the_source)
{
    wl_config_t c;
    wl_config_defaults(&c);
    c.synth.sessions = 50;
    c.synth.turns_mean = 5;
    c.max_arrival_s = 200;
    wl_source_t *s = open_src(&c);
    fake_log_t lg = {0};
    double svc = 1;
    run_fake(s, svc_const, &svc, &lg);
    wl_source_close(s);
    ck_assert(lg.n > 0);
    for (size_t i = 0; i < lg.n; i++)
        ck_assert(lg.reqs[i].arrival_s <= 200);
    log_free(&lg);
    c.max_arrival_s = 0;
    c.max_requests = 17;
    s = open_src(&c);
    run_fake(s, svc_const, &svc, &lg);
    ck_assert(wl_source_finished(s));
    wl_source_close(s);
    ck_assert_uint_eq(lg.n, 17);
    log_free(&lg);
}
END_TEST

/* A horizon (set by a timed run to its end) cuts generated scripts after the first turn that cannot arrive
 * before it: up to the horizon the source delivers exactly the requests of whole scripts, with the same
 * turns left, and fewer after it. Sub-agents fork often here, so a cut that skipped their draws would show. */
START_TEST(synthetic_horizon_keeps_the_run)
{
    wl_config_t c;
    wl_config_defaults(&c);
    c.synth.sessions = 60;
    c.synth.subagent_prob = 0.2;
    c.synth.turns_mean = 20;
    c.seed = 11;
    const double services_s[] = {2.5, 40};
    for (size_t v = 0; v < sizeof services_s / sizeof *services_s; v++) {
        double svc = services_s[v];
        c.synth.horizon_s = 0;
        wl_source_t *s = open_src(&c);
        fake_log_t whole = {0};
        run_fake(s, svc_const, &svc, &whole);
        wl_source_close(s);
        double horizon = whole.reqs[whole.n / 3].arrival_s;
        c.synth.horizon_s = horizon;
        s = open_src(&c);
        fake_log_t cut = {0};
        run_fake(s, svc_const, &svc, &cut);
        wl_source_close(s);
        ck_assert_msg(cut.n < whole.n, "horizon %g: %zu of %zu requests", horizon, cut.n, whole.n);
        size_t before = 0, j = 0;
        for (size_t i = 0; i < whole.n; i++) {
            const wl_request_t *a = &whole.reqs[i];
            if (a->arrival_s > horizon)
                continue;
            before++;
            while (j < cut.n && cut.reqs[j].arrival_s > horizon)
                j++;
            ck_assert_msg(j < cut.n, "request %zu (t %g) missing under the horizon", i, a->arrival_s);
            const wl_request_t *b = &cut.reqs[j++];
            ck_assert_uint_eq(a->session_id, b->session_id);
            ck_assert_uint_eq(a->turn, b->turn);
            ck_assert_uint_eq(a->depth, b->depth);
            ck_assert_uint_eq(a->turns_left, b->turns_left);
            ck_assert_uint_eq(a->input_tokens, b->input_tokens);
            ck_assert_uint_eq(a->output_tokens, b->output_tokens);
            ck_assert_double_eq(a->arrival_s, b->arrival_s);
            ck_assert_double_eq(a->think_s, b->think_s);
        }
        while (j < cut.n && cut.reqs[j].arrival_s > horizon)
            j++;
        ck_assert_uint_eq(j, cut.n);
        ck_assert(before > 100);
        log_free(&cut);
        log_free(&whole);
    }
}
END_TEST

/* The generator replayed directly and through its native file give the same requests at the same times
 * (up to the file's 1 us time stamps): `kvtwin gen` loses nothing the simulation uses. */
START_TEST(synthetic_equals_its_native_file)
{
    const char *dir = tu_scratch_dir("gen-replay");
    char path[1024];
    snprintf(path, sizeof path, "%s/g.jsonl", dir);
    const char *set = "turns_mean=10,subagent_prob=0.05,user_turn_prob=0.3";
    ck_assert_int_eq(
        tu_run_kvtwin(NULL, NULL, "gen", "-o", path, "--seed", "21", "--sessions", "30", "--set", set, NULL), 0);
    wl_config_t c;
    wl_config_defaults(&c);
    c.seed = 21;
    c.synth.sessions = 30;
    c.synth.turns_mean = 10;
    c.synth.subagent_prob = 0.05;
    c.synth.user_turn_prob = 0.3;
    double svc = 4.0;
    wl_source_t *s = open_src(&c);
    fake_log_t direct = {0}, file = {0};
    run_fake(s, svc_const, &svc, &direct);
    wl_source_close(s);
    wl_config_defaults(&c);
    snprintf(c.path, sizeof c.path, "%s", path);
    s = open_src(&c);
    run_fake(s, svc_const, &svc, &file);
    wl_source_close(s);
    ck_assert_uint_eq(direct.n, file.n);
    ck_assert(direct.n > 200);
    uint64_t subs = 0;
    for (size_t i = 0; i < direct.n; i++) {
        const wl_request_t *a = &direct.reqs[i], *b = &file.reqs[i];
        ck_assert_uint_eq(a->session_id, b->session_id);
        ck_assert_uint_eq(a->turn, b->turn);
        ck_assert_uint_eq(a->input_tokens, b->input_tokens);
        ck_assert_uint_eq(a->output_tokens, b->output_tokens);
        ck_assert_uint_eq(a->n_blocks, b->n_blocks);
        ck_assert(memcmp(a->block_ids, b->block_ids, a->n_blocks * sizeof *a->block_ids) == 0);
        ck_assert_msg(fabs(a->arrival_s - b->arrival_s) < 1e-4, "request %zu: %.9f vs %.9f", i, a->arrival_s,
                      b->arrival_s);
        subs += a->depth > 0;
    }
    ck_assert(subs > 0);
    log_free(&direct);
    log_free(&file);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("source");
    TCase *tc = tcase_create("source");
    tcase_add_test(tc, config_defaults_and_binding);
    tcase_add_test(tc, mooncake_open_loop_spreads_buckets);
    tcase_add_test(tc, gzip_is_transparent);
    tcase_add_test(tc, mooncake_real_trace_open_loop);
    tcase_add_test(tc, synthetic_closed_loop_think_only);
    tcase_add_test(tc, session_cap_and_ramp);
    tcase_add_test(tc, closed_loop_slower_server_delays_turns);
    tcase_add_test(tc, closed_loop_timing_strategies);
    tcase_add_test(tc, closed_loop_real_sessions);
    tcase_add_test(tc, limits_stop_the_source);
    tcase_add_test(tc, synthetic_equals_its_native_file);
    tcase_add_test(tc, synthetic_horizon_keeps_the_run);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
