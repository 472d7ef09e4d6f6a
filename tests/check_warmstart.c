/* The generator's warm start (workload.synth.warm_start_s): the sessions it begins in progress at 0 are the
 * stationary population of the open arrival process. Their number matches Little's law (rate x mean session
 * duration, the duration cut at the warm-start horizon) and their ages, turn indices and contexts match the
 * time-weighted (length-biased) averages over independently generated cold sessions, within bands of a few
 * standard errors computed from the samples. The suite also checks that these bands separate the stationary
 * age from the naive one (age uniform in a session drawn without length bias), so that a warm start drawing
 * sessions without the bias fails. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "workloads/script.h"
#include "workloads/synth.h"

#define RATE 0.01       /* sessions/s: small, so the test is cheap */
#define HORIZON 40000.0 /* s of arrivals before 0 */
#define SEEDS 20
#define COLD 20000 /* cold sessions for the expected values */

/* Accumulates x_i and y_i of a ratio estimate R = sum x / sum y (delta-method standard error). */
typedef struct {
    double *x, *y;
    size_t n, cap;
} ratio_t;

static void ratio_add(ratio_t *r, double x, double y)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->x = realloc(r->x, r->cap * sizeof *r->x);
        r->y = realloc(r->y, r->cap * sizeof *r->y);
        ck_assert(r->x && r->y);
    }
    r->x[r->n] = x;
    r->y[r->n] = y;
    r->n++;
}

static double ratio(const ratio_t *r, double *se)
{
    double sx = 0, sy = 0;
    for (size_t i = 0; i < r->n; i++) {
        sx += r->x[i];
        sy += r->y[i];
    }
    double R = sx / sy, ss = 0;
    for (size_t i = 0; i < r->n; i++)
        ss += (r->x[i] - R * r->y[i]) * (r->x[i] - R * r->y[i]);
    *se = sqrt(ss) / sy;
    return R;
}

static void ratio_free(ratio_t *r)
{
    free(r->x);
    free(r->y);
}

static void cfg_for_test(wl_synth_cfg_t *c)
{
    wl_synth_defaults(c);
    c->session_rate_per_s = RATE;
    c->arrival_cv = 1; /* Poisson: the stationary count is Poisson, its variance its mean */
    c->max_context_tokens = 131072;
}

static double overlap(double a0, double a1, double b0, double b1)
{
    double lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    return hi > lo ? hi - lo : 0;
}

START_TEST(warm_population_is_stationary)
{
    /* Expected values from cold sessions: a session present at 0 with age a in [0, min(D, H)). */
    wl_synth_cfg_t c;
    cfg_for_test(&c);
    c.sessions = COLD;
    wl_synth_t *g;
    char err[256];
    ck_assert_int_eq(wl_synth_open(&g, &c, 1001, err, sizeof err), 0);
    ratio_t age = {0}, turn = {0}, ctx = {0}, naive = {0};
    double sum_l = 0, sum_l2 = 0;
    wl_script_t *s;
    int n = 0;
    while (wl_synth_next(g, &s) == 1) {
        ck_assert_uint_eq(s->first_turn, 0);
        double t0 = s->start_s, prev = 0, k_int = 0, c_int = 0;
        for (uint32_t k = 0; k < s->n_turns; k++) {
            double done = s->turns[k].rec_t_s + s->turns[k].api_s - t0;
            double w = overlap(prev, done, 0, HORIZON);
            k_int += k * w;
            c_int += s->turns[k].input_tokens * w;
            prev = done;
        }
        double l = prev < HORIZON ? prev : HORIZON;
        sum_l += l;
        sum_l2 += l * l;
        ratio_add(&age, l * l / 2, l);
        ratio_add(&turn, k_int, l);
        ratio_add(&ctx, c_int, l);
        ratio_add(&naive, l / 2, 1); /* age uniform in a session drawn without length bias */
        wl_script_free(s);
        n++;
    }
    wl_synth_close(g);
    ck_assert_int_eq(n, COLD);
    double mean_l = sum_l / n, se_l = sqrt((sum_l2 / n - mean_l * mean_l) / n);
    double se_age, se_turn, se_ctx, se_naive;
    double e_age = ratio(&age, &se_age), e_turn = ratio(&turn, &se_turn), e_ctx = ratio(&ctx, &se_ctx);
    double e_naive = ratio(&naive, &se_naive);

    /* The warm populations of SEEDS runs. */
    ratio_t w_age = {0}, w_turn = {0}, w_ctx = {0};
    double count = 0;
    for (int seed = 0; seed < SEEDS; seed++) {
        cfg_for_test(&c);
        c.sessions = 1; /* one new session after the warm ones */
        c.warm_start_s = HORIZON;
        ck_assert_int_eq(wl_synth_open(&g, &c, 7 + seed, err, sizeof err), 0);
        double last = 0;
        int fresh = 0;
        while (wl_synth_next(g, &s) == 1) {
            ck_assert(s->start_s >= last); /* in order of start, none before 0 */
            last = s->start_s;
            if (s->origin_s >= 0) {
                ck_assert_uint_eq(s->first_turn, 0);
                fresh++;
            } else {
                ck_assert(s->origin_s >= -HORIZON);
                ck_assert(s->turns[0].rec_t_s + s->turns[0].api_s > 0); /* still running at 0 */
                count++;
                ratio_add(&w_age, -s->origin_s, 1);
                ratio_add(&w_turn, s->first_turn, 1);
                ratio_add(&w_ctx, s->turns[0].input_tokens, 1);
            }
            wl_script_free(s);
        }
        ck_assert_int_eq(fresh, 1);
        wl_synth_close(g);
    }
    double sw_age, sw_turn, sw_ctx;
    double m_age = ratio(&w_age, &sw_age), m_turn = ratio(&w_turn, &sw_turn), m_ctx = ratio(&w_ctx, &sw_ctx);

    /* Little's law: E[count] = seeds x rate x E[min(D, H)]; Poisson count. */
    double e_count = SEEDS * RATE * mean_l, s_count = sqrt(e_count + pow(SEEDS * RATE * se_l, 2));
    printf("warm start: %.0f sessions over %d seeds, Little's law %.1f +- %.1f (mean duration %.0f s)\n", count, SEEDS,
           e_count, s_count, mean_l);
    printf("  age %.0f s (expected %.0f +- %.0f; without length bias %.0f)\n", m_age, e_age, hypot(sw_age, se_age),
           e_naive);
    printf("  turn %.2f (expected %.2f +- %.2f), context %.0f tokens (expected %.0f +- %.0f)\n", m_turn, e_turn,
           hypot(sw_turn, se_turn), m_ctx, e_ctx, hypot(sw_ctx, se_ctx));
    const double z = 4.5;
    ck_assert_msg(fabs(count - e_count) < z * s_count, "count %g, Little's law %g +- %g", count, e_count, s_count);
    ck_assert_msg(fabs(m_age - e_age) < z * hypot(sw_age, se_age), "age %g, expected %g", m_age, e_age);
    ck_assert_msg(fabs(m_turn - e_turn) < z * hypot(sw_turn, se_turn), "turn %g, expected %g", m_turn, e_turn);
    ck_assert_msg(fabs(m_ctx - e_ctx) < z * hypot(sw_ctx, se_ctx), "context %g, expected %g", m_ctx, e_ctx);
    /* The bands are narrow enough to reject a population without the length bias. */
    ck_assert_msg(fabs(e_naive - e_age) > 3 * z * hypot(sw_age, se_age), "naive age %g too close to %g", e_naive,
                  e_age);
    ratio_free(&age);
    ratio_free(&turn);
    ratio_free(&ctx);
    ratio_free(&naive);
    ratio_free(&w_age);
    ratio_free(&w_turn);
    ratio_free(&w_ctx);
}
END_TEST

/* warm_start_s = 0 changes nothing: the same sessions at the same times as before the key existed (first at 0,
 * turn 0); a warm start keeps the sessions after 0 on the same arrival stream. */
START_TEST(cold_start_unchanged)
{
    wl_synth_cfg_t c;
    wl_synth_defaults(&c);
    c.sessions = 5;
    wl_synth_t *g;
    char err[256];
    ck_assert_int_eq(wl_synth_open(&g, &c, 3, err, sizeof err), 0);
    wl_script_t *s;
    int n = 0;
    while (wl_synth_next(g, &s) == 1) {
        ck_assert_uint_eq(s->first_turn, 0);
        ck_assert(s->origin_s == s->start_s);
        if (n == 0)
            ck_assert(s->start_s == 0);
        ck_assert(s->session_id == (uint64_t)n << 12);
        wl_script_free(s);
        n++;
    }
    ck_assert_int_eq(n, 5);
    wl_synth_close(g);
    c.warm_start_s = -1;
    ck_assert_int_eq(wl_synth_check(&c, err, sizeof err), -1);
    ck_assert(strstr(err, "warm_start_s") == err);
}
END_TEST

/* Through a whole run: a warm start issues the in-progress sessions' turns from 0 on, with the contexts they
 * have grown to, on top of the new sessions; every request completes. tiny-synthetic: 40 new sessions of
 * about 4 turns at 2/s; a 600 s warm start adds those begun in the 600 s before 0 and still running. */
static void run_tiny(const char *out, const char *warm, double *arrived, double *at0, double *input_at0)
{
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", tu_fixture("scenarios/tiny-synthetic.json"), "--out", out, "--quiet",
                           "--set", warm, NULL);
    ck_assert_msg(rc == 0, "kvtwin run failed (%d): %s", rc, err);
    free(err);
    cJSON *j = tu_read_summary(out);
    *arrived = tu_num(j, "requests", "arrived", NULL);
    ck_assert_double_eq(*arrived, tu_num(j, "requests", "completed", NULL));
    cJSON_Delete(j);
    static double t[8192], in[8192];
    size_t n = tu_h5_column(out, "requests", "arrival_s", t, 8192);
    ck_assert_uint_eq(tu_h5_column(out, "requests", "input_tokens", in, 8192), n);
    *at0 = *input_at0 = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i] == 0) {
            (*at0)++;
            *input_at0 += in[i];
        }
    if (*at0 > 0)
        *input_at0 /= *at0;
}

START_TEST(warm_start_in_a_run)
{
    double cold_n, cold_at0, cold_in, warm_n, warm_at0, warm_in;
    run_tiny(tu_scratch_dir("warm-off"), "workload.synth.warm_start_s=0", &cold_n, &cold_at0, &cold_in);
    run_tiny(tu_scratch_dir("warm-on"), "workload.synth.warm_start_s=600", &warm_n, &warm_at0, &warm_in);
    printf("tiny-synthetic: cold %g requests (%g at 0, %.0f tokens), warm %g (%g at 0, %.0f tokens)\n", cold_n,
           cold_at0, cold_in, warm_n, warm_at0, warm_in);
    ck_assert_double_eq(cold_at0, 1); /* session 0's first turn */
    ck_assert(warm_at0 > 1);          /* the turns in service at 0 */
    ck_assert(warm_n > cold_n);       /* the in-progress sessions' remaining turns */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("warmstart");
    TCase *tc = tcase_create("warmstart");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, warm_population_is_stationary);
    tcase_add_test(tc, cold_start_unchanged);
    tcase_add_test(tc, warm_start_in_a_run);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
