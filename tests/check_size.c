/* SLO sizing (issue 14, item 4): the largest load under the SLO by bisection, the cheapest configuration at a
 * load with and without pruning, the same through a study's search block, reuse of evaluations, the Pareto
 * plot, and bad search blocks. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "testutil.h"

static const char *sizing(const char *dir, const char *axes, const char *search)
{
    char text[4096];
    snprintf(text, sizeof text, "{\"name\": \"sz\", \"scenario\": \"%s\", \"axes\": [%s], \"search\": %s}",
             tu_fixture("scenarios/tiny-synthetic.json"), axes, search);
    return tu_write_file(dir, "size.json", text);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

#define LOAD "\"load\": {\"path\": \"workload.synth.session_rate_per_s\", \"min\": 1, \"max\": 256, \"tolerance\": 0.2}"

START_TEST(largest_load_by_bisection)
{
    const char *dir = tu_scratch_dir("size-a");
    char sd[1100];
    snprintf(sd, sizeof sd, "%s/out", dir);
    const char *file = sizing(dir, "{\"name\": \"b\", \"path\": \"deployment.max_batch_seqs\", \"values\": [4, 32]}",
                              "{\"slo\": {\"ttft_p99_s\": 1.6}, " LOAD "}");
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "size", file, "--out", sd, NULL);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(out, "largest workload.synth.session_rate_per_s meeting it"));
    ck_assert_ptr_nonnull(strstr(out, "most load: "));
    /* the SLO holds at the answer and fails above it: its bracket is within 20 % */
    char p[1300];
    snprintf(p, sizeof p, "%s/size.json", sd);
    char *t = tu_read_file(p, NULL);
    cJSON *j = cJSON_Parse(t);
    free(t);
    const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "configurations"), 0);
    double max_load = cJSON_GetObjectItem(c0, "max_load")->valuedouble;
    ck_assert(max_load > 1 && max_load < 256);
    ck_assert_str_eq(cJSON_GetObjectItem(c0, "bound")->valuestring, "bracketed");
    int evals = cJSON_GetObjectItem(j, "evaluations")->valueint;
    ck_assert_int_ge(evals, 6);
    cJSON_Delete(j);
    free(out);
    free(err);
    snprintf(p, sizeof p, "%s/pareto.png", sd);
    ck_assert(tu_file_exists(p));
    snprintf(p, sizeof p, "%s/pareto_points.dat", sd);
    t = tu_read_file(p, NULL);
    ck_assert_int_eq(count(t, "\n"), evals + 1);
    free(t);
    /* a rerun reuses every evaluation */
    rc = tu_run_kvtwin(&out, &err, "size", file, "--out", sd, NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(count(err, "(already run)"), evals);
    free(out);
    free(err);
    /* a looser SLO sustains more */
    const char *loose = sizing(dir, "{\"name\": \"b\", \"path\": \"deployment.max_batch_seqs\", \"values\": [4]}",
                               "{\"slo\": {\"ttft_p99_s\": 100}, " LOAD "}");
    rc = tu_run_kvtwin(&out, &err, "size", loose, "--out", sd, NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, ">= 256"));
    free(out);
    free(err);
}
END_TEST

START_TEST(cheapest_at_load_with_pruning)
{
    const char *dir = tu_scratch_dir("size-b");
    char sd[1100];
    snprintf(sd, sizeof sd, "%s/out", dir);
    const char *axes = "{\"name\": \"n\", \"path\": \"hardware.nodes\", \"values\": [4, 1, 2]}";
    const char *file = sizing(dir, axes, "{\"slo\": {\"ttft_p99_s\": 1.6}, " LOAD ", \"at_load\": 4}");
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "size", file, "--out", sd, NULL);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(out, "cheapest meeting the SLO: n1"));
    ck_assert_int_eq(count(out, "pruned\n"), 2);
    ck_assert_ptr_nonnull(strstr(out, "1 evaluations"));
    free(out);
    free(err);
    /* without pruning every configuration runs; the answer is the same */
    file = sizing(dir, axes, "{\"slo\": {\"ttft_p99_s\": 1.6}, " LOAD ", \"at_load\": 4, \"prune\": false}");
    rc = tu_run_kvtwin(&out, &err, "size", file, "--out", sd, NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "cheapest meeting the SLO: n1"));
    ck_assert_int_eq(count(out, "pruned\n"), 0);
    ck_assert_ptr_nonnull(strstr(out, "3 evaluations"));
    free(out);
    free(err);
    /* the same file through kvtwin study: a search block makes it a sizing */
    rc = tu_run_kvtwin(&out, &err, "study", file, "--out", sd, NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "cheapest meeting the SLO: n1"));
    free(out);
    free(err);
    /* a TPOT limit no configuration meets */
    file = sizing(dir, axes, "{\"slo\": {\"ttft_p99_s\": 1.6, \"tpot_p99_s\": 0.001}, " LOAD ", \"at_load\": 4}");
    rc = tu_run_kvtwin(&out, &err, "size", file, "--out", sd, NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "no configuration meets the SLO"));
    free(out);
    free(err);
}
END_TEST

START_TEST(bad_search_blocks)
{
    const char *dir = tu_scratch_dir("size-bad");
    const char *axes = "{\"name\": \"n\", \"path\": \"hardware.nodes\", \"values\": [1]}";
    const char *cases[][2] = {
        {"{\"slo\": {}, " LOAD "}", "search.slo"},
        {"{\"slo\": {\"ttft_p99_s\": 1}, \"load\": {\"path\": \"x\", \"min\": 5, \"max\": 1}}", "search.load"},
        {"{\"slo\": {\"ttft_p99_s\": 1}, " LOAD ", \"at_load\": -1}", "search.at_load"},
        {"{\"slo\": {\"ttft_p99_s\": 1}, " LOAD ", \"bisect\": 1}", "search.bisect"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = NULL;
        int rc = tu_run_kvtwin(NULL, &err, "size", sizing(dir, axes, cases[i][0]), "--check", NULL);
        ck_assert_msg(rc == 2, "case %zu: %d", i, rc);
        ck_assert_msg(strstr(err, cases[i][1]), "case %zu: %s", i, err);
        free(err);
    }
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "size", tu_source("configs/studies/default.json"), "--check", NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_ptr_nonnull(strstr(err, "no \"search\" block"));
    free(err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("size");
    TCase *tc = tcase_create("size");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, largest_load_by_bisection);
    tcase_add_test(tc, cheapest_at_load_with_pruning);
    tcase_add_test(tc, bad_search_blocks);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
